//===- CompiledVocabulary.h - the tokenizer of a compiled directory -*- C++ -*-===//
//
// A compiled directory keeps its vocabulary as llama2.c's tokenizer.bin
// (pieces and scores, what the C API reads) and the rest in manifest.json's
// "tokenizer" object: special-token ids, the kinds of the tokens that are
// not text (control, user-defined: what parseSpecial splits out), whether
// BOS is added, and the chat template.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_COMPILEDVOCABULARY_H
#define TFM_COMPILER_COMPILEDVOCABULARY_H

#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::tfm {

/// tokenizer.bin of `directory` with manifest.json's tokenizer facts.
llvm::Expected<Vocabulary> loadCompiledVocabulary(llvm::StringRef directory);

} // namespace mlir::tfm

#endif // TFM_COMPILER_COMPILEDVOCABULARY_H
