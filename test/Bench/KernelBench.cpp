//===- KernelBench.cpp - microbenchmarks of the quantized-matmul variants -===//
//
// tfm-kernel-bench: each interleaved weight format times each kernel variant
// this CPU runs, in the two regimes of a model:
//
//  * decode: one token against weights that are not in any cache. Calls
//    rotate through copies of the matrix filling kDecodePoolBytes, so each
//    call streams its matrix from memory as a decode step does; the
//    figure to read is bytes_per_second against a plain read loop's.
//  * prefill: 128 tokens against one matrix, bound by arithmetic; the
//    figure is items_per_second, multiply-adds per second.
//
// Google Benchmark's flags apply (--benchmark_filter=decode/q8_0, ...).
// Speed is measured here and by tfm-bench, never asserted by a test.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "MemRefDescriptor.h"

#include "tfm/Quantization/Quantize.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "benchmark/benchmark.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace mlir::tfm;
using namespace tfm::kernels;

namespace {

/// Decode calls rotate through this many bytes of weight copies: more than
/// any last-level cache the benchmark is likely to meet.
constexpr int64_t kDecodePoolBytes = int64_t(1) << 30;

/// A weight format as the kernels take it: `kernelFormat` is the
/// interleaved layout of the formats a model stores that way, the row-wise
/// format itself for the others.
struct Format {
  const char *name;
  const char *scheme;
  int32_t kernelFormat;
};

constexpr Format kFormats[] = {
    {"q8_0", "q8_0", TFM_QUANT_Q8_0_X16}, {"q4_0", "q4_0", TFM_QUANT_Q4_0_X16},
    {"q4_k", "q4_k", TFM_QUANT_Q4_K_X16}, {"q6_k", "q6_k", TFM_QUANT_Q6_K_X16},
    {"q4_1", "q4_1", TFM_QUANT_Q4_1},     {"int8", "int8", TFM_QUANT_INT8},
    {"int4", "int4", TFM_QUANT_INT4},
    {"f16", "f16", TFM_QUANT_F16_X16},    {"bf16", "bf16", TFM_QUANT_BF16_X16},
};

struct Variant {
  const char *name;
  void (*kernel)(const QuantizedMatmulArgs &);
  /// The variant's kernel of the 16-bit float formats (null: none of its
  /// own).
  void (*halfKernel)(const QuantizedMatmulArgs &);
  bool (*supported)();
};

bool always() { return true; }
bool hasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool hasAvx512Vnni() {
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw");
}

bool hasAmxInt8() { return hasAvx512Vnni() && amxInt8Usable(); }

bool hasAvx512Bf16() {
  return hasAvx512Vnni() && __builtin_cpu_supports("avx512bf16");
}

bool hasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}

constexpr Variant kVariants[] = {
    {"generic", quantizedMatmulGeneric, halfMatmulGeneric, always},
    {"avx2", quantizedMatmulAvx2, halfMatmulAvx2, hasAvx2},
    {"avx512_vnni", quantizedMatmulAvx512Vnni, halfMatmulAvx512, hasAvx512Vnni},
    {"avx512_amx", quantizedMatmulAmxInt8, nullptr, hasAmxInt8},
    // BF16 prefill on AVX512-BF16 dot products (the 16-bit formats' only).
    {"avx512_bf16", nullptr, halfMatmulAvx512Bf16Dot, hasAvx512Bf16},
};

/// The f32 variants of tfm_matmul_panels.
struct PanelsVariant {
  const char *name;
  void (*kernel)(const MatmulPanelsArgs &);
  bool (*supported)();
};

constexpr PanelsVariant kPanelsVariants[] = {
    {"halide_avx2", matmulPanelsHalideAvx2, hasAvx2},
    {"halide_avx512", matmulPanelsHalideAvx512, hasAvx512},
    {"avx512", matmulPanelsAvx512, hasAvx512},
};

/// Memory in transparent huge pages where the kernel allows, as the
/// runtime keeps a model's weights (lib/Runtime/Runtime.cpp).
struct HugePageBuffer {
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> bytes;

  explicit HugePageBuffer(int64_t size) {
    constexpr int64_t kHugePage = int64_t(2) << 20;
    int64_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
    bytes.reset(static_cast<uint8_t *>(std::aligned_alloc(kHugePage, rounded)));
    madvise(bytes.get(), rounded, MADV_HUGEPAGE);
  }
  uint8_t *data() const { return bytes.get(); }
};

/// A rows x in matrix of random weights in an interleaved format, and
/// `tokens` rows of quantized random activations.
struct Operands {
  int64_t rowBytes, matrixBytes;
  HugePageBuffer weights;
  std::vector<uint8_t> activations;
  std::vector<float> out;

