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
