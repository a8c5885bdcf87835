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

/// The float weight of `op` (a linear layer or the logits) as a param that
/// `norm`'s scale can be folded into, if it is one. The logits' weight must
/// have no other use: folding into a tied embedding table would store a
/// second copy of the model's largest matrix.
template <typename OpTy>
ParamOp foldableWeight(OpTy op, RMSNormOp norm) {
  auto weight = op.getWeight().template getDefiningOp<ParamOp>();
  auto scale = norm.getWeight().template getDefiningOp<ParamOp>();
  if (!weight || !scale || weight.getColumnScale() ||
      !isa<FloatType>(weight.getType().getElementType()))
    return nullptr;
  if (std::is_same_v<OpTy, LogitsOp> && !weight->hasOneUse())
    return nullptr;
  return weight;
}

/// An op that can take `norm` as its prologue: a linear layer or the
/// logits reading the normalized value, with no prologue yet, and either
/// quantized weights or float weights the scale folds into.
template <typename OpTy>
bool canTakeNormAs(Operation *user, RMSNormOp norm) {
  auto op = dyn_cast<OpTy>(user);
  // A per-group norm (q/k norm of each head) is no prologue of a row.
  if (!op || op.getInput() != norm.getResult() || op.getNormEps() ||
      !norm.isWholeRow() ||
      !norm.getInput().getType().getElementType().isF32())
    return false;
  auto weight = cast<ShapedType>(op.getWeight().getType());
  return isa<QuantType>(weight.getElementType()) || foldableWeight(op, norm);
}

bool canTakeNorm(Operation *user, RMSNormOp norm) {
  return canTakeNormAs<LinearOp>(user, norm) ||
         canTakeNormAs<LogitsOp>(user, norm);
}

/// `weight diag(scale)`: a new param next to `weight`, keyed by both names;
/// its parts name the source tensors (`weight` itself if it has none).
ParamOp foldScale(PatternRewriter &rewriter, ParamOp weight, ParamOp scale) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(weight);
  std::string name = (weight.getName() + "*" + scale.getName()).str();
  ArrayAttr parts = weight.getPartsAttr();
  if (!parts)
    parts = rewriter.getArrayAttr({weight.getNameAttr()});
  return ParamOp::create(rewriter, weight.getLoc(), weight.getType(),
                         rewriter.getStringAttr(name), parts,
                         scale.getNameAttr(), weight.getPoolHeadsAttr());
}

/// Makes `norm` the prologue of `op`: its scale folded into the weight
/// where it can be, else kept as the prologue's weight.
template <typename OpTy>
void takeNorm(PatternRewriter &rewriter, OpTy op, RMSNormOp norm) {
  ParamOp weight = foldableWeight(op, norm);
  ParamOp folded =
      weight ? foldScale(rewriter, weight,
                         norm.getWeight().template getDefiningOp<ParamOp>())
             : nullptr;
  rewriter.modifyOpInPlace(op, [&] {
    op.getInputMutable().assign(norm.getInput());
    op.setNormEpsAttr(norm.getEpsAttr());
    if (folded)
      op.getWeightMutable().assign(folded);
    else
      op.getNormWeightMutable().assign(norm.getWeight());
  });
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
      if (auto linear = dyn_cast<LinearOp>(user))
        takeNorm(rewriter, linear, norm);
      else
        takeNorm(rewriter, cast<LogitsOp>(user), norm);
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
