//===- TfmOps.h - tfm dialect operations ------------------------*- C++ -*-===//

#ifndef TFM_DIALECT_TFM_IR_TFMOPS_H
#define TFM_DIALECT_TFM_IR_TFMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tfm/Dialect/Tfm/IR/TfmDialect.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#define GET_OP_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOps.h.inc"

namespace mlir::tfm {
/// True if `use` is the weight matrix of a `tfm.linear` or `tfm.logits`.
bool isMatmulWeightUse(OpOperand &use);
/// The key suffix of a weight's copy for its linear layers.
inline constexpr llvm::StringLiteral kMatmulCopySuffix = "#matmul";
/// When `param` feeds linear layers and something else too (a tied
/// embedding table: the row lookup and the logits), gives the linear uses
/// a param of their own over the same tensor (`<name>#matmul`, parts
/// [name]), so that those can be stored quantized, as the file has them
/// or as --quant asks, while the lookup reads floats. Returns the new
/// param, or null when the uses are not mixed.
ParamOp splitMatmulUses(ParamOp param);
/// The model function of a batched decode step (ModelBuilder, the runtime's
/// tfm_decode_batch).
inline constexpr llvm::StringLiteral kDecodeBatchFunction = "decode_batch";
/// The model function giving the final hidden states of a prompt
/// (ModelBuilder's BuildOptions::embeddings, the runtime's tfm_embed).
inline constexpr llvm::StringLiteral kEmbedFunction = "embed";
/// The model function of an encoder (BERT): the final hidden states of a
/// packed batch of texts (ModelBuilder, the runtime's tfm_encode).
inline constexpr llvm::StringLiteral kEncodeFunction = "encode";
/// A model function whose results have one row per token of its first
/// argument (tfm-lower-entry-points lets their first dimension be dynamic:
/// the runtime sizes the output buffers by the tokens it passes).
inline constexpr llvm::StringLiteral kRowsPerTokenAttrName =
    "tfm.rows_per_token";
/// `frequencies` (if any) has one positive finite value per rotary pair.
LogicalResult
verifyRopeFrequencies(function_ref<InFlightDiagnostic()> emitError,
                      DenseF64ArrayAttr frequencies, int64_t rotaryDim);
} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_IR_TFMOPS_H
