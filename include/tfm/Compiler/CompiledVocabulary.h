//===- CompiledVocabulary.h - the tokenizer of a compiled directory -*- C++ -*-===//
//
// A compiled directory keeps its whole vocabulary in vocabulary.bin
// (serializeVocabulary: pieces, scores, kinds, merges, pre-tokenizer,
// special ids and flags, chat template), which the C API reads too.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_COMPILEDVOCABULARY_H
#define TFM_COMPILER_COMPILEDVOCABULARY_H

#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::tfm {

/// The vocabulary of compiled directory `directory`.
llvm::Expected<Vocabulary> loadCompiledVocabulary(llvm::StringRef directory);

} // namespace mlir::tfm

#endif // TFM_COMPILER_COMPILEDVOCABULARY_H
