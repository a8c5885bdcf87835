//===- QuantizedMatmulX86.h - AVX2 block decoders and the kernel -*- C++ -*-===//
//
// Included by the x86 variants, each compiled for its own ISA; everything is
// in an anonymous namespace so the copies never merge across those files.
// `DotI8` supplies the one instruction sequence that differs: the 8-bit dot
// product of |a| (unsigned) and w * sign(a) (signed) into 8 int32 lanes,
// lane i summing bytes 4i..4i+3.
//
// A block is decoded once per row and token in registers (a row stays in L1
// across the tokens of a prefill).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_QUANTIZEDMATMULX86_H
#define TFM_LIB_RUNTIME_KERNELS_QUANTIZEDMATMULX86_H

#include "Kernels.h"
#include "QuantBlocks.h"

#include <immintrin.h>
#include <type_traits>



namespace tfm::kernels {
namespace {

/// A decoded block: 32 int8 weights, the per-lane scale (lanes 0-3 cover
/// elements 0-15, lanes 4-7 elements 16-31) and the offset.
struct VectorBlock {
  __m256i q;
  __m256 scale;
  float min;
};

/// One f16 broadcast to 8 f32 lanes. Scalar conversions (_cvtsh_ss) compile
/// to vpinsrw into whatever register is free, here the accumulator, and
/// that false dependency chained every block to the previous block's
/// accumulation (decode 2.5x slower); a full-width conversion has none.
inline __m256 broadcastHalf(const uint8_t *p) {
  int16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return _mm256_cvtph_ps(_mm_set1_epi16(bits));
}

inline float lane0(__m256 v) { return _mm256_cvtss_f32(v); }

inline __m256i loadBytes(const uint8_t *p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
}

/// 16 bytes of nibbles -> elements 0-15 (low nibbles), 16-31 (high).
inline __m256i unpackNibbles(const uint8_t *p) {
  __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
  __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

template <int Format> struct Decoder;

template <> struct Decoder<TFM_QUANT_Q8_0> {
  static constexpr int64_t bytesPerBlock = 34;
  static constexpr bool hasMin = false;
  static VectorBlock decode(const uint8_t *row, int64_t, int64_t b) {
    const uint8_t *block = row + b * kQ8_0Bytes;
    return {loadBytes(block + 2), broadcastHalf(block), 0.0f};
  }
};

template <> struct Decoder<TFM_QUANT_Q4_0> {
  static constexpr int64_t bytesPerBlock = 18;
  // Nibbles - 8 in -8..7: one vector subtract instead of a scalar offset
  // term per block.
  static constexpr bool hasMin = false;
  static VectorBlock decode(const uint8_t *row, int64_t, int64_t b) {
    const uint8_t *block = row + b * kQ4_0Bytes;
    __m256i q = _mm256_sub_epi8(unpackNibbles(block + 2), _mm256_set1_epi8(8));
    return {q, broadcastHalf(block), 0.0f};
  }
};

template <> struct Decoder<TFM_QUANT_Q4_1> {
  static constexpr int64_t bytesPerBlock = 20;
  static constexpr bool hasMin = true;
  static VectorBlock decode(const uint8_t *row, int64_t, int64_t b) {
    const uint8_t *block = row + b * kQ4_1Bytes;
    return {unpackNibbles(block + 4), broadcastHalf(block),
            lane0(broadcastHalf(block + 2))};
  }
};

template <> struct Decoder<TFM_QUANT_INT4> {
  static constexpr int64_t bytesPerBlock = 20;
  static constexpr bool hasMin = true;
  static VectorBlock decode(const uint8_t *row, int64_t group, int64_t b) {
    const uint8_t *header, *nibbles;
    int4Block(row, group, b, header, nibbles);
    return {unpackNibbles(nibbles), broadcastHalf(header),
            lane0(broadcastHalf(header + 2))};
  }
};

template <> struct Decoder<TFM_QUANT_INT8> {
  static constexpr int64_t bytesPerBlock = 32;
  static constexpr bool hasMin = false;
  static VectorBlock decode(const uint8_t *row, int64_t, int64_t b) {
    return {loadBytes(row + 4 + b * kBlock), _mm256_set1_ps(loadFloat(row)),
            0.0f};
  }
};

/// How far ahead of the current block the rows are prefetched.
constexpr int64_t kPrefetchBytes = 768;

inline float horizontalSum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

/// One activation block as every row's block product needs it.
struct ActivationBlock {
  __m256i x, absX;
  __m256 scale;
  float scaledSum;
};

inline ActivationBlock loadActivationBlock(const ActivationRow &a, int64_t b) {
  __m256i x = loadBytes(reinterpret_cast<const uint8_t *>(a.q + b * kBlock));
  return {x, _mm256_abs_epi8(x), _mm256_set1_ps(a.scale[b]), a.scaledSum[b]};
}

/// The contribution of block `b` of `row` to its dot product with `x`,
/// added to `acc` (and the offset term to `minAcc`).
template <typename DotI8, int Format>
inline void accumulateBlock(const QuantizedMatmulArgs &args, const uint8_t *row,
                            const ActivationBlock &x, int64_t b, __m256 &acc,
                            float &minAcc) {
  using D = Decoder<Format>;
  VectorBlock w = D::decode(row, args.group, b);
  __m256i dot = DotI8::dot(x.absX, _mm256_sign_epi8(w.q, x.x));
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(w.scale, x.scale),
                        acc);
  if constexpr (D::hasMin)
    minAcc += w.min * x.scaledSum;
}

/// Selects a format's row products by overload: the generic dotRows and
/// dotRowTokens take every Decoder format, the q4_k and q6_k overloads
/// their super-block forms.
template <int Format> struct FormatTag {};

/// Weight streams a memory-bound call reads at once, and up to how many
/// tokens a call counts as memory-bound (qmatmul_x86_64_avx2.cpp has the
/// measurements). A core's hardware prefetchers follow each sequential
/// stream separately, so several streams pull more bandwidth than one.
constexpr int kStreams = 4;
constexpr int64_t kStreamedTokens = 3;

/// One token's activations . the `Rows` rows at `rows`, each activation
/// block loaded once for all of them. Two blocks per step into two
/// accumulators per row: with one, the fused multiply-add latency of every
/// block is on the critical path.
template <typename DotI8, int Rows, int Format>
void dotRows(FormatTag<Format>, const QuantizedMatmulArgs &args,
             const uint8_t *const (&rows)[Rows], const ActivationRow &a,
             float (&out)[Rows]) {
  using D = Decoder<Format>;
  __m256 acc[Rows][2];
  float minAcc[Rows][2];
  for (int i = 0; i < Rows; ++i)
    for (int j = 0; j < 2; ++j) {
      acc[i][j] = _mm256_setzero_ps();
      minAcc[i][j] = 0.0f;
    }
  auto step = [&](int64_t b, int j) {
    ActivationBlock x = loadActivationBlock(a, b);
#pragma GCC unroll 4
    for (int i = 0; i < Rows; ++i)
      accumulateBlock<DotI8, Format>(args, rows[i], x, b, acc[i][j],
                                     minAcc[i][j]);
  };
  int64_t blocks = args.inFeatures / kBlock, b = 0;
  for (; b + 2 <= blocks; b += 2) {
    // One row alone is one stream: ask for lines ahead of the decoder.
    if (Rows == 1)
      _mm_prefetch(reinterpret_cast<const char *>(
                       rows[0] + b * D::bytesPerBlock + kPrefetchBytes),
                   _MM_HINT_T0);
    step(b, 0);
    step(b + 1, 1);
  }
  if (b < blocks)
    step(b, 0);
  for (int i = 0; i < Rows; ++i)
    out[i] = horizontalSum(_mm256_add_ps(acc[i][0], acc[i][1])) +
             minAcc[i][0] + minAcc[i][1];
}

/// The 8 6-bit scales and 8 6-bit minimums of a q4_k super-block from its
/// 12 packed bytes (GGML's layout: scales and minimums 0-3 in the low 6
/// bits of bytes 0-3 and 4-7, the low 4 bits of 4-7 in the nibbles of
/// bytes 8-11 and their high 2 bits in the top bits of bytes 0-3 and 4-7),
/// four at a time in 32-bit words, as bytes 0-7 of `scales` and `mins`.
inline void unpackScalesMinsK4(const uint8_t *packed, uint8_t (&scales)[8],
                               uint8_t (&mins)[8]) {
  uint32_t w[3];
  std::memcpy(w, packed, sizeof(w));
  const uint32_t low6 = 0x3F3F3F3F, low4 = 0x0F0F0F0F, top2 = 0x03030303;
  uint32_t s[2] = {w[0] & low6, (w[2] & low4) | (((w[0] >> 6) & top2) << 4)};
  uint32_t m[2] = {w[1] & low6,
                   ((w[2] >> 4) & low4) | (((w[1] >> 6) & top2) << 4)};
  std::memcpy(scales, s, sizeof(s));
  std::memcpy(mins, m, sizeof(m));
}

/// Eight bytes widened to eight f32 lanes.
inline __m256 bytesToFloats(const uint8_t (&bytes)[8]) {
  __m128i packed;
  std::memcpy(&packed, bytes, 8);
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(packed));
}

/// One token's activations . q4_k rows, a super-block of 8 blocks at a
/// time: the scales and minimums are unpacked once per super-block, the 8
/// scale products and the minimums' offset term are 8-lane vectors, and
/// the codes (0..15) enter the 8-bit dot product unsigned, as they are.
/// Per block that leaves the load, the nibble mask, the dot product and one
/// multiply-add, where decoding block by block (a Decoder) spent most of
/// its instructions on the scalar scale bits and was bound by them.
template <typename DotI8, int Rows>
void dotRows(FormatTag<TFM_QUANT_Q4_K>, const QuantizedMatmulArgs &args,
                const uint8_t *const (&rows)[Rows], const ActivationRow &a,
                float (&out)[Rows]) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  __m256 acc[Rows][2], offsets[Rows];
  for (int i = 0; i < Rows; ++i)
    acc[i][0] = acc[i][1] = offsets[i] = _mm256_setzero_ps();
  for (int64_t sb = 0, superBlocks = args.inFeatures / kSuperBlock;
       sb < superBlocks; ++sb) {
    int64_t b0 = sb * (kSuperBlock / kBlock);
    __m256 activationScales = _mm256_loadu_ps(a.scale + b0);
    __m256 scaledSums = _mm256_loadu_ps(a.scaledSum + b0);
#pragma GCC unroll 4
    for (int i = 0; i < Rows; ++i) {
      const uint8_t *superBlock = rows[i] + sb * kQ4_KBytes;
      uint8_t scales[8], mins[8];
      unpackScalesMinsK4(superBlock + 4, scales, mins);
      alignas(32) float blockScales[8];
      _mm256_store_ps(blockScales,
                      _mm256_mul_ps(_mm256_mul_ps(broadcastHalf(superBlock),
                                                  bytesToFloats(scales)),
                                    activationScales));
      // x = d * scale * code - dmin * min, summed against the activations.
      offsets[i] = _mm256_fnmadd_ps(
          _mm256_mul_ps(broadcastHalf(superBlock + 2), bytesToFloats(mins)),
          scaledSums, offsets[i]);
      for (int j = 0; j < 8; j += 2) {
        __m256i bytes = loadBytes(superBlock + 16 + 16 * j);
        for (int odd = 0; odd < 2; ++odd) {
          __m256i codes = _mm256_and_si256(
              odd ? _mm256_srli_epi16(bytes, 4) : bytes, nibble);
          __m256i x = loadBytes(
              reinterpret_cast<const uint8_t *>(a.q + (b0 + j + odd) * kBlock));
          acc[i][odd] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(DotI8::dot(codes, x)),
              _mm256_broadcast_ss(&blockScales[j + odd]), acc[i][odd]);
        }
      }
    }
  }
  for (int i = 0; i < Rows; ++i)
    out[i] = horizontalSum(
        _mm256_add_ps(_mm256_add_ps(acc[i][0], acc[i][1]), offsets[i]));
}

