//===- TfmTypes.td - tfm dialect types ---------------------*- tablegen -*-===//

#ifndef TFM_DIALECT_TFM_IR_TFMTYPES_TD
#define TFM_DIALECT_TFM_IR_TFMTYPES_TD

include "tfm/Dialect/Tfm/IR/TfmBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def Tfm_KVCacheType : TypeDef<Tfm_Dialect, "KVCache"> {
  let mnemonic = "kv_cache";
  let summary = "Key/value cache of a decoder for a fixed context length";
  let description = [{
    The keys and values of every layer for up to `context_length` positions:

    ```
    !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>
    ```

    Logical layout: `[layers][2 (K, V)][kv_heads][context][head_dim]`, so its
    size in bytes is
    `layers * 2 * kv_heads * context * head_dim * sizeof(element)`. Grouped-
    and multi-query attention (fewer KV heads than query heads) shrink it.
    The element type is the storage type of the cache (f32, f16 or bf16),
    or i8 for 8-bit values with one f32 scale per token and KV head, stored
    in 4 more bytes after each row of `head_dim` values.

    `layers = ?` is a pool of caches, one after the other: the caches of
    the contexts a batched decode step serves (`decode_batch`), cache `s`
    layer `l` being layer `s * model_layers + l` of the pool. The runtime
    gives the number of caches.

    ```
    !tfm.kv_cache<layers = ?, kv_heads = 4, context = 512, head_dim = 8, f16>
    ```

    `ring` makes each layer a ring of `context` rows: position `p` lives in
    row `p mod rows`, `rows` being the cache's run-time row count (at most
    `context`), and a write overwrites the position `rows` before it. The
    sliding-window layers of a model (Mistral, Gemma 2 and 3) keep their
    keys and values in such a cache: a query sees only the last `window`
    positions, so `window + ubatch - 1` rows serve calls of up to `ubatch`
    tokens at any context length (see `tfm.kv_cache.attention`).

    ```
    !tfm.kv_cache<layers = 13, kv_heads = 4, context = 4607, head_dim = 256, bf16, ring>
    ```
  }];
  let parameters = (ins
    "int64_t":$layers,
    "int64_t":$kv_heads,
    "int64_t":$context_length,
    "int64_t":$head_dim,
    "::mlir::Type":$elementType,
    DefaultValuedParameter<"bool", "false">:$ring
  );
  let assemblyFormat = [{
    `<` `layers` `=` custom<LayerCount>($layers) `,` `kv_heads` `=` $kv_heads `,`
        `context` `=` $context_length `,` `head_dim` `=` $head_dim `,`
        $elementType `` custom<RingFlag>($ring) `>`
  }];
  let builders = [
    TypeBuilder<(ins "int64_t":$layers, "int64_t":$kv_heads,
                     "int64_t":$context_length, "int64_t":$head_dim,
                     "::mlir::Type":$elementType), [{
      return $_get($_ctxt, layers, kv_heads, context_length, head_dim,
                   elementType, /*ring=*/false);
    }]>
  ];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of features of one token's keys (or values) in one layer.
    int64_t getKVFeatures() const { return getKvHeads() * getHeadDim(); }
    /// Size of the whole cache in bytes (of one layer's worth times the
    /// layers; a pool's size is known at run time only).
    int64_t getSizeInBytes() const;
    /// A pool of caches of unknown count (`layers = ?`).
    bool isPool() const { return ::mlir::ShapedType::isDynamic(getLayers()); }
    /// True for the 8-bit cache with a scale per token and head.
    bool isQuantized() const { return getElementType().isInteger(8); }
    /// Elements of one stored row (one head of one token).
    int64_t getRowElements() const {
      return getHeadDim() + (isQuantized() ? 4 : 0);
    }
    /// The same cache with `layers` layers (a pool: ShapedType::kDynamic).
    KVCacheType withLayers(int64_t layers) const {
      return get(getContext(), layers, getKvHeads(), getContextLength(),
                 getHeadDim(), getElementType(), getRing());
    }
  }];
}

def Tfm_QuantType : TypeDef<Tfm_Dialect, "Quant"> {
  let mnemonic = "quant";
  let summary = "Element type of a block-quantized weight matrix";
  let description = [{
    The element type of a weight `tensor<out x in x !tfm.quant<...>>`: each
    output row is stored as blocks of its input features in one format.

    ```
    !tfm.quant<q4_0>               // GGUF Q4_0: 32 weights, f16 scale, nibbles
    !tfm.quant<q8_0>               // GGUF Q8_0
    !tfm.quant<q4_1>               // GGUF Q4_1: f16 scale and min
    !tfm.quant<q4_k>               // GGUF Q4_K: 256-weight super-blocks
    !tfm.quant<q6_k>               // GGUF Q6_K
    !tfm.quant<int8>               // one f32 scale per output channel
    !tfm.quant<int4, group = 128>  // f16 scale and min per 128 weights
    !tfm.quant<f16>                // 16-bit floats, executed without widening
    !tfm.quant<bf16>               // bfloat16 alike
    ```

    The GGUF formats keep GGML's block layout bit for bit (a quantized GGUF
    file is compiled without re-quantizing); tfm/Runtime/tfm_kernels.h
    documents every layout. The number of input features must be a whole
    number of blocks (32, 256 for the K formats, the group for int4, 16 for
    f16 and bf16: one vector of the kernels). The f16 and bf16 rows are
    multiplied by f32 activations, not by 8-bit ones.

    `interleave = 16` (q8_0, q4_0, q4_k, q6_k, f16, bf16) stores the same blocks for groups of
    16 consecutive output rows interleaved, the layout the 16-row microkernel
    reads (tfm-interleave-quantized-weights chooses it); the number of
    output rows must then be a multiple of 16:

    ```
    !tfm.quant<q4_0, interleave = 16>
    ```
  }];
  let parameters = (ins
    EnumParameter<Tfm_QuantFormat>:$format,
    DefaultValuedParameter<"int64_t", "0">:$group,
    DefaultValuedParameter<"int64_t", "0">:$interleave
  );
  let builders = [
    TypeBuilder<(ins "QuantFormat":$format, "int64_t":$group), [{
      return $_get($_ctxt, format, group, /*interleave=*/0);
    }]>
  ];
  // `<` format (`,` `group` `=` N)? (`,` `interleave` `=` N)? `>`: two
  // optional groups that both start with `,` need a hand-written parser.
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The tfm_quant_format value the microkernels take (an _X16 format
    /// when the rows are interleaved).
    int32_t getKernelFormat() const;
    /// Output rows per interleaved group (1 for row-wise storage).
    int64_t getRowsPerGroup() const {
      return getInterleave() > 0 ? getInterleave() : 1;
    }
    /// The same format stored row by row.
    QuantType getRowWise() const {
      return QuantType::get(getContext(), getFormat(), getGroup());
    }
    /// Input features per block (a row is a whole number of blocks).
    int64_t getBlockElements() const;
    /// Bytes of one output row of `inFeatures` weights, or -1 if
    /// `inFeatures` is not a whole number of blocks.
    int64_t getRowBytes(int64_t inFeatures) const;
  }];
}

#endif // TFM_DIALECT_TFM_IR_TFMTYPES_TD
