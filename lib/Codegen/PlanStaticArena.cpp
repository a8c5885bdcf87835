//===- PlanStaticArena.cpp - intermediate buffers in one planned arena ----===//
//
// After bufferization every intermediate tensor of a layer is a
// `memref.alloc`: a decoded token would call malloc and free some thirty
// times per layer. Buffers whose size is known at compile time (all of a
// decode step's but those sized by the context so far) are instead placed
// in one stack arena per function call: the pass computes each buffer's
// live range in the function body, packs buffers whose ranges do not
// overlap into the same bytes, and replaces the allocations by
// `memref.view`s of one `memref.alloca`.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMPLANSTATICARENA
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Buffers start at multiples of a cache line (and of an AVX-512 vector).
constexpr int64_t kArenaAlignment = 64;

/// One buffer to place: its allocation, its live range in positions of the
/// function body's ops (inclusive), and where it goes in the arena.
struct PlannedBuffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0;
  int64_t last = 0;
  int64_t offset = 0;
  SmallVector<memref::DeallocOp> deallocs;
};

/// Bytes of a statically shaped, identity-layout buffer of int or float
/// elements; nullopt for anything else.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !type.getElementType().isIntOrFloat() ||
      type.getElementTypeBitWidth() % 8 != 0 || type.getMemorySpace())
    return std::nullopt;
  return type.getNumElements() * type.getElementTypeBitWidth() / 8;
}

/// Computes the live range of `buffer` through its views. Fails if the
/// buffer escapes (returned, passed to a call that returns memrefs, or
/// reaching an op whose memref results could alias it).
LogicalResult computeLiveRange(PlannedBuffer &buffer, Block &body,
                               const DenseMap<Operation *, int64_t> &position) {
  auto positionOf = [&](Operation *op) -> int64_t {
    Operation *ancestor = body.findAncestorOpInBlock(*op);
    return ancestor ? position.lookup(ancestor) : -1;
  };
  buffer.first = buffer.last = position.lookup(buffer.alloc);
  SmallVector<Value> aliases{buffer.alloc.getResult()};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      int64_t at = positionOf(user);
      if (at < 0 || isa<func::ReturnOp>(user))
        return failure();
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        buffer.deallocs.push_back(dealloc);
        continue;
      }
      buffer.last = std::max(buffer.last, at);
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == alias) {
          aliases.push_back(view->getResult(0));
          continue;
        }
      }
      // A raw pointer lives as long as what is computed from it.
      if (isa<memref::ExtractAlignedPointerAsIndexOp>(user)) {
        SetVector<Operation *> slice;
        getForwardSlice(user, &slice);
        for (Operation *derived : slice)
          buffer.last = std::max(buffer.last, positionOf(derived));
        continue;
      }
      if (llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>))
        return failure();
    }
  }
  return success();
}

/// First-fit by start: each buffer takes the lowest aligned offset that
/// does not overlap a buffer live at the same time. Returns the arena size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers) {
  int64_t arenaBytes = 0;
  for (auto [index, buffer] : llvm::enumerate(buffers)) {
    SmallVector<std::pair<int64_t, int64_t>> taken;
    for (const PlannedBuffer &other : buffers.take_front(index))
      if (other.first <= buffer.last && buffer.first <= other.last)
        taken.push_back({other.offset, other.offset + other.bytes});
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + buffer.bytes <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, kArenaAlignment));
    }
    buffer.offset = offset;
    arenaBytes = std::max(arenaBytes, offset + buffer.bytes);
  }
  return arenaBytes;
}

struct TfmPlanStaticArenaPass
    : tfm::impl::TfmPlanStaticArenaBase<TfmPlanStaticArenaPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> position;
    for (auto [index, op] : llvm::enumerate(body))
      position[&op] = index;

    SmallVector<PlannedBuffer> buffers;
    for (auto alloc : body.getOps<memref::AllocOp>()) {
      std::optional<int64_t> bytes = staticBytes(alloc.getType());
      if (!bytes || *bytes == 0)
        continue;
      PlannedBuffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = *bytes;
      if (succeeded(computeLiveRange(buffer, body, position)))
        buffers.push_back(std::move(buffer));
    }
    if (buffers.empty())
      return;

    int64_t arenaBytes = assignOffsets(buffers);
    if (arenaBytes > maxBytes) {
      func.emitRemark() << "tfm-plan-static-arena: " << arenaBytes
                        << " bytes of buffers exceed max-bytes=" << int64_t(maxBytes)
                        << "; they stay heap allocations";
      return;
    }
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Location loc = func.getLoc();
    auto arena = memref::AllocaOp::create(
        b, loc, MemRefType::get({arenaBytes}, b.getI8Type()),
        b.getI64IntegerAttr(kArenaAlignment));
    arena->setAttr("tfm.arena", b.getUnitAttr());
    for (PlannedBuffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Value offset =
          arith::ConstantIndexOp::create(b, buffer.alloc.getLoc(), buffer.offset);
      auto view = memref::ViewOp::create(b, buffer.alloc.getLoc(),
                                         buffer.alloc.getType(), arena, offset,
                                         ValueRange{});
      buffer.alloc.replaceAllUsesWith(view.getResult());
      buffer.alloc.erase();
      for (memref::DeallocOp dealloc : buffer.deallocs)
        dealloc.erase();
    }
  }
};

} // namespace
