//===- KVCache.cpp - the KV cache: append and attention -------------------===//
//
// tfm.kv_cache.append writes rotated, converted (and for the q8 cache
// quantized) head-major rows into the cache tensor; tfm.kv_cache.attention
// becomes the fused tfm.flash_attention on buffers, or the unfused linalg
// form of Attention.cpp.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "tfm/Runtime/tfm_kernels.h"

#include <limits>

namespace mlir::tfm::tfm_to_linalg {

namespace {

/// Where rows `[firstRow, firstRow + rows)` of columns `[column, column +
/// width)` of every KV head of `layer`/`part` are in a cache
/// `[layers, 2, kvHeads, rows, row]`: a slice's offsets, sizes, strides.
struct RowsBox {
  SmallVector<OpFoldResult> offsets, sizes, strides;

  RowsBox(OpBuilder &b, OpFoldResult layer, int64_t part, int64_t kvHeads,
          OpFoldResult firstRow, OpFoldResult rows, int64_t column,
          int64_t width)
      : offsets{layer, b.getIndexAttr(part), b.getIndexAttr(0), firstRow,
                b.getIndexAttr(column)},
        sizes{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(kvHeads),
              rows, b.getIndexAttr(width)},
        strides(5, b.getIndexAttr(1)) {}
};

/// Inserts `rows` (`[KVH, S, W]`) at columns `[column, column + W)` of the
/// rows of positions `[start, start + S)` of `layer`/`part`.
Value insertRows(OpBuilder &b, Location loc, Value cache, Value rows,
                 OpFoldResult layer, int64_t part, Value start,
                 int64_t column) {
  auto rowsType = cast<RankedTensorType>(rows.getType());
  RowsBox box(b, layer, part, rowsType.getDimSize(0), start,
              dimOf(b, loc, rows, 1), column, rowsType.getDimSize(2));
  return tensor::InsertSliceOp::create(b, loc, rows, cache, box.offsets,
                                       box.sizes, box.strides);
}

/// The rows `[KVH, S, width]` of positions `[start, start + S)` of
/// `layer`/`part` of the cache: what insertRows writes.
Value cacheRows(OpBuilder &b, Location loc, Value cache, OpFoldResult layer,
                int64_t part, Value start, OpFoldResult seq, int64_t width) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  int64_t kvHeads = cacheType.getDimSize(2);
  RowsBox box(b, layer, part, kvHeads, start, seq, 0, width);
  auto type = RankedTensorType::get(
      {kvHeads, getConstantIntValue(seq).value_or(ShapedType::kDynamic),
       width},
      cacheType.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, type, cache, box.offsets,
                                        box.sizes, box.strides);
}

/// Where positions `[first, first + count)` lie in a ring cache of `rows`
/// rows: from row `first mod rows` up to the last row (`headCount` of
/// them), the remaining `tailCount` from row 0.
struct RingSpan {
  Value headRow;
  Value headCount;
  Value tailCount;

  static RingSpan of(OpBuilder &b, Location loc, Value rows, Value first,
                     Value count) {
    Value headRow = arith::RemUIOp::create(b, loc, first, rows);
    Value room = arith::SubIOp::create(b, loc, rows, headRow);
    Value headCount = arith::MinUIOp::create(b, loc, count, room);
    return {headRow, headCount,
            arith::SubIOp::create(b, loc, count, headCount)};
  }
};

/// The rows of the ring cache's dimension 3.
Value ringRows(OpBuilder &b, Location loc, Value cache) {
  return tensor::DimOp::create(b, loc, cache, 3);
}

/// `rows[:, first : first + count, :]` of a `[KVH, S, W]` tensor.
Value tokenRange(OpBuilder &b, Location loc, Value rows, Value first,
                 Value count) {
  auto type = cast<RankedTensorType>(rows.getType());
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), first,
                                    b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(type.getDimSize(0)), count,
                                  b.getIndexAttr(type.getDimSize(2))};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  auto sliceType = RankedTensorType::get(
      {type.getDimSize(0), ShapedType::kDynamic, type.getDimSize(2)},
      type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, sliceType, rows, offsets,
                                        sizes, strides);
}

