//===- TfmAttrs.td - tfm dialect attributes ----------------*- tablegen -*-===//

#ifndef TFM_DIALECT_TFM_IR_TFMATTRS_TD
#define TFM_DIALECT_TFM_IR_TFMATTRS_TD

include "tfm/Dialect/Tfm/IR/TfmBase.td"

def Tfm_RopeAttr : AttrDef<Tfm_Dialect, "Rope"> {
  let mnemonic = "rope";
  let summary = "A rotary position embedding applied inside another op";
  let description = [{
    The parameters of a `tfm.rope` that tfm-fuse-rope-into-attention moved
    into the op that consumes its result: `tfm.kv_cache.append` rotates the
    keys as it writes them, `tfm.kv_cache.attention` rotates the queries
    before it scores them. The positions are the op's own (`start + i`);
    the rotation covers the whole head (`rotary_dim` = head_dim).
    `frequencies`, when present, are the scaled frequencies of the rotary
    pairs (see `tfm.rope`).

    ```mlir
    #tfm.rope<rotary_dim = 64, theta = 1.000000e+04 : f64, pairing = interleaved>
    ```
  }];
  let parameters = (ins "int64_t":$rotary_dim, "::mlir::FloatAttr":$theta,
                        EnumParameter<Tfm_RopePairing>:$pairing,
                        OptionalParameter<"::mlir::DenseF64ArrayAttr">:$frequencies);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // TFM_DIALECT_TFM_IR_TFMATTRS_TD
