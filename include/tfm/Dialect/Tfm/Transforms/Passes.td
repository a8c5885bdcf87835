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

def TfmOutlineLayers : Pass<"tfm-outline-layers", "::mlir::ModuleOp"> {
  let summary = "Move the repeated transformer layers into one function";
  let description = [{
    A model function spells out every layer, so everything after it (the
    lowering, LLVM's optimizer, instruction selection) would compile the same
    layer once per layer: 24 times for a 24-layer model. This pass finds the
    layers, checks that they are the same computation, moves one copy into a
    private function `@<function>_layer` and calls it once per layer.

    A layer is the set of ops that depend on the weights of layer `N` (the
    params named `blk.N.*`, the names every importer uses) and on no later
    layer's weights, minus the tail that reads global weights after the
    layers (final norm, logits). Layers that are not contiguous or not
    isomorphic to the first (same ops, attributes and types, same data flow;
    only the weights and the KV-cache layer may differ) stay inline, so the
    pass never changes what a function computes. Weights become arguments of
    the layer function and KV-cache ops take the layer as an `index`
    argument.
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    Option<"minLayers", "min-layers", "int64_t", "2",
           "Outline only when at least this many layers are alike">
  ];
}

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