/// insertRows into a ring cache: the rows of positions past its last row
/// wrap around to row 0, overwriting the oldest positions.
Value insertRingRows(OpBuilder &b, Location loc, Value cache, Value rows,
                     OpFoldResult layer, int64_t part, Value start,
                     int64_t column) {
  Value count = tensor::DimOp::create(b, loc, rows, 1);
  RingSpan span = RingSpan::of(b, loc, ringRows(b, loc, cache), start, count);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  cache = insertRows(b, loc, cache,
                     tokenRange(b, loc, rows, zero, span.headCount), layer,
                     part, span.headRow, column);
  return insertRows(b, loc, cache,
                    tokenRange(b, loc, rows, span.headCount, span.tailCount),
                    layer, part, zero, column);
}

/// The rows of positions `[first, first + count)` of `layer`/`part` of a
/// ring cache, in position order: a `[1, 1, KVH, count, row]` cache of one
/// layer whose row r holds position `first + r` (two copies, the second
/// from row 0 where the positions wrap).
Value orderedRingRows(OpBuilder &b, Location loc, Value cache,
                      OpFoldResult layer, int64_t part, Value first,
                      Value count) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  int64_t kvHeads = cacheType.getDimSize(2), row = cacheType.getDimSize(4);
  RingSpan span = RingSpan::of(b, loc, ringRows(b, loc, cache), first, count);
  auto slice = [&](Value firstRow, Value rows) -> Value {
    RowsBox box(b, layer, part, kvHeads, firstRow, rows, 0, row);
    auto type = RankedTensorType::get(
        {1, 1, kvHeads, ShapedType::kDynamic, row}, cacheType.getElementType());
    return tensor::ExtractSliceOp::create(b, loc, type, cache, box.offsets,
                                          box.sizes, box.strides);
  };
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value ordered = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                             b.getIndexAttr(kvHeads), count,
                             b.getIndexAttr(row)},
      cacheType.getElementType());
  auto place = [&](Value rowsOfPart, Value at, Value rows) {
    RowsBox box(b, b.getIndexAttr(0), 0, kvHeads, at, rows, 0, row);
    ordered = tensor::InsertSliceOp::create(b, loc, rowsOfPart, ordered,
                                            box.offsets, box.sizes, box.strides);
  };
  place(slice(span.headRow, span.headCount), zero, span.headCount);
  place(slice(zero, span.tailCount), span.headCount, span.tailCount);
  return ordered;
}

