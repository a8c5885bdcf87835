//===- Attention.cpp - attention over the current tokens ------------------===//
//
// Softmax attention as linalg generics (scores, numerically stable
// softmax, weighted values), shared by tfm.attention and the unfused form
// of tfm.kv_cache.attention.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include <limits>

namespace mlir::tfm::tfm_to_linalg {

/// The body shared by the scores and values contractions:
/// `acc + a * cache` with `cache` converted from the cache's element type
/// (and times its row scale when the generic has a scale input).
static SmallVector<Value> accumulateCacheProduct(OpBuilder &b, Location loc,
                                                 ValueRange args) {
  Value cached = fromCacheElement(b, loc, args[1]);
  if (args.size() == 4)
    cached = arith::MulFOp::create(b, loc, cached, args[2]);
  Value product = arith::MulFOp::create(b, loc, args[0], cached);
  return {arith::AddFOp::create(b, loc, args.back(), product)};
}

/// Softmax attention of `queries [S, KVH, G, D]` over `keys`/`values`
/// (layout `kvLayout`). With `causalOffset`, query `i` sees keys
/// `j <= i + causalOffset` (and with a window, `j > i + causalOffset -
/// window`). Returns `[S, KVH, G, D]`.
Value buildAttention(OpBuilder &b, Location loc, Value queries, Value keys,
                     Value values, KVLayout kvLayout, Value causalOffset,
                     const ScoreOptions &options, Value keyScales,
                     Value valueScales) {
  MLIRContext *context = b.getContext();
  bool headMajor = kvLayout == KVLayout::HeadMajor;
  OpFoldResult seq = dimOf(b, loc, queries, 0);
  OpFoldResult kvHeads = dimOf(b, loc, queries, 1);
  OpFoldResult group = dimOf(b, loc, queries, 2);
  OpFoldResult headDim = dimOf(b, loc, queries, 3);
  OpFoldResult tokens = dimOf(b, loc, keys, headMajor ? 1 : 0);

  // scores[h, g, i, j] = q[i, h, g, :] . k[h, j, :]   (dims h g i j d)
  Value scoresInit = filledTensor(b, loc, {kvHeads, group, seq, tokens}, 0.0);
  AffineMap keyMap = headMajor ? selectDims(context, 5, {0, 3, 4})
                               : selectDims(context, 5, {3, 0, 4});
  // Keys and values are read in the cache's type and converted in the
  // kernel's registers (times the row's scale for the q8 cache).
  SmallVector<Value> scoreInputs{queries, keys};
  SmallVector<AffineMap> scoreMaps{selectDims(context, 5, {2, 0, 1, 4}), keyMap};
  if (keyScales) {
    scoreInputs.push_back(keyScales);
    scoreMaps.push_back(selectDims(context, 5, {0, 3}));
  }
  scoreMaps.push_back(selectDims(context, 5, {0, 1, 2, 3}));
  Value scores =
      buildGeneric(
          b, loc, "attention_scores", scoreInputs, scoresInit, scoreMaps,
          {kParallel, kParallel, kParallel, kParallel, kReduction},
          accumulateCacheProduct)
          .front();

  // Scale, soft cap and mask: masked positions become -inf, so exp()
  // gives 0.
  Value scaleValue = f32Constant(b, loc, options.scale);
  Value minusInf = f32Constant(b, loc, -std::numeric_limits<float>::infinity());
  SmallVector<Value> logitInputs{scores};
  SmallVector<AffineMap> logitMaps{b.getMultiDimIdentityMap(4)};
  if (options.bias) {
    // [KVH * G, S, T] -> [KVH, G, S, T]: query head h = kv * G + g.
    auto biasType = cast<RankedTensorType>(options.bias.getType());
    int64_t groupSize = cast<RankedTensorType>(queries.getType()).getDimSize(2);
    SmallVector<int64_t> shape{biasType.getDimSize(0) / groupSize, groupSize,
                               biasType.getDimSize(1), biasType.getDimSize(2)};
    auto grouped = RankedTensorType::get(shape, biasType.getElementType());
    logitInputs.push_back(tensor::ExpandShapeOp::create(
        b, loc, grouped, options.bias,
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}}));
    logitMaps.push_back(b.getMultiDimIdentityMap(4));
  }
  Value logits = buildElementwise(
      b, loc, scores, logitInputs, logitMaps,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(nb, nl, args[0], scaleValue);
        if (options.softCap > 0.0) {
          Value inverse = f32Constant(nb, nl, 1.0 / options.softCap);
          Value cap = f32Constant(nb, nl, options.softCap);
          Value squashed = math::TanhOp::create(
              nb, nl, arith::MulFOp::create(nb, nl, scaled, inverse));
          scaled = arith::MulFOp::create(nb, nl, squashed, cap);
        }
        if (options.bias)
          scaled = arith::AddFOp::create(nb, nl, scaled, args[1]);
        if (!causalOffset)
          return scaled;
        Value query = linalg::IndexOp::create(nb, nl, 2);
        Value key = linalg::IndexOp::create(nb, nl, 3);
        Value lastVisible = arith::AddIOp::create(nb, nl, query, causalOffset);
        Value masked = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ugt,
                                             key, lastVisible);
        if (options.window > 0) {
          // key + window <= lastVisible: too far behind.
          Value reach = arith::AddIOp::create(
              nb, nl, key,
              arith::ConstantIndexOp::create(nb, nl, options.window));
          Value behind = arith::CmpIOp::create(
              nb, nl, arith::CmpIPredicate::ule, reach, lastVisible);
          masked = arith::OrIOp::create(nb, nl, masked, behind);
        }
        return arith::SelectOp::create(nb, nl, masked, minusInf, scaled);
      });

  // Numerically stable softmax over j.
  Value probabilities = buildSoftmax(b, loc, logits);

  // out[i, h, g, :] = sum_j p[h, g, i, j] * v[h, j, :]   (dims i h g j d)
  Value outInit = filledTensor(b, loc, {seq, kvHeads, group, headDim}, 0.0);
  AffineMap valueMap = headMajor ? selectDims(context, 5, {1, 3, 4})
                                 : selectDims(context, 5, {3, 1, 4});
  SmallVector<Value> valueInputs{probabilities, values};
  SmallVector<AffineMap> valueMaps{selectDims(context, 5, {1, 2, 0, 3}),
                                   valueMap};
  if (valueScales) {
    valueInputs.push_back(valueScales);
    valueMaps.push_back(selectDims(context, 5, {1, 3}));
  }
  valueMaps.push_back(selectDims(context, 5, {0, 1, 2, 4}));
  return buildGeneric(
             b, loc, "attention_values", valueInputs, outInit, valueMaps,
             {kParallel, kParallel, kParallel, kReduction, kParallel},
             accumulateCacheProduct)
      .front();
}

