//===- Pipelines.cpp - named tfm pass pipelines ---------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tfm::buildTfmGraphPipeline(OpPassManager &pm,
                                const GraphPipelineOptions &options) {
  pm.addPass(createTfmLastTokenLogits());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Fusions, after the clean-ups: CSE merges the inputs they look for.
  if (options.fuseSiblingLinears)
    pm.addPass(createTfmFuseSiblingLinears());
  if (options.fuseResidualAdds)
    pm.addPass(createTfmFuseResidualAdds());
  if (options.fuseNorm)
    pm.addPass(createTfmFuseNormIntoLinear());
  if (options.fuseGatedActivations)
    pm.addPass(createTfmFuseGatedActivations());
  if (options.fuseLinearActivations)
    pm.addPass(createTfmFuseLinearActivations());
  if (options.fuseRope)
    pm.addPass(createTfmFuseRoPEIntoAttention());
  // After the rope fusion: a head norm moves in only once the rope computed
  // after it is inside the op.
  if (options.fuseHeadNorm)
    pm.addPass(createTfmFuseHeadNormIntoAttention());
}

void tfm::registerTfmPassesAndPipelines() {
  registerTfmPasses();
  PassPipelineRegistration<GraphPipelineOptions>(
      "tfm-graph-pipeline",
      "Graph-level tfm rewrites: tfm-last-token-logits, canonicalize, cse, "
      "tfm-fuse-sibling-linears, tfm-fuse-residual-adds, "
      "tfm-fuse-norm-into-linear, tfm-fuse-gated-activations, "
      "tfm-fuse-linear-activations, tfm-fuse-rope-into-attention, "
      "tfm-fuse-head-norm-into-attention",
      [](OpPassManager &pm, const GraphPipelineOptions &options) {
        buildTfmGraphPipeline(pm, options);
      });
}