/// Block `G` (0-3) of one half (128 elements) of a q6_k super-block as its
/// unsigned codes 0..63 (the values plus 32), from the half's two 32-byte
/// runs of low nibbles (`low[0]`, `low[1]`) and its 32 bytes of high bits:
/// blocks 0 and 1 take the low nibbles of the two runs and bits 0-1 and 2-3
/// of `high`, blocks 2 and 3 the high nibbles and bits 4-5 and 6-7 (GGML's
/// layout). The 16-bit shifts move bits across bytes; the masks drop them.
template <int G>
inline __m256i q6kBlockCodes(const __m256i (&low)[2], __m256i high) {
  __m256i nibbles = low[G & 1];
  if constexpr (G >= 2)
    nibbles = _mm256_srli_epi16(nibbles, 4);
  nibbles = _mm256_and_si256(nibbles, _mm256_set1_epi8(0x0F));
  if constexpr (G == 0)
    high = _mm256_slli_epi16(high, 4);
  else if constexpr (G == 1)
    high = _mm256_slli_epi16(high, 2);
  else if constexpr (G == 3)
    high = _mm256_srli_epi16(high, 2);
  high = _mm256_and_si256(high, _mm256_set1_epi8(0x30));
  return _mm256_or_si256(nibbles, high);
}

