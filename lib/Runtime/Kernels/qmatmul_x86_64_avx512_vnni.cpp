//===- qmatmul_x86_64_avx512_vnni.cpp - quantized matmul with VNNI --------===//
//
// vpdpbusd (AVX-512 VNNI) does the 8-bit dot product of four byte pairs into
// each int32 lane in one instruction.
//
// Row-wise formats use its 256-bit form, one 32-element block per register
// (QuantizedMatmulX86.h). The interleaved formats (Q8_0_X16, Q4_0_X16) use
// the 512-bit form across rows instead: lane r of a weight vector holds four
// consecutive elements of row r, the matching four activation bytes are
// broadcast to every lane, so one instruction does 64 multiply-adds for 16
// rows and a block of 16 rows costs 8 of them, the nibble unpacking and one
// scale step. Weight codes are unsigned (vpdpbusd's unsigned operand) and
// the zero point is folded in by starting the sum at -zeroPoint * sum(a).
//
//===----------------------------------------------------------------------===//

#include "QuantizedMatmulX86.h"

namespace {

using namespace tfm::kernels;

struct DotI8Vnni {
  static __m256i dot(__m256i unsignedA, __m256i signedB) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), unsignedA, signedB);
  }
};

/// Tokens that share each decoded block of weights.
constexpr int kTokenTile = 4;
/// Element chunks of a 32-element block (4 elements each).
constexpr int kChunks = kBlock / 4;

/// The 8 chunks of block `block` of a group as unsigned codes.
template <int Format>
inline void loadChunks(const uint8_t *block, __m512i (&chunks)[kChunks]) {
  const uint8_t *codes = block + 2 * kInterleave;
  if constexpr (Format == TFM_QUANT_Q8_0_X16) {
    for (int c = 0; c < kChunks; ++c)
      chunks[c] = _mm512_loadu_si512(codes + c * kChunkBytes);
  } else {
    // Byte chunk m holds elements 4m.. (low nibbles) and 16 + 4m.. (high).
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (int m = 0; m < kChunks / 2; ++m) {
      __m512i bytes = _mm512_loadu_si512(codes + m * kChunkBytes);
      chunks[m] = _mm512_and_si512(bytes, nibble);
      chunks[m + kChunks / 2] =
          _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
    }
  }
}

inline __m512i broadcastChunk(const int8_t *q, int c) {
  int32_t bytes;
  std::memcpy(&bytes, q + 4 * c, sizeof(bytes));
  return _mm512_set1_epi32(bytes);
}

/// Tokens t0 .. t0 + Tokens - 1 times the 16 rows of `group`, written to
/// `out` (the group's first output column).
template <int Format, int Tokens>
void groupTimesTokens(const QuantizedMatmulArgs &args, const uint8_t *group,
                      int64_t t0, float *out) {
  constexpr int32_t zeroPoint = Format == TFM_QUANT_Q8_0_X16 ? 128 : 8;
  constexpr int64_t blockBytes =
      kInterleave * (Format == TFM_QUANT_Q8_0_X16 ? kQ8_0Bytes : kQ4_0Bytes);
  ActivationRow a[Tokens];
  __m512 acc[Tokens];
  for (int i = 0; i < Tokens; ++i) {
    a[i] = activationRow(args.activations, t0 + i, args.inFeatures,
                         args.activationRowBytes);
    acc[i] = _mm512_setzero_ps();
  }
  for (int64_t b = 0, blocks = args.inFeatures / kBlock; b < blocks; ++b) {
    const uint8_t *block = group + b * blockBytes;
    prefetchAhead(block, blockBytes);
    __m512i w[kChunks];
    loadChunks<Format>(block, w);
    __m512 rowScales = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block)));
    for (int i = 0; i < Tokens; ++i) {
      const int8_t *q = a[i].q + b * kBlock;
      // Two chains of four: the dot products' latency overlaps.
      __m512i even = _mm512_set1_epi32(-zeroPoint * a[i].sum[b]);
      __m512i odd = _mm512_setzero_si512();
      for (int c = 0; c < kChunks; c += 2) {
        even = _mm512_dpbusd_epi32(even, w[c], broadcastChunk(q, c));
        odd = _mm512_dpbusd_epi32(odd, w[c + 1], broadcastChunk(q, c + 1));
      }
      __m512 scale = _mm512_mul_ps(rowScales, _mm512_set1_ps(a[i].scale[b]));
      acc[i] = _mm512_fmadd_ps(
          _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), scale, acc[i]);
    }
  }
  for (int i = 0; i < Tokens; ++i) {
    float *o = out + (t0 + i) * args.outStride;
    if (args.accumulate)
      acc[i] = _mm512_add_ps(acc[i], _mm512_loadu_ps(o));
    _mm512_storeu_ps(o, acc[i]);
  }
}

/// Group by group (its bytes stay in cache for every token), tokens in
/// tiles of kTokenTile.
template <int Format>
void interleavedMatmul(const QuantizedMatmulArgs &args) {
  for (int64_t g = 0; g < args.rows / kInterleave; ++g) {
    const uint8_t *group = args.weights + g * kInterleave * args.rowBytes;
    float *out = args.out + g * kInterleave;
    int64_t t = 0;
    for (; t + kTokenTile <= args.tokens; t += kTokenTile)
      groupTimesTokens<Format, kTokenTile>(args, group, t, out);
    switch (args.tokens - t) {
    case 3: groupTimesTokens<Format, 3>(args, group, t, out); break;
    case 2: groupTimesTokens<Format, 2>(args, group, t, out); break;
    case 1: groupTimesTokens<Format, 1>(args, group, t, out); break;
    default: break;
    }
  }
}

} // namespace

void tfm::kernels::quantizedMatmulAvx512Vnni(const QuantizedMatmulArgs &args) {
  switch (args.format) {
  case TFM_QUANT_Q8_0_X16:
    return interleavedMatmul<TFM_QUANT_Q8_0_X16>(args);
  case TFM_QUANT_Q4_0_X16:
    return interleavedMatmul<TFM_QUANT_Q4_0_X16>(args);
  case TFM_QUANT_Q6_K_X16:
  case TFM_QUANT_Q4_K_X16:
    // No 512-bit form yet: the AVX2 kernel, which every AVX-512 CPU runs.
    return quantizedMatmulAvx2(args);
  default:
    // One stream: the streamed order is not measured on an AVX-512 CPU yet.
    return quantizedMatmulFor<DotI8Vnni, /*Streamed=*/false>(args);
  }
}
