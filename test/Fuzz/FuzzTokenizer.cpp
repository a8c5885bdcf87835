//===- FuzzTokenizer.cpp - libFuzzer target: tokenizer files --------------===//
//
// Parses the input as a compiled vocabulary file (when it starts with its
// magic) or a llama2.c tokenizer file; when it parses, encodes the input's
// own bytes with it and decodes the ids, so the encoder sees arbitrary
// vocabularies and arbitrary (also invalid UTF-8) text.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/TokenizerFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::tfm::Vocabulary vocab;
  std::optional<mlir::tfm::TokenizerError> error =
      mlir::tfm::isVocabularyFile(data, size)
          ? mlir::tfm::parseVocabularyBytes(data, size, std::nullopt, vocab)
          : mlir::tfm::parseLlama2cTokenizerBytes(data, size, std::nullopt,
                                                  vocab);
  if (error)
    return 0;
  mlir::tfm::Tokenizer tokenizer(std::move(vocab));
  llvm::StringRef text(reinterpret_cast<const char *>(data),
                       std::min<size_t>(size, 4096));
  std::vector<int32_t> ids = tokenizer.encode(text, /*addBos=*/true);
  std::string decoded = tokenizer.decode(ids);
  return decoded.size() == SIZE_MAX;
}