/// `v` with lanes 2g and 2g+1 each copied to four lanes: the scales of a
/// block's two 16-element halves, as the lanes of its dot product need them.
template <int G> inline __m256 pairToHalves(__m256 v) {
  return _mm256_permutevar8x32_ps(
      v, _mm256_setr_epi32(2 * G, 2 * G, 2 * G, 2 * G, 2 * G + 1, 2 * G + 1,
                           2 * G + 1, 2 * G + 1));
}

/// Block `G` of a q6_k half-super-block times activation block `x`, added
/// to `acc` with the block's two scales from `scales` (pairToHalves).
/// `offset` is the dot product of 32 with the same activations: the codes
/// go into the 8-bit product unsigned (63 * 127 * 2 cannot saturate its
/// 16-bit pair sums) and the offset takes the 32 back out.
template <typename DotI8, int G>
inline void accumulateQ6KBlock(const __m256i (&low)[2], __m256i high,
                               const int8_t *x, __m256i offset, __m256 scales,
                               __m256 &acc) {
  __m256i dot = _mm256_sub_epi32(
      DotI8::dot(q6kBlockCodes<G>(low, high),
                 loadBytes(reinterpret_cast<const uint8_t *>(x))),
      offset);
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), pairToHalves<G>(scales), acc);
}

