//===- qmatmul_x86_64_avx512_vnni.cpp - quantized matmul with VNNI --------===//
//
// vpdpbusd (AVX-512 VNNI) does the 8-bit dot product of four byte pairs into
// each int32 lane in one instruction.
//
// Row-wise formats use its 256-bit form, one 32-element block per register
// (QuantizedMatmulX86.h). The interleaved formats (Q8_0_X16, Q4_0_X16,
// Q4_K_X16, Q6_K_X16) use the 512-bit form across rows instead: lane r of a
// weight vector holds four consecutive elements of row r, the matching four
// activation bytes are broadcast to every lane, so one instruction does 64
// multiply-adds for 16 rows and a block of 16 rows costs 8 of them, the
// code unpacking and the scale steps. Weight codes are unsigned (vpdpbusd's
// unsigned operand); a zero point (q8_0, q4_0, q6_k's 32) is folded in by
// starting the sum at -zeroPoint * sum(a), q4_k's mins by one more FMA.
// Each format supplies how a block becomes 8 code vectors and how a token's
// sums are scaled; one driver shares each decoded block among 8 tokens
// (q6_k: 4) and decodes one token from two streams of rows.
//
//===----------------------------------------------------------------------===//

#include "QuantizedMatmulX86.h"
#include "SpreadPrefetch.h"

namespace {

using namespace tfm::kernels;

struct DotI8Vnni {
  static __m256i dot(__m256i unsignedA, __m256i signedB) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), unsignedA, signedB);
  }
};

/// Tokens that share each decoded block of weights, by default: a format
/// whose blocks' scale steps take many registers (q6_k) keeps 4; the
/// others (Blocks::kTokenTile) share each block among 8, so a block's
/// weight loads and unpacking serve twice the dot products.
constexpr int kTokenTileDefault = 4;
/// Element chunks of a 32-element block (4 elements each).
constexpr int kChunks = kBlock / 4;

inline __m512i loadChunk(const uint8_t *p) { return _mm512_loadu_si512(p); }

inline __m512i broadcastChunk(const int8_t *q, int c) {
  int32_t bytes;
  std::memcpy(&bytes, q + 4 * c, sizeof(bytes));
  return _mm512_set1_epi32(bytes);
}

/// Sum over chunks [First, Last) of codes[c] . activation chunk c, added to
/// `start`, in two chains whose dot-product latencies overlap.
template <int First, int Last>
inline __m512i dotChunks(const __m512i (&codes)[kChunks], const int8_t *q,
                         __m512i start) {
  __m512i even = start, odd = _mm512_setzero_si512();
  for (int c = First; c < Last; c += 2) {
    even = _mm512_dpbusd_epi32(even, codes[c], broadcastChunk(q, c));
    odd = _mm512_dpbusd_epi32(odd, codes[c + 1], broadcastChunk(q, c + 1));
  }
  return _mm512_add_epi32(even, odd);
}

/// Q8_0_X16 and Q4_0_X16: a block's 16 row scales and codes in 128 (q8_0)
/// or 8 (q4_0) steps of the zero point; the zero point is folded in by
/// starting each token's sum at -zeroPoint * sum(a).
template <int Format> struct ScaledBlocks {
  static constexpr int32_t kZeroPoint = Format == TFM_QUANT_Q8_0_X16 ? 128 : 8;
  static constexpr int64_t kBlockBytes =
      kInterleave * (Format == TFM_QUANT_Q8_0_X16 ? kQ8_0Bytes : kQ4_0Bytes);
  /// Blocks of one prepare() (the scale tables of a super-block for the
  /// K-quants).
  static constexpr int64_t kBlocksPerUnit = 1;
  static constexpr int64_t kUnitBytes = kBlockBytes;
  static constexpr int kTokenTile = 8;

  __m512 rowScales;

  void prepare(const uint8_t *block) {
    rowScales = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block)));
  }

  /// Byte chunk m of a Q4_0_X16 block holds elements 4m.. (low nibbles)
  /// and 16 + 4m.. (high).
  static void codes(const uint8_t *block, int, __m512i (&w)[kChunks]) {
    const uint8_t *chunks = block + 2 * kInterleave;
    if constexpr (Format == TFM_QUANT_Q8_0_X16) {
      for (int c = 0; c < kChunks; ++c)
        w[c] = loadChunk(chunks + c * kChunkBytes);
    } else {
      const __m512i nibble = _mm512_set1_epi8(0x0F);
      for (int m = 0; m < kChunks / 2; ++m) {
        __m512i bytes = loadChunk(chunks + m * kChunkBytes);
        w[m] = _mm512_and_si512(bytes, nibble);
        w[m + kChunks / 2] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
      }
    }
  }

  __m512 accumulate(const __m512i (&w)[kChunks], int, const ActivationRow &a,
                    int64_t b, __m512 acc) const {
    __m512i dot = dotChunks<0, kChunks>(
        w, a.q + b * kBlock, _mm512_set1_epi32(-kZeroPoint * a.sum[b]));
    __m512 scale = _mm512_mul_ps(rowScales, _mm512_set1_ps(a.scale[b]));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc);
  }
};

