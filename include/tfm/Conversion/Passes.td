//===- Passes.td - conversions out of the tfm dialect ------*- tablegen -*-===//

#ifndef TFM_CONVERSION_PASSES_TD
#define TFM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTfmToLinalg : Pass<"convert-tfm-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower tfm compute ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every tfm op except `tfm.param` into upstream ops on tensors:
    `linalg.generic` for the compute (each tagged with a `tfm.kernel`
    attribute naming its kernel class, read by `tfm-tile-and-vectorize`),
    `tensor` reshapes and slices for data movement. The `!tfm.kv_cache` type
    becomes `tensor<layers x 2 x kv_heads x ? x head_dim>`: the context
    dimension is dynamic so the runtime chooses the cache length.

    Linear layers read their weight as panels of `weight-panel` output
    features, `[ceil(out / panel), in, panel]` (the last panel zero-padded),
    so one vector of outputs is updated by each input feature with a
    contiguous load; the rewritten `tfm.param` carries `tfm.panel` so the
    weights writer knows the layout. `weight-panel=0` keeps `[out, in]`.

    `tfm.kv_cache.attention` becomes `tfm.flash_attention` on buffers (a
    fused kernel with an online softmax, see tfm-lower-flash-attention);
    steps of at most 4 static query rows (decode) split the keys into
    `kv-splits` ranges for threads. `flash-attention=false` keeps the
    unfused linalg form (score matrix, softmax, weighted sum of values).

    Only f32 tensors are lowered; f16/bf16 weights are widened when the
    weights file is written.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
  let options = [
    Option<"weightPanel", "weight-panel", "int64_t", /*default=*/"16",
           "Output features per packed weight panel (0: row-major weights)">,
    Option<"flashAttention", "flash-attention", "bool", /*default=*/"true",
           "Lower KV-cache attention to the fused tfm.flash_attention kernel">,
    Option<"kvSplits", "kv-splits", "int64_t", /*default=*/"4",
           "Key ranges a decode step's flash attention is split into">
  ];
}

def TfmLowerEntryPoints : Pass<"tfm-lower-entry-points", "::mlir::ModuleOp"> {
  let summary = "Give model functions a buffer ABI and bind weights to one buffer";
  let description = [{
    Turns each function of a lowered model into an entry point the runtime
    calls through its C interface (`llvm.emit_c_interface`):

    ```
    func.func @decode(%weights: memref<?xi8>, %tokens: memref<1xi32>,
                      %pos: index, %cache: memref<5x2x4x?x8xf32>,
                      %logits: memref<1x512xf32>)
    ```

    * the first argument is the weights file, mapped by the runtime; each
      `tfm.param` becomes a `memref.view` at its byte offset (64-byte
      aligned). The module attribute `tfm.weights` lists every entry
      (`name`, `offset`, `shape`, `panel`) and `tfm.weights_size` the total,
      which is how the weights file is written;
    * tensor arguments become memrefs of the same shape;
    * results become trailing output memrefs, except a result that is the
      updated KV cache (the argument marked `tfm.kv_cache`), which is written
      in place into that argument.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

#endif // TFM_CONVERSION_PASSES_TD
