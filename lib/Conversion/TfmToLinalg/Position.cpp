//===- Position.cpp - RoPE, sinusoidal, learned and relative positions ----===//
//
// Rotary embeddings as one element-wise generic over the pairs of each
// head (read through constant-member maps), plus the cos/sin tables the
// fused attention kernel and the KV-cache append also use.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

namespace mlir::tfm::tfm_to_linalg {

/// cos and sin of the rotation angles of positions `start + s`, `[S, R/2]`:
/// angle `(start + s) * theta^(-2j / R)`, or `(start + s) * frequencies[j]`
/// for scaled RoPE (the frequencies a constant the generic reads).
std::pair<Value, Value> buildRopeTables(OpBuilder &b, Location loc,
                                        OpFoldResult seq, Value start,
                                        const RopeSpec &rope) {
  int64_t rotaryDim = rope.rotaryDim;
  int64_t half = rotaryDim / 2;
  Value cosInit = emptyTensor(b, loc, {seq, b.getIndexAttr(half)});
  Value sinInit = emptyTensor(b, loc, {seq, b.getIndexAttr(half)});
  Value theta = f32Constant(b, loc, rope.theta);
  Value exponentStep = f32Constant(b, loc, -2.0 / rotaryDim);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (rope.frequencies) {
    SmallVector<float> values;
    for (double frequency : rope.frequencies.asArrayRef())
      values.push_back(float(frequency));
    auto type = RankedTensorType::get({half}, b.getF32Type());
    inputs.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<float>(values))));
    maps.push_back(selectDims(b.getContext(), 2, {1}));
  }
  maps.append({b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)});
  SmallVector<Value> tables = buildGeneric(
      b, loc, "elementwise", inputs, ValueRange{cosInit, sinInit}, maps,
      {kParallel, kParallel}, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type i64 = nb.getI64Type();
        Value token = linalg::IndexOp::create(nb, nl, 0);
        Value position = arith::AddIOp::create(nb, nl, token, start);
        Value positionF = arith::UIToFPOp::create(
            nb, nl, nb.getF32Type(),
            arith::IndexCastOp::create(nb, nl, i64, position));
        Value pair = arith::UIToFPOp::create(
            nb, nl, nb.getF32Type(),
            arith::IndexCastOp::create(nb, nl, i64,
                                       linalg::IndexOp::create(nb, nl, 1)));
        Value frequency =
            rope.frequencies
                ? args[0]
                : math::PowFOp::create(
                      nb, nl, theta,
                      arith::MulFOp::create(nb, nl, pair, exponentStep))
                      .getResult();
        Value angle = arith::MulFOp::create(nb, nl, positionF, frequency);
        return SmallVector<Value>{math::CosOp::create(nb, nl, angle),
                                  math::SinOp::create(nb, nl, angle)};
      });
  return {tables[0], tables[1]};
}

/// Element `member` (0 or 1) of the rotated pair `(a, b)` with `cos`/`sin`:
/// `(a cos - b sin, a sin + b cos)`, chosen by the loop index `memberIndex`.
Value rotatePairMember(OpBuilder &b, Location loc, Value first, Value second,
                       Value cos, Value sin, Value memberIndex) {
  Value isSecond = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, memberIndex,
      arith::ConstantIndexOp::create(b, loc, 1));
  Value aCos = arith::MulFOp::create(b, loc, first, cos);
  Value bSin = arith::MulFOp::create(b, loc, second, sin);
  Value aSin = arith::MulFOp::create(b, loc, first, sin);
  Value bCos = arith::MulFOp::create(b, loc, second, cos);
  return arith::SelectOp::create(b, loc, isSecond,
                                 arith::AddFOp::create(b, loc, aSin, bCos),
                                 arith::SubFOp::create(b, loc, aCos, bSin));
}

/// A map of `rank` loop dims that reads pair member `member` where loop dim
/// `memberLoopDim` is, and the other dims through `dims` (loop dim per
/// source dim, with the member's source dim marked by -1).
AffineMap pairMemberMap(MLIRContext *context, unsigned rank,
                        ArrayRef<int64_t> dims, int64_t member) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(d < 0 ? getAffineConstantExpr(member, context)
                          : getAffineDimExpr(d, context));
  return AffineMap::get(rank, 0, exprs, context);
}

