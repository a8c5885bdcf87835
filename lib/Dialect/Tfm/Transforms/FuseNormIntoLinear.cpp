//===- FuseNormIntoLinear.cpp - RMSNorm as the prologue of a linear -------===//
//
// Every Llama layer normalizes its hidden state twice, each time only to
// feed a linear layer (Q/K/V, gate/up). A layer with quantized weights
// reads its input once anyway, to quantize it to 8-bit blocks; that pass
// can normalize each row as it goes, so the normalized tensor is never
// written. f32 layers are left alone: their panel kernel reads the input
// as it is, and a separate normalization is the same one pass over it.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSENORMINTOLINEAR
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// A linear layer that can take `norm` as its prologue: it reads the
/// normalized value as its input, has quantized weights and no prologue.
bool canTakeNorm(Operation *user, RMSNormOp norm) {
  auto linear = dyn_cast<LinearOp>(user);
  if (!linear || linear.getInput() != norm.getResult() ||
      linear.getNormWeight())
    return false;
  auto weight = cast<ShapedType>(linear.getWeight().getType());
  return isa<QuantType>(weight.getElementType()) &&
         norm.getInput().getType().getElementType().isF32();
}

struct FuseNormIntoLinears : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp norm,
                                PatternRewriter &rewriter) const override {
    if (norm->use_empty() ||
        !llvm::all_of(norm->getUsers(), [&](Operation *user) {
          return canTakeNorm(user, norm);
        }))
      return rewriter.notifyMatchFailure(
          norm, "not only read by quantized linear layers");
    for (Operation *user : llvm::make_early_inc_range(norm->getUsers())) {
      auto linear = cast<LinearOp>(user);
      rewriter.modifyOpInPlace(linear, [&] {
        linear.getInputMutable().assign(norm.getInput());
        linear.getNormWeightMutable().assign(norm.getWeight());
        linear.setNormEpsAttr(norm.getEpsAttr());
      });
    }
    rewriter.eraseOp(norm);
    return success();
  }
};

struct TfmFuseNormIntoLinearPass
    : tfm::impl::TfmFuseNormIntoLinearBase<TfmFuseNormIntoLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNormIntoLinears>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("tfm-fuse-norm-into-linear did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
