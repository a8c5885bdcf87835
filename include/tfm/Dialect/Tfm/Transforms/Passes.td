//===- Passes.td - tfm dialect passes ----------------------*- tablegen -*-===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
#define TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmLastTokenLogits : Pass<"tfm-last-token-logits", "::mlir::ModuleOp"> {
  let summary = "Compute prefill logits for the last token only";
  let description = [{
    A decoder's prefill only needs the logits of the last prompt token to
    sample the next one, yet a model written naturally projects every
    position to the vocabulary: `seq * vocab * dim` multiply-adds for the
    largest matrix of the model. This pass selects the last row with
    `tfm.last_token` before `tfm.logits` in the chosen functions, then moves
    the selection above the row-wise ops that produce the logits' input
    (final norm, residual add, activations), and narrows the function's
    result type to `[1, vocab]`.

    Leave it out when all positions' logits are needed (perplexity).
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Functions whose returned logits are narrowed to the last token",
               "llvm::cl::ZeroOrMore">
  ];
}

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
