//===- FuseMatmulEpilogues.cpp - epilogues in the matmul's thread tiles ---===//
//
// A float linear layer whose norm's scale is folded into its weights still
// divides each output row by the row's RMS, a gated layer combines its
// gate and up products, and a layer with an activation adds its bias and
// applies it; convert-tfm-to-linalg writes each as a
// `matmul_epilogue` kernel over the panel products. Computed on its own
// that kernel reads and writes every product once more. Tiled over weight
// panels together with the matmul kernels that produce its operands, each
// thread step finishes the products it just computed.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEMATMULEPILOGUES
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

bool isKernel(Operation *op, StringRef kind) {
  auto tag = op ? op->getAttrOfType<StringAttr>(kKernelAttrName) : nullptr;
  return tag && tag.getValue() == kind;
}

/// True if the epilogue overwrites the products of a matmul kernel.
bool overwritesMatmulProducts(linalg::GenericOp epilogue) {
  return epilogue.getNumDpsInits() == 1 &&
         isKernel(epilogue.getDpsInits().front().getDefiningOp(),
                  "matmul_panels");
}

struct TfmFuseMatmulEpiloguesPass
    : tfm::impl::TfmFuseMatmulEpiloguesBase<TfmFuseMatmulEpiloguesPass> {
  using TfmFuseMatmulEpiloguesBase::TfmFuseMatmulEpiloguesBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> epilogues;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isKernel(op, "matmul_epilogue") && op.hasPureTensorSemantics() &&
          op.getNumLoops() == 3 && overwritesMatmulProducts(op))
        epilogues.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp epilogue : epilogues)
      if (failed(fuse(rewriter, epilogue)))
        return signalPassFailure();
  }

  LogicalResult fuse(RewriterBase &rewriter, linalg::GenericOp epilogue) {
    SmallVector<int64_t> ranges = epilogue.getStaticLoopRanges();
    int64_t panels = ranges[0] == 1
                         ? (decodePanels > 0 ? decodePanels
                                             : kDefaultDecodePanels)
                         : (prefillPanels > 0 ? prefillPanels
                                              : kDefaultPrefillPanels);
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(getAsIndexOpFoldResult(
        &getContext(), {0, std::min(panels, ranges[1]), 0}));
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    // Only the matmuls: their zero-filled destinations stay whole buffers
    // outside the loop. A product the epilogue reads as an input (the up
    // half) is yielded too, so its tile is written in place, not into a
    // buffer of each step.
    options.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (!isKernel(producer.getOwner(), "matmul_panels"))
            return std::nullopt;
          scf::SCFTileAndFuseOptions::ControlFnResult result;
          result.yieldProducerReplacement = !isDestination;
          return result;
        });
    SetVector<Operation *> matmuls;
    for (Value operand : epilogue->getOperands())
      if (isKernel(operand.getDefiningOp(), "matmul_panels"))
        matmuls.insert(operand.getDefiningOp());
    rewriter.setInsertionPoint(epilogue);
    FailureOr<scf::SCFTileAndFuseResult> fused =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(epilogue.getOperation()), options);
    if (failed(fused))
      return epilogue.emitOpError("could not be fused with its matmuls");
    for (OpResult result : epilogue->getResults())
      rewriter.replaceAllUsesWith(result, fused->replacements.lookup(result));
    rewriter.eraseOp(epilogue);
    // The untiled matmuls are dead now. The loop result that replaces the
    // up products is unused too but must stay (no canonicalization here):
    // it keeps their tiles written in place.
    for (Operation *producer : matmuls) {
      // Sizes taken from a product are its destination's; the slices
      // fusion took of it are left unused.
      auto matmul = cast<linalg::GenericOp>(producer);
      for (OpOperand &use : llvm::make_early_inc_range(
               matmul.getResult(0).getUses())) {
        Operation *user = use.getOwner();
        if (isa<tensor::DimOp>(user))
          rewriter.modifyOpInPlace(user, [&] {
            use.set(matmul.getDpsInits().front());
          });
        else if (isa<tensor::ExtractSliceOp>(user) && user->use_empty())
          rewriter.eraseOp(user);
      }
      if (producer->use_empty())
        rewriter.eraseOp(producer);
    }
    return success();
  }
};

} // namespace
