//===- Pipelines.cpp - tfm-cpu-pipeline -----------------------------------===//
//
// The stages from a tfm module to the LLVM dialect, each an ordinary pass so
// `tfm-opt --tfm-cpu-pipeline --mlir-print-ir-after-all` shows every step
// and any prefix can be run alone. docs/codegen.md describes them.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "tfm/Codegen/CpuTarget.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/AsyncToLLVM/AsyncToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Async/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// The weight panel is one vector of f32 lanes. An unknown CPU still builds
/// a pipeline: tfm-tile-and-vectorize rejects it when the pipeline starts,
/// which is the only failure MLIR's pipeline registration reports as an
/// error exit.
static int64_t weightPanelFor(StringRef targetCpu, StringRef targetTriple) {
  using namespace tfm;
  llvm::Expected<CpuTarget> target = resolveCpuTarget(targetCpu, targetTriple);
  if (!target) {
    llvm::consumeError(target.takeError());
    return 16;
  }
  return target->floatLanes();
}

/// Weight panels per prefill thread step when the Halide kernel computes
/// the f32 linear layers: whole register tiles of the kernel a step runs
/// (matmul_panels_halide.cpp). 16-lane panels run 8 x 3 tiles (AVX-512
/// CPUs): one tile per step, the finest split for the threads' balance;
/// the steps of a product share the rows the kernel rearranges for its
/// tiles (pack keys, tfm-lower-matmul-panels), so small steps cost no
/// extra copying (3 panels against 6 and 12: docs/performance.md). (With
/// MLIR's 2-panel steps the 8 x 3 tiles never fill, and that prefill was
/// 0.85x MLIR's loops.)
static int64_t halidePrefillPanels(int64_t weightPanel) {
  return weightPanel == 16 ? 3 : 2;
}

/// Whether the Halide kernel computes the f32 linear layers; `auto`
/// resolves as resolveMatmulCodegen does (an unknown CPU as MLIR's loops:
/// tfm-tile-and-vectorize reports it).
static bool usesHalideMatmul(tfm::MatmulCodegen codegen,
                             StringRef targetCpu, StringRef targetTriple) {
  using namespace tfm;
  if (codegen != MatmulCodegen::Auto)
    return codegen == MatmulCodegen::Halide;
  llvm::Expected<CpuTarget> target = resolveCpuTarget(targetCpu, targetTriple);
  if (!target) {
    llvm::consumeError(target.takeError());
    return false;
  }
  return resolveMatmulCodegen(codegen, *target) == MatmulCodegen::Halide;
}

/// The alternative to OpenMP: parallel loops become tasks of MLIR's async
/// runtime (libmlir_async_runtime, a thread pool sized to the machine), one
/// block of iterations per worker.
static void addAsyncThreadPool(OpPassManager &pm) {
  AsyncParallelForPassOptions parallelFor;
  parallelFor.asyncDispatch = true;
  parallelFor.numWorkerThreads = -1; // ask the runtime
  parallelFor.minTaskSize = 1;       // an iteration is a whole weight panel
  pm.addPass(createAsyncParallelForPass(parallelFor));
  pm.addPass(createAsyncToAsyncRuntimePass());
  pm.addPass(createAsyncRuntimeRefCountingPass());
  pm.addPass(createAsyncRuntimeRefCountingOptPass());
}

