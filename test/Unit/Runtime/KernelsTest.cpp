//===- KernelsTest.cpp - every quantized-matmul variant and format --------===//
//
// Random rows are quantized to each format and multiplied by random
// activations. The generic variant must match a float dot product over the
// dequantized weights up to the error of 8-bit activations; the vector
// variants the host can run must match the generic one closely (they differ
// only in float summation order).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "tfm/Quantization/Dequantize.h"
#include "tfm/Quantization/Quantize.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace mlir::tfm;
using namespace tfm::kernels;

namespace {

/// A format as the kernels take it: a row-wise scheme, or "q8_0x16",
/// "q4_0x16", "q4_kx16" or "q6_kx16" for its rows interleaved in groups of
/// 16.
struct KernelFormat {
  QuantScheme scheme;
  int32_t format;
};

KernelFormat parseKernelFormat(llvm::StringRef name) {
  if (name.consume_back("x16")) {
    QuantScheme scheme = *parseQuantScheme(name);
    int32_t format = scheme.format == TFM_QUANT_Q8_0   ? TFM_QUANT_Q8_0_X16
                     : scheme.format == TFM_QUANT_Q4_0 ? TFM_QUANT_Q4_0_X16
                     : scheme.format == TFM_QUANT_Q4_K ? TFM_QUANT_Q4_K_X16
                     : scheme.format == TFM_QUANT_F16  ? TFM_QUANT_F16_X16
                     : scheme.format == TFM_QUANT_BF16 ? TFM_QUANT_BF16_X16
                                                       : TFM_QUANT_Q6_K_X16;
    return {scheme, format};
  }
  QuantScheme scheme = *parseQuantScheme(name);
  return {scheme, scheme.format};
}

struct Problem {
  QuantScheme scheme;
  /// What the kernels are called with (scheme.format unless interleaved).
  int32_t format;
  /// 6 tokens cover a full tile of 4 tokens and a remainder in the 16-row
  /// kernels; 7 rows a partial vector in the row-wise ones. Interleaved
  /// formats get 10 groups of rows: the AVX2 kernel reads 4 streams of 2
  /// groups and 2 left over (the gated test's halves: 4 streams of 1 and 1).
  int64_t tokens, in = 512, rows = 7;
  std::vector<float> x, dequantized;
  std::vector<uint8_t> weights, activations;
  int64_t rowBytes = 0;

  /// Interleaved formats get `groups` groups of rows.
  explicit Problem(KernelFormat kernelFormat, int64_t tokenCount = 6,
                   int64_t inFeatures = 512, int64_t groups = 10)
      : scheme(kernelFormat.scheme), format(kernelFormat.format),
        tokens(tokenCount), in(inFeatures) {
    int64_t groupRows = tfm_quant_interleave_rows(format);
    if (groupRows > 1)
      rows = groups * groupRows;
    std::mt19937 random(1234);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    rowBytes = quantRowBytes(scheme, in);
    weights.resize(rows * rowBytes);
    dequantized.resize(rows * in);
    std::vector<float> row(in);
    for (int64_t r = 0; r < rows; ++r) {
      for (float &value : row)
        value = uniform(random);
      quantizeRow(scheme, row.data(), in, &weights[r * rowBytes]);
      dequantizeRow(scheme, &weights[r * rowBytes], in, &dequantized[r * in]);
    }
    for (int64_t g = 0; groupRows > 1 && g < rows / groupRows; ++g) {
      std::vector<uint8_t> group(weights.begin() + g * groupRows * rowBytes,
                                 weights.begin() + (g + 1) * groupRows * rowBytes);
      tfm_quant_interleave(format, in, group.data(),
                           &weights[g * groupRows * rowBytes]);
    }
    // Activations with a stride wider than the row.
    x.resize(tokens * (in + 5));
    for (float &value : x)
      value = uniform(random);
    activations.resize(tokens * tfm_quantized_activation_row_bytes(format, in));
    tfm_quantize_activations(format, x.data(), tokens, in, in + 5,
                             activations.data());
  }

  /// out[t * stride + r] via `kernel`; the gaps keep a sentinel. With
  /// `accumulate`, the products are added to a residual of -99 + index.
  std::vector<float> run(void (*kernel)(const QuantizedMatmulArgs &),
                         bool accumulate = false) const {
    int64_t stride = rows + 2;
    std::vector<float> out(tokens * stride, -99.0f);
    if (accumulate)
      for (size_t i = 0; i < out.size(); ++i)
        out[i] += float(i);
    kernel({format, scheme.group, activations.data(), tokens, in,
            tfm_quantized_activation_row_bytes(format, in), weights.data(),
            rowBytes,
            rows, out.data(), stride, accumulate});
    return out;
  }