/// `[S, H * D]` queries -> `[S, KVH, H / KVH, D]`.
Value groupQueries(OpBuilder &b, Location loc, Value query, int64_t numHeads,
                   int64_t kvHeads) {
  int64_t features = cast<RankedTensorType>(query.getType()).getDimSize(1);
  int64_t headDim = features / numHeads;
  return splitLastDim(b, loc, query, {kvHeads, numHeads / kvHeads, headDim});
}

namespace {

struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t kvHeads = op.getNumKvHeads();
    int64_t headDim = op.getHeadDim();
    Value queries = groupQueries(rewriter, loc, adaptor.getQuery(),
                                 op.getNumHeads(), kvHeads);
    Value keys = splitLastDim(rewriter, loc, adaptor.getKey(), {kvHeads, headDim});
    Value values =
        splitLastDim(rewriter, loc, adaptor.getValue(), {kvHeads, headDim});
    Value causalOffset;
    if (op.getMask() == MaskKind::causal) {
      Value keyCount = tensor::DimOp::create(rewriter, loc, adaptor.getKey(), 0);
      Value queryCount =
          tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 0);
      causalOffset = arith::SubIOp::create(rewriter, loc, keyCount, queryCount);
    }
    ScoreOptions options{op.getScale().convertToDouble()};
    options.bias = adaptor.getBias();
    Value attended = buildAttention(rewriter, loc, queries, keys, values,
                                    KVLayout::TokenMajor, causalOffset,
                                    options);
    rewriter.replaceOp(op, mergeTrailingDims(rewriter, loc, attended, 1));
    return success();
  }
};

