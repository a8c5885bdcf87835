//===- GptqTest.cpp - GPTQ rounding against round-to-nearest --------------===//
//
// Random matrices from a fixed seed. With no information about the inputs
// (H = I) GPTQ must be round-to-nearest byte for byte; with correlated
// inputs it must make the layer's output error, not the weights' error,
// clearly smaller.
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Gptq.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace mlir::tfm;

namespace {

const QuantScheme kSchemes[] = {
    {TFM_QUANT_Q8_0}, {TFM_QUANT_Q4_0}, {TFM_QUANT_Q4_1}, {TFM_QUANT_Q4_K},
    {TFM_QUANT_Q6_K}, {TFM_QUANT_INT4, 64}, {TFM_QUANT_INT8}};

std::vector<float> randomValues(int64_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

std::vector<double> identity(int64_t n) {
  std::vector<double> matrix(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    matrix[i * n + i] = 1.0;
  return matrix;
}

/// sum over samples x (rows of `inputs`) of x x^T.
std::vector<double> secondMoments(const std::vector<float> &inputs,
                                  int64_t n) {
  std::vector<double> h(n * n, 0.0);
  for (size_t t = 0; t < inputs.size() / n; ++t)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        h[i * n + j] += double(inputs[t * n + i]) * inputs[t * n + j];
  return h;
}

/// Rows of `weights` quantized with GPTQ (or, without a factor, quantizeRow)
/// and decoded again.
std::vector<float> roundTrip(QuantScheme scheme,
                             const std::vector<float> &weights, int64_t n,
                             const std::vector<double> *factor) {
  int64_t rowBytes = quantRowBytes(scheme, n), rows = weights.size() / n;
  std::vector<uint8_t> bytes(rows * rowBytes);
  if (factor)
    gptqQuantizeRows(scheme, weights.data(), rows, n, *factor, bytes.data());
  else
    for (int64_t r = 0; r < rows; ++r)
      quantizeRow(scheme, &weights[r * n], n, &bytes[r * rowBytes]);
  std::vector<float> decoded(weights.size());
  for (int64_t r = 0; r < rows; ++r)
    dequantizeRow(scheme, &bytes[r * rowBytes], n, &decoded[r * n]);
  return decoded;
}

/// sum over samples x and rows r of ((w_r - q_r) . x)^2.
double outputError(const std::vector<float> &weights,
                   const std::vector<float> &quantized,
                   const std::vector<float> &inputs, int64_t n) {
  double total = 0.0;
  for (size_t t = 0; t < inputs.size() / n; ++t)
    for (size_t r = 0; r < weights.size() / n; ++r) {
      double dot = 0.0;
      for (int64_t c = 0; c < n; ++c)
        dot += double(weights[r * n + c] - quantized[r * n + c]) *
               inputs[t * n + c];
      total += dot * dot;
    }
  return total;
}

/// Widths below, across and not a multiple of the factorization's blocks
/// of four columns and rows.
class GptqFactorTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(GptqFactorTest, InvertsTheDampedMoments) {
  std::mt19937 rng(3);
  const int64_t n = GetParam();
  std::vector<double> h = secondMoments(randomValues(std::max<int64_t>(40, 2 * n) * n, rng), n);
  llvm::Expected<std::vector<double>> factor = gptqFactor(h, n, 0.01);
  ASSERT_TRUE(bool(factor)) << llvm::toString(factor.takeError());
  double meanDiagonal = 0.0;
  for (int64_t i = 0; i < n; ++i)
    meanDiagonal += h[i * n + i] / n;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j)
      EXPECT_EQ((*factor)[i * n + j], 0.0) << "U is upper triangular";
  // (U^T U) (H + damping) = I.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t k = 0; k < n; ++k) {
        double inverseIK = 0.0;
        for (int64_t m = 0; m < n; ++m)
          inverseIK += (*factor)[m * n + i] * (*factor)[m * n + k];
        double dampedKJ = h[k * n + j] + (k == j ? 0.01 * meanDiagonal : 0.0);
        sum += inverseIK * dampedKJ;
      }
      EXPECT_NEAR(sum, i == j ? 1.0 : 0.0, 1e-9) << i << ", " << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Widths, GptqFactorTest,
                         ::testing::Values(3, 9, 70));

TEST(GptqTest, IdentityFactorIsRoundToNearest) {
  std::mt19937 rng(5);
  const int64_t n = 512; // two q4_k / q6_k super-blocks
  std::vector<double> factor = identity(n);
  // 21 rows: a whole pass of rows and part of another.
  const int64_t rows = 21;
  for (QuantScheme scheme : kSchemes) {
    std::vector<float> weights = randomValues(rows * n, rng);
    int64_t rowBytes = quantRowBytes(scheme, n);
    std::vector<uint8_t> expected(rows * rowBytes), actual(expected.size());
    for (int64_t r = 0; r < rows; ++r)
      quantizeRow(scheme, &weights[r * n], n, &expected[r * rowBytes]);
    gptqQuantizeRows(scheme, weights.data(), rows, n, factor, actual.data());
    EXPECT_EQ(actual, expected) << quantSchemeName(scheme);
  }
}

TEST(GptqTest, CorrelatedInputsLowerTheOutputError) {
  std::mt19937 rng(7);
  const int64_t n = 256, rows = 20, samples = 512;
  // Inputs with correlated features: x = A z, z standard normal, plus a
  // few large channels as a transformer's activations have.
  std::vector<float> mixing = randomValues(n * n, rng);
  std::vector<float> inputs(samples * n, 0.0f);
  for (int64_t t = 0; t < samples; ++t) {
    std::vector<float> z = randomValues(n, rng);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < n; ++k)
        inputs[t * n + i] += mixing[i * n + k] * z[k] / 16.0f;
      if (i % 64 == 3)
        inputs[t * n + i] *= 6.0f;
    }
  }
  std::vector<float> weights = randomValues(rows * n, rng);
  llvm::Expected<std::vector<double>> factor =
      gptqFactor(secondMoments(inputs, n), n, 0.01);
  ASSERT_TRUE(bool(factor)) << llvm::toString(factor.takeError());
  for (QuantScheme scheme : kSchemes) {
    double nearest =
        outputError(weights, roundTrip(scheme, weights, n, nullptr), inputs, n);
    double gptq =
        outputError(weights, roundTrip(scheme, weights, n, &*factor), inputs, n);
    EXPECT_LT(gptq, 0.7 * nearest)
        << quantSchemeName(scheme) << ": GPTQ " << gptq << ", nearest "
        << nearest;
  }
}

