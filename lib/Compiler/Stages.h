//===- Stages.h - the stages of compileModel --------------------*- C++ -*-===//

#ifndef TFM_LIB_COMPILER_STAGES_H
#define TFM_LIB_COMPILER_STAGES_H

#include "tfm/Codegen/CpuTarget.h"
#include "tfm/Compiler/Calibration.h"
#include "tfm/Compiler/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tfm {

/// Version of the ABI between generated libraries and lib/Runtime; stored
/// first in `tfm_model_info`.
inline constexpr int64_t kModelAbiVersion = 2;

/// How the tensors of a weights file were produced.
struct WeightsSummary {
  /// Quantized blocks copied byte for byte from the model file.
  int copied = 0;
  /// Quantized from other formats (tfm-compile --quant).
  int quantized = 0;
  /// Stored as f32, or folded into f32 weights (a norm's scale).
  int floats = 0;
  /// Of `quantized`, rounded with GPTQ against the calibration inputs.
  int calibrated = 0;
};

/// Writes the weights listed in the module's `tfm.weights` attribute (set by
/// tfm-lower-entry-points) to `path`: f32, packed into panels where the
/// entry says so, or rows of blocks. With `calibration`, the tensors it
/// quantizes are rounded with GPTQ against their inputs' second moments.
llvm::Expected<WeightsSummary>
writeWeightsFile(ModuleOp module, const ModelFile &model, llvm::StringRef path,
                 const CalibrationInputs *calibration = nullptr);

/// The multiply-accumulates of a decoder's prefill by kind of product:
/// what tfm-bench weighs against the machine's peak rates (manifest.json's
/// `prefill_work`). Per prompt token the linear layers' (float weights:
/// f32 FMAs; block-quantized: 8-bit dot products), once per prompt the
/// logits' (of the last token only), and per visible (query, key) pair the
/// attention's scores and weighted values (f32).
struct PrefillWork {
  int64_t layerFloatMacs = 0;
  int64_t layerInt8Macs = 0;
  int64_t logitsFloatMacs = 0;
  int64_t logitsInt8Macs = 0;
  int64_t attentionMacsPerPair = 0;
};

/// The prefill work of `module`'s `prefill` function with its weights in
/// their stored types (after tfm-quantize-weights); zeros without one.
PrefillWork prefillWorkOf(ModuleOp module);

/// Writes manifest.json.
llvm::Error writeManifest(const ModelFile &model, const CompileOptions &options,
                          const CpuTarget &target, int64_t contextLength,
                          int64_t weightsBytes, const PrefillWork &prefill,
                          llvm::StringRef path);

} // namespace mlir::tfm

#endif // TFM_LIB_COMPILER_STAGES_H
