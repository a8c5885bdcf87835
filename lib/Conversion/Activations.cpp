//===- Activations.cpp - activation functions as arith/math ops -----------===//

#include "tfm/Conversion/Activations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `value` as a constant of `like`'s type (an f32, or splat in a vector).
Value constantLike(OpBuilder &b, Location loc, Value like, double value) {
  Type type = like.getType();
  FloatAttr scalar = b.getF32FloatAttr(static_cast<float>(value));
  if (auto shaped = dyn_cast<ShapedType>(type))
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(shaped, scalar));
  return arith::ConstantOp::create(b, loc, scalar);
}

} // namespace

Value mlir::tfm::buildActivation(OpBuilder &b, Location loc, Activation kind,
                                 Value x) {
  auto constant = [&](double value) { return constantLike(b, loc, x, value); };
  switch (kind) {
  case Activation::relu:
    return arith::MaximumFOp::create(b, loc, x, constant(0.0));
  case Activation::gelu: {
    Value scaled = arith::MulFOp::create(b, loc, x, constant(M_SQRT1_2));
    Value erf = math::ErfOp::create(b, loc, scaled);
    Value onePlus = arith::AddFOp::create(b, loc, erf, constant(1.0));
    Value half = arith::MulFOp::create(b, loc, x, constant(0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case Activation::gelu_tanh: {
    Value cube = arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, x), x);
    Value inner = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, cube, constant(0.044715)));
    Value scaled =
        arith::MulFOp::create(b, loc, inner, constant(std::sqrt(2.0 / M_PI)));
    Value onePlus = arith::AddFOp::create(
        b, loc, math::TanhOp::create(b, loc, scaled), constant(1.0));
    Value half = arith::MulFOp::create(b, loc, x, constant(0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case Activation::silu: {
    Value negated = arith::NegFOp::create(b, loc, x);
    Value denominator = arith::AddFOp::create(
        b, loc, math::ExpOp::create(b, loc, negated), constant(1.0));
    return arith::DivFOp::create(b, loc, x, denominator);
  }
  }
  llvm_unreachable("unknown activation");
}
