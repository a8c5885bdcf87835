//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//

#ifndef TFM_CODEGEN_PASSES_TD
#define TFM_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmTileAndVectorize : Pass<"tfm-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile the tagged linalg kernels for threads and vectors, then vectorize";
  let description = [{
    Reads the `tfm.kernel` tag that `convert-tfm-to-linalg` puts on each
    `linalg.generic` and tiles it in two levels: an `scf.forall` over the
    dimension worth spreading over threads (weight panels of a matmul, KV
    heads of attention), then `scf.for` loops whose tile is the vector
    shape, which `linalg::vectorize` turns into vector ops (masked where a
    dimension is dynamic or not a multiple of the tile).

    Default tile sizes come from the target (see docs/codegen.md):

    | kernel | threads over | vector tile |
    |--------|--------------|-------------|
    | `matmul_panels` (tokens, panel, in, lane) | panels | `matmul-rows` x `prefill-panels` x `matmul-depth` x lanes; one token: 1 x `decode-panels` x `matmul-depth` x lanes |
    | `matmul` (tokens, out, in) | out, by lanes | 1 x lanes x `row-width` |
    | `attention_scores` (kv head, group, query, key, dim) | kv heads | 1 x 1 x 1 x `attention-keys` x head_dim |
    | `attention_values` (query, kv head, group, key, dim) | kv heads | 1 x 1 x 1 x `attention-keys` x head_dim |
    | `row_reduction`, `elementwise` | - | 1 x ... x `row-width` |

    A matmul's loop over a dynamic number of tokens is peeled: whole tiles
    of `matmul-rows` tokens, then the rows left over one at a time, so no
    tile is masked.
    The reduction loops of matmul and row-reduction tiles are marked
    `tfm.reduction_loop` for tfm-hoist-accumulators.

    `gather` kernels (embedding lookups) are left for the loop lowering.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect"
  ];
  let options = [
    Option<"targetCpu", "target-cpu", "std::string", /*default=*/"\"host\"",
           "CPU whose vector width and caches set the default tiles">,
    Option<"targetTriple", "target-triple", "std::string", /*default=*/"",
           "Triple of the target CPU (empty: the host's)">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"0",
           "Vector register width in bits (0: from the target CPU)">,
    Option<"matmulRows", "matmul-rows", "int64_t", /*default=*/"0",
           "Token rows per matmul register tile (0: heuristic)">,
    Option<"matmulDepth", "matmul-depth", "int64_t", /*default=*/"0",
           "Input features per matmul vector step (0: heuristic)">,
    Option<"decodePanels", "decode-panels", "int64_t", /*default=*/"0",
           "Weight panels per step of a one-token matmul (0: heuristic)">,
    Option<"prefillPanels", "prefill-panels", "int64_t", /*default=*/"0",
           "Weight panels per step of a matmul over several tokens (0: heuristic)">,
    Option<"attentionKeys", "attention-keys", "int64_t", /*default=*/"0",
           "Key positions per attention vector step (0: heuristic)">,
    Option<"rowWidth", "row-width", "int64_t", /*default=*/"0",
           "Elements per vector step of row-wise kernels (0: heuristic)">,
    Option<"threads", "threads", "bool", /*default=*/"true",
           "Tile the thread dimension with scf.forall">,
    Option<"vectorize", "vectorize", "bool", /*default=*/"true",
           "Vectorize the innermost tiles (off: scalar loops)">
  ];
}