/// Byte `k` of each 32-bit lane of `v`, as int32 lanes.
inline __m512i laneByte(__m512i v, int k) {
  return _mm512_and_si512(_mm512_srli_epi32(v, unsigned(8 * k)),
                          _mm512_set1_epi32(0xFF));
}

/// Q4_K_X16 (tfm_kernels.h): x = d * scale * code - dmin * min with codes
/// 0..15, so a token's block adds d * scale * (codes . a) * a's scale and
/// subtracts dmin * min * (a's scale * sum(a)).
struct Q4KBlocks {
  static constexpr int64_t kBlocksPerUnit = kSuperBlock / kBlock;
  static constexpr int kTokenTile = 8;
  static constexpr int64_t kUnitBytes = kQ4KX16SuperBlockBytes;

  /// d * scale and dmin * min of each sub-block, one row per lane.
  __m512 scale[kBlocksPerUnit], min[kBlocksPerUnit];

  /// GGML's 12 bytes of 6-bit scales and mins (get_scale_min_k4), byte by
  /// byte across the three planes of 16 rows' 4-byte words: scales and
  /// mins of sub-blocks 0-3 are the low 6 bits of words 0 and 1; those of
  /// 4-7 take their low 4 bits from word 2 and their top 2 from the top
  /// bits of words 0 and 1.
  void prepare(const uint8_t *superBlock) {
    const uint8_t *words = superBlock + kQ4KX16ScaleWordsOffset;
    __m512i w0 = loadChunk(words), w1 = loadChunk(words + kChunkBytes),
            w2 = loadChunk(words + 2 * kChunkBytes);
    const __m512i low6 = _mm512_set1_epi8(0x3F), low4 = _mm512_set1_epi8(0x0F),
                  top2 = _mm512_set1_epi8(0x30);
    __m512i scales[2] = {
        _mm512_and_si512(w0, low6),
        _mm512_or_si512(_mm512_and_si512(w2, low4),
                        _mm512_and_si512(_mm512_srli_epi32(w0, 2), top2))};
    __m512i mins[2] = {
        _mm512_and_si512(w1, low6),
        _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(w2, 4), low4),
                        _mm512_and_si512(_mm512_srli_epi32(w1, 2), top2))};
    __m512 d = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(superBlock)));
    __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256(
        reinterpret_cast<const __m256i *>(superBlock + kQ4KX16MinScalesOffset)));
    for (int half = 0; half < 2; ++half)
      for (int k = 0; k < 4; ++k) {
        scale[4 * half + k] =
            _mm512_mul_ps(d, _mm512_cvtepi32_ps(laneByte(scales[half], k)));
        min[4 * half + k] =
            _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(laneByte(mins[half], k)));
      }
  }

  /// Sub-blocks 2i and 2i + 1 share the code bytes of pair i: low nibbles
  /// and high nibbles.
  static void codes(const uint8_t *superBlock, int j, __m512i (&w)[kChunks]) {
    const uint8_t *pair =
        superBlock + kQ4KX16CodesOffset + (j / 2) * kQ4KX16PairBytes;
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (int c = 0; c < kChunks; ++c) {
      __m512i bytes = loadChunk(pair + c * kChunkBytes);
      w[c] = _mm512_and_si512(j % 2 ? _mm512_srli_epi16(bytes, 4) : bytes,
                              nibble);
    }
  }

  __m512 accumulate(const __m512i (&w)[kChunks], int j, const ActivationRow &a,
                    int64_t b, __m512 acc) const {
    __m512i dot =
        dotChunks<0, kChunks>(w, a.q + b * kBlock, _mm512_setzero_si512());
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot),
                          _mm512_mul_ps(scale[j], _mm512_set1_ps(a.scale[b])),
                          acc);
    return _mm512_fnmadd_ps(min[j], _mm512_set1_ps(a.scaledSum[b]), acc);
  }
};

