//===- MatmulPanelsTest.cpp - the variants of tfm_matmul_panels -----------===//
//
// Random inputs and panels, strided rows and a nonzero output to accumulate
// onto. Every variant the host can run must match a double-precision
// product up to float summation order, over token and panel counts that
// exercise every register tile (4 x 2 and 8 x 3 prefill, 1 x 4 decode) and
// every edge; AVX-512's hand-written 8 x 3 tiles must give Halide's bits.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "tfm/Runtime/tfm_kernels.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

using namespace tfm::kernels;

namespace {

/// tokens, panels, input features, panel width.
using Shape = std::tuple<int64_t, int64_t, int64_t, int64_t>;

struct Problem {
  int64_t tokens, panelCount, inFeatures, panel;
  /// Strides wider than the rows, so a variant that assumes packed rows
  /// reads or writes the wrong elements.
  int64_t inputStride, outStride;
  std::vector<float> input, panels, out;

  explicit Problem(const Shape &shape, uint32_t seed = 7)
      : tokens(std::get<0>(shape)), panelCount(std::get<1>(shape)),
        inFeatures(std::get<2>(shape)), panel(std::get<3>(shape)),
        inputStride(inFeatures + 3), outStride(panelCount * panel + 5) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    auto fill = [&](std::vector<float> &v, int64_t n) {
      v.resize(n);
      for (float &x : v)
        x = uniform(rng);
    };
    fill(input, tokens * inputStride);
    fill(panels, panelCount * inFeatures * panel);
    fill(out, tokens * outStride);
  }

  MatmulPanelsArgs args(std::vector<float> &result) const {
    return {input.data(), tokens, inFeatures, inputStride, panels.data(),
            panelCount,   panel,  result.data(), outStride};
  }

  /// The initial output plus the product, in double.
  std::vector<double> expected() const {
    std::vector<double> result(out.begin(), out.end());
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t b = 0; b < panelCount; ++b)
        for (int64_t p = 0; p < panel; ++p) {
          double sum = 0;
          for (int64_t k = 0; k < inFeatures; ++k)
            sum += double(input[t * inputStride + k]) *
                   panels[(b * inFeatures + k) * panel + p];
          result[t * outStride + b * panel + p] += sum;
        }
    return result;
  }
};

/// Every element within float rounding of the double result; the padding
/// between rows untouched.
void expectNear(const Problem &problem, const std::vector<float> &result) {
  std::vector<double> expected = problem.expected();
  double tolerance = 1e-5 * (problem.inFeatures + 1);
  for (int64_t t = 0; t < problem.tokens; ++t)
    for (int64_t i = 0; i < problem.outStride; ++i) {
      int64_t index = t * problem.outStride + i;
      ASSERT_NEAR(result[index], expected[index], tolerance)
          << "token " << t << ", column " << i;
    }
}

using Variant = void (*)(const MatmulPanelsArgs &);

void checkVariant(Variant variant, const Shape &shape) {
  Problem problem(shape);
  std::vector<float> result = problem.out;
  variant(problem.args(result));
  expectNear(problem, result);
}

class MatmulPanelsTest : public testing::TestWithParam<Shape> {};

TEST_P(MatmulPanelsTest, GenericMatchesDoubleProduct) {
  checkVariant(matmulPanelsGeneric, GetParam());
}

TEST_P(MatmulPanelsTest, HalideAvx2MatchesDoubleProduct) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
    GTEST_SKIP() << "no AVX2 on this CPU";
  checkVariant(matmulPanelsHalideAvx2, GetParam());
}

