//===- Elementwise.cpp - activations, residual adds, softmax --------------===//
//
// tfm.activation, tfm.gated_activation, tfm.add and tfm.softmax: one
// element-wise generic each (softmax: two row reductions and one).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include <cmath>
#include <limits>

namespace mlir::tfm::tfm_to_linalg {

/// `kind(gate) * up`, element-wise.
Value buildGatedActivation(OpBuilder &b, Location loc, Activation kind,
                           Value gate, Value up) {
  unsigned rank = cast<RankedTensorType>(gate.getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  return buildElementwise(
      b, loc, gate, ValueRange{gate, up}, {identity, identity},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return arith::MulFOp::create(nb, nl, buildActivation(nb, nl, kind, x[0]),
                                     x[1]);
      });
}

Value buildSoftmax(OpBuilder &b, Location loc, Value input) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  AffineMap rows = rowMap(b.getContext(), rank);
  Value rowMax = buildRowReduction(
      b, loc, input, -std::numeric_limits<float>::infinity(), {}, {},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, nl, x[0], acc);
      });
  Value rowSum = buildRowReduction(
      b, loc, input, 0.0, rowMax, {rows},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        Value shifted = arith::SubFOp::create(nb, nl, x[0], x[1]);
        return arith::AddFOp::create(nb, nl, acc,
                                     math::ExpOp::create(nb, nl, shifted));
      });
  return buildElementwise(
      b, loc, input, ValueRange{input, rowMax, rowSum},
      {b.getMultiDimIdentityMap(rank), rows, rows},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        Value shifted = arith::SubFOp::create(nb, nl, x[0], x[1]);
        return arith::DivFOp::create(nb, nl,
                                     math::ExpOp::create(nb, nl, shifted), x[2]);
      });
}

namespace {

/// `fn` applied to every element of `input`, as one element-wise generic.
Value mapElements(OpBuilder &b, Location loc, Value input,
                  function_ref<Value(OpBuilder &, Location, Value)> fn) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  return buildElementwise(
      b, loc, input, input, {b.getMultiDimIdentityMap(rank)},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return fn(nb, nl, x[0]);
      });
}

struct ActivationLowering : OpConversionPattern<ActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Activation kind = op.getKind();
    rewriter.replaceOp(
        op, mapElements(rewriter, op.getLoc(), adaptor.getInput(),
                        [&](OpBuilder &nb, Location nl, Value x) {
                          return buildActivation(nb, nl, kind, x);
                        }));
    return success();
  }
};

struct GatedActivationLowering : OpConversionPattern<GatedActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatedActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildGatedActivation(rewriter, op.getLoc(),
                                                op.getKind(), adaptor.getGate(),
                                                adaptor.getUp()));
    return success();
  }
};

struct SoftCapLowering : OpConversionPattern<SoftCapOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftCapOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double cap = op.getCap().convertToDouble();
    rewriter.replaceOp(
        op, mapElements(rewriter, op.getLoc(), adaptor.getInput(),
                        [&](OpBuilder &nb, Location nl, Value x) -> Value {
                          Value inverse = f32Constant(nb, nl, 1.0 / cap);
                          Value squashed = math::TanhOp::create(
                              nb, nl, arith::MulFOp::create(nb, nl, x, inverse));
                          return arith::MulFOp::create(
                              nb, nl, squashed, f32Constant(nb, nl, cap));
                        }));
    return success();
  }
};

struct AddLowering : OpConversionPattern<AddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value lhs = adaptor.getLhs();
    unsigned rank = cast<RankedTensorType>(lhs.getType()).getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), lhs, ValueRange{lhs, adaptor.getRhs()},
                {identity, identity},
                [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
                  return arith::AddFOp::create(nb, nl, x[0], x[1]);
                }));
    return success();
  }
};

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       buildSoftmax(rewriter, op.getLoc(), adaptor.getInput()));
    return success();
  }
};

} // namespace

void populateElementwiseLoweringPatterns(const TypeConverter &converter,
                                         RewritePatternSet &patterns) {
  patterns.add<ActivationLowering, GatedActivationLowering, AddLowering,
               SoftCapLowering, SoftmaxLowering>(converter,
                                                 patterns.getContext());
}

} // namespace mlir::tfm::tfm_to_linalg
