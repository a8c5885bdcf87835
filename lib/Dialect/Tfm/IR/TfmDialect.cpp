//===- TfmDialect.cpp - tfm dialect registration --------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tfm;

#include "tfm/Dialect/Tfm/IR/TfmOpsDialect.cpp.inc"
#include "tfm/Dialect/Tfm/IR/TfmEnums.cpp.inc"
#define GET_TYPEDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOpsTypes.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmAttrs.cpp.inc"

LogicalResult
RopeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                 int64_t rotaryDim, FloatAttr theta, RopePairing) {
  if (rotaryDim <= 0 || rotaryDim % 2 != 0)
    return emitError() << "rope rotary_dim must be positive and even, got "
                       << rotaryDim;
  if (!theta || !(theta.getValueAsDouble() > 0.0))
    return emitError() << "rope theta must be positive";
  return success();
}

namespace {
/// Prints `!kv_cache` aliases so ops that take the cache stay readable.
struct TfmOpAsmInterface : OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;

  AliasResult getAlias(Type type, raw_ostream &os) const override {
    if (isa<KVCacheType>(type)) {
      os << "kv_cache";
      return AliasResult::OverridableAlias;
    }
    return AliasResult::NoAlias;
  }
};
} // namespace

void TfmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tfm/Dialect/Tfm/IR/TfmOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "tfm/Dialect/Tfm/IR/TfmOpsTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tfm/Dialect/Tfm/IR/TfmAttrs.cpp.inc"
      >();
  addInterfaces<TfmOpAsmInterface>();
}
