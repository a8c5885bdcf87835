//===- GeneratedQuantizedMatmul.h - quantized products as code -*- C++ -*-===//
//
// The products of interleaved quantized weights, a decode step's one token
// or a prefill's tiles of tokens, generated as MLIR vector code instead of
// calls of the hand-written tfm_quantized_matmul: what
// tfm-lower-quantized-matmul emits with `generated-decode` and
// `generated-prefill`. See GeneratedQuantizedMatmul.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CODEGEN_GENERATEDQUANTIZEDMATMUL_H
#define TFM_LIB_CODEGEN_GENERATEDQUANTIZEDMATMUL_H

#include "tfm/Codegen/CpuTarget.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {

/// Whether the generated code computes `op`: one token (a static one-row
/// input) times Q8_0_X16, Q4_0_X16, Q4_K_X16 or Q6_K_X16 weights, gated
/// or not.
bool hasGeneratedDecode(QuantizedMatmulOp op);

/// The products of output rows [firstRow, firstRow + rows) of `op` (whole
/// groups of 16 rows) from the activations the runtime quantized into
/// `op`'s scratch buffer, written (or with `accumulate` added) to its
/// output, multiplying with the instruction of `dotProduct`. A gated
/// product's output row r is `kind(gate row r) * (up row r)`.
void buildGeneratedDecode(OpBuilder &b, Location loc, QuantizedMatmulOp op,
                          DotProduct dotProduct, Value firstRow, Value rows);

/// Whether the generated code computes `op`'s tiles of tokens: a prefill
/// (an input of a dynamic or static token count other than 1) times
/// Q8_0_X16, Q4_0_X16, Q4_K_X16 or Q6_K_X16 weights, gated or not.
bool hasGeneratedTiles(QuantizedMatmulOp op);

/// As buildGeneratedDecode for tokens [0, `tokens`) of `op`'s input: group
/// by group of the rows, each group times tiles of tokens that share its
/// unpacked codes.
void buildGeneratedTiles(OpBuilder &b, Location loc, QuantizedMatmulOp op,
                         DotProduct dotProduct, Value firstRow, Value rows,
                         Value tokens);

} // namespace mlir::tfm

#endif // TFM_LIB_CODEGEN_GENERATEDQUANTIZEDMATMUL_H
