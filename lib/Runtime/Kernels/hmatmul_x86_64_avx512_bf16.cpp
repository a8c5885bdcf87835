//===- hmatmul_x86_64_avx512_bf16.cpp - BF16 prefill on vdpbf16ps ---------===//
//
// The prefill of BF16_X16 weights on AVX512-BF16: one vdpbf16ps multiplies
// a pair of features of 16 rows (64 bytes of the group, as stored) by a
// token's pair of activations rounded to bf16 (the copy beside the f32 row,
// broadcast as one 32-bit value) and adds both products to the 16 f32
// lanes: two multiply-adds per lane and instruction, where the f32 path
// widens the weights and does one. The activations lose their low mantissa
// bits as in llama.cpp's BF16 kernels; Dispatch.cpp uses this for calls of
// TFM_BF16_DOT_MIN_TOKENS tokens or more only, a decode keeps f32.
//
// Tiles of 8 tokens x 3 groups (24 accumulators), as the f32 kernel's.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "QuantBlocks.h"

#include <immintrin.h>

using namespace tfm::kernels;

namespace {

constexpr int kTileTokens = 8;
constexpr int kTileGroups = 3;

/// The bf16 activation rows (`x`, `xStride` bytes apart) against groups of
/// `pairs` feature pairs at `weights`.
struct DotCall {
  const uint8_t *x;
  int64_t xStride;
  int64_t pairs;
  const uint8_t *weights;
  int64_t groupBytes;
  float *out;
  int64_t outStride;
  bool accumulate;
};

/// Tokens [token, token + T) times groups [group, group + G).
template <int T, int G>
void dotTile(const DotCall &call, int64_t group, int64_t token) {
  const uint8_t *w = call.weights + group * call.groupBytes;
  const uint8_t *x = call.x + token * call.xStride;
  __m512 acc[T][G];
  for (int t = 0; t < T; ++t)
    for (int g = 0; g < G; ++g)
      acc[t][g] = _mm512_setzero_ps();
  for (int64_t j = 0; j < call.pairs; ++j) {
    __m512bh weights[G];
    for (int g = 0; g < G; ++g)
      weights[g] =
          (__m512bh)_mm512_loadu_si512(w + g * call.groupBytes + 64 * j);
    for (int t = 0; t < T; ++t) {
      int32_t pair;
      std::memcpy(&pair, x + t * call.xStride + 4 * j, sizeof(pair));
      auto activations = (__m512bh)_mm512_set1_epi32(pair);
      for (int g = 0; g < G; ++g)
        acc[t][g] = _mm512_dpbf16_ps(acc[t][g], weights[g], activations);
    }
  }
  for (int t = 0; t < T; ++t)
    for (int g = 0; g < G; ++g) {
      float *out = call.out + (token + t) * call.outStride +
                   (group + g) * kInterleave;
      _mm512_storeu_ps(out, call.accumulate
                                ? _mm512_add_ps(_mm512_loadu_ps(out), acc[t][g])
                                : acc[t][g]);
    }
}

/// dotTile for `tokens` (1..T) tokens.
template <int T, int G>
void dotTileUpTo(const DotCall &call, int64_t group, int64_t token,
                 int64_t tokens) {
  if constexpr (T > 1)
    if (tokens < T)
      return dotTileUpTo<T - 1, G>(call, group, token, tokens);
  dotTile<T, G>(call, group, token);
}

/// Every token times G groups from `group`; the groups stay in the caches
/// across the token tiles.
template <int G>
void dotGroups(const DotCall &call, int64_t group, int64_t tokens) {
  for (int64_t t = 0; t < tokens; t += kTileTokens) {
    int64_t count = tokens - t < kTileTokens ? tokens - t : kTileTokens;
    dotTileUpTo<kTileTokens, G>(call, group, t, count);
  }
}

} // namespace

void tfm::kernels::halfMatmulAvx512Bf16Dot(const QuantizedMatmulArgs &args) {
  DotCall call{static_cast<const uint8_t *>(args.activations) +
                   args.inFeatures * int64_t(sizeof(float)),
               args.activationRowBytes,
               args.inFeatures / 2,
               args.weights,
               kInterleave * args.rowBytes,
               args.out,
               args.outStride,
               args.accumulate};
  int64_t groups = args.rows / kInterleave, g = 0;
  for (; g + kTileGroups <= groups; g += kTileGroups)
    dotGroups<kTileGroups>(call, g, args.tokens);
  // Two groups left share each token's activation pair.
  if (g + 2 <= groups) {
    dotGroups<2>(call, g, args.tokens);
    g += 2;
  }
  for (; g < groups; ++g)
    dotGroups<1>(call, g, args.tokens);
}
