//===- hmatmul_x86_64_avx512.cpp - 16-bit float weights, AVX-512 ----------===//
//
// HalfMatmulX86.h on 512-bit vectors: an F16 vector widens with one
// vcvtph2ps, a BF16 pair of features with a shift and a mask (its bits are
// the top half of an f32). A prefill tile is 8 tokens x 3 groups (24
// accumulators, 3 widenings per 24 FMAs), a decode reads 3 groups at once.
//
//===----------------------------------------------------------------------===//

#include "HalfMatmulX86.h"

namespace {

using namespace tfm::kernels;

struct Avx512 {
  struct Lanes {
    __m512 v;
  };
  static constexpr int kTileTokens = 8;
  static constexpr int kTileGroups = 3;
  static constexpr int kDecodeGroups = 3;

  /// 16 consecutive 16-bit values of a row.
  template <bool Bf16> static Lanes widenRow(const uint8_t *p) {
    __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    if constexpr (Bf16)
      return {_mm512_castsi512_ps(
          _mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16))};
    return {_mm512_cvtph_ps(bits)};
  }
  /// One feature of an F16_X16 group, or a pair of a BF16_X16 group (its
  /// 32-bit lanes shifted: the first; masked: the second).
  template <bool Bf16> static void widenGroup(const uint8_t *p, Lanes *out) {
    if constexpr (Bf16) {
      __m512i pairs = _mm512_loadu_si512(p);
      out[0] = {_mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16))};
      out[1] = {_mm512_castsi512_ps(
          _mm512_and_si512(pairs, _mm512_set1_epi32(int(0xFFFF0000u))))};
    } else {
      out[0] = widenRow<false>(p);
    }
  }
  static Lanes zero() { return {_mm512_setzero_ps()}; }
  static Lanes load(const float *p) { return {_mm512_loadu_ps(p)}; }
  static void store(float *p, Lanes a) { _mm512_storeu_ps(p, a.v); }
  static Lanes add(Lanes a, Lanes b) { return {_mm512_add_ps(a.v, b.v)}; }
  static Lanes multiplyAdd(float x, Lanes w, Lanes acc) {
    return {_mm512_fmadd_ps(_mm512_set1_ps(x), w.v, acc.v)};
  }
  static Lanes multiplyAddLanes(Lanes x, Lanes w, Lanes acc) {
    return {_mm512_fmadd_ps(x.v, w.v, acc.v)};
  }
  static float sum(Lanes a) { return _mm512_reduce_add_ps(a.v); }
};

} // namespace

void tfm::kernels::halfMatmulAvx512(const QuantizedMatmulArgs &args) {
  halfMatmulX86<Avx512>(args);
}
