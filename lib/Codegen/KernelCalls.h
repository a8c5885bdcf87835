//===- KernelCalls.h - calls of tfm_kernels.h from generated code -*- C++ -*-===//
//
// What the passes that lower kernel-level tfm ops to microkernel calls
// share: declaring the C functions and turning buffers into the pointers
// and strides the calls take.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CODEGEN_KERNELCALLS_H
#define TFM_LIB_CODEGEN_KERNELCALLS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::tfm {

/// Declares the C function `name` in `module` unless it exists.
inline void declareKernel(ModuleOp module, StringRef name, FunctionType type) {
  if (module.lookupSymbol(name))
    return;
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto func = func::FuncOp::create(builder, module.getLoc(), name, type);
  func.setPrivate();
}

/// Builds the values one kernel call needs from buffers.
struct CallBuilder {
  OpBuilder &b;
  Location loc;

  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, loc, value); }
  Value i64(Value indexValue) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), indexValue);
  }
  Value i64(int64_t value) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), value);
  }
  Value i32(int64_t value) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), value);
  }
  /// Address (as an index) of `buffer`'s first element plus `byteOffset`.
  Value address(Value buffer, Value byteOffset = {}) {
    auto type = cast<MemRefType>(buffer.getType());
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
    int64_t elementBytes = type.getElementTypeBitWidth() / 8;
    Value offset = arith::MulIOp::create(b, loc, metadata.getOffset(),
                                         index(elementBytes));
    Value result = arith::AddIOp::create(b, loc, base, offset);
    if (byteOffset)
      result = arith::AddIOp::create(b, loc, result, byteOffset);
    return result;
  }
  Value pointer(Value address) {
    return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                    i64(address));
  }
  /// Stride of dimension `dim` of `buffer`, in elements.
  Value stride(Value buffer, unsigned dim) {
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
    return metadata.getStrides()[dim];
  }
  Value rowStride(Value buffer) { return stride(buffer, 0); }
};

/// Runs `body` over the iteration space `[0, upperBounds)`: an `scf.forall`
/// (threads) or nested `scf.for` loops.
inline void buildTaskLoops(
    OpBuilder &builder, Location loc, ArrayRef<OpFoldResult> upperBounds,
    bool threads,
    llvm::function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  if (threads) {
    scf::ForallOp::create(builder, loc, upperBounds, ValueRange{},
                          std::nullopt,
                          [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                            body(b, taskLoc, ivs.take_front(upperBounds.size()));
                            scf::InParallelOp::create(b, taskLoc);
                          });
    return;
  }
  SmallVector<Value> lower, upper, steps;
  for (OpFoldResult bound : upperBounds) {
    lower.push_back(arith::ConstantIndexOp::create(builder, loc, 0));
    upper.push_back(getValueOrCreateConstantIndexOp(builder, loc, bound));
    steps.push_back(arith::ConstantIndexOp::create(builder, loc, 1));
  }
  scf::buildLoopNest(builder, loc, lower, upper, steps,
                     [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                       body(b, taskLoc, ivs);
                     });
}

} // namespace mlir::tfm

#endif // TFM_LIB_CODEGEN_KERNELCALLS_H
