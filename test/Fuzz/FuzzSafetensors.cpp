//===- FuzzSafetensors.cpp - libFuzzer target: safetensors headers --------===//

#include "tfm/Import/Safetensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::ArrayRef<uint8_t> bytes(data, size);
  llvm::Expected<std::vector<mlir::tfm::SafetensorsEntry>> entries =
      mlir::tfm::parseSafetensors("fuzz.safetensors", bytes);
  if (!entries) {
    llvm::consumeError(entries.takeError());
    return 0;
  }
  uint64_t sum = 0;
  for (const mlir::tfm::SafetensorsEntry &entry : *entries)
    if (entry.end > entry.begin)
      sum += bytes[entry.begin] + bytes[entry.end - 1];
  return sum == UINT64_MAX;
}
