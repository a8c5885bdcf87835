//===- FuzzPipelines.cpp - libFuzzer target: random tfm programs ----------===//
//
// Structure-aware: the input chooses a decoder (an architecture row, then
// sizes, layer choices, positions, windows, soft caps, KV-cache type), the
// builder makes its tfm program, and what tfm-compile runs (weight and
// KV-cache formats, the CPU pipeline with its fusions switched on or off)
// takes it down to the LLVM dialect. A configuration the validator refuses, a verifier error
// or a pass failure is an answer; a crash, an assertion or a sanitizer
// report is a finding.
//
//===----------------------------------------------------------------------===//

#include "tfm/Builder/ModelBuilder.h"
#include "tfm/Codegen/Passes.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"
#include "tfm/Model/Architectures.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

using namespace mlir;
using namespace mlir::tfm;

namespace {

template <typename T, size_t N>
T pick(FuzzedDataProvider &in, const T (&choices)[N]) {
  return choices[in.ConsumeIntegralInRange<size_t>(0, N - 1)];
}

/// A small decoder of a random architecture row and random choices.
ModelConfig randomConfig(FuzzedDataProvider &in) {
  std::vector<const ArchitectureInfo *> decoders;
  for (const ArchitectureInfo &info : architectures())
    if (info.family == ModelFamily::Decoder)
      decoders.push_back(&info);
  const ArchitectureInfo *info =
      decoders[in.ConsumeIntegralInRange<size_t>(0, decoders.size() - 1)];
  ModelConfig config = ModelConfig::tiny(info->name);
  const int64_t headCounts[] = {1, 2, 4};
  const int64_t headDims[] = {2, 4, 8, 16, 32};
  config.numHeads = pick(in, headCounts);
  config.numKvHeads =
      config.layer.feedForward == FeedForwardKind::Plain
          ? config.numHeads
          : std::max<int64_t>(1, config.numHeads >> in.ConsumeIntegralInRange(0, 2));
  int64_t headDim = pick(in, headDims);
  config.dim = in.ConsumeBool() ? config.numHeads * headDim
                                : in.ConsumeIntegralInRange<int64_t>(1, 80);
  config.headDimension = in.ConsumeBool() ? headDim : 0;
  config.hiddenDim = in.ConsumeIntegralInRange<int64_t>(1, 96);
  config.numLayers = in.ConsumeIntegralInRange<int64_t>(1, 3);
  config.vocabSize = in.ConsumeIntegralInRange<int64_t>(1, 70);
  config.contextLength = in.ConsumeIntegralInRange<int64_t>(1, 40);
  if (in.ConsumeBool())
    config.rotaryDim = 2 * in.ConsumeIntegralInRange<int64_t>(1, 8);
  config.layer.qkvBias = in.ConsumeBool();
  config.layer.qkNorm = in.ConsumeBool();
  config.layer.ropeInterleaved = in.ConsumeBool();
  const ActivationKind activations[] = {ActivationKind::SiLU,
                                        ActivationKind::GELU,
                                        ActivationKind::GELUTanh,
                                        ActivationKind::ReLU};
  config.layer.activation = pick(in, activations);
  config.slidingWindow = in.ConsumeBool() ? in.ConsumeIntegralInRange(0, 12) : 0;
  config.slidingPattern = in.ConsumeIntegralInRange(0, 3);
  config.attentionSoftCap = in.ConsumeBool() ? 20.0 : 0.0;
  config.finalLogitSoftCap = in.ConsumeBool() ? 30.0 : 0.0;
  config.ropeAttentionFactor = in.ConsumeBool() ? 1.2 : 1.0;
  config.tiedEmbeddings = in.ConsumeBool();
  const StorageType caches[] = {StorageType::F32, StorageType::F16,
                                StorageType::BF16};
  config.kvCacheType = pick(in, caches);
  return config;
}

const DialectRegistry &compilerRegistry() {
  static const DialectRegistry *registry = [] {
    auto *dialects = new DialectRegistry;
    registerAllDialects(*dialects);
    registerAllExtensions(*dialects);
    dialects->insert<TfmDialect>();
    registerBuiltinDialectTranslation(*dialects);
    registerLLVMDialectTranslation(*dialects);
    registerOpenMPDialectTranslation(*dialects);
    registerTfmPassesAndPipelines();
    return dialects;
  }();
  return *registry;
}

/// With TFM_FUZZ_VERBOSE set, what became of each input (to see that the
/// inputs reach the pipelines, not only the validator).
void report(const char *outcome, const ModelConfig &config) {
  if (std::getenv("TFM_FUZZ_VERBOSE"))
    llvm::errs() << "fuzz-pipelines: " << config.architecture << " dim "
                 << config.dim << " heads " << config.numHeads << "/"
                 << config.numKvHeads << ": " << outcome << "\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  ModelConfig config = randomConfig(in);
  if (llvm::Error error = validateModelConfig(config)) {
    llvm::consumeError(std::move(error));
    report("refused by the validator", config);
    return 0;
  }
  MLIRContext context(compilerRegistry(), MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  std::string firstError;
  ScopedDiagnosticHandler quiet(&context, [&](Diagnostic &diagnostic) {
    if (firstError.empty() && diagnostic.getSeverity() == DiagnosticSeverity::Error)
      firstError = diagnostic.str();
    return success();
  });
  llvm::Expected<OwningOpRef<ModuleOp>> module = buildModel(context, config);
  if (!module) {
    llvm::consumeError(module.takeError());
    report("refused by the builder", config);
    return 0;
  }
  // As tfm-compile runs them: weights and KV cache to their formats, then
  // the CPU pipeline with its graph fusions switched on or off.
  PassManager pm(&context);
  const char *formats[] = {"keep", "q8_0", "q4_0", "q4_k", "q6_k"};
  const char *caches[] = {"f32", "f16", "q8"};
  std::string storage = std::string("tfm-quantize-weights{format=") +
                        pick(in, formats) + "},tfm-kv-cache-type{type=" +
                        pick(in, caches) + "}";
  if (failed(parsePassPipeline(storage, pm)))
    return 0;
  CpuPipelineOptions cpu;
  cpu.targetCpu = in.ConsumeBool() ? "x86-64-v3" : "x86-64";
  cpu.threads = in.ConsumeBool();
  cpu.flashAttention = in.ConsumeBool();
  cpu.outlineLayers = in.ConsumeBool();
  cpu.planStaticArena = in.ConsumeBool();
  cpu.fuseSiblingLinears = in.ConsumeBool();
  cpu.fuseResidualAdds = in.ConsumeBool();
  cpu.fuseNorm = in.ConsumeBool();
  cpu.fuseRope = in.ConsumeBool();
  cpu.fuseMatmulEpilogues = in.ConsumeBool();
  cpu.fuseHeadNorm = in.ConsumeBool();
  buildTfmCpuPipeline(pm, cpu);
  bool compiled = succeeded(pm.run(**module));
  report(compiled ? "compiled to the LLVM dialect"
                  : ("a pass failed: " + firstError).c_str(),
         config);
  return 0;
}