/// Unmasked `tfm.attention` (`full`: encoder self-attention, `cross`) as
/// the fused kernel of the KV cache's attention: keys and values are read
/// in place as `[kv_heads, tokens, head_dim]` views of their projections,
/// and `start` = the key count lets every query see every key. No
/// `[heads, queries, keys]` score matrix is stored: the extra memory is
/// O(queries), not O(queries x keys).
struct FlashAttentionLowering : OpConversionPattern<AttentionOp> {
  FlashAttentionLowering(const TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getMask() == MaskKind::causal)
      return rewriter.notifyMatchFailure(op, "causal: the unfused form");
    FailureOr<KernelPositionBias> bias =
        kernelPositionBias(rewriter, op.getLoc(), op.getBias());
    if (failed(bias))
      return rewriter.notifyMatchFailure(
          op, "the kernel adds a relative position bias only");
    Location loc = op.getLoc();
    auto queryType = cast<RankedTensorType>(adaptor.getQuery().getType());
    auto readBuffer = [&](Value tensor) -> Value {
      auto buffer = bufferization::ToBufferOp::create(
          rewriter, loc,
          rowContiguousBufferType(cast<RankedTensorType>(tensor.getType())),
          tensor);
      buffer.setReadOnly(true);
      return buffer;
    };
    int64_t kvHeads = op.getNumKvHeads(), headDim = op.getHeadDim();
    // [tokens, kv_heads * head_dim] -> [kv_heads, tokens, head_dim].
    auto headMajor = [&](Value projection) -> Value {
      Value rows = readBuffer(projection);
      auto rowsType = cast<MemRefType>(rows.getType());
      SmallVector<int64_t> shape{rowsType.getDimSize(0), kvHeads, headDim};
      SmallVector<ReassociationIndices> groups{{0}, {1, 2}};
      FailureOr<MemRefType> split =
          memref::ExpandShapeOp::computeExpandedType(rowsType, shape, groups);
      assert(succeeded(split) && "rows with a unit stride split into heads");
      Value heads =
          memref::ExpandShapeOp::create(rewriter, loc, *split, rows, groups);
      AffineMap swap = AffineMap::getPermutationMap(
          ArrayRef<unsigned>{1, 0, 2}, rewriter.getContext());
      return memref::TransposeOp::create(rewriter, loc, heads,
                                         AffineMapAttr::get(swap));
    };
    Value query = readBuffer(adaptor.getQuery());
    Value keys = headMajor(adaptor.getKey());
    Value values = headMajor(adaptor.getValue());
    Value keyCount = tensor::DimOp::create(rewriter, loc, adaptor.getKey(), 0);
    SmallVector<Value> dynamicSizes;
    if (queryType.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 0));
    Value output = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(queryType.getShape(), rewriter.getF32Type()),
        dynamicSizes);
    FlashAttentionOp::create(rewriter, loc, query, keys, values, keyCount,
                             output, /*partials=*/Value(), /*rope_cos=*/Value(),
                             /*rope_sin=*/Value(), bias->table, bias->queryStart,
                             /*query_norm=*/Value(), /*ring_tokens=*/Value(),
                             op.getNumHeadsAttr(),
                             op.getScaleAttr(), rewriter.getI64IntegerAttr(1),
                             RopeAttr(), IntegerAttr(), FloatAttr(),
                             bias->maxDistance, /*norm_eps=*/FloatAttr());
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, queryType, output,
                               /*restrict=*/true, /*writable=*/true));
    return success();
  }
};

} // namespace

void populateAttentionLoweringPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns,
                                       bool flashAttention) {
  patterns.add<AttentionLowering>(converter, patterns.getContext());
  if (flashAttention)
    patterns.add<FlashAttentionLowering>(converter, patterns.getContext());
}

} // namespace mlir::tfm::tfm_to_linalg
