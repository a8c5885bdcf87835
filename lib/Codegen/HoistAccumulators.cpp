//===- HoistAccumulators.cpp - reduction accumulators in registers --------===//
//
// A vectorized reduction tile reads its accumulator from memory, adds one
// step's products and writes it back, in every iteration of the reduction
// loop: a matmul over 768 input features loads and stores its register tile
// 768 times, and each step waits for the previous step's store. Upstream's
// linalg::hoistRedundantVectorTransfers would keep the accumulator in
// registers, but it leaves alone transfers on views (subview, view), and
// every buffer here is a view of the weights file or of the stack arena.
//
// This pass hoists the pair out of the loops tfm-tile-and-vectorize marks
// with `tfm.reduction_loop` (the reduction loops of matmul and row-reduction
// kernels, whose accumulator is the kernel's output buffer and never one of
// its inputs), when the loop writes nothing else and the pair reads and
// writes the same place with loop-invariant operands.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMHOISTACCUMULATORS
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The read and write of one accumulator in a reduction loop.
struct AccumulatorPair {
  vector::TransferReadOp read;
  vector::TransferWriteOp write;
};

/// True if `read` and `write` access the same elements the same way.
bool sameAccess(vector::TransferReadOp read, vector::TransferWriteOp write) {
  return read.getBase() == write.getBase() &&
         read.getIndices() == write.getIndices() &&
         read.getMask() == write.getMask() &&
         read.getPermutationMap() == write.getPermutationMap() &&
         read.getVectorType() == write.getVectorType() &&
         read.getInBoundsValues() == write.getInBoundsValues();
}

/// The accumulator pair of `loop`, if its body writes memory only through
/// one transfer_write whose operands are loop-invariant, and reads that
/// memref only through one matching transfer_read.
std::optional<AccumulatorPair> findAccumulator(scf::ForOp loop) {
  vector::TransferWriteOp write;
  SmallVector<vector::TransferReadOp> reads;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto transferWrite = dyn_cast<vector::TransferWriteOp>(op)) {
      if (write)
        return std::nullopt;
      write = transferWrite;
      continue;
    }
    if (auto read = dyn_cast<vector::TransferReadOp>(op)) {
      reads.push_back(read);
      continue;
    }
    if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
      return std::nullopt;
  }
  if (!write || !isa<MemRefType>(write.getBase().getType()) ||
      !llvm::all_of(write->getOperands().drop_front(), [&](Value operand) {
        return loop.isDefinedOutsideOfLoop(operand);
      }))
    return std::nullopt;
  vector::TransferReadOp accumulatorRead;
  for (vector::TransferReadOp read : reads) {
    if (read.getBase() != write.getBase())
      continue;
    if (accumulatorRead || !sameAccess(read, write) ||
        !read->isBeforeInBlock(write))
      return std::nullopt;
    accumulatorRead = read;
  }
  if (!accumulatorRead)
    return std::nullopt;
  return AccumulatorPair{accumulatorRead, write};
}

/// Reads the accumulator before `loop`, carries it as an iteration argument
/// and writes it after the loop.
void hoist(RewriterBase &rewriter, scf::ForOp loop, AccumulatorPair pair) {
  rewriter.moveOpBefore(pair.read, loop);
  FailureOr<LoopLikeOpInterface> grown = loop.replaceWithAdditionalYields(
      rewriter, pair.read.getResult(), /*replaceInitOperandUsesInLoop=*/true,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return SmallVector<Value>{pair.write.getVector()};
      });
  if (failed(grown))
    return;
  auto newLoop = cast<scf::ForOp>(grown->getOperation());
  rewriter.moveOpAfter(pair.write, newLoop);
  rewriter.modifyOpInPlace(pair.write, [&] {
    pair.write.getValueToStoreMutable().assign(newLoop.getResults().back());
  });
}

struct TfmHoistAccumulatorsPass
    : tfm::impl::TfmHoistAccumulatorsBase<TfmHoistAccumulatorsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->hasAttr(kReductionLoopAttrName))
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      // Views of the accumulator made in the body leave it first.
      moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
      if (std::optional<AccumulatorPair> pair = findAccumulator(loop))
        hoist(rewriter, loop, *pair);
    }
  }
};

} // namespace
