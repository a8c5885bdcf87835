//===- Gptq.cpp - rounding weights against their inputs' statistics -------===//
//
// Dense double-precision linear algebra on matrices of a layer's input
// width (up to a few thousand): row-major, inner loops over contiguous
// rows so the compiler vectorizes them.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/Gptq.h"

#include <cmath>

using namespace mlir::tfm;

namespace {

/// Lower-triangular L with L L^T = `a` (n x n, row-major), in place; false
/// if `a` is not positive definite.
bool choleskyInPlace(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double *rowJ = &a[j * n];
    for (int64_t i = j; i < n; ++i) {
      double *rowI = &a[i * n];
      double sum = rowI[j];
      for (int64_t k = 0; k < j; ++k)
        sum -= rowI[k] * rowJ[k];
      if (i == j) {
        if (!(sum > 0.0) || !std::isfinite(sum))
          return false;
        rowJ[j] = std::sqrt(sum);
      } else {
        rowI[j] = sum / rowJ[j];
      }
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j)
      a[i * n + j] = 0.0;
  return true;
}

/// The inverse of lower-triangular `l`, by forward substitution of all
/// columns at once: row i of the inverse is (e_i - sum_k<i l_ik row k) /
/// l_ii.
std::vector<double> invertLower(const std::vector<double> &l, int64_t n) {
  std::vector<double> inverse(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double *rowI = &inverse[i * n];
    for (int64_t k = 0; k < i; ++k) {
      double factor = l[i * n + k];
      const double *rowK = &inverse[k * n];
      for (int64_t c = 0; c <= k; ++c)
        rowI[c] -= factor * rowK[c];
    }
    rowI[i] += 1.0;
    double diagonal = l[i * n + i];
    for (int64_t c = 0; c <= i; ++c)
      rowI[c] /= diagonal;
  }
  return inverse;
}

} // namespace

llvm::Expected<std::vector<double>>
mlir::tfm::gptqFactor(llvm::ArrayRef<double> hessian, int64_t columns,
                      double damping) {
  int64_t n = columns;
  if (int64_t(hessian.size()) != n * n)
    return llvm::createStringError("GPTQ: a " + std::to_string(n) +
                                   "-column layer needs a " +
                                   std::to_string(n) + " x " +
                                   std::to_string(n) + " matrix");
  double meanDiagonal = 0.0;
  for (int64_t i = 0; i < n; ++i)
    meanDiagonal += hessian[i * n + i] / double(n);
  // U is the inverse of R, the upper-triangular factor with R R^T = H:
  // U^T U = R^-T R^-1 = H^-1. R is the Cholesky factor of H with its rows
  // and columns reversed, reversed back.
  std::vector<double> reversed(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      reversed[(n - 1 - i) * n + (n - 1 - j)] = hessian[i * n + j];
  for (int64_t i = 0; i < n; ++i) {
    double &diagonal = reversed[i * n + i];
    if (diagonal == 0.0)
      diagonal = 1.0;
    diagonal += damping * meanDiagonal;
  }
  if (!choleskyInPlace(reversed, n))
    return llvm::createStringError(
        "GPTQ: the calibration inputs' second moments are not positive "
        "definite (a non-finite activation?)");
  std::vector<double> inverse = invertLower(reversed, n);
  std::vector<double> factor(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      factor[i * n + j] = inverse[(n - 1 - i) * n + (n - 1 - j)];
  return factor;
}

void mlir::tfm::gptqQuantizeRow(GridQuantizer &grid, const float *row,
                                int64_t columns, llvm::ArrayRef<double> factor,
                                uint8_t *out) {
  std::vector<double> w(row, row + columns);
  std::vector<float> block(grid.elements());
  for (int64_t b = 0; b < columns / grid.elements(); ++b) {
    int64_t start = b * grid.elements();
    for (int64_t l = 0; l < grid.elements(); ++l)
      block[l] = float(w[start + l]);
    grid.fit(block.data());
    for (int64_t l = 0; l < grid.elements(); ++l) {
      int64_t j = start + l;
      const double *u = &factor[j * columns];
      double error = (w[j] - grid.round(l, float(w[j]))) / u[j];
      for (int64_t k = j + 1; k < columns; ++k)
        w[k] -= error * u[k];
    }
    grid.write(out + b * grid.bytes());
  }
}
