//===- FuzzTokenizerJson.cpp - libFuzzer target: tokenizer.json -----------===//
//
// Parses the input as a Hugging Face tokenizer.json; when it parses,
// encodes the input's own bytes with it (special tokens parsed and not)
// and decodes the ids.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/TokenizerJson.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<mlir::tfm::Vocabulary> vocab =
      mlir::tfm::parseTokenizerJson("fuzz.json", text);
  if (!vocab) {
    llvm::consumeError(vocab.takeError());
    return 0;
  }
  mlir::tfm::Tokenizer tokenizer(std::move(*vocab));
  std::string_view sample(text.data(), std::min<size_t>(size, 4096));
  for (bool special : {false, true}) {
    std::vector<int32_t> ids = tokenizer.encode(sample, true, special);
    for (int32_t id : ids)
      if (id < 0 || size_t(id) >= tokenizer.vocabulary().size())
        std::abort();
    if (tokenizer.decode(ids).size() == SIZE_MAX)
      return 1;
  }
  return 0;
}
