//===- ModelConfig.cpp - hyperparameters of a transformer -----------------===//

#include "tfm/Model/ModelConfig.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"

#include <utility>

using namespace mlir::tfm;
using llvm::StringRef;
using llvm::Twine;

ModelConfig ModelConfig::tinyLlama() {
  ModelConfig config;
  config.arch = ModelArch::Llama;
  return config;
}

ModelConfig ModelConfig::tinyGPT2() {
  ModelConfig config;
  config.arch = ModelArch::GPT2;
  config.hiddenDim = 4 * config.dim;
  config.numKvHeads = config.numHeads;
  config.tiedEmbeddings = true;
  return config;
}

ModelConfig ModelConfig::tinyBERT() {
  ModelConfig config;
  config.arch = ModelArch::BERT;
  config.hiddenDim = 4 * config.dim;
  config.numKvHeads = config.numHeads;
  config.normEps = 1e-12;
  return config;
}

ModelConfig ModelConfig::tinyT5() {
  ModelConfig config;
  config.arch = ModelArch::T5;
  config.hiddenDim = 4 * config.dim;
  config.numKvHeads = config.numHeads;
  config.numLayers = 2;
  config.numDecoderLayers = 3;
  config.normEps = 1e-6;
  config.tiedEmbeddings = true;
  return config;
}

StringRef mlir::tfm::stringifyModelArch(ModelArch arch) {
  switch (arch) {
  case ModelArch::Llama:
    return "llama";
  case ModelArch::GPT2:
    return "gpt2";
  case ModelArch::BERT:
    return "bert";
  case ModelArch::T5:
    return "t5";
  }
  llvm_unreachable("unknown model architecture");
}

std::optional<ModelArch> mlir::tfm::parseModelArch(StringRef name) {
  return llvm::StringSwitch<std::optional<ModelArch>>(name)
      .Case("llama", ModelArch::Llama)
      .Case("gpt2", ModelArch::GPT2)
      .Case("bert", ModelArch::BERT)
      .Case("t5", ModelArch::T5)
      .Default(std::nullopt);
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
  if (config.dim % config.numHeads != 0)
    return configError("dim (" + Twine(config.dim) +
                       ") must be a multiple of num_heads (" +
                       Twine(config.numHeads) + ")");
  if (config.arch == ModelArch::Llama) {
    int64_t rotaryDim = config.rotaryDim ? config.rotaryDim : config.headDim();
    if (config.rotaryDim < 0 || rotaryDim % 2 != 0 ||
        rotaryDim > config.headDim())
      return configError("rotary_dim (" + Twine(rotaryDim) +
                         ") must be even and at most head_dim (" +
                         Twine(config.headDim()) + ")");
    if (!(config.ropeTheta > 0.0))
      return configError("rope_theta must be positive");
  }
  if (config.arch == ModelArch::T5 && config.dim % 2 != 0)
    return configError("dim (" + Twine(config.dim) +
                       ") must be even for sinusoidal positions");
  if (!(config.normEps >= 0.0))
    return configError("norm_eps must not be negative");
  return llvm::Error::success();
}