  float reference(int64_t t, int64_t r) const {
    double sum = 0;
    for (int64_t k = 0; k < in; ++k)
      sum += double(x[t * (in + 5) + k]) * dequantized[r * in + k];
    return float(sum);
  }
};

class KernelsTest : public testing::TestWithParam<const char *> {};

TEST_P(KernelsTest, GenericMatchesDequantizedReference) {
  Problem problem(parseKernelFormat(GetParam()));
  std::vector<float> out = problem.run(quantizedMatmulGeneric);
  for (int64_t t = 0; t < problem.tokens; ++t) {
    for (int64_t r = 0; r < problem.rows; ++r) {
      // 8-bit activations: relative error ~ 1/254 per element, averaging
      // out over 512 terms of size ~0.5.
      EXPECT_NEAR(out[t * (problem.rows + 2) + r], problem.reference(t, r), 0.15)
          << "token " << t << " row " << r;
    }
    EXPECT_EQ(out[t * (problem.rows + 2) + problem.rows], -99.0f);
  }
}

TEST_P(KernelsTest, GenericAccumulatesIntoResidual) {
  Problem problem(parseKernelFormat(GetParam()));
  std::vector<float> plain = problem.run(quantizedMatmulGeneric);
  std::vector<float> added = problem.run(quantizedMatmulGeneric, true);
  int64_t stride = problem.rows + 2;
  for (int64_t t = 0; t < problem.tokens; ++t) {
    for (int64_t r = 0; r < problem.rows; ++r) {
      int64_t i = t * stride + r;
      EXPECT_FLOAT_EQ(added[i], plain[i] + (-99.0f + float(i))) << "element " << i;
    }
    int64_t gap = t * stride + problem.rows;
    EXPECT_EQ(added[gap], -99.0f + float(gap));
  }
}

void expectSameAsGeneric(const Problem &problem,
                         void (*kernel)(const QuantizedMatmulArgs &)) {
  auto *generic = tfm_quant_is_float(problem.format) ? halfMatmulGeneric
                                                     : quantizedMatmulGeneric;
  for (bool accumulate : {false, true}) {
    std::vector<float> expected = problem.run(generic, accumulate);
    std::vector<float> actual = problem.run(kernel, accumulate);
    for (size_t i = 0; i < expected.size(); ++i)
      EXPECT_NEAR(actual[i], expected[i],
                  1e-3f * (1.0f + std::fabs(expected[i])))
          << "element " << i << (accumulate ? " (accumulating)" : "");
  }
}

/// Gate rows 0..2 and up rows 3..5 (0..79 and 80..159 when interleaved):
/// out = silu(gate . x) * (up . x), from the products the chosen variant
/// computes on its own.
void expectGatedEpilogue(const Problem &problem) {
  const int64_t rows = problem.rows / 2, stride = rows + 2;
  std::vector<float> products(problem.tokens * problem.rows);
  tfm_quantized_matmul(problem.format, problem.scheme.group,
                       problem.activations.data(), problem.tokens, problem.in,
                       problem.weights.data(), problem.rowBytes, problem.rows,
                       products.data(), problem.rows, 0);
  for (int32_t activation : {TFM_ACTIVATION_SILU, TFM_ACTIVATION_GELU,
                             TFM_ACTIVATION_GELU_TANH, TFM_ACTIVATION_RELU}) {
    std::vector<float> out(problem.tokens * stride, -7.0f);
    tfm_quantized_matmul_gated(
        problem.format, problem.scheme.group,
        problem.activations.data(), problem.tokens, problem.in,
        problem.weights.data(), problem.weights.data() + rows * problem.rowBytes,
        problem.rowBytes, rows, out.data(), stride, activation);
    for (int64_t t = 0; t < problem.tokens; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        double g = products[t * problem.rows + r];
        double u = products[t * problem.rows + rows + r];
        double act = activation == TFM_ACTIVATION_SILU ? g / (1 + std::exp(-g))
                     : activation == TFM_ACTIVATION_GELU
                         ? 0.5 * g * (1 + std::erf(g / std::sqrt(2.0)))
                     : activation == TFM_ACTIVATION_GELU_TANH
                         ? 0.5 * g *
                               (1 + std::tanh(std::sqrt(2 / M_PI) *
                                              (g + 0.044715 * g * g * g)))
                         : std::max(g, 0.0);
        EXPECT_NEAR(out[t * stride + r], act * u, 1e-4 * (1 + std::fabs(act * u)))
            << "activation " << activation << ", token " << t << ", row " << r;
      }
      for (int64_t gap = rows; gap < stride; ++gap)
        EXPECT_EQ(out[t * stride + gap], -7.0f) << "gap written";
    }
  }
}

TEST_P(KernelsTest, GatedEpilogueCombinesTwoProducts) {
  // 1 or 6 tokens: one step of all rows; 20 tokens: steps of 16 and 4
  // tokens by 96 rows (6 groups), and the 32 rows left over of 8 groups
  // when interleaved.
  for (int64_t tokens : {1, 6, 20})
    expectGatedEpilogue(Problem(parseKernelFormat(GetParam()), tokens, 512,
                                tokens == 20 ? 16 : 10));
}

TEST(KernelsGatedTest, SiluIsAccurateOverTheWholeRange) {
  // Gates from -100 to 100 (both clamps of the exp), up = 1 and -3: the
  // products agree with double precision to float rounding.
  std::vector<float> gate, up;
  for (int i = -4000; i <= 4000; ++i) {
    gate.push_back(float(i) / 40.0f);
    up.push_back(i % 2 ? 1.0f : -3.0f);
  }
  std::vector<float> out(gate.size());
  gatedProducts(TFM_ACTIVATION_SILU, gate.data(), up.data(), out.data(),
                int64_t(gate.size()));
  for (size_t i = 0; i < gate.size(); ++i) {
    double g = gate[i], expected = g / (1.0 + std::exp(-g)) * up[i];
    EXPECT_NEAR(out[i], expected, 1e-6 * std::fabs(expected) + 1e-30)
        << "gate " << g;
  }
}

TEST_P(KernelsTest, Avx2MatchesGeneric) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
    GTEST_SKIP() << "no AVX2 on this CPU";
  // One token: the 16-row kernel's streams; 6 and 7: one group at a time
  // (q4_0 two tokens at a time, and 7 leaves one over).
  for (int64_t tokens : {1, 6, 7})
    expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), tokens),
                        quantizedMatmulAvx2);
}

