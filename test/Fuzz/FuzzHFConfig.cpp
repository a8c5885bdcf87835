//===- FuzzHFConfig.cpp - libFuzzer target: Hugging Face config.json ------===//

#include "tfm/Import/Safetensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<mlir::tfm::ModelConfig> config = mlir::tfm::parseHFConfig(
      "config.json",
      llvm::StringRef(reinterpret_cast<const char *>(data), size));
  if (!config)
    llvm::consumeError(config.takeError());
  return 0;
}
