//===- LowerQuantizedMatmul.cpp - quantized matmul -> microkernel calls ---===//
//
// The quantized formats are executed by the microkernels of
// tfm/Runtime/tfm_kernels.h (linked into every compiled model): block
// unpacking and 8-bit dot products are ISA-specific code chosen at run time.
// This pass decides what the generated code owns: the scratch buffer of
// quantized activations, the split of output rows into thread tasks, and
// the pointer arithmetic of each task.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "KernelCalls.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERQUANTIZEDMATMUL
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr StringLiteral kQuantizeActivations = "tfm_quantize_activations";
constexpr StringLiteral kQuantizeActivationsRmsNorm =
    "tfm_quantize_activations_rms_norm";
constexpr StringLiteral kQuantizedMatmul = "tfm_quantized_matmul";
constexpr StringLiteral kQuantizedMatmulGated = "tfm_quantized_matmul_gated";

struct TfmLowerQuantizedMatmulPass
    : public tfm::impl::TfmLowerQuantizedMatmulBase<TfmLowerQuantizedMatmulPass> {
  using TfmLowerQuantizedMatmulBase::TfmLowerQuantizedMatmulBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (rowsPerTask <= 0) {
      module.emitError("rows-per-task must be positive");
      return signalPassFailure();
    }
    SmallVector<QuantizedMatmulOp> ops;
    module.walk([&](QuantizedMatmulOp op) { ops.push_back(op); });
    if (ops.empty())
      return;
    declareKernels(module);
    for (QuantizedMatmulOp op : ops)
      if (failed(lower(op)))
        return signalPassFailure();
  }

  void declareKernels(ModuleOp module) {
    MLIRContext *context = module.getContext();
    Type ptr = LLVM::LLVMPointerType::get(context);
    Type i64 = IntegerType::get(context, 64), i32 = IntegerType::get(context, 32);
    declareKernel(module, kQuantizeActivations,
                  FunctionType::get(context, {ptr, i64, i64, i64, ptr}, {}));
    declareKernel(module, kQuantizeActivationsRmsNorm,
                  FunctionType::get(context,
                                    {ptr, i64, i64, i64, ptr,
                                     Float32Type::get(context), ptr},
                                    {}));
    declareKernel(module, kQuantizedMatmulGated,
                  FunctionType::get(context,
                                    {i32, i64, ptr, i64, i64, ptr, ptr, i64,
                                     i64, ptr, i64, i32},
                                    {}));
    declareKernel(module, kQuantizedMatmul,
                  FunctionType::get(context,
                                    {i32, i64, ptr, i64, i64, ptr, i64, i64,
                                     ptr, i64, i32},
                                    {}));
  }

  LogicalResult lower(QuantizedMatmulOp op) {
    for (Value buffer : {op.getInput(), op.getWeight(), op.getOutput()}) {
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(cast<MemRefType>(buffer.getType())
                     .getStridesAndOffset(strides, offset)) ||
          strides.back() != 1)
        return op.emitOpError("needs buffers whose rows are contiguous, got ")
               << buffer.getType();
    }
    OpBuilder builder(op);
    CallBuilder c{builder, op.getLoc()};
    Location loc = op.getLoc();
    QuantType format = op.getQuantType();
    int64_t inFeatures = op.getInput().getType().getDimSize(1);
    // A gated product has a gate row and an up row per output feature.
    std::optional<Activation> gated = op.getGated();
    int64_t outFeatures =
        op.getWeight().getType().getDimSize(0) / (gated ? 2 : 1);
    int64_t rowBytes = op.getWeight().getType().getDimSize(1);
    // A task starts an interleaved group of rows and takes whole groups.
    if (rowsPerTask % format.getRowsPerGroup() != 0)
      return op.emitOpError() << "rows-per-task (" << int64_t(rowsPerTask)
                              << ") must be a multiple of the "
                              << format.getRowsPerGroup()
                              << " interleaved rows of " << format;

    // Activations are quantized once, before the threads start.
    Value tokens = memref::DimOp::create(builder, loc, op.getInput(), 0);
    Value scratch = op.getScratch();
    Value scratchPointer = c.pointer(c.address(scratch));
    SmallVector<Value> quantizeOperands{c.pointer(c.address(op.getInput())),
                                        c.i64(tokens), c.i64(inFeatures),
                                        c.i64(c.rowStride(op.getInput()))};
    StringRef quantize = kQuantizeActivations;
    if (Value normWeight = op.getNormWeight()) {
      // The RMSNorm prologue: rows are normalized as they are quantized.
      quantize = kQuantizeActivationsRmsNorm;
      quantizeOperands.append(
          {c.pointer(c.address(normWeight)),
           arith::ConstantOp::create(
               builder, loc,
               builder.getF32FloatAttr(op.getNormEps()->convertToDouble()))});
    }
    quantizeOperands.push_back(scratchPointer);
    func::CallOp::create(builder, loc, quantize, TypeRange{},
                         quantizeOperands);

    // One kernel call per task of rows-per-task output features.
    int64_t tasks = llvm::divideCeil(outFeatures, rowsPerTask);
    Value weightAddress = c.address(op.getWeight());
    Value outputAddress = c.address(op.getOutput());
    Value outputStride = c.i64(c.rowStride(op.getOutput()));
    Value weightStride = c.rowStride(op.getWeight());
    auto buildTask = [&](OpBuilder &b, Location taskLoc, Value task) {
      CallBuilder t{b, taskLoc};
      Value firstRow = arith::MulIOp::create(b, taskLoc, task, t.index(rowsPerTask));
      Value rows = arith::MinSIOp::create(
          b, taskLoc, t.index(rowsPerTask),
          arith::SubIOp::create(b, taskLoc, t.index(outFeatures), firstRow));
      Value weightOffset = arith::MulIOp::create(b, taskLoc, firstRow, weightStride);
      Value outputOffset = arith::MulIOp::create(b, taskLoc, firstRow, t.index(4));
      Value weights = t.pointer(arith::AddIOp::create(b, taskLoc, weightAddress, weightOffset));
      Value outputs = t.pointer(arith::AddIOp::create(b, taskLoc, outputAddress, outputOffset));
      if (gated) {
        // The up rows start `outFeatures` rows after the gate rows.
        Value upOffset = arith::AddIOp::create(
            b, taskLoc, weightOffset,
            arith::MulIOp::create(b, taskLoc, t.index(outFeatures),
                                  weightStride));
        Value upWeights = t.pointer(
            arith::AddIOp::create(b, taskLoc, weightAddress, upOffset));
        func::CallOp::create(
            b, taskLoc, kQuantizedMatmulGated, TypeRange{},
            ValueRange{t.i32(format.getKernelFormat()),
                       t.i64(format.getGroup()), scratchPointer,
                       t.i64(tokens), t.i64(inFeatures), weights, upWeights,
                       t.i64(rowBytes), t.i64(rows), outputs, outputStride,
                       t.i32(static_cast<int64_t>(*gated))});
        return;
      }
      func::CallOp::create(
          b, taskLoc, kQuantizedMatmul, TypeRange{},
          ValueRange{t.i32(format.getKernelFormat()),
                     t.i64(format.getGroup()), scratchPointer, t.i64(tokens),
                     t.i64(inFeatures), weights, t.i64(rowBytes), t.i64(rows),
                     outputs, outputStride, t.i32(op.getAccumulate())});
    };
    buildTaskLoops(builder, loc, {builder.getIndexAttr(tasks)}, threads,
                   [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                     buildTask(b, taskLoc, ivs.front());
                   });
    op.erase();
    return success();
  }
};

} // namespace
