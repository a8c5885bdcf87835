//===- Passes.h - tfm dialect passes ----------------------------*- C++ -*-===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_PASSES_H
#define TFM_DIALECT_TFM_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"

/// Registers every tfm pass and the named tfm pipelines with the global
/// registry, so opt-style tools can run them by name.
void registerTfmPassesAndPipelines();

/// Options of `tfm-graph-pipeline`: every fusion can be switched off, to
/// measure what it brings or to isolate a miscompile.
struct GraphPipelineOptions
    : public PassPipelineOptions<GraphPipelineOptions> {
  Option<bool> fuseSiblingLinears{
      *this, "fuse-sibling-linears",
      llvm::cl::desc("Stack linears that share their input "
                     "(tfm-fuse-sibling-linears)"),
      llvm::cl::init(true)};
  Option<bool> fuseResidualAdds{
      *this, "fuse-residual-adds",
      llvm::cl::desc("Make residual adds linear-layer epilogues "
                     "(tfm-fuse-residual-adds)"),
      llvm::cl::init(true)};
  Option<bool> fuseNorm{
      *this, "fuse-norm",
      llvm::cl::desc("Normalize the input of quantized linear layers in their "
                     "activation quantization (tfm-fuse-norm-into-linear)"),
      llvm::cl::init(true)};
  Option<bool> fuseGatedActivations{
      *this, "fuse-gated-activations",
      llvm::cl::desc("Apply SwiGLU in the epilogue of the quantized gate/up "
                     "layer (tfm-fuse-gated-activations)"),
      llvm::cl::init(true)};
  Option<bool> fuseLinearActivations{
      *this, "fuse-linear-activations",
      llvm::cl::desc("Apply a non-gated FFN's bias and activation in the "
                     "epilogue of its linear layer "
                     "(tfm-fuse-linear-activations)"),
      llvm::cl::init(true)};
  Option<bool> fuseRope{
      *this, "fuse-rope",
      llvm::cl::desc("Rotate keys in the KV-cache write and queries in the "
                     "attention kernel (tfm-fuse-rope-into-attention)"),
      llvm::cl::init(true)};
  Option<bool> fuseHeadNorm{
      *this, "fuse-head-norm",
      llvm::cl::desc("Normalize each key head in the KV-cache write and each "
                     "query head in the attention kernel "
                     "(tfm-fuse-head-norm-into-attention)"),
      llvm::cl::init(true)};
};

/// Adds the graph-level pipeline `tfm-graph-pipeline`: clean-ups and
/// rewrites on the tfm dialect that need no target knowledge.
void buildTfmGraphPipeline(OpPassManager &pm,
                           const GraphPipelineOptions &options = {});

#define GEN_PASS_REGISTRATION
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"

} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_H
