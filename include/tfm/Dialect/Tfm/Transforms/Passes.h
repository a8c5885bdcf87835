//===- Passes.h - tfm dialect passes ----------------------------*- C++ -*-===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_PASSES_H
#define TFM_DIALECT_TFM_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"

/// Registers every tfm pass and the named tfm pipelines with the global
/// registry, so opt-style tools can run them by name.
void registerTfmPassesAndPipelines();

/// Adds the graph-level pipeline `tfm-graph-pipeline`: clean-ups and
/// rewrites on the tfm dialect that need no target knowledge.
void buildTfmGraphPipeline(OpPassManager &pm);

#define GEN_PASS_REGISTRATION
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"

} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_H
