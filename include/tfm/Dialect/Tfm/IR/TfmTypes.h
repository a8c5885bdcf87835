//===- TfmTypes.h - tfm dialect types ---------------------------*- C++ -*-===//

#ifndef TFM_DIALECT_TFM_IR_TFMTYPES_H
#define TFM_DIALECT_TFM_IR_TFMTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOpsTypes.h.inc"

#endif // TFM_DIALECT_TFM_IR_TFMTYPES_H
