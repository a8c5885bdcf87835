//===- Dispatch.cpp - the one place a kernel variant is chosen ------------===//
//
// The C entry points of tfm_kernels.h. The variant is chosen on first use
// from CPUID (and the OS's saved register state), or from TFM_KERNEL_ISA.
// This code is linked into every compiled model, which is plain C as far as
// the linker knows: no C++ runtime (no guarded statics, no exceptions).
//
//===----------------------------------------------------------------------===//

#include "FastMath.h"
#include "Kernels.h"
#include "Profile.h"
#include "QuantBlocks.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

using namespace tfm::kernels;

namespace {

struct Variant {
  const char *name;
  void (*quantizedMatmul)(const QuantizedMatmulArgs &);
  void (*attention)(const AttentionArgs &, const AttentionTask &);
  void (*quantizeActivationRow)(const float *, int64_t, const float *, float,
                                uint8_t *);
  void (*matmulPanels)(const MatmulPanelsArgs &);
  void (*halfMatmul)(const QuantizedMatmulArgs &);
};

constexpr Variant kGeneric{"generic",           quantizedMatmulGeneric,
                           attentionGeneric,    quantizeActivationRowGeneric,
                           matmulPanelsGeneric, halfMatmulGeneric};
#if defined(__x86_64__)
constexpr Variant kAvx2{"avx2",
                        quantizedMatmulAvx2,
                        attentionAvx2,
                        quantizeActivationRowAvx2,
                        matmulPanelsHalideAvx2,
                        halfMatmulAvx2};
constexpr Variant kAvx512Vnni{"avx512_vnni",
                              quantizedMatmulAvx512Vnni,
                              attentionAvx512,
                              quantizeActivationRowAvx512,
                              matmulPanelsAvx512,
                              halfMatmulAvx512};
// The same with quantized prefill on AMX-INT8 tiles.
constexpr Variant kAvx512Amx{"avx512_amx",
                             quantizedMatmulAmxInt8,
                             attentionAvx512,
                             quantizeActivationRowAvx512,
                             matmulPanelsAvx512,
                             halfMatmulAvx512};

/// AVX-512 with AVX512-BF16: the prefills of BF16_X16 weights (calls of
/// TFM_BF16_DOT_MIN_TOKENS tokens or more) on its dot products, against the
/// activations' bf16 copies; the rest as halfMatmulAvx512, in f32.
void halfMatmulAvx512Bf16(const QuantizedMatmulArgs &args) {
  int64_t productTokens =
      args.productTokens > 0 ? args.productTokens : args.tokens;
  if (args.format == TFM_QUANT_BF16_X16 &&
      productTokens >= TFM_BF16_DOT_MIN_TOKENS)
    return halfMatmulAvx512Bf16Dot(args);
  halfMatmulAvx512(args);
}

// The two above where the CPU has AVX512-BF16 (TFM_KERNEL_ISA=avx512_vnni
// keeps f32 prefills of bf16 weights).
constexpr Variant kAvx512VnniBf16{"avx512_vnni",
                                  quantizedMatmulAvx512Vnni,
                                  attentionAvx512,
                                  quantizeActivationRowAvx512,
                                  matmulPanelsAvx512,
                                  halfMatmulAvx512Bf16};
constexpr Variant kAvx512AmxBf16{"avx512_amx",
                                 quantizedMatmulAmxInt8,
                                 attentionAvx512,
                                 quantizeActivationRowAvx512,
                                 matmulPanelsAvx512,
                                 halfMatmulAvx512Bf16};

bool bit(unsigned value, int index) { return (value >> index) & 1u; }

/// The OS saves the register state in mask `state` (XCR0 bits).
bool osSavesState(unsigned state) {
  unsigned eax, ebx, ecx, edx;
  __cpuid(1, eax, ebx, ecx, edx);
  if (!bit(ecx, 27)) // OSXSAVE
    return false;
  unsigned low, high;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (low & state) == state;
}

bool hasAvx2() {
  unsigned eax, ebx, ecx, edx;
  __cpuid(1, eax, ebx, ecx, edx);
  bool fmaF16c = bit(ecx, 12) && bit(ecx, 29);
  if (!fmaF16c || __get_cpuid_max(0, nullptr) < 7)
    return false;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  return bit(ebx, 5) && osSavesState(0x6);
}

bool hasAvx512Vnni() {
  if (!hasAvx2())
    return false;
  unsigned eax, ebx, ecx, edx;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  // F, DQ, CD, BW, VL (Halide's avx512_skylake) and VNNI.
  bool features = bit(ebx, 16) && bit(ebx, 17) && bit(ebx, 28) &&
                  bit(ebx, 30) && bit(ebx, 31) && bit(ecx, 11);
  return features && osSavesState(0xE6);
}

/// AVX512-BF16 (CPUID leaf 7, sub-leaf 1, EAX bit 5), on top of
/// hasAvx512Vnni.
bool hasAvx512Bf16() {
  unsigned eax, ebx, ecx, edx;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  if (eax < 1)
    return false;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  return bit(eax, 5);
}
#endif

const Variant *detectVariant() {
  const char *forced = std::getenv("TFM_KERNEL_ISA");
#if defined(__x86_64__)
  bool avx512Vnni = hasAvx512Vnni(), avx2 = hasAvx2();
  if (forced && std::strcmp(forced, "avx2") == 0 && avx2)
    return &kAvx2;
  if (forced && std::strcmp(forced, "generic") == 0)
    return &kGeneric;
  if (forced && std::strcmp(forced, "avx512_vnni") == 0 && avx512Vnni)
    return &kAvx512Vnni;
  bool bf16Dot = avx512Vnni && hasAvx512Bf16();
  if (avx512Vnni && amxInt8Usable())
    return bf16Dot ? &kAvx512AmxBf16 : &kAvx512Amx;
  if (avx512Vnni)
    return bf16Dot ? &kAvx512VnniBf16 : &kAvx512Vnni;
  if (avx2)
    return &kAvx2;
#else
  (void)forced;
#endif
  return &kGeneric;
}

/// Chosen once; a race only computes the same answer twice.
const Variant *variant() {
  static const Variant *chosen = nullptr;
  const Variant *current = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
  if (!current) {
    current = detectVariant();
    __atomic_store_n(&chosen, current, __ATOMIC_RELEASE);
  }
  return current;
}

/// One 32-element block `b` (0-7) of `lane`'s GGML Q6_K super-block at
/// `source` as chunks of the Q6_K_X16 block at `block` (tfm_kernels.h).
void interleaveQ6KBlock(const uint8_t *source, int b, int64_t lane,
                        uint8_t *block) {
  auto code = [&](int l) { return q6kCode(source, b, l); };
  uint8_t *low = block + 4 * lane, *high = low + 4 * kChunkBytes;
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 4; ++i)
      low[c * kChunkBytes + i] =
          uint8_t((code(4 * c + i) & 0xF) | ((code(16 + 4 * c + i) & 0xF) << 4));
  for (int p = 0; p < 2; ++p)
    for (int i = 0; i < 4; ++i) {
      int elements[4] = {8 * p + i, 16 + 8 * p + i, 8 * p + 4 + i,
                         16 + 8 * p + 4 + i};
      uint8_t tops = 0;
      for (int k = 0; k < 4; ++k)
        tops |= uint8_t((code(elements[k]) >> 4) << (2 * k));
      high[p * kChunkBytes + i] = tops;
    }
}

