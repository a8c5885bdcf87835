//===- Gptq.cpp - rounding weights against their inputs' statistics -------===//
//
// Dense double-precision linear algebra on matrices of a layer's input
// width (up to a few thousand): row-major, inner loops over contiguous
// rows so the compiler vectorizes them.
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Gptq.h"

#include <algorithm>
#include <cmath>

using namespace mlir::tfm;

namespace {

/// A dot product in four partial sums, independent chains the compiler can
/// vectorize (one chain waits on each add): element k goes to sum k mod 4
/// while whole chunks of four last, the rest to sum 0.
struct PartialSums {
  double sums[4] = {0.0, 0.0, 0.0, 0.0};
  /// Adds a_k b_k for k in [begin, end), whole chunks of four.
  void addChunks(const double *a, const double *b, int64_t begin,
                 int64_t end) {
    for (int64_t k = begin; k + 4 <= end; k += 4)
      for (int p = 0; p < 4; ++p)
        sums[p] += a[k + p] * b[k + p];
  }
  /// Adds a_k b_k for k in [begin, end) to sum 0, one after another.
  void addTail(const double *a, const double *b, int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k)
      sums[0] += a[k] * b[k];
  }
  double total() const { return (sums[0] + sums[1]) + (sums[2] + sums[3]); }
};