TEST(KernelsPrefillTest, Avx2GroupPairsAndOneLeft) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
    GTEST_SKIP() << "no AVX2 on this CPU";
  // The q4_0, q4_k and q6_k prefill take two groups of 16 rows at a time:
  // 11 groups are five pairs and one left over, 7 tokens three pairs (q4_0,
  // q4_k) and one left.
  for (const char *format : {"q4_0x16", "q4_kx16", "q6_kx16"})
    expectSameAsGeneric(Problem(parseKernelFormat(format), 7, 512, 11),
                        quantizedMatmulAvx2);
}

TEST(KernelsPrefillTest, Avx2WideInterleavedRowsInSlices) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
    GTEST_SKIP() << "no AVX2 on this CPU";
  // 4608 inputs: the AVX2 interleaved prefill unpacks a group's
  // codes 4096 inputs at a time, so the second slice adds its sums to the
  // first.
  for (const char *format : {"q4_0x16", "q8_0x16", "q4_kx16", "q6_kx16"})
    expectSameAsGeneric(Problem(parseKernelFormat(format), 6, 4608),
                        quantizedMatmulAvx2);
}

/// A row of activations with the cases the quantizer branches on: an
/// all-zero block, a block with one large element (the others round to 0
/// or +-1), ties at half a step, and ordinary values.
std::vector<float> activationRowForQuantizer(int64_t in) {
  std::mt19937 random(99);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  std::vector<float> row(in);
  for (float &value : row)
    value = uniform(random);
  std::fill(row.begin(), row.begin() + 32, 0.0f);
  row[40] = 1000.0f;
  // Block 2: a maximum of 127 makes the step exactly 1, and the others sit
  // halfway between two steps: 0.5, -1.5, 2.5, -3.5, ...
  row[64] = 127.0f;
  for (int l = 65; l < 96; ++l)
    row[l] = (l % 2 ? 1.0f : -1.0f) * (float(l - 65) + 0.5f);
  return row;
}

/// `quantizer` writes quantizeActivationRowGeneric's bytes for a row of
/// `in` activations (activationRowForQuantizer's, with a block of negative
/// values near the end), with and without RMSNorm weights.
void expectGenericBytes(void (*quantizer)(const float *, int64_t,
                                          const float *, float, uint8_t *),
                        int64_t in) {
  std::vector<float> row = activationRowForQuantizer(in), norm(in);
  for (int64_t k = in - 64; k < in - 32; ++k)
    row[k] = -std::fabs(row[k]) - 0.25f;
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(0.5f, 1.5f);
  for (float &value : norm)
    value = uniform(random);
  int64_t bytes = tfm_quantized_activation_row_bytes(TFM_QUANT_Q8_0, in);
  for (const float *weight : {static_cast<const float *>(nullptr),
                              static_cast<const float *>(norm.data())}) {
    // The row's padding (past the int32 sums) is left as it was.
    std::vector<uint8_t> generic(bytes, 0xAA), vector(bytes, 0xAA);
    quantizeActivationRowGeneric(row.data(), in, weight, 0.75f, generic.data());
    quantizer(row.data(), in, weight, 0.75f, vector.data());
    for (int64_t i = 0; i < bytes; ++i)
      ASSERT_EQ(generic[i], vector[i])
          << "byte " << i << " of " << in << " features"
          << (weight ? " with" : " without") << " norm weights";
  }
}

TEST(QuantizeActivationsTest, Avx2WritesTheGenericBytes) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
    GTEST_SKIP() << "no AVX2 on this CPU";
  expectGenericBytes(quantizeActivationRowAvx2, 256);
}

TEST(QuantizeActivationsTest, GenericBytes) {
  constexpr int64_t in = 256;
  std::vector<float> row = activationRowForQuantizer(in);
  // Block 1 holds 1000 as 127 and the rest of its elements (|x| <= 3,
  // 3 / (1000 / 127) < 0.5) as 0 or +-1 at most.
  std::vector<uint8_t> out(
      tfm_quantized_activation_row_bytes(TFM_QUANT_Q8_0, in));
  quantizeActivationRowGeneric(row.data(), in, nullptr, 1.0f, out.data());
  const auto *q = reinterpret_cast<const int8_t *>(out.data());
  EXPECT_EQ(q[40], 127);
  for (int l = 32; l < 64; ++l)
    if (l != 40)
      EXPECT_LE(std::abs(q[l]), 1) << "element " << l;
  // Ties go to the even neighbour.
  EXPECT_EQ(q[65], 0);
  EXPECT_EQ(q[66], -2);
  EXPECT_EQ(q[67], 2);
  EXPECT_EQ(q[68], -4);
  const auto *scales = reinterpret_cast<const float *>(out.data() + in);
  EXPECT_EQ(scales[0], 0.0f);
  EXPECT_FLOAT_EQ(scales[1], 1000.0f / 127.0f);
}

// Groups of 16 blocks reduced together: 3 blocks (one partial group), 16
// (one whole group) and 37 (two whole groups and 5 blocks).
TEST(QuantizeActivationsTest, Avx512WritesTheGenericBytes) {
  if (!__builtin_cpu_supports("avx512f") ||
      !__builtin_cpu_supports("avx512bw") ||
      !__builtin_cpu_supports("avx512vl"))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  for (int64_t blocks : {3, 16, 37})
    expectGenericBytes(quantizeActivationRowAvx512, blocks * 32);
}

