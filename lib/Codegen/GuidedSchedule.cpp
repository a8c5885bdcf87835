//===- GuidedSchedule.cpp - schedule(guided) for OpenMP worksharing loops -===//
//
// A static schedule fixes each thread's share of a loop before it starts,
// so every loop ends when its slowest thread does; on a shared machine a
// core that is slowed for a moment makes the other one wait. A guided
// schedule hands out shrinking chunks of what is left, so the threads even
// out while the chunks at the start stay long. Only a prefill's loops
// (functions with a batch of tokens: an argument whose leading dimension
// is dynamic) change: a dynamic dispatch costs ~10 us more than a static
// one with Debian's libomp (it formats trace strings on every call), about
// what a decode step's loop takes in all. A loop of exactly one task per
// thread has nothing to share out and keeps the static schedule too.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/Matchers.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGUIDEDSCHEDULE
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `bound` is `omp_get_max_threads()` as an index: one task per thread.
bool isThreadCount(Value bound) {
  auto cast = bound.getDefiningOp<arith::IndexCastOp>();
  if (!cast)
    return false;
  auto call = cast.getIn().getDefiningOp<func::CallOp>();
  return call && call.getCallee() == "omp_get_max_threads";
}

/// The loop runs one task per OpenMP thread.
bool hasOneTaskPerThread(omp::WsloopOp loop) {
  auto nest = dyn_cast_or_null<omp::LoopNestOp>(loop.getWrappedLoop());
  if (!nest || nest.getLoopUpperBounds().size() != 1)
    return false;
  return isThreadCount(nest.getLoopUpperBounds().front()) &&
         matchPattern(nest.getLoopLowerBounds().front(), m_Zero()) &&
         matchPattern(nest.getLoopSteps().front(), m_One());
}

/// `function` takes a batch of tokens (a prefill): a memref argument whose
/// leading dimension is dynamic.
bool takesTokenBatch(func::FuncOp function) {
  return llvm::any_of(function.getArgumentTypes(), [](Type type) {
    auto memref = dyn_cast<MemRefType>(type);
    return memref && memref.getRank() > 0 && memref.isDynamicDim(0);
  });
}

struct TfmGuidedSchedulePass
    : public tfm::impl::TfmGuidedScheduleBase<TfmGuidedSchedulePass> {
  void runOnOperation() override {
    if (!takesTokenBatch(getOperation()))
      return;
    getOperation().walk([](omp::WsloopOp loop) {
      if (loop.getScheduleKind() || hasOneTaskPerThread(loop))
        return;
      loop.setScheduleKindAttr(omp::ClauseScheduleKindAttr::get(
          loop.getContext(), omp::ClauseScheduleKind::Guided));
    });
  }
};

} // namespace
