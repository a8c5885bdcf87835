//===- Llama2cWriter.cpp - write llama2.c checkpoints ---------------------===//

#include "tfm/Writers/Llama2cWriter.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

using namespace mlir::tfm;

llvm::Expected<std::vector<uint8_t>>
mlir::tfm::serializeLlama2cCheckpoint(const ModelConfig &config,
                                      llvm::ArrayRef<FloatTensor> tensors) {
  llvm::StringMap<const FloatTensor *> byName;
  for (const FloatTensor &tensor : tensors)
    byName[tensor.name] = &tensor;
  std::vector<uint8_t> out;
  // A negative vocabulary size says the output matrix is stored.
  int32_t vocab =
      int32_t(config.tiedEmbeddings ? config.vocabSize : -config.vocabSize);
  for (int32_t field :
       {int32_t(config.dim), int32_t(config.hiddenDim),
        int32_t(config.numLayers), int32_t(config.numHeads),
        int32_t(config.numKvHeads), vocab, int32_t(config.contextLength)})
    appendLittleEndian(out, field);
  auto put = [&](const std::string &name) -> llvm::Error {
    const FloatTensor *tensor = byName.lookup(name);
    if (!tensor)
      return llvm::createStringError("llama2.c checkpoint: no tensor '" + name +
                                     "'");
    for (float value : tensor->values)
      appendLittleEndian(out, value);
    return llvm::Error::success();
  };
  if (llvm::Error error = put("token_embd.weight"))
    return std::move(error);
  for (const char *kind :
       {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
        "ffn_gate", "ffn_down", "ffn_up"})
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
      if (llvm::Error error =
              put(("blk." + llvm::Twine(layer) + "." + kind + ".weight").str()))
        return std::move(error);
  if (llvm::Error error = put("output_norm.weight"))
    return std::move(error);
  // freq_cis_real and freq_cis_imag: tfm computes RoPE, llama2.c's readers
  // skip them.
  for (int64_t i = 0; i < config.contextLength * config.headDim(); ++i)
    appendLittleEndian(out, 0.0f);
  if (!config.tiedEmbeddings)
    if (llvm::Error error = put("output.weight"))
      return std::move(error);
  return out;
}

llvm::Error
mlir::tfm::writeLlama2cCheckpoint(llvm::StringRef path,
                                  const ModelConfig &config,
                                  llvm::ArrayRef<FloatTensor> tensors) {
  llvm::Expected<std::vector<uint8_t>> bytes =
      serializeLlama2cCheckpoint(config, tensors);
  if (!bytes)
    return bytes.takeError();
  return writeFileBytes(path, *bytes);
}
