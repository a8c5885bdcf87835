//===- SafetensorsWriter.h - write Hugging Face directories -----*- C++ -*-===//
//
// The inverse of lib/Import/Safetensors.cpp: `config.json` as the Hugging
// Face class of the architecture writes it, and safetensors shards written
// tensor by tensor (the header first, then each tensor's bytes from a
// producer), so a model of any size is written in the memory of one
// tensor at most. Names and stored forms come from tfm/Model/
// HuggingFaceNames.h, the table the reader uses.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_WRITERS_SAFETENSORSWRITER_H
#define TFM_WRITERS_SAFETENSORSWRITER_H

#include "tfm/Model/HuggingFaceNames.h"
#include "tfm/Model/ModelConfig.h"
#include "tfm/Writers/FloatTensor.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

namespace mlir::tfm {

/// One safetensors file: tensors added with their stored form, written by
/// writeFile in the order added.
class SafetensorsWriter {
public:
  /// Writes the tensor's bytes (`bytes` of them) to the stream when
  /// writeFile reaches it, in pieces as it likes.
  using TensorProducer = std::function<void(llvm::raw_ostream &)>;
  void addTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                 WeightFormat format, uint64_t bytes, TensorProducer produce);
  llvm::Error writeFile(llvm::StringRef path) const;

private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    WeightFormat format;
    uint64_t bytes;
    TensorProducer produce;
  };
  std::vector<Tensor> tensors;
};

/// config.json of `config` as its architecture's Hugging Face class has it
/// (GPT-2's n_embd, n_layer...; Gemma's soft caps and query_pre_attn_scalar;
/// sliding windows), with the entries of `extra` (e.g. `rope_scaling`).
llvm::Error writeHuggingFaceConfig(llvm::StringRef directory,
                                   const ModelConfig &config,
                                   llvm::json::Object extra = {});

/// Whether the stored values of tfm's tensor `gguf` differ from tfm's
/// (huggingFaceValues changes them): a transform of the table, or the
/// Q/K rows of an architecture whose GGUF files pair RoPE features
/// (2j, 2j+1) where Hugging Face pairs (j, j + R/2).
bool huggingFaceValuesDiffer(const ModelConfig &config, llvm::StringRef gguf,
                             HuggingFaceTransform transform);

/// `tensor` (tfm's name, shape and values) as a Hugging Face checkpoint
/// stores it: the inverse of the reader's transform, and Llama's Q/K rows
/// back in half-split pairs (llama.cpp's converter permutes them).
FloatTensor huggingFaceValues(const ModelConfig &config, FloatTensor tensor,
                              HuggingFaceTransform transform);

} // namespace mlir::tfm

#endif // TFM_WRITERS_SAFETENSORSWRITER_H
