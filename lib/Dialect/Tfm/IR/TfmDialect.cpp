//===- TfmDialect.cpp - tfm dialect registration --------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

#include "tfm/Dialect/Tfm/IR/TfmOpsDialect.cpp.inc"
#include "tfm/Dialect/Tfm/IR/TfmEnums.cpp.inc"
/// `layers = N` of a KV cache, or `layers = ?` for a pool of caches.
static ParseResult parseLayerCount(AsmParser &parser, int64_t &layers) {
  if (succeeded(parser.parseOptionalQuestion())) {
    layers = ShapedType::kDynamic;
    return success();
  }
  return parser.parseInteger(layers);
}

static void printLayerCount(AsmPrinter &printer, int64_t layers) {
  if (ShapedType::isDynamic(layers))
    printer << "?";
  else
    printer << layers;
}

/// `, ring` after a KV cache's element type: the cache is a ring.
static ParseResult parseRingFlag(AsmParser &parser, bool &ring) {
  ring = false;
  if (failed(parser.parseOptionalComma()))
    return success();
  if (parser.parseKeyword("ring"))
    return failure();
  ring = true;
  return success();
}

static void printRingFlag(AsmPrinter &printer, bool ring) {
  if (ring)
    printer << ", ring";
}

#define GET_TYPEDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOpsTypes.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmAttrs.cpp.inc"

LogicalResult mlir::tfm::verifyRopeFrequencies(
    function_ref<InFlightDiagnostic()> emitError,
    DenseF64ArrayAttr frequencies, int64_t rotaryDim) {
  if (!frequencies)
    return success();
  if (int64_t(frequencies.size()) != rotaryDim / 2)
    return emitError() << "rope frequencies: " << frequencies.size()
                       << " values for " << rotaryDim / 2 << " rotary pairs";
  for (double frequency : frequencies.asArrayRef())
    if (!(frequency > 0.0) || !std::isfinite(frequency))
      return emitError() << "rope frequencies must be positive and finite";
  return success();
}

LogicalResult
RopeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                 int64_t rotaryDim, FloatAttr theta, RopePairing,
                 DenseF64ArrayAttr frequencies) {
  if (rotaryDim <= 0 || rotaryDim % 2 != 0)
    return emitError() << "rope rotary_dim must be positive and even, got "
                       << rotaryDim;
  if (!theta || !(theta.getValueAsDouble() > 0.0))
    return emitError() << "rope theta must be positive";
  return verifyRopeFrequencies(emitError, frequencies, rotaryDim);
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
