//===- Common.h - helpers shared by the tfm-to-linalg lowerings -*- C++ -*-===//
//
// The lowering of tfm ops to linalg is split by op family, as onnx-mlir's
// ONNXToKrnl is: each family file holds its patterns and one
// populate...LoweringPatterns; the pass (TfmToLinalg.cpp) gathers them. The
// builders one family offers another are declared here; the file named in
// each section defines them.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CONVERSION_TFMTOLINALG_COMMON_H
#define TFM_LIB_CONVERSION_TFMTOLINALG_COMMON_H

#include "tfm/Conversion/Activations.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tfm::tfm_to_linalg {

using IteratorType = utils::IteratorType;
constexpr IteratorType kParallel = IteratorType::parallel;
constexpr IteratorType kReduction = IteratorType::reduction;

/// Builds the body of a generic from its block arguments (inputs, then
/// outputs); returns the values to yield.
using BodyBuilder =
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

//===----------------------------------------------------------------------===//
// Patterns of each family
//===----------------------------------------------------------------------===//

/// tfm.embedding, tfm.last_token (Embedding.cpp).
void populateEmbeddingLoweringPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns);
/// tfm.rms_norm, tfm.layer_norm (Normalization.cpp).
void populateNormalizationLoweringPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns);
/// tfm.linear, tfm.logits and quantized tfm.param (Linear.cpp); float
/// weights are read as panels of `weightPanel` output features.
void populateLinearLoweringPatterns(const TypeConverter &converter,
                                    RewritePatternSet &patterns,
                                    int64_t weightPanel);
/// tfm.rope, tfm.sinusoidal_position, tfm.learned_position (Position.cpp).
void populatePositionLoweringPatterns(const TypeConverter &converter,
                                      RewritePatternSet &patterns);
/// tfm.attention (Attention.cpp): unmasked attention as the fused kernel
/// when `flashAttention`.
void populateAttentionLoweringPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns,
                                       bool flashAttention);
/// tfm.kv_cache.append, tfm.kv_cache.attention (KVCache.cpp): the fused
/// kernel when `flashAttention`, its decode steps split into `kvSplits`.
void populateKVCacheLoweringPatterns(const TypeConverter &converter,
                                     RewritePatternSet &patterns,
                                     bool flashAttention, int64_t kvSplits);
/// tfm.activation, tfm.gated_activation, tfm.add, tfm.softmax
/// (Elementwise.cpp).
void populateElementwiseLoweringPatterns(const TypeConverter &converter,
                                         RewritePatternSet &patterns);

//===----------------------------------------------------------------------===//
// Small builders (Builders.cpp)
//===----------------------------------------------------------------------===//

/// The affine map selecting iteration dimensions `dims` out of `rank`.
AffineMap selectDims(MLIRContext *context, unsigned rank,
                     ArrayRef<unsigned> dims);
Value f32Constant(OpBuilder &b, Location loc, double value);
Value indexConstant(OpBuilder &b, Location loc, int64_t value);
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes);
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   double value);
/// A `linalg.generic` tagged with its kernel class, one result per output.
SmallVector<Value> buildGeneric(OpBuilder &b, Location loc, StringRef kernel,
                                ValueRange inputs, ValueRange outputs,
                                ArrayRef<AffineMap> maps,
                                ArrayRef<IteratorType> iterators,
                                BodyBuilder body);
/// `out = fn(inputs...)` element-wise over the shape of `shapeOf`.
Value buildElementwise(OpBuilder &b, Location loc, Value shapeOf,
                       ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                       function_ref<Value(OpBuilder &, Location, ValueRange)> fn);
/// Reduces the last dimension of `input`: `acc = combine(acc, x)`.
Value buildRowReduction(
    OpBuilder &b, Location loc, Value input, double initial,
    ValueRange extraInputs, ArrayRef<AffineMap> extraMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> combine);
/// Map of a row tensor (all dims but the last) inside a `rank`-dim space.
AffineMap rowMap(MLIRContext *context, unsigned rank);
/// Map of a vector over the last dim inside a `rank`-dim space.
AffineMap lastDimMap(MLIRContext *context, unsigned rank);
/// `[d0, d1 * d2]` -> `[d0, d1, d2]`.
Value splitLastDim(OpBuilder &b, Location loc, Value value,
                   ArrayRef<int64_t> innerShape);
/// Merges the dims from `firstMerged` on into one.
Value mergeTrailingDims(OpBuilder &b, Location loc, Value value,
                        int64_t firstMerged);
OpFoldResult dimOf(OpBuilder &b, Location loc, Value value, int64_t dim);
/// Converts f32 to the cache's element type (f32, f16, bf16).
Value toCacheElement(OpBuilder &b, Location loc, Value value, Type element);
/// Converts a cached element (f32, f16, bf16, i8) back to f32.
Value fromCacheElement(OpBuilder &b, Location loc, Value value);
/// The !tfm.quant element type of a weight, if it is quantized.
QuantType quantTypeOf(Value weight);
/// A buffer type of `type` with any offset and strides but a contiguous
/// last dimension: what any bufferized row-major tensor casts to.
MemRefType rowContiguousBufferType(RankedTensorType type);

//===----------------------------------------------------------------------===//
// Builders one family lends another
//===----------------------------------------------------------------------===//

/// Numerically stable softmax over the last dim: `exp(x - max) / sum`, as
/// two row reductions and one element-wise generic (Elementwise.cpp).
Value buildSoftmax(OpBuilder &b, Location loc, Value input);
/// `kind(gate) * up`, element-wise (Elementwise.cpp).
Value buildGatedActivation(OpBuilder &b, Location loc, Activation kind,
                           Value gate, Value up);

