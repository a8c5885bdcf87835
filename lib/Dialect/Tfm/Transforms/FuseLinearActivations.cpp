//===- FuseLinearActivations.cpp - activations as linear-layer epilogues --===//
//
// The FFN of GPT-2, BERT and T5 is `down(kind(up(x) + bias))`: the up
// layer's products, its bias and the activation are each a pass over the
// `[seq, hidden]` activations when they are separate ops. Made part of the
// linear layer, the lowering adds the bias and applies the activation to a
// tile of products in the thread step that computed it.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSELINEARACTIVATIONS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// activation(linear(x, w[, b])) -> linear(x, w[, b]) activation(kind),
/// when the activation is the linear's only user.
struct FuseLinearActivation : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivationOp activation,
                                PatternRewriter &rewriter) const override {
    auto linear = activation.getInput().getDefiningOp<LinearOp>();
    if (!linear || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(activation,
                                         "not the only user of a linear layer");
    if (linear.getActivation() || linear.getGated() || linear.getResidual())
      return rewriter.notifyMatchFailure(
          activation, "the linear layer already has an epilogue");
    rewriter.replaceOpWithNewOp<LinearOp>(
        activation, activation.getType(), linear.getInput(),
        linear.getNormWeight(), linear.getWeight(), linear.getBias(),
        /*residual=*/Value(), linear.getNormEpsAttr(),
        /*gated=*/ActivationAttr(), activation.getKindAttr());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct TfmFuseLinearActivationsPass
    : tfm::impl::TfmFuseLinearActivationsBase<TfmFuseLinearActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseLinearActivation>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("tfm-fuse-linear-activations did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
