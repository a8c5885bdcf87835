//===- FuseGatedActivations.cpp - SwiGLU as a linear-layer epilogue -------===//
//
// After tfm-fuse-sibling-linears, a Llama FFN computes gate and up as one
// linear layer over [gate; up] rows, slices the result in two and applies
// silu(gate) * up. For quantized weights the microkernel can compute a gate
// row and its up row together and apply the activation as its epilogue, so
// neither half is written to memory and the element-wise pass disappears.
// For float weights the lowering computes the gate and up products of a
// tile of features together and finishes them in the same thread step.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEGATEDACTIVATIONS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `slice` takes all rows and columns [column, column + width) of a
/// rank-2 value with unit strides.
bool isColumnSlice(tensor::ExtractSliceOp slice, int64_t column,
                   int64_t width) {
  if (!slice || slice.getSourceType().getRank() != 2 ||
      !slice.hasUnitStride() || !slice->hasOneUse())
    return false;
  std::optional<int64_t> rowOffset =
      getConstantIntValue(slice.getMixedOffsets()[0]);
  std::optional<int64_t> columnOffset =
      getConstantIntValue(slice.getMixedOffsets()[1]);
  std::optional<int64_t> columns =
      getConstantIntValue(slice.getMixedSizes()[1]);
  return rowOffset == 0 && columnOffset == column && columns == width &&
         slice.getType().getRank() == 2;
}

/// gated_activation(slice(l, [0, H)), slice(l, [H, 2H))) with `l` a
/// linear of 2H rows -> linear {gated}.
struct FuseGatedActivation : OpRewritePattern<GatedActivationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatedActivationOp gated,
                                PatternRewriter &rewriter) const override {
    auto gate = gated.getGate().getDefiningOp<tensor::ExtractSliceOp>();
    auto up = gated.getUp().getDefiningOp<tensor::ExtractSliceOp>();
    if (!gate || !up || gate.getSource() != up.getSource())
      return rewriter.notifyMatchFailure(gated, "not two slices of one value");
    auto linear = gate.getSource().getDefiningOp<LinearOp>();
    if (!linear || linear.getGated() || linear.getActivation() ||
        linear.getBias() ||
        linear.getResidual())
      return rewriter.notifyMatchFailure(gated, "not a plain linear layer");
    int64_t features = linear.getType().getDimSize(1);
    int64_t half = features / 2;
    // Besides the halves, only the row count may be read (the slices'
    // sizes): it is the input's.
    SmallVector<tensor::DimOp> rowCounts;
    for (Operation *user : linear->getUsers()) {
      if (user == gate || user == up)
        continue;
      auto dim = dyn_cast<tensor::DimOp>(user);
      if (!dim || dim.getConstantIndex() != 0)
        return rewriter.notifyMatchFailure(gated, "product used elsewhere");
      rowCounts.push_back(dim);
    }
    if (features % 2 != 0 || !isColumnSlice(gate, 0, half) ||
        !isColumnSlice(up, half, half))
      return rewriter.notifyMatchFailure(gated, "not the two row halves");
    for (tensor::DimOp dim : rowCounts)
      rewriter.modifyOpInPlace(
          dim, [&] { dim.getSourceMutable().assign(linear.getInput()); });
    rewriter.replaceOpWithNewOp<LinearOp>(
        gated, gated.getType(), linear.getInput(), linear.getNormWeight(),
        linear.getWeight(), /*bias=*/Value(), /*residual=*/Value(),
        linear.getNormEpsAttr(),
        ActivationAttr::get(rewriter.getContext(), gated.getKind()),
        /*activation=*/ActivationAttr());
    rewriter.eraseOp(gate);
    rewriter.eraseOp(up);
    rewriter.eraseOp(linear);
    return success();
  }
};

struct TfmFuseGatedActivationsPass
    : tfm::impl::TfmFuseGatedActivationsBase<TfmFuseGatedActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGatedActivation>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("tfm-fuse-gated-activations did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
