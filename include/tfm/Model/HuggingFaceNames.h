//===- HuggingFaceNames.h - Hugging Face tensor names of each architecture -*- C++ -*-===//
//
// tfm names tensors as GGUF does (`blk.3.attn_q.weight`); a Hugging Face
// checkpoint names them per model class (`model.layers.3.self_attn.q_proj.
// weight`, GPT-2's `transformer.h.3.attn.c_attn.weight`) and stores some
// differently: Gemma's RMSNorm weights hold w where the scale is 1 + w,
// GPT-2's Conv1D matrices are [in, out]. One table per layout, shared by
// the reader (lib/Import/Safetensors.cpp) and the writer
// (lib/Writers/SafetensorsWriter.cpp), so each is the other's inverse.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_HUGGINGFACENAMES_H
#define TFM_MODEL_HUGGINGFACENAMES_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::tfm {

/// How a Hugging Face tensor's values differ from tfm's.
enum class HuggingFaceTransform {
  None,
  /// tfm's weight is 1 + the stored one (Gemma's norms).
  AddOne,
  /// Stored [in, out], tfm's is [out, in] (GPT-2's Conv1D).
  Transpose,
};

struct HuggingFaceTensor {
  std::string huggingFace;
  std::string gguf;
  HuggingFaceTransform transform = HuggingFaceTransform::None;
};

/// The tensor of architecture `architecture` (the table's name) that a
/// Hugging Face checkpoint calls `name`; none for what tfm does not read
/// (rotary `inv_freq` buffers, GPT-2's attention masks).
std::optional<HuggingFaceTensor>
fromHuggingFaceName(llvm::StringRef architecture, llvm::StringRef name);

/// The Hugging Face name of tfm's tensor `gguf`; none when the layout has
/// no such tensor. `gatedFeedForward` picks the gated FFN's names where the
/// two kinds differ (T5 v1.1's `wi_1` for `ffn_up`, v1.0's `wi`).
std::optional<HuggingFaceTensor> toHuggingFaceName(llvm::StringRef architecture,
                                                   llvm::StringRef gguf,
                                                   bool gatedFeedForward = false);

} // namespace mlir::tfm

#endif // TFM_MODEL_HUGGINGFACENAMES_H
