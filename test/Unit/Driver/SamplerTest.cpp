//===- SamplerTest.cpp - each sampling step on fixed logits ---------------===//

#include "tfm/Driver/Sampler.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <map>

using namespace mlir::tfm;

namespace {

std::vector<int32_t> idsOf(const std::vector<Candidate> &candidates) {
  std::vector<int32_t> ids;
  for (const Candidate &candidate : candidates)
    ids.push_back(candidate.id);
  return ids;
}

TEST(SamplerTest, RepeatPenaltyDividesPositiveAndMultipliesNegative) {
  std::vector<Candidate> candidates = candidatesOf({2.0f, -1.0f, 3.0f});
  applyRepeatPenalty(candidates, {0, 1, 1}, 2.0f);
  EXPECT_FLOAT_EQ(candidates[0].logit, 1.0f);
  EXPECT_FLOAT_EQ(candidates[1].logit, -2.0f); // once, though seen twice
  EXPECT_FLOAT_EQ(candidates[2].logit, 3.0f);
}

TEST(SamplerTest, TopKKeepsTheHighestSorted) {
  std::vector<Candidate> candidates =
      candidatesOf({0.5f, 3.0f, -1.0f, 2.0f, 2.0f});
  keepTopK(candidates, 3);
  EXPECT_EQ(idsOf(candidates), (std::vector<int32_t>{1, 3, 4}));
  std::vector<Candidate> all = candidatesOf({0.5f, 3.0f});
  keepTopK(all, 0);
  EXPECT_EQ(idsOf(all), (std::vector<int32_t>{1, 0}));
}

TEST(SamplerTest, ProbabilitiesAreASoftmax) {
  std::vector<Candidate> candidates = candidatesOf({0.0f, std::log(3.0f)});
  computeProbabilities(candidates);
  EXPECT_NEAR(candidates[0].probability, 0.25f, 1e-6);
  EXPECT_NEAR(candidates[1].probability, 0.75f, 1e-6);
}

TEST(SamplerTest, TopPKeepsTheSmallestPrefixReachingP) {
  // Probabilities 0.5, 0.25, 0.125, 0.125.
  std::vector<float> logits = {std::log(4.0f), std::log(2.0f), 0.0f, 0.0f};
  std::vector<Candidate> candidates = candidatesOf(logits);
  keepTopP(candidates, 0.7f);
  EXPECT_EQ(idsOf(candidates), (std::vector<int32_t>{0, 1}));
  candidates = candidatesOf(logits);
  keepTopP(candidates, 0.75f);
  EXPECT_EQ(idsOf(candidates), (std::vector<int32_t>{0, 1}));
  candidates = candidatesOf(logits);
  keepTopP(candidates, 0.1f);
  EXPECT_EQ(idsOf(candidates), (std::vector<int32_t>{0}));
}

TEST(SamplerTest, TemperatureScalesLogits) {
  std::vector<Candidate> candidates = candidatesOf({1.0f, -2.0f});
  applyTemperature(candidates, 0.5f);
  EXPECT_FLOAT_EQ(candidates[0].logit, 2.0f);
  EXPECT_FLOAT_EQ(candidates[1].logit, -4.0f);
}

TEST(SamplerTest, ZeroTemperatureIsGreedyAfterThePenalty) {
  SamplerOptions options;
  options.temperature = 0.0f;
  options.repeatPenalty = 4.0f;
  Sampler sampler(options);
  std::vector<float> logits = {1.0f, 3.0f, 2.0f};
  EXPECT_EQ(sampler.sample(logits, {}), 1);
  EXPECT_EQ(sampler.sample(logits, {1}), 2); // 3 / 4 < 2
}

TEST(SamplerTest, SeededSamplingIsReproducibleAndFollowsTheDistribution) {
  SamplerOptions options;
  options.temperature = 1.0f;
  options.topK = 0;
  options.topP = 1.0f;
  options.seed = 7;
  // Probabilities 0.1, 0.2, 0.7.
  std::vector<float> logits = {std::log(1.0f), std::log(2.0f),
                               std::log(7.0f)};
  Sampler first(options), second(options);
  std::map<int32_t, int> counts;
  for (int i = 0; i < 20000; ++i) {
    int32_t token = first.sample(logits, {});
    EXPECT_EQ(token, second.sample(logits, {}));
    ++counts[token];
  }
  EXPECT_NEAR(counts[0] / 20000.0, 0.1, 0.01);
  EXPECT_NEAR(counts[1] / 20000.0, 0.2, 0.01);
  EXPECT_NEAR(counts[2] / 20000.0, 0.7, 0.01);
}

TEST(SamplerTest, TopKOfOneIsGreedyAtAnyTemperature) {
  SamplerOptions options;
  options.temperature = 5.0f;
  options.topK = 1;
  Sampler sampler(options);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(sampler.sample({0.1f, 0.3f, 0.2f}, {}), 1);
}

} // namespace

TEST(WithoutTokens, MakesTheTokensImpossibleAndSkipsMissingOnes) {
  std::vector<float> logits = {1.0f, 5.0f, 2.0f};
  std::vector<float> scratch;
  const int32_t ends[] = {1, -1, 7};
  const float *masked = mlir::tfm::withoutTokens(logits.data(), logits.size(),
                                                 ends, 3, scratch);
  EXPECT_EQ(masked[0], 1.0f);
  EXPECT_EQ(masked[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(masked[2], 2.0f);
  EXPECT_EQ(logits[1], 5.0f);
}
