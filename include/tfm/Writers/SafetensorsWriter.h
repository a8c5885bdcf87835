//===- SafetensorsWriter.h - write Hugging Face directories ------*- C++
//-*-===//
//
// The inverse of Safetensors.cpp for a Llama model: `config.json`
// (LlamaForCausalLM) and the tensors, renamed from GGUF's names to Hugging
// Face's, in one or more `model-I-of-N.safetensors` shards.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_WRITERS_SAFETENSORSWRITER_H
#define TFM_WRITERS_SAFETENSORSWRITER_H

#include "tfm/Model/ModelConfig.h"
#include "tfm/Writers/FloatTensor.h"

#include "llvm/Support/JSON.h"

namespace mlir::tfm {

/// Hugging Face's name of the Llama tensor GGUF calls `gguf`
/// (`blk.3.attn_q.weight` -> `model.layers.3.self_attn.q_proj.weight`);
/// other names are kept.
std::string huggingFaceLlamaName(llvm::StringRef gguf);

/// Writes `directory` (created if missing): config.json of `config` and
/// `shards` safetensors files, tensor i in shard `i % shards`; matrices are
/// stored as `matrixFormat` (F32, F16, BF16), everything else as F32. Entries of
/// `extraConfig` (e.g. `rope_scaling`) are added to config.json.
llvm::Error writeHuggingFaceLlama(llvm::StringRef directory,
                                  const ModelConfig &config,
                                  llvm::ArrayRef<FloatTensor> tensors,
                                  unsigned shards, WeightFormat matrixFormat,
                                  llvm::json::Object extraConfig = {});

} // namespace mlir::tfm

#endif // TFM_WRITERS_SAFETENSORSWRITER_H
