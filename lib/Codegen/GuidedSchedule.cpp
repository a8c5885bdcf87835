//===- GuidedSchedule.cpp - schedule(guided) for OpenMP worksharing loops -===//
//
// A static schedule fixes each thread's share of a loop before it starts,
// so every loop ends when its slowest thread does; on a shared machine a
// core that is slowed for a moment makes the other one wait. A guided
// schedule hands out shrinking chunks of what is left, so the threads even
// out while the chunks at the start stay long (whole weight streams).
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGUIDEDSCHEDULE
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmGuidedSchedulePass
    : public tfm::impl::TfmGuidedScheduleBase<TfmGuidedSchedulePass> {
  void runOnOperation() override {
    getOperation().walk([](omp::WsloopOp loop) {
      if (loop.getScheduleKind())
        return;
      loop.setScheduleKindAttr(omp::ClauseScheduleKindAttr::get(
          loop.getContext(), omp::ClauseScheduleKind::Guided));
    });
  }
};

} // namespace
