//===- quantize_activations_x86_64_avx2.cpp - activations to 8-bit blocks -===//
//
// The quantization of quantizeActivationRowGeneric, a 32-element block in
// four 8-lane vectors: the same products, the same maximum, the same
// division and round-to-nearest-even conversion, so the bytes are equal
// for finite inputs (a NaN propagates differently through the maximum).
// The portable loop is scalar (its max and sum are reductions the compiler
// may not reorder), and a prefill quantizes every row of every layer.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "QuantBlocks.h"

#include <immintrin.h>

using namespace tfm::kernels;

namespace {

constexpr int kVectors = kBlock / 8;

/// Largest of the eight lanes of `v`.
float horizontalMax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

/// Sum of the eight lanes of `v`.
int32_t horizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

} // namespace

void tfm::kernels::quantizeActivationRowAvx2(const float *x,
                                             int64_t inFeatures,
                                             const float *weight,
                                             float rowScale, uint8_t *out) {
  int64_t blocks = inFeatures / kBlock;
  ActivationRowOut row = activationRowOut(out, inFeatures);
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 rowScales = _mm256_set1_ps(rowScale);
  // packs interleaves the 128-bit lanes; this puts the bytes back in order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < blocks; ++b) {
    __m256 v[kVectors];
    __m256 absMax = _mm256_setzero_ps();
    for (int i = 0; i < kVectors; ++i) {
      int64_t k = b * kBlock + 8 * i;
      v[i] = _mm256_loadu_ps(x + k);
      if (weight)
        v[i] = _mm256_mul_ps(v[i],
                             _mm256_mul_ps(rowScales, _mm256_loadu_ps(weight + k)));
      absMax = _mm256_max_ps(absMax, _mm256_and_ps(v[i], magnitude));
    }
    float scale = horizontalMax(absMax) / 127.0f;
    float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    __m256 inverses = _mm256_set1_ps(inverse);
    __m256i q[kVectors];
    for (int i = 0; i < kVectors; ++i) {
      // The default MXCSR rounding: to nearest, ties to even.
      q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], inverses));
    }
    // q[0] and q[1] hold elements 0-15.
    __m256i lowSum = _mm256_add_epi32(q[0], q[1]);
    __m256i sum = _mm256_add_epi32(lowSum, _mm256_add_epi32(q[2], q[3]));
    __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]),
                                       _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(row.q + b * kBlock),
                        _mm256_permutevar8x32_epi32(bytes, order));
    int32_t total = horizontalSum(sum);
    row.scale[b] = scale;
    row.scaledSum[b] = scale * float(total);
    row.sum[b] = total;
    row.lowSum[b] = horizontalSum(lowSum);
  }
}
