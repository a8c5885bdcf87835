//===- ImportError.cpp - one-line errors of the model readers -------------===//

#include "tfm/Model/ImportError.h"

llvm::Error mlir::tfm::importError(const llvm::Twine &file, uint64_t offset,
                                   const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 file + ": offset " + llvm::Twine(offset) +
                                     ": " + message);
}

llvm::Error mlir::tfm::importError(const llvm::Twine &file,
                                   const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 file + ": " + message);
}
