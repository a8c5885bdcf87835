//===- ApproximateMath.cpp - polynomial exp, tanh and erf -----------------===//
//
// The x86 backend has no vector form of exp, tanh or erf without a vector
// math library, so each lane of a vectorized activation became a libm call.
// Upstream's polynomial approximations are plain vector arithmetic; this
// pass applies them to the functions the activations use.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMAPPROXIMATEMATH
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The functions of SiLU (exp), tanh GELU (tanh) and GELU (erf); the
/// patterns name ops with or without the dialect prefix.
bool isActivationFunction(StringRef name) {
  name.consume_front("math.");
  return name == "exp" || name == "tanh" || name == "erf";
}

struct TfmApproximateMathPass
    : public tfm::impl::TfmApproximateMathBase<TfmApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathF32ExpansionPatterns(patterns, isActivationFunction);
    populateMathPolynomialApproximationPatterns(patterns, isActivationFunction);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
