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

#include "GeneratedQuantizedMatmul.h"
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
/// Rows of a prefill's input quantized by one task: enough to make a task
/// worth a thread's start, few enough that 2-8 threads share 128 rows.
constexpr int64_t kQuantizeTaskTokens = 16;
/// The OpenMP runtime's thread count (omp_set_num_threads), which the
/// threads of the worksharing loops the foralls become will number.
constexpr StringLiteral kOmpGetMaxThreads = "omp_get_max_threads";

struct TfmLowerQuantizedMatmulPass
    : public tfm::impl::TfmLowerQuantizedMatmulBase<TfmLowerQuantizedMatmulPass> {
  using TfmLowerQuantizedMatmulBase::TfmLowerQuantizedMatmulBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (rowsPerTask < 0) {
      module.emitError("rows-per-task must not be negative");
      return signalPassFailure();
    }
    if (prefillTasksPerThread < 1) {
      module.emitError("prefill-tasks-per-thread must be positive");
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
                  FunctionType::get(context, {i32, ptr, i64, i64, i64, ptr},
                                    {}));
    declareKernel(module, kQuantizeActivationsRmsNorm,
                  FunctionType::get(context,
                                    {i32, ptr, i64, i64, i64, ptr,
                                     Float32Type::get(context), ptr},
                                    {}));
    declareKernel(module, kQuantizedMatmulGated,
                  FunctionType::get(context,
                                    {i32, i64, ptr, i64, i64, ptr, ptr, i64,
                                     i64, ptr, i64, i32},
                                    {}));
    if (threads && rowsPerTask == 0)
      declareKernel(module, kOmpGetMaxThreads,
                    FunctionType::get(context, {}, {i32}));
    declareKernel(module, kQuantizedMatmul,
                  FunctionType::get(context,
                                    {i32, i64, ptr, i64, i64, ptr, i64, i64,
                                     ptr, i64, i32},
                                    {}));
  }

  /// How `groups` groups of output rows are split into tasks: the number of
  /// tasks and the groups each takes (the last one may take fewer). With
  /// rows-per-task 0, one task per OpenMP thread at run time (one without
  /// threads), so that every kernel call streams the longest run of weights
  /// it can: the AVX2 kernel reads its rows as four concurrent streams, and
  /// a core keeps more of memory's bandwidth busy the longer they are. A
  /// prefill (`dynamicTokens`) is bound by arithmetic instead and gets
  /// prefill-tasks-per-thread tasks per thread, for the guided schedule to
  /// share out.
  std::pair<OpFoldResult, Value> splitIntoTasks(OpBuilder &builder,
                                                Location loc, int64_t groups,
                                                int64_t rowsPerGroup,
                                                bool dynamicTokens) {
    CallBuilder c{builder, loc};
    if (rowsPerTask > 0) {
      int64_t groupsPerTask = rowsPerTask / rowsPerGroup;
      return {builder.getIndexAttr(llvm::divideCeil(groups, groupsPerTask)),
              c.index(groupsPerTask)};
    }
    if (!threads)
      return {builder.getIndexAttr(1), c.index(groups)};
    Value threadCount =
        func::CallOp::create(builder, loc, kOmpGetMaxThreads,
                             TypeRange{builder.getI32Type()}, ValueRange{})
            .getResult(0);
    Value tasks = arith::IndexCastOp::create(builder, loc,
                                             builder.getIndexType(), threadCount);
    if (dynamicTokens && prefillTasksPerThread > 1)
      tasks = arith::MulIOp::create(builder, loc, tasks,
                                    c.index(prefillTasksPerThread));
    return {tasks, arith::CeilDivSIOp::create(builder, loc, c.index(groups), tasks)};
  }

  /// Quantizes the input rows into the scratch buffer at `scratchAddress`
  /// (normalizing them first for an RMSNorm prologue). The rows of a
  /// prefill are split into tasks of kQuantizeTaskTokens rows, so that the
  /// threads share this step too (the matmul tasks start when it is done);
  /// a single row, or all rows without threads, is one call.
  void buildQuantizeActivations(OpBuilder &builder, QuantizedMatmulOp op,
                                Value tokens, int64_t inFeatures,
                                Value scratchAddress) {
    Location loc = op.getLoc();
    Value input = op.getInput();
    int32_t format = op.getQuantType().getKernelFormat();
    int64_t activationRowBytes =
        tfm_quantized_activation_row_bytes(format, inFeatures);
    auto buildCall = [&](OpBuilder &b, Location callLoc, Value firstToken,
                         Value count) {
      CallBuilder t{b, callLoc};
      Value inputStride = t.rowStride(input);
      Value inputOffset = arith::MulIOp::create(
          b, callLoc, arith::MulIOp::create(b, callLoc, firstToken, inputStride),
          t.index(4));
      Value outputOffset = arith::MulIOp::create(b, callLoc, firstToken,
                                                 t.index(activationRowBytes));
      SmallVector<Value> operands{t.i32(format),
                                  t.pointer(t.address(input, inputOffset)),
                                  t.i64(count), t.i64(inFeatures),
                                  t.i64(inputStride)};
      StringRef quantize = kQuantizeActivations;
      if (Value normWeight = op.getNormWeight()) {
        quantize = kQuantizeActivationsRmsNorm;
        operands.append({t.pointer(t.address(normWeight)),
                         arith::ConstantOp::create(
                             b, callLoc,
                             b.getF32FloatAttr(
                                 op.getNormEps()->convertToDouble()))});
      }
      operands.push_back(t.pointer(
          arith::AddIOp::create(b, callLoc, scratchAddress, outputOffset)));
      func::CallOp::create(b, callLoc, quantize, TypeRange{}, operands);
    };
    CallBuilder c{builder, loc};
    if (!threads || !cast<MemRefType>(input.getType()).isDynamicDim(0))
      return buildCall(builder, loc, c.index(0), tokens);
    Value perTask = c.index(kQuantizeTaskTokens);
    Value tasks = arith::CeilDivSIOp::create(builder, loc, tokens, perTask);
    buildTaskLoops(builder, loc, {tasks}, threads,
                   [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                     Value first =
                         arith::MulIOp::create(b, taskLoc, ivs.front(), perTask);
                     Value count = arith::MinSIOp::create(
                         b, taskLoc, perTask,
                         arith::SubIOp::create(b, taskLoc, tokens, first));
                     buildCall(b, taskLoc, first, count);
                   });
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

    bool generated = generatedDecode && hasGeneratedDecode(op);
    bool generatedTiles = generatedPrefill && hasGeneratedTiles(op);
    Value tokens = memref::DimOp::create(builder, loc, op.getInput(), 0);
    Value scratchAddress = c.address(op.getScratch());
    Value scratchPointer = c.pointer(scratchAddress);
    buildQuantizeActivations(builder, op, tokens, inFeatures, scratchAddress);

    // The tasks, each a run of whole groups of output rows.
    int64_t rowsPerGroup = format.getRowsPerGroup();
    int64_t groups = llvm::divideCeil(outFeatures, rowsPerGroup);
    OpFoldResult tasks;
    Value groupsPerTask;
    std::tie(tasks, groupsPerTask) =
        splitIntoTasks(builder, loc, groups, rowsPerGroup,
                       cast<MemRefType>(op.getInput().getType()).isDynamicDim(0));
    Value weightAddress = c.address(op.getWeight());
    Value outputAddress = c.address(op.getOutput());
    Value outputStride = c.i64(c.rowStride(op.getOutput()));
    Value weightStride = c.rowStride(op.getWeight());
    auto buildTask = [&](OpBuilder &b, Location taskLoc, Value task) {
      OpBuilder::InsertionGuard afterTask(b);
      CallBuilder t{b, taskLoc};
      Value firstGroup = arith::MulIOp::create(b, taskLoc, task, groupsPerTask);
      Value firstRow =
          arith::MulIOp::create(b, taskLoc, firstGroup, t.index(rowsPerGroup));
      // The last task may take fewer rows than the others (or none, when
      // there are more threads than groups).
      Value rows = arith::MinSIOp::create(
          b, taskLoc,
          arith::MulIOp::create(b, taskLoc, groupsPerTask,
                                t.index(rowsPerGroup)),
          arith::SubIOp::create(b, taskLoc, t.index(outFeatures), firstRow));
      Value hasRows = arith::CmpIOp::create(b, taskLoc, arith::CmpIPredicate::sgt,
                                            rows, t.index(0));
      auto ifRows = scf::IfOp::create(b, taskLoc, hasRows, /*withElse=*/false);
      b.setInsertionPointToStart(&ifRows.getThenRegion().front());
      if (generated) {
        buildGeneratedDecode(b, taskLoc, op, dotProduct, firstRow, rows);
        return;
      }
      if (generatedTiles) {
        buildGeneratedTiles(b, taskLoc, op, dotProduct, firstRow, rows,
                            tokens);
        return;
      }
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
    buildTaskLoops(builder, loc, {tasks}, threads,
                   [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                     buildTask(b, taskLoc, ivs.front());
                   });
    op.erase();
    return success();
  }
};

} // namespace
