//===- TokenizerJson.h - Hugging Face tokenizer.json ------------*- C++ -*-===//
//
// The vocabulary of a Hugging Face `tokenizer.json` (with the special
// tokens and chat template of `tokenizer_config.json` beside it): byte-level
// BPE (a ByteLevel pre-tokenizer; its Split pattern names the
// pre-tokenizer), WordPiece (`##` continuations become GGUF's word-start
// marks) and Unigram. The same vocabulary gives the same ids as its GGUF
// (test/Tokenizer/tokenizer-json.test).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_TOKENIZERJSON_H
#define TFM_IMPORT_TOKENIZERJSON_H

#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::tfm {

/// Parses tokenizer.json text (`configText`: tokenizer_config.json, or
/// empty); errors name `path`.
llvm::Expected<Vocabulary> parseTokenizerJson(llvm::StringRef path,
                                              llvm::StringRef text,
                                              llvm::StringRef configText = "");

/// Reads `path`: a tokenizer.json file, or a directory holding one.
llvm::Expected<Vocabulary> readTokenizerJson(llvm::StringRef path);

/// Reads WordPiece's `vocab.txt` (a BERT directory without tokenizer.json:
/// one piece a line, the line number its id, `##` before a continuation),
/// with tokenizer_config.json beside it when there is one. BERT's special
/// tokens ([PAD], [UNK], [CLS], [SEP], [MASK], or those the config names)
/// are control tokens.
llvm::Expected<Vocabulary> readWordPieceVocabText(llvm::StringRef path);

} // namespace mlir::tfm

#endif // TFM_IMPORT_TOKENIZERJSON_H
