//===- Architectures.h - the table of supported architectures ---*- C++ -*-===//
//
// Every architecture tfm reads is one row: its GGUF name, its Hugging Face
// class, its family and the layer choices it makes, and how llama.cpp's
// converter lays its tensors out in a GGUF file. Importers, the builder,
// the reference model and tfm-make-model all read the same row, so adding
// an architecture whose choices exist is adding a row (docs/models.md).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_ARCHITECTURES_H
#define TFM_MODEL_ARCHITECTURES_H

#include "tfm/Model/ModelConfig.h"

#include "llvm/ADT/ArrayRef.h"

namespace mlir::tfm {

/// What llama.cpp assumes of an architecture when its file leaves a key
/// out: tfm's readers assume the same.
struct ArchitectureDefaults {
  /// Sliding window (0: none unless the file gives one) and the layer
  /// pattern: every `slidingPattern`-th layer is global (layer l slides
  /// when l % pattern < pattern - 1; 0: all layers slide).
  int64_t slidingWindow = 0;
  int64_t slidingPattern = 0;
  /// RoPE base of sliding layers (0: the global base).
  double localRopeTheta = 0.0;
  double attentionSoftCap = 0.0;
  double finalLogitSoftCap = 0.0;
  /// Gemma's largest model (this many layers) scales attention scores by
  /// 1 / sqrt(dim / heads) instead of 1 / sqrt(head_dim); 0: never.
  int64_t layersScalingByWidth = 0;
  /// The logits read the embedding table (there is no output.weight).
  bool tiedEmbeddings = false;
};

struct ArchitectureInfo {
  /// GGUF `general.architecture`, and the prefix of its metadata keys.
  llvm::StringRef name;
  /// config.json `architectures[0]`, or empty when tfm reads no Hugging
  /// Face directory of the architecture.
  llvm::StringRef huggingFaceClass;
  ModelFamily family;
  LayerChoices layer;
  /// llama.cpp's converter writes Q, K and V as one `attn_qkv` tensor
  /// (GPT-2, Phi-3), and the FFN's gate and up as one `ffn_up` of twice
  /// the rows, gate first (Phi-3).
  bool ggufFusedQKV = false;
  bool ggufFusedGateUp = false;
  /// Released models of the architecture, for listings.
  llvm::StringRef models;
  ArchitectureDefaults defaults = {};
};


/// Every supported architecture, in the order of docs/models.md.
llvm::ArrayRef<ArchitectureInfo> architectures();
/// The row of GGUF name `name`, or null.
const ArchitectureInfo *lookupArchitecture(llvm::StringRef name);
/// The row of Hugging Face class `className`, or null (several classes may
/// share a row: Mistral is Llama's).
const ArchitectureInfo *lookupHuggingFaceArchitecture(llvm::StringRef className);
/// "llama, qwen2, ..." for error messages (decoders only with
/// `decodersOnly`).
std::string listArchitectures(bool decodersOnly = false);
std::string listHuggingFaceArchitectures();

} // namespace mlir::tfm

#endif // TFM_MODEL_ARCHITECTURES_H
