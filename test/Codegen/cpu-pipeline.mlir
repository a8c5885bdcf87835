// The whole pipeline on the stories260K-shaped example, down to the LLVM
// dialect, for the AVX-512 host and for an AVX2 CPU; and its stages.
// RUN: tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-cpu-pipeline=target-cpu=znver4 | FileCheck %s
// RUN: tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-cpu-pipeline="target-cpu=haswell threads=0" | FileCheck %s --check-prefix=AVX2
// RUN: tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-cpu-pipeline --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-cpu-pipeline=target-cpu=pentium-foo -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADCPU
// RUN: tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-kv-cache-type=type=f16 --tfm-cpu-pipeline="target-cpu=haswell flash-attention=0" | FileCheck %s --check-prefix=STACK
// RUN: tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-cpu-pipeline="target-cpu=znver4 f32-matmul=halide" --mlir-print-ir-after=tfm-fuse-matmul-epilogues -o /dev/null 2>&1 | FileCheck %s --check-prefix=HALIDE-STEPS
// RUN: tfm-opt %tfm_src_root/docs/examples/llama-tiny.mlir --tfm-cpu-pipeline="target-cpu=znver4" --mlir-print-ir-after=tfm-fuse-matmul-epilogues -o /dev/null 2>&1 | FileCheck %s --check-prefix=MLIR-STEPS

// With the Halide kernel on 16-lane panels, a prefill thread step holds
// one 8 x 3 tile of its AVX-512 variant: 3 panels.
// MLIR's own steps stay its 2-panel register tile; decode steps are 4 in
// both.
// HALIDE-STEPS: scf.forall (%{{.*}}) = (0) to (8) step (3) shared_outs({{.*}}) -> (tensor<?x8x16xf32>)
// HALIDE-STEPS: scf.forall (%{{.*}}) = (0) to (32) step (4) shared_outs({{.*}}) -> (tensor<1x32x16xf32>)
// MLIR-STEPS: scf.forall (%{{.*}}) = (0) to (8) step (2) shared_outs({{.*}}) -> (tensor<?x8x16xf32>)
// MLIR-STEPS: scf.forall (%{{.*}}) = (0) to (32) step (4) shared_outs({{.*}}) -> (tensor<1x32x16xf32>)

// CHECK: module attributes {{{.*}}tfm.weights = [{name = "token_embd.weight", offset = 0 : i64, panel = 0 : i64
// CHECK: llvm.func @prefill(
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: llvm.intr.masked.load {{.*}} -> vector<16xf32>
// CHECK: llvm.func @_mlir_ciface_prefill(
// A decode step allocates nothing on the heap: intermediate buffers are in
// stack arenas, layer results are written into the caller's arena, and the
// fused attention needs no score buffers sized by the context.
// CHECK: llvm.func @decode(
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK-COUNT-5: llvm.call @decode_layer(
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.func @_mlir_ciface_decode(
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.func @decode_layer(
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.call @tfm_attention(
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.call @tfm_attention_combine(
// CHECK-NOT: llvm.call @_mlir_memref_to_llvm_alloc
// The batched step's activations have a row per token: the heap, through
// the model library's functions, which keep large blocks for the next call
// (lib/Runtime/Kernels/activation_memory.cpp).
// CHECK: llvm.func @decode_batch(
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.call @_mlir_memref_to_llvm_free
// CHECK: llvm.func @tfm_attention(
// AVX2-NOT: omp.parallel
// AVX2: llvm.intr.masked.load {{.*}} -> vector<8xf32>

// Masked n-D transfers (partial tiles, unfused attention over an f16 cache)
// are unrolled, not lowered through stack buffers allocated inside the
// loops, which grew the stack with every iteration: the only allocas left
// are the arenas (bytes) and call descriptors, no arrays of vectors.
// STACK: llvm.func @prefill(
// STACK-NOT: llvm.alloca {{.*}} x !llvm.array<{{.*}}vector<
// STACK: llvm.func @_mlir_ciface_decode(

// STAGES: IR Dump After TfmLastTokenLogits
// STAGES: IR Dump After TfmInterleaveQuantizedWeights
// STAGES: IR Dump After TfmOutlineLayers
// STAGES: IR Dump After ConvertTfmToLinalg
// STAGES: IR Dump After TfmLowerEntryPoints
// STAGES: IR Dump After OneShotBufferizePass
// STAGES: IR Dump After TfmStaticResultsToOutParams
// STAGES: IR Dump After TfmPlanStaticArena
// STAGES: IR Dump After TfmLowerFlashAttention
// STAGES: IR Dump After TfmLowerQuantizedMatmul
// STAGES: IR Dump After TfmTileAndVectorize
// STAGES: IR Dump After TfmLowerVectorOps
// STAGES: IR Dump After TfmHoistAccumulators
// STAGES: IR Dump After ConvertSCFToOpenMPPass
// STAGES: IR Dump After ConvertToLLVMPass

// BADCPU: error: unknown target CPU 'pentium-foo'
