//===- LowerFlashAttention.cpp - tfm.flash_attention -> kernel calls ------===//
//
// The fused attention runs in tfm_attention (tfm/Runtime/tfm_kernels.h): one
// pass over the keys per query row with an online softmax. This pass decides
// what the generated code owns: how the work is cut into thread tasks and
// the pointer arithmetic of each task.
//
//  * prefill (kv_splits = 1): tasks are (KV head, block of query rows); each
//    writes its rows of the result;
//  * decode (kv_splits = C): flash-decoding. Tasks are (KV head, key range);
//    each writes partial sums for its range, and tfm_attention_combine
//    merges them once all tasks are done.
//
// With `generated-decode`, a decode step's tasks and the merge are vector
// code instead of the calls (GeneratedAttention.cpp).
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "GeneratedAttention.h"
#include "KernelCalls.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERFLASHATTENTION
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr StringLiteral kAttention = "tfm_attention";
constexpr StringLiteral kAttentionCombine = "tfm_attention_combine";
/// Query rows from which an MHA prefill's tasks take mha-query-rows-per-task
/// rows (below, query-rows-per-task's).
constexpr int64_t kLongPromptRows = 256;

/// The tfm_kv_element of a cache element type.
int64_t kvElementOf(Type element) {
  if (element.isF16())
    return TFM_KV_F16;
  if (element.isBF16())
    return TFM_KV_BF16;
  if (element.isInteger(8))
    return TFM_KV_Q8;
  return TFM_KV_F32;
}

