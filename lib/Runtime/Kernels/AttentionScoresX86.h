//===- AttentionScoresX86.h - keys scored eight at a time -------*- C++ -*-===//
//
// Included by the x86 attention variants (each compiled for its own ISA,
// AVX2, FMA and F16C at least); everything is in an anonymous namespace so
// the copies never merge across those files. Keys are scored eight at a
// time with one transposing reduction of their eight partial sums instead
// of one horizontal sum per key (for two query heads of a KV group at
// once, each key converted once for both). 256-bit vectors on AVX-512 as
// well: a 64-element head is eight of them per key, and 512-bit ones would
// only lengthen the reduction.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_ATTENTIONSCORESX86_H
#define TFM_LIB_RUNTIME_KERNELS_ATTENTIONSCORESX86_H

#include "AttentionKernel.h"

#include <immintrin.h>
#include <type_traits>

namespace tfm::kernels {
namespace {

/// The scoring half of an attentionFor ISA (AttentionKernel.h): an ISA
/// struct derives from it and adds loadHalf.
struct EightKeyScores {
  /// Elements d .. d+7 of a row as f32 (before the row's scale).
  template <typename Rows>
  static __m256 loadEight(const uint8_t *row, int64_t d) {
    if constexpr (std::is_same_v<Rows, F32Rows>)
      return _mm256_loadu_ps(reinterpret_cast<const float *>(row) + d);
    else if constexpr (std::is_same_v<Rows, Q8Rows>)
      return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i *>(row + d))));
    else if constexpr (std::is_same_v<Rows, BF16Rows>)
      return _mm256_castsi256_ps(_mm256_slli_epi32(
          _mm256_cvtepu16_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 2 * d))),
          16));
    else
      return _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 2 * d)));
  }

  /// Lane k = the sum of the eight lanes of sums[k]: three rounds of
  /// pairwise horizontal adds and one add of the two 128-bit halves.
  static __m256 sumEach(const __m256 (&sums)[8]) {
    __m256 pairs[4];
    for (int k = 0; k < 4; ++k)
      pairs[k] = _mm256_hadd_ps(sums[2 * k], sums[2 * k + 1]);
    __m256 low = _mm256_hadd_ps(pairs[0], pairs[1]);
    __m256 high = _mm256_hadd_ps(pairs[2], pairs[3]);
    return _mm256_add_ps(_mm256_permute2f128_ps(low, high, 0x20),
                         _mm256_permute2f128_ps(low, high, 0x31));
  }

  static constexpr bool kScoresEightKeys = true;

  /// scores[k] = q . key row k, k < 8; headDim is a multiple of 8.
  template <typename Rows>
  static void scoreEightKeys(const float *q, const uint8_t *rows,
                             int64_t stride, int64_t headDim, float *scores) {
    __m256 sums[8];
    for (int k = 0; k < 8; ++k)
      sums[k] = _mm256_setzero_ps();
    for (int64_t d = 0; d < headDim; d += 8) {
      __m256 query = _mm256_loadu_ps(q + d);
      for (int k = 0; k < 8; ++k)
        sums[k] = _mm256_fmadd_ps(query, loadEight<Rows>(rows + k * stride, d),
                                  sums[k]);
    }
    storeScores<Rows>(sums, rows, stride, headDim, scores);
  }

  /// The eight keys' sums reduced, times the rows' scales (q8), stored.
  template <typename Rows>
  static void storeScores(const __m256 (&sums)[8], const uint8_t *rows,
                          int64_t stride, int64_t headDim, float *scores) {
    __m256 result = sumEach(sums);
    if constexpr (std::is_same_v<Rows, Q8Rows>) {
      alignas(32) float rowScales[8];
      for (int k = 0; k < 8; ++k)
        rowScales[k] = Rows::rowScale(rows + k * stride, headDim);
      result = _mm256_mul_ps(result, _mm256_load_ps(rowScales));
    }
    _mm256_storeu_ps(scores, result);
  }

  static constexpr bool kScoresTwoHeads = true;

  /// scoreEightKeys for two query heads: four keys at a time for both
  /// (8 accumulators), each key's elements loaded and converted once. Per
  /// key and head the same sums as scoreEightKeys.
  template <typename Rows>
  static void scoreEightKeysTwoHeads(const float *q0, const float *q1,
                                     const uint8_t *rows, int64_t stride,
                                     int64_t headDim, float *scores0,
                                     float *scores1) {
    __m256 sums0[8], sums1[8];
    for (int half = 0; half < 2; ++half) {
      __m256 a[4], b[4];
      for (int k = 0; k < 4; ++k)
        a[k] = b[k] = _mm256_setzero_ps();
      for (int64_t d = 0; d < headDim; d += 8) {
        __m256 query0 = _mm256_loadu_ps(q0 + d);
        __m256 query1 = _mm256_loadu_ps(q1 + d);
        for (int k = 0; k < 4; ++k) {
          __m256 key = loadEight<Rows>(rows + (4 * half + k) * stride, d);
          a[k] = _mm256_fmadd_ps(query0, key, a[k]);
          b[k] = _mm256_fmadd_ps(query1, key, b[k]);
        }
      }
      for (int k = 0; k < 4; ++k) {
        sums0[4 * half + k] = a[k];
        sums1[4 * half + k] = b[k];
      }
    }
    storeScores<Rows>(sums0, rows, stride, headDim, scores0);
    storeScores<Rows>(sums1, rows, stride, headDim, scores1);
  }
};

} // namespace
} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_ATTENTIONSCORESX86_H
