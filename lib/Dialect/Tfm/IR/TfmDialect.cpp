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
  addInterfaces<TfmOpAsmInterface>();
}