bool hasContiguousRows(Value buffer) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(cast<MemRefType>(buffer.getType())
                       .getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

struct TfmLowerFlashAttentionPass
    : public tfm::impl::TfmLowerFlashAttentionBase<TfmLowerFlashAttentionPass> {
  using TfmLowerFlashAttentionBase::TfmLowerFlashAttentionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (queryRowsPerTask <= 0 || mhaQueryRowsPerTask <= 0) {
      module.emitError(queryRowsPerTask <= 0
                           ? "query-rows-per-task must be positive"
                           : "mha-query-rows-per-task must be positive");
      return signalPassFailure();
    }
    SmallVector<FlashAttentionOp> ops;
    module.walk([&](FlashAttentionOp op) { ops.push_back(op); });
    if (ops.empty())
      return;
    declareKernels(module);
    for (FlashAttentionOp op : ops)
      if (failed(lower(op)))
        return signalPassFailure();
  }

  void declareKernels(ModuleOp module) {
    MLIRContext *context = module.getContext();
    Type ptr = LLVM::LLVMPointerType::get(context);
    Type i64 = IntegerType::get(context, 64), i32 = IntegerType::get(context, 32);
    Type f32 = Float32Type::get(context);
    declareKernel(module, kAttention,
                  FunctionType::get(context,
                                    {i32, ptr, i64, ptr, ptr, i64, i64, i64,
                                     i64, f32, i64, i64, i64, i64, i64, i64,
                                     ptr, i64, ptr, i64, ptr, ptr, i64, i32,
                                     i64, f32, ptr, i64, i64, ptr, f32, i64},
                                    {}));
    declareKernel(module, kAttentionCombine,
                  FunctionType::get(context,
                                    {ptr, i64, i64, i64, i64, i64, ptr, i64},
                                    {}));
  }

  LogicalResult lower(FlashAttentionOp op) {
    SmallVector<Value> buffers{op.getQuery(), op.getKeys(), op.getValues(),
                               op.getOutput()};
    if (op.getRopeAttr())
      buffers.append({op.getRopeCos(), op.getRopeSin()});
    if (op.getPositionBias())
      buffers.push_back(op.getPositionBias());
    if (op.getQueryNorm())
      buffers.push_back(op.getQueryNorm());
    for (Value buffer : buffers)
      if (!hasContiguousRows(buffer))
        return op.emitOpError("needs buffers whose rows are contiguous, got ")
               << buffer.getType();
    OpBuilder builder(op);
    Location loc = op.getLoc();
    CallBuilder c{builder, loc};
    MemRefType keysType = op.getKeys().getType();
    int64_t elementBytes = keysType.getElementTypeBitWidth() / 8;
    int64_t kvHeads = keysType.getDimSize(0);
    int64_t numHeads = op.getNumHeads();
    int64_t headDim = op.getHeadDim();
    auto bytes = [&](Value elements) {
      return c.i64(arith::MulIOp::create(builder, loc, elements,
                                         c.index(elementBytes)));
    };

    // What every task passes alike.
    Value seq = memref::DimOp::create(builder, loc, op.getQuery(), 0);
    Value rows = memref::DimOp::create(builder, loc, op.getKeys(), 1);
    // A ring's views hold all its rows; the positions written are given.
    Value tokens = op.getRingTokens() ? op.getRingTokens() : rows;
    Value ringRows = op.getRingTokens() ? rows : c.index(0);
    SmallVector<Value> shared{
        c.i32(kvElementOf(keysType.getElementType())),
        c.pointer(c.address(op.getQuery())),
        c.i64(c.rowStride(op.getQuery())),
        c.pointer(c.address(op.getKeys())),
        c.pointer(c.address(op.getValues())),
        bytes(c.stride(op.getKeys(), 0)),
        bytes(c.stride(op.getKeys(), 1)),
        c.i64(numHeads / kvHeads),
        c.i64(headDim),
        arith::ConstantOp::create(
            builder, loc,
            builder.getF32FloatAttr(op.getScale().convertToDouble())),
        c.i64(op.getStart())};
    Value outputPointer = c.pointer(c.address(op.getOutput()));
    Value outputStride = c.i64(c.rowStride(op.getOutput()));
    // The query rotation of a fused rope (null tables: none).
    SmallVector<Value> rope;
    if (RopeAttr ropeAttr = op.getRopeAttr()) {
      rope = {c.pointer(c.address(op.getRopeCos())),
              c.pointer(c.address(op.getRopeSin())),
              c.i64(c.rowStride(op.getRopeCos())),
              c.i32(static_cast<int64_t>(ropeAttr.getPairing()))};
    } else {
      Value null = LLVM::ZeroOp::create(
          builder, loc, LLVM::LLVMPointerType::get(builder.getContext()));
      rope = {null, null, c.i64(0), c.i32(0)};
    }
    // The sliding window (0: none) and the score soft cap (0: none).
    SmallVector<Value> scoreOptions{
        arith::ConstantOp::create(
            builder, loc,
            builder.getI64IntegerAttr(int64_t(op.getWindow().value_or(0)))),
        arith::ConstantOp::create(
            builder, loc,
            builder.getF32FloatAttr(
                op.getSoftCapAttr() ? op.getSoftCapAttr().getValueAsDouble()
                                    : 0.0))};
    // T5's position bias by distance (null: none), its first query's
    // position and the distance where it saturates.
    if (Value bias = op.getPositionBias()) {
      scoreOptions.append({c.pointer(c.address(bias)),
                           c.i64(op.getBiasQueryStart()),
                           c.i64(c.index(int64_t(*op.getMaxDistance())))});
    } else {
      Value null = LLVM::ZeroOp::create(
          builder, loc, LLVM::LLVMPointerType::get(builder.getContext()));
      scoreOptions.append({null, c.i64(c.index(0)), c.i64(c.index(0))});
    }
    // The per-head RMSNorm of each query (null weight: none) and its epsilon.
    SmallVector<Value> queryNorm;
    if (Value weight = op.getQueryNorm())
      queryNorm.push_back(c.pointer(c.address(weight)));
    else
      queryNorm.push_back(LLVM::ZeroOp::create(
          builder, loc, LLVM::LLVMPointerType::get(builder.getContext())));
    queryNorm.push_back(arith::ConstantOp::create(
        builder, loc,
        builder.getF32FloatAttr(
            op.getNormEpsAttr() ? op.getNormEpsAttr().getValueAsDouble()
                                : 0.0)));
    queryNorm.push_back(c.i64(ringRows));
    auto call = [&](OpBuilder &b, Location taskLoc, Value kvHead,
                    Value queryBegin, Value queryEnd, Value keyBegin,
                    Value keyEnd, Value partials, Value partialStride) {
      CallBuilder t{b, taskLoc};
      SmallVector<Value> operands(shared);
      operands.append({t.i64(kvHead), t.i64(queryBegin), t.i64(queryEnd),
                       t.i64(keyBegin), t.i64(keyEnd), outputPointer,
                       outputStride, partials, partialStride});
      operands.append(rope);
      operands.append(scoreOptions);
      operands.append(queryNorm);
      func::CallOp::create(b, taskLoc, kAttention, TypeRange{}, operands);
    };

    // A decode step's tasks in vector code instead of kernel calls.
    bool generated = generatedDecode && hasGeneratedDecodeAttention(op);
    int64_t splits = op.getKvSplits();
    if (splits == 1) {
      // Tasks: (KV head, block of query rows); every key range is whole.
      // A task's queries are its rows x the group's heads: MHA's tasks of
      // prompts of kLongPromptRows rows or more take
      // mha-query-rows-per-task rows, so that each converted block of keys
      // serves as many queries: tfm-kernel-bench attention_prefill 12/12
      // (llama-110m's heads) at 512 tokens 52.5-55.8 G MAC/s in tasks of
      // 32 rows against 45.2-49.8 in 16 (both at once on the two cores,
      // then swapped, three rounds). At 256 tokens whole models were even
      // and at 128 32 rows lost ~3% (a short prompt's last block of a
      // task, which its rows see only in part, weighs more).
      Value rows = c.index(queryRowsPerTask);
      if (numHeads == kvHeads)
        rows = arith::SelectOp::create(
            builder, loc,
            arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::uge, seq,
                                  c.index(kLongPromptRows)),
            c.index(mhaQueryRowsPerTask), rows);
      Value queryTasks = arith::CeilDivUIOp::create(builder, loc, seq, rows);
      Value noPartials = LLVM::ZeroOp::create(
          builder, loc, LLVM::LLVMPointerType::get(builder.getContext()));
      buildTaskLoops(
          builder, loc, {builder.getIndexAttr(kvHeads), queryTasks},
          threads, [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
            Value begin = arith::MulIOp::create(b, taskLoc, ivs[1], rows);
            Value end = arith::MinUIOp::create(
                b, taskLoc, arith::AddIOp::create(b, taskLoc, begin, rows),
                seq);
            Value zero = arith::ConstantIndexOp::create(b, taskLoc, 0);
            if (generated)
              return buildGeneratedDecodeAttention(b, taskLoc, op, ivs[0],
                                                   zero, tokens, Value());
            call(b, taskLoc, ivs[0], begin, end, zero, tokens, noPartials,
                 CallBuilder{b, taskLoc}.i64(0));
          });
      op.erase();
      return success();
    }

    // Flash-decoding: tasks (KV head, key range), then one combining pass.
    // A sliding window's keys start at the first query's window: the
    // splits divide those (not the positions no query sees).
    Value firstKey = c.index(0);
    if (std::optional<uint64_t> window = op.getWindow()) {
      Value reach = arith::AddIOp::create(builder, loc, c.index(1),
                                          op.getStart());
      Value windowSize = c.index(int64_t(*window));
      firstKey = arith::SelectOp::create(
          builder, loc,
          arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ugt,
                                reach, windowSize),
          arith::SubIOp::create(builder, loc, reach, windowSize), firstKey);
    }
    Value keyRange = arith::SubIOp::create(builder, loc, tokens, firstKey);
    Value chunk =
        arith::CeilDivUIOp::create(builder, loc, keyRange, c.index(splits));
    Value partialStride = c.index(numHeads * (headDim + 2));
    Value splitStride = arith::MulIOp::create(builder, loc, seq, partialStride);
    Value partialsAddress = c.address(op.getPartials());
    buildTaskLoops(
        builder, loc,
        {builder.getIndexAttr(kvHeads), builder.getIndexAttr(splits)}, threads,
        [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
          CallBuilder t{b, taskLoc};
          Value begin = arith::MinUIOp::create(
              b, taskLoc,
              arith::AddIOp::create(
                  b, taskLoc, firstKey,
                  arith::MulIOp::create(b, taskLoc, ivs[1], chunk)),
              tokens);
          Value end = arith::MinUIOp::create(
              b, taskLoc, arith::AddIOp::create(b, taskLoc, begin, chunk),
              tokens);
          if (generated)
            return buildGeneratedDecodeAttention(
                b, taskLoc, op, ivs[0], begin, end,
                arith::MulIOp::create(b, taskLoc, ivs[1], splitStride));
          Value splitOffset = arith::MulIOp::create(
              b, taskLoc, arith::MulIOp::create(b, taskLoc, ivs[1], splitStride),
              t.index(4));
          Value partials = t.pointer(
              arith::AddIOp::create(b, taskLoc, partialsAddress, splitOffset));
          call(b, taskLoc, ivs[0], t.index(0), seq, begin, end, partials,
               t.i64(partialStride));
        });
    if (generated) {
      buildGeneratedAttentionCombine(builder, loc, op, splitStride);
      op.erase();
      return success();
    }
    func::CallOp::create(
        builder, loc, kAttentionCombine, TypeRange{},
        ValueRange{c.pointer(partialsAddress), c.i64(splits),
                   c.i64(splitStride), c.i64(seq), c.i64(numHeads),
                   c.i64(headDim), outputPointer, outputStride});
    op.erase();
    return success();
  }
};

} // namespace
