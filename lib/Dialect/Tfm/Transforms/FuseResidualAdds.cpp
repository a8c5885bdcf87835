//===- FuseResidualAdds.cpp - residual adds as linear-layer epilogues -----===//
//
// Each transformer layer ends its two branches with `h + linear(...)`: the
// attention output projection and the FFN down projection. As separate ops
// the add is one more pass over memory and, for a decoded token, one more
// short parallel loop. Folded into the linear layer the products are
// accumulated onto the residual instead of onto zeros, which costs nothing.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSERESIDUALADDS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// add(linear(x, w), r) or add(r, linear(x, w)) -> linear(x, w) residual r,
/// when the add is the linear's only user and has the linear's type.
struct FuseResidualAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [product, residual] :
         {std::pair{add.getLhs(), add.getRhs()},
          std::pair{add.getRhs(), add.getLhs()}}) {
      auto linear = product.getDefiningOp<LinearOp>();
      if (!linear || linear.getResidual() || linear.getGated() ||
          linear.getActivation() ||
          !linear->hasOneUse() ||
          residual.getType() != linear.getType() ||
          add.getType() != linear.getType())
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(
          add, add.getType(), linear.getInput(), linear.getNormWeight(),
          linear.getWeight(), linear.getBias(), residual,
          linear.getNormEpsAttr(), linear.getGatedAttr(),
          /*activation=*/ActivationAttr());
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no single-use linear operand");
  }
};

struct TfmFuseResidualAddsPass
    : tfm::impl::TfmFuseResidualAddsBase<TfmFuseResidualAddsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseResidualAdd>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("tfm-fuse-residual-adds did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