def TfmLowerQuantizedMatmul : Pass<"tfm-lower-quantized-matmul", "::mlir::ModuleOp"> {
  let summary = "Lower tfm.quantized_matmul to calls of the quantized microkernels";
  let description = [{
    Each `tfm.quantized_matmul` (on buffers, after bufferization) becomes:
    `tfm_quantize_activations` calls that quantize the input rows to
    8-bit blocks into a scratch buffer, then an `scf.forall` over tasks,
    each calling `tfm_quantized_matmul` on its rows of weight blocks
    (tfm/Runtime/tfm_kernels.h). The kernels unpack the blocks in registers
    and pick AVX-512 VNNI, AVX2 or portable code at run time; the forall
    becomes threads like the linalg kernels'.

    By default there is one task per thread, `omp_get_max_threads()` at run
    time (the thread count the OpenMP worksharing loops will have), each
    taking an equal share of whole interleaved groups, as llama.cpp's
    threads split a matrix: a decode step is bound by how fast a core
    streams weights, and one long call per thread is what lets the kernel
    read its rows as several long concurrent streams. `rows-per-task=N`
    makes tasks of N rows instead (for a thread runtime other than OpenMP).
    A prefill (a dynamic token count) is compute-bound rather than bound by
    streams: it gets `prefill-tasks-per-thread` tasks per thread, which a
    guided schedule (tfm-guided-schedule) shares out by how fast each
    thread actually runs. Its activation rows are quantized by tasks of 16
    rows on the threads too; a single row is quantized by the calling
    thread.

    With `generated-decode`, a one-token product of Q8_0_X16, Q4_0_X16,
    Q4_K_X16 or Q6_K_X16 weights (a decode step's linear layers) computes
    its tasks' rows in vector code this pass generates (GeneratedQuantizedMatmul.cpp: f16
    scales widened by `arith.extf`, q4_0's nibbles unpacked by
    `arith.andi`/`arith.shrui`, int8 dot products through
    `llvm.call_intrinsic`, `vector.fma` accumulators, two streams of
    groups each prefetched by `memref.prefetch`) rather than in the
    hand-written kernel; the activations are quantized as before.
    `dot-product` names the target's dot product: AVX-512 VNNI's vpdpbusd
    over 16 rows at once, or AArch64's usdot (i8mm) or sdot (dot-product
    extension) over 4 rows each, the 16 rows' vectors split in four.
    Q4_K_X16 and Q6_K_X16 products are generated too, their super-blocks'
    scales (and q4_k's mins) unpacked in vector code, their blocks (q6_k)
    or pairs of blocks (q4_k) a loop of their own. A gated product reads
    each group of gate rows together with its group of up rows and stores
    `kind(gate) * up` (the activation as `math` ops, which
    tfm-approximate-math makes polynomials).

    With `generated-prefill`, a product of several tokens (a dynamic or
    static token count other than 1) and Q8_0_X16, Q4_0_X16, Q4_K_X16 or
    Q6_K_X16 weights is generated too: each task goes group by group (a group's bytes come
    from memory once and stay in the caches for its tiles), tiles of 8
    tokens (2 on the 128-bit dot products) sharing each loaded and
    unpacked chunk of codes, one accumulator and one dot product chain a
    token, then the tokens after the last whole tile one at a time. A gated
    product's up group is a block loop of its own after its gate group's.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::vector::VectorDialect",
    "::mlir::math::MathDialect"
  ];
  let options = [
    Option<"rowsPerTask", "rows-per-task", "int64_t", /*default=*/"0",
           "Output features per kernel call; 0: one call per OpenMP thread "
           "(one call in all without threads)">,
    Option<"threads", "threads", "bool", /*default=*/"true",
           "Spread the row tiles over threads with scf.forall">,
    Option<"generatedDecode", "generated-decode", "bool", /*default=*/"false",
           "One-token products of q8_0_x16 and q4_0_x16 weights as generated "
           "vector code (on the dot product of `dot-product`) instead of "
           "tfm_quantized_matmul calls">,
    Option<"generatedPrefill", "generated-prefill", "bool",
           /*default=*/"false",
           "Products of several tokens (a prefill) and q8_0_x16, q4_0_x16, "
           "q4_k_x16 or q6_k_x16 "
           "weights as generated vector code, tiles of tokens sharing each "
           "unpacked group of codes, instead of tfm_quantized_matmul calls">,
    Option<"dotProduct", "dot-product", "::mlir::tfm::DotProduct",
           /*default=*/"::mlir::tfm::DotProduct::Avx512Vnni",
           "The int8 dot product generated-decode and generated-prefill "
           "multiply with",
           [{::llvm::cl::values(
             clEnumValN(::mlir::tfm::DotProduct::Avx512Vnni, "avx512-vnni",
                        "llvm.x86.avx512.vpdpbusd.512 (x86-64 AVX512-VNNI)"),
             clEnumValN(::mlir::tfm::DotProduct::NeonDotprod, "neon-dotprod",
                        "llvm.aarch64.neon.sdot (AArch64 dot-product "
                        "extension)"),
             clEnumValN(::mlir::tfm::DotProduct::NeonI8mm, "neon-i8mm",
                        "llvm.aarch64.neon.usdot (AArch64 i8mm)"))}]>,
    Option<"prefillTasksPerThread", "prefill-tasks-per-thread", "int64_t",
           /*default=*/"4",
           "With one task per thread (rows-per-task=0): tasks per thread "
           "when the token count is dynamic (prefill), so that a guided "
           "schedule can even out the threads">
  ];
}

def TfmLowerMatmulPanels : Pass<"tfm-lower-matmul-panels", "::mlir::ModuleOp"> {
  let summary = "Lower f32 matmul_panels kernels to calls of the Halide-generated kernel";
  let description = [{
    The second code generator for the f32 product of linear layers: each
    `linalg.generic` tagged `tfm.kernel = "matmul_panels"` (on buffers,
    after bufferization; `input [S, K] x panels [NB, K, P]` accumulated
    onto `out [S, NB, P]`) becomes a call of `tfm_matmul_panels`
    (tfm/Runtime/tfm_kernels.h), whose AVX2 and AVX-512 variants are Halide
    AOT kernels (lib/Runtime/Halide) with the same register tiles as MLIR's
    schedule. Run before tfm-tile-and-vectorize, which then has no
    `matmul_panels` left to tile; tfm-cpu-pipeline runs it with
    `halide-matmul`.

    A kernel inside an `scf.forall` (a thread step of
    tfm-fuse-matmul-epilogues, whose panels it covers) is one call. One
    outside a forall gets its own: tasks of `decode-panels` panels for a
    single token, `prefill-panels` for more (as tfm-tile-and-vectorize
    tiles them), or a single call without threads. Kernels whose buffers
    do not have unit-stride rows and contiguous panels are left for MLIR's
    code generation.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
  let options = [
    Option<"threads", "threads", "bool", /*default=*/"true",
           "Spread the panels of a kernel outside a thread step over "
           "threads with scf.forall">,
    Option<"decodePanels", "decode-panels", "int64_t", /*default=*/"4",
           "Panels per task of a one-token kernel outside a thread step">,
    Option<"prefillPanels", "prefill-panels", "int64_t", /*default=*/"2",
           "Panels per task of a kernel over several tokens outside a "
           "thread step">
  ];
}

def TfmLowerFlashAttention : Pass<"tfm-lower-flash-attention", "::mlir::ModuleOp"> {
  let summary = "Lower tfm.flash_attention to calls of the fused attention kernel";
  let description = [{
    Each `tfm.flash_attention` (on buffers, after bufferization) becomes an
    `scf.forall` of calls of `tfm_attention` (tfm/Runtime/tfm_kernels.h),
    which makes one pass over the keys per query row with an online
    softmax:

    * `kv_splits = 1` (prefill): one task per KV head and block of
      `query-rows-per-task` query rows (`mha-query-rows-per-task` where
      each KV head has one query head and the prompt has 256 rows or
      more), each writing its rows of the result;
    * `kv_splits = C` (decode, flash-decoding): one task per KV head and
      range of `ceil(tokens / C)` keys, each writing partial sums to the
      `partials` buffer, then one call of `tfm_attention_combine`.

    With `generated-decode`, the tasks of a one-row query (any cache type;
    heads of a multiple of 16 elements; a soft cap is
    `cap * math.tanh(score * scale / cap)`, a query norm scales the head by
    `1 / math.sqrt(mean square + eps)` and its weight, T5's position bias
    is a `vector.gather` of its row at the clamped distances) are vector
    code this
    pass generates (GeneratedAttention.cpp) rather than `tfm_attention`
    calls: the query normalized and rotated in registers, keys
    in blocks of 64, each 16 keys' partial dot products reduced into one
    vector of scores by a shuffle tree, the online softmax
    (`math.exp`, made a polynomial by tfm-approximate-math), and the
    weighted value rows accumulated by `vector.fma`, two query heads of a
    KV head at a time; the key ranges' partial results are then merged by
    generated code too (what `tfm_attention_combine` computes).
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::vector::VectorDialect",
    "::mlir::math::MathDialect"
  ];
  let options = [
    Option<"queryRowsPerTask", "query-rows-per-task", "int64_t",
           /*default=*/"16", "Query rows per prefill task">,
    Option<"mhaQueryRowsPerTask", "mha-query-rows-per-task", "int64_t",
           /*default=*/"32",
           "Query rows per prefill task of an op with as many KV heads as "
           "query heads (MHA): a task converts each block of keys once for "
           "its rows x group queries, which MHA's group of 1 makes few">,
    Option<"threads", "threads", "bool", /*default=*/"true",
           "Spread the tasks over threads with scf.forall">,
    Option<"generatedDecode", "generated-decode", "bool", /*default=*/"false",
           "Generate a decode step's tasks (one query row) "
           "as vector code instead of calling tfm_attention">
  ];
}

def TfmLowerVectorOps : Pass<"tfm-lower-vector-ops", "::mlir::func::FuncOp"> {
  let summary = "Lower masked and multi-dimensional vector ops for x86";
  let description = [{
    Folds `vector.mask` into masked transfers, lowers transfer permutation
    maps to broadcasts and transposes, and lowers each
    `vector.multi_reduction` with the strategy that suits its shape: when
    the reduced dimension is the innermost one (row sums, dot products over
    a head) as horizontal reductions; otherwise (matmul over input
    features, attention over keys) as element-wise adds of whole vectors,
    which become fused multiply-adds.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

def TfmFuseMatmulEpilogues
    : Pass<"tfm-fuse-matmul-epilogues", "::mlir::func::FuncOp"> {
  let summary = "Compute float matmul epilogues tile by tile with their products";
  let description = [{
    convert-tfm-to-linalg lowers what follows the products of a float linear
    layer - each row times its inverse RMS when the norm's scale is folded
    into the weights, plus a residual; `kind(gate) * up` of a gated layer;
    `kind(products + bias)` of a layer with an activation - as a
    `matmul_epilogue` kernel over the panel products `[S, NB, P]`,
    written over them. Alone it would be one more pass over the products.
    This pass tiles each epilogue over weight panels with an `scf.forall`
    (the thread tiles of tfm-tile-and-vectorize: `decode-panels` for one
    token, `prefill-panels` for several) and fuses the `matmul_panels`
    kernels that produce its operands into the same loop, so every thread
    step computes a tile of products and finishes it while it is in
    registers or L1. The gate products of a gated layer are the epilogue's
    destination; the up products are another shared output of the loop, so
    neither needs a buffer per step.

    Runs on tensors, before bufferization; tfm-tile-and-vectorize then
    tiles the kernels inside each thread step for vectors.

    ```mlir
    %p = linalg.generic {tfm.kernel = "matmul_panels"} ins(%x, %w) outs(%zeros)
    %y = linalg.generic {tfm.kernel = "matmul_epilogue"} ins(%rms) outs(%p)
    // becomes
    %y = scf.forall (%i) = (0) to (48) step (2) shared_outs(%o = %zeros) {
      %t = linalg.generic {tfm.kernel = "matmul_panels"} ins(...) outs(%o slice)
      %e = linalg.generic {tfm.kernel = "matmul_epilogue"} ins(...) outs(%t)
      scf.forall.in_parallel { tensor.parallel_insert_slice %e into %o[...] }
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"decodePanels", "decode-panels", "int64_t", /*default=*/"0",
           "Weight panels per thread step for one token (0: tfm-tile-and-vectorize's default)">,
    Option<"prefillPanels", "prefill-panels", "int64_t", /*default=*/"0",
           "Weight panels per thread step for several tokens (0: tfm-tile-and-vectorize's default)">
  ];
}

def TfmGuidedSchedule : Pass<"tfm-guided-schedule", "::mlir::func::FuncOp"> {
  let summary = "Give OpenMP worksharing loops a guided schedule";
  let description = [{
    `convert-scf-to-openmp` gives every `omp.wsloop` the default static
    schedule: each thread gets one fixed, contiguous share of the tasks and
    then waits at the loop's barrier for the slowest. On a shared 2-core
    machine one core is often slowed or descheduled for a while, and a
    128-token prefill spent as many samples spinning in the OpenMP runtime
    as 20-25% of its kernel time. With `schedule(guided)` each thread takes
    a contiguous chunk of the remaining tasks at a time (half the
    remainder per thread, shrinking to one task), so a thread that
    finishes early takes over the tail of the others' work instead of
    waiting.

    Only the loops of functions that take a batch of tokens (a memref
    argument with a dynamic leading dimension: a prefill) change. A
    dynamic dispatch costs more than a static one (2 threads: ~9-16 us
    against ~3 us per loop with Debian's libomp, which formats trace
    strings in `__kmpc_dispatch_init`/`_next`), about what a whole loop of
    a decode step takes. Within a prefill, loops that already have a
    schedule keep it, and so does a loop of one task per thread (`0` to
    `omp_get_max_threads()` step 1), which has nothing to share out.

    ```mlir
    omp.wsloop {
    // becomes
    omp.wsloop schedule(guided) {
    ```
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

def TfmApproximateMath : Pass<"tfm-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Vectorizable polynomial forms of exp, tanh and erf";
  let description = [{
    Rewrites `math.exp`, `math.tanh` and `math.erf` (the activations SiLU,
    tanh GELU and GELU) into upstream MLIR's polynomial approximations:
    plain arithmetic on the same vectors, within a few ulp of f32. Left as
    they are, they become LLVM intrinsics that the x86 backend, with no
    vector math library, splits into one libm call per element: a GPT-2
    prefill spent 13% of its samples in `tanhf` and `expm1f`. f16 and bf16
    operands are widened to f32 first.

    ```mlir
    %y = math.tanh %x : vector<8xf32>
    // becomes clamps, multiplies and adds of %x, and one division
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def TfmHoistAccumulators : Pass<"tfm-hoist-accumulators", "::mlir::func::FuncOp"> {
  let summary = "Keep the accumulators of reduction loops in registers";
  let description = [{
    tfm-tile-and-vectorize marks the reduction loop of each tiled matmul and
    row-reduction kernel with `tfm.reduction_loop`. In such a loop the
    vectorized tile reads its accumulator, adds one step and writes it back
    at the same place. When that pair is the loop's only access to the
    accumulator, its operands are loop-invariant and the loop writes no
    other memory, the read moves before the loop, the value becomes an
    `scf.for` iteration argument and the write moves after the loop.
    Upstream's hoistRedundantVectorTransfers does the same but skips
    transfers on views, which every buffer here is.

    ```mlir
    scf.for %k = %c0 to %c768 step %c1 {
      %acc = vector.transfer_read %out[%c0, %c0, %c0], %p : memref<1x1x8xf32, ...>, vector<1x1x8xf32>
      ...
      vector.transfer_write %sum, %out[%c0, %c0, %c0] : vector<1x1x8xf32>, memref<1x1x8xf32, ...>
    } {tfm.reduction_loop}
    // becomes
    %acc = vector.transfer_read %out[...]
    %r = scf.for %k = %c0 to %c768 step %c1 iter_args(%a = %acc) -> (vector<1x1x8xf32>) {
      ...
      scf.yield %sum : vector<1x1x8xf32>
    }
    vector.transfer_write %r, %out[...]
    ```
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect"];
}

def TfmStaticResultsToOutParams
    : Pass<"tfm-static-results-to-out-params", "::mlir::ModuleOp"> {
  let summary = "Private functions write their static buffer results into caller buffers";
  let description = [{
    Runs on bufferized modules. A private function (a layer function of
    tfm-outline-layers) whose buffer results all have static shapes gets
    one out-parameter per result instead: the buffer it allocated for the
    result becomes the out-parameter itself (no copy), and each call site
    allocates the buffer before the call. A decode layer then allocates
    nothing for its result, and the caller's buffer is an ordinary
    fixed-size allocation for tfm-plan-static-arena. Functions with a
    dynamically shaped result (prefill) and public entry points keep their
    signatures. Upstream's `buffer-results-to-out-params` does the rewrite;
    this pass chooses the functions.

    ```mlir
    func.func private @layer(%x: memref<1x64xf32>) -> memref<1x64xf32>
    // becomes
    func.func private @layer(%x: memref<1x64xf32>, %out: memref<1x64xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TfmPlanStaticArena : Pass<"tfm-plan-static-arena", "::mlir::func::FuncOp"> {
  let summary = "Place fixed-size intermediate buffers in one stack arena";
  let description = [{
    Runs on bufferized functions. Every `memref.alloc` in the function body
    with a static shape, whose views do not escape the function, gets a
    live range (from the allocation to the last op of the body that uses
    it or a view of it; raw pointers taken from it live as long as the
    values computed from them). Buffers are packed first-fit into one arena
    so that buffers live at the same time never share bytes, and each
    allocation becomes a `memref.view` of a single `memref.alloca` of the
    arena's size, made at the function's entry: a decode step of a layer,
    whose shapes are all static but the attention over the cache so far,
    does no heap allocation for them. Deallocations of planned buffers are
    removed.

    ```mlir
    %a = memref.alloc() : memref<1x1024xf32>   // live in ops 1..3
    %b = memref.alloc() : memref<1x2816xf32>   // live in ops 4..6
    // becomes
    %arena = memref.alloca() {alignment = 64} : memref<11264xi8>
    %a = memref.view %arena[%c0][] : memref<11264xi8> to memref<1x1024xf32>
    %b = memref.view %arena[%c0][] : memref<11264xi8> to memref<1x2816xf32>
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"4194304",
           "Largest arena placed on the stack; above it, buffers stay "
           "heap allocations">
  ];
}

def TfmLowerStridedCopies : Pass<"tfm-lower-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Copies between strided views as loops, not runtime calls";
  let description = [{
    A `memref.copy` between buffers that are not both contiguous lowers to
    a call of `memrefCopy`, a function of MLIR's C runner utilities, which
    a model library does not link (loading it fails with an undefined
    symbol). Such copies appear in a batched decode step, whose row count
    is known at run time only: views of a dynamic shape with a strided
    layout. This pass turns them into `linalg.copy`, which becomes loops
    with the rest; contiguous copies stay (memcpy).

    ```mlir
    memref.copy %rows, %view : memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>
        to memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>
    // becomes
    linalg.copy ins(%rows : ...) outs(%view : ...)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // TFM_CODEGEN_PASSES_TD