TEST_P(KernelsTest, Avx512VnniMatchesGeneric) {
  if (!__builtin_cpu_supports("avx512vnni") ||
      !__builtin_cpu_supports("avx512vl"))
    GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  // Tiles of 8 tokens (q6_k: 4) share each decoded block: 1 token, tiles
  // with 4, 6 and 7 tokens left over (q6_k: one full tile, 2 and 3 left),
  // and one full tile of 8 with 5 left (q6_k: three of 4, 1 left).
  for (int64_t tokens : {1, 4, 6, 7, 13})
    expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), tokens),
                        quantizedMatmulAvx512Vnni);
}

TEST(KernelsDecodeTest, Avx512VnniGroupPairsAndOneLeft) {
  if (!__builtin_cpu_supports("avx512vnni") ||
      !__builtin_cpu_supports("avx512vl"))
    GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  // One token reads the first and second half of the groups in pairs: 11
  // groups are pairs (g, g + 5) and group 10 alone, 2 groups one pair, 1
  // group alone.
  for (const char *format : {"q8_0x16", "q4_0x16", "q4_kx16", "q6_kx16"})
    for (int64_t groups : {11, 2, 1})
      expectSameAsGeneric(Problem(parseKernelFormat(format), 1, 512, groups),
                          quantizedMatmulAvx512Vnni);
}

TEST(KernelsPrefillTest, Avx512VnniWideInterleavedRows) {
  if (!__builtin_cpu_supports("avx512vnni") ||
      !__builtin_cpu_supports("avx512vl"))
    GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  // 18 super-blocks of 256 inputs: the K-quants' scale tables are made
  // again for each one.
  for (const char *format : {"q4_0x16", "q8_0x16", "q4_kx16", "q6_kx16"})
    expectSameAsGeneric(Problem(parseKernelFormat(format), 5, 4608, 3),
                        quantizedMatmulAvx512Vnni);
}

/// AMX-INT8 only where the CPU has it and Linux grants the tile state.
bool amxRuns() {
  return __builtin_cpu_supports("avx512vnni") &&
         __builtin_cpu_supports("avx512vl") && amxInt8Usable();
}

/// The AMX kernel scales each block's integer sums as the VNNI kernel does,
/// in the same order: the same bits, accumulating or not.
void expectSameAsVnni(const Problem &problem) {
  for (bool accumulate : {false, true}) {
    std::vector<float> expected =
        problem.run(quantizedMatmulAvx512Vnni, accumulate);
    std::vector<float> actual = problem.run(quantizedMatmulAmxInt8, accumulate);
    for (size_t i = 0; i < expected.size(); ++i)
      ASSERT_EQ(actual[i], expected[i])
          << "element " << i << (accumulate ? " (accumulating)" : "");
  }
}

TEST_P(KernelsTest, AmxInt8MatchesGeneric) {
  if (!amxRuns())
    GTEST_SKIP() << "no AMX-INT8 on this CPU or OS";
  // 1 and 7 tokens go to the VNNI kernel; 16 are one tile; 21 a tile and 5
  // left over in a tile of their own shape; 40 two tiles and 8.
  for (int64_t tokens : {1, 7, 16, 21, 40})
    expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), tokens),
                        quantizedMatmulAmxInt8);
}

TEST(KernelsPrefillTest, AmxInt8SameBitsAsVnni) {
  if (!amxRuns())
    GTEST_SKIP() << "no AMX-INT8 on this CPU or OS";
  // 512 inputs are 16 blocks (pairs only), 4608 are 144, 96 are 3 (a pair
  // and one left over); 8 tokens are the fewest that use tiles.
  for (const char *format : {"q8_0x16", "q4_0x16"})
    for (int64_t in : {96, 512, 4608})
      for (int64_t tokens : {8, 16, 37})
        expectSameAsVnni(Problem(parseKernelFormat(format), tokens, in, 3));
}

INSTANTIATE_TEST_SUITE_P(Formats, KernelsTest,
                         testing::Values("q8_0", "q4_0", "q4_1", "q4_k",
                                         "q6_k", "int8", "int4", "int4g128",
                                         "q8_0x16", "q4_0x16", "q4_kx16",
                                         "q6_kx16"));

TEST(KernelsInterleaveTest, GroupLayout) {
  // Row r of 16 Q4_0 rows of one block: scale bits 0x3C00 + r, nibble bytes
  // 16 r + j. Interleaved: the 16 scales, then byte j of row r at
  // 32 + 64 (j / 4) + 4 r + j % 4.
  std::vector<uint8_t> rows(16 * 18), group(16 * 18);
  for (int r = 0; r < 16; ++r) {
    rows[r * 18] = uint8_t(r);
    rows[r * 18 + 1] = 0x3C;
    for (int j = 0; j < 16; ++j)
      rows[r * 18 + 2 + j] = uint8_t(16 * r + j);
  }
  tfm_quant_interleave(TFM_QUANT_Q4_0_X16, 32, rows.data(), group.data());
  for (int r = 0; r < 16; ++r) {
    EXPECT_EQ(group[2 * r], r);
    EXPECT_EQ(group[2 * r + 1], 0x3C);
    for (int j = 0; j < 16; ++j)
      EXPECT_EQ(group[32 + 64 * (j / 4) + 4 * r + j % 4], 16 * r + j)
          << "row " << r << ", byte " << j;
  }
  // Q8_0 codes are stored with their sign bit flipped (q + 128).
  std::vector<uint8_t> q8(16 * 34, 0), q8Group(16 * 34);
  q8[2] = 0x80; // row 0, element 0: -128
  q8[34 + 2 + 5] = 3; // row 1, element 5
  tfm_quant_interleave(TFM_QUANT_Q8_0_X16, 32, q8.data(), q8Group.data());
  EXPECT_EQ(q8Group[32], 0x00);
  EXPECT_EQ(q8Group[32 + 64 * 1 + 4 * 1 + 1], 0x83);
  EXPECT_EQ(q8Group[32 + 1], 0x80); // row 0, element 1: 0
  EXPECT_EQ(tfm_quant_interleave_rows(TFM_QUANT_Q8_0_X16), 16);
  EXPECT_EQ(tfm_quant_interleave_rows(TFM_QUANT_Q4_1), 1);
  EXPECT_EQ(tfm_quant_row_bytes(TFM_QUANT_Q4_0_X16, 0, 64), 36);
}