/// RoPE of `input` (`[S, H * D]`) at positions `start + s` (see tfm.rope).
Value buildRoPE(OpBuilder &b, Location loc, Value input, Value start,
                int64_t headDim, const RopeSpec &rope) {
  MLIRContext *context = b.getContext();
  int64_t rotaryDim = rope.rotaryDim;
  RopePairing pairing = rope.pairing;
  int64_t features = cast<RankedTensorType>(input.getType()).getDimSize(1);
  int64_t heads = features / headDim;
  RopePairs pairs{pairing == RopePairing::interleaved, rotaryDim / 2};
  OpFoldResult seq = dimOf(b, loc, input, 0);

  // [S, H * D] -> [S, H, D] -> the rotated features [S, H, R].
  Value heads3 = splitLastDim(b, loc, input, {heads, headDim});
  auto slice3 = [&](Value source, int64_t size) {
    SmallVector<OpFoldResult> offsets(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{seq, b.getIndexAttr(heads),
                                    b.getIndexAttr(size)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                          strides)
        .getResult();
  };
  Value rotary = rotaryDim == headDim ? heads3 : slice3(heads3, rotaryDim);
  // [S, H, pair dims]: loop dims 2 and 3 are the pair dims.
  Value paired = splitLastDim(b, loc, rotary, pairs.shape());
  auto [cosTable, sinTable] = buildRopeTables(b, loc, seq, start, rope);

  // One element-wise generic over the pairs: member `m` of a pair reads
  // both members through maps with a constant member index.
  unsigned memberLoop = 2 + pairs.memberDim();
  SmallVector<int64_t> dims{0, 1, 2, 3};
  dims[memberLoop] = -1;
  AffineMap table = selectDims(context, 4, {0, 2 + pairs.frequencyDim()});
  Value assembled = buildElementwise(
      b, loc, paired, ValueRange{paired, paired, cosTable, sinTable},
      {pairMemberMap(context, 4, dims, 0), pairMemberMap(context, 4, dims, 1),
       table, table},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return rotatePairMember(nb, nl, x[0], x[1], x[2], x[3],
                                linalg::IndexOp::create(nb, nl, memberLoop));
      });
  Value rotatedHeads = mergeTrailingDims(b, loc, assembled, 2);
  if (rotaryDim != headDim) {
    SmallVector<OpFoldResult> offsets(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{seq, b.getIndexAttr(heads),
                                    b.getIndexAttr(rotaryDim)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    rotatedHeads = tensor::InsertSliceOp::create(b, loc, rotatedHeads, heads3,
                                                 offsets, sizes, strides);
  }
  return mergeTrailingDims(b, loc, rotatedHeads, 1);
}

namespace {

struct RoPELowering : OpConversionPattern<RoPEOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RoPEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildRoPE(rewriter, op.getLoc(), adaptor.getInput(),
                                     adaptor.getStart(), op.getHeadDim(),
                                     RopeSpec::of(op)));
    return success();
  }
};