/// `1 / sqrt(mean(input^2) + eps)` of each row (Normalization.cpp).
Value buildInverseRMS(OpBuilder &b, Location loc, Value input,
                      double epsValue);
/// `input / sqrt(mean(input^2) + eps) * weight` (Normalization.cpp).
Value buildRMSNorm(OpBuilder &b, Location loc, Value input, Value weight,
                   double epsValue);
/// RMSNorm of each `[D]` group (D: `weight`'s length) of the rows of
/// `input` `[S, G * D]`: the per-head q/k norm (Normalization.cpp).
Value buildGroupedRMSNorm(OpBuilder &b, Location loc, Value input,
                          Value weight, double eps);

/// The weight of a linear layer in the layout the kernel reads
/// (Linear.cpp): a `tfm.param` is re-declared as panels of `panel` output
/// features.
Value weightOperand(OpBuilder &b, Value weight, int64_t panel);

/// The rotation of a `tfm.rope` or of a fused `#tfm.rope`.
struct RopeSpec {
  int64_t rotaryDim;
  double theta;
  RopePairing pairing;
  /// Per-pair frequencies (scaled RoPE), or null for theta^(-2j/R).
  DenseF64ArrayAttr frequencies;

  static RopeSpec of(RoPEOp op) {
    return {int64_t(op.getRotaryDim()), op.getTheta().convertToDouble(),
            op.getPairing(), op.getFrequenciesAttr()};
  }
  static RopeSpec of(RopeAttr attr) {
    return {attr.getRotaryDim(), attr.getTheta().getValueAsDouble(),
            attr.getPairing(), attr.getFrequencies()};
  }
};

/// cos and sin of the rotation angles of positions `start + s`, `[S, R/2]`
/// (Position.cpp).
std::pair<Value, Value> buildRopeTables(OpBuilder &b, Location loc,
                                        OpFoldResult seq, Value start,
                                        const RopeSpec &rope);

/// How the features of a head pair up: the rotated features of a head
/// viewed as `[R/2, 2]` (interleaved, pair member = last dim) or
/// `[2, R/2]` (half-split, member = first dim).
struct RopePairs {
  bool interleaved;
  int64_t half;

  SmallVector<int64_t, 2> shape() const {
    return interleaved ? SmallVector<int64_t, 2>{half, 2}
                       : SmallVector<int64_t, 2>{2, half};
  }
  /// Position of the member and frequency dims among the two pair dims.
  unsigned memberDim() const { return interleaved ? 1 : 0; }
  unsigned frequencyDim() const { return interleaved ? 0 : 1; }
};

/// Element `member` of the rotated pair `(first, second)` (Position.cpp).
Value rotatePairMember(OpBuilder &b, Location loc, Value first, Value second,
                       Value cos, Value sin, Value memberIndex);
/// A map reading pair member `member` (Position.cpp).
AffineMap pairMemberMap(MLIRContext *context, unsigned rank,
                        ArrayRef<int64_t> dims, int64_t member);
/// RoPE of `input` (`[S, H * D]`) at positions `start + s` (Position.cpp).
Value buildRoPE(OpBuilder &b, Location loc, Value input, Value start,
                int64_t headDim, const RopeSpec &rope);

/// Where the keys and values of an attention come from.
enum class KVLayout {
  /// `[kv_heads, tokens, head_dim]`: a slice of the KV cache.
  HeadMajor,
  /// `[tokens, kv_heads, head_dim]`: projections of the current tokens.
  TokenMajor,
};

/// Softmax attention of `queries [S, KVH, G, D]` over `keys`/`values`
/// (layout `kvLayout`), `[S, KVH, G, D]` (Attention.cpp). With
/// `causalOffset`, query `i` sees keys `j <= i + causalOffset`; the scales
/// are the q8 cache's per-row scales.
/// How scores become weights: `scale`, then the soft cap (0: none); with
/// a causal offset, a sliding window (0: none) hides keys more than
/// `window - 1` positions behind the query.
struct ScoreOptions {
  double scale;
  int64_t window = 0;
  double softCap = 0.0;
  /// `[heads, S, keys]` added to the scaled (capped) scores: T5's relative
  /// position bias.
  Value bias = {};
};
Value buildAttention(OpBuilder &b, Location loc, Value queries, Value keys,
                     Value values, KVLayout kvLayout, Value causalOffset,
                     const ScoreOptions &options, Value keyScales = {},
                     Value valueScales = {});
/// T5's relative position bias as the fused attention kernel reads it: a
/// `[heads, 2 * max_distance + 1]` buffer of each head's bias per clamped
/// key distance, the position of the first query, and max_distance
/// (Position.cpp). All null without a bias.
struct KernelPositionBias {
  Value table;
  Value queryStart;
  IntegerAttr maxDistance;
};
/// The kernel's form of `bias` (a `tfm.attention` / `tfm.kv_cache.attention`
/// bias operand), or failure when it is not a `tfm.relative_position_bias`
/// (the unfused form adds any bias).
FailureOr<KernelPositionBias>
kernelPositionBias(ConversionPatternRewriter &rewriter, Location loc,
                   Value bias);

/// `[S, H * D]` queries -> `[S, KVH, H / KVH, D]` (Attention.cpp).
Value groupQueries(OpBuilder &b, Location loc, Value query, int64_t numHeads,
                   int64_t kvHeads);

} // namespace mlir::tfm::tfm_to_linalg

#endif // TFM_LIB_CONVERSION_TFMTOLINALG_COMMON_H
