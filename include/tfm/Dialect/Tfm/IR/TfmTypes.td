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
    The element type is the storage type of the cache (f32, f16 or bf16).
  }];
  let parameters = (ins
    "int64_t":$layers,
    "int64_t":$kv_heads,
    "int64_t":$context_length,
    "int64_t":$head_dim,
    "::mlir::Type":$elementType
  );
  let assemblyFormat = [{
    `<` `layers` `=` $layers `,` `kv_heads` `=` $kv_heads `,`
        `context` `=` $context_length `,` `head_dim` `=` $head_dim `,`
        $elementType `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of features of one token's keys (or values) in one layer.
    int64_t getKVFeatures() const { return getKvHeads() * getHeadDim(); }
    /// Size of the whole cache in bytes.
    int64_t getSizeInBytes() const;
  }];
}

#endif // TFM_DIALECT_TFM_IR_TFMTYPES_TD
