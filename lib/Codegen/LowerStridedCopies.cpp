//===- LowerStridedCopies.cpp - strided copies as loops -------------------===//
//
// MemRefToLLVM lowers a memref.copy to memcpy when both buffers are
// contiguous and otherwise to a call of `memrefCopy` from MLIR's C runner
// utilities. A model library links no MLIR runtime, so those copies
// become linalg.copy here and loops later (docs/codegen.md).
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERSTRIDEDCOPIES
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// What MemRefToLLVM copies with memcpy.
bool isContiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    (memref.hasStaticShape() &&
                     memref::isStaticShapeAndContiguousRowMajor(memref)));
}

struct TfmLowerStridedCopiesPass
    : public tfm::impl::TfmLowerStridedCopiesBase<TfmLowerStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!isContiguous(copy.getSource().getType()) ||
          !isContiguous(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