/// 16 rows of GGML Q6_K super-blocks as one Q6_K_X16 group.
void interleaveQ6K(int64_t inFeatures, const uint8_t *rows, uint8_t *group) {
  int64_t superBlocks = inFeatures / kSuperBlock;
  for (int64_t s = 0; s < superBlocks; ++s) {
    uint8_t *out = group + s * kQ6KX16SuperBlockBytes;
    for (int64_t lane = 0; lane < kInterleave; ++lane) {
      const uint8_t *source = rows + (lane * superBlocks + s) * kQ6_KBytes;
      std::memcpy(out + 2 * lane, source + 208, 2);
      for (int k = 0; k < 16; ++k)
        out[kQ6KX16ScalesOffset + k * kInterleave + lane] = source[192 + k];
      for (int b = 0; b < 8; ++b)
        interleaveQ6KBlock(source, b, lane,
                           out + kQ6KX16BlocksOffset + b * kQ6KX16BlockBytes);
    }
  }
}

/// 16 rows of GGML Q4_K super-blocks as one Q4_K_X16 group: the scale
/// words and code bytes move in 4-byte chunks, unchanged.
void interleaveQ4K(int64_t inFeatures, const uint8_t *rows, uint8_t *group) {
  int64_t superBlocks = inFeatures / kSuperBlock;
  for (int64_t s = 0; s < superBlocks; ++s) {
    uint8_t *out = group + s * kQ4KX16SuperBlockBytes;
    for (int64_t lane = 0; lane < kInterleave; ++lane) {
      const uint8_t *source = rows + (lane * superBlocks + s) * kQ4_KBytes;
      std::memcpy(out + 2 * lane, source, 2);
      std::memcpy(out + kQ4KX16MinScalesOffset + 2 * lane, source + 2, 2);
      for (int w = 0; w < 3; ++w)
        std::memcpy(out + kQ4KX16ScaleWordsOffset + w * kChunkBytes + 4 * lane,
                    source + 4 + 4 * w, 4);
      for (int pair = 0; pair < 4; ++pair)
        for (int c = 0; c < 8; ++c)
          std::memcpy(out + kQ4KX16CodesOffset + pair * kQ4KX16PairBytes +
                          c * kChunkBytes + 4 * lane,
                      source + 16 + 32 * pair + 4 * c, 4);
    }
  }
}