void tfm::buildTfmCpuPipeline(OpPassManager &pm,
                              const CpuPipelineOptions &options) {
  // 1. Graph rewrites on tfm.
  GraphPipelineOptions graph;
  graph.fuseSiblingLinears = options.fuseSiblingLinears;
  graph.fuseResidualAdds = options.fuseResidualAdds;
  graph.fuseNorm = options.fuseNorm;
  graph.fuseGatedActivations = options.fuseGatedActivations;
  graph.fuseLinearActivations = options.fuseLinearActivations;
  graph.fuseRope = options.fuseRope;
  graph.fuseHeadNorm = options.fuseHeadNorm;
  buildTfmGraphPipeline(pm, graph);
  // The microkernels' layout of quantized weights (after the fusions, which
  // stack weights: the stacked rows are what is interleaved).
  if (options.interleaveWeights)
    pm.addPass(createTfmInterleaveQuantizedWeights());

  // 2. One function for the layers, so what follows compiles one layer.
  if (options.outlineLayers)
    pm.addPass(createTfmOutlineLayers());

  // 3. tfm -> linalg on tensors; the buffer ABI of the entry points.
  ConvertTfmToLinalgOptions conversion;
  conversion.weightPanel =
      weightPanelFor(options.targetCpu, options.targetTriple);
  bool halideMatmul = usesHalideMatmul(options.f32Matmul, options.targetCpu,
                                       options.targetTriple);
  int64_t prefillPanels =
      halideMatmul ? halidePrefillPanels(conversion.weightPanel) : 0;
  conversion.flashAttention = options.flashAttention;
  pm.addPass(createConvertTfmToLinalg(conversion));
  pm.addPass(createTfmLowerEntryPoints());
  pm.addPass(createCanonicalizerPass());
  // Float epilogues join their matmuls' thread steps (on tensors: fusion
  // needs the value flow).
  if (options.fuseMatmulEpilogues) {
    TfmFuseMatmulEpiloguesOptions epilogues;
    epilogues.prefillPanels = prefillPanels;
    pm.addNestedPass<func::FuncOp>(createTfmFuseMatmulEpilogues(epilogues));
  }

  // 4. Bufferization, before tiling: the analysis is much cheaper on the
  //    un-tiled ops, and tiling and vectorization work on buffers alike.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  // Function boundaries: the layer functions take and return tensors. The
  // KV cache is updated in place through them and then dropped from their
  // results, so no layer copies it.
  bufferization::OneShotBufferizePassOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // Fixed-size buffers live in one stack arena; what is left (sizes known
  // only at run time) is freed by the deallocation pipeline. A layer
  // function's result becomes an out-parameter written in place, so the
  // caller's buffer for it is planned like any other.
  if (options.planStaticArena) {
    pm.addPass(createTfmStaticResultsToOutParams());
    pm.addNestedPass<func::FuncOp>(createTfmPlanStaticArena());
  }
  bufferization::buildBufferDeallocationPipeline(pm);
  // Buffers a function returns but does not own (a residual accumulated in
  // place into an argument) are cloned: clones become alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());

  // 5. Quantized linear layers and fused attention call the microkernels,
  //    one call per task; tiling for threads and vectors, vectorization,
  //    vector lowering for the rest.
  TfmLowerFlashAttentionOptions attention;
  attention.threads = options.threads;
  attention.generatedDecode = options.generatedDecodeAttention;
  pm.addPass(createTfmLowerFlashAttention(attention));
  TfmLowerQuantizedMatmulOptions quantized;
  quantized.threads = options.threads;
  quantized.generatedDecode = options.generatedDecode;
  quantized.generatedPrefill = options.generatedPrefill;
  quantized.dotProduct = options.dotProduct;
  // The async runtime's thread count is not known to the generated code:
  // fixed tasks of two interleaved groups, which its workers share.
  if (options.threads && options.threadRuntime == ThreadRuntime::Async)
    quantized.rowsPerTask = 32;
  pm.addPass(createTfmLowerQuantizedMatmul(quantized));
  if (halideMatmul) {
    TfmLowerMatmulPanelsOptions halide;
    halide.threads = options.threads;
    halide.prefillPanels = prefillPanels;
    pm.addPass(createTfmLowerMatmulPanels(halide));
  }
  TfmTileAndVectorizeOptions tiling;
  tiling.targetCpu = options.targetCpu;
  tiling.targetTriple = options.targetTriple;
  tiling.threads = options.threads;
  tiling.vectorize = options.vectorize;
  pm.addNestedPass<func::FuncOp>(createTfmTileAndVectorize(tiling));
  pm.addNestedPass<func::FuncOp>(createTfmLowerVectorOps());
  if (options.hoistAccumulators)
    pm.addNestedPass<func::FuncOp>(createTfmHoistAccumulators());
  if (options.approximateMath)
    pm.addNestedPass<func::FuncOp>(createTfmApproximateMath());
  pm.addPass(createCanonicalizerPass());

  // 6. Loops; the thread-level foralls become OpenMP worksharing loops.
  //    Copies between strided views join them (no MLIR runtime to call).
  pm.addNestedPass<func::FuncOp>(createTfmLowerStridedCopies());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  bool asyncThreads = options.threads && options.threadRuntime == ThreadRuntime::Async;
  if (options.threads && !asyncThreads)
    pm.addPass(createConvertSCFToOpenMPPass());
  if (options.threads && !asyncThreads && options.guidedSchedule)
    pm.addNestedPass<func::FuncOp>(createTfmGuidedSchedule());
  if (asyncThreads)
    addAsyncThreadPool(pm);

  // 7. To the LLVM dialect.
  // Masked n-D transfers (the partial tiles) are unrolled into 1-D ones: the
  // default lowering goes through a stack buffer allocated where the
  // transfer is, inside the loops, and the stack then grew with every
  // iteration (a 128-token prefill overflowed an 8 MiB stack).
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  // Heap buffers through the model library's own functions, which keep
  // the large ones for the next call (lib/Runtime/Kernels/
  // activation_memory.cpp).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createSCFToControlFlowPass());
  if (asyncThreads)
    pm.addPass(createConvertAsyncToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void tfm::registerTfmCodegenPassesAndPipelines() {
  registerTfmCodegenPasses();
  PassPipelineRegistration<CpuPipelineOptions>(
      "tfm-cpu-pipeline",
      "tfm to the LLVM dialect for x86 CPUs: tfm-graph-pipeline, "
      "tfm-interleave-quantized-weights, tfm-outline-layers, convert-tfm-to-linalg, tfm-lower-entry-points, "
      "tfm-fuse-matmul-epilogues, tfm-lower-flash-attention, tfm-lower-quantized-matmul, "
      "tfm-lower-matmul-panels (f32-matmul=halide), tfm-tile-and-vectorize, "
      "tfm-lower-vector-ops, tfm-hoist-accumulators, tfm-approximate-math, one-shot-bufferize, loops, OpenMP, tfm-guided-schedule, LLVM",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        buildTfmCpuPipeline(pm, options);
      });
}
