//===- Activations.h - activation functions as arith/math ops ---*- C++ -*-===//
//
// The activation functions of tfm.activation (relu, gelu, gelu_tanh, silu)
// as element-wise arith and math ops, on an f32 scalar or a vector of f32:
// convert-tfm-to-linalg builds them in the bodies of its generics, and the
// generated decode products (tfm-lower-quantized-matmul) on their 16-row
// accumulators. tfm-approximate-math later replaces exp, tanh and erf by
// polynomials, the same in both.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_ACTIVATIONS_H
#define TFM_CONVERSION_ACTIVATIONS_H

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::tfm {

/// `kind(x)` for an f32 or a vector of f32 `x`.
Value buildActivation(OpBuilder &b, Location loc, Activation kind, Value x);

} // namespace mlir::tfm

#endif // TFM_CONVERSION_ACTIVATIONS_H