/// q8 rows of `[KVH, S, D]` f32 values: the int8 values `[KVH, S, D]` and
/// the 4 bytes of each row's scale `[KVH, S, 4]` (little-endian f32).
std::pair<Value, Value> quantizeRows(OpBuilder &b, Location loc, Value values) {
  MLIRContext *context = b.getContext();
  Value absMax = buildRowReduction(
      b, loc, values, 0.0, {}, {},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, nl, math::AbsFOp::create(nb, nl, x[0]),
                                         acc);
      });
  Value scale = buildElementwise(
      b, loc, absMax, absMax, {b.getMultiDimIdentityMap(2)},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return arith::DivFOp::create(nb, nl, x[0], f32Constant(nb, nl, 127.0));
      });
  // q = round(x / scale); rows of zeros have scale 0 and q 0.
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  Value qInit = tensor::EmptyOp::create(b, loc, sizes, b.getI8Type());
  Value quantized =
      buildGeneric(
          b, loc, "elementwise", ValueRange{values, scale}, qInit,
          {b.getMultiDimIdentityMap(3), rowMap(context, 3),
           b.getMultiDimIdentityMap(3)},
          SmallVector<IteratorType>(3, kParallel),
          [](OpBuilder &nb, Location nl, ValueRange x) {
            Value zero = f32Constant(nb, nl, 0.0);
            Value positive = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OGT, x[1], zero);
            Value divided = arith::DivFOp::create(nb, nl, x[0], x[1]);
            Value scaled = arith::SelectOp::create(nb, nl, positive, divided, zero);
            Value rounded = math::RoundEvenOp::create(nb, nl, scaled);
            return SmallVector<Value>{
                arith::FPToSIOp::create(nb, nl, nb.getI8Type(), rounded)};
          })
          .front();
  // scaleBytes[h, s, j] = byte j of scale[h, s].
  SmallVector<OpFoldResult> byteSizes{sizes[0], sizes[1], b.getIndexAttr(4)};
  Value bytesInit = tensor::EmptyOp::create(b, loc, byteSizes, b.getI8Type());
  Value scaleBytes =
      buildGeneric(
          b, loc, "elementwise", ValueRange{scale}, bytesInit,
          {selectDims(context, 3, {0, 1}), b.getMultiDimIdentityMap(3)},
          SmallVector<IteratorType>(3, kParallel),
          [](OpBuilder &nb, Location nl, ValueRange x) {
            Value bits = arith::BitcastOp::create(nb, nl, nb.getI32Type(), x[0]);
            Value byte = arith::IndexCastOp::create(
                nb, nl, nb.getI32Type(), linalg::IndexOp::create(nb, nl, 2));
            Value shift = arith::MulIOp::create(
                nb, nl, byte, arith::ConstantIntOp::create(nb, nl, nb.getI32Type(), 8));
            Value shifted = arith::ShRUIOp::create(nb, nl, bits, shift);
            return SmallVector<Value>{
                arith::TruncIOp::create(nb, nl, nb.getI8Type(), shifted)};
          })
          .front();
  return {quantized, scaleBytes};
}

/// A fused per-head RMSNorm of the keys (`key_norm`): each head's inverse
/// RMS `[S, KVH]` and the `[D]` weight, applied by the writing kernel as it
/// reads each element (the normalized keys are never stored apart).
struct KeyNorm {
  Value inverseRms;
  Value weight;

  explicit operator bool() const { return bool(weight); }

  /// The norm of `tokens` (`[S, KVH * D]`) with `weight`, or none.
  static KeyNorm of(OpBuilder &b, Location loc, Value tokens, Value weight,
                    FloatAttr eps, int64_t kvHeads, int64_t headDim) {
    if (!weight)
      return {};
    Value heads = splitLastDim(b, loc, tokens, {kvHeads, headDim});
    return {buildInverseRMS(b, loc, heads, eps.getValueAsDouble()), weight};
  }

  /// `x * inverseRms * weight` in a kernel body.
  static Value apply(OpBuilder &b, Location loc, Value x, Value inverseRms,
                     Value weight) {
    Value normalized = arith::MulFOp::create(b, loc, x, inverseRms);
    return arith::MulFOp::create(b, loc, normalized, weight);
  }
};

/// `tokens` (`[S, KVH * D]` f32) as head-major rows `[KVH, S, D]` of type
/// `stored`, normalized by `norm` if given: one transposing element-wise
/// kernel.
Value headMajorRows(OpBuilder &b, Location loc, Value tokens, int64_t kvHeads,
                    int64_t headDim, Type stored, const KeyNorm &norm) {
  MLIRContext *context = b.getContext();
  Value perHead = splitLastDim(b, loc, tokens, {kvHeads, headDim});
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(kvHeads),
                                     dimOf(b, loc, tokens, 0),
                                     b.getIndexAttr(headDim)},
      stored);
  // Loop dims (h, s, d) over the output.
  SmallVector<Value> inputs{perHead};
  SmallVector<AffineMap> maps{selectDims(context, 3, {1, 0, 2})};
  if (norm) {
    inputs.append({norm.inverseRms, norm.weight});
    maps.append({selectDims(context, 3, {1, 0}), selectDims(context, 3, {2})});
  }
  maps.push_back(b.getMultiDimIdentityMap(3));
  return buildGeneric(b, loc, "elementwise", inputs, init, maps,
                      SmallVector<IteratorType>(3, kParallel),
                      [&](OpBuilder &nb, Location nl, ValueRange x) {
                        Value value = x[0];
                        if (norm)
                          value = KeyNorm::apply(nb, nl, value, x[1], x[2]);
                        return SmallVector<Value>{
                            toCacheElement(nb, nl, value, stored)};
                      })
      .front();
}

