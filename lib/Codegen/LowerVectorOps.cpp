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

LogicalResult lowerMultiReductions(func::FuncOp func,
                                   vector::VectorMultiReductionLowering strategy,
                                   bool innermost) {
  SmallVector<Operation *> ops;
  func.walk([&](vector::MultiDimReductionOp op) {
    if (reducesInnermostDim(op) == innermost)
      ops.push_back(op);
  });
  if (ops.empty())
    return success();
  RewritePatternSet patterns(func.getContext());
  vector::populateVectorMultiReductionLoweringPatterns(patterns, strategy);
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

    using Lowering = vector::VectorMultiReductionLowering;
    if (failed(lowerMultiReductions(func, Lowering::InnerReduction,
                                    /*innermost=*/true)) ||
        failed(lowerMultiReductions(func, Lowering::InnerParallel,
                                    /*innermost=*/false)))
      return signalPassFailure();
  }
};

} // namespace
