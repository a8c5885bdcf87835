//===- ModelConfig.h - hyperparameters of a transformer ---------*- C++ -*-===//
//
// The small struct every importer fills from a model file and the builder
// turns into tfm IR. Depends on LLVM Support only, so readers and the runtime
// side can use it without MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_MODELCONFIG_H
#define TFM_MODEL_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace mlir::tfm {

enum class ModelArch {
  /// Decoder: pre-norm RMSNorm, RoPE, GQA, SwiGLU FFN.
  Llama,
  /// Decoder: pre-norm LayerNorm with bias, learned positions, GELU, MHA.
  GPT2,
  /// Encoder: post-norm LayerNorm, learned positions, GELU, full mask.
  BERT,
  /// Encoder-decoder: pre-norm RMSNorm, ReLU FFN, cross-attention.
  T5,
};

/// Storage type of weights or of the KV cache.
enum class StorageType { F32, F16, BF16 };

struct ModelConfig {
  ModelArch arch = ModelArch::Llama;
  int64_t vocabSize = 512;
  int64_t dim = 64;
  int64_t hiddenDim = 172;
  /// Layers of a decoder or encoder; the encoder's layers for T5.
  int64_t numLayers = 5;
  /// T5 only: decoder layers; 0 means the same as numLayers.
  int64_t numDecoderLayers = 0;
  int64_t numHeads = 8;
  /// Fewer than numHeads gives GQA, 1 gives MQA. Only Llama uses it.
  int64_t numKvHeads = 4;
  /// Longest sequence: KV cache length, learned position table size.
  int64_t contextLength = 512;
  /// Rows of a learned position table when the file's table is longer than
  /// the context compiled for (a GPT-2 file's 1024 positions served with a
  /// shorter KV cache); 0 means contextLength.
  int64_t positionTableRows = 0;
  /// Rotary dimensions per head; 0 means the whole head (Llama only).
  int64_t rotaryDim = 0;
  double ropeTheta = 10000.0;
  /// True for llama2.c / GGUF `llama` weights, false for Hugging Face layout.
  bool ropeInterleaved = true;
  double normEps = 1e-5;
  /// The logits reuse the token embedding table instead of `output.weight`.
  bool tiedEmbeddings = false;
  StorageType weightType = StorageType::F32;
  StorageType kvCacheType = StorageType::F32;

  int64_t headDim() const { return numHeads > 0 ? dim / numHeads : 0; }
  int64_t positionRows() const {
    return positionTableRows > 0 ? positionTableRows : contextLength;
  }
  int64_t decoderLayers() const {
    return numDecoderLayers > 0 ? numDecoderLayers : numLayers;
  }
  bool isDecoder() const { return arch != ModelArch::BERT; }

  /// Small models of each architecture, the shapes of a test model.
  static ModelConfig tinyLlama();
  static ModelConfig tinyGPT2();
  static ModelConfig tinyBERT();
  static ModelConfig tinyT5();
};

/// Returns the canonical lowercase name ("llama", "gpt2", "bert", "t5").
llvm::StringRef stringifyModelArch(ModelArch arch);
std::optional<ModelArch> parseModelArch(llvm::StringRef name);
llvm::StringRef stringifyStorageType(StorageType type);
std::optional<StorageType> parseStorageType(llvm::StringRef name);

/// Checks that the hyperparameters describe a model the dialect can express;
/// the error names the first offending field.
llvm::Error validateModelConfig(const ModelConfig &config);

} // namespace mlir::tfm

#endif // TFM_MODEL_MODELCONFIG_H