/// The same rows (normalized by `norm` if given) rotated by `rope` at
/// positions `start + s` in the same kernel: the pairs of each head are
/// read through constant-member maps (see buildRoPE) while they are
/// transposed, so RoPE costs no pass of its own over the keys.
Value rotatedHeadMajorRows(OpBuilder &b, Location loc, Value tokens,
                           Value rows, int64_t headDim, Value start,
                           RopeAttr rope, const KeyNorm &norm) {
  auto rowsType = cast<RankedTensorType>(rows.getType());
  int64_t kvHeads = rowsType.getDimSize(0);
  Type stored = rowsType.getElementType();
  MLIRContext *context = b.getContext();
  RopePairs pairs{rope.getPairing() == RopePairing::interleaved, headDim / 2};
  SmallVector<int64_t, 2> pairShape = pairs.shape();
  SmallVector<int64_t> shape{kvHeads, pairShape[0], pairShape[1]};
  Value paired = splitLastDim(b, loc, tokens, shape); // [S, KVH, P0, P1]
  OpFoldResult seq = dimOf(b, loc, tokens, 0);
  auto [cosTable, sinTable] =
      buildRopeTables(b, loc, seq, start, RopeSpec::of(rope));
  // Loop dims (h, s, p0, p1) over the output [KVH, S, P0, P1], a view of
  // `rows` [KVH, S, D].
  Value init = splitLastDim(b, loc, rows, pairShape);
  unsigned memberLoop = 2 + pairs.memberDim();
  SmallVector<int64_t> sourceDims{1, 0, 2, 3};
  sourceDims[memberLoop] = -1;
  AffineMap table = selectDims(context, 4, {1, 2 + pairs.frequencyDim()});
  SmallVector<Value> inputs{paired, paired, cosTable, sinTable};
  SmallVector<AffineMap> maps{pairMemberMap(context, 4, sourceDims, 0),
                              pairMemberMap(context, 4, sourceDims, 1), table,
                              table};
  if (norm) {
    // Each member of a pair is normalized with its own weight element: the
    // weight viewed as the pairs `[P0, P1]`, read as the features are.
    Value weightPairs = splitLastDim(b, loc, norm.weight, pairShape);
    SmallVector<int64_t> weightDims{2, 3};
    weightDims[memberLoop - 2] = -1;
    inputs.append({norm.inverseRms, weightPairs, weightPairs});
    maps.append({selectDims(context, 4, {1, 0}),
                 pairMemberMap(context, 4, weightDims, 0),
                 pairMemberMap(context, 4, weightDims, 1)});
  }
  maps.push_back(b.getMultiDimIdentityMap(4));
  Value rotated =
      buildGeneric(
          b, loc, "elementwise", inputs, init, maps,
          SmallVector<IteratorType>(4, kParallel),
          [&](OpBuilder &nb, Location nl, ValueRange x) {
            Value first = x[0], second = x[1];
            if (norm) {
              first = KeyNorm::apply(nb, nl, first, x[4], x[5]);
              second = KeyNorm::apply(nb, nl, second, x[4], x[6]);
            }
            Value value = rotatePairMember(
                nb, nl, first, second, x[2], x[3],
                linalg::IndexOp::create(nb, nl, memberLoop));
            return SmallVector<Value>{toCacheElement(nb, nl, value, stored)};
          })
          .front();
  return mergeTrailingDims(b, loc, rotated, 2);
}

