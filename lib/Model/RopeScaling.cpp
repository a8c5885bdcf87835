//===- RopeScaling.cpp - RoPE frequency scalings --------------------------===//

#include "tfm/Model/RopeScaling.h"

#include <algorithm>
#include <cmath>

using namespace mlir::tfm;

namespace {

/// `config` with the frequencies theta^(-2j / R) of no scaling.
ModelConfig unscaledOf(const ModelConfig &config) {
  ModelConfig unscaled = config;
  unscaled.ropeFrequencies.clear();
  unscaled.longRopeFrequencies.clear();
  return unscaled;
}

} // namespace

std::vector<float> mlir::tfm::llama3RopeDivisors(const ModelConfig &config,
                                                 double factor,
                                                 double lowFreqFactor,
                                                 double highFreqFactor,
                                                 double originalContext) {
  ModelConfig unscaled = unscaledOf(config);
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

void mlir::tfm::applyYarnScaling(ModelConfig &config,
                                  const YarnScaling &yarn) {
  ModelConfig unscaled = unscaledOf(config);
  double rotary = double(config.rotaryDims());
  // The pair that turns `rotations` times over the original context, as
  // llama.cpp's ggml_rope_yarn_corr_dims and Hugging Face's
  // find_correction_range compute it.
  auto correctionPair = [&](double rotations) {
    return rotary * std::log(yarn.originalContext / (rotations * 2.0 * M_PI)) /
           (2.0 * std::log(config.ropeTheta));
  };
  double low = std::max(0.0, std::floor(correctionPair(yarn.betaFast)));
  double high = std::min(rotary - 1.0, std::ceil(correctionPair(yarn.betaSlow)));
  config.ropeFrequencies.clear();
  for (int64_t j = 0; j < config.rotaryDims() / 2; ++j) {
    double ramp = std::clamp((double(j) - low) / std::max(0.001, high - low),
                             0.0, 1.0);
    double extrapolation = 1.0 - ramp;
    config.ropeFrequencies.push_back(
        unscaled.ropeFrequency(j) *
        ((1.0 - extrapolation) / yarn.factor + extrapolation));
  }
  config.ropeAttentionFactor =
      yarn.attentionFactor > 0.0 ? yarn.attentionFactor
      : yarn.factor > 1.0        ? 0.1 * std::log(yarn.factor) + 1.0
                                 : 1.0;
}

double mlir::tfm::longRopeAttentionFactor(double context,
                                          double originalContext) {
  double scale = context / originalContext;
  return scale > 1.0
             ? std::sqrt(1.0 + std::log(scale) / std::log(originalContext))
             : 1.0;
}

void mlir::tfm::applyLongRope(ModelConfig &config,
                               const std::vector<float> &shortFactors,
                               const std::vector<float> &longFactors,
                               int64_t originalContext,
                               double attentionFactor) {
  applyRopeDivisors(config, longFactors);
  config.longRopeFrequencies = std::move(config.ropeFrequencies);
  applyRopeDivisors(config, shortFactors);
  config.longRopeOriginalContext = originalContext;
  config.ropeAttentionFactor = attentionFactor;
}

void mlir::tfm::applyRopeDivisors(ModelConfig &config,
                                  const std::vector<float> &divisors,
                                  double linearFactor) {
  ModelConfig unscaled = unscaledOf(config);
  config.ropeFrequencies.clear();
  for (int64_t j = 0; j < config.rotaryDims() / 2; ++j) {
    double divisor = linearFactor * (divisors.empty() ? 1.0 : divisors[j]);
    config.ropeFrequencies.push_back(unscaled.ropeFrequency(j) / divisor);
  }
}
