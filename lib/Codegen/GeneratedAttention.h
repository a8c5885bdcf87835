//===- GeneratedAttention.h - decode attention as vector code ---*- C++ -*-===//
//
// One query token's attention over a range of the KV cache (a decode
// step's flash-decoding task), generated as MLIR vector code instead of a
// call of the hand-written tfm_attention: what tfm-lower-flash-attention
// emits with `generated-decode`. See GeneratedAttention.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CODEGEN_GENERATEDATTENTION_H
#define TFM_LIB_CODEGEN_GENERATEDATTENTION_H

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

namespace mlir::tfm {

/// Whether the generated code computes `op`'s tasks: one query row (a
/// static one-row query), an f32, f16, bf16 or q8 cache, heads of a
/// multiple of 16 elements (32 with a half-split rope) up to 256 (a soft
/// cap, a query norm and T5's position bias are generated too).
bool hasGeneratedDecodeAttention(FlashAttentionOp op);

/// The task of KV head `kvHead` over keys [keyBegin, keyEnd) (clipped to
/// the causal and window limits): each of its query heads' softmax-weighted
/// sum of values, with the running maximum and denominator, into `op`'s
/// partials from float `partialsOffset` on, or without one normalized into
/// its output.
void buildGeneratedDecodeAttention(OpBuilder &b, Location loc,
                                   FlashAttentionOp op, Value kvHead,
                                   Value keyBegin, Value keyEnd,
                                   Value partialsOffset);

/// `op`'s output from the partial results of its `kv_splits` key ranges
/// (range c's from float c x `splitStride` of its partials on): what
/// tfm_attention_combine computes, after the tasks of
/// buildGeneratedDecodeAttention.
void buildGeneratedAttentionCombine(OpBuilder &b, Location loc,
                                    FlashAttentionOp op, Value splitStride);

} // namespace mlir::tfm

#endif // TFM_LIB_CODEGEN_GENERATEDATTENTION_H