TEST(KernelsInterleaveTest, Q6KGroupLayout) {
  // 16 rows of one Q6_K super-block; row r: d bits 0x3C00 + r, scale k =
  // 4 r + k, and element e's code u = (7 r + 3 e) % 64, written in GGML's
  // layout. Interleaved (tfm_kernels.h): the 16 d, the scales sub-block by
  // sub-block, then per block b nibble chunks and top-bit chunks.
  std::vector<uint8_t> rows(16 * 210, 0), group(16 * 210);
  auto code = [](int r, int e) { return (7 * r + 3 * e) % 64; };
  for (int r = 0; r < 16; ++r) {
    uint8_t *row = &rows[r * 210];
    for (int e = 0; e < 256; ++e) {
      // GGML: element 128 h + 32 g + l has its low 4 bits in
      // ql[64 h + 32 (g & 1) + l] (high nibble for g >= 2) and its top 2 in
      // bits 2 g of qh[32 h + l].
      int h = e / 128, g = (e % 128) / 32, l = e % 32, u = code(r, e);
      row[64 * h + 32 * (g & 1) + l] |= uint8_t((u & 0xF) << (g >= 2 ? 4 : 0));
      row[128 + 32 * h + l] |= uint8_t((u >> 4) << (2 * g));
    }
    for (int k = 0; k < 16; ++k)
      row[192 + k] = uint8_t(4 * r + k);
    row[208] = uint8_t(r);
    row[209] = 0x3C;
  }
  tfm_quant_interleave(TFM_QUANT_Q6_K_X16, 256, rows.data(), group.data());
  for (int r = 0; r < 16; ++r) {
    EXPECT_EQ(group[2 * r], r);
    EXPECT_EQ(group[2 * r + 1], 0x3C);
    for (int k = 0; k < 16; ++k)
      EXPECT_EQ(group[32 + 16 * k + r], 4 * r + k);
    for (int b = 0; b < 8; ++b) {
      const uint8_t *block = &group[288 + 384 * b];
      for (int e = 0; e < 16; ++e) {
        int c = e / 4, i = e % 4;
        int low = code(r, 32 * b + e), high = code(r, 32 * b + 16 + e);
        uint8_t nibbles = block[64 * c + 4 * r + i];
        EXPECT_EQ(nibbles & 0xF, low & 0xF) << "row " << r << ", element " << e;
        EXPECT_EQ(nibbles >> 4, high & 0xF) << "row " << r << ", element " << e;
        uint8_t tops = block[256 + 64 * (c / 2) + 4 * r + i] >> (4 * (c % 2));
        EXPECT_EQ(tops & 3, low >> 4) << "row " << r << ", element " << e;
        EXPECT_EQ((tops >> 2) & 3, high >> 4) << "row " << r << ", element " << e;
      }
    }
  }
  EXPECT_EQ(tfm_quant_interleave_rows(TFM_QUANT_Q6_K_X16), 16);
  EXPECT_EQ(tfm_quant_base_format(TFM_QUANT_Q6_K_X16), TFM_QUANT_Q6_K);
  EXPECT_EQ(tfm_quant_row_bytes(TFM_QUANT_Q6_K_X16, 0, 512), 420);
}

TEST(KernelsInterleaveTest, Q4KGroupLayout) {
  // 16 rows of one Q4_K super-block, byte k of row r = 7 r + k (mod 256).
  // Interleaved (tfm_kernels.h): the 16 d, the 16 dmin, three planes of
  // scale words, then per block pair 8 chunks of the rows' code bytes.
  std::vector<uint8_t> rows(16 * 144), group(16 * 144);
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < 144; ++k)
      rows[r * 144 + k] = uint8_t(7 * r + k);
  tfm_quant_interleave(TFM_QUANT_Q4_K_X16, 256, rows.data(), group.data());
  for (int r = 0; r < 16; ++r) {
    auto source = [&](int k) { return uint8_t(7 * r + k); };
    EXPECT_EQ(group[2 * r], source(0));
    EXPECT_EQ(group[2 * r + 1], source(1));
    EXPECT_EQ(group[32 + 2 * r], source(2));
    EXPECT_EQ(group[32 + 2 * r + 1], source(3));
    for (int k = 0; k < 12; ++k)
      EXPECT_EQ(group[64 + 64 * (k / 4) + 4 * r + k % 4], source(4 + k))
          << "row " << r << ", scale byte " << k;
    for (int k = 0; k < 128; ++k)
      EXPECT_EQ(group[256 + 512 * (k / 32) + 64 * (k % 32 / 4) + 4 * r + k % 4],
                source(16 + k))
          << "row " << r << ", code byte " << k;
  }
  EXPECT_EQ(tfm_quant_base_format(TFM_QUANT_Q4_K_X16), TFM_QUANT_Q4_K);
  EXPECT_EQ(tfm_quant_interleave_rows(TFM_QUANT_Q4_K_X16), 16);
}

