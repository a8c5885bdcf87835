//===- FuseNormIntoLinear.cpp - RMSNorm as the prologue of a linear -------===//
//
// Every Llama layer normalizes its hidden state twice, each time only to
// feed linear layers (Q/K/V, gate/up). The normalized tensor need not be
// written:
//
// * A layer with quantized weights reads its input once anyway, to quantize
//   it to 8-bit blocks; that pass normalizes each row as it goes (the
//   prologue keeps the norm's weight: folding it into the weights would
//   change their blocks, and measured on stories260K it loses accuracy,
//   docs/fidelity.md).
// * A layer with float weights takes the norm's scale into its weight,
//   `W diag(g)`, computed once when the weights file is written (the same
//   function, up to one rounding per weight). What is left, dividing each
//   row by its RMS, commutes with the product: the code scales each output
//   row in the layer's epilogue.
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

/// The float weight of `linear` as a param that `norm`'s scale can be
/// folded into, if it is one.
ParamOp foldableWeight(LinearOp linear, RMSNormOp norm) {
  auto weight = linear.getWeight().getDefiningOp<ParamOp>();
  auto scale = norm.getWeight().getDefiningOp<ParamOp>();
  if (!weight || !scale || weight.getColumnScale() ||
      !isa<FloatType>(weight.getType().getElementType()))
    return nullptr;
  return weight;
}

/// A linear layer that can take `norm` as its prologue: it reads the
/// normalized value as its input, has no prologue, and either quantized
/// weights or float weights the scale folds into.
bool canTakeNorm(Operation *user, RMSNormOp norm) {
  auto linear = dyn_cast<LinearOp>(user);
  if (!linear || linear.getInput() != norm.getResult() ||
      linear.getNormEps() ||
      !norm.getInput().getType().getElementType().isF32())
    return false;
  auto weight = cast<ShapedType>(linear.getWeight().getType());
  return isa<QuantType>(weight.getElementType()) ||
         foldableWeight(linear, norm);
}

/// `weight diag(scale)`: a new param next to `weight`, keyed by both names.
ParamOp foldScale(PatternRewriter &rewriter, ParamOp weight, ParamOp scale) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(weight);
  std::string name = (weight.getName() + "*" + scale.getName()).str();
  return ParamOp::create(rewriter, weight.getLoc(), weight.getType(),
                         rewriter.getStringAttr(name), weight.getPartsAttr(),
                         scale.getNameAttr());
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
          norm, "not only read by linear layers that can take it");
    for (Operation *user : llvm::make_early_inc_range(norm->getUsers())) {
      auto linear = cast<LinearOp>(user);
      ParamOp weight = foldableWeight(linear, norm);
      ParamOp folded =
          weight ? foldScale(rewriter, weight,
                             norm.getWeight().getDefiningOp<ParamOp>())
                 : nullptr;
      rewriter.modifyOpInPlace(linear, [&] {
        linear.getInputMutable().assign(norm.getInput());
        linear.setNormEpsAttr(norm.getEpsAttr());
        if (folded)
          linear.getWeightMutable().assign(folded);
        else
          linear.getNormWeightMutable().assign(norm.getWeight());
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