/// Writes `tokens` (`[S, KVH * D]` f32) at positions `[start, start + S)` of
/// `layer` of a cache of type `kind`, normalized by `norm` and rotated by `rope` if given, converted to
/// the cache's element type.
Value writeCache(OpBuilder &b, Location loc, KVCacheType kind, Value cache,
                 Value tokens, OpFoldResult layer, int64_t part, Value start,
                 int64_t headDim, RopeAttr rope = {},
                 const KeyNorm &norm = {}) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  Type element = cacheType.getElementType();
  int64_t kvHeads = cacheType.getDimSize(2);
  // [S, KVH, D] -> [KVH, S, D], in the stored type (q8: f32 for now).
  Type stored = element.isInteger(8) ? b.getF32Type() : element;
  bool ring = kind.getRing();
  auto insert = [&](Value into, Value rows, int64_t column) {
    return ring ? insertRingRows(b, loc, into, rows, layer, part, start, column)
                : insertRows(b, loc, into, rows, layer, part, start, column);
  };
  Value headMajor;
  if (!rope) {
    headMajor =
        headMajorRows(b, loc, tokens, kvHeads, headDim, stored, norm);
  } else {
    // Rotated rows are written through a view of pairs, which empty-tensor
    // elimination does not see through: take the destination rows of the
    // cache explicitly (q8 rows are quantized from f32 afterwards).
    // A ring's rows may wrap: they are computed apart, then copied.
    Value rows =
        element.isInteger(8) || ring
            ? tensor::EmptyOp::create(
                  b, loc,
                  ArrayRef<OpFoldResult>{b.getIndexAttr(kvHeads),
                                         dimOf(b, loc, tokens, 0),
                                         b.getIndexAttr(headDim)},
                  stored)
                  .getResult()
            : cacheRows(b, loc, cache, layer, part, start,
                        dimOf(b, loc, tokens, 0), headDim);
    headMajor = rotatedHeadMajorRows(b, loc, tokens, rows, headDim, start,
                                     rope, norm);
  }
  if (!element.isInteger(8))
    return insert(cache, headMajor, 0);
  auto [quantized, scaleBytes] = quantizeRows(b, loc, headMajor);
  cache = insert(cache, quantized, 0);
  return insert(cache, scaleBytes, headDim);
}

/// Keys or values of positions `[0, tokens)` of `layer`: `[KVH, tokens, D]`
/// in the stored type, and for the q8 cache their scales `[KVH, tokens]`.
std::pair<Value, Value> readCache(OpBuilder &b, Location loc, Value cache,
                                  OpFoldResult layer, int64_t part,
                                  OpFoldResult tokens, int64_t headDim) {
  MLIRContext *context = b.getContext();
  auto cacheType = cast<RankedTensorType>(cache.getType());
  Type element = cacheType.getElementType();
  int64_t kvHeads = cacheType.getDimSize(2);
  auto columns = [&](int64_t first, int64_t count) -> Value {
    RowsBox box(b, layer, part, kvHeads, b.getIndexAttr(0), tokens, first,
                count);
    auto type = RankedTensorType::get({kvHeads, ShapedType::kDynamic, count},
                                      element);
    return tensor::ExtractSliceOp::create(b, loc, type, cache, box.offsets,
                                          box.sizes, box.strides);
  };
  Value values = columns(0, headDim);
  if (!element.isInteger(8))
    return {values, Value()};
  // scale[h, t] = f32 from the 4 bytes after the row.
  Value bytes = columns(headDim, 4);
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(kvHeads), tokens};
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  Value bitsInit = linalg::FillOp::create(
                       b, loc, ValueRange{zero},
                       ValueRange{tensor::EmptyOp::create(b, loc, sizes,
                                                          b.getI32Type())})
                       .getResult(0);
  Value bits =
      buildGeneric(
          b, loc, "row_reduction", ValueRange{bytes}, bitsInit,
          {b.getMultiDimIdentityMap(3), rowMap(context, 3)},
          {kParallel, kParallel, kReduction},
          [](OpBuilder &nb, Location nl, ValueRange x) {
            Value byte = arith::ExtUIOp::create(nb, nl, nb.getI32Type(), x[0]);
            Value index = arith::IndexCastOp::create(
                nb, nl, nb.getI32Type(), linalg::IndexOp::create(nb, nl, 2));
            Value shift = arith::MulIOp::create(
                nb, nl, index, arith::ConstantIntOp::create(nb, nl, nb.getI32Type(), 8));
            Value placed = arith::ShLIOp::create(nb, nl, byte, shift);
            return SmallVector<Value>{arith::OrIOp::create(nb, nl, x[1], placed)};
          })
          .front();
  Value scales = buildElementwise(
      b, loc, bits, bits, {b.getMultiDimIdentityMap(2)},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return arith::BitcastOp::create(nb, nl, nb.getF32Type(), x[0]);
      });
  return {values, scales};
}