/// 16 rows of 16-bit floats as one F16_X16 or BF16_X16 group (where
/// halfGroupIndex puts each value).
void interleaveHalves(int32_t format, int64_t inFeatures, const uint8_t *rows,
                      uint8_t *group) {
  for (int64_t lane = 0; lane < kInterleave; ++lane)
    for (int64_t k = 0; k < inFeatures; ++k)
      std::memcpy(group + 2 * halfGroupIndex(format, lane, k),
                  rows + (lane * inFeatures + k) * 2, 2);
}

/// The kernel variant of `args.format`: the 16-bit float formats have their
/// own (f32 activations), the block formats share one.
void runMatmul(const QuantizedMatmulArgs &args) {
  if (isFloatFormat(args.format))
    return variant()->halfMatmul(args);
  variant()->quantizedMatmul(args);
}

/// One row of activations as FORMAT's kernels read them: 8-bit blocks, or
/// the f32 values for the float formats; each element first multiplied by
/// `rowScale * weight[k]` when `weight` is given (an RMSNorm prologue).
void prepareActivationRow(int32_t format, const float *x, int64_t inFeatures,
                          const float *weight, float rowScale, uint8_t *out) {
  if (!isFloatFormat(format))
    return variant()->quantizeActivationRow(x, inFeatures, weight, rowScale,
                                            out);
  auto *values = reinterpret_cast<float *>(out);
  for (int64_t k = 0; k < inFeatures; ++k)
    values[k] = weight ? x[k] * (rowScale * weight[k]) : x[k];
  if (!isBf16Format(format))
    return;
  // The bf16 copy the AVX512-BF16 prefill multiplies (tfm_kernels.h).
  auto *rounded = reinterpret_cast<uint16_t *>(values + inFeatures);
  for (int64_t k = 0; k < inFeatures; ++k)
    rounded[k] = floatToBf16(values[k]);
}

/// 1 / sqrt(mean(x^2) + eps), as tfm.rms_norm computes it. The squares
/// go into 16 running sums (sum l takes elements l, l + 16, ...), added in
/// a fixed order at the end: one sum's chain may not be reordered, so the
/// compiler kept it scalar, an add's latency an element (~4,000 cycles a
/// 1024-feature row, where quantizing the row takes ~500).
float inverseRms(const float *x, int64_t features, float eps) {
  constexpr int kSums = 16;
  float sums[kSums] = {};
  int64_t k = 0;
  for (; k + kSums <= features; k += kSums)
    for (int l = 0; l < kSums; ++l)
      sums[l] += x[k + l] * x[k + l];
  for (int l = 0; k < features; ++k, ++l)
    sums[l] += x[k] * x[k];
  float sumOfSquares = 0.0f;
  for (float sum : sums)
    sumOfSquares += sum;
  return 1.0f / std::sqrt(sumOfSquares / float(features) + eps);
}

} // namespace

