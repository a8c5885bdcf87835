//===- ImportToIR.h - a model file as a tfm module ---------------*- C++ -*-===//

#ifndef TFM_BUILDER_IMPORTTOIR_H
#define TFM_BUILDER_IMPORTTOIR_H

#include "tfm/Import/ModelFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::tfm {

struct ImportOptions {
  /// Replaces the file's context length (the KV cache length); 0 keeps it.
  int64_t contextLength = 0;
  /// Adds the `embed` entry point (BuildOptions::embeddings).
  bool embeddings = false;
  /// The most tokens of one call, which sizes the sliding layers' ring
  /// (BuildOptions::ubatch; 0: no ring).
  int64_t ubatch = 512;
};

/// Builds the tfm module of `model` and binds every `tfm.param` to a tensor
/// of the file: the tensor must exist and have the shape the op needs. Each
/// param takes the tensor's element type (f32, f16, bf16); block-quantized
/// tensors are f32 params with a `tfm.storage` attribute naming the format.
/// The module records its source in the `tfm.source` attribute.
llvm::Expected<OwningOpRef<ModuleOp>>
importModel(MLIRContext &context, const ModelFile &model,
            const ImportOptions &options = {});

} // namespace mlir::tfm

#endif // TFM_BUILDER_IMPORTTOIR_H
