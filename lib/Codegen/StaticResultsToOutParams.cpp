//===- StaticResultsToOutParams.cpp - layer results into caller buffers ---===//
//
// A layer function returns its hidden state in a buffer it allocates; with
// one call per layer and token that is a heap allocation per layer of every
// decode step. Passing the buffer in instead makes it an allocation of the
// caller with a static shape, which tfm-plan-static-arena places on the
// stack. Upstream's promoteBufferResultsToOutParams does the rewrite; it
// cannot handle dynamic shapes, so only functions whose results are all
// static are chosen, and entry points keep the ABI the runtime calls.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSTATICRESULTSTOOUTPARAMS
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Functions without dynamically shaped buffer results. Upstream applies
/// the filter both to the functions it rewrites and to the callers whose
/// calls it updates; public functions keep their signature regardless
/// (`modifyPublicFunctions` is off), so entry points only get their calls
/// updated.
bool hasNoDynamicBufferResult(func::FuncOp func) {
  return llvm::none_of(func.getResultTypes(), [](Type result) {
    auto buffer = dyn_cast<MemRefType>(result);
    return buffer && !buffer.hasStaticShape();
  });
}

struct TfmStaticResultsToOutParamsPass
    : public tfm::impl::TfmStaticResultsToOutParamsBase<
          TfmStaticResultsToOutParamsPass> {
  void runOnOperation() override {
    bufferization::BufferResultsToOutParamsOpts options;
    options.filterFn = [](func::FuncOp *func) {
      return hasNoDynamicBufferResult(*func);
    };
    options.hoistStaticAllocs = true;
    options.modifyPublicFunctions = false;
    if (failed(bufferization::promoteBufferResultsToOutParams(getOperation(),
                                                              options)))
      signalPassFailure();
  }
};

} // namespace
