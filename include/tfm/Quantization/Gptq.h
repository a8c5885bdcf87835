//===- Gptq.h - rounding weights against their inputs' statistics -*- C++ -*-===//
//
// GPTQ (Frantar et al., "GPTQ: Accurate Post-Training Quantization for
// Generative Pre-trained Transformers", 2022). Round-to-nearest makes each
// weight's error as small as it can be on its own; what matters is the
// error of the layer's output, `(W - Q) x` over the inputs x the layer
// sees. GPTQ rounds the columns of W one at a time and moves each
// column's rounding error onto the columns not yet rounded, in the
// proportions the inputs' second moments H = sum x x^T say will cancel it
// best.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_QUANTIZATION_GPTQ_H
#define TFM_QUANTIZATION_GPTQ_H

#include "tfm/Quantization/Quantize.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace mlir::tfm {

/// The factor GPTQ rounds with: U, upper triangular, with
/// U^T U = (H + damping * mean(diag H) * I)^-1, row-major `columns x
/// columns`. Columns whose input is always zero get H_ii = 1 first (they
/// are rounded to nearest). Fails if the damped H is not positive definite
/// (a non-finite input).
llvm::Expected<std::vector<double>> gptqFactor(llvm::ArrayRef<double> hessian,
                                               int64_t columns, double damping);

/// Quantizes `rows` rows of `columns` weights (row-major) to `scheme` in
/// column order, each block's grids fitted to its values when the rounding
/// reaches it; writes rows of blocks as quantizeRow does, one after the
/// other. With U the identity, the bytes are quantizeRow's.
void gptqQuantizeRows(QuantScheme scheme, const float *weights, int64_t rows,
                      int64_t columns, llvm::ArrayRef<double> factor,
                      uint8_t *out);

} // namespace mlir::tfm

#endif // TFM_QUANTIZATION_GPTQ_H
