//===- ModelConfig.cpp - hyperparameters of a transformer -----------------===//

#include "tfm/Model/ModelConfig.h"

#include "tfm/Model/Architectures.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"

#include <cassert>
#include <cmath>
#include <utility>

using namespace mlir::tfm;
using llvm::StringRef;
using llvm::Twine;

ModelConfig ModelConfig::tiny(StringRef architecture) {
  const ArchitectureInfo *info = lookupArchitecture(architecture);
  assert(info && "tiny() of an architecture outside the table");
  ModelConfig config;
  config.family = info->family;
  config.architecture = info->name.str();
  config.layer = info->layer;
  if (config.layer.feedForward == FeedForwardKind::Plain) {
    // Multi-head attention and a 4 x dim MLP, as GPT-2, BERT and T5 have.
    config.hiddenDim = 4 * config.dim;
    config.numKvHeads = config.numHeads;
  }
  const ArchitectureDefaults &defaults = info->defaults;
  config.slidingWindow = defaults.slidingWindow;
  config.slidingPattern = defaults.slidingPattern;
  config.localRopeTheta = defaults.localRopeTheta;
  config.attentionSoftCap = defaults.attentionSoftCap;
  config.finalLogitSoftCap = defaults.finalLogitSoftCap;
  config.tiedEmbeddings = defaults.tiedEmbeddings;
  if (architecture == "bert") {
    config.normEps = 1e-12;
    config.tokenTypes = 2;
  }
  if (architecture == "t5") {
    config.numLayers = 2;
    config.numDecoderLayers = 3;
    config.normEps = 1e-6;
  }
  return config;
}

double ModelConfig::scoreScale() const {
  double scale = attentionScale > 0.0   ? attentionScale
                 : layer.unscaledScores ? 1.0
                                        : 1.0 / std::sqrt(double(headDim()));
  return scale * ropeAttentionFactor * ropeAttentionFactor;
}

double ModelConfig::ropeFrequencyOfLayer(int64_t layer, int64_t pair) const {
  if (!hasLocalRope(layer))
    return ropeFrequency(pair);
  return std::pow(localRopeTheta, -2.0 * double(pair) / double(rotaryDims()));
}

double ModelConfig::ropeFrequency(int64_t pair) const {
  const std::vector<double> &scaled = activeRopeFrequencies();
  if (!scaled.empty())
    return scaled[pair];
  return std::pow(ropeTheta, -2.0 * double(pair) / double(rotaryDims()));
}

StringRef mlir::tfm::stringifyStorageType(StorageType type) {
  switch (type) {
  case StorageType::F32:
    return "f32";
  case StorageType::F16:
    return "f16";
  case StorageType::BF16:
    return "bf16";
  }
  llvm_unreachable("unknown storage type");
}

std::optional<StorageType> mlir::tfm::parseStorageType(StringRef name) {
  return llvm::StringSwitch<std::optional<StorageType>>(name)
      .Case("f32", StorageType::F32)
      .Case("f16", StorageType::F16)
      .Case("bf16", StorageType::BF16)
      .Default(std::nullopt);
}

static llvm::Error configError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "model config: " + message);
}

static llvm::Error requirePositive(int64_t value, StringRef field) {
  if (value > 0)
    return llvm::Error::success();
  return configError(Twine(field) + " must be positive, got " + Twine(value));
}