/// Q6_K_X16 (tfm_kernels.h): x = d * scale[k] * (u - 32) with codes u in
/// 0..63 and one int8 scale per 16-element sub-block k; a block's two
/// halves are two sub-blocks, and the -32 starts each half's sum at
/// -32 * sum(a) over that half.
struct Q6KBlocks {
  static constexpr int64_t kBlocksPerUnit = kSuperBlock / kBlock;
  static constexpr int kTokenTile = kTokenTileDefault;
  static constexpr int64_t kUnitBytes = kQ6KX16SuperBlockBytes;
  static constexpr int kSubBlocks = kSuperBlock / 16;

  /// d * scale of each sub-block, one row per lane.
  __m512 scale[kSubBlocks];

  void prepare(const uint8_t *superBlock) {
    __m512 d = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(superBlock)));
    const uint8_t *scales = superBlock + kQ6KX16ScalesOffset;
    for (int k = 0; k < kSubBlocks; ++k)
      scale[k] = _mm512_mul_ps(
          d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                 reinterpret_cast<const __m128i *>(scales + k * kInterleave)))));
  }

  /// Codes of elements 4m.. (w[m]) and 16 + 4m.. (w[4 + m]) of block j:
  /// the nibbles of chunk m with the two top bits from the top-bit chunk
  /// m / 2 (bits 0-1 and 2-3 for even m, 4-5 and 6-7 for odd m). The
  /// 16-bit shifts move bits across bytes; the 0x30 mask keeps a byte's own.
  static void codes(const uint8_t *superBlock, int j, __m512i (&w)[kChunks]) {
    const uint8_t *block =
        superBlock + kQ6KX16BlocksOffset + j * kQ6KX16BlockBytes;
    const __m512i nibble = _mm512_set1_epi8(0x0F), topBits = _mm512_set1_epi8(0x30);
    for (int m = 0; m < 4; ++m) {
      __m512i nibbles = loadChunk(block + m * kChunkBytes);
      __m512i tops = loadChunk(block + (4 + m / 2) * kChunkBytes);
      __m512i lowTops = m % 2 ? tops : _mm512_slli_epi16(tops, 4);
      __m512i highTops =
          m % 2 ? _mm512_srli_epi16(tops, 2) : _mm512_slli_epi16(tops, 2);
      w[m] = _mm512_or_si512(_mm512_and_si512(nibbles, nibble),
                             _mm512_and_si512(lowTops, topBits));
      w[4 + m] = _mm512_or_si512(
          _mm512_and_si512(_mm512_srli_epi16(nibbles, 4), nibble),
          _mm512_and_si512(highTops, topBits));
    }
  }

  __m512 accumulate(const __m512i (&w)[kChunks], int j, const ActivationRow &a,
                    int64_t b, __m512 acc) const {
    const int8_t *q = a.q + b * kBlock;
    int32_t low = a.lowSum[b], high = a.sum[b] - low;
    __m512i lowDot = dotChunks<0, 4>(w, q, _mm512_set1_epi32(-32 * low));
    __m512i highDot = dotChunks<4, 8>(w, q, _mm512_set1_epi32(-32 * high));
    __m512 activationScale = _mm512_set1_ps(a.scale[b]);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lowDot),
                          _mm512_mul_ps(scale[2 * j], activationScale), acc);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(highDot),
                           _mm512_mul_ps(scale[2 * j + 1], activationScale),
                           acc);
  }
};