  Operands(const Format &format, int64_t rows, int64_t in, int64_t tokens,
           int64_t copies)
      : weights(copies * rows * quantRowBytes(*parseQuantScheme(format.scheme), in)) {
    QuantScheme scheme = *parseQuantScheme(format.scheme);
    rowBytes = quantRowBytes(scheme, in);
    matrixBytes = rows * rowBytes;
    std::mt19937 random(7);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> row(in);
    std::vector<uint8_t> rowWise(matrixBytes);
    for (int64_t r = 0; r < rows; ++r) {
      for (float &value : row)
        value = uniform(random);
      quantizeRow(scheme, row.data(), in, &rowWise[r * rowBytes]);
    }
    int64_t groupRows = tfm_quant_interleave_rows(format.kernelFormat);
    if (groupRows == 1)
      std::memcpy(weights.data(), rowWise.data(), matrixBytes);
    for (int64_t g = 0; groupRows > 1 && g < rows / groupRows; ++g)
      tfm_quant_interleave(format.kernelFormat, in, &rowWise[g * groupRows * rowBytes],
                           weights.data() + g * groupRows * rowBytes);
    for (int64_t c = 1; c < copies; ++c)
      std::memcpy(weights.data() + c * matrixBytes, weights.data(), matrixBytes);

    std::vector<float> x(tokens * in);
    for (float &value : x)
      value = uniform(random);
    activations.resize(
        tokens * tfm_quantized_activation_row_bytes(format.kernelFormat, in));
    tfm_quantize_activations(format.kernelFormat, x.data(), tokens, in, in,
                             activations.data());
    out.resize(tokens * rows);
  }
};

void run(benchmark::State &state, const Format &format,
         const Variant &variant, int64_t tokens, bool fromMemory) {
  int64_t rows = state.range(0), in = state.range(1);
  QuantScheme scheme = *parseQuantScheme(format.scheme);
  int64_t matrixBytes = rows * quantRowBytes(scheme, in);
  int64_t copies =
      fromMemory ? (kDecodePoolBytes + matrixBytes - 1) / matrixBytes : 1;
  Operands operands(format, rows, in, tokens, copies);
  QuantizedMatmulArgs args{format.kernelFormat,
                           scheme.group,
                           operands.activations.data(),
                           tokens,
                           in,
                           tfm_quantized_activation_row_bytes(
                               format.kernelFormat, in),
                           nullptr,
                           operands.rowBytes,
                           rows,
                           operands.out.data(),
                           rows,
                           false};
  auto *kernel = tfm_quant_is_float(format.kernelFormat) ? variant.halfKernel
                                                        : variant.kernel;
  int64_t copy = 0;
  for (auto _ : state) {
    args.weights = operands.weights.data() + copy * matrixBytes;
    kernel(args);
    benchmark::DoNotOptimize(operands.out.data());
    benchmark::ClobberMemory();
    copy = (copy + 1) % copies;
  }
  state.SetBytesProcessed(state.iterations() * matrixBytes);
  state.SetItemsProcessed(state.iterations() * tokens * rows * in);
}

#ifdef TFM_BENCH_GENERATED_DECODE
using tfm::runtime::MemRef;
/// A generated decode function's type (`llvm.emit_c_interface`).
using GeneratedDecodeFunction = void(MemRef<float, 2> *, MemRef<int8_t, 2> *,
                                     MemRef<float, 2> *, MemRef<int8_t, 1> *);
using GeneratedDecode = GeneratedDecodeFunction *;
} // namespace

// Inputs/generated_decode.mlir, compiled at build time.
extern "C" GeneratedDecodeFunction _mlir_ciface_generated_decode_q8_0_2816x1024,
    _mlir_ciface_generated_decode_q8_0_1024x2816,
    _mlir_ciface_generated_decode_q4_0_2816x1024,
    _mlir_ciface_generated_decode_q4_0_1024x2816,
    _mlir_ciface_generated_decode_q4_k_2816x1024,
    _mlir_ciface_generated_decode_q4_k_1024x2816,
    _mlir_ciface_generated_decode_q6_k_2816x1024,
    _mlir_ciface_generated_decode_q6_k_1024x2816,
    _mlir_ciface_generated_decode_gated_q8_0_2816x1024,
    _mlir_ciface_generated_decode_gated_q4_0_2816x1024,
    _mlir_ciface_generated_decode_gated_q4_k_2816x1024,
    _mlir_ciface_generated_decode_gated_q6_k_2816x1024,
    _mlir_ciface_generated_prefill_q8_0_2816x1024,
    _mlir_ciface_generated_prefill_q8_0_1024x2816,
    _mlir_ciface_generated_prefill_q4_0_2816x1024,
    _mlir_ciface_generated_prefill_q4_0_1024x2816,
    _mlir_ciface_generated_prefill_q4_k_2816x1024,
    _mlir_ciface_generated_prefill_q4_k_1024x2816,
    _mlir_ciface_generated_prefill_q6_k_2816x1024,
    _mlir_ciface_generated_prefill_q6_k_1024x2816,
    _mlir_ciface_generated_prefill_gated_q8_0_2816x1024,
    _mlir_ciface_generated_prefill_gated_q4_0_2816x1024,
    _mlir_ciface_generated_prefill_gated_q4_k_2816x1024,
    _mlir_ciface_generated_prefill_gated_q6_k_2816x1024;