llvm::Error mlir::tfm::validateModelConfig(const ModelConfig &config) {
  const std::pair<int64_t, StringRef> positiveFields[] = {
      {config.vocabSize, "vocab_size"},   {config.dim, "dim"},
      {config.hiddenDim, "hidden_dim"},   {config.numLayers, "num_layers"},
      {config.numHeads, "num_heads"},     {config.numKvHeads, "num_kv_heads"},
      {config.contextLength, "context_length"}};
  for (auto [value, field] : positiveFields)
    if (llvm::Error error = requirePositive(value, field))
      return error;
  if (config.positionTableRows < 0)
    return configError("position_table_rows must not be negative, got " +
                       Twine(config.positionTableRows));
  if (config.contextLength > config.positionRows())
    return configError("context_length (" + Twine(config.contextLength) +
                       ") exceeds the " + Twine(config.positionRows()) +
                       " learned positions");
  if (config.numDecoderLayers < 0)
    return configError("num_decoder_layers must not be negative, got " +
                       Twine(config.numDecoderLayers));
  if (config.numHeads % config.numKvHeads != 0)
    return configError("num_heads (" + Twine(config.numHeads) +
                       ") must be a multiple of num_kv_heads (" +
                       Twine(config.numKvHeads) + ")");
  if (config.headDimension < 0)
    return configError("head_dim must not be negative, got " +
                       Twine(config.headDimension));
  if (config.headDimension == 0 && config.dim % config.numHeads != 0)
    return configError("dim (" + Twine(config.dim) +
                       ") must be a multiple of num_heads (" +
                       Twine(config.numHeads) + ")");
  if (!lookupArchitecture(config.architecture))
    return configError("unknown architecture '" + config.architecture + "'");
  if (config.layer.positions == PositionKind::Rope) {
    int64_t rotaryDim = config.rotaryDims();
    if (config.rotaryDim < 0 || rotaryDim % 2 != 0 ||
        rotaryDim > config.headDim())
      return configError("rotary_dim (" + Twine(rotaryDim) +
                         ") must be even and at most head_dim (" +
                         Twine(config.headDim()) + ")");
    if (!(config.ropeTheta > 0.0))
      return configError("rope_theta must be positive");
    for (const std::vector<double> *frequencies :
         {&config.ropeFrequencies, &config.longRopeFrequencies}) {
      if (!frequencies->empty() &&
          int64_t(frequencies->size()) != rotaryDim / 2)
        return configError("rope frequencies: " +
                           Twine(frequencies->size()) + " values for " +
                           Twine(rotaryDim / 2) + " rotary pairs");
      for (double frequency : *frequencies)
        if (!(frequency > 0.0) || !std::isfinite(frequency))
          return configError("rope frequencies must be positive and finite");
    }
  }
  if (config.layer.positions == PositionKind::RelativeBias &&
      (config.relativeBuckets < 4 || config.relativeBuckets % 2 != 0))
    return configError("relative_buckets must be even and at least 4, got " +
                       Twine(config.relativeBuckets));
  if (config.family == ModelFamily::EncoderDecoder &&
      (config.decoderStartToken < 0 ||
       config.decoderStartToken >= config.vocabSize))
    return configError("decoder_start_token " +
                       Twine(config.decoderStartToken) +
                       " is outside the vocabulary of " +
                       Twine(config.vocabSize));
  const std::pair<double, StringRef> nonNegativeReals[] = {
      {config.attentionScale, "attention scale"},
      {config.attentionSoftCap, "attention soft cap"},
      {config.finalLogitSoftCap, "final logit soft cap"},
      {config.localRopeTheta, "local rope theta"}};
  for (auto [value, field] : nonNegativeReals)
    if (!(value >= 0.0) || !std::isfinite(value))
      return configError(Twine(field) + " must be positive and finite");
  if (!(config.ropeAttentionFactor > 0.0) ||
      !std::isfinite(config.ropeAttentionFactor))
    return configError("rope attention factor must be positive and finite");
  if (config.slidingWindow < 0 || config.slidingPattern < 0)
    return configError("sliding_window (" + Twine(config.slidingWindow) +
                       ") and its pattern (" + Twine(config.slidingPattern) +
                       ") must not be negative");
  if (!config.slidingLayers.empty() &&
      int64_t(config.slidingLayers.size()) != config.numLayers)
    return configError("the sliding-window pattern has " +
                       Twine(config.slidingLayers.size()) +
                       " layers, the model " + Twine(config.numLayers));
  if (!(config.normEps >= 0.0))
    return configError("norm_eps must not be negative");
  return llvm::Error::success();
}


StringRef mlir::tfm::stringifyNormKind(NormKind kind) {
  return kind == NormKind::RMSNorm ? "rms_norm" : "layer_norm";
}

StringRef mlir::tfm::stringifyActivationKind(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::SiLU:
    return "silu";
  case ActivationKind::GELU:
    return "gelu";
  case ActivationKind::GELUTanh:
    return "gelu_tanh";
  case ActivationKind::ReLU:
    return "relu";
  }
  llvm_unreachable("unknown activation");
}

StringRef mlir::tfm::stringifyPoolingKind(PoolingKind kind) {
  switch (kind) {
  case PoolingKind::None:
    return "none";
  case PoolingKind::Mean:
    return "mean";
  case PoolingKind::CLS:
    return "cls";
  case PoolingKind::Last:
    return "last";
  }
  llvm_unreachable("unknown pooling kind");
}

std::optional<PoolingKind> mlir::tfm::parsePoolingKind(StringRef name) {
  for (PoolingKind kind : {PoolingKind::None, PoolingKind::Mean,
                           PoolingKind::CLS, PoolingKind::Last})
    if (stringifyPoolingKind(kind) == name)
      return kind;
  return std::nullopt;
}

StringRef mlir::tfm::stringifyPositionKind(PositionKind kind) {
  switch (kind) {
  case PositionKind::Rope:
    return "rope";
  case PositionKind::Learned:
    return "learned";
  case PositionKind::RelativeBias:
    return "relative_bias";
  case PositionKind::None:
    return "none";
  }
  llvm_unreachable("unknown position kind");
}