/// The cache layer of a KV-cache op as a slice offset.
template <typename OpTy>
OpFoldResult cacheLayer(OpBuilder &b, OpTy op, Value dynamicLayer) {
  if (std::optional<uint64_t> layer = op.getLayer())
    return b.getIndexAttr(*layer);
  return dynamicLayer;
}

struct KVCacheAppendLowering : OpConversionPattern<KVCacheAppendOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KVCacheAppendOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpFoldResult layer = cacheLayer(rewriter, op, adaptor.getDynamicLayer());
    KVCacheType cacheType = op.getCache().getType();
    int64_t headDim = cacheType.getHeadDim();
    KeyNorm norm =
        KeyNorm::of(rewriter, loc, adaptor.getKey(), adaptor.getKeyNorm(),
                    op.getNormEpsAttr(), cacheType.getKvHeads(), headDim);
    Value cache = writeCache(rewriter, loc, cacheType, adaptor.getCache(),
                             adaptor.getKey(), layer, 0, adaptor.getStart(),
                             headDim, op.getRopeAttr(), norm);
    cache = writeCache(rewriter, loc, cacheType, cache, adaptor.getValue(),
                       layer, 1, adaptor.getStart(), headDim);
    rewriter.replaceOp(op, cache);
    return success();
  }
};

/// Query rows of one step at most this many (static) are a decode step,
/// whose attention is split over key ranges: one query row per head gives
/// too few tasks for the threads.
constexpr int64_t kMaxDecodeQueries = 4;

/// `tfm.kv_cache.attention` as one fused kernel on buffers.
struct FlashAttentionLowering : OpConversionPattern<KVCacheAttentionOp> {
  FlashAttentionLowering(const TypeConverter &converter, MLIRContext *context,
                         int64_t kvSplits)
      : OpConversionPattern(converter, context, /*benefit=*/2),
        kvSplits(kvSplits) {}

  LogicalResult
  matchAndRewrite(KVCacheAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    // The kernel prepares (rotates, normalizes) query heads in a buffer of
    // TFM_ATTENTION_MAX_ROPE_HEAD_DIM floats.
    if ((op.getRopeAttr() || op.getQueryNorm()) &&
        op.getCache().getType().getHeadDim() > TFM_ATTENTION_MAX_ROPE_HEAD_DIM)
      return rewriter.notifyMatchFailure(
          op, "the kernel prepares smaller query heads; unfused form instead");
    FailureOr<KernelPositionBias> bias =
        kernelPositionBias(rewriter, loc, op.getBias());
    if (failed(bias))
      return rewriter.notifyMatchFailure(
          op, "the kernel adds a relative position bias only");
    auto queryType = cast<RankedTensorType>(adaptor.getQuery().getType());
    auto cacheType = cast<RankedTensorType>(adaptor.getCache().getType());
    auto readBuffer = [&](Value tensor, RankedTensorType type) -> Value {
      auto buffer = bufferization::ToBufferOp::create(
          rewriter, loc, rowContiguousBufferType(type), tensor);
      buffer.setReadOnly(true);
      return buffer;
    };
    Value query = readBuffer(adaptor.getQuery(), queryType);
    Value cache = readBuffer(adaptor.getCache(), cacheType);
    Value seq = tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 0);
    // An encoder's keys: `start` = their count shows every one to every
    // query (as for unmasked tfm.attention).
    Value start = adaptor.getKeyCount() ? adaptor.getKeyCount()
                                        : adaptor.getStart();
    Value tokens = adaptor.getKeyCount()
                       ? adaptor.getKeyCount()
                       : arith::AddIOp::create(rewriter, loc, start, seq)
                             .getResult();
    OpFoldResult layer = cacheLayer(rewriter, op, adaptor.getDynamicLayer());
    // A ring's views are all its rows; the kernel finds each position's.
    bool ring = op.getCache().getType().getRing();
    Value viewRows =
        ring ? memref::DimOp::create(rewriter, loc, cache, 3).getResult()
             : tokens;
    Value keys =
        layerRows(rewriter, loc, cache, cacheType, layer, 0, viewRows);
    Value values =
        layerRows(rewriter, loc, cache, cacheType, layer, 1, viewRows);

