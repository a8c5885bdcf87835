//===- Normalization.cpp - RMSNorm and LayerNorm --------------------------===//
//
// Row statistics as row reductions, the normalization as one element-wise
// generic; buildRMSNorm/buildInverseRMS also serve the norm prologues of
// linear layers.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::tfm::tfm_to_linalg {

/// `1 / sqrt(mean(input^2) + eps)` of each row (all dims but the last).
Value buildInverseRMS(OpBuilder &b, Location loc, Value input,
                      double epsValue) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  double features = type.getShape().back();
  Value sumOfSquares = buildRowReduction(
      b, loc, input, 0.0, {}, {},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        Value square = arith::MulFOp::create(nb, nl, x[0], x[0]);
        return arith::AddFOp::create(nb, nl, acc, square);
      });
  Value inverseFeatures = f32Constant(b, loc, 1.0 / features);
  Value eps = f32Constant(b, loc, epsValue);
  return buildElementwise(
      b, loc, sumOfSquares, sumOfSquares,
      {b.getMultiDimIdentityMap(rank - 1)},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        Value mean = arith::MulFOp::create(nb, nl, x[0], inverseFeatures);
        return math::RsqrtOp::create(nb, nl,
                                     arith::AddFOp::create(nb, nl, mean, eps));
      });
}

/// `input / sqrt(mean(input^2) + eps) * weight` over the last dim.
Value buildRMSNorm(OpBuilder &b, Location loc, Value input, Value weight,
                   double epsValue) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  Value rowScale = buildInverseRMS(b, loc, input, epsValue);
  MLIRContext *context = b.getContext();
  return buildElementwise(
      b, loc, input, ValueRange{input, rowScale, weight},
      {b.getMultiDimIdentityMap(rank), rowMap(context, rank),
       lastDimMap(context, rank)},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        Value normalized = arith::MulFOp::create(nb, nl, x[0], x[1]);
        return arith::MulFOp::create(nb, nl, normalized, x[2]);
      });
}

/// RMSNorm of each group of `weight`'s length in the rows of `input`
/// (`[S, G * D]` as `[S, G, D]`, each `[D]` row normalized, then back): the
/// per-head q/k norm.
Value buildGroupedRMSNorm(OpBuilder &b, Location loc, Value input,
                          Value weight, double eps) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t group = cast<RankedTensorType>(weight.getType()).getDimSize(0);
  Value grouped =
      splitLastDim(b, loc, input, {type.getDimSize(1) / group, group});
  Value normed = buildRMSNorm(b, loc, grouped, weight, eps);
  return mergeTrailingDims(b, loc, normed, 1);
}

namespace {

struct RMSNormLowering : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double eps = op.getEps().convertToDouble();
    if (op.isWholeRow()) {
      rewriter.replaceOp(op, buildRMSNorm(rewriter, op.getLoc(),
                                          adaptor.getInput(),
                                          adaptor.getWeight(), eps));
      return success();
    }
    rewriter.replaceOp(op,
                       buildGroupedRMSNorm(rewriter, op.getLoc(),
                                           adaptor.getInput(),
                                           adaptor.getWeight(), eps));
    return success();
  }
};

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    AffineMap rows = rowMap(context, rank);
    AffineMap rowIdentity = rewriter.getMultiDimIdentityMap(rank - 1);
    Value inverseFeatures =
        f32Constant(rewriter, loc, 1.0 / type.getShape().back());
    auto add = [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
      return arith::AddFOp::create(nb, nl, acc, x[0]);
    };
    Value sum = buildRowReduction(rewriter, loc, input, 0.0, {}, {}, add);
    Value mean = buildElementwise(
        rewriter, loc, sum, sum, {rowIdentity},
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          return arith::MulFOp::create(nb, nl, x[0], inverseFeatures);
        });
    Value squaredDeviation = buildRowReduction(
        rewriter, loc, input, 0.0, mean, {rows},
        [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
          Value deviation = arith::SubFOp::create(nb, nl, x[0], x[1]);
          Value square = arith::MulFOp::create(nb, nl, deviation, deviation);
          return arith::AddFOp::create(nb, nl, acc, square);
        });
    Value eps = f32Constant(rewriter, loc, op.getEps().convertToDouble());
    Value rowScale = buildElementwise(
        rewriter, loc, squaredDeviation, squaredDeviation, {rowIdentity},
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value variance = arith::MulFOp::create(nb, nl, x[0], inverseFeatures);
          return math::RsqrtOp::create(
              nb, nl, arith::AddFOp::create(nb, nl, variance, eps));
        });
    SmallVector<Value> inputs{input, mean, rowScale, adaptor.getWeight()};
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank), rows,
                                rows, lastDimMap(context, rank)};
    if (Value bias = adaptor.getBias()) {
      inputs.push_back(bias);
      maps.push_back(lastDimMap(context, rank));
    }
    Value result = buildElementwise(
        rewriter, loc, input, inputs, maps,
        [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value centered = arith::SubFOp::create(nb, nl, x[0], x[1]);
          Value normalized = arith::MulFOp::create(nb, nl, centered, x[2]);
          Value scaled = arith::MulFOp::create(nb, nl, normalized, x[3]);
          if (x.size() == 5)
            return arith::AddFOp::create(nb, nl, scaled, x[4]);
          return scaled;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateNormalizationLoweringPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<RMSNormLowering, LayerNormLowering>(converter, patterns.getContext());
}

} // namespace mlir::tfm::tfm_to_linalg