/// A generated decode attention's type: query, keys, values, the query's
/// position, output, rope cos and sin.
using GeneratedAttentionFunction =
    void(MemRef<float, 2> *, MemRef<uint16_t, 3> *, MemRef<uint16_t, 3> *,
         int64_t, MemRef<float, 2> *, MemRef<float, 2> *, MemRef<float, 2> *);
extern "C" GeneratedAttentionFunction _mlir_ciface_generated_attention_f16_16x4,
    _mlir_ciface_generated_attention_f16_12x12;

namespace {

/// A generated product of `tokens` tokens and a rows x in matrix of
/// `format` (the shapes Inputs/generated_decode.mlir has), the tokens'
/// activations quantized by the generated function too: with
/// `fromMemory`, rotating through the pool of weight copies run()'s
/// decode reads (each call streams its matrix from memory), else one copy
/// that stays in the caches. `gated`: rows gate rows then rows up rows,
/// rows outputs.
void runGeneratedProduct(benchmark::State &state, const Format &format,
                         GeneratedDecode product, int64_t tokens, bool gated,
                         bool fromMemory) {
  int64_t rows = state.range(0), in = state.range(1);
  int64_t weightRows = gated ? 2 * rows : rows;
  QuantScheme scheme = *parseQuantScheme(format.scheme);
  int64_t rowBytes = quantRowBytes(scheme, in);
  int64_t matrixBytes = weightRows * rowBytes;
  int64_t copies =
      fromMemory ? (kDecodePoolBytes + matrixBytes - 1) / matrixBytes : 1;
  Operands operands(format, weightRows, in, tokens, copies);
  std::vector<float> x(tokens * in);
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &value : x)
    value = uniform(random);
  std::vector<int8_t> scratch(
      tokens * tfm_quantized_activation_row_bytes(format.kernelFormat, in));
  MemRef<float, 2> input{x.data(), x.data(), 0, {tokens, in}, {in, 1}};
  MemRef<float, 2> output{operands.out.data(), operands.out.data(), 0,
                          {tokens, rows}, {rows, 1}};
  MemRef<int8_t, 1> scratchRef{scratch.data(), scratch.data(), 0,
                               {int64_t(scratch.size())}, {1}};
  int64_t copy = 0;
  for (auto _ : state) {
    auto *weights =
        reinterpret_cast<int8_t *>(operands.weights.data() + copy * matrixBytes);
    MemRef<int8_t, 2> weightRef{weights, weights, 0, {weightRows, rowBytes},
                                {rowBytes, 1}};
    product(&input, &weightRef, &output, &scratchRef);
    benchmark::DoNotOptimize(operands.out.data());
    benchmark::ClobberMemory();
    copy = (copy + 1) % copies;
  }
  state.SetBytesProcessed(state.iterations() * matrixBytes);
  state.SetItemsProcessed(state.iterations() * tokens * weightRows * in);
}

/// The generated decode (one token, weights from memory).
void runGenerated(benchmark::State &state, const Format &format,
                  GeneratedDecode decode, bool gated) {
  runGeneratedProduct(state, format, decode, 1, gated, /*fromMemory=*/true);
}

/// The generated tiles of a 128-token prefill, as run()'s prefill times
/// the kernel.
void runGeneratedPrefill(benchmark::State &state, const Format &format,
                         GeneratedDecode prefill, bool fromMemory) {
  runGeneratedProduct(state, format, prefill, 128, /*gated=*/false,
                      fromMemory);
}

/// The generated gated product's tiles of a 128-token prefill, weights in
/// the caches.
void runGeneratedGatedPrefill(benchmark::State &state, const Format &format,
                              GeneratedDecode prefill) {
  runGeneratedProduct(state, format, prefill, 128, /*gated=*/true,
                      /*fromMemory=*/false);
}
#endif

