//===- Sampler.h - next-token sampling as llama.cpp does it -----*- C++ -*-===//
//
// The chain of llama.cpp's default sampler, with its flag meanings: the
// repetition penalty over the last `repeatLastN` tokens, then top-k, then
// top-p (on the probabilities at temperature 1), then the temperature, then
// a draw from a seeded generator. Temperature 0 is greedy (after the
// penalty).
//
// The C++ standard library only: the runtime links it for the C API's
// tfm_sampler (tfm.h), as tfm-run does.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DRIVER_SAMPLER_H
#define TFM_DRIVER_SAMPLER_H

#include <cstdint>
#include <random>
#include <vector>

namespace mlir::tfm {

struct SamplerOptions {
  float temperature = 0.8f;
  /// 0 keeps every token.
  int32_t topK = 40;
  /// 1 keeps every token.
  float topP = 0.95f;
  /// 1 is off.
  float repeatPenalty = 1.0f;
  /// Tokens the penalty looks back over; 0 is off, -1 the whole history.
  int32_t repeatLastN = 64;
  uint64_t seed = 0;
};

/// A token still in the running: its id, logit and (once computed)
/// probability.
struct Candidate {
  int32_t id;
  float logit;
  float probability = 0.0f;
};

/// Every token of `logits` (`count` of them) as a candidate.
std::vector<Candidate> candidatesOf(const float *logits, size_t count);
inline std::vector<Candidate> candidatesOf(const std::vector<float> &logits) {
  return candidatesOf(logits.data(), logits.size());
}

/// Divides positive and multiplies negative logits of tokens in `recent` by
/// `penalty` (each token once, however often it occurs).
void applyRepeatPenalty(std::vector<Candidate> &candidates,
                        const std::vector<int32_t> &recent, float penalty);

/// Keeps the `k` highest logits, sorted by logit, highest first; k <= 0
/// keeps all (sorted).
void keepTopK(std::vector<Candidate> &candidates, int32_t k);

/// Sets the probabilities of the candidates from their logits (softmax).
void computeProbabilities(std::vector<Candidate> &candidates);

/// Keeps the smallest prefix of the most likely candidates whose
/// probability adds up to at least `p` (at least one candidate).
void keepTopP(std::vector<Candidate> &candidates, float p);

/// Divides the logits by `temperature` (> 0).
void applyTemperature(std::vector<Candidate> &candidates, float temperature);

/// `logits` (`vocab` of them) copied into `scratch` with `tokens` made
/// impossible (-inf), as llama.cpp's --ignore-eos biases the end-of-text
/// tokens; ids outside the vocabulary (kNoToken) are skipped.
const float *withoutTokens(const float *logits, size_t vocab,
                           const int32_t *tokens, size_t count,
                           std::vector<float> &scratch);

class Sampler {
public:
  explicit Sampler(const SamplerOptions &options);

  /// The next token after `history` (the prompt and what was generated),
  /// from the `vocab` logits of the last one.
  int32_t sample(const float *logits, size_t vocab,
                 const std::vector<int32_t> &history);
  int32_t sample(const std::vector<float> &logits,
                 const std::vector<int32_t> &history) {
    return sample(logits.data(), logits.size(), history);
  }

private:
  SamplerOptions options;
  std::mt19937_64 generator;
};

} // namespace mlir::tfm

#endif // TFM_DRIVER_SAMPLER_H