extern "C" {

int64_t tfm_quant_interleave_rows(int32_t format) {
  return isInterleaved(format) ? kInterleave : 1;
}

int32_t tfm_quant_base_format(int32_t format) {
  switch (format) {
  case TFM_QUANT_Q8_0_X16: return TFM_QUANT_Q8_0;
  case TFM_QUANT_Q4_0_X16: return TFM_QUANT_Q4_0;
  case TFM_QUANT_Q6_K_X16: return TFM_QUANT_Q6_K;
  case TFM_QUANT_Q4_K_X16: return TFM_QUANT_Q4_K;
  case TFM_QUANT_F16_X16: return TFM_QUANT_F16;
  case TFM_QUANT_BF16_X16: return TFM_QUANT_BF16;
  default: return format;
  }
}

int32_t tfm_quant_is_float(int32_t format) { return isFloatFormat(format); }

void tfm_quant_interleave(int32_t format, int64_t inFeatures,
                          const void *rows, void *out) {
  if (!isInterleaved(format))
    return;
  const auto *in = static_cast<const uint8_t *>(rows);
  auto *group = static_cast<uint8_t *>(out);
  if (format == TFM_QUANT_Q6_K_X16)
    return interleaveQ6K(inFeatures, in, group);
  if (format == TFM_QUANT_Q4_K_X16)
    return interleaveQ4K(inFeatures, in, group);
  if (isFloatFormat(format))
    return interleaveHalves(format, inFeatures, in, group);
  bool q8 = format == TFM_QUANT_Q8_0_X16;
  int64_t blockBytes = q8 ? kQ8_0Bytes : kQ4_0Bytes;
  int64_t rowBytes = (inFeatures / kBlock) * blockBytes;
  int64_t chunks = q8 ? kBlock / 4 : kBlock / 8;
  for (int64_t b = 0; b < inFeatures / kBlock; ++b) {
    uint8_t *block = group + b * kInterleave * blockBytes;
    for (int64_t lane = 0; lane < kInterleave; ++lane) {
      const uint8_t *source = in + lane * rowBytes + b * blockBytes;
      std::memcpy(block + 2 * lane, source, 2);
      for (int64_t c = 0; c < chunks; ++c)
        for (int i = 0; i < 4; ++i) {
          uint8_t byte = source[2 + 4 * c + i];
          block[2 * kInterleave + c * kChunkBytes + 4 * lane + i] =
              q8 ? uint8_t(byte ^ 0x80) : byte;
        }
    }
  }
}

int64_t tfm_quant_row_bytes(int32_t format, int64_t group,
                            int64_t inFeatures) {
  format = tfm_quant_base_format(format);
  if (isFloatFormat(format))
    return inFeatures > 0 && inFeatures % kFloatFormatVector == 0
               ? 2 * inFeatures
               : -1;
  bool kQuant = format == TFM_QUANT_Q4_K || format == TFM_QUANT_Q6_K;
  int64_t block = kQuant ? kSuperBlock : format == TFM_QUANT_INT4 ? group : kBlock;
  if (block <= 0 || block % kBlock != 0 || inFeatures <= 0 ||
      inFeatures % block != 0)
    return -1;
  int64_t blocks = inFeatures / block;
  switch (format) {
  case TFM_QUANT_Q8_0: return blocks * kQ8_0Bytes;
  case TFM_QUANT_Q4_0: return blocks * kQ4_0Bytes;
  case TFM_QUANT_Q4_1: return blocks * kQ4_1Bytes;
  case TFM_QUANT_Q4_K: return blocks * kQ4_KBytes;
  case TFM_QUANT_Q6_K: return blocks * kQ6_KBytes;
  case TFM_QUANT_INT8: return 4 + inFeatures;
  case TFM_QUANT_INT4: return blocks * (4 + group / 2);
  default: return -1;
  }
}

int64_t tfm_quantized_activation_row_bytes(int32_t format,
                                           int64_t inFeatures) {
  // The float formats' rows are f32 values (and for bf16 their bf16 copy).
  int64_t bytes =
      isBf16Format(format)    ? inFeatures * 6
      : isFloatFormat(format) ? inFeatures * int64_t(sizeof(float))
                              : inFeatures + 4 * (inFeatures / kBlock) *
                                                 int64_t(sizeof(float));
  return (bytes + 63) / 64 * 64;
}

void tfm_quantize_activations(int32_t format, const float *x, int64_t tokens,
                              int64_t inFeatures, int64_t xStride, void *out) {
  int64_t rowBytes = tfm_quantized_activation_row_bytes(format, inFeatures);
  for (int64_t t = 0; t < tokens; ++t)
    prepareActivationRow(format, x + t * xStride, inFeatures, nullptr, 1.0f,
                         static_cast<uint8_t *>(out) + t * rowBytes);
}

void tfm_quantize_activations_rms_norm(int32_t format, const float *x,
                                       int64_t tokens, int64_t inFeatures,
                                       int64_t xStride,
                                       const float *normWeight, float eps,
                                       void *out) {
  int64_t rowBytes = tfm_quantized_activation_row_bytes(format, inFeatures);
  for (int64_t t = 0; t < tokens; ++t) {
    const float *row = x + t * xStride;
    prepareActivationRow(format, row, inFeatures, normWeight,
                         inverseRms(row, inFeatures, eps),
                         static_cast<uint8_t *>(out) + t * rowBytes);
  }
}

void tfm_quantized_matmul(int32_t format, int64_t group,
                          const void *activations, int64_t tokens,
                          int64_t inFeatures, const void *weights,
                          int64_t weightRowBytes, int64_t rows, float *out,
                          int64_t outStride, int32_t accumulate) {
  QuantizedMatmulArgs args{format,
                           group,
                           activations,
                           tokens,
                           inFeatures,
                           tfm_quantized_activation_row_bytes(format,
                                                              inFeatures),
                           static_cast<const uint8_t *>(weights),
                           weightRowBytes,
                           rows,
                           out,
                           outStride,
                           accumulate != 0};
  runMatmul(args);
}

void tfm_attention(int32_t element, const float *q, int64_t qStride,
                   const void *keys, const void *values, int64_t headStride,
                   int64_t rowStride, int64_t group, int64_t headDim,
                   float scale, int64_t causalStart, int64_t kvHead,
                   int64_t queryBegin, int64_t queryEnd, int64_t keyBegin,
                   int64_t keyEnd, float *out, int64_t outStride,
                   float *partials, int64_t partialStride,
                   const float *ropeCos, const float *ropeSin,
                   int64_t ropeStride, int32_t ropePairing, int64_t window,
                   float softCap, const float *positionBias,
                   int64_t biasQueryStart, int64_t maxDistance,
                   const float *queryNorm, float normEps,
                   int64_t ringRows) {
  AttentionArgs args{element,
                     q,
                     qStride,
                     static_cast<const uint8_t *>(keys),
                     static_cast<const uint8_t *>(values),
                     headStride,
                     rowStride,
                     group,
                     headDim,
                     scale,
                     causalStart,
                     out,
                     outStride,
                     ropeCos,
                     ropeSin,
                     ropeStride,
                     ropePairing,
                     window,
                     softCap,
                     positionBias,
                     biasQueryStart,
                     maxDistance,
                     queryNorm,
                     normEps,
                     ringRows};
  AttentionTask task{kvHead,   queryBegin, queryEnd,     keyBegin,
                     keyEnd,   partials,   partialStride};
  AttentionTimer timer;
  variant()->attention(args, task);
}

} // extern "C"