TEST(KernelsDispatchTest, PicksTheBestVariant) {
  std::string isa = tfm_kernel_isa();
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
      !getenv("TFM_KERNEL_ISA"))
    EXPECT_EQ(isa, amxInt8Usable() ? "avx512_amx" : "avx512_vnni");
  EXPECT_TRUE(isa == "avx512_amx" || isa == "avx512_vnni" || isa == "avx2" ||
              isa == "generic");
}

TEST(KernelsDispatchTest, ActivationBlocks) {
  // One block: absMax 2.54 -> scale 0.02, q = round(x / 0.02).
  std::vector<float> x(32, 0.0f);
  x[0] = 2.54f;
  x[1] = -1.0f;
  std::vector<uint8_t> out(tfm_quantized_activation_row_bytes(TFM_QUANT_Q8_0, 32));
  EXPECT_EQ(out.size(), 64u);
  tfm_quantize_activations(TFM_QUANT_Q8_0, x.data(), 1, 32, 32, out.data());
  EXPECT_EQ(int8_t(out[0]), 127);
  EXPECT_EQ(int8_t(out[1]), -50);
  float scale, scaledSum;
  std::memcpy(&scale, &out[32], 4);
  std::memcpy(&scaledSum, &out[36], 4);
  EXPECT_FLOAT_EQ(scale, 0.02f);
  EXPECT_FLOAT_EQ(scaledSum, 0.02f * 77);
  int32_t sum;
  std::memcpy(&sum, &out[40], 4);
  EXPECT_EQ(sum, 77);
}

TEST(KernelsDispatchTest, ActivationsRoundHalfToEven) {
  // absMax 127 -> scale 1: x / scale is x, and halves round to even.
  std::vector<float> x = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, -0.5f,
                          1.49f, -1.51f, 126.5f};
  x.resize(32, 0.0f);
  std::vector<uint8_t> out(tfm_quantized_activation_row_bytes(TFM_QUANT_Q4_0, 32));
  tfm_quantize_activations(TFM_QUANT_Q4_0, x.data(), 1, 32, 32, out.data());
  const int8_t expected[] = {127, 2, 4, -2, -4, 0, 0, 1, -2, 126};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(int8_t(out[i]), expected[i]) << "x = " << x[i];
}

TEST(KernelsDispatchTest, ActivationsWithRmsNormPrologue) {
  // Two rows of 64: quantizing with the norm prologue must give the bytes of
  // quantizing the rows normalized beforehand (x / rms * g).
  std::mt19937 random(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const int64_t tokens = 2, features = 64, stride = 80;
  const float eps = 1e-5f;
  std::vector<float> x(tokens * stride), g(features), normalized(tokens * features);
  for (float &v : x)
    v = normal(random);
  for (float &v : g)
    v = normal(random);
  for (int64_t t = 0; t < tokens; ++t) {
    double sumOfSquares = 0.0;
    for (int64_t k = 0; k < features; ++k)
      sumOfSquares += double(x[t * stride + k]) * x[t * stride + k];
    float inverseRms = 1.0f / std::sqrt(float(sumOfSquares / features) + eps);
    for (int64_t k = 0; k < features; ++k)
      normalized[t * features + k] = x[t * stride + k] * (inverseRms * g[k]);
  }
  int64_t rowBytes = tfm_quantized_activation_row_bytes(TFM_QUANT_Q8_0, features);
  std::vector<uint8_t> expected(tokens * rowBytes), actual(tokens * rowBytes);
  tfm_quantize_activations(TFM_QUANT_Q8_0, normalized.data(), tokens, features,
                           features, expected.data());
  tfm_quantize_activations_rms_norm(TFM_QUANT_Q8_0, x.data(), tokens, features,
                                    stride, g.data(), eps, actual.data());
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t k = 0; k < features; ++k)
      EXPECT_NEAR(int8_t(actual[t * rowBytes + k]),
                  int8_t(expected[t * rowBytes + k]), 1)
          << "token " << t << ", value " << k;
    for (int64_t b = 0; b < 4; ++b) {
      float want, got;
      std::memcpy(&want, &expected[t * rowBytes + features + 4 * b], 4);
      std::memcpy(&got, &actual[t * rowBytes + features + 4 * b], 4);
      EXPECT_NEAR(got, want, 1e-5f * std::fabs(want)) << "scale " << b;
    }
  }
}

//===----------------------------------------------------------------------===//
// 16-bit float weights (F16, BF16): f32 activations, no rounding but the sums'
//===----------------------------------------------------------------------===//

class HalfKernelsTest : public testing::TestWithParam<const char *> {};

TEST_P(HalfKernelsTest, GenericMatchesExactReference) {
  // The weights decode exactly and the activations stay f32: only the f32
  // sums differ from the double reference, by ~1e-6 relative (8-bit
  // activations would be off by ~0.05 here).
  Problem problem(parseKernelFormat(GetParam()));
  std::vector<float> out = problem.run(halfMatmulGeneric);
  for (int64_t t = 0; t < problem.tokens; ++t) {
    for (int64_t r = 0; r < problem.rows; ++r)
      EXPECT_NEAR(out[t * (problem.rows + 2) + r], problem.reference(t, r),
                  1e-5 * (1 + std::fabs(problem.reference(t, r))))
          << "token " << t << " row " << r;
    EXPECT_EQ(out[t * (problem.rows + 2) + problem.rows], -99.0f);
  }
}

