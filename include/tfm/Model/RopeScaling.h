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

/// Sets `config.ropeFrequencies` to the unscaled frequencies divided by
/// `divisors` (one per rotary pair) and by `linearFactor`.
void applyRopeDivisors(ModelConfig &config, const std::vector<float> &divisors,
                       double linearFactor = 1.0);

} // namespace mlir::tfm

#endif // TFM_MODEL_ROPESCALING_H