    SmallVector<Value> dynamicSizes;
    if (queryType.isDynamicDim(0))
      dynamicSizes.push_back(seq);
    Value output = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(queryType.getShape(), rewriter.getF32Type()),
        dynamicSizes);
    int64_t splits = 1;
    Value partials;
    int64_t queries = queryType.getDimSize(0);
    if (!ShapedType::isDynamic(queries) && queries <= kMaxDecodeQueries &&
        kvSplits > 1) {
      splits = kvSplits;
      int64_t headDim = op.getCache().getType().getHeadDim();
      partials = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get({splits * queries * int64_t(op.getNumHeads()) *
                           (headDim + 2)},
                          rewriter.getF32Type()));
    }
    // A fused rope: the kernel rotates each query row with these tables.
    Value ropeCos, ropeSin;
    if (RopeAttr rope = op.getRopeAttr()) {
      auto [cosTable, sinTable] = buildRopeTables(
          rewriter, loc, dimOf(rewriter, loc, adaptor.getQuery(), 0),
          adaptor.getStart(), RopeSpec::of(rope));
      ropeCos = readBuffer(cosTable, cast<RankedTensorType>(cosTable.getType()));
      ropeSin = readBuffer(sinTable, cast<RankedTensorType>(sinTable.getType()));
    }
    // A fused q norm: the kernel normalizes each query head with it.
    Value queryNorm;
    if (Value weight = adaptor.getQueryNorm())
      queryNorm = readBuffer(weight, cast<RankedTensorType>(weight.getType()));
    FlashAttentionOp::create(rewriter, loc, query, keys, values,
                             start, output, partials, ropeCos,
                             ropeSin, bias->table, bias->queryStart, queryNorm,
                             ring ? tokens : Value(), op.getNumHeadsAttr(), op.getScaleAttr(),
                             rewriter.getI64IntegerAttr(splits),
                             op.getRopeAttr(), op.getWindowAttr(),
                             op.getSoftCapAttr(), bias->maxDistance,
                             op.getNormEpsAttr());
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, queryType, output,
                               /*restrict=*/true, /*writable=*/true));
    return success();
  }

private:
  /// Rows `[kv_heads, tokens, row]` of `part` (0: keys, 1: values) of
  /// `layer` of the cache buffer.
  static Value layerRows(OpBuilder &b, Location loc, Value cache,
                         RankedTensorType cacheType, OpFoldResult layer,
                         int64_t part, Value tokens) {
    int64_t kvHeads = cacheType.getDimSize(2);
    int64_t row = cacheType.getDimSize(4);
    RowsBox box(b, layer, part, kvHeads, b.getIndexAttr(0), tokens, 0, row);
    auto type = rowContiguousBufferType(RankedTensorType::get(
        {kvHeads, ShapedType::kDynamic, row}, cacheType.getElementType()));
    return memref::SubViewOp::create(b, loc, type, cache, box.offsets,
                                     box.sizes, box.strides);
  }

  int64_t kvSplits;
};