TEST_P(HalfKernelsTest, Avx2MatchesGeneric) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") ||
      !__builtin_cpu_supports("f16c"))
    GTEST_SKIP() << "no AVX2 with F16C on this CPU";
  // Tiles of 4 tokens: 1 token (3 groups at a time, one left of 10), a
  // tile and 2 left, two tiles and 1 left; 4608 inputs for long rows.
  for (int64_t tokens : {1, 6, 9})
    expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), tokens),
                        halfMatmulAvx2);
  expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), 5, 4608, 3),
                      halfMatmulAvx2);
}

TEST_P(HalfKernelsTest, Avx512MatchesGeneric) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  // Tiles of 8 tokens by 3 groups: 10 groups are three triples and one
  // left; 1 token, a partial tile, a full one, a full one and 5 left.
  for (int64_t tokens : {1, 3, 8, 13})
    expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), tokens),
                        halfMatmulAvx512);
  for (int64_t groups : {1, 2, 4})
    expectSameAsGeneric(
        Problem(parseKernelFormat(GetParam()), 1, 4608, groups),
        halfMatmulAvx512);
  // A pair of groups left after the triples (5 and 11 groups).
  for (int64_t groups : {5, 11})
    expectSameAsGeneric(Problem(parseKernelFormat(GetParam()), 13, 512, groups),
                        halfMatmulAvx512);
}

TEST_P(HalfKernelsTest, GatedEpilogueCombinesTwoProducts) {
  for (int64_t tokens : {1, 6, 20})
    expectGatedEpilogue(Problem(parseKernelFormat(GetParam()), tokens));
}

TEST_P(HalfKernelsTest, DispatchRunsTheFloatKernel) {
  // tfm_quantized_matmul routes the float formats to their own kernels:
  // the chosen variant agrees with the exact reference.
  Problem problem(parseKernelFormat(GetParam()), 9);
  std::vector<float> out(problem.tokens * problem.rows);
  tfm_quantized_matmul(problem.format, 0, problem.activations.data(),
                       problem.tokens, problem.in, problem.weights.data(),
                       problem.rowBytes, problem.rows, out.data(), problem.rows,
                       0);
  for (int64_t t = 0; t < problem.tokens; ++t)
    for (int64_t r = 0; r < problem.rows; ++r)
      EXPECT_NEAR(out[t * problem.rows + r], problem.reference(t, r),
                  1e-5 * (1 + std::fabs(problem.reference(t, r))))
          << "token " << t << " row " << r;
}

/// The BF16_X16 prefill on AVX512-BF16 dot products multiplies the
/// activations rounded to bf16: within f32 summation of that product (the
/// instruction's own order and rounding: ~2e-7 of the sum of the terms'
/// magnitudes here; unrounded activations would be ~1e-4 of it off).
void expectBf16DotProducts(const Problem &problem) {
  for (bool accumulate : {false, true}) {
    std::vector<float> out = problem.run(halfMatmulAvx512Bf16Dot, accumulate);
    int64_t stride = problem.rows + 2;
    for (int64_t t = 0; t < problem.tokens; ++t) {
      for (int64_t r = 0; r < problem.rows; ++r) {
        double sum = 0, magnitude = 0;
        for (int64_t k = 0; k < problem.in; ++k) {
          double term = double(bfloat16ToFloat(floatToBfloat16(
                            problem.x[t * (problem.in + 5) + k]))) *
                        problem.dequantized[r * problem.in + k];
          sum += term;
          magnitude += std::fabs(term);
        }
        int64_t i = t * stride + r;
        double expected = sum + (accumulate ? -99.0 + double(i) : 0.0);
        ASSERT_NEAR(out[i], expected,
                    2e-6 * magnitude + 1e-6 * (1 + std::fabs(expected)))
            << "token " << t << " row " << r
            << (accumulate ? " (accumulating)" : "");
      }
      ASSERT_EQ(out[t * stride + problem.rows],
                accumulate ? -99.0f + float(t * stride + problem.rows)
                           : -99.0f);
    }
  }
}

TEST(HalfKernelsDotTest, Avx512Bf16PrefillOnRoundedActivations) {
  if (!__builtin_cpu_supports("avx512bf16"))
    GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  // Tiles of 8 tokens by 3 groups: 16 tokens (two tiles), 21 (two and 5
  // left); 10 groups (three triples and one), 2 (a pair), 5 (a triple and
  // a pair); 4608 inputs.
  for (int64_t tokens : {16, 21})
    expectBf16DotProducts(Problem(parseKernelFormat("bf16x16"), tokens));
  expectBf16DotProducts(Problem(parseKernelFormat("bf16x16"), 17, 4608, 2));
  expectBf16DotProducts(Problem(parseKernelFormat("bf16x16"), 11, 512, 5));
}

