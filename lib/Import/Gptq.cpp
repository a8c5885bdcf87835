//===- Gptq.cpp - rounding weights against their inputs' statistics -------===//
//
// Dense double-precision linear algebra on matrices of a layer's input
// width (up to a few thousand): row-major, inner loops over contiguous
// rows so the compiler vectorizes them.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/Gptq.h"

#include <algorithm>
#include <cmath>

using namespace mlir::tfm;

namespace {

/// sum_k<n a_k b_k in four partial sums: independent chains the compiler
/// can vectorize (one chain waits on each add).
double dot(const double *a, const double *b, int64_t n) {
  double partial[4] = {0.0, 0.0, 0.0, 0.0};
  int64_t k = 0;
  for (; k + 4 <= n; k += 4)
    for (int p = 0; p < 4; ++p)
      partial[p] += a[k + p] * b[k + p];
  for (; k < n; ++k)
    partial[0] += a[k] * b[k];
  return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

/// Lower-triangular L with L L^T = `a` (n x n, row-major), in place; false
/// if `a` is not positive definite.
bool choleskyInPlace(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double *rowJ = &a[j * n];
    for (int64_t i = j; i < n; ++i) {
      double *rowI = &a[i * n];
      double sum = rowI[j] - dot(rowI, rowJ, j);
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

void mlir::tfm::gptqQuantizeRows(QuantScheme scheme, const float *weights,
                                 int64_t rows, int64_t columns,
                                 llvm::ArrayRef<double> factor, uint8_t *out) {
  // Rows in passes of kRowsPerPass, so each row of U is read once per pass
  // from cache rather than once per row from memory (U of a 2048-wide
  // layer is 32 MiB). Per row, the arithmetic is the same either way.
  constexpr int64_t kRowsPerPass = 16;
  GridQuantizer first = *GridQuantizer::create(scheme, columns);
  int64_t elements = first.elements(), rowBytes = quantRowBytes(scheme, columns);
  std::vector<float> block(elements);
  for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerPass) {
    int64_t count = std::min(kRowsPerPass, rows - r0);
    std::vector<double> w(weights + r0 * columns,
                          weights + (r0 + count) * columns);
    std::vector<GridQuantizer> grids(count, first);
    double errors[kRowsPerPass];
    for (int64_t start = 0; start < columns; start += elements) {
      for (int64_t r = 0; r < count; ++r) {
        for (int64_t l = 0; l < elements; ++l)
          block[l] = float(w[r * columns + start + l]);
        grids[r].fit(block.data());
      }
      for (int64_t j = start; j < start + elements; ++j) {
        const double *u = &factor[j * columns];
        for (int64_t r = 0; r < count; ++r) {
          double value = w[r * columns + j];
          errors[r] = (value - grids[r].round(j - start, float(value))) / u[j];
        }
        for (int64_t r = 0; r < count; ++r) {
          double *row = &w[r * columns];
          for (int64_t k = j + 1; k < columns; ++k)
            row[k] -= errors[r] * u[k];
        }
      }
      for (int64_t r = 0; r < count; ++r)
        grids[r].write(out + (r0 + r) * rowBytes +
                       start / elements * first.bytes());
    }
  }
}
