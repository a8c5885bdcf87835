//===- Passes.h - CPU code generation passes and pipeline -------*- C++ -*-===//

#ifndef TFM_CODEGEN_PASSES_H
#define TFM_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"
#include "tfm/Codegen/CpuTarget.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "tfm/Codegen/Passes.h.inc"

/// Unit attribute tfm-tile-and-vectorize puts on the reduction loop of a
/// tiled matmul or row-reduction kernel (the loop's accumulator is the
/// kernel's output, never one of its inputs); tfm-hoist-accumulators reads
/// it.
inline constexpr llvm::StringLiteral kReductionLoopAttrName =
    "tfm.reduction_loop";

/// Weight panels per thread step of a matmul over one token (several
/// independent accumulator chains) and over several tokens (each input
/// broadcast feeds two panels); tfm-fuse-matmul-epilogues and
/// tfm-tile-and-vectorize share them.
inline constexpr int64_t kDefaultDecodePanels = 4;
inline constexpr int64_t kDefaultPrefillPanels = 2;

/// Options of `tfm-cpu-pipeline`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<std::string> targetCpu{*this, "target-cpu",
                                llvm::cl::desc("CPU to generate code for"),
                                llvm::cl::init("host")};
  Option<std::string> targetTriple{
      *this, "target-triple",
      llvm::cl::desc("Target triple (empty: the host's)"),
      llvm::cl::init("")};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run hot loops on OpenMP threads"),
                       llvm::cl::init(true)};
  Option<ThreadRuntime> threadRuntime{
      *this, "thread-runtime",
      llvm::cl::desc("What runs the parallel loops"),
      llvm::cl::init(ThreadRuntime::OpenMP),
      llvm::cl::values(
          clEnumValN(ThreadRuntime::OpenMP, "openmp",
                     "the omp dialect and libomp"),
          clEnumValN(ThreadRuntime::Async, "async",
                     "MLIR's async runtime (a thread pool)"))};
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Vectorize the tiled kernels"),
                         llvm::cl::init(true)};
  Option<bool> outlineLayers{
      *this, "outline-layers",
      llvm::cl::desc("Compile one layer function called per layer "
                     "(tfm-outline-layers) instead of every layer inline"),
      llvm::cl::init(true)};
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
      llvm::cl::desc("Make RMSNorm the prologue of the linear layers it "
                     "feeds, its scale folded into float weights "
                     "(tfm-fuse-norm-into-linear)"),
      llvm::cl::init(true)};
  Option<bool> fuseGatedActivations{
      *this, "fuse-gated-activations",
      llvm::cl::desc("Apply SwiGLU in the epilogue of the gate/up layer "
                     "(tfm-fuse-gated-activations)"),
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
  Option<bool> fuseMatmulEpilogues{
      *this, "fuse-matmul-epilogues",
      llvm::cl::desc("Compute float matmul epilogues (row scale, residual, "
                     "SwiGLU, bias and activation) in the matmul's thread "
                     "steps "
                     "(tfm-fuse-matmul-epilogues)"),
      llvm::cl::init(true)};
  Option<bool> hoistAccumulators{
      *this, "hoist-accumulators",
      llvm::cl::desc("Keep the accumulators of reduction loops in registers "
                     "(tfm-hoist-accumulators)"),
      llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Compute exp, tanh and erf with vectorizable "
                     "polynomials instead of libm calls "
                     "(tfm-approximate-math)"),
      llvm::cl::init(true)};
  Option<bool> guidedSchedule{
      *this, "guided-schedule",
      llvm::cl::desc("Share the tasks of OpenMP worksharing loops out in "
                     "guided chunks instead of fixed shares "
                     "(tfm-guided-schedule)"),
      llvm::cl::init(true)};
  Option<bool> interleaveWeights{
      *this, "interleave-weights",
      llvm::cl::desc("Store q8_0, q4_0, q4_k and q6_k weights as "
                     "interleaved groups of 16 rows for the 16-row microkernel "
                     "(tfm-interleave-quantized-weights)"),
      llvm::cl::init(true)};
  Option<bool> flashAttention{
      *this, "flash-attention",
      llvm::cl::desc("Attention over the KV cache as one fused kernel with "
                     "an online softmax, split over key ranges when "
                     "decoding (tfm.flash_attention)"),
      llvm::cl::init(true)};
  Option<MatmulCodegen> f32Matmul{
      *this, "f32-matmul",
      llvm::cl::desc("Code generator of the f32 product of linear layers"),
      llvm::cl::init(MatmulCodegen::Mlir),
      llvm::cl::values(
          clEnumValN(MatmulCodegen::Mlir, "mlir",
                     "tfm-tile-and-vectorize's loops"),
          clEnumValN(MatmulCodegen::Halide, "halide",
                     "calls of the Halide AOT kernel "
                     "(tfm-lower-matmul-panels)"),
          clEnumValN(MatmulCodegen::Auto, "auto",
                     "halide on AVX-512 targets (16-lane panels), mlir "
                     "elsewhere"))};
  Option<bool> generatedDecode{
      *this, "generated-decode",
      llvm::cl::desc("One-token products of q8_0, q4_0, q4_k and q6_k "
                     "weights as generated vector code "
                     "(tfm-lower-quantized-matmul's generated-decode; targets "
                     "with an int8 dot product) instead of the hand-written "
                     "kernel"),
      llvm::cl::init(false)};
  Option<bool> generatedPrefill{
      *this, "generated-prefill",
      llvm::cl::desc("The tiles of a prefill's tokens and q8_0, q4_0, q4_k "
                     "and q6_k weights as generated vector code "
                     "(tfm-lower-quantized-matmul's generated-prefill; "
                     "targets with an int8 dot product) instead of the "
                     "hand-written kernel"),
      llvm::cl::init(false)};
  Option<bool> generatedDecodeAttention{
      *this, "generated-decode-attention",
      llvm::cl::desc("A decode step's attention as generated vector code "
                     "(tfm-lower-flash-attention's generated-decode) instead "
                     "of the hand-written kernel"),
      llvm::cl::init(false)};
  Option<DotProduct> dotProduct{
      *this, "dot-product",
      llvm::cl::desc("The dot product instruction of generated-decode"),
      llvm::cl::init(DotProduct::Avx512Vnni),
      llvm::cl::values(
          clEnumValN(DotProduct::Avx512Vnni, "avx512-vnni",
                     "x86-64 AVX512-VNNI vpdpbusd"),
          clEnumValN(DotProduct::NeonDotprod, "neon-dotprod",
                     "AArch64 sdot (the dot-product extension)"),
          clEnumValN(DotProduct::NeonI8mm, "neon-i8mm",
                     "AArch64 usdot (the i8mm extension)"))};
  Option<bool> planStaticArena{
      *this, "plan-static-arena",
      llvm::cl::desc("Place fixed-size intermediate buffers in one stack "
                     "arena per call (tfm-plan-static-arena)"),
      llvm::cl::init(true)};
};

/// `tfm-cpu-pipeline`: a tfm module to the LLVM dialect (see
/// docs/codegen.md for the stages). An unknown target CPU makes the pipeline
/// fail when it starts (tfm-tile-and-vectorize reports it).
void buildTfmCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers the codegen passes and `tfm-cpu-pipeline`.
void registerTfmCodegenPassesAndPipelines();

#define GEN_PASS_REGISTRATION
#include "tfm/Codegen/Passes.h.inc"

} // namespace mlir::tfm

#endif // TFM_CODEGEN_PASSES_H
