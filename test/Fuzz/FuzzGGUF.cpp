//===- FuzzGGUF.cpp - libFuzzer target: GGUF model files ------------------===//
//
// Parses the input as a GGUF `llama` model: container, metadata,
// hyperparameters, tensor table and vocabulary; and its vocabulary alone,
// encoding the input with it (every tokenizer model).
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/ModelFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto buffer = llvm::MemoryBuffer::getMemBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.gguf",
      /*RequiresNullTerminator=*/false);
  // The vocabulary alone (vocabulary-only files too), encoding the input's
  // own bytes with it when it reads.
  llvm::Expected<mlir::tfm::Vocabulary> vocab =
      mlir::tfm::parseGGUFVocabulary("fuzz.gguf",
                                     llvm::ArrayRef<uint8_t>(data, size));
  if (vocab) {
    mlir::tfm::Tokenizer tokenizer(std::move(*vocab));
    std::vector<int32_t> ids = tokenizer.encode(
        std::string_view(reinterpret_cast<const char *>(data),
                         std::min<size_t>(size, 1024)),
        true, true);
    if (tokenizer.decode(ids).size() == SIZE_MAX)
      return 1;
  } else {
    llvm::consumeError(vocab.takeError());
  }
  llvm::Expected<std::unique_ptr<mlir::tfm::ModelFile>> model =
      mlir::tfm::readGGUFModel("fuzz.gguf", std::move(buffer));
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  // Touch every view: it must lie inside the input.
  uint64_t sum = 0;
  for (const mlir::tfm::TensorView &view : (*model)->tensors())
    if (!view.data.empty())
      sum += view.data.front() + view.data.back();
  return sum == UINT64_MAX;
}