struct SinusoidalPositionLowering
    : OpConversionPattern<SinusoidalPositionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SinusoidalPositionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t features = cast<RankedTensorType>(input.getType()).getDimSize(1);
    Value start = adaptor.getStart();
    Value base = f32Constant(rewriter, loc, op.getBase().convertToDouble());
    Value exponentStep = f32Constant(rewriter, loc, -1.0 / features);
    Value result = buildElementwise(
        rewriter, loc, input, input, {rewriter.getMultiDimIdentityMap(2)},
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Type i64 = nb.getI64Type();
          Type f32 = nb.getF32Type();
          Value token = linalg::IndexOp::create(nb, nl, 0);
          Value position = arith::UIToFPOp::create(
              nb, nl, f32,
              arith::IndexCastOp::create(
                  nb, nl, i64, arith::AddIOp::create(nb, nl, token, start)));
          Value feature = arith::IndexCastOp::create(
              nb, nl, i64, linalg::IndexOp::create(nb, nl, 1));
          Value one = arith::ConstantIntOp::create(nb, nl, i64, 1);
          Value odd = arith::AndIOp::create(nb, nl, feature, one);
          Value even = arith::SubIOp::create(nb, nl, feature, odd);
          Value exponent = arith::MulFOp::create(
              nb, nl, arith::UIToFPOp::create(nb, nl, f32, even), exponentStep);
          Value angle = arith::MulFOp::create(
              nb, nl, position, math::PowFOp::create(nb, nl, base, exponent));
          Value isOdd = arith::TruncIOp::create(nb, nl, nb.getI1Type(), odd);
          Value wave = arith::SelectOp::create(
              nb, nl, isOdd, math::CosOp::create(nb, nl, angle),
              math::SinOp::create(nb, nl, angle));
          return arith::AddFOp::create(nb, nl, x[0], wave);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LearnedPositionLowering : OpConversionPattern<LearnedPositionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LearnedPositionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    SmallVector<OpFoldResult> offsets{adaptor.getStart(),
                                      rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    Value rows = tensor::ExtractSliceOp::create(
        rewriter, loc, adaptor.getTable(), offsets, sizes, strides);
    AffineMap identity = rewriter.getMultiDimIdentityMap(2);
    Value result = buildElementwise(
        rewriter, loc, input, ValueRange{input, rows}, {identity, identity},
        [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          return arith::AddFOp::create(nb, nl, x[0], x[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `[heads, 2 * max_distance + 1]`: each head's bias of each key distance
/// from -max_distance to max_distance (farther ones share the ends), the
/// bucket of each distance a constant computed here by the op's getBucket,
/// so the bucketing's float steps are the host's (llama.cpp's), not a
/// vector approximation of log.
Value biasByDistance(OpBuilder &b, Location loc, RelativePositionBiasOp op,
                     Value table) {
  int64_t maxDistance = op.getMaxDistance();
  SmallVector<int32_t> bucketOf;
  for (int64_t relative = -maxDistance; relative <= maxDistance; ++relative)
    bucketOf.push_back(int32_t(op.getBucket(relative)));
  auto bucketType =
      RankedTensorType::get({int64_t(bucketOf.size())}, b.getI32Type());
  Value buckets = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(bucketType, ArrayRef<int32_t>(bucketOf)));
  Value init = emptyTensor(
      b, loc, {dimOf(b, loc, table, 1), b.getIndexAttr(2 * maxDistance + 1)});
  return buildGeneric(
             b, loc, "elementwise", ValueRange{buckets}, init,
             {selectDims(b.getContext(), 2, {1}), b.getMultiDimIdentityMap(2)},
             {kParallel, kParallel},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value bucket = arith::IndexCastOp::create(
                   nb, nl, nb.getIndexType(), args[0]);
               Value head = linalg::IndexOp::create(nb, nl, 0);
               return SmallVector<Value>{tensor::ExtractOp::create(
                   nb, nl, table, ValueRange{bucket, head})};
             })
      .front();
}

/// T5's bias `[heads, queries, keys]` as one generic reading the
/// per-distance bias at each key's clamped distance from its query.
struct RelativePositionBiasLowering
    : OpConversionPattern<RelativePositionBiasOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RelativePositionBiasOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (op.getTable().getType().isDynamicDim(0))
      return rewriter.notifyMatchFailure(op, "needs a static bucket count");
    int64_t maxDistance = op.getMaxDistance();
    Value byDistance = biasByDistance(rewriter, loc, op, adaptor.getTable());
    // The result type's static sizes, else the counts.
    ArrayRef<int64_t> shape = op.getResult().getType().getShape();
    SmallVector<OpFoldResult> sizes{dimOf(rewriter, loc, adaptor.getTable(), 1),
                                    adaptor.getQueryCount(),
                                    adaptor.getKeyCount()};
    for (int64_t dim : {0, 1, 2})
      if (!ShapedType::isDynamic(shape[dim]))
        sizes[dim] = rewriter.getIndexAttr(shape[dim]);
    Value init = emptyTensor(rewriter, loc, sizes);
    Value queryStart = adaptor.getQueryStart();
    Value bias =
        buildGeneric(
            rewriter, loc, "elementwise", ValueRange{}, init,
            {rewriter.getMultiDimIdentityMap(3)},
            SmallVector<IteratorType>(3, kParallel),
            [&](OpBuilder &nb, Location nl, ValueRange) {
              Value head = linalg::IndexOp::create(nb, nl, 0);
              Value query = arith::AddIOp::create(
                  nb, nl, queryStart, linalg::IndexOp::create(nb, nl, 1));
              Type i64 = nb.getI64Type();
              Value key = arith::IndexCastOp::create(
                  nb, nl, i64, linalg::IndexOp::create(nb, nl, 2));
              Value relative = arith::SubIOp::create(
                  nb, nl, key, arith::IndexCastOp::create(nb, nl, i64, query));
              auto i64Constant = [&](int64_t value) -> Value {
                return arith::ConstantIntOp::create(nb, nl, i64, value);
              };
              Value clamped = arith::MinSIOp::create(
                  nb, nl,
                  arith::MaxSIOp::create(nb, nl, relative,
                                         i64Constant(-maxDistance)),
                  i64Constant(maxDistance));
              Value column = arith::IndexCastOp::create(
                  nb, nl, nb.getIndexType(),
                  arith::AddIOp::create(nb, nl, clamped,
                                        i64Constant(maxDistance)));
              return SmallVector<Value>{tensor::ExtractOp::create(
                  nb, nl, byDistance, ValueRange{head, column})};
            })
            .front();
    rewriter.replaceOp(op, bias);
    return success();
  }
};

} // namespace

FailureOr<KernelPositionBias>
kernelPositionBias(ConversionPatternRewriter &rewriter, Location loc,
                   Value bias) {
  if (!bias)
    return KernelPositionBias{};
  auto op = bias.getDefiningOp<RelativePositionBiasOp>();
  if (!op || op.getTable().getType().isDynamicDim(0))
    return failure();
  Value table = rewriter.getRemappedValue(op.getTable());
  if (!table)
    return failure();
  Value byDistance = biasByDistance(rewriter, loc, op, table);
  auto buffer = bufferization::ToBufferOp::create(
      rewriter, loc,
      rowContiguousBufferType(cast<RankedTensorType>(byDistance.getType())),
      byDistance);
  buffer.setReadOnly(true);
  return KernelPositionBias{buffer, op.getQueryStart(),
                            rewriter.getI64IntegerAttr(op.getMaxDistance())};
}

void populatePositionLoweringPatterns(const TypeConverter &converter,
                                      RewritePatternSet &patterns) {
  patterns.add<RoPELowering, SinusoidalPositionLowering,
               LearnedPositionLowering, RelativePositionBiasLowering>(
      converter, patterns.getContext());
}

} // namespace mlir::tfm::tfm_to_linalg