/// An attention benchmark's data: an f16 KV cache of state.range(2) keys a
/// KV head (head_dim 64, uniform in [-1, 1]) for state.range(0) query heads
/// on state.range(1) KV heads, `rows` random query rows, and their
/// interleaved rope angles (pair j of the row at position p: 0.01 j p; row
/// r at position r + `firstPosition`).
struct HalfCacheAttention {
  static constexpr int64_t kHeadDim = 64;
  int64_t heads, kvHeads, tokens, width;
  std::vector<uint16_t> keys, values;
  std::vector<float> q, out, cos, sin;

  HalfCacheAttention(const benchmark::State &state, int64_t rows,
                     int64_t firstPosition)
      : heads(state.range(0)), kvHeads(state.range(1)),
        tokens(state.range(2)), width(heads * kHeadDim) {
    std::mt19937 random(11);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (std::vector<uint16_t> *bits : {&keys, &values}) {
      bits->resize(kvHeads * tokens * kHeadDim);
      for (uint16_t &value : *bits) {
        _Float16 half = static_cast<_Float16>(uniform(random));
        std::memcpy(&value, &half, sizeof(value));
      }
    }
    q.resize(rows * width);
    out.resize(rows * width);
    for (float &value : q)
      value = uniform(random);
    int64_t pairs = kHeadDim / 2;
    cos.resize(rows * pairs);
    sin.resize(rows * pairs);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < pairs; ++j) {
        float angle = 0.01f * j * (r + firstPosition);
        cos[r * pairs + j] = std::cos(angle);
        sin[r * pairs + j] = std::sin(angle);
      }
  }

  /// tfm_attention (its variant chosen at run time): query rows [begin,
  /// end) of KV head `kvHead`, the first at position `causalStart`.
  void attend(int64_t kvHead, int64_t causalStart, int64_t begin,
              int64_t end) {
    tfm_attention(TFM_KV_F16, q.data(), width, keys.data(), values.data(),
                  tokens * kHeadDim * 2, kHeadDim * 2, heads / kvHeads,
                  kHeadDim, 0.125f, causalStart, kvHead, begin, end, 0,
                  tokens, out.data(), width, nullptr, 0, cos.data(),
                  sin.data(), kHeadDim / 2, /*rope_pairing=*/0, 0, 0.0f,
                  nullptr, 0, 0, nullptr, 0.0f, 0);
  }
};