/// Lower-triangular L with L L^T = `a` (n x n, row-major), in place; false
/// if `a` is not positive definite. Row i of column j is (a_ij - dot(row
/// i, row j, j)) / l_jj, the dot in four partial sums (element k to sum k
/// mod 4 while whole chunks of four last, the rest to sum 0). Columns go
/// kColumns at a time from a multiple of kColumns: their dots share the
/// chunks below the block (taken four columns at a time, whose partial
/// sums stay in registers, the row from L1) and go on alone inside it.
/// Each row below is read from memory once per kColumns columns instead
/// of once per column (the lower triangle of a 2816-wide matrix, 30 MiB,
/// does not stay in cache); every dot keeps the order of one dot at a
/// time: the same bits.
bool choleskyInPlace(std::vector<double> &a, int64_t n) {
  constexpr int64_t kColumns = 16;
  for (int64_t j0 = 0; j0 < n; j0 += kColumns) {
    int64_t columns = std::min(kColumns, n - j0);
    const double *rowsJ[kColumns];
    for (int64_t c = 0; c < kColumns; ++c)
      rowsJ[c] = &a[std::min(j0 + c, n - 1) * n];
    for (int64_t i = j0; i < n; ++i) {
      double *rowI = &a[i * n];
      // Rows in the block cross the diagonal: only their columns c <= i - j0.
      int64_t below = std::min(columns, i - j0 + 1);
      PartialSums partial[kColumns];
      for (int64_t c0 = 0; c0 < below; c0 += 4)
        for (int64_t k = 0; k < j0; k += 4)
          for (int64_t c = c0; c < c0 + 4; ++c)
            partial[c].addChunks(rowI, rowsJ[c], k, k + 4);
      for (int64_t c = 0; c < below; ++c) {
        int64_t j = j0 + c, chunks = j0 + c / 4 * 4;
        partial[c].addChunks(rowI, rowsJ[c], j0, chunks);
        partial[c].addTail(rowI, rowsJ[c], chunks, j);
        double sum = rowI[j] - partial[c].total();
        if (i == j) {
          if (!(sum > 0.0) || !std::isfinite(sum))
            return false;
          rowI[j] = std::sqrt(sum);
        } else {
          rowI[j] = sum / rowsJ[c][j];
        }
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
/// l_ii. Rows go kRows at a time: each finished row k above them is read
/// from memory once for all of them (then from cache; the rows above the
/// block first, then the block's own rows one after another), each row's
/// terms in the order of k as one row at a time would take them.
std::vector<double> invertLower(const std::vector<double> &l, int64_t n) {
  constexpr int64_t kRows = 16;
  std::vector<double> inverse(n * n, 0.0);
  for (int64_t i0 = 0; i0 < n; i0 += kRows) {
    int64_t rows = std::min(kRows, n - i0);
    for (int64_t k = 0; k < i0; ++k) {
      const double *rowK = &inverse[k * n];
      for (int64_t i = i0; i < i0 + rows; ++i) {
        double factor = l[i * n + k];
        double *rowI = &inverse[i * n];
        for (int64_t c = 0; c <= k; ++c)
          rowI[c] -= factor * rowK[c];
      }
    }
    for (int64_t i = i0; i < i0 + rows; ++i) {
      double *rowI = &inverse[i * n];
      for (int64_t k = i0; k < i; ++k) {
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

namespace {

/// Rounding rows in passes of kRowsPerPass, so each row of U is read once
/// per pass from cache rather than once per row from memory (U of a
/// 2048-wide layer is 32 MiB). Per row, the arithmetic is the same either
/// way.
constexpr int64_t kRowsPerPass = 16;

/// Rows [r0, r0 + count) of the weights being rounded (`w`, the pass's
/// rows, updated as the rounding goes), their block quantizers and U.
struct RoundingPass {
  double *w;
  int64_t count, columns;
  GridQuantizer *grids;
  const double *factor;

  /// Rounds columns [j, j + Columns) of every row of the pass (all in the
  /// block that starts at `blockStart`) and pushes each column's error onto
  /// the columns after it: first onto the group's own later columns, one
  /// column after another, then onto the rest of the row, all of the
  /// group's errors in one sweep in tiles of U's rows that stay in L1.
  /// Each weight gets the same updates in the same order as one column at
  /// a time would give it: the same bits, the rows read 1/Columns as
  /// often.
  template <int Columns>
  void roundColumns(int64_t j, int64_t blockStart) {
    const double *u[Columns];
    for (int c = 0; c < Columns; ++c)
      u[c] = &factor[(j + c) * columns];
    double errors[kRowsPerPass][Columns];
    for (int64_t r = 0; r < count; ++r) {
      double *row = &w[r * columns];
      for (int c = 0; c < Columns; ++c) {
        double value = row[j + c];
        errors[r][c] =
            (value - grids[r].round(j + c - blockStart, float(value))) /
            u[c][j + c];
        for (int later = c + 1; later < Columns; ++later)
          row[j + later] -= errors[r][c] * u[c][j + later];
      }
    }
    constexpr int64_t kTile = 256;
    for (int64_t k0 = j + Columns; k0 < columns; k0 += kTile) {
      int64_t k1 = std::min(columns, k0 + kTile);
      for (int64_t r = 0; r < count; ++r) {
        double *row = &w[r * columns];
        for (int64_t k = k0; k < k1; ++k) {
          double value = row[k];
          for (int c = 0; c < Columns; ++c)
            value -= errors[r][c] * u[c][k];
          row[k] = value;
        }
      }
    }
  }
};

} // namespace

void mlir::tfm::gptqQuantizeRows(QuantScheme scheme, const float *weights,
                                 int64_t rows, int64_t columns,
                                 llvm::ArrayRef<double> factor, uint8_t *out) {
  GridQuantizer first = *GridQuantizer::create(scheme, columns);
  int64_t elements = first.elements(), rowBytes = quantRowBytes(scheme, columns);
  std::vector<float> block(elements);
  for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerPass) {
    int64_t count = std::min(kRowsPerPass, rows - r0);
    std::vector<double> w(weights + r0 * columns,
                          weights + (r0 + count) * columns);
    std::vector<GridQuantizer> grids(count, first);
    RoundingPass pass{w.data(), count, columns, grids.data(), factor.data()};
    for (int64_t start = 0; start < columns; start += elements) {
      for (int64_t r = 0; r < count; ++r) {
        for (int64_t l = 0; l < elements; ++l)
          block[l] = float(w[r * columns + start + l]);
        grids[r].fit(block.data());
      }
      int64_t j = start, end = start + elements;
      for (; j + 4 <= end; j += 4)
        pass.roundColumns<4>(j, start);
      for (; j < end; ++j)
        pass.roundColumns<1>(j, start);
      for (int64_t r = 0; r < count; ++r)
        grids[r].write(out + (r0 + r) * rowBytes +
                       start / elements * first.bytes());
    }
  }
}
