//===- RopeScaling.cpp - RoPE frequency scalings --------------------------===//

#include "tfm/Model/RopeScaling.h"

#include <cmath>

using namespace mlir::tfm;

std::vector<float> mlir::tfm::llama3RopeDivisors(const ModelConfig &config,
                                                 double factor,
                                                 double lowFreqFactor,
                                                 double highFreqFactor,
                                                 double originalContext) {
  ModelConfig unscaled = config;
  unscaled.ropeFrequencies.clear();
  double lowFreqWavelength = originalContext / lowFreqFactor;
  double highFreqWavelength = originalContext / highFreqFactor;
  std::vector<float> divisors;
  for (int64_t j = 0; j < config.rotaryDims() / 2; ++j) {
    double wavelength = 2.0 * M_PI / unscaled.ropeFrequency(j);
    if (wavelength < highFreqWavelength) {
      divisors.push_back(1.0f);
    } else if (wavelength > lowFreqWavelength) {
      divisors.push_back(float(factor));
    } else {
      double smooth = (originalContext / wavelength - lowFreqFactor) /
                      (highFreqFactor - lowFreqFactor);
      divisors.push_back(float(1.0 / ((1.0 - smooth) / factor + smooth)));
    }
  }
  return divisors;
}

void mlir::tfm::applyRopeDivisors(ModelConfig &config,
                                  const std::vector<float> &divisors,
                                  double linearFactor) {
  ModelConfig unscaled = config;
  unscaled.ropeFrequencies.clear();
  config.ropeFrequencies.clear();
  for (int64_t j = 0; j < config.rotaryDims() / 2; ++j) {
    double divisor = linearFactor * (divisors.empty() ? 1.0 : divisors[j]);
    config.ropeFrequencies.push_back(unscaled.ropeFrequency(j) / divisor);
  }
}