/// One token's activations . q6_k rows, a super-block at a time. Per half
/// super-block, each row's 8 scales times d times the activation scales
/// of their blocks become one 8-lane vector, the half's 96 bytes of codes
/// are loaded once, and each of its 4 blocks takes its two scales with one
/// permute. Every loop here has a constant trip count and is unrolled into
/// straight-line code: rolled (as clang left the block loop), the
/// accumulators lived on the stack and each block waited for the previous
/// one's store (Zen 3: 3x slower than its arithmetic allows).
template <typename DotI8, int Rows>
void dotRows(FormatTag<TFM_QUANT_Q6_K>, const QuantizedMatmulArgs &args,
                const uint8_t *const (&rows)[Rows], const ActivationRow &a,
                float (&out)[Rows]) {
  constexpr int blocks = kSuperBlock / kBlock;
  __m256 acc[Rows][2];
  for (int i = 0; i < Rows; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t sb = 0, superBlocks = args.inFeatures / kSuperBlock;
       sb < superBlocks; ++sb) {
    const int8_t *x = a.q + sb * kSuperBlock;
    // Each block's activation scale for both of its 16-element halves, and
    // 32 . its activations (shared by the rows).
    __m256 activationScales = _mm256_loadu_ps(a.scale + sb * blocks);
    __m256 halfScales[2] = {
        _mm256_permutevar8x32_ps(activationScales,
                                 _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3)),
        _mm256_permutevar8x32_ps(activationScales,
                                 _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7))};
    __m256i offsets[blocks];
    for (int j = 0; j < blocks; ++j)
      offsets[j] = DotI8::dot(
          _mm256_set1_epi8(32),
          loadBytes(reinterpret_cast<const uint8_t *>(x + j * kBlock)));
