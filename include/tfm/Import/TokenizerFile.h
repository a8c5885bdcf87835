//===- TokenizerFile.h - tokenizer files, with the readers' errors -*- C++ -*-===//
//
// The tokenizer's own parsing (tfm/Tokenizer/Tokenizer.h) is plain C++ so
// the runtime can link it; these wrap it for the importers and tools, with
// errors as one line `FILE: offset N: what is wrong` like every model
// reader's.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_TOKENIZERFILE_H
#define TFM_IMPORT_TOKENIZERFILE_H

#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::tfm {

/// checkVocabulary, the error naming `source`.
llvm::Error validateVocabulary(const Vocabulary &vocabulary,
                               llvm::StringRef source);

/// parseLlama2cTokenizerBytes of `bytes`, the error naming `fileName`.
llvm::Expected<Vocabulary>
parseLlama2cTokenizer(llvm::StringRef fileName, llvm::ArrayRef<uint8_t> bytes,
                      std::optional<int64_t> expectedSize = std::nullopt);

/// Reads and parses a llama2.c tokenizer file.
llvm::Expected<Vocabulary>
loadLlama2cTokenizer(llvm::StringRef path,
                     std::optional<int64_t> expectedSize = std::nullopt);

/// Reads and parses a compiled directory's vocabulary file
/// (serializeVocabulary's bytes).
llvm::Expected<Vocabulary>
loadVocabularyFile(llvm::StringRef path,
                   std::optional<int64_t> expectedSize = std::nullopt);

} // namespace mlir::tfm

#endif // TFM_IMPORT_TOKENIZERFILE_H
