//===- HalfMatmulX86.h - 16-bit float weights on x86 vectors ---*- C++ -*-===//
//
// The kernel of the F16 and BF16 formats, included by the x86 variants, each
// compiled for its own ISA (everything is in an anonymous namespace so the
// copies never merge across those files). `Isa` supplies 16 f32 lanes
// (`Lanes`: one zmm, or two ymm), the widening of 16 16-bit weights into
// them, and the register tile.
//
// The weights are widened in registers, exactly, and multiplied by f32
// activations: a 16-bit weight streams half the bytes of an f32 one, so a
// decode reads half as much memory for the same result. Interleaved groups
// (F16_X16, BF16_X16) hold feature k of 16 rows in 32 bytes: one widening
// serves a tile of tokens, each token broadcasting its feature k, and no
// horizontal sum is needed. Row-wise rows (whose count is not a multiple of
// 16) are dot products, a few rows at a time.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_HALFMATMULX86_H
#define TFM_LIB_RUNTIME_KERNELS_HALFMATMULX86_H

#include "Kernels.h"
#include "QuantBlocks.h"

#include <immintrin.h>

namespace tfm::kernels {
namespace {

/// What one call multiplies: f32 activation rows `x` (stride `xStride`
/// floats) by groups of 16 rows (`groupBytes` each) at `weights`.
struct HalfMatmulCall {
  const float *x;
  int64_t xStride;
  int64_t inFeatures;
  const uint8_t *weights;
  int64_t groupBytes;
  float *out;
  int64_t outStride;
  bool accumulate;
};

/// Tokens [token, token + T) times the G groups `group + g * step`: T x G
/// accumulators of 16 lanes, each widened weight vector serving T tokens.
template <class Isa, bool Bf16, int T, int G>
void halfTile(const HalfMatmulCall &call, int64_t group, int64_t token,
              int64_t step = 1) {
  using Lanes = typename Isa::Lanes;
  const uint8_t *w = call.weights + group * call.groupBytes;
  const int64_t stepBytes = step * call.groupBytes;
  const float *x = call.x + token * call.xStride;
  Lanes acc[T][G];
  for (int t = 0; t < T; ++t)
    for (int g = 0; g < G; ++g)
      acc[t][g] = Isa::zero();
  // Features per load: f16 groups hold one feature in 32 bytes, bf16
  // groups a pair of features in 64 (tfm_kernels.h).
  constexpr int kFeatures = Bf16 ? 2 : 1;
  for (int64_t k = 0; k < call.inFeatures; k += kFeatures) {
    // A decode streams each group once: ask for its lines 2 KiB ahead of
    // use (one line per 2 features). Without it one core read 24.0-28.6
    // GB/s of f16 weights, with it 27.7-31.2, as fast as a read loop
    // (tfm-kernel-bench decode/f16, alternating runs).
    if (T == 1 && k % 2 == 0)
      for (int g = 0; g < G; ++g)
        __builtin_prefetch(w + g * stepBytes + k * 2 * kInterleave +
                               kInterleavedPrefetchBytes,
                           0, 3);
    Lanes weights[G][kFeatures];
    for (int g = 0; g < G; ++g)
      Isa::template widenGroup<Bf16>(w + g * stepBytes + k * 2 * kInterleave,
                                     weights[g]);
    for (int f = 0; f < kFeatures; ++f)
      for (int t = 0; t < T; ++t) {
        float value = x[t * call.xStride + k + f];
        for (int g = 0; g < G; ++g)
          acc[t][g] = Isa::multiplyAdd(value, weights[g][f], acc[t][g]);
      }
  }
  for (int t = 0; t < T; ++t)
    for (int g = 0; g < G; ++g) {
      float *out = call.out + (token + t) * call.outStride +
                   (group + g * step) * kInterleave;
      Isa::store(out, call.accumulate ? Isa::add(Isa::load(out), acc[t][g])
                                      : acc[t][g]);
    }
}

/// halfTile for `tokens` (1..T) tokens: the tile of that many.
template <class Isa, bool Bf16, int T, int G>
void halfTileUpTo(const HalfMatmulCall &call, int64_t group, int64_t token,
                  int64_t tokens) {
  if constexpr (T > 1)
    if (tokens < T)
      return halfTileUpTo<Isa, Bf16, T - 1, G>(call, group, token, tokens);
  halfTile<Isa, Bf16, T, G>(call, group, token);
}

/// Every token times `G` groups from `group`, Isa::kTileTokens at a time.
template <class Isa, bool Bf16, int G>
void halfGroups(const HalfMatmulCall &call, int64_t group, int64_t tokens) {
  for (int64_t t = 0; t < tokens; t += Isa::kTileTokens) {
    int64_t count =
        tokens - t < Isa::kTileTokens ? tokens - t : Isa::kTileTokens;
    halfTileUpTo<Isa, Bf16, Isa::kTileTokens, G>(call, group, t, count);
  }
}

/// Interleaved groups: Isa::kTileGroups at a time, then a pair, then one. A
/// group's weights stay in the caches across the token tiles of a
/// prefill. One decode token reads Isa::kDecodeGroups groups at a time, one
/// from each of as many equal runs of the groups: concurrent streams that
/// each run on through consecutive groups (their prefetches run on into
/// the next group of the same stream), however short a group's rows.
template <class Isa, bool Bf16>
void halfMatmulInterleaved(const HalfMatmulCall &call, int64_t groups,
                           int64_t tokens) {
  int64_t g = 0;
  if (tokens == 1) {
    int64_t run = groups / Isa::kDecodeGroups;
    for (int64_t j = 0; j < run; ++j)
      halfTile<Isa, Bf16, 1, Isa::kDecodeGroups>(call, j, 0, run);
    g = run * Isa::kDecodeGroups;
  }
  for (; g + Isa::kTileGroups <= groups; g += Isa::kTileGroups)
    halfGroups<Isa, Bf16, Isa::kTileGroups>(call, g, tokens);
  // Two groups left share each token's broadcast feature.
  if constexpr (Isa::kTileGroups > 2)
    if (g + 2 <= groups) {
      halfGroups<Isa, Bf16, 2>(call, g, tokens);
      g += 2;
    }
  for (; g < groups; ++g)
    halfGroups<Isa, Bf16, 1>(call, g, tokens);
}

/// Row-wise rows: R rows from `row` against one token's `x`, R dot products
/// sharing each activation vector.
template <class Isa, bool Bf16, int R>
void halfRowDots(const QuantizedMatmulArgs &args, const float *x, int64_t row,
                 float *out) {
  using Lanes = typename Isa::Lanes;
  Lanes acc[R];
  for (int i = 0; i < R; ++i)
    acc[i] = Isa::zero();
  const uint8_t *w = args.weights + row * args.rowBytes;
  for (int64_t k = 0; k < args.inFeatures; k += kFloatFormatVector) {
    Lanes activations = Isa::load(x + k);
    for (int i = 0; i < R; ++i)
      acc[i] = Isa::multiplyAddLanes(
          activations,
          Isa::template widenRow<Bf16>(w + i * args.rowBytes + 2 * k), acc[i]);
  }
  for (int i = 0; i < R; ++i) {
    float sum = Isa::sum(acc[i]);
    out[row + i] = args.accumulate ? out[row + i] + sum : sum;
  }
}

template <class Isa, bool Bf16>
void halfMatmulRowWise(const QuantizedMatmulArgs &args) {
  constexpr int kRows = 4;
  for (int64_t t = 0; t < args.tokens; ++t) {
    const auto *x = reinterpret_cast<const float *>(
        static_cast<const uint8_t *>(args.activations) +
        t * args.activationRowBytes);
    float *out = args.out + t * args.outStride;
    int64_t r = 0;
    for (; r + kRows <= args.rows; r += kRows)
      halfRowDots<Isa, Bf16, kRows>(args, x, r, out);
    for (; r < args.rows; ++r)
      halfRowDots<Isa, Bf16, 1>(args, x, r, out);
  }
}

template <class Isa, bool Bf16>
void halfMatmulFor(const QuantizedMatmulArgs &args) {
  if (!isInterleaved(args.format))
    return halfMatmulRowWise<Isa, Bf16>(args);
  HalfMatmulCall call{static_cast<const float *>(args.activations),
                      args.activationRowBytes / int64_t(sizeof(float)),
                      args.inFeatures,
                      args.weights,
                      kInterleave * args.rowBytes,
                      args.out,
                      args.outStride,
                      args.accumulate};
  halfMatmulInterleaved<Isa, Bf16>(call, args.rows / kInterleave, args.tokens);
}

/// The kernel of tfm_quantized_matmul for the float formats on `Isa`.
template <class Isa> void halfMatmulX86(const QuantizedMatmulArgs &args) {
  if (isBf16Format(args.format))
    return halfMatmulFor<Isa, true>(args);
  halfMatmulFor<Isa, false>(args);
}

} // namespace
} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_HALFMATMULX86_H