#pragma GCC unroll 4
    for (int i = 0; i < Rows; ++i) {
      const uint8_t *superBlock = rows[i] + sb * kQ6_KBytes;
      __m256 d = broadcastHalf(superBlock + 208);
#pragma GCC unroll 2
      for (int half = 0; half < 2; ++half) {
        __m128i packed = _mm_loadl_epi64(
            reinterpret_cast<const __m128i *>(superBlock + 192 + 8 * half));
        __m256 scales = _mm256_mul_ps(
            _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(packed))),
            halfScales[half]);
        __m256i low[2] = {loadBytes(superBlock + 64 * half),
                          loadBytes(superBlock + 64 * half + 32)};
        __m256i high = loadBytes(superBlock + 128 + 32 * half);
        const int8_t *xh = x + 128 * half;
        const __m256i *oh = offsets + 4 * half;
        accumulateQ6KBlock<DotI8, 0>(low, high, xh, oh[0], scales, acc[i][0]);
        accumulateQ6KBlock<DotI8, 1>(low, high, xh + 32, oh[1], scales, acc[i][1]);
        accumulateQ6KBlock<DotI8, 2>(low, high, xh + 64, oh[2], scales, acc[i][0]);
        accumulateQ6KBlock<DotI8, 3>(low, high, xh + 96, oh[3], scales, acc[i][1]);
      }
    }
  }
  for (int i = 0; i < Rows; ++i)
    out[i] = horizontalSum(_mm256_add_ps(acc[i][0], acc[i][1]));
}

// Prefill: one row times several tokens. The row stays in L1 between the
// tokens anyway; what these share is the decoding of each block (and of a
// K-quant super-block's scales), which a row-at-a-time product repeats for
// every token.

/// Tokens whose products with one row are computed together.
constexpr int kRowTokens = 4;

/// `a[t]` . `row` for t < Tokens, any block format with a Decoder.
template <typename DotI8, int Tokens, int Format>
void dotRowTokens(FormatTag<Format>, const QuantizedMatmulArgs &args,
                  const uint8_t *row,
                  const ActivationRow (&a)[Tokens], float (&out)[Tokens]) {
  using D = Decoder<Format>;
  __m256 acc[Tokens];
  float minAcc[Tokens];
  for (int t = 0; t < Tokens; ++t) {
    acc[t] = _mm256_setzero_ps();
    minAcc[t] = 0.0f;
  }
  for (int64_t b = 0, blocks = args.inFeatures / kBlock; b < blocks; ++b) {
    VectorBlock w = D::decode(row, args.group, b);
#pragma GCC unroll 4
    for (int t = 0; t < Tokens; ++t) {
      ActivationBlock x = loadActivationBlock(a[t], b);
      __m256i dot = DotI8::dot(x.absX, _mm256_sign_epi8(w.q, x.x));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                               _mm256_mul_ps(w.scale, x.scale), acc[t]);
      if constexpr (D::hasMin)
        minAcc[t] += w.min * x.scaledSum;
    }
  }
  for (int t = 0; t < Tokens; ++t)
    out[t] = horizontalSum(acc[t]) + minAcc[t];
}

/// `a[t]` . a q4_k `row` for t < Tokens: each super-block's scales and
/// minimums unpacked once, each block's codes masked once, for all tokens.
template <typename DotI8, int Tokens>
void dotRowTokens(FormatTag<TFM_QUANT_Q4_K>, const QuantizedMatmulArgs &args,
                  const uint8_t *row,
                     const ActivationRow (&a)[Tokens], float (&out)[Tokens]) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  constexpr int blocks = kSuperBlock / kBlock;
  __m256 acc[Tokens], offsets[Tokens];
  for (int t = 0; t < Tokens; ++t)
    acc[t] = offsets[t] = _mm256_setzero_ps();
  for (int64_t sb = 0, superBlocks = args.inFeatures / kSuperBlock;
       sb < superBlocks; ++sb) {
    int64_t b0 = sb * blocks;
    const uint8_t *superBlock = row + sb * kQ4_KBytes;
    uint8_t scales[8], mins[8];
    unpackScalesMinsK4(superBlock + 4, scales, mins);
    __m256 weightScales =
        _mm256_mul_ps(broadcastHalf(superBlock), bytesToFloats(scales));
    __m256 weightMins =
        _mm256_mul_ps(broadcastHalf(superBlock + 2), bytesToFloats(mins));
    alignas(32) float blockScales[Tokens][blocks];
    for (int t = 0; t < Tokens; ++t) {
      _mm256_store_ps(blockScales[t],
                      _mm256_mul_ps(weightScales,
                                    _mm256_loadu_ps(a[t].scale + b0)));
      offsets[t] = _mm256_fnmadd_ps(
          weightMins, _mm256_loadu_ps(a[t].scaledSum + b0), offsets[t]);
    }
    for (int j = 0; j < blocks; j += 2) {
      __m256i bytes = loadBytes(superBlock + 16 + 16 * j);
      for (int odd = 0; odd < 2; ++odd) {
        __m256i codes = _mm256_and_si256(
            odd ? _mm256_srli_epi16(bytes, 4) : bytes, nibble);
#pragma GCC unroll 4
        for (int t = 0; t < Tokens; ++t) {
          __m256i x = loadBytes(reinterpret_cast<const uint8_t *>(
              a[t].q + (b0 + j + odd) * kBlock));
          acc[t] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(DotI8::dot(codes, x)),
              _mm256_broadcast_ss(&blockScales[t][j + odd]), acc[t]);
        }
      }
    }
  }
  for (int t = 0; t < Tokens; ++t)
    out[t] = horizontalSum(_mm256_add_ps(acc[t], offsets[t]));
}