bool hasAvx512() {
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

TEST_P(MatmulPanelsTest, HalideAvx512MatchesDoubleProduct) {
  if (!hasAvx512())
    GTEST_SKIP() << "no AVX-512 on this CPU";
  checkVariant(matmulPanelsHalideAvx512, GetParam());
}

TEST_P(MatmulPanelsTest, Avx512MatchesDoubleProduct) {
  if (!hasAvx512())
    GTEST_SKIP() << "no AVX-512 on this CPU";
  checkVariant(matmulPanelsAvx512, GetParam());
}

// The hand-written 8 x 3 tiles sum each element as Halide's do (the
// initial value, then feature by feature, one FMA each): the same bits.
TEST_P(MatmulPanelsTest, Avx512TilesMatchHalideBitForBit) {
  if (!hasAvx512())
    GTEST_SKIP() << "no AVX-512 on this CPU";
  Problem problem(GetParam());
  std::vector<float> halide = problem.out, hand = problem.out;
  matmulPanelsHalideAvx512(problem.args(halide));
  matmulPanelsAvx512(problem.args(hand));
  EXPECT_EQ(hand, halide);
}

// Tokens: one (decode), fewer than a prefill tile, whole tiles, tiles and a
// rest. Panels: one, a pair and one more, whole decode tiles, odd counts.
// Widths 8 and 16 run Halide; 4 falls back to the generic loops. The
// 16-lane shapes from {8, 3, ...} reach AVX-512's 8 x 3 tiles: whole ones,
// with 2 panels and 3 rows left over, with 1 panel and 2 rows left over;
// {128, 9, 770} a prefill's 16 groups over three tiles of panels, with a
// reduction that is not a multiple of the hand-written tiles' unroll.
INSTANTIATE_TEST_SUITE_P(
    Shapes, MatmulPanelsTest,
    testing::Values(Shape{1, 1, 64, 8}, Shape{1, 5, 33, 8},
                    Shape{1, 8, 64, 16}, Shape{3, 3, 17, 8},
                    Shape{4, 2, 64, 8}, Shape{9, 7, 40, 8},
                    Shape{130, 6, 96, 8}, Shape{6, 5, 48, 16},
                    Shape{16, 4, 1, 16}, Shape{5, 3, 24, 4},
                    Shape{8, 3, 40, 16}, Shape{19, 5, 33, 16},
                    Shape{130, 7, 96, 16}, Shape{128, 9, 770, 16}));

TEST(MatmulPanelsDispatchTest, EntryPointAccumulates) {
  Problem problem(Shape{5, 3, 32, 8}, 11);
  std::vector<float> result = problem.out;
  tfm_matmul_panels(problem.input.data(), problem.tokens, problem.inFeatures,
                    problem.inputStride, problem.panels.data(),
                    problem.panelCount, problem.panel, result.data(),
                    problem.outStride, /*pack_key=*/0);
  expectNear(problem, result);
}

/// One product as thread steps of 3 panels: the steps share a pack key, so
/// the AVX-512 variant rearranges the rows once and the later steps reuse
/// them.
void runInSteps(const Problem &problem, std::vector<float> &result,
                uint64_t key, Variant variant) {
  for (int64_t b = 0; b < problem.panelCount; b += 3) {
    MatmulPanelsArgs args = problem.args(result);
    args.panels += b * problem.inFeatures * problem.panel;
    args.panelCount = std::min<int64_t>(3, problem.panelCount - b);
    args.out += b * problem.panel;
    args.packKey = key;
    variant(args);
  }
}

TEST(MatmulPanelsPackKeyTest, StepsOfOneProductShareRearrangedRows) {
  if (!hasAvx512())
    GTEST_SKIP() << "no AVX-512 on this CPU";
  for (Variant variant : {matmulPanelsHalideAvx512, matmulPanelsAvx512})
    for (const Shape &shape : {Shape{19, 7, 33, 16}, Shape{130, 7, 96, 16}}) {
      Problem problem(shape);
      std::vector<float> result = problem.out;
      runInSteps(problem, result, tfm_matmul_panels_pack_key(), variant);
      expectNear(problem, result);
    }
}

TEST(MatmulPanelsPackKeyTest, NewKeyReadsNewInputAtSameAddress) {
  if (!hasAvx512())
    GTEST_SKIP() << "no AVX-512 on this CPU";
  for (Variant variant : {matmulPanelsHalideAvx512, matmulPanelsAvx512}) {
    Problem problem(Shape{24, 6, 40, 16}, 5);
    std::vector<float> result = problem.out;
    runInSteps(problem, result, tfm_matmul_panels_pack_key(), variant);
    // The next product reads other rows from the same buffer (as a layer's
    // arena slot does): a new key must not reuse the old arrangement.
    Problem next(Shape{24, 6, 40, 16}, 6);
    const float *address = problem.input.data();
    std::copy(next.input.begin(), next.input.end(), problem.input.begin());
    ASSERT_EQ(problem.input.data(), address);
    result = problem.out;
    runInSteps(problem, result, tfm_matmul_panels_pack_key(), variant);
    expectNear(problem, result);
  }
}

TEST(MatmulPanelsDispatchTest, NoTokensOrPanelsIsNoWork) {
  Problem problem(Shape{2, 2, 8, 8});
  std::vector<float> result = problem.out;
  tfm_matmul_panels(problem.input.data(), 0, problem.inFeatures,
                    problem.inputStride, problem.panels.data(), 2, 8,
                    result.data(), problem.outStride, 0);
  tfm_matmul_panels(problem.input.data(), 2, problem.inFeatures,
                    problem.inputStride, problem.panels.data(), 0, 8,
                    result.data(), problem.outStride, 0);
  EXPECT_EQ(result, problem.out);
}

} // namespace
