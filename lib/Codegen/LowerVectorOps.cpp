//===- LowerVectorOps.cpp - vector lowering with per-op strategies --------===//
//
// Upstream lowers every vector.multi_reduction of a function with one
// strategy. Our kernels need both: a matmul reduces over a middle dimension
// (adding whole vectors keeps it in FMAs), a row sum over the innermost one
// (only a horizontal reduction makes sense). So each op gets the strategy
// its shape asks for.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERVECTOROPS
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

bool reducesInnermostDim(vector::MultiDimReductionOp op) {
  return op.isReducedDim(op.getSourceVectorType().getRank() - 1);
}

/// Lowers the reductions over the innermost dimension (row sums, dot
/// products over a head) as horizontal reductions.
LogicalResult lowerInnermostReductions(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.walk([&](vector::MultiDimReductionOp op) {
    if (reducesInnermostDim(op))
      ops.push_back(op);
  });
  if (ops.empty())
    return success();
  RewritePatternSet patterns(func.getContext());
  vector::populateVectorMultiReductionLoweringPatterns(
      patterns, vector::VectorMultiReductionLowering::InnerReduction);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  return applyOpPatternsGreedily(ops, std::move(patterns), config);
}

struct TfmLowerVectorOpsPass
    : public tfm::impl::TfmLowerVectorOpsBase<TfmLowerVectorOpsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *context = &getContext();

    RewritePatternSet transfers(context);
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(transfers);
    vector::populateVectorTransferPermutationMapLoweringPatterns(transfers);
    if (failed(applyPatternsGreedily(func, std::move(transfers))))
      return signalPassFailure();

    if (failed(lowerInnermostReductions(func)))
      return signalPassFailure();
    // What is left reduces outer dimensions. Lowering a masked one produces
    // new ops step by step, so the whole function is rewritten, not a list.
    RewritePatternSet outer(context);
    vector::populateVectorMultiReductionLoweringPatterns(
        outer, vector::VectorMultiReductionLowering::InnerParallel);
    if (failed(applyPatternsGreedily(func, std::move(outer))))
      return signalPassFailure();
  }
};

} // namespace
