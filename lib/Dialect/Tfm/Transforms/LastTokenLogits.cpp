//===- LastTokenLogits.cpp - narrow prefill logits to the last token ------===//
//
// Prefill samples from the last position only, so projecting every position
// to the vocabulary wastes `(seq - 1) * vocab * dim` multiply-adds. The pass
// inserts `tfm.last_token` before each returned `tfm.logits`, then sinks the
// row selection through row-wise producers that have no other user, so the
// tail of the last layer also runs on one row.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLASTTOKENLOGITS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `[seq, features]` -> `[1, features]`.
RankedTensorType oneRowType(Type type) {
  auto tensorType = cast<RankedTensorType>(type);
  return RankedTensorType::get({1, tensorType.getDimSize(1)},
                               tensorType.getElementType());
}

bool hasOneRow(Value value) {
  return cast<RankedTensorType>(value.getType()).getDimSize(0) == 1;
}

/// Operands of a row-wise op whose row `i` produces row `i` of the result;
/// the other operands (weights) are used whole. Empty if `op` is not
/// row-wise.
SmallVector<unsigned> rowAlignedOperands(Operation *op) {
  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (OpOperand *residual = linear.getResidualMutable().empty()
                                  ? nullptr
                                  : &linear.getResidualMutable()[0])
      return {0, residual->getOperandNumber()};
    return {0};
  }
  if (isa<RMSNormOp, LayerNormOp, LogitsOp, ActivationOp, SoftCapOp>(op))
    return {0};
  if (isa<AddOp, GatedActivationOp>(op))
    return {0, 1};
  return {};
}

/// last_token(rowwise(x, w)) -> rowwise(last_token(x), w), when the
/// row-wise op is used only by such row selections (otherwise it would be
/// computed twice): a norm that feeds several linear layers, each of which
/// had its last row selected, sinks once for all of them.
struct SinkLastTokenThroughRowwiseOp : OpRewritePattern<LastTokenOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LastTokenOp lastToken,
                                PatternRewriter &rewriter) const override {
    Operation *producer = lastToken.getInput().getDefiningOp();
    if (!producer || producer->getNumResults() != 1 ||
        !llvm::all_of(producer->getUsers(),
                      [](Operation *user) { return isa<LastTokenOp>(user); }))
      return rewriter.notifyMatchFailure(
          lastToken, "producer used by more than row selections");
    SmallVector<unsigned> rowOperands = rowAlignedOperands(producer);
    if (rowOperands.empty())
      return rewriter.notifyMatchFailure(lastToken, "producer is not row-wise");

    // Right after the producer: it must dominate every selection it
    // replaces.
    rewriter.setInsertionPointAfter(producer);
    IRMapping mapping;
    for (unsigned index : rowOperands) {
      Value rows = producer->getOperand(index);
      auto selected = LastTokenOp::create(rewriter, lastToken.getLoc(),
                                          oneRowType(rows.getType()), rows);
      mapping.map(rows, selected.getResult());
    }
    Operation *narrowed = rewriter.clone(*producer, mapping);
    narrowed->getResult(0).setType(oneRowType(producer->getResult(0).getType()));
    for (Operation *user : llvm::make_early_inc_range(producer->getUsers()))
      rewriter.replaceOp(user, narrowed->getResults());
    return success();
  }
};

/// Selecting the last row of a single row is the identity.
struct FoldLastTokenOfOneRow : OpRewritePattern<LastTokenOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LastTokenOp lastToken,
                                PatternRewriter &rewriter) const override {
    if (!hasOneRow(lastToken.getInput()))
      return failure();
    rewriter.replaceOp(lastToken, lastToken.getInput());
    return success();
  }
};

/// Rewrites every returned `tfm.logits` of `func` to use the last row only;
/// soft-capped logits (Gemma 2) get a row selection after the cap, which
/// the sinking pattern then moves above it. Returns true if something
/// changed.
bool selectLastTokenBeforeLogits(func::FuncOp func) {
  bool changed = false;
  func.walk([&](func::ReturnOp returnOp) {
    OpBuilder builder(returnOp);
    for (OpOperand &returned : returnOp->getOpOperands()) {
      if (auto cap = returned.get().getDefiningOp<SoftCapOp>();
          cap && cap.getInput().getDefiningOp<LogitsOp>() &&
          !hasOneRow(cap.getResult())) {
        auto lastRow =
            LastTokenOp::create(builder, cap.getLoc(),
                                oneRowType(cap.getType()), cap.getResult());
        returned.set(lastRow.getResult());
        changed = true;
        continue;
      }
      auto logits = returned.get().getDefiningOp<LogitsOp>();
      if (!logits || hasOneRow(logits.getResult()))
        continue;
      builder.setInsertionPoint(logits);
      Value input = logits.getInput();
      auto lastRow = LastTokenOp::create(builder, logits.getLoc(),
                                         oneRowType(input.getType()), input);
      auto narrowed = LogitsOp::create(
          builder, logits.getLoc(), oneRowType(logits.getResult().getType()),
          lastRow.getResult(), logits.getNormWeight(), logits.getWeight(),
          logits.getNormEpsAttr());
      returned.set(narrowed.getResult());
      changed = true;
    }
  });
  return changed;
}

void updateResultTypesFromReturn(func::FuncOp func) {
  auto returnOp = cast<func::ReturnOp>(func.getBody().back().getTerminator());
  func.setFunctionType(FunctionType::get(func.getContext(),
                                         func.getArgumentTypes(),
                                         returnOp.getOperandTypes()));
}

struct TfmLastTokenLogitsPass
    : tfm::impl::TfmLastTokenLogitsBase<TfmLastTokenLogitsPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::StringSet<> selected;
    for (const std::string &name : functions)
      selected.insert(name);
    if (selected.empty())
      selected.insert("prefill");

    RewritePatternSet patterns(&getContext());
    patterns.add<SinkLastTokenThroughRowwiseOp, FoldLastTokenOfOneRow>(
        &getContext());
    FrozenRewritePatternSet frozen(std::move(patterns));

    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !selected.contains(func.getSymName()))
        continue;
      if (!selectLastTokenBeforeLogits(func))
        continue;
      // Each rewrite moves a row selection above one producer, so the
      // rewriting ends; a deep model needs more sweeps than the default
      // ten (one per row-wise op between the logits and the attention).
      GreedyRewriteConfig config;
      config.setMaxIterations(int64_t(func.getBody().front().getOperations().size()));
      if (failed(applyPatternsGreedily(func, frozen, config))) {
        func.emitError("tfm-last-token-logits: rewriting did not converge");
        return signalPassFailure();
      }
      updateResultTypesFromReturn(func);
    }
  }
};

} // namespace
