//===- quantize_activations_x86_64_avx512.cpp - activations to 8-bit blocks ===//
//
// quantizeActivationRowGeneric's bytes, 16 blocks of 32 elements at a time.
// A block's maximum, sum and sum of its first 16 codes are reductions of
// 16-lane vectors; the AVX2 code reduces each block's on its own (a
// shuffle tree a value, a scalar division a block), which made it ~7% of a
// 512-token llama-336m-gqa q8_0 prefill. Here the 16 blocks' vectors are
// reduced together, one lane a block: each round pairs the blocks' partial
// results of two vectors by two permutes and one max (or add), halving
// them, so 15 rounds take 16 vectors to one. The scales and their
// inverses are then one division each for the 16 blocks, and each of the
// row's four per-block planes gets one store. The same products, maximum,
// divisions and round-to-nearest-even conversion as the generic code: the
// bytes are equal for finite inputs.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "QuantBlocks.h"

#include <immintrin.h>

using namespace tfm::kernels;

namespace {

/// Blocks reduced together: one lane each.
constexpr int kGroupBlocks = 16;

/// The lanes a reduction round takes from two vectors whose blocks hold 2
/// x `half` partial results each: the first halves of each block's (or
/// the second, `high`), the first vector's blocks then the second's
/// (permutex2var indices: 16.. name the second vector's lanes).
struct RoundLanes {
  alignas(64) int32_t index[16];
};
constexpr RoundLanes roundLanes(int half, bool high) {
  RoundLanes lanes{};
  int out = 0;
  for (int source = 0; source < 2; ++source)
    for (int block = 0; block < 16 / (2 * half); ++block)
      for (int l = 0; l < half; ++l)
        lanes.index[out++] =
            16 * source + 2 * half * block + (high ? half : 0) + l;
  return lanes;
}
template <int Half, bool High>
constexpr RoundLanes kRoundLanes = roundLanes(Half, High);

template <int Half, bool High> __m512i round(__m512i a, __m512i b) {
  return _mm512_permutex2var_epi32(
      a, _mm512_load_si512(kRoundLanes<Half, High>.index), b);
}

/// The blocks' maxima of |x| (as f32 bits) while reducing.
struct Maxima {
  __m512i bits;
};
template <int Half> Maxima combine(Maxima a, Maxima b) {
  return {_mm512_castps_si512(_mm512_max_ps(
      _mm512_castsi512_ps(round<Half, false>(a.bits, b.bits)),
      _mm512_castsi512_ps(round<Half, true>(a.bits, b.bits))))};
}

/// The blocks' sums of their first 16 codes and of all 32 while reducing.
struct Sums {
  __m512i low, all;
};
template <int Half> Sums combine(Sums a, Sums b) {
  return {_mm512_add_epi32(round<Half, false>(a.low, b.low),
                           round<Half, true>(a.low, b.low)),
          _mm512_add_epi32(round<Half, false>(a.all, b.all),
                           round<Half, true>(a.all, b.all))};
}

/// Blocks first.. first + Blocks - 1 of a group, `leaf(b)` each (16
/// partial results a block), reduced to Blocks x 16 / Blocks lanes: for
/// Blocks = 16, lane b holds block b's result. Inlined whole (the leaves
/// too): as calls, the 16-block trees spilled their vectors around each.
template <int Blocks, typename Leaf>
[[gnu::always_inline]] inline auto reduceBlocks(int first, Leaf &leaf) {
  if constexpr (Blocks == 1) {
    return leaf(first);
  } else {
    auto low = reduceBlocks<Blocks / 2>(first, leaf);
    auto high = reduceBlocks<Blocks / 2>(first + Blocks / 2, leaf);
    return combine<16 / Blocks>(low, high);
  }
}

/// The 32 elements of block `block` of the row, times `rowScale *
/// weight[k]` when there are norm weights (the generic code's products).
struct BlockValues {
  __m512 v[2];
  BlockValues(const float *x, const float *weight, __m512 rowScale,
              int64_t block) {
    for (int h = 0; h < 2; ++h) {
      int64_t k = block * kBlock + 16 * h;
      v[h] = _mm512_loadu_ps(x + k);
      if (weight)
        v[h] = _mm512_mul_ps(
            v[h], _mm512_mul_ps(rowScale, _mm512_loadu_ps(weight + k)));
    }
  }
};

} // namespace

void tfm::kernels::quantizeActivationRowAvx512(const float *x,
                                               int64_t inFeatures,
                                               const float *weight,
                                               float rowScale, uint8_t *out) {
  int64_t blocks = inFeatures / kBlock;
  ActivationRowOut row = activationRowOut(out, inFeatures);
  const __m512 rowScales = _mm512_set1_ps(rowScale);
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t first = 0; first < blocks; first += kGroupBlocks) {
    // The last group may hold fewer blocks: the others reduce zeros, and
    // their lanes are not stored.
    int count = int(blocks - first < kGroupBlocks ? blocks - first
                                                  : kGroupBlocks);
    __mmask16 valid = __mmask16((1u << count) - 1);
    auto magnitudes = [&](int b) -> Maxima {
      if (b >= count)
        return {_mm512_setzero_si512()};
      BlockValues block(x, weight, rowScales, first + b);
      return {_mm512_castps_si512(_mm512_max_ps(_mm512_abs_ps(block.v[0]),
                                                _mm512_abs_ps(block.v[1])))};
    };
    __m512 maxima =
        _mm512_castsi512_ps(reduceBlocks<kGroupBlocks>(0, magnitudes).bits);
    __m512 groupScales = _mm512_div_ps(maxima, _mm512_set1_ps(127.0f));
    __m512 inverses = _mm512_maskz_div_ps(
        _mm512_cmp_ps_mask(groupScales, zero, _CMP_GT_OQ),
        _mm512_set1_ps(1.0f), groupScales);
    alignas(64) float inverse[kGroupBlocks];
    _mm512_store_ps(inverse, inverses);
    auto codes = [&](int b) -> Sums {
      if (b >= count)
        return {_mm512_setzero_si512(), _mm512_setzero_si512()};
      // The block again, from L1: the group's 32 vectors would not stay
      // in registers from the first reduction to this one.
      BlockValues block(x, weight, rowScales, first + b);
      __m512 by = _mm512_set1_ps(inverse[b]);
      // The default MXCSR rounding: to nearest, ties to even.
      __m512i low = _mm512_cvtps_epi32(_mm512_mul_ps(block.v[0], by));
      __m512i high = _mm512_cvtps_epi32(_mm512_mul_ps(block.v[1], by));
      int8_t *bytes = row.q + (first + b) * kBlock;
      _mm_storeu_si128(reinterpret_cast<__m128i *>(bytes),
                       _mm512_cvtsepi32_epi8(low));
      _mm_storeu_si128(reinterpret_cast<__m128i *>(bytes + 16),
                       _mm512_cvtsepi32_epi8(high));
      return {low, _mm512_add_epi32(low, high)};
    };
    Sums groupSums = reduceBlocks<kGroupBlocks>(0, codes);
    _mm512_mask_storeu_ps(row.scale + first, valid, groupScales);
    _mm512_mask_storeu_ps(
        row.scaledSum + first, valid,
        _mm512_mul_ps(groupScales, _mm512_cvtepi32_ps(groupSums.all)));
    _mm512_mask_storeu_epi32(row.sum + first, valid, groupSums.all);
    _mm512_mask_storeu_epi32(row.lowSum + first, valid, groupSums.low);
  }
}