TEST(HalfKernelsDotTest, DispatchKeepsF32BelowTheThreshold) {
  // Fewer than TFM_BF16_DOT_MIN_TOKENS tokens multiply the f32 activations
  // (the exact reference within 1e-5) on every CPU; from the threshold on,
  // an AVX512-BF16 CPU rounds them (off by ~1e-3 here).
  for (int64_t tokens : {int64_t(1), int64_t(TFM_BF16_DOT_MIN_TOKENS - 1),
                         int64_t(TFM_BF16_DOT_MIN_TOKENS)}) {
    Problem problem(parseKernelFormat("bf16x16"), tokens);
    std::vector<float> out(problem.tokens * problem.rows);
    tfm_quantized_matmul(problem.format, 0, problem.activations.data(),
                         problem.tokens, problem.in, problem.weights.data(),
                         problem.rowBytes, problem.rows, out.data(),
                         problem.rows, 0);
    bool rounded = tokens >= TFM_BF16_DOT_MIN_TOKENS &&
                   std::string(tfm_kernel_isa()).rfind("avx512", 0) == 0 &&
                   __builtin_cpu_supports("avx512bf16");
    double worst = 0;
    for (int64_t t = 0; t < problem.tokens; ++t)
      for (int64_t r = 0; r < problem.rows; ++r)
        worst = std::max(worst,
                         std::fabs(double(out[t * problem.rows + r]) -
                                   problem.reference(t, r)) /
                             (1 + std::fabs(problem.reference(t, r))));
    if (rounded)
      EXPECT_GT(worst, 1e-5) << tokens << " tokens";
    else
      EXPECT_LT(worst, 1e-5) << tokens << " tokens";
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, HalfKernelsTest,
                         testing::Values("f16", "bf16", "f16x16", "bf16x16"));

TEST(HalfKernelsLayoutTest, RowBytesAndGroups) {
  EXPECT_EQ(tfm_quant_row_bytes(TFM_QUANT_F16, 0, 64), 128);
  EXPECT_EQ(tfm_quant_row_bytes(TFM_QUANT_BF16_X16, 0, 48), 96);
  EXPECT_EQ(tfm_quant_row_bytes(TFM_QUANT_F16, 0, 40), -1);
  EXPECT_EQ(tfm_quant_interleave_rows(TFM_QUANT_F16_X16), 16);
  EXPECT_EQ(tfm_quant_base_format(TFM_QUANT_BF16_X16), TFM_QUANT_BF16);
  EXPECT_TRUE(tfm_quant_is_float(TFM_QUANT_BF16));
  EXPECT_FALSE(tfm_quant_is_float(TFM_QUANT_Q8_0));
  // Row r, feature k holds the bits 100 r + k; interleaved, feature k of
  // row r is value 16 k + r of an f16 group, value 32 (k / 2) + 2 r + k % 2
  // of a bf16 one (pairs of features).
  constexpr int64_t in = 32;
  std::vector<uint16_t> rows(16 * in), group(16 * in);
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < in; ++k)
      rows[r * in + k] = uint16_t(100 * r + k);
  tfm_quant_interleave(TFM_QUANT_F16_X16, in, rows.data(), group.data());
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < in; ++k)
      ASSERT_EQ(group[16 * k + r], 100 * r + k) << "row " << r << " feature " << k;
  tfm_quant_interleave(TFM_QUANT_BF16_X16, in, rows.data(), group.data());
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < in; ++k)
      ASSERT_EQ(group[32 * (k / 2) + 2 * r + k % 2], 100 * r + k)
          << "bf16 row " << r << " feature " << k;
}

TEST(HalfKernelsLayoutTest, ActivationsAreTheF32Rows) {
  // No rounding for the float formats; the RMSNorm prologue scales each
  // element by inverse-RMS x weight, as for the block formats. BF16 rows
  // add each value rounded to bfloat16 (nearest, ties to even).
  const int64_t features = 32, stride = 40;
  std::vector<float> x(2 * stride), g(features);
  for (int64_t i = 0; i < 2 * stride; ++i)
    x[i] = 0.37f * float(i % 13) - 2.0f;
  for (int64_t k = 0; k < features; ++k)
    g[k] = 0.5f + 0.03f * float(k);
  int64_t rowBytes = tfm_quantized_activation_row_bytes(TFM_QUANT_F16, features);
  int64_t bf16RowBytes =
      tfm_quantized_activation_row_bytes(TFM_QUANT_BF16_X16, features);
  EXPECT_EQ(rowBytes, 128);
  EXPECT_EQ(bf16RowBytes, 192);
  std::vector<float> plain(2 * rowBytes / 4), normed(2 * bf16RowBytes / 4);
  tfm_quantize_activations(TFM_QUANT_F16, x.data(), 2, features, stride,
                           plain.data());
  tfm_quantize_activations_rms_norm(TFM_QUANT_BF16_X16, x.data(), 2, features,
                                    stride, g.data(), 1e-5f, normed.data());
  for (int64_t t = 0; t < 2; ++t) {
    double sumOfSquares = 0;
    for (int64_t k = 0; k < features; ++k)
      sumOfSquares += double(x[t * stride + k]) * x[t * stride + k];
    double inverseRms = 1 / std::sqrt(sumOfSquares / features + 1e-5);
    const float *row = normed.data() + t * bf16RowBytes / 4;
    uint16_t rounded[features];
    std::memcpy(rounded, row + features, sizeof(rounded));
    for (int64_t k = 0; k < features; ++k) {
      EXPECT_EQ(plain[t * 32 + k], x[t * stride + k]);
      EXPECT_NEAR(row[k], x[t * stride + k] * inverseRms * g[k], 1e-6)
          << "token " << t << " feature " << k;
      EXPECT_EQ(rounded[k], floatToBfloat16(row[k])) << "feature " << k;
    }
  }
}

} // namespace