/// `a[t]` . a q6_k `row` for t < Tokens: each half super-block's codes
/// loaded and each block's values decoded once for all tokens.
template <typename DotI8, int Tokens>
void dotRowTokens(FormatTag<TFM_QUANT_Q6_K>, const QuantizedMatmulArgs &args,
                  const uint8_t *row,
                     const ActivationRow (&a)[Tokens], float (&out)[Tokens]) {
  constexpr int blocks = kSuperBlock / kBlock;
  __m256 acc[Tokens];
  for (int t = 0; t < Tokens; ++t)
    acc[t] = _mm256_setzero_ps();
  for (int64_t sb = 0, superBlocks = args.inFeatures / kSuperBlock;
       sb < superBlocks; ++sb) {
    const uint8_t *superBlock = row + sb * kQ6_KBytes;
    __m256 d = broadcastHalf(superBlock + 208);
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {
      __m128i packed = _mm_loadl_epi64(
          reinterpret_cast<const __m128i *>(superBlock + 192 + 8 * half));
      __m256 weightScales =
          _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(packed)));
      __m256i low[2] = {loadBytes(superBlock + 64 * half),
                        loadBytes(superBlock + 64 * half + 32)};
      __m256i high = loadBytes(superBlock + 128 + 32 * half);
      __m256i codes[4] = {q6kBlockCodes<0>(low, high), q6kBlockCodes<1>(low, high),
                          q6kBlockCodes<2>(low, high), q6kBlockCodes<3>(low, high)};
      int64_t b0 = sb * blocks + 4 * half;
#pragma GCC unroll 4
      for (int t = 0; t < Tokens; ++t) {
        // This token's block scales for both 16-element halves of a block.
        __m256 scales = _mm256_mul_ps(
            weightScales,
            _mm256_permutevar8x32_ps(
                _mm256_castps128_ps256(_mm_loadu_ps(a[t].scale + b0)),
                _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3)));
        const int8_t *x = a[t].q + b0 * kBlock;
        auto block = [&](auto g) {
          constexpr int G = decltype(g)::value;
          __m256i xv =
              loadBytes(reinterpret_cast<const uint8_t *>(x + G * kBlock));
          __m256i dot = _mm256_sub_epi32(
              DotI8::dot(codes[G], xv), DotI8::dot(_mm256_set1_epi8(32), xv));
          acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                                   pairToHalves<G>(scales), acc[t]);
        };
        block(std::integral_constant<int, 0>());
        block(std::integral_constant<int, 1>());
        block(std::integral_constant<int, 2>());
        block(std::integral_constant<int, 3>());
      }
    }
  }
  for (int t = 0; t < Tokens; ++t)
    out[t] = horizontalSum(acc[t]);
}

/// Stores (or, accumulating, adds) the product of `token` and `row`.
inline void writeProduct(const QuantizedMatmulArgs &args, int64_t token,
                         int64_t row, float sum) {
  float &out = args.out[token * args.outStride + row];
  out = args.accumulate ? out + sum : sum;
}

/// Tokens [t0, t0 + Tokens) times row `r`.
template <typename DotI8, int Format, int Tokens>
void rowTimesTokenTile(const QuantizedMatmulArgs &args, int64_t r,
                       int64_t t0) {
  ActivationRow a[Tokens];
  for (int t = 0; t < Tokens; ++t)
    a[t] = activationRow(args.activations, t0 + t, args.inFeatures,
                         args.activationRowBytes);
  const uint8_t *row = args.weights + r * args.rowBytes;
  float sums[Tokens];
  dotRowTokens<DotI8, Tokens>(FormatTag<Format>(), args, row, a, sums);
  for (int t = 0; t < Tokens; ++t)
    writeProduct(args, t0 + t, r, sums[t]);
}

