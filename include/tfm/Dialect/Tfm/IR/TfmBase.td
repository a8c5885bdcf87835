//===- TfmBase.td - tfm dialect definition and enums -------*- tablegen -*-===//
//
// The tfm dialect describes a transformer at the level a model author thinks
// of it: embeddings, norms, linear layers, position encodings, attention with a
// KV cache, FFN activations, residuals and logits. Weights are referenced by
// name and never inlined.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_IR_TFMBASE_TD
#define TFM_DIALECT_TFM_IR_TFMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tfm_Dialect : Dialect {
  let name = "tfm";
  let cppNamespace = "::mlir::tfm";
  let summary = "A dialect for transformer inference graphs";
  let description = [{
    The `tfm` dialect represents a transformer model (decoder-only such as
    Llama and GPT-2, encoder-only such as BERT, encoder-decoder such as T5) as
    a graph of value-semantics operations on tensors.

    Conventions used by every op:

    * Activations are rank-2 tensors `[seq, features]` for one sequence
      (batch size 1); the sequence dimension may be dynamic.
    * Weight matrices use the `[out_features, in_features]` layout of
      PyTorch, GGUF and llama2.c, so `linear` computes `y = x * W^T + b`.
    * Weights come from `tfm.param` by name; a weight source (a model file or
      a weights file written by `tfm-compile`) supplies the values.
    * The KV cache is a value of type `!tfm.kv_cache`; ops that write it
      return the updated cache, so the data flow is explicit in SSA form.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
}

class Tfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfm_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tfm_MaskCausal : I32EnumAttrCase<"causal", 0>;
def Tfm_MaskFull : I32EnumAttrCase<"full", 1>;
def Tfm_MaskCross : I32EnumAttrCase<"cross", 2>;
def Tfm_MaskKind : I32EnumAttr<"MaskKind", "attention mask kind",
    [Tfm_MaskCausal, Tfm_MaskFull, Tfm_MaskCross]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_ActRelu : I32EnumAttrCase<"relu", 0>;
def Tfm_ActGelu : I32EnumAttrCase<"gelu", 1>;
def Tfm_ActGeluTanh : I32EnumAttrCase<"gelu_tanh", 2>;
def Tfm_ActSilu : I32EnumAttrCase<"silu", 3>;
def Tfm_Activation : I32EnumAttr<"Activation", "activation function",
    [Tfm_ActRelu, Tfm_ActGelu, Tfm_ActGeluTanh, Tfm_ActSilu]> {
  let cppNamespace = "::mlir::tfm";
}

def Tfm_RopeInterleaved : I32EnumAttrCase<"interleaved", 0>;
def Tfm_RopeHalfSplit : I32EnumAttrCase<"half_split", 1>;
def Tfm_RopePairing : I32EnumAttr<"RopePairing",
    "which feature pairs a rotary embedding rotates together",
    [Tfm_RopeInterleaved, Tfm_RopeHalfSplit]> {
  let cppNamespace = "::mlir::tfm";
}

// Values are those of tfm_quant_format in tfm/Runtime/tfm_kernels.h, which
// generated code passes to the kernels.
def Tfm_QuantQ8_0 : I32EnumAttrCase<"q8_0", 0>;
def Tfm_QuantQ4_0 : I32EnumAttrCase<"q4_0", 1>;
def Tfm_QuantQ4_1 : I32EnumAttrCase<"q4_1", 2>;
def Tfm_QuantQ4_K : I32EnumAttrCase<"q4_k", 3>;
def Tfm_QuantQ6_K : I32EnumAttrCase<"q6_k", 4>;
def Tfm_QuantInt8 : I32EnumAttrCase<"int8", 5>;
def Tfm_QuantInt4 : I32EnumAttrCase<"int4", 6>;
def Tfm_QuantF16 : I32EnumAttrCase<"f16", 11>;
def Tfm_QuantBF16 : I32EnumAttrCase<"bf16", 12>;
def Tfm_QuantFormat : I32EnumAttr<"QuantFormat", "block format of quantized weights",
    [Tfm_QuantQ8_0, Tfm_QuantQ4_0, Tfm_QuantQ4_1, Tfm_QuantQ4_K, Tfm_QuantQ6_K,
     Tfm_QuantInt8, Tfm_QuantInt4, Tfm_QuantF16, Tfm_QuantBF16]> {
  let cppNamespace = "::mlir::tfm";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Floating-point element types an activation or weight may have.
def Tfm_FloatElement : AnyTypeOf<[F32, F16, BF16]>;
def Tfm_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
// A weight as declared by tfm.param: floats, quantized blocks, or (after
// convert-tfm-to-linalg) the raw bytes of quantized blocks.
def Tfm_IsQuantType : CPred<"::llvm::isa<::mlir::tfm::QuantType>($_self)">;
def Tfm_QuantElement : Type<Tfm_IsQuantType, "quantized weight", "::mlir::tfm::QuantType">;
def Tfm_WeightTensor : RankedTensorOf<[F32, F16, BF16, I8, Tfm_QuantElement]>;
// The weight of a linear layer: floats or quantized blocks.
def Tfm_MatmulWeightTensor : RankedTensorOf<[F32, F16, BF16, Tfm_QuantElement]>;
def Tfm_TokenTensor : 1DTensorOf<[I32, I64]>;

#endif // TFM_DIALECT_TFM_IR_TFMBASE_TD
