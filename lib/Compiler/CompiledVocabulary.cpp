//===- CompiledVocabulary.cpp - the tokenizer of a compiled directory -----===//

#include "tfm/Compiler/CompiledVocabulary.h"

#include "tfm/Compiler/Compiler.h"
#include "tfm/Import/TokenizerFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace mlir::tfm;

llvm::Expected<Vocabulary>
mlir::tfm::loadCompiledVocabulary(llvm::StringRef directory) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, kTokenizerFileName);
  return loadVocabularyFile(path);
}