/// Every token times the rows `r[i]`, i < Rows: each row is read from
/// memory for the first token and from L1 for the others.
template <typename DotI8, int Format, int Rows>
void rowsTimesTokens(const QuantizedMatmulArgs &args,
                     const int64_t (&r)[Rows]) {
  const uint8_t *rows[Rows];
  for (int i = 0; i < Rows; ++i)
    rows[i] = args.weights + r[i] * args.rowBytes;
  for (int64_t t = 0; t < args.tokens; ++t) {
    float sums[Rows];
    ActivationRow a = activationRow(args.activations, t, args.inFeatures,
                                    args.activationRowBytes);
    dotRows<DotI8, Rows>(FormatTag<Format>(), args, rows, a, sums);
    for (int i = 0; i < Rows; ++i)
      writeProduct(args, t, r[i], sums[i]);
  }
}

/// Row-wise formats. With `Streamed`, a memory-bound call takes one row from
/// each quarter of its rows at a time (AVX2 on Zen 3, decode-step
/// microbenchmark of llama-110m's shapes: q8_0 1.8x, int8 1.6x, q4_1 and
/// q6_k 1.2x, q4_k 1.5x on top of its super-block decoding). Otherwise one
/// row at a time, one stream: sharing activation blocks between 2 or 4
/// consecutive rows was measured on Zen 4 (AVX-512 VNNI) at half speed for
/// q8_0. For several tokens a row is decoded once per token from L1.
template <typename DotI8, int Format, bool Streamed>
void quantizedMatmul(const QuantizedMatmulArgs &args) {
  int64_t perStream = Streamed && args.tokens <= kStreamedTokens
                          ? args.rows / kStreams
                          : 0;
  static_assert(kStreams == 4, "one row from each of 4 streams");
  for (int64_t r = 0; r < perStream; ++r)
    rowsTimesTokens<DotI8, Format, kStreams>(
        args, {r, r + perStream, r + 2 * perStream, r + 3 * perStream});
  int64_t r = kStreams * perStream;
  if (args.tokens >= kRowTokens) {
    // Prefill: kRowTokens tokens per decoded block, the rest one by one.
    int64_t tiled = args.tokens / kRowTokens * kRowTokens;
    for (; r < args.rows; ++r) {
      for (int64_t t0 = 0; t0 < tiled; t0 += kRowTokens)
        rowTimesTokenTile<DotI8, Format, kRowTokens>(args, r, t0);
      for (int64_t t = tiled; t < args.tokens; ++t)
        rowTimesTokenTile<DotI8, Format, 1>(args, r, t);
    }
    return;
  }
  for (; r < args.rows; ++r)
    rowsTimesTokens<DotI8, Format, 1>(args, {r});
}

template <typename DotI8, bool Streamed>
void quantizedMatmulFor(const QuantizedMatmulArgs &args) {
  switch (args.format) {
  case TFM_QUANT_Q8_0: return quantizedMatmul<DotI8, TFM_QUANT_Q8_0, Streamed>(args);
  case TFM_QUANT_Q4_0: return quantizedMatmul<DotI8, TFM_QUANT_Q4_0, Streamed>(args);
  case TFM_QUANT_Q4_1: return quantizedMatmul<DotI8, TFM_QUANT_Q4_1, Streamed>(args);
  case TFM_QUANT_Q4_K: return quantizedMatmul<DotI8, TFM_QUANT_Q4_K, Streamed>(args);
  case TFM_QUANT_Q6_K: return quantizedMatmul<DotI8, TFM_QUANT_Q6_K, Streamed>(args);
  case TFM_QUANT_INT8: return quantizedMatmul<DotI8, TFM_QUANT_INT8, Streamed>(args);
  case TFM_QUANT_INT4: return quantizedMatmul<DotI8, TFM_QUANT_INT4, Streamed>(args);
  default: return quantizedMatmulGeneric(args);
  }
}

} // namespace
} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_QUANTIZEDMATMULX86_H
