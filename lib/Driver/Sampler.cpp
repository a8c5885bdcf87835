//===- Sampler.cpp - next-token sampling as llama.cpp does it -------------===//

#include "tfm/Driver/Sampler.h"

#include <limits>

#include <algorithm>
#include <cmath>
#include <unordered_set>

using namespace mlir::tfm;

std::vector<Candidate> mlir::tfm::candidatesOf(const float *logits,
                                               size_t count) {
  std::vector<Candidate> candidates;
  candidates.reserve(count);
  for (size_t id = 0; id < count; ++id)
    candidates.push_back({static_cast<int32_t>(id), logits[id]});
  return candidates;
}

void mlir::tfm::applyRepeatPenalty(std::vector<Candidate> &candidates,
                                   const std::vector<int32_t> &recent,
                                   float penalty) {
  if (penalty == 1.0f || recent.empty())
    return;
  std::unordered_set<int32_t> seen(recent.begin(), recent.end());
  for (Candidate &candidate : candidates)
    if (seen.count(candidate.id))
      candidate.logit = candidate.logit > 0 ? candidate.logit / penalty
                                            : candidate.logit * penalty;
}

static bool higherLogit(const Candidate &a, const Candidate &b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

void mlir::tfm::keepTopK(std::vector<Candidate> &candidates, int32_t k) {
  size_t keep = k <= 0 ? candidates.size()
                       : std::min(candidates.size(), static_cast<size_t>(k));
  std::partial_sort(candidates.begin(), candidates.begin() + keep,
                    candidates.end(), higherLogit);
  candidates.resize(keep);
}

void mlir::tfm::computeProbabilities(std::vector<Candidate> &candidates) {
  if (candidates.empty())
    return;
  float maximum = std::max_element(candidates.begin(), candidates.end(),
                                   [](const Candidate &a, const Candidate &b) {
                                     return a.logit < b.logit;
                                   })
                      ->logit;
  double sum = 0;
  for (Candidate &candidate : candidates) {
    candidate.probability = std::exp(candidate.logit - maximum);
    sum += candidate.probability;
  }
  for (Candidate &candidate : candidates)
    candidate.probability = static_cast<float>(candidate.probability / sum);
}

void mlir::tfm::keepTopP(std::vector<Candidate> &candidates, float p) {
  if (p >= 1.0f || candidates.empty())
    return;
  std::sort(candidates.begin(), candidates.end(), higherLogit);
  computeProbabilities(candidates);
  double mass = 0;
  size_t keep = 0;
  while (keep < candidates.size()) {
    mass += candidates[keep++].probability;
    if (mass >= p)
      break;
  }
  candidates.resize(keep);
}

void mlir::tfm::applyTemperature(std::vector<Candidate> &candidates,
                                 float temperature) {
  for (Candidate &candidate : candidates)
    candidate.logit /= temperature;
}

Sampler::Sampler(const SamplerOptions &options)
    : options(options), generator(options.seed) {}

int32_t Sampler::sample(const float *logits, size_t vocab,
                        const std::vector<int32_t> &history) {
  std::vector<Candidate> candidates = candidatesOf(logits, vocab);
  if (options.repeatPenalty != 1.0f) {
    size_t lookBack = options.repeatLastN < 0
                          ? history.size()
                          : std::min(history.size(),
                                     size_t(options.repeatLastN));
    std::vector<int32_t> recent(history.end() - lookBack, history.end());
    applyRepeatPenalty(candidates, recent, options.repeatPenalty);
  }
  if (options.temperature <= 0.0f)
    return std::min_element(candidates.begin(), candidates.end(), higherLogit)
        ->id;
  keepTopK(candidates, options.topK);
  keepTopP(candidates, options.topP);
  applyTemperature(candidates, options.temperature);
  computeProbabilities(candidates);
  std::vector<double> weights;
  for (const Candidate &candidate : candidates)
    weights.push_back(candidate.probability);
  std::discrete_distribution<size_t> draw(weights.begin(), weights.end());
  return candidates[draw(generator)].id;
}

const float *mlir::tfm::withoutTokens(const float *logits, size_t vocab,
                                      const int32_t *tokens, size_t count,
                                      std::vector<float> &scratch) {
  scratch.assign(logits, logits + vocab);
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] >= 0 && size_t(tokens[i]) < vocab)
      scratch[size_t(tokens[i])] = -std::numeric_limits<float>::infinity();
  return scratch.data();
}
