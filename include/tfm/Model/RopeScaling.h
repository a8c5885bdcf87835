//===- RopeScaling.h - RoPE frequency scalings ------------------*- C++ -*-===//
//
// Scaled RoPE variants change the frequency of each rotary pair; tfm folds
// every scaling into ModelConfig::ropeFrequencies at import, so the IR and
// the kernels only ever see one frequency per pair. The per-pair divisors
// here are what llama.cpp's converter stores as `rope_freqs.weight`.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_ROPESCALING_H
#define TFM_MODEL_ROPESCALING_H

#include "tfm/Model/ModelConfig.h"

#include <vector>

namespace mlir::tfm {

/// Llama 3.1's scaling: pairs of wavelength below
/// `originalContext / highFreqFactor` keep their frequency, pairs above
/// `originalContext / lowFreqFactor` divide it by `factor`, and the ones
/// between blend the two. Returns the divisor of each pair of `config`.
std::vector<float> llama3RopeDivisors(const ModelConfig &config, double factor,
                                      double lowFreqFactor,
                                      double highFreqFactor,
                                      double originalContext);

/// YaRN (llama.cpp's rope_yarn, Hugging Face's "yarn" rope_scaling): pairs
/// that turn more than `betaFast` times over the original context keep
/// their frequency, pairs that turn fewer than `betaSlow` times divide it by
/// `factor`, a linear ramp between; the rotated Q and K are multiplied by
/// the attention factor (0: 0.1 ln(factor) + 1), so the scores by its
/// square.
struct YarnScaling {
  double factor = 1.0;
  double originalContext = 0.0;
  double betaFast = 32.0;
  double betaSlow = 1.0;
  double attentionFactor = 0.0;
};

/// Sets `config.ropeFrequencies` and `config.ropeAttentionFactor`.
void applyYarnScaling(ModelConfig &config, const YarnScaling &yarn);

/// LongRoPE's default magnitude on the rotated Q and K of a model extended
/// from `originalContext` to `context` positions: sqrt(1 + ln(scale) /
/// ln(originalContext)), 1 when not extended (Hugging Face's and
/// llama.cpp's converter's formula).
double longRopeAttentionFactor(double context, double originalContext);

/// LongRoPE (Phi-3's "longrope"/"su"): the unscaled frequencies divided
/// per pair by `shortFactors` for contexts up to `originalContext` and by
/// `longFactors` beyond; the rotated Q and K are multiplied by
/// `attentionFactor`.
void applyLongRope(ModelConfig &config, const std::vector<float> &shortFactors,
                   const std::vector<float> &longFactors,
                   int64_t originalContext, double attentionFactor);

/// Sets `config.ropeFrequencies` to the unscaled frequencies divided by
/// `divisors` (one per rotary pair) and by `linearFactor`.
void applyRopeDivisors(ModelConfig &config, const std::vector<float> &divisors,
                       double linearFactor = 1.0);

} // namespace mlir::tfm

#endif // TFM_MODEL_ROPESCALING_H