/// Tokens t0 .. t0 + Tokens - 1 times the 16 rows of `group`, written to
/// `out` (the group's first output column). Each block's codes are decoded
/// once for the tokens.
template <typename Blocks, int Tokens>
void groupTimesTokens(const QuantizedMatmulArgs &args, const uint8_t *group,
                      int64_t t0, float *out, SpreadPrefetch next) {
  ActivationRow a[Tokens];
  __m512 acc[Tokens];
  for (int i = 0; i < Tokens; ++i) {
    a[i] = activationRow(args.activations, t0 + i, args.inFeatures,
                         args.activationRowBytes);
    acc[i] = _mm512_setzero_ps();
  }
  Blocks blocks;
  constexpr int64_t perUnit = Blocks::kBlocksPerUnit;
  constexpr int64_t blockBytes = Blocks::kUnitBytes / perUnit;
  for (int64_t u = 0, units = args.inFeatures / (kBlock * perUnit); u < units;
       ++u) {
    const uint8_t *unit = group + u * Blocks::kUnitBytes;
    blocks.prepare(unit);
    for (int j = 0; j < perUnit; ++j) {
      int64_t b = u * perUnit + j;
      prefetchAhead(unit + j * blockBytes, blockBytes);
      next.next();
      __m512i w[kChunks];
      Blocks::codes(unit, j, w);
      for (int i = 0; i < Tokens; ++i)
        acc[i] = blocks.accumulate(w, j, a[i], b, acc[i]);
    }
  }
  for (int i = 0; i < Tokens; ++i) {
    float *o = out + (t0 + i) * args.outStride;
    if (args.accumulate)
      acc[i] = _mm512_add_ps(acc[i], _mm512_loadu_ps(o));
    _mm512_storeu_ps(o, acc[i]);
  }
}

/// One token (decode) times two groups of rows read block by block
/// together: two streams from memory. One core reads ~16 GB/s from one
/// sequential stream here (AMD EPYC) and ~30 from two to four; the
/// prefetch ahead of each stream stays.
template <typename Blocks>
void twoGroupsTimesToken(const QuantizedMatmulArgs &args,
                         const uint8_t *group0, const uint8_t *group1,
                         float *out0, float *out1) {
  ActivationRow a = activationRow(args.activations, 0, args.inFeatures,
                                  args.activationRowBytes);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  Blocks blocks0, blocks1;
  constexpr int64_t perUnit = Blocks::kBlocksPerUnit;
  constexpr int64_t blockBytes = Blocks::kUnitBytes / perUnit;
  for (int64_t u = 0, units = args.inFeatures / (kBlock * perUnit); u < units;
       ++u) {
    const uint8_t *unit0 = group0 + u * Blocks::kUnitBytes;
    const uint8_t *unit1 = group1 + u * Blocks::kUnitBytes;
    blocks0.prepare(unit0);
    blocks1.prepare(unit1);
    for (int j = 0; j < perUnit; ++j) {
      int64_t b = u * perUnit + j;
      prefetchAhead(unit0 + j * blockBytes, blockBytes);
      prefetchAhead(unit1 + j * blockBytes, blockBytes);
      __m512i w[kChunks];
      Blocks::codes(unit0, j, w);
      acc0 = blocks0.accumulate(w, j, a, b, acc0);
      Blocks::codes(unit1, j, w);
      acc1 = blocks1.accumulate(w, j, a, b, acc1);
    }
  }
  if (args.accumulate) {
    acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(out0));
    acc1 = _mm512_add_ps(acc1, _mm512_loadu_ps(out1));
  }
  _mm512_storeu_ps(out0, acc0);
  _mm512_storeu_ps(out1, acc1);
}

