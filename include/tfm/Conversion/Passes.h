//===- Passes.h - conversions out of the tfm dialect ------------*- C++ -*-===//

#ifndef TFM_CONVERSION_PASSES_H
#define TFM_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tfm {

/// Attribute on lowered linalg ops naming their kernel class.
inline constexpr llvm::StringLiteral kKernelAttrName = "tfm.kernel";
/// Attribute on a `tfm.param` whose tensor is stored as weight panels.
inline constexpr llvm::StringLiteral kPanelAttrName = "tfm.panel";
/// On a `tfm.param` of raw bytes: the !tfm.quant type of its blocks.
inline constexpr llvm::StringLiteral kQuantFormatAttrName = "tfm.format";
/// Argument attribute marking the KV cache of a model function.
inline constexpr llvm::StringLiteral kKVCacheArgAttrName = "tfm.kv_cache";

#define GEN_PASS_DECL
#include "tfm/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tfm/Conversion/Passes.h.inc"

} // namespace mlir::tfm

#endif // TFM_CONVERSION_PASSES_H
