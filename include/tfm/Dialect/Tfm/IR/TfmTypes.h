//===- TfmTypes.h - tfm dialect types ---------------------------*- C++ -*-===//

#ifndef TFM_DIALECT_TFM_IR_TFMTYPES_H
#define TFM_DIALECT_TFM_IR_TFMTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Types.h"

#include "tfm/Dialect/Tfm/IR/TfmEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOpsTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmAttrs.h.inc"

namespace mlir::tfm {
/// The quant type named `name` ("q4_0", "int8", "int4" = groups of 32,
/// "int4g<N>"), or null.
QuantType parseQuantTypeName(MLIRContext *context, llvm::StringRef name);
} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_IR_TFMTYPES_H