TEST(GptqTest, DeadInputsAreRoundedToNearest) {
  // Feature 2 is always zero: its row and column of H are zero.
  std::mt19937 rng(11);
  const int64_t n = 32;
  std::vector<float> inputs = randomValues(100 * n, rng);
  for (int64_t t = 0; t < 100; ++t)
    inputs[t * n + 2] = 0.0f;
  llvm::Expected<std::vector<double>> factor =
      gptqFactor(secondMoments(inputs, n), n, 0.01);
  ASSERT_TRUE(bool(factor)) << llvm::toString(factor.takeError());
  for (int64_t k = 3; k < n; ++k)
    EXPECT_EQ((*factor)[2 * n + k], 0.0) << "no error pushed from feature 2";
}

TEST(GptqTest, NonFiniteMomentsAreAnError) {
  std::vector<double> h = identity(4);
  h[5] = std::nan("");
  llvm::Expected<std::vector<double>> factor = gptqFactor(h, 4, 0.01);
  ASSERT_FALSE(bool(factor));
  EXPECT_EQ(llvm::toString(factor.takeError()),
            "GPTQ: the calibration inputs' second moments are not positive "
            "definite (a non-finite activation?)");
}

TEST(GptqTest, ShapeMismatchIsAnError) {
  llvm::Expected<std::vector<double>> factor = gptqFactor(identity(3), 4, 0.01);
  ASSERT_FALSE(bool(factor));
  EXPECT_EQ(llvm::toString(factor.takeError()),
            "GPTQ: a 4-column layer needs a 4 x 4 matrix");
}

} // namespace