namespace {

/// The activations of the tfm dialect, as its lowering computes them.
float activate(int32_t kind, float x) {
  switch (kind) {
  case TFM_ACTIVATION_RELU:
    return std::fmax(x, 0.0f);
  case TFM_ACTIVATION_GELU:
    return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  case TFM_ACTIVATION_GELU_TANH:
    return 0.5f * x *
           (1.0f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  default: // TFM_ACTIVATION_SILU
    return x / (1.0f + std::exp(-x));
  }
}

/// Tokens and products of one gated step: both products fit on the stack,
/// kGatedProducts / tokens rows of them (96 rows for 16 tokens, 1536 for a
/// decode step, so that the kernel streams long runs of gate and up rows).
constexpr int64_t kGatedTokens = 16;
constexpr int64_t kGatedProducts = 1536;
/// A step's rows are a multiple of 6 interleaved groups, so that the
/// kernels' tiles of 2 or 3 groups divide them: a step of 4 groups left a
/// group to the 16-bit float kernel's one-group tiles, which re-broadcast
/// every token's feature for one FMA (tfm-kernel-bench prefill_gated/f16).
constexpr int64_t kGatedStepRows = 6 * TFM_QUANT_INTERLEAVE;

} // namespace

void tfm::kernels::gatedProducts(int32_t kind, const float *gate,
                                 const float *up, float *out, int64_t n) {
  if (kind == TFM_ACTIVATION_SILU) {
    for (int64_t r = 0; r < n; ++r)
      out[r] = silu(gate[r]) * up[r];
    return;
  }
  // Gemma's GeGLU: a vectorized tanh (std::tanh per element took a fifth
  // of a Gemma 2 2B Q4_0 prefill on one thread).
  if (kind == TFM_ACTIVATION_GELU_TANH) {
    for (int64_t r = 0; r < n; ++r)
      out[r] = geluTanh(gate[r]) * up[r];
    return;
  }
  for (int64_t r = 0; r < n; ++r)
    out[r] = activate(kind, gate[r]) * up[r];
}

extern "C" {

void tfm_quantized_matmul_gated(int32_t format, int64_t group,
                                const void *activations, int64_t tokens,
                                int64_t inFeatures, const void *gateWeights,
                                const void *upWeights, int64_t weightRowBytes,
                                int64_t rows, float *out, int64_t outStride,
                                int32_t activation) {
  if (tokens <= 0)
    return;
  int64_t activationRowBytes =
      tfm_quantized_activation_row_bytes(format, inFeatures);
  float gate[kGatedProducts], up[kGatedProducts];
  int64_t stepRows =
      kGatedProducts / (tokens < kGatedTokens ? tokens : kGatedTokens) /
      kGatedStepRows * kGatedStepRows;
  for (int64_t r0 = 0; r0 < rows; r0 += stepRows) {
    int64_t rowCount = rows - r0 < stepRows ? rows - r0 : stepRows;
    for (int64_t t0 = 0; t0 < tokens; t0 += kGatedTokens) {
      int64_t tokenCount =
          tokens - t0 < kGatedTokens ? tokens - t0 : kGatedTokens;
      QuantizedMatmulArgs args{
          format,
          group,
          static_cast<const uint8_t *>(activations) + t0 * activationRowBytes,
          tokenCount,
          inFeatures,
          activationRowBytes,
          static_cast<const uint8_t *>(gateWeights) + r0 * weightRowBytes,
          weightRowBytes,
          rowCount,
          gate,
          stepRows,
          false,
          tokens};
      runMatmul(args);
      args.weights = static_cast<const uint8_t *>(upWeights) + r0 * weightRowBytes;
      args.out = up;
      runMatmul(args);
      for (int64_t t = 0; t < tokenCount; ++t)
        gatedProducts(activation, gate + t * stepRows, up + t * stepRows,
                      out + (t0 + t) * outStride + r0, rowCount);
    }
  }
}

void tfm_matmul_panels(const float *input, int64_t tokens,
                       int64_t in_features, int64_t input_stride,
                       const float *panels, int64_t panel_count,
                       int64_t panel, float *out, int64_t out_stride,
                       uint64_t pack_key) {
  if (tokens <= 0 || panel_count <= 0)
    return;
  variant()->matmulPanels({input, tokens, in_features, input_stride, panels,
                           panel_count, panel, out, out_stride, pack_key});
}

uint64_t tfm_matmul_panels_pack_key(void) {
  static std::atomic<uint64_t> lastKey{0};
  return lastKey.fetch_add(1, std::memory_order_relaxed) + 1;
}

const char *tfm_kernel_isa(void) { return variant()->name; }

} // extern "C"
