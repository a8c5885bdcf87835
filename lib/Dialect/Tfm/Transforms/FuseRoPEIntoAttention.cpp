//===- FuseRoPEIntoAttention.cpp - RoPE inside the KV-cache ops -----------===//
//
// A Llama layer rotates Q and K right after projecting them, as separate
// element-wise passes over both. The keys are rotated only to be written to
// the cache and the queries only to be scored, so the rotation moves into
// those two ops: `tfm.kv_cache.append` rotates keys while it transposes
// them into the cache, `tfm.kv_cache.attention` rotates each query row in
// registers inside the attention kernel.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEROPEINTOATTENTION
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The rope producing `value` if a KV-cache op at `start` with heads of
/// `headDim` can apply it instead: its only use, at the same positions,
/// rotating whole heads.
RoPEOp fusableRope(Value value, Value start, int64_t headDim) {
  auto rope = value.getDefiningOp<RoPEOp>();
  if (!rope || !rope->hasOneUse() || rope.getStart() != start ||
      int64_t(rope.getHeadDim()) != headDim ||
      rope.getRotaryDim() != rope.getHeadDim())
    return {};
  return rope;
}

RopeAttr ropeAttrOf(RoPEOp rope) {
  return RopeAttr::get(rope.getContext(), rope.getRotaryDim(),
                       rope.getThetaAttr(), rope.getPairing(),
                       rope.getFrequenciesAttr());
}

/// The operand a fused rope rotates: the keys of an append, the queries of
/// an attention.
OpOperand &rotatedOperand(KVCacheAppendOp append) {
  return append.getKeyMutable();
}
OpOperand &rotatedOperand(KVCacheAttentionOp attention) {
  return attention.getQueryMutable();
}

/// Moves the rope producing the rotated operand of `OpTy` into it.
template <typename OpTy>
struct FuseRope : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getRopeAttr())
      return rewriter.notifyMatchFailure(op, "already applies a rope");
    // The op normalizes before it rotates: a rope computed before a fused
    // head norm cannot move after it.
    if (op.getNormEpsAttr())
      return rewriter.notifyMatchFailure(op, "already applies a head norm");
    OpOperand &operand = rotatedOperand(op);
    RoPEOp rope = fusableRope(operand.get(), op.getStart(),
                              op.getCache().getType().getHeadDim());
    if (!rope)
      return rewriter.notifyMatchFailure(op, "operand not from a fusable rope");
    rewriter.modifyOpInPlace(op, [&] {
      operand.set(rope.getInput());
      op.setRopeAttr(ropeAttrOf(rope));
    });
    rewriter.eraseOp(rope);
    return success();
  }
};

struct TfmFuseRoPEIntoAttentionPass
    : tfm::impl::TfmFuseRoPEIntoAttentionBase<TfmFuseRoPEIntoAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRope<KVCacheAppendOp>, FuseRope<KVCacheAttentionOp>>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("tfm-fuse-rope-into-attention did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
