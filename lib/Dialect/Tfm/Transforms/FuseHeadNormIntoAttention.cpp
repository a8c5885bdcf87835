//===- FuseHeadNormIntoAttention.cpp - q/k norm inside the KV-cache ops ---===//
//
// Qwen 3 and Gemma 3 RMS-normalize each head of the query and key
// projections (a `tfm.rms_norm` with a `[head_dim]` weight) before RoPE.
// The keys are normalized only to be written to the cache and the queries
// only to be scored, so the norm moves into those ops as the rope does
// (tfm-fuse-rope-into-attention, which runs first): `tfm.kv_cache.append`
// normalizes each key head as it transposes it into the cache, the
// attention kernel each query head just before it rotates and scores it.
// Neither projection is then read and written again by a norm of its own.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEHEADNORMINTOATTENTION
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The per-head norm producing `value` if a KV-cache op with heads of
/// `headDim` can apply it instead: its only use, normalizing each head.
RMSNormOp fusableHeadNorm(Value value, int64_t headDim) {
  auto norm = value.getDefiningOp<RMSNormOp>();
  if (!norm || !norm->hasOneUse() || norm.getGroupSize() != headDim)
    return {};
  return norm;
}

/// The normalized operand of each op and the operand holding the weight.
OpOperand &normalizedOperand(KVCacheAppendOp append) {
  return append.getKeyMutable();
}
OpOperand &normalizedOperand(KVCacheAttentionOp attention) {
  return attention.getQueryMutable();
}
MutableOperandRange normWeight(KVCacheAppendOp append) {
  return append.getKeyNormMutable();
}
MutableOperandRange normWeight(KVCacheAttentionOp attention) {
  return attention.getQueryNormMutable();
}

/// Moves the head norm producing the normalized operand of `OpTy` into it.
/// The op's own rope (if fused) then rotates the normalized heads, as the
/// rope it came from did.
template <typename OpTy>
struct FuseHeadNorm : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getNormEpsAttr())
      return rewriter.notifyMatchFailure(op, "already applies a head norm");
    OpOperand &operand = normalizedOperand(op);
    RMSNormOp norm =
        fusableHeadNorm(operand.get(), op.getCache().getType().getHeadDim());
    if (!norm)
      return rewriter.notifyMatchFailure(op,
                                         "operand not from a per-head norm");
    rewriter.modifyOpInPlace(op, [&] {
      operand.set(norm.getInput());
      normWeight(op).assign(norm.getWeight());
      op.setNormEpsAttr(norm.getEpsAttr());
    });
    rewriter.eraseOp(norm);
    return success();
  }
};

struct TfmFuseHeadNormIntoAttentionPass
    : tfm::impl::TfmFuseHeadNormIntoAttentionBase<
          TfmFuseHeadNormIntoAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseHeadNorm<KVCacheAppendOp>,
                 FuseHeadNorm<KVCacheAttentionOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError(
          "tfm-fuse-head-norm-into-attention did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