/// Decode: the groups' first and second halves in pairs (two streams), an
/// odd last group alone.
template <typename Blocks>
void interleavedDecode(const QuantizedMatmulArgs &args) {
  const int64_t groups = args.rows / kInterleave;
  const int64_t groupBytes = kInterleave * args.rowBytes;
  const int64_t half = groups / 2;
  for (int64_t g = 0; g < half; ++g)
    twoGroupsTimesToken<Blocks>(args, args.weights + g * groupBytes,
                                args.weights + (half + g) * groupBytes,
                                args.out + g * kInterleave,
                                args.out + (half + g) * kInterleave);
  if (groups % 2)
    groupTimesTokens<Blocks, 1>(
        args, args.weights + (groups - 1) * groupBytes, 0,
        args.out + (groups - 1) * kInterleave, SpreadPrefetch(nullptr, 0));
}

/// Group by group (its bytes stay in cache for every token), tokens in
/// tiles of kTokenTile. With several tiles, their passes bring the next
/// group into L2 (SpreadPrefetch); one token (decode) streams, with
/// prefetchAhead only.
template <typename Blocks>
void interleavedMatmul(const QuantizedMatmulArgs &args) {
  const int64_t groups = args.rows / kInterleave;
  const int64_t groupBytes = kInterleave * args.rowBytes;
  constexpr int kTokenTile = Blocks::kTokenTile;
  const int64_t passes = (args.tokens + kTokenTile - 1) / kTokenTile;
  if (args.tokens == 1 && groups >= 2)
    return interleavedDecode<Blocks>(args);
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t *group = args.weights + g * groupBytes;
    const uint8_t *nextGroup =
        passes > 1 && g + 1 < groups ? group + groupBytes : nullptr;
    float *out = args.out + g * kInterleave;
    int64_t t = 0;
    auto next = [&] {
      return SpreadPrefetch(nextGroup, groupBytes, t / kTokenTile, passes);
    };
    for (; t + kTokenTile <= args.tokens; t += kTokenTile)
      groupTimesTokens<Blocks, kTokenTile>(args, group, t, out, next());
    switch (args.tokens - t) {
    case 7: groupTimesTokens<Blocks, 7>(args, group, t, out, next()); break;
    case 6: groupTimesTokens<Blocks, 6>(args, group, t, out, next()); break;
    case 5: groupTimesTokens<Blocks, 5>(args, group, t, out, next()); break;
    case 4: groupTimesTokens<Blocks, 4>(args, group, t, out, next()); break;
    case 3: groupTimesTokens<Blocks, 3>(args, group, t, out, next()); break;
    case 2: groupTimesTokens<Blocks, 2>(args, group, t, out, next()); break;
    case 1: groupTimesTokens<Blocks, 1>(args, group, t, out, next()); break;
    default: break;
    }
  }
}

} // namespace

void tfm::kernels::quantizedMatmulAvx512Vnni(const QuantizedMatmulArgs &args) {
  switch (args.format) {
  case TFM_QUANT_Q8_0_X16:
    return interleavedMatmul<ScaledBlocks<TFM_QUANT_Q8_0_X16>>(args);
  case TFM_QUANT_Q4_0_X16:
    return interleavedMatmul<ScaledBlocks<TFM_QUANT_Q4_0_X16>>(args);
  case TFM_QUANT_Q4_K_X16:
    return interleavedMatmul<Q4KBlocks>(args);
  case TFM_QUANT_Q6_K_X16:
    // One token from memory in two streams: 27.0-30.5 GiB/s on one core
    // where the AVX2 kernel's four read 18.6-22.4 (tfm-kernel-bench
    // decode/q6_k, AMD EPYC; in one stream this loop read 12.8-13.2 on a
    // Xeon, below AVX2's 15.7-16.2 there).
    return interleavedMatmul<Q6KBlocks>(args);
  case TFM_QUANT_Q4_1:
    // One token from memory on one core (tfm-kernel-bench decode/q4_1):
    // 10.1-10.8 GiB/s in one stream, 9.0-9.4 in QuantizedMatmulX86.h's four.
    return quantizedMatmulFor<DotI8Vnni, /*Streamed=*/false>(args);
  default:
    // Four streams: int8 8.2-8.4 -> 15.2-17.6 GiB/s, int4 5.2 -> 8.3-8.4.
    return quantizedMatmulFor<DotI8Vnni, /*Streamed=*/true>(args);
  }
}
