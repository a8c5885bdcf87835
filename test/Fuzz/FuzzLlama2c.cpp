//===- FuzzLlama2c.cpp - libFuzzer target: llama2.c checkpoints -----------===//

#include "tfm/Import/ModelFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto buffer = llvm::MemoryBuffer::getMemBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.bin",
      /*RequiresNullTerminator=*/false);
  llvm::Expected<std::unique_ptr<mlir::tfm::ModelFile>> model =
      mlir::tfm::readLlama2cModel("fuzz.bin", std::move(buffer));
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  uint64_t sum = 0;
  for (const mlir::tfm::TensorView &view : (*model)->tensors())
    sum += view.data.front() + view.data.back();
  return sum == UINT64_MAX;
}
