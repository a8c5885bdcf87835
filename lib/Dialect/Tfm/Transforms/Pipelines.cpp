//===- Pipelines.cpp - named tfm pass pipelines ---------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tfm::buildTfmGraphPipeline(OpPassManager &pm) {
  pm.addPass(createTfmLastTokenLogits());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void tfm::registerTfmPassesAndPipelines() {
  registerTfmPasses();
  PassPipelineRegistration<>(
      "tfm-graph-pipeline",
      "Graph-level tfm rewrites: tfm-last-token-logits, canonicalize, cse",
      buildTfmGraphPipeline);
}
