//===- hmatmul_x86_64_avx2.cpp - 16-bit float weights, AVX2 + F16C --------===//
//
// HalfMatmulX86.h on pairs of 256-bit vectors (16 lanes): F16 widens with
// F16C's vcvtph2ps, BF16 with a zero extension and a shift. Sixteen ymm
// registers hold a tile of 4 tokens x 1 group (8 accumulators, 2 weight
// vectors); a decode reads 3 groups at once (6 accumulators).
//
//===----------------------------------------------------------------------===//

#include "HalfMatmulX86.h"

namespace {

using namespace tfm::kernels;

struct Avx2 {
  struct Lanes {
    __m256 low, high;
  };
  static constexpr int kTileTokens = 4;
  static constexpr int kTileGroups = 1;
  static constexpr int kDecodeGroups = 3;

  static __m256 widen8(__m128i bits, bool bf16) {
    return bf16 ? _mm256_castsi256_ps(
                      _mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16))
                : _mm256_cvtph_ps(bits);
  }
  /// 16 consecutive 16-bit values of a row.
  template <bool Bf16> static Lanes widenRow(const uint8_t *p) {
    const auto *halves = reinterpret_cast<const __m128i *>(p);
    return {widen8(_mm_loadu_si128(halves), Bf16),
            widen8(_mm_loadu_si128(halves + 1), Bf16)};
  }
  /// One feature of an F16_X16 group, or a pair of a BF16_X16 group (rows
  /// 0-7 in the first 32 bytes; the 32-bit lanes shifted: the first
  /// feature; masked: the second).
  template <bool Bf16> static void widenGroup(const uint8_t *p, Lanes *out) {
    if constexpr (Bf16) {
      const auto *words = reinterpret_cast<const __m256i *>(p);
      __m256i low = _mm256_loadu_si256(words);
      __m256i high = _mm256_loadu_si256(words + 1);
      __m256i mask = _mm256_set1_epi32(int(0xFFFF0000u));
      out[0] = {_mm256_castsi256_ps(_mm256_slli_epi32(low, 16)),
                _mm256_castsi256_ps(_mm256_slli_epi32(high, 16))};
      out[1] = {_mm256_castsi256_ps(_mm256_and_si256(low, mask)),
                _mm256_castsi256_ps(_mm256_and_si256(high, mask))};
    } else {
      out[0] = widenRow<false>(p);
    }
  }
  static Lanes zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static Lanes load(const float *p) {
    return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
  }
  static void store(float *p, Lanes a) {
    _mm256_storeu_ps(p, a.low);
    _mm256_storeu_ps(p + 8, a.high);
  }
  static Lanes add(Lanes a, Lanes b) {
    return {_mm256_add_ps(a.low, b.low), _mm256_add_ps(a.high, b.high)};
  }
  static Lanes multiplyAdd(float x, Lanes w, Lanes acc) {
    __m256 broadcast = _mm256_set1_ps(x);
    return {_mm256_fmadd_ps(broadcast, w.low, acc.low),
            _mm256_fmadd_ps(broadcast, w.high, acc.high)};
  }
  static Lanes multiplyAddLanes(Lanes x, Lanes w, Lanes acc) {
    return {_mm256_fmadd_ps(x.low, w.low, acc.low),
            _mm256_fmadd_ps(x.high, w.high, acc.high)};
  }
  static float sum(Lanes a) {
    __m256 both = _mm256_add_ps(a.low, a.high);
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(both),
                             _mm256_extractf128_ps(both, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_movehdup_ps(half));
    return _mm_cvtss_f32(half);
  }
};

} // namespace

void tfm::kernels::halfMatmulAvx2(const QuantizedMatmulArgs &args) {
  halfMatmulX86<Avx2>(args);
}
