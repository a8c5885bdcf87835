//===- FuzzTokenizer.cpp - libFuzzer target: llama2.c tokenizer files -----===//
//
// Parses the input as a tokenizer file; when it parses, encodes the input's
// own bytes with it and decodes the ids, so the encoder sees arbitrary
// vocabularies and arbitrary (also invalid UTF-8) text.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/TokenizerFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<mlir::tfm::Vocabulary> vocab =
      mlir::tfm::parseLlama2cTokenizer("fuzz.bin",
                                       llvm::ArrayRef<uint8_t>(data, size));
  if (!vocab) {
    llvm::consumeError(vocab.takeError());
    return 0;
  }
  mlir::tfm::Tokenizer tokenizer(std::move(*vocab));
  llvm::StringRef text(reinterpret_cast<const char *>(data),
                       std::min<size_t>(size, 4096));
  std::vector<int32_t> ids = tokenizer.encode(text, /*addBos=*/true);
  std::string decoded = tokenizer.decode(ids);
  return decoded.size() == SIZE_MAX;
}
