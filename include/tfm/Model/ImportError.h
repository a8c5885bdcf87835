//===- ImportError.h - one-line errors of the model readers -----*- C++ -*-===//
//
// Every reader reports a problem as `FILE: offset N: what is wrong`, the form
// tfm-import prints after its own name. The offset is where the bad bytes
// start, so a user can look at them with `xxd -s N`.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_IMPORTERROR_H
#define TFM_MODEL_IMPORTERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace mlir::tfm {

/// `FILE: offset N: message`.
llvm::Error importError(const llvm::Twine &file, uint64_t offset,
                        const llvm::Twine &message);

/// `FILE: message`, for problems that have no byte offset (a missing file,
/// a field missing from a JSON document).
llvm::Error importError(const llvm::Twine &file, const llvm::Twine &message);

} // namespace mlir::tfm

#endif // TFM_MODEL_IMPORTERROR_H