/// A decode step's attention (one query row a head, an f16 cache of
/// state.range(2) keys, head_dim 64, an interleaved rope) over
/// state.range(0) query heads on state.range(1) KV heads, by the
/// generated code (`generated`, Inputs/generated_decode.mlir's function of
/// that shape) or by tfm_attention (its variant chosen at run time) a KV
/// head at a time, as the generated code goes. The cache fits the caches
/// from 1024 keys on only partly (1024 x 4 KV heads x 256 bytes: 1 MiB).
void attentionDecode(benchmark::State &state,
                     GeneratedAttentionFunction *generated) {
  HalfCacheAttention data(state, 1, 1);
  const int64_t headDim = HalfCacheAttention::kHeadDim;
  int64_t heads = data.heads, kvHeads = data.kvHeads, tokens = data.tokens;
  int64_t width = data.width;
  MemRef<float, 2> query{data.q.data(), data.q.data(), 0, {1, width},
                         {width, 1}};
  MemRef<float, 2> output{data.out.data(), data.out.data(), 0, {1, width},
                          {width, 1}};
  MemRef<float, 2> cosRef{data.cos.data(), data.cos.data(), 0,
                          {1, headDim / 2}, {headDim / 2, 1}};
  MemRef<float, 2> sinRef{data.sin.data(), data.sin.data(), 0,
                          {1, headDim / 2}, {headDim / 2, 1}};
  MemRef<uint16_t, 3> keyRef{data.keys.data(), data.keys.data(), 0,
                             {kvHeads, tokens, headDim},
                             {tokens * headDim, headDim, 1}};
  MemRef<uint16_t, 3> valueRef{data.values.data(), data.values.data(), 0,
                               {kvHeads, tokens, headDim},
                               {tokens * headDim, headDim, 1}};
  for (auto _ : state) {
    if (generated) {
      generated(&query, &keyRef, &valueRef, tokens - 1, &output, &cosRef,
                &sinRef);
    } else {
      for (int64_t kvHead = 0; kvHead < kvHeads; ++kvHead)
        data.attend(kvHead, tokens - 1, 0, 1);
    }
    benchmark::DoNotOptimize(data.out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * kvHeads * tokens *
                          headDim * 2);
  state.SetItemsProcessed(state.iterations() * 2 * heads * tokens * headDim);
}

/// A prefill's attention (state.range(2) query rows over as many causal
/// keys, an f16 cache, head_dim 64, an interleaved rope) over
/// state.range(0) query heads on state.range(1) KV heads, by tfm_attention
/// (its variant chosen at run time) in the compiled model's tasks: a KV head
/// and state.range(3) query rows each.
void attentionPrefill(benchmark::State &state) {
  const int64_t rowsPerTask = state.range(3);
  HalfCacheAttention data(state, state.range(2), 0);
  int64_t tokens = data.tokens;
  for (auto _ : state) {
    for (int64_t kvHead = 0; kvHead < data.kvHeads; ++kvHead)
      for (int64_t begin = 0; begin < tokens; begin += rowsPerTask)
        data.attend(kvHead, 0, begin, std::min(begin + rowsPerTask, tokens));
    benchmark::DoNotOptimize(data.out.data());
    benchmark::ClobberMemory();
  }
  // Multiply-adds: each query row's scores and weighted values over the
  // keys it sees.
  state.SetItemsProcessed(state.iterations() * 2 * data.width *
                          (tokens * (tokens + 1) / 2));
}

/// The hand-written gated product (tfm_quantized_matmul_gated, its variant
/// chosen at run time) of rows gate rows and rows up rows, silu(gate) * up,
/// for `tokens` tokens: one (a decode step, against the same pool of weight
/// copies as the other decodes) or a prefill's (weights in the caches).
void runGatedKernel(benchmark::State &state, const Format &format,
                    int64_t tokens) {
  int64_t rows = state.range(0), in = state.range(1);
  QuantScheme scheme = *parseQuantScheme(format.scheme);
  int64_t rowBytes = quantRowBytes(scheme, in);
  int64_t matrixBytes = 2 * rows * rowBytes;
  // A decode step streams its weights from memory; a prefill's stay in
  // the caches, as the generated tiles' benchmark has them.
  int64_t copies =
      tokens == 1 ? (kDecodePoolBytes + matrixBytes - 1) / matrixBytes : 1;
  Operands operands(format, 2 * rows, in, tokens, copies);
  int64_t copy = 0;
  for (auto _ : state) {
    const uint8_t *gate = operands.weights.data() + copy * matrixBytes;
    tfm_quantized_matmul_gated(format.kernelFormat, scheme.group,
                               operands.activations.data(), tokens, in, gate,
                               gate + rows * rowBytes, rowBytes, rows,
                               operands.out.data(), rows, TFM_ACTIVATION_SILU);
    benchmark::DoNotOptimize(operands.out.data());
    benchmark::ClobberMemory();
    copy = (copy + 1) % copies;
  }
  state.SetBytesProcessed(state.iterations() * matrixBytes);
  state.SetItemsProcessed(state.iterations() * tokens * 2 * rows * in);
}

/// The ceiling of the decode benchmarks: a plain read of the same pool of
/// copies, each call summing one matrix's bytes in 64-byte vectors.
void readPool(benchmark::State &state) {
  int64_t matrixBytes = state.range(0);
  int64_t copies = (kDecodePoolBytes + matrixBytes - 1) / matrixBytes;
  HugePageBuffer pool(copies * matrixBytes);
  std::memset(pool.data(), 1, copies * matrixBytes);
  using Vector = int64_t __attribute__((vector_size(64)));
  int64_t copy = 0;
  for (auto _ : state) {
    const uint8_t *bytes = pool.data() + copy * matrixBytes;
    Vector sum{};
    for (int64_t offset = 0; offset < matrixBytes; offset += sizeof(Vector)) {
      Vector v;
      std::memcpy(&v, bytes + offset, sizeof(v));
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
    copy = (copy + 1) % copies;
  }
  state.SetBytesProcessed(state.iterations() * matrixBytes);
}

/// The f32 product of a linear layer in panel layout (tfm_matmul_panels):
/// 128 tokens times in x (panels x 16) weights, items = multiply-adds.
/// state.range(2) panels per call (0: all in one call); the calls of one
/// product share a pack key, as a prefill's thread steps do. With
/// state.range(3) = 1 the products rotate through copies of the weights
/// filling kDecodePoolBytes, so each reads its weights from memory as a
/// prefill's layers do (0: one copy, which stays in the caches).
void matmulPanels(benchmark::State &state,
                  void (*kernel)(const MatmulPanelsArgs &)) {
  const int64_t tokens = 128, panel = 16;
  int64_t in = state.range(0), panels = state.range(1) / panel;
  int64_t matrixFloats = in * panels * panel;
  int64_t copies = state.range(3) ? std::max<int64_t>(
                                        1, kDecodePoolBytes / 4 / matrixFloats)
                                  : 1;
  std::mt19937 random(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> input(tokens * in), out(tokens * panels * panel);
  HugePageBuffer pool(copies * matrixFloats * 4);
  float *weights = reinterpret_cast<float *>(pool.data());
  for (float &value : input)
    value = uniform(random);
  for (int64_t i = 0; i < matrixFloats; ++i)
    weights[i] = uniform(random);
  for (int64_t c = 1; c < copies; ++c)
    std::copy(weights, weights + matrixFloats, weights + c * matrixFloats);
  int64_t step = state.range(2) > 0 ? state.range(2) : panels;
  int64_t copy = 0;
  for (auto _ : state) {
    uint64_t key = tfm_matmul_panels_pack_key();
    const float *matrix = weights + copy * matrixFloats;
    copy = (copy + 1) % copies;
    for (int64_t b = 0; b < panels; b += step)
      kernel({input.data(), tokens, in, in, matrix + b * in * panel,
              std::min(step, panels - b), panel, out.data() + b * panel,
              panels * panel, key});
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * tokens * in * panels * panel);
}

/// The activation quantizer of each variant (tfm_quantize_activations'
/// rows): 128 tokens of state.range(0) features a call, with RMSNorm
/// weights as a layer's first product has them; items = features.
using ActivationQuantizer = void (*)(const float *, int64_t, const float *,
                                     float, uint8_t *);
void quantizeActivations(benchmark::State &state,
                         ActivationQuantizer quantizer) {
  const int64_t tokens = 128;
  int64_t in = state.range(0);
  int64_t rowBytes = tfm_quantized_activation_row_bytes(TFM_QUANT_Q8_0, in);
  std::mt19937 random(5);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::vector<float> x(tokens * in), weight(in);
  for (float &value : x)
    value = uniform(random);
  for (float &value : weight)
    value = uniform(random);
  std::vector<uint8_t> out(tokens * rowBytes);
  for (auto _ : state) {
    for (int64_t t = 0; t < tokens; ++t)
      quantizer(x.data() + t * in, in, weight.data(), 0.5f,
                out.data() + t * rowBytes);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * tokens * in);
}

void registerAll() {
  struct QuantizerVariant {
    const char *name;
    ActivationQuantizer quantizer;
    bool (*supported)();
  };
  const QuantizerVariant quantizers[] = {
      {"generic", quantizeActivationRowGeneric, always},
      {"avx2", quantizeActivationRowAvx2, hasAvx2},
      {"avx512", quantizeActivationRowAvx512, hasAvx512Vnni}};
  for (const QuantizerVariant &variant : quantizers)
    if (variant.supported())
      benchmark::RegisterBenchmark(
          (std::string("quantize_activations/") + variant.name).c_str(),
          quantizeActivations, variant.quantizer)
          ->Arg(1024)
          ->Arg(2816)
          ->Unit(benchmark::kMicrosecond);
  // The f32 kernels on llama-110m's fused QKV (768 -> 2304) and FFN down
  // (2048 -> 768), in one call and in the 3-panel thread steps of an
  // AVX-512 prefill, with the weights in the caches (/0) and, as a
  // prefill's layers read them, from memory (/1).
  for (const PanelsVariant &variant : kPanelsVariants)
    if (variant.supported())
      benchmark::RegisterBenchmark(
          (std::string("matmul_panels/") + variant.name).c_str(),
          matmulPanels, variant.kernel)
          ->Args({768, 2304, 0, 0})
          ->Args({2048, 768, 0, 0})
          ->Args({768, 2304, 3, 0})
          ->Args({2048, 768, 3, 0})
          ->Args({768, 2304, 3, 1})
          ->Args({2048, 768, 3, 1})
          ->Unit(benchmark::kMillisecond);
  // llama-336m-gqa's q8_0 FFN matrix (2816 x 1024).
  // Decode at 1 and 2 threads: with 2, each thread streams a pool of its
  // own at the same time, as the two halves of a decode step's matrix do
  // (with no barrier between calls: the kernels' ceiling).
  benchmark::RegisterBenchmark("decode/read", readPool)
      ->Arg(2816 * 1088)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime()
      ->ThreadRange(1, 2);
  // llama-336m-gqa's FFN matrices, as one thread's call of a decode step
  // and of a 128-token prefill sees them.
  const std::vector<int64_t> upShape{2816, 1024}, downShape{1024, 2816};
  for (const Variant &variant : kVariants) {
    if (!variant.supported())
      continue;
    for (const Format &format : kFormats) {
      bool half = tfm_quant_is_float(format.kernelFormat);
      if (!(half ? variant.halfKernel : variant.kernel))
        continue;
      // The dot-product kernel is bf16's prefill only.
      bool dotOnly = !variant.kernel;
      if (dotOnly && format.kernelFormat != TFM_QUANT_BF16_X16)
        continue;
      for (const auto &shape : {upShape, downShape}) {
        std::string suffix = std::string(format.name) + "/" + variant.name;
        bool decodes = std::strcmp(variant.name, "generic") != 0 &&
                       std::strcmp(variant.name, "avx512_amx") != 0 &&
                       !dotOnly;
        if (decodes)
          benchmark::RegisterBenchmark(("decode/" + suffix).c_str(), run,
                                       format, variant, 1, true)
              ->Args(shape)
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime()
              ->ThreadRange(1, 2);
        benchmark::RegisterBenchmark(("prefill/" + suffix).c_str(), run,
                                     format, variant, 128, false)
            ->Args(shape)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("prefill_from_memory/" + suffix).c_str(),
                                     run, format, variant, 128, true)
            ->Args(shape)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  // The 16-bit float formats' gated gate/up product of a 128-token prefill
  // (tfm_quantized_matmul_gated: the run-time dispatch's kernel in steps
  // of rows and tokens).
  for (const Format &format : kFormats)
    if (tfm_quant_is_float(format.kernelFormat))
      benchmark::RegisterBenchmark(
          ("prefill_gated/" + std::string(format.name) + "/kernel").c_str(),
          runGatedKernel, format, int64_t{128})
          ->Args(upShape)
          ->Unit(benchmark::kMillisecond);
#ifdef TFM_BENCH_GENERATED_DECODE
  // The generated q8_0, q4_0, q4_k and q6_k decode of the same matrices
  // (decode/q8_0/generated against decode/q8_0/avx512_vnni): the
  // compiler's vector code, which also quantizes the token (~1% of a call
  // here).
  struct Generated {
    const Format &format;
    GeneratedDecode up, down, gated;
  };
  const Generated generated[] = {
      {kFormats[0], _mlir_ciface_generated_decode_q8_0_2816x1024,
       _mlir_ciface_generated_decode_q8_0_1024x2816,
       _mlir_ciface_generated_decode_gated_q8_0_2816x1024},
      {kFormats[1], _mlir_ciface_generated_decode_q4_0_2816x1024,
       _mlir_ciface_generated_decode_q4_0_1024x2816,
       _mlir_ciface_generated_decode_gated_q4_0_2816x1024},
      {kFormats[2], _mlir_ciface_generated_decode_q4_k_2816x1024,
       _mlir_ciface_generated_decode_q4_k_1024x2816,
       _mlir_ciface_generated_decode_gated_q4_k_2816x1024},
      {kFormats[3], _mlir_ciface_generated_decode_q6_k_2816x1024,
       _mlir_ciface_generated_decode_q6_k_1024x2816,
       _mlir_ciface_generated_decode_gated_q6_k_2816x1024}};
  auto registerDecode = [](const std::string &name,
                           const std::vector<int64_t> &shape, auto function,
                           auto... arguments) {
    benchmark::RegisterBenchmark(name.c_str(), function, arguments...)
        ->Args(shape)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime()
        ->ThreadRange(1, 2);
  };
  for (const Generated &kernel : generated) {
    if (!hasAvx512Vnni())
      continue;
    std::string format = kernel.format.name;
    for (auto [shape, decode] : {std::pair{upShape, kernel.up},
                                 std::pair{downShape, kernel.down}})
      registerDecode("decode/" + format + "/generated", shape, runGenerated,
                     kernel.format, decode, false);
    // The gated gate/up product of llama-336m-gqa's FFN (2816 outputs of
    // 1024 inputs, 2 x 2816 weight rows), generated against the kernels.
    registerDecode("decode_gated/" + format + "/generated", upShape,
                   runGenerated, kernel.format, kernel.gated, true);
    registerDecode("decode_gated/" + format + "/kernel", upShape,
                   runGatedKernel, kernel.format, int64_t{1});
  }
  // The generated prefill tiles of each format on the same matrices
  // (prefill/q8_0/generated against prefill/q8_0/avx512_vnni).
  struct GeneratedPrefill {
    const Format &format;
    GeneratedDecode up, down, gated;
  };
  const GeneratedPrefill generatedPrefills[] = {
      {kFormats[0], _mlir_ciface_generated_prefill_q8_0_2816x1024,
       _mlir_ciface_generated_prefill_q8_0_1024x2816,
       _mlir_ciface_generated_prefill_gated_q8_0_2816x1024},
      {kFormats[1], _mlir_ciface_generated_prefill_q4_0_2816x1024,
       _mlir_ciface_generated_prefill_q4_0_1024x2816,
       _mlir_ciface_generated_prefill_gated_q4_0_2816x1024},
      {kFormats[2], _mlir_ciface_generated_prefill_q4_k_2816x1024,
       _mlir_ciface_generated_prefill_q4_k_1024x2816,
       _mlir_ciface_generated_prefill_gated_q4_k_2816x1024},
      {kFormats[3], _mlir_ciface_generated_prefill_q6_k_2816x1024,
       _mlir_ciface_generated_prefill_q6_k_1024x2816,
       _mlir_ciface_generated_prefill_gated_q6_k_2816x1024}};
  for (const GeneratedPrefill &kernel : generatedPrefills) {
    if (!hasAvx512Vnni())
      continue;
    std::string format = kernel.format.name;
    for (auto [shape, prefill] : {std::pair{upShape, kernel.up},
                                  std::pair{downShape, kernel.down}})
      for (bool fromMemory : {false, true})
        benchmark::RegisterBenchmark(
            ((fromMemory ? "prefill_from_memory/" : "prefill/") + format +
             "/generated")
                .c_str(),
            runGeneratedPrefill, kernel.format, prefill, fromMemory)
            ->Args(shape)
            ->Unit(benchmark::kMillisecond);
    // The gated gate/up product's tiles against the kernel's.
    benchmark::RegisterBenchmark(
        ("prefill_gated/" + format + "/generated").c_str(),
        runGeneratedGatedPrefill, kernel.format, kernel.gated)
        ->Args(upShape)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(
        ("prefill_gated/" + format + "/kernel").c_str(), runGatedKernel,
        kernel.format, int64_t{128})
        ->Args(upShape)
        ->Unit(benchmark::kMillisecond);
  }
  // A decode step's attention at 1024 and 4096 keys, generated against the
  // kernel: llama-336m-gqa's heads (GQA, 4 query heads a KV head) and
  // llama-110m's (MHA).
  struct AttentionShape {
    int64_t heads, kvHeads;
    GeneratedAttentionFunction *generated;
  };
  const AttentionShape attentionShapes[] = {
      {16, 4, _mlir_ciface_generated_attention_f16_16x4},
      {12, 12, _mlir_ciface_generated_attention_f16_12x12}};
  for (const AttentionShape &shape : attentionShapes)
    for (GeneratedAttentionFunction *function :
         {shape.generated, static_cast<GeneratedAttentionFunction *>(nullptr)})
      if (hasAvx512Vnni())
        benchmark::RegisterBenchmark(
            function ? "attention_decode/f16/generated"
                     : "attention_decode/f16/kernel",
            attentionDecode, function)
            ->Args({shape.heads, shape.kvHeads, 1024})
            ->Args({shape.heads, shape.kvHeads, 4096})
            ->Unit(benchmark::kMicrosecond);
#endif
  // A prefill's attention at 128 and 512 tokens in tasks of 16 query rows:
  // llama-336m-gqa's heads (GQA) and llama-110m's (MHA), which long
  // prompts give tasks of 32 rows (tfm-lower-flash-attention's
  // mha-query-rows-per-task).
  for (std::pair<int64_t, int64_t> shape :
       {std::pair<int64_t, int64_t>{16, 4}, {12, 12}})
    benchmark::RegisterBenchmark("attention_prefill/f16/kernel",
                                 attentionPrefill)
        ->Args({shape.first, shape.second, 128, 16})
        ->Args({shape.first, shape.second, 512, 16})
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("attention_prefill/f16/kernel",
                               attentionPrefill)
      ->Args({12, 12, 512, 32})
      ->Unit(benchmark::kMillisecond);
  // Where the AMX kernel starts to pay (its kMinTokens): short prefills of
  // the FFN matrix, q8_0 and q4_0, VNNI against AMX. Both are called
  // directly, so AMX runs here even below its own threshold.
  for (const Variant &variant : kVariants) {
    bool interleavedOnly = std::strcmp(variant.name, "avx512_vnni") == 0 ||
                           std::strcmp(variant.name, "avx512_amx") == 0;
    if (!interleavedOnly || !variant.supported())
      continue;
    for (const Format &format : kFormats) {
      if (format.kernelFormat != TFM_QUANT_Q8_0_X16 &&
          format.kernelFormat != TFM_QUANT_Q4_0_X16)
        continue;
      for (int64_t tokens : {2, 4, 8, 16})
        benchmark::RegisterBenchmark(
            ("prefill_tokens/" + std::string(format.name) + "/" + variant.name +
             "/" + std::to_string(tokens))
                .c_str(),
            run, format, variant, tokens, false)
            ->Args(upShape)
            ->Unit(benchmark::kMicrosecond);
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  registerAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
