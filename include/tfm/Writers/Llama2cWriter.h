//===- Llama2cWriter.h - write llama2.c checkpoints --------------*- C++
//-*-===//
//
// The inverse of Llama2cModel.cpp: llama2.c's seven-field header, then the
// f32 tensors of a Llama model in llama2.c's order (the embedding, each
// kind of layer weight for all layers, the final norm, the unused RoPE
// tables, and the output matrix unless tied).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_WRITERS_LLAMA2CWRITER_H
#define TFM_WRITERS_LLAMA2CWRITER_H

#include "tfm/Model/ModelConfig.h"
#include "tfm/Writers/FloatTensor.h"

namespace mlir::tfm {

/// The checkpoint bytes of `config` with `tensors` (GGUF names); fails
/// naming the first tensor llama2.c needs that is missing.
llvm::Expected<std::vector<uint8_t>>
serializeLlama2cCheckpoint(const ModelConfig &config,
                           llvm::ArrayRef<FloatTensor> tensors);

llvm::Error writeLlama2cCheckpoint(llvm::StringRef path,
                                   const ModelConfig &config,
                                   llvm::ArrayRef<FloatTensor> tensors);

} // namespace mlir::tfm

#endif // TFM_WRITERS_LLAMA2CWRITER_H