struct KVCacheAttentionLowering : OpConversionPattern<KVCacheAttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KVCacheAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value query = adaptor.getQuery();
    Value cache = adaptor.getCache();
    int64_t kvHeads = cast<RankedTensorType>(cache.getType()).getDimSize(2);
    Value start = adaptor.getStart();
    Value seq = tensor::DimOp::create(rewriter, loc, query, 0);
    // An encoder's keys (cross-attention): all of them, unmasked.
    Value keyCount = adaptor.getKeyCount();
    Value tokens = keyCount ? keyCount
                            : arith::AddIOp::create(rewriter, loc, start, seq)
                                  .getResult();
    OpFoldResult layer = cacheLayer(rewriter, op, adaptor.getDynamicLayer());
    int64_t headDim = op.getCache().getType().getHeadDim();
    // Key j is position j, but in a ring, whose keys are read from the
    // first query's window on: key j is position firstVisible + j, which
    // the causal mask sees as an offset of start - firstVisible.
    Value causalOffset = keyCount ? Value() : start;
    Value firstVisible, visible;
    if (op.getCache().getType().getRing()) {
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      Value window =
          arith::ConstantIndexOp::create(rewriter, loc, int64_t(*op.getWindow()));
      Value reach = arith::AddIOp::create(rewriter, loc, start, one);
      firstVisible = arith::SelectOp::create(
          rewriter, loc,
          arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ugt,
                                reach, window),
          arith::SubIOp::create(rewriter, loc, reach, window),
          arith::ConstantIndexOp::create(rewriter, loc, 0));
      visible = arith::SubIOp::create(rewriter, loc, tokens, firstVisible);
      causalOffset = arith::SubIOp::create(rewriter, loc, start, firstVisible);
    }
    auto read = [&](int64_t part) {
      if (!op.getCache().getType().getRing())
        return readCache(rewriter, loc, cache, layer, part, tokens, headDim);
      Value rows = orderedRingRows(rewriter, loc, cache, layer, part,
                                   firstVisible, visible);
      return readCache(rewriter, loc, rows, rewriter.getIndexAttr(0), 0,
                       visible, headDim);
    };
    auto [keys, keyScales] = read(0);
    auto [values, valueScales] = read(1);
    // Without the fused kernel, a fused q norm and rope are kernels of their
    // own, in that order.
    if (Value weight = adaptor.getQueryNorm())
      query = buildGroupedRMSNorm(rewriter, loc, query, weight,
                                  op.getNormEpsAttr().getValueAsDouble());
    if (RopeAttr rope = op.getRopeAttr())
      query = buildRoPE(rewriter, loc, query, start, headDim,
                        RopeSpec::of(rope));
    Value queries =
        groupQueries(rewriter, loc, query, op.getNumHeads(), kvHeads);
    ScoreOptions options{op.getScale().convertToDouble(),
                         int64_t(op.getWindow().value_or(0)),
                         op.getSoftCapAttr() ? op.getSoftCapAttr().getValueAsDouble()
                                             : 0.0,
                         adaptor.getBias()};
    Value attended = buildAttention(rewriter, loc, queries, keys, values,
                                    KVLayout::HeadMajor, causalOffset, options,
                                    keyScales, valueScales);
    rewriter.replaceOp(op, mergeTrailingDims(rewriter, loc, attended, 1));
    return success();
  }
};

} // namespace

void populateKVCacheLoweringPatterns(const TypeConverter &converter,
                                     RewritePatternSet &patterns,
                                     bool flashAttention, int64_t kvSplits) {
  MLIRContext *context = patterns.getContext();
  patterns.add<KVCacheAppendLowering, KVCacheAttentionLowering>(converter,
                                                                context);
  if (flashAttention)
    patterns.add<FlashAttentionLowering>(converter, context, kvSplits);
}

} // namespace mlir::tfm::tfm_to_linalg
