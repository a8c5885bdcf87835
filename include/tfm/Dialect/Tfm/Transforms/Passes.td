//===- Passes.td - tfm dialect passes ----------------------*- tablegen -*-===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
#define TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmLastTokenLogits : Pass<"tfm-last-token-logits", "::mlir::ModuleOp"> {
  let summary = "Compute prefill logits for the last token only";
  let description = [{
    A decoder's prefill only needs the logits of the last prompt token to
    sample the next one, yet a model written naturally projects every
    position to the vocabulary: `seq * vocab * dim` multiply-adds for the
    largest matrix of the model. This pass selects the last row with
    `tfm.last_token` before `tfm.logits` in the chosen functions, then moves
    the selection above the row-wise ops that produce the logits' input
    (final norm, residual add, activations), and narrows the function's
    result type to `[1, vocab]`.

    Leave it out when all positions' logits are needed (perplexity).
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Functions whose returned logits are narrowed to the last token",
               "llvm::cl::ZeroOrMore">
  ];
}

def TfmOutlineLayers : Pass<"tfm-outline-layers", "::mlir::ModuleOp"> {
  let summary = "Move the repeated transformer layers into one function";
  let description = [{
    A model function spells out every layer, so everything after it (the
    lowering, LLVM's optimizer, instruction selection) would compile the same
    layer once per layer: 24 times for a 24-layer model. This pass finds the
    layers, checks that they are the same computation, moves one copy into a
    private function `@<function>_layer` and calls it once per layer.

    A layer is the set of ops that depend on the weights of layer `N` (the
    params named `blk.N.*`, the names every importer uses) and on no later
    layer's weights, minus the tail that reads global weights after the
    layers (final norm, logits). Layers that are not contiguous or not
    isomorphic to the first (same ops, attributes and types, same data flow;
    only the weights and the KV-cache layer may differ) stay inline, so the
    pass never changes what a function computes. Weights become arguments of
    the layer function and KV-cache ops take the layer as an `index`
    argument.
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    Option<"minLayers", "min-layers", "int64_t", "2",
           "Outline only when at least this many layers are alike">
  ];
}

def TfmQuantizeWeights : Pass<"tfm-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Choose the storage format of every linear-layer weight";
  let description = [{
    Re-types each `tfm.param` that only feeds the weight operand of
    `tfm.linear` or `tfm.logits` to `tensor<out x in x !tfm.quant<format>>`
    (or to f32 with `format=f32`); the weights file writer then quantizes
    the values, or copies the model file's blocks bit for bit when they are
    in that format already. Embedding tables and norm scales are left alone.

    `format` applies to every such weight (`keep`: leave each as the model
    file has it); `overrides` give some weights another format by name, in
    order, first match wins, with glob patterns, e.g. as llama.cpp's Q4_0 mix
    keeps the output matrix at higher precision:

    ```
    tfm-opt --tfm-quantize-weights="format=q4_0 overrides=output.weight=q6_k"
    ```

    Formats: `q8_0 q4_0 q4_1 q4_k q6_k int8 int4` (groups of 32), `int4g<N>`
    (groups of N), `f32`. A weight whose in-features are not a whole number
    of blocks of its format takes the 32-element format llama.cpp's mixes
    fall back to (q4_k to q4_1, q6_k to q8_0, int4 groups to 32), with a
    remark, or stays as it is, with a warning.
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"keep\"",
           "Format of every linear-layer weight">,
    ListOption<"overrides", "overrides", "std::string",
               "name-glob=format pairs that take precedence over `format`">
  ];
}

def TfmKVCacheType : Pass<"tfm-kv-cache-type", "::mlir::ModuleOp"> {
  let summary = "Choose the element type of the KV cache";
  let description = [{
    Re-types every `!tfm.kv_cache` of the module (function signatures, op
    results) to store `type`: `f32`, `f16`, `bf16` (f32's range with 8
    bits of mantissa: no overflow where f16's 65504 would clip), or `q8`,
    which is `i8` values with one f32 scale per token and KV head (the
    cache shrinks to about a quarter of f32). Keys and values are converted as they are appended;
    attention reads the stored type directly and converts in registers.
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
  let options = [
    Option<"type", "type", "std::string", /*default=*/"\"f32\"",
           "Element type of the cache: f32, f16, bf16 or q8">
  ];
}

def TfmConvertToGQA : Pass<"tfm-convert-to-gqa", "::mlir::ModuleOp"> {
  let summary = "Turn multi-head attention into grouped-query attention";
  let description = [{
    The conversion of the GQA paper (Ainslie et al., 2023): the key and
    value projections of each group of consecutive KV heads are replaced by
    their mean, so the layer keeps `kv-heads` KV heads and the KV cache
    shrinks by the group size. Every `tfm.kv_cache.append` is traced back
    through the ops that act on each head alike (RoPE, a per-head q/k norm)
    to its `tfm.linear`; the weight (and bias) becomes a `tfm.param` with
    `pool_heads`, averaged when the weights file is written, and every
    `!tfm.kv_cache` of the module (signatures, results) gets the new KV
    heads. The query heads stay: each group of them now reads one pooled
    head. Without fine-tuning (the paper uptrains 5% of the steps) the
    converted model is an approximation; docs/fidelity.md measures it.

    `kv-heads` must divide the current KV heads; equal to them the pass
    changes nothing.
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
  let options = [
    Option<"kvHeads", "kv-heads", "int64_t", /*default=*/"0",
           "KV heads after the conversion (a divisor of the current ones)">
  ];
}

def TfmFuseSiblingLinears : Pass<"tfm-fuse-sibling-linears", "::mlir::ModuleOp"> {
  let summary = "Compute linear layers that share their input as one";
  let description = [{
    Linear layers that read the same value — attention's Q, K and V
    projections, a SwiGLU FFN's gate and up projections — become one linear
    layer over their weights stacked along the output features (a
    `tfm.param` with `parts`), followed by `tensor.extract_slice`s of its
    columns in place of the original results. For a decoded token this
    replaces three (two) short parallel loops by one, and quantizes the
    shared input once.

    Only linears without a bias whose weights are plain params of the same
    element type and in-features are stacked. The weights file stores the
    stacked matrix (packed or quantized as one tensor), so nothing is copied
    at run time.

    ```mlir
    %q = tfm.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %k = tfm.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    // becomes
    %w = tfm.param "blk.0.attn_q+attn_k.weight"
        parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight"] : tensor<96x64xf32>
    %qk = tfm.linear %x, %w : (tensor<?x64xf32>, tensor<96x64xf32>) -> tensor<?x96xf32>
    %q = tensor.extract_slice %qk[0, 0] [%s, 64] [1, 1]
    %k = tensor.extract_slice %qk[0, 64] [%s, 32] [1, 1]
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TfmFuseResidualAdds : Pass<"tfm-fuse-residual-adds", "::mlir::ModuleOp"> {
  let summary = "Make residual adds the epilogue of the producing linear layer";
  let description = [{
    `tfm.add` of a linear layer's result (its only use) and another value of
    the same type becomes that linear layer with the value as its
    `residual`: the lowering accumulates the products onto the residual (the
    f32 kernels start from it instead of from zeros; the quantized
    microkernels add to their output), so the add costs no pass over memory
    and no parallel loop of its own.

    ```mlir
    %o = tfm.linear %a, %wo : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %h2 = tfm.add %h, %o : tensor<?x64xf32>
    // becomes
    %h2 = tfm.linear %a, %wo residual %h
        : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
}

def TfmFuseRoPEIntoAttention
    : Pass<"tfm-fuse-rope-into-attention", "::mlir::ModuleOp"> {
  let summary = "Apply RoPE inside the KV-cache write and the attention kernel";
  let description = [{
    A `tfm.rope` whose only use is the keys of a `tfm.kv_cache.append` or
    the queries of a `tfm.kv_cache.attention` at the same positions, and
    which rotates whole heads, is removed: the op gets its parameters as a
    `rope` attribute and rotates the unrotated projection itself. Keys are
    rotated while they are transposed into the cache (one pass over them
    instead of two); queries are rotated in registers inside the fused
    attention kernel, just before they are scored.

    ```mlir
    %qr = tfm.rope %q at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64} : tensor<?x64xf32>
    %kr = tfm.rope %k at %pos interleaved {...} : tensor<?x32xf32>
    %c1 = tfm.kv_cache.append %c[0], %kr, %v at %pos : ...
    %o = tfm.kv_cache.attention %qr, %c1[0] at %pos {...} : ...
    // becomes
    %c1 = tfm.kv_cache.append %c[0], %k, %v at %pos {rope = #tfm.rope<rotary_dim = 8, theta = 1.000000e+04 : f64, pairing = interleaved>} : ...
    %o = tfm.kv_cache.attention %q, %c1[0] at %pos {..., rope = #tfm.rope<...>} : ...
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
}

def TfmFuseHeadNormIntoAttention
    : Pass<"tfm-fuse-head-norm-into-attention", "::mlir::ModuleOp"> {
  let summary = "Apply the per-head q/k norm inside the KV-cache write and "
                "the attention kernel";
  let description = [{
    A `tfm.rms_norm` with a `[head_dim]` weight (the per-head q/k norm of
    Qwen 3 and Gemma 3) whose only use is the keys of a
    `tfm.kv_cache.append` or the queries of a `tfm.kv_cache.attention` is
    removed: the op takes the unnormalized projection, the weight as
    `key_norm` / `query_norm` and `norm_eps`, and normalizes each head
    itself before its rope. Keys are normalized while they are transposed
    into the cache; queries in the attention kernel, just before they are
    rotated and scored. Run after tfm-fuse-rope-into-attention: the norm
    must be the operand's producer, with the rope (computed after it)
    already inside the op.

    ```mlir
    %qn = tfm.rms_norm %q, %wq {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<8xf32>
    %kn = tfm.rms_norm %k, %wk {eps = 1.0e-06 : f64} : tensor<?x32xf32>, tensor<8xf32>
    %c1 = tfm.kv_cache.append %c[0], %kn, %v at %pos {rope = #tfm.rope<...>} : ...
    %o = tfm.kv_cache.attention %qn, %c1[0] at %pos {..., rope = #tfm.rope<...>} : ...
    // becomes
    %c1 = tfm.kv_cache.append %c[0], %k, %v at %pos key_norm(%wk : tensor<8xf32>)
        {norm_eps = 1.0e-06 : f64, rope = #tfm.rope<...>} : ...
    %o = tfm.kv_cache.attention %q, %c1[0] at %pos query_norm(%wq : tensor<8xf32>)
        {..., norm_eps = 1.0e-06 : f64, rope = #tfm.rope<...>} : ...
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
}

def TfmFuseNormIntoLinear : Pass<"tfm-fuse-norm-into-linear", "::mlir::ModuleOp"> {
  let summary = "Make RMSNorm the prologue of the linear layers it feeds";
  let description = [{
    A `tfm.rms_norm` whose every use is the input of a `tfm.linear` or
    `tfm.logits` is removed; each takes the unnormalized input and
    `norm_eps`:

    * with quantized weights, also `rms_norm %weight`: its activation
      quantization (`tfm_quantize_activations_rms_norm`) normalizes each row
      as it reads it, so the normalized tensor is never stored;
    * with float weights that are `tfm.param`s (and a norm weight that is
      one), the norm's scale is folded into the weight's columns, `W
      diag(g)`: a new `tfm.param ... column_scale` the weights writer
      computes. The linear keeps only the division by each row's RMS,
      which the lowering applies to the layer's output rows (its epilogue,
      fused into the matmul tiles by tfm-fuse-matmul-epilogues). The
      logits' weight is folded into only if nothing else reads it (a tied
      embedding table would be stored twice); otherwise the norm stays.

    Run after tfm-fuse-sibling-linears, which leaves one linear per norm.

    ```mlir
    %n = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %qkv = tfm.linear %n, %w : (tensor<?x64xf32>, tensor<192x64x!tfm.quant<q8_0>>) -> tensor<?x192xf32>
    // becomes
    %qkv = tfm.linear %h rms_norm %g, %w {norm_eps = 1.0e-5 : f64}
        : (tensor<?x64xf32>, tensor<64xf32>, tensor<192x64x!tfm.quant<q8_0>>) -> tensor<?x192xf32>

    // with float weights %w = tfm.param "attn_qkv.weight"
    %wg = tfm.param "attn_qkv.weight*attn_norm.weight"
        column_scale "attn_norm.weight" : tensor<192x64xf32>
    %qkv = tfm.linear %h, %wg {norm_eps = 1.0e-5 : f64}
        : (tensor<?x64xf32>, tensor<192x64xf32>) -> tensor<?x192xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
}

def TfmFuseGatedActivations
    : Pass<"tfm-fuse-gated-activations", "::mlir::ModuleOp"> {
  let summary = "Make a gated activation (SwiGLU) the epilogue of the gate/up linear layer";
  let description = [{
    `tfm.gated_activation kind` of the two column halves of one linear layer
    with quantized weights (the gate/up layer tfm-fuse-sibling-linears
    builds) becomes that linear layer with `gated = kind`: the microkernel
    computes a gate row and its up row together and applies
    `kind(gate) * up` before storing, so the `[seq, 2 x hidden]` product
    and the element-wise pass disappear. For float weights the lowering
    computes the gate and up products of a tile of output features and
    applies the activation to them in the same thread step
    (tfm-fuse-matmul-epilogues); the element-wise pass disappears there too.

    ```mlir
    %gu = tfm.linear %x, %w : (tensor<?x64xf32>, tensor<344x64x!tfm.quant<q8_0>>) -> tensor<?x344xf32>
    %g = tensor.extract_slice %gu[0, 0] [%n, 172] [1, 1] : tensor<?x344xf32> to tensor<?x172xf32>
    %u = tensor.extract_slice %gu[0, 172] [%n, 172] [1, 1] : tensor<?x344xf32> to tensor<?x172xf32>
    %a = tfm.gated_activation silu %g, %u : tensor<?x172xf32>
    // becomes
    %a = tfm.linear %x, %w gated(silu)
        : (tensor<?x64xf32>, tensor<344x64x!tfm.quant<q8_0>>) -> tensor<?x172xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TfmFuseLinearActivations
    : Pass<"tfm-fuse-linear-activations", "::mlir::ModuleOp"> {
  let summary = "Make an element-wise activation the epilogue of the linear layer before it";
  let description = [{
    `tfm.activation kind` whose input is a linear layer without a residual
    or gated epilogue, and that linear layer's only user, becomes that layer
    with `activation = kind`: the non-gated FFN of GPT-2, BERT and T5
    (`kind(x * w^T + b)`). The lowering then adds the bias and applies the
    activation to the products of each thread step as they are finished
    (for float weights in panel layout, through tfm-fuse-matmul-epilogues),
    instead of two more passes over the `[seq, hidden]` result.

    ```mlir
    %h = tfm.linear %x, %w, %b : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    %a = tfm.activation gelu_tanh %h : tensor<?x256xf32>
    // becomes
    %a = tfm.linear %x, %w, %b activation(gelu_tanh)
        : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
}

def TfmInterleaveQuantizedWeights
    : Pass<"tfm-interleave-quantized-weights", "::mlir::ModuleOp"> {
  let summary = "Store q8_0, q4_0, q4_k, q6_k, f16 and bf16 weights as interleaved groups of 16 rows";
  let description = [{
    Re-types every `tfm.param` of `!tfm.quant<q8_0>`, `!tfm.quant<q4_0>`,
    `!tfm.quant<q4_k>`, `!tfm.quant<q6_k>`, `!tfm.quant<f16>` or
    `!tfm.quant<bf16>` that only linear layers (or logits) read, and whose
    products have a multiple of 16 output rows (each half of a gated
    weight), to `interleave = 16`. The weights file then holds the same
    blocks for 16 rows at a time interleaved four elements at a time
    (tfm/Runtime/tfm_kernels.h), and the microkernel computes 16 rows with
    one 512-bit `vpdpbusd` (two 256-bit halves on AVX2) per four input
    features instead of a block at a time per row; f16 groups hold each
    input feature's 16 values side by side, one vector the kernel widens
    and multiplies by a broadcast activation, bf16 groups each pair of
    features (the operand of AVX512-BF16's dot product). Weights with
    other row counts stay row-wise.

    ```mlir
    %w = tfm.param "blk.0.attn_q.weight" : tensor<64x64x!tfm.quant<q4_0>>
    // becomes
    %w = tfm.param "blk.0.attn_q.weight" : tensor<64x64x!tfm.quant<q4_0, interleave = 16>>
    ```
  }];
  let dependentDialects = ["::mlir::tfm::TfmDialect"];
}

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
