//===- TfmOps.td - tfm dialect operations ------------------*- tablegen -*-===//

#ifndef TFM_DIALECT_TFM_IR_TFMOPS_TD
#define TFM_DIALECT_TFM_IR_TFMOPS_TD

include "tfm/Dialect/Tfm/IR/TfmBase.td"
include "tfm/Dialect/Tfm/IR/TfmTypes.td"
include "tfm/Dialect/Tfm/IR/TfmAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Tfm_ParamOp : Tfm_Op<"param", [Pure]> {
  let summary = "A named model weight";
  let description = [{
    Refers to the weight tensor called `name` in the model's weight source.
    The values are never part of the IR; the name is the key a weights file
    is looked up with (GGUF tensor names: `blk.0.attn_q.weight`, ...).

    ```mlir
    %wq = tfm.param "blk.0.attn_q.weight" : tensor<64x64xf32>
    ```

    With `parts`, the weight is the named matrices (or bias vectors)
    stacked along their rows (output features), in order; `name` is then
    only the key of the stacked tensor. tfm-fuse-sibling-linears writes such params, so that one linear
    layer computes what several did:

    ```mlir
    %wqkv = tfm.param "blk.0.attn_q+attn_k+attn_v.weight"
        parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight",
               "blk.0.attn_v.weight"] : tensor<96x64xf32>
    ```

    With `column_scale`, column `k` (input feature `k`) of the weight is
    multiplied by element `k` of the named vector when the weights file is
    written: tfm-fuse-norm-into-linear folds an RMSNorm's scale into the
    float weights of the linear layers it feeds, `W diag(g)`. `name` is
    again only the key of the scaled tensor, and `parts` names its source
    (then one tensor is enough).

    ```mlir
    %wqkv = tfm.param "blk.0.attn_qkv.weight*blk.0.attn_norm.weight"
        parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight",
               "blk.0.attn_v.weight"]
        column_scale "blk.0.attn_norm.weight" : tensor<96x64xf32>
    ```

    With `pool_heads = [g, d]`, the rows (or bias elements) of the one
    tensor `parts` names are heads of `d` rows, and each run of `g`
    consecutive heads becomes their mean, computed when the weights file is
    written: tfm-convert-to-gqa pools the key and value projections of an
    MHA model into those of a GQA model (the result has `1 / g` of the
    source's rows).

    ```mlir
    %wk = tfm.param "blk.0.attn_k.weight/gqa2" parts ["blk.0.attn_k.weight"]
        pool_heads [2, 16] : tensor<32x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<StrArrayAttr>:$parts,
                       OptionalAttr<StrAttr>:$column_scale,
                       OptionalAttr<DenseI64ArrayAttr>:$pool_heads);
  let results = (outs Tfm_WeightTensor:$result);
  let assemblyFormat = [{
    $name (`parts` $parts^)? (`column_scale` $column_scale^)?
    (`pool_heads` $pool_heads^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Embeddings and position encodings
//===----------------------------------------------------------------------===//

def Tfm_EmbeddingOp : Tfm_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup";
  let description = [{
    `result[i, :] = table[tokens[i], :]` for a table `[vocab, dim]` and token
    ids `[seq]`; the result is `[seq, dim]`. With `scale` every element is
    multiplied by it (Gemma scales its embeddings by sqrt(dim); the table
    itself also serves as the tied output matrix, so it stays unscaled).
  }];
  let arguments = (ins Tfm_FloatTensor:$table, Tfm_TokenTensor:$tokens,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $tokens `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_RoPEOp : Tfm_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding";
  let description = [{
    Rotates feature pairs of each head of `input` (`[seq, heads * head_dim]`)
    by an angle that grows with the token position `p = start + i`:

    ```
    freq_j = theta ^ (-2j / rotary_dim),  j in [0, rotary_dim / 2)
    (a, b) -> (a * cos(p * freq_j) - b * sin(p * freq_j),
               a * sin(p * freq_j) + b * cos(p * freq_j))
    ```

    With `interleaved` pairing the pair of `j` is features `(2j, 2j + 1)` of
    the head (llama2.c, GGUF `llama`); with `half_split` it is
    `(j, j + rotary_dim / 2)` (GPT-NeoX, Hugging Face). Features at and past
    `rotary_dim` pass through unchanged (partial rotary).

    With `frequencies` (`rotary_dim / 2` values) pair `j` turns at
    `frequencies[j]` instead of `theta ^ (-2j / rotary_dim)`: scaled RoPE
    (linear scaling, Llama 3's per-pair factors) is folded into them at
    import, so the op and its kernels know one rule.

    ```mlir
    %q = tfm.rope %x at %start half_split {head_dim = 64 : i64,
        rotary_dim = 64 : i64, theta = 5.0e+05 : f64,
        frequencies = array<f64: 1.0, 0.5, ...>} : tensor<?x512xf32>
    ```
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    Index:$start,
    ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
    ConfinedAttr<I64Attr, [IntPositive]>:$rotary_dim,
    F64Attr:$theta,
    Tfm_RopePairing:$pairing,
    OptionalAttr<DenseF64ArrayAttr>:$frequencies
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `at` $start $pairing attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Tfm_SinusoidalPositionOp : Tfm_Op<"sinusoidal_position",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Adds a sinusoidal absolute position encoding";
  let description = [{
    `result[i, 2j] = input[i, 2j] + sin(p / base^(2j / dim))` and
    `result[i, 2j+1] = input[i, 2j+1] + cos(p / base^(2j / dim))` with
    `p = start + i` ("Attention Is All You Need"). `dim` must be even.
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Index:$start,
                       DefaultValuedAttr<F64Attr, "10000.0">:$base);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input `at` $start attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_RelativePositionBiasOp : Tfm_Op<"relative_position_bias", [Pure]> {
  let summary = "T5's bucketed relative position bias of the attention scores";
  let description = [{
    The bias T5 adds to every attention score of its self-attention:
    `result[h, i, j] = table[bucket(j - (query_start + i)), h]` for the
    `query_count` queries at positions `query_start + i` and the
    `key_count` keys at positions `j`. `table` is `[num_buckets,
    num_heads]` (the learned `attn_rel_b` of the first layer, computed once
    and shared by all layers as T5 does).

    `bucket` is T5's: distances below half the buckets (of one direction)
    have a bucket each; larger ones share logarithmically wider buckets up
    to `max_distance`, beyond which all fall into the last. With
    `bidirectional` (the encoder) half the buckets are for keys after the
    query; without it (the decoder) keys after the query share bucket 0,
    which the causal mask hides anyway. The bucket of each distance is the
    one llama.cpp's `llama_relative_position_bucket` computes, to the bit.

    ```mlir
    %bias = tfm.relative_position_bias %table queries(%start, %n) keys %k
        {bidirectional} : tensor<32x8xf32> -> tensor<8x?x?xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$table, Index:$query_start,
                       Index:$query_count, Index:$key_count,
                       UnitAttr:$bidirectional,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>,
                                         "128">:$max_distance);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $table `queries` `(` $query_start `,` $query_count `)` `keys` $key_count
    attr-dict `:` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The bucket of a key `relative` positions after its query (the
    /// table's static bucket count).
    int64_t getBucket(int64_t relative);
  }];
}

def Tfm_LearnedPositionOp : Tfm_Op<"learned_position",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Adds a learned absolute position embedding";
  let description = [{
    `result[i, :] = input[i, :] + table[start + i, :]` for a table
    `[max_positions, dim]` (GPT-2, BERT).
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$table,
                       Index:$start);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $table `at` $start attr-dict `:` type($input) `,` type($table)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Tfm_RMSNormOp : Tfm_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalization over the feature dimension";
  let description = [{
    `result[i, :] = input[i, :] / sqrt(mean_j(input[i, j]^2) + eps) * weight`
    with `weight` of shape `[dim]` (Llama, T5).

    A weight shorter than the features normalizes each group of that many
    features on its own, with the same weight: the per-head q/k norm of
    Qwen 3 and Gemma 3 is a `tfm.rms_norm` of the `[seq, heads * head_dim]`
    projection with a `[head_dim]` weight.

    ```mlir
    %q = tfm.rms_norm %proj, %w {eps = 1.0e-06 : f64}
        : tensor<?x512xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$weight,
                       F64Attr:$eps);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Features normalized together: the weight's length.
    int64_t getGroupSize() {
      auto type = ::llvm::dyn_cast<::mlir::RankedTensorType>(
          getWeight().getType());
      return type && type.getRank() == 1 ? type.getDimSize(0) : -1;
    }
    /// Whether the weight covers all features (one group per row).
    bool isWholeRow() {
      return getGroupSize() == getInput().getType().getDimSize(1);
    }
  }];
}

def Tfm_LayerNormOp : Tfm_Op<"layer_norm", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization over the feature dimension";
  let description = [{
    `result[i, :] = (input[i, :] - mean) / sqrt(var + eps) * weight + bias`
    where `mean` and `var` are the mean and (biased) variance of row `i`;
    `bias` (shape `[dim]`) is optional (GPT-2, BERT).
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$weight,
                       Optional<Tfm_FloatTensor>:$bias, F64Attr:$eps);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear layers and logits
//===----------------------------------------------------------------------===//

def Tfm_LinearOp : Tfm_Op<"linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "Fully connected layer";
  let description = [{
    `result = input * weight^T + bias + residual` for `input [seq, in]`,
    `weight [out, in]`, the optional `bias [out]` and the optional
    `residual [seq, out]`; the result is `[seq, out]` with the element type
    of `input`. A residual is the epilogue tfm-fuse-residual-adds moves into
    the layer: the products are accumulated onto it instead of onto zeros.

    ```mlir
    %h2 = tfm.linear %attn, %wo residual %h
        : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    ```

    With `rms_norm` the input is first normalized as by `tfm.rms_norm`
    with that weight and `norm_eps`: the prologue tfm-fuse-norm-into-linear
    moves into layers with quantized weights, whose activation
    quantization then normalizes each row as it reads it.

    With `norm_eps` and no `rms_norm` weight the input is normalized with a
    unit scale, `input / sqrt(mean(input^2) + norm_eps)`: what is left of
    the prologue for float weights once the norm's scale is folded into the
    weight's columns (`tfm.param ... column_scale`). The normalization is
    linear in each row, so the generated code multiplies each output row by
    the row's `1 / rms` as the layer's epilogue and never writes a
    normalized input.

    ```mlir
    %qkv = tfm.linear %h, %wqkv {norm_eps = 1.0e-5 : f64}
        : (tensor<?x64xf32>, tensor<192x64xf32>) -> tensor<?x192xf32>
    ```

    ```mlir
    %qkv = tfm.linear %h rms_norm %g, %wqkv {norm_eps = 1.0e-5 : f64}
        : (tensor<?x64xf32>, tensor<64xf32>, tensor<192x64x!tfm.quant<q8_0>>) -> tensor<?x192xf32>
    ```

    With `gated = kind` the weight's rows are two halves, gate then up
    (the stacked weight of tfm-fuse-sibling-linears), and the result is
    `kind(input * gate^T) * (input * up^T)`, `[seq, out / 2]`: the gated
    activation tfm-fuse-gated-activations moves into the epilogue of the
    layer (no bias or residual then).

    ```mlir
    %a = tfm.linear %x, %wgu gated(silu)
        : (tensor<?x64xf32>, tensor<344x64x!tfm.quant<q8_0>>) -> tensor<?x172xf32>
    ```

    With `activation = kind` the result is `kind(input * weight^T + bias)`:
    the element-wise activation of a non-gated FFN (GPT-2, BERT, T5)
    that tfm-fuse-linear-activations moves into the layer, so the lowering
    applies it, with the bias, to the products as it finishes them (no
    residual or gating then).

    ```mlir
    %h = tfm.linear %x, %w1, %b1 activation(gelu_tanh)
        : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input,
                       Optional<Tfm_FloatTensor>:$norm_weight,
                       Tfm_MatmulWeightTensor:$weight,
                       Optional<Tfm_FloatTensor>:$bias,
                       Optional<Tfm_FloatTensor>:$residual,
                       OptionalAttr<F64Attr>:$norm_eps,
                       OptionalAttr<Tfm_Activation>:$gated,
                       OptionalAttr<Tfm_Activation>:$activation);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`rms_norm` $norm_weight^)? `,` $weight (`,` $bias^)?
    (`residual` $residual^)? (`gated` `(` $gated^ `)`)?
    (`activation` `(` $activation^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_LogitsOp : Tfm_Op<"logits", [Pure]> {
  let summary = "Final projection of hidden states to vocabulary logits";
  let description = [{
    `result = input * weight^T` for `input [seq, dim]` and `weight
    [vocab, dim]`; the result is `[seq, vocab]`. `weight` is the output
    matrix, or the token embedding table when the model ties them. Kept apart
    from `tfm.linear` so passes can treat the largest matrix of the model on
    its own (prefill pruning, higher-precision quantization).

    The final norm can be its prologue, as for `tfm.linear`: `rms_norm
    %weight` with `norm_eps`, or `norm_eps` alone once the norm's scale is
    folded into a float weight.

    ```mlir
    %logits = tfm.logits %h rms_norm %g, %wout {norm_eps = 1.0e-5 : f64}
        : (tensor<1x64xf32>, tensor<64xf32>, tensor<512x64x!tfm.quant<q8_0>>) -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input,
                       Optional<Tfm_FloatTensor>:$norm_weight,
                       Tfm_MatmulWeightTensor:$weight,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`rms_norm` $norm_weight^)? `,` $weight attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_QuantizedMatmulOp : Tfm_Op<"quantized_matmul"> {
  let summary = "Matrix product with block-quantized weights, on buffers";
  let description = [{
    `output[s, n] = sum_k input[s, k] * dequantize(weight)[n, k]`, where
    each row of `weight` holds the blocks of one output feature in `format`
    (`weight` is `[out, row_bytes]` bytes). This is the kernel-level form of
    a `tfm.linear` or `tfm.logits` with quantized weights, created by
    convert-tfm-to-linalg on buffers so bufferization passes it through;
    tfm-lower-quantized-matmul turns it into calls of the microkernels of
    tfm/Runtime/tfm_kernels.h, which unpack the blocks in registers.

    With `accumulate`, `output` holds a residual the products are added to.
    With `rms_norm`, each input row is RMS-normalized (weight `norm_weight`,
    epsilon `norm_eps`) as it is quantized: the normalized rows are never
    stored. With `gated = kind`, `weight` holds gate rows then as many up
    rows and `output[s, n] = kind(gate_n . x_s) * (up_n . x_s)`: the
    gated activation is the kernel's epilogue.
    `scratch` receives the input rows quantized to 8-bit blocks (for f16
    and bf16 weights: the f32 rows, normalized with `rms_norm`;
    `tfm_quantized_activation_row_bytes(format, in)` bytes per row); it is an
    operand, not allocated by the kernel, so memory planning sees it like
    every other buffer.

    ```mlir
    tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s
        : memref<?x64xf32>, memref<128x36xi8>, memref<?x128xf32>, memref<?xi8>
    ```
  }];
  let arguments = (ins
    TypeAttrOf<Tfm_QuantElement>:$format,
    Arg<MemRefRankOf<[F32], [2]>, "activations", [MemRead]>:$input,
    Arg<Optional<MemRefRankOf<[F32], [1]>>, "RMSNorm weight of the input",
        [MemRead]>:$norm_weight,
    Arg<MemRefRankOf<[I8], [2]>, "quantized weight rows", [MemRead]>:$weight,
    Arg<MemRefRankOf<[F32], [2]>, "result (read too with accumulate)",
        [MemRead, MemWrite]>:$output,
    Arg<MemRefRankOf<[I8], [1]>, "quantized activations",
        [MemRead, MemWrite]>:$scratch,
    UnitAttr:$accumulate,
    OptionalAttr<F64Attr>:$norm_eps,
    OptionalAttr<Tfm_Activation>:$gated
  );
  let assemblyFormat = [{
    $format $input (`rms_norm` $norm_weight^ `:` type($norm_weight))? `,`
    $weight `->` (`accumulate` $accumulate^)? $output
    `scratch` $scratch (`gated` `(` $gated^ `)`)? attr-dict `:`
    type($input) `,` type($weight) `,` type($output) `,` type($scratch)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    QuantType getQuantType() { return ::llvm::cast<QuantType>(getFormat()); }
  }];
}

def Tfm_FlashAttentionOp
    : Tfm_Op<"flash_attention", [AttrSizedOperandSegments]> {
  let summary = "Fused causal attention over one layer of the KV cache, on buffers";
  let description = [{
    The kernel-level form of `tfm.kv_cache.attention`, created by
    convert-tfm-to-linalg on buffers (so bufferization passes it through)
    and lowered by tfm-lower-flash-attention to calls of `tfm_attention`
    (tfm/Runtime/tfm_kernels.h): one pass over the keys per query row with
    an online softmax, so no `[heads, queries, keys]` score matrix exists.

    `keys` and `values` are `[kv_heads, tokens, row]` views of the cache:
    rows of `head_dim` f32 or f16, or for the q8 cache `head_dim` int8
    followed by the row's 4-byte f32 scale (`row = head_dim + 4`). Query
    `i` (a row of `query [seq, num_heads * head_dim]`) sees keys
    `j <= start + i`; `tokens` is `start + seq` for the KV cache's causal
    attention, and `start` = `tokens` makes every key visible to every query
    (unmasked `tfm.attention`: an encoder's bidirectional self-attention,
    cross-attention), `keys` and `values` then being head-major views of
    their projections.

    With `kv_splits` > 1 (flash-decoding) the keys are cut into that many
    ranges worked on by different threads; each writes its unnormalized
    sums, running maximum and denominator to `partials` (`kv_splits x seq
    x num_heads x (head_dim + 2)` floats), and one pass merges them.

    With `rope` the kernel rotates each query row by that rotary embedding
    before scoring it, with the cos and sin of query row `i`'s angles in row
    `i` of `rope_cos` / `rope_sin` (`[seq, head_dim / 2]`). `window` and
    `soft_cap` are those of `tfm.kv_cache.attention`.

    With `position_bias` (T5's relative position bias, `[num_heads, 2 *
    max_distance + 1]`: each head's bias of each clamped key distance) the
    score of query `i`, at position `bias_query_start + i`, and key `j`
    gains `position_bias[h, max_distance + clamp(j - bias_query_start - i,
    -max_distance, max_distance)]`: the bias of `tfm.relative_position_bias`
    without its `[heads, queries, keys]` matrix.

    With `query_norm` (`[head_dim]`) the kernel RMS-normalizes each query
    head with that weight and `norm_eps` before the rope: the q norm of
    `tfm.kv_cache.attention`.

    With `ring %tokens` the views hold a ring cache's rows (every row of
    the layer): position `p` is row `p mod rows`, and `tokens` (`start +
    seq`) positions have been written. The op then needs a `window` of at
    most `rows` positions; the kernel reads the visible positions only.

    ```mlir
    tfm.flash_attention %q, %k, %v at %start -> %out partials %p
        {num_heads = 8 : i64, scale = 0.125 : f64, kv_splits = 4 : i64}
        : memref<1x512xf32>, memref<4x?x64xf32, strided<[?, ?, 1], offset: ?>>,
          memref<4x?x64xf32, strided<[?, ?, 1], offset: ?>>,
          memref<1x512xf32>, memref<4160xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F32], [2]>, "queries", [MemRead]>:$query,
    Arg<MemRefRankOf<[F32, F16, BF16, I8], [3]>, "keys of the layer", [MemRead]>:$keys,
    Arg<MemRefRankOf<[F32, F16, BF16, I8], [3]>, "values of the layer", [MemRead]>:$values,
    Index:$start,
    Arg<MemRefRankOf<[F32], [2]>, "result", [MemWrite]>:$output,
    Arg<Optional<MemRefRankOf<[F32], [1]>>, "per-split partial results",
        [MemRead, MemWrite]>:$partials,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "cos of the query rotation angles",
        [MemRead]>:$rope_cos,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "sin of the query rotation angles",
        [MemRead]>:$rope_sin,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "bias of each head and distance",
        [MemRead]>:$position_bias,
    Optional<Index>:$bias_query_start,
    Arg<Optional<MemRefRankOf<[F32], [1]>>, "RMSNorm weight of each query head",
        [MemRead]>:$query_norm,
    Optional<Index>:$ring_tokens,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
    F64Attr:$scale,
    DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1">:$kv_splits,
    OptionalAttr<Tfm_RopeAttr>:$rope,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window,
    OptionalAttr<F64Attr>:$soft_cap,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$max_distance,
    OptionalAttr<F64Attr>:$norm_eps
  );
  let assemblyFormat = [{
    $query `,` $keys `,` $values `at` $start (`ring` $ring_tokens^)?
    `->` $output (`partials` $partials^)?
    (`rope` `(` $rope_cos^ `,` $rope_sin `:` type($rope_cos) `,`
        type($rope_sin) `)`)?
    (`position_bias` `(` $position_bias^ `at` $bias_query_start `:`
        type($position_bias) `)`)?
    (`query_norm` `(` $query_norm^ `:` type($query_norm) `)`)? attr-dict `:`
    type($query) `,` type($keys) `,` type($values) `,` type($output)
    (`,` type($partials)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Elements of one head's query (and key) vector.
    int64_t getHeadDim();

  private:
    ::mlir::LogicalResult verifyQueryRope(::mlir::MemRefType query,
                                          int64_t headDim);
  public:
  }];
}

def Tfm_LastTokenOp : Tfm_Op<"last_token", [Pure]> {
  let summary = "Selects the hidden state of the last token";
  let description = [{
    `result[0, :] = input[seq - 1, :]`; the result is `[1, dim]`. Used where
    only the last position feeds the output (prefill of a decoder).
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

def Tfm_AttentionOp : Tfm_Op<"attention", [Pure]> {
  let summary = "Scaled dot-product attention over given keys and values";
  let description = [{
    Multi-head attention of `query [sq, num_heads * head_dim]` over
    `key`/`value [sk, num_kv_heads * head_dim]`. Query head `h` uses KV head
    `h / (num_heads / num_kv_heads)`, so `num_kv_heads == num_heads` is MHA,
    `1 < num_kv_heads < num_heads` is GQA and `num_kv_heads == 1` is MQA.

    ```
    out_h[i] = sum_j softmax_j(scale * q_h[i] . k_g[j] + mask[i, j]) * v_g[j]
    ```

    `mask` is `causal` (decoder self-attention: `mask[i, j] = -inf` when
    `j > i + sk - sq`), `full` (encoder self-attention: `sq == sk`, no mask)
    or `cross` (encoder-decoder attention: keys and values come from the
    encoder, `sq` and `sk` independent, no mask).

    With `bias` (`[num_heads, sq, sk]`, T5's relative position bias from
    `tfm.relative_position_bias`) `bias[h, i, j]` is added to each scaled
    score of head `h` before the mask and the softmax.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$query, Tfm_FloatTensor:$key, Tfm_FloatTensor:$value,
    Optional<Tfm_FloatTensor>:$bias,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
    F64Attr:$scale,
    Tfm_MaskKind:$mask
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $mask $query `,` $key `,` $value (`bias` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tfm_KVCacheAppendOp : Tfm_Op<"kv_cache.append",
    [Pure, AllTypesMatch<["cache", "result"]>, AttrSizedOperandSegments]> {
  let summary = "Writes the keys and values of new tokens into the KV cache";
  let description = [{
    Stores `key[i, :]` and `value[i, :]` (`[seq, kv_heads * head_dim]`) at
    position `start + i` of the layer and returns the updated cache.
    Writing past the context length is a run-time error; a `ring` cache
    instead overwrites the position as many rows back.

    The layer is a constant (`%cache[3]`) or, in a function shared by all
    layers (see `tfm-outline-layers`), an `index` value (`%cache[%layer]`).

    With `rope` (set by tfm-fuse-rope-into-attention) the keys are rotated
    by that rotary embedding at their positions as they are written:
    `key` is the projection before RoPE.

    With `key_norm` (`[head_dim]`, set by tfm-fuse-head-norm-into-attention:
    the per-head key norm of Qwen 3 and Gemma 3) each head of each key is
    first RMS-normalized with that weight and `norm_eps`, before the rope:
    `key` is then the projection before the norm.

    ```mlir
    %c1 = tfm.kv_cache.append %c[0], %k, %v at %pos key_norm(%w : tensor<64xf32>)
        {norm_eps = 1.0e-06 : f64, rope = #tfm.rope<...>}
        : !kv_cache, tensor<?x512xf32>, tensor<?x512xf32>
    ```
  }];
  let arguments = (ins Tfm_KVCacheType:$cache, Tfm_FloatTensor:$key,
                       Tfm_FloatTensor:$value, Index:$start,
                       Optional<Index>:$dynamic_layer,
                       Optional<Tfm_FloatTensor>:$key_norm,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$layer,
                       OptionalAttr<Tfm_RopeAttr>:$rope,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs Tfm_KVCacheType:$result);
  let assemblyFormat = [{
    $cache `[` custom<LayerIndex>($dynamic_layer, $layer) `]` `,` $key `,`
    $value `at` $start (`key_norm` `(` $key_norm^ `:` type($key_norm) `)`)?
    attr-dict `:` type($cache) `,` type($key) `,` type($value)
  }];
  let builders = [
    OpBuilder<(ins "Value":$cache, "Value":$key, "Value":$value,
                   "Value":$start, "int64_t":$layer), [{
      build($_builder, $_state, cache.getType(), cache, key, value, start,
            Value(), Value(), $_builder.getI64IntegerAttr(layer), RopeAttr(),
            FloatAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The constant layer index or the `index` value holding it.
    OpFoldResult getLayerIndex() {
      return getLayer() ? OpFoldResult(getLayerAttr())
                        : OpFoldResult(getDynamicLayer());
    }
  }];
  let hasVerifier = 1;
}

def Tfm_KVCacheAttentionOp : Tfm_Op<"kv_cache.attention",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Causal attention of new queries over the KV cache";
  let description = [{
    Attention of `query [sq, num_heads * head_dim]` (tokens at positions
    `start .. start + sq - 1`) over the keys and values of layer `layer` held
    in `cache` for positions `0 .. start + sq - 1`, with a causal mask:
    query `i` sees positions `<= start + i`. The cache gives `num_kv_heads`
    and `head_dim`; `num_heads` must be a multiple of the KV heads (MHA, GQA,
    MQA as in `tfm.attention`). The layer is a constant or an `index` value,
    as in `tfm.kv_cache.append`.

    With `rope` (set by tfm-fuse-rope-into-attention) the queries are
    rotated by that rotary embedding at their positions inside the
    attention: `query` is the projection before RoPE.

    With `window` (sliding-window attention: Mistral, Gemma's local layers)
    query `i` sees only the last `window` positions, `start + i - window <
    j <= start + i`. With `soft_cap` (Gemma 2) each scaled score `s`
    becomes `soft_cap * tanh(s / soft_cap)` before the softmax.

    With `bias` (`[num_heads, sq, start + sq]`: T5's relative position bias)
    `bias[h, i, j]` is added to each scaled score of head `h`.

    With `query_norm` (`[head_dim]`, set by
    tfm-fuse-head-norm-into-attention) each head of each query is first
    RMS-normalized with that weight and `norm_eps` (Qwen 3's and Gemma 3's
    q norm), before the rope: `query` is then the projection before the
    norm.

    Over a `ring` cache (the sliding layers' cache of a long context) the
    keys of position `p` are in row `p mod rows`; the op needs a `window` of
    at most the ring's `context` rows, and a call's queries (at most
    `rows - window + 1`, as the runtime cuts prompts) see keys the append
    of their own call did not overwrite.

    With `keys %n` the layer holds keys and values an encoder wrote
    (`tfm.kv_cache.append` at 0 from T5's `encode`): every query sees keys
    `0 .. n - 1`, unmasked — the cross-attention of an encoder-decoder,
    whose keys and values are computed once per input, not per token.
    `start` is then unused by the attention.

    ```mlir
    %o = tfm.kv_cache.attention %q, %c[0] at %start {num_heads = 8 : i64,
        scale = 0.0625 : f64, window = 4096 : i64, soft_cap = 50.0 : f64}
        : tensor<?x2048xf32>, !kv_cache -> tensor<?x2048xf32>
    %x = tfm.kv_cache.attention %q, %c[6] at %start keys %n
        {num_heads = 8 : i64, scale = 1.0 : f64}
        : tensor<1x512xf32>, !kv_cache -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$query, Tfm_KVCacheType:$cache,
                       Index:$start, Optional<Index>:$dynamic_layer,
                       Optional<Tfm_FloatTensor>:$bias,
                       Optional<Index>:$key_count,
                       Optional<Tfm_FloatTensor>:$query_norm,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       F64Attr:$scale,
                       OptionalAttr<Tfm_RopeAttr>:$rope,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window,
                       OptionalAttr<F64Attr>:$soft_cap,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` custom<LayerIndex>($dynamic_layer, $layer) `]`
    `at` $start (`keys` $key_count^)? (`bias` $bias^)?
    (`query_norm` `(` $query_norm^ `:` type($query_norm) `)`)? attr-dict `:`
    type($query) `,` type($cache) (`,` type($bias)^)? `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$query, "Value":$cache,
                   "Value":$start, "int64_t":$layer, "int64_t":$num_heads,
                   "const APFloat &":$scale), [{
      build($_builder, $_state, result, query, cache, start, Value(),
            Value(), Value(), Value(), $_builder.getI64IntegerAttr(layer),
            $_builder.getI64IntegerAttr(num_heads),
            $_builder.getFloatAttr($_builder.getF64Type(), scale), RopeAttr(),
            IntegerAttr(), FloatAttr(), FloatAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The constant layer index or the `index` value holding it.
    OpFoldResult getLayerIndex() {
      return getLayer() ? OpFoldResult(getLayerAttr())
                        : OpFoldResult(getDynamicLayer());
    }

  private:
    /// A ring cache's constraints: a window that fits its rows.
    ::mlir::LogicalResult verifyRingWindow();
  public:
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Element-wise and row-wise math
//===----------------------------------------------------------------------===//

def Tfm_ActivationOp : Tfm_Op<"activation",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Element-wise activation function";
  let description = [{
    * `relu(x) = max(x, 0)`
    * `gelu(x) = x * 0.5 * (1 + erf(x / sqrt(2)))` (exact)
    * `gelu_tanh(x) = x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))`
    * `silu(x) = x * sigmoid(x) = x / (1 + exp(-x))`
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_Activation:$kind);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
}

def Tfm_GatedActivationOp : Tfm_Op<"gated_activation",
    [Pure, AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "Gated linear unit: activation(gate) * up";
  let description = [{
    `result = kind(gate) * up`, element-wise. With `silu` this is the SwiGLU
    FFN of Llama, `down(silu(gate(x)) * up(x))`; with `gelu` it is GeGLU.
  }];
  let arguments = (ins Tfm_FloatTensor:$gate, Tfm_FloatTensor:$up,
                       Tfm_Activation:$kind);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$kind $gate `,` $up attr-dict `:` type($gate)";
}

def Tfm_AddOp : Tfm_Op<"add", [Pure, Commutative,
    AllTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Element-wise addition (residual connection)";
  let description = [{
    `result = lhs + rhs`; both operands and the result have one type.
  }];
  let arguments = (ins Tfm_FloatTensor:$lhs, Tfm_FloatTensor:$rhs);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs)";
}

def Tfm_SoftCapOp : Tfm_Op<"soft_cap",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Soft capping: cap * tanh(x / cap)";
  let description = [{
    Squashes every element into `(-cap, cap)` smoothly: Gemma 2's final
    logits (`cap` 30). The attention scores' soft cap is the `soft_cap` of
    `tfm.kv_cache.attention`, inside the attention kernel.

    ```mlir
    %l = tfm.soft_cap %logits {cap = 30.0 : f64} : tensor<?x256000xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, F64Attr:$cap);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tfm_SoftmaxOp : Tfm_Op<"softmax", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Softmax over the last dimension";
  let description = [{
    `result[..., j] = exp(x[..., j] - m) / sum_k exp(x[..., k] - m)` with
    `m = max_k x[..., k]` for numerical stability.
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // TFM_DIALECT_TFM_IR_TFMOPS_TD
