//===- qmatmul_x86_64_avx2.cpp - quantized matmul with AVX2 ---------------===//
//
// Without VNNI the 8-bit dot product takes two instructions: vpmaddubsw
// (u8 x s8 pairs -> i16; |a| <= 127 keeps the pair sums from saturating)
// and vpmaddwd against ones (i16 pairs -> i32).
//
// The interleaved formats (Q8_0_X16, Q4_0_X16, Q6_K_X16) are read as two
// halves of 8 rows, one row per int32 lane, with the four activation bytes
// of a chunk broadcast to every lane (see the AVX-512 variant) and shared by
// both halves. Q4_0 codes (0..15) and Q6_K codes (0..63) go straight into
// vpmaddubsw's unsigned operand; Q8_0 codes are turned back into signed
// values and take the |a|, sign(w, a) form, since 255 * 127 pairs would
// saturate.
//
//===----------------------------------------------------------------------===//

#include "QuantizedMatmulX86.h"

#include <algorithm>

namespace {

using namespace tfm::kernels;

struct DotI8Avx2 {
  static __m256i dot(__m256i unsignedA, __m256i signedB) {
    __m256i pairs = _mm256_maddubs_epi16(unsignedA, signedB);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }
};

constexpr int kChunks = kBlock / 4;
constexpr int64_t kHalf = kInterleave / 2;

/// Zeroes a vector, or every vector of a (nested) array of them.
inline void setZero(__m256i &v) { v = _mm256_setzero_si256(); }
inline void setZero(__m256 &v) { v = _mm256_setzero_ps(); }
template <typename T, size_t N> inline void setZero(T (&values)[N]) {
  for (T &value : values)
    setZero(value);
}

inline __m256i broadcastChunk(const int8_t *q, int c) {
  int32_t bytes;
  std::memcpy(&bytes, q + 4 * c, sizeof(bytes));
  return _mm256_set1_epi32(bytes);
}

/// Block `b` of both 8-row halves of a group . one token's activation
/// block `q`: the int32 dot products of rows 0-7 (`sum[0]`) and 8-15.
template <int Format>
inline void blockDot(const uint8_t *codes, const int8_t *q, int32_t qSum,
                     __m256i (&sum)[2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (Format == TFM_QUANT_Q8_0_X16) {
    // Signed weights, |a| and sign(w, a): no pair sum above 127 * 128 * 2.
    const __m256i flip = _mm256_set1_epi8(char(0x80));
    sum[0] = sum[1] = _mm256_setzero_si256();
    for (int c = 0; c < kChunks; ++c) {
      __m256i x = broadcastChunk(q, c), absX = _mm256_abs_epi8(x);
      for (int h = 0; h < 2; ++h) {
        __m256i w = _mm256_xor_si256(
            loadBytes(codes + c * kChunkBytes + 4 * kHalf * h), flip);
        __m256i pairs = _mm256_maddubs_epi16(absX, _mm256_sign_epi8(w, x));
        sum[h] = _mm256_add_epi32(sum[h], _mm256_madd_epi16(pairs, ones));
      }
    }
  } else {
    // Codes 0..15 times |a| <= 127: the 16 products of a lane's two int16
    // halves sum to at most 8 * 2 * 15 * 127 = 30480, so the pairs add up in
    // int16 and widen once per block.
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i pairs[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int m = 0; m < kChunks / 2; ++m) {
      __m256i low = broadcastChunk(q, m);
      __m256i high = broadcastChunk(q, m + kChunks / 2);
      for (int h = 0; h < 2; ++h) {
        __m256i bytes = loadBytes(codes + m * kChunkBytes + 4 * kHalf * h);
        __m256i lowCodes = _mm256_and_si256(bytes, nibble);
        __m256i highCodes =
            _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
        pairs[h] = _mm256_add_epi16(
            pairs[h], _mm256_add_epi16(_mm256_maddubs_epi16(lowCodes, low),
                                       _mm256_maddubs_epi16(highCodes, high)));
      }
    }
    // The zero point: codes are nibble values, weights nibble - 8.
    __m256i offset = _mm256_set1_epi32(8 * qSum);
    for (int h = 0; h < 2; ++h)
      sum[h] = _mm256_sub_epi32(_mm256_madd_epi16(pairs[h], ones), offset);
  }
}

/// Stores (or, accumulating, adds) the sums of each group's two 8-row
/// halves at outs[i][0..15].
template <int Groups>
inline void storeGroupSums(bool accumulate, __m256 (&acc)[Groups][2],
                           float *const (&outs)[Groups]) {
  for (int i = 0; i < Groups; ++i)
    for (int h = 0; h < 2; ++h) {
      float *o = outs[i] + h * kHalf;
      if (accumulate)
        acc[i][h] = _mm256_add_ps(acc[i][h], _mm256_loadu_ps(o));
      _mm256_storeu_ps(o, acc[i][h]);
    }
}

/// Q6_K_X16: 8 rows' codes (value + 32, 0..63) of elements 4m..4m+3
/// (`low`) and 16+4m..16+4m+3 (`high`) from nibble chunk `m` of a block and
/// the high-bit chunk it shares with chunk m ^ 1 (tfm_kernels.h). The 16-bit
/// shifts move bits across bytes; the 0x30 mask keeps a byte's own two.
template <int M>
inline void q6kChunkCodes(__m256i nibbles, __m256i tops, __m256i &low,
                          __m256i &high) {
  const __m256i nibble = _mm256_set1_epi8(0x0F), topBits = _mm256_set1_epi8(0x30);
  __m256i lowTops = M % 2 ? tops : _mm256_slli_epi16(tops, 4);
  __m256i highTops = M % 2 ? _mm256_srli_epi16(tops, 2) : _mm256_slli_epi16(tops, 2);
  low = _mm256_or_si256(_mm256_and_si256(nibbles, nibble),
                        _mm256_and_si256(lowTops, topBits));
  high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(nibbles, 4), nibble),
                         _mm256_and_si256(highTops, topBits));
}

/// The codes (value + 32) of nibble chunks 2P and 2P + 1 of one 8-row half
/// `h` of a Q6_K_X16 block: elements 4m.. (`low[i]`) and 16+4m.. (`high[i]`)
/// of chunk m = 2P + i.
template <int P>
inline void q6kChunkPairCodes(const uint8_t *block, int64_t h,
                              __m256i (&low)[2], __m256i (&high)[2]) {
  const uint8_t *nibbles = block + 4 * kHalf * h;
  __m256i tops = loadBytes(nibbles + 4 * kChunkBytes + P * kChunkBytes);
  q6kChunkCodes<2 * P>(loadBytes(nibbles + 2 * P * kChunkBytes), tops, low[0],
                       high[0]);
  q6kChunkCodes<2 * P + 1>(loadBytes(nibbles + (2 * P + 1) * kChunkBytes),
                           tops, low[1], high[1]);
}

/// Where a block's codes come from: decoded from the packed block, or
/// loaded from a block of unpacked codes (the layout of unpackGroup:
/// per chunk m, 64 bytes of low-element codes, then 64 of high-element).
template <bool Unpacked, int P>
inline void q6kCodes(const uint8_t *block, int64_t h, __m256i (&low)[2],
                     __m256i (&high)[2]) {
  if constexpr (!Unpacked) {
    q6kChunkPairCodes<P>(block, h, low, high);
  } else {
    for (int i = 0; i < 2; ++i) {
      const uint8_t *chunk = block + 2 * (2 * P + i) * kChunkBytes + 4 * kHalf * h;
      low[i] = loadBytes(chunk);
      high[i] = loadBytes(chunk + kChunkBytes);
    }
  }
}

/// Block `j` of one 8-row half of a Q6_K_X16 group's super-block . one
/// token's activation block `q`: the int32 code products of elements 0-15
/// (`sums[0]`) and 16-31 (`sums[1]`), one row per lane. Codes <= 63 times
/// |a| <= 127 sum to at most 32004 over two chunks' pairs, so int16 holds
/// two chunks before widening.
template <bool Unpacked>
inline void q6kHalfBlockDot(const uint8_t *block, int64_t h, const int8_t *q,
                            __m256i (&sums)[2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  sums[0] = sums[1] = _mm256_setzero_si256();
  auto chunkPair = [&](auto pair) {
    constexpr int P = decltype(pair)::value;
    __m256i lowCodes[2], highCodes[2];
    q6kCodes<Unpacked, P>(block, h, lowCodes, highCodes);
    __m256i lowPairs = _mm256_add_epi16(
        _mm256_maddubs_epi16(lowCodes[0], broadcastChunk(q, 2 * P)),
        _mm256_maddubs_epi16(lowCodes[1], broadcastChunk(q, 2 * P + 1)));
    __m256i highPairs = _mm256_add_epi16(
        _mm256_maddubs_epi16(highCodes[0], broadcastChunk(q, 4 + 2 * P)),
        _mm256_maddubs_epi16(highCodes[1], broadcastChunk(q, 5 + 2 * P)));
    sums[0] = _mm256_add_epi32(sums[0], _mm256_madd_epi16(lowPairs, ones));
    sums[1] = _mm256_add_epi32(sums[1], _mm256_madd_epi16(highPairs, ones));
  };
  chunkPair(std::integral_constant<int, 0>());
  chunkPair(std::integral_constant<int, 1>());
}

/// 32 times the sums of elements 0-15 and 16-31 of each activation block
/// of super-block `sb`: what the codes' +32 adds to a row's two products of
/// a block, the same for every row.
inline void q6kCodeOffsets(const ActivationRow &a, int64_t sb,
                           int32_t (&offsets)[kSuperBlock / kBlock][2]) {
  for (int j = 0; j < kSuperBlock / kBlock; ++j) {
    __m256i lanes = DotI8Avx2::dot(
        _mm256_set1_epi8(32), loadBytes(reinterpret_cast<const uint8_t *>(
                                  a.q + sb * kSuperBlock + j * kBlock)));
    // Lanes 0-3 cover elements 0-15, 4-7 elements 16-31.
    __m256i pairs = _mm256_hadd_epi32(lanes, lanes);
    __m256i quads = _mm256_hadd_epi32(pairs, pairs);
    offsets[j][0] = _mm256_extract_epi32(quads, 0);
    offsets[j][1] = _mm256_extract_epi32(quads, 4);
  }
}

/// Block `j` of a Q6_K_X16 group's super-block `superBlock` . the
/// activations of the same block `b` of one token, added per 8-row half to
/// `sums`: the activation scale times the int8 sub-block scales times the
/// code products, without d. `offsets` are the block's q6kCodeOffsets.
/// The codes are the packed block's, or (`Unpacked`) those at `codes`.
template <bool Unpacked = false>
inline void q6kAccumulateBlock(const uint8_t *superBlock, int j,
                               const ActivationRow &a, int64_t b,
                               const int32_t (&offsets)[2], __m256 (&sums)[2],
                               const uint8_t *codes = nullptr) {
  const uint8_t *scales = superBlock + kQ6KX16ScalesOffset;
  const uint8_t *block =
      Unpacked ? codes
               : superBlock + kQ6KX16BlocksOffset + j * kQ6KX16BlockBytes;
  __m256 activationScale = _mm256_broadcast_ss(&a.scale[b]);
  for (int h = 0; h < 2; ++h) {
    __m256i products[2];
    q6kHalfBlockDot<Unpacked>(block, h, a.q + b * kBlock, products);
    auto rowScales = [&](int k) {
      return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
          reinterpret_cast<const __m128i *>(scales + k * kInterleave +
                                            kHalf * h))));
    };
    __m256 scaled = _mm256_mul_ps(
        _mm256_cvtepi32_ps(
            _mm256_sub_epi32(products[0], _mm256_set1_epi32(offsets[0]))),
        rowScales(2 * j));
    scaled = _mm256_fmadd_ps(
        _mm256_cvtepi32_ps(
            _mm256_sub_epi32(products[1], _mm256_set1_epi32(offsets[1]))),
        rowScales(2 * j + 1), scaled);
    sums[h] = _mm256_fmadd_ps(scaled, activationScale, sums[h]);
  }
}

/// One token times the 16 rows of each of `Groups` Q6_K_X16 groups, to
/// outs[i][0..15]. Block by block across the groups, as the other formats
/// go: a super-block of one group after the other (3360 bytes of each
/// stream in turn) was ~10% slower in a memory-bound decode step, though
/// the same in cache. Each row's d scales a super-block's sum once.
template <int Groups>
void q6kGroupsTimesToken(const QuantizedMatmulArgs &args,
                         const uint8_t *const (&groups)[Groups],
                         const ActivationRow &a, float *const (&outs)[Groups]) {
  constexpr int blocks = kSuperBlock / kBlock;
  __m256 acc[Groups][2];
  for (int i = 0; i < Groups; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t sb = 0, superBlocks = args.inFeatures / kSuperBlock;
       sb < superBlocks; ++sb) {
    int32_t offsets[blocks][2];
    q6kCodeOffsets(a, sb, offsets);
    __m256 sums[Groups][2];
    for (int i = 0; i < Groups; ++i)
      sums[i][0] = sums[i][1] = _mm256_setzero_ps();
    for (int j = 0; j < blocks; ++j)
#pragma GCC unroll 4
      for (int i = 0; i < Groups; ++i)
        q6kAccumulateBlock(groups[i] + sb * kQ6KX16SuperBlockBytes, j, a,
                           sb * blocks + j, offsets[j], sums[i]);
    for (int i = 0; i < Groups; ++i)
      for (int h = 0; h < 2; ++h) {
        __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(
            groups[i] + sb * kQ6KX16SuperBlockBytes + 2 * kHalf * h)));
        acc[i][h] = _mm256_fmadd_ps(sums[i][h], d, acc[i][h]);
      }
  }
  storeGroupSums(args.accumulate, acc, outs);
}

/// Block `b` of one 8-row half `h` of a Q4_K_X16 group . one token's
/// activation block `q`: the int32 code products, one row per lane. Codes
/// 0..15 times |a| <= 127 sum to at most 30480 over a block's 8 chunks, so
/// the pairs add up in int16.
inline __m256i q4kHalfBlockDot(const uint8_t *superBlock, int j, int64_t h,
                               const int8_t *q) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const uint8_t *pair = superBlock + kQ4KX16CodesOffset +
                        (j / 2) * kQ4KX16PairBytes + 4 * kHalf * h;
  __m256i pairs = _mm256_setzero_si256();
  for (int c = 0; c < kChunks; ++c) {
    __m256i bytes = loadBytes(pair + c * kChunkBytes);
    __m256i codes =
        _mm256_and_si256(j % 2 ? _mm256_srli_epi16(bytes, 4) : bytes, nibble);
    pairs = _mm256_add_epi16(pairs,
                             _mm256_maddubs_epi16(codes, broadcastChunk(q, c)));
  }
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

/// The 8 sub-blocks' d * scale and dmin * min of the 16 rows of a Q4_K_X16
/// super-block, as 16 floats per sub-block.
struct Q4KSuperBlockScales {
  alignas(32) float scale[kSuperBlock / kBlock][kInterleave];
  alignas(32) float min[kSuperBlock / kBlock][kInterleave];
};

/// Byte `K` of each 32-bit lane of `v`, as int32 lanes.
template <int K> inline __m256i laneByte(__m256i v) {
  if constexpr (K == 3)
    return _mm256_srli_epi32(v, 24);
  else
    return _mm256_and_si256(K ? _mm256_srli_epi32(v, 8 * K) : v,
                            _mm256_set1_epi32(0xFF));
}

/// The table of one 8-row half: the packed words give the 8 scales and 8
/// mins of each row as 4 bytes per lane in 4 vectors (GGML's layout, byte
/// by byte as scaleMinK4), then each byte is widened, converted and scaled.
inline void q4kSuperBlockScales(const uint8_t *superBlock,
                                Q4KSuperBlockScales &out) {
  const __m256i low6 = _mm256_set1_epi8(0x3F), low4 = _mm256_set1_epi8(0x0F);
  const __m256i top2 = _mm256_set1_epi8(0x30);
  for (int h = 0; h < 2; ++h) {
    const uint8_t *words = superBlock + kQ4KX16ScaleWordsOffset + 4 * kHalf * h;
    __m256i w0 = loadBytes(words), w1 = loadBytes(words + kChunkBytes),
            w2 = loadBytes(words + 2 * kChunkBytes);
    // Scales and mins of sub-blocks 0-3 and 4-7, one byte each.
    __m256i packed[2][2] = {
        {_mm256_and_si256(w0, low6),
         _mm256_or_si256(_mm256_and_si256(w2, low4),
                         _mm256_and_si256(_mm256_srli_epi32(w0, 2), top2))},
        {_mm256_and_si256(w1, low6),
         _mm256_or_si256(
             _mm256_and_si256(_mm256_srli_epi32(w2, 4), low4),
             _mm256_and_si256(_mm256_srli_epi32(w1, 2), top2))}};
    __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(
        reinterpret_cast<const __m128i *>(superBlock + 2 * kHalf * h)));
    __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(
        superBlock + kQ4KX16MinScalesOffset + 2 * kHalf * h)));
    auto store = [&](auto byte) {
      constexpr int K = decltype(byte)::value;
      for (int half = 0; half < 2; ++half) {
        int j = 4 * half + K;
        _mm256_store_ps(out.scale[j] + kHalf * h,
                        _mm256_mul_ps(d, _mm256_cvtepi32_ps(
                                             laneByte<K>(packed[0][half]))));
        _mm256_store_ps(out.min[j] + kHalf * h,
                        _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(
                                                laneByte<K>(packed[1][half]))));
      }
    };
    store(std::integral_constant<int, 0>());
    store(std::integral_constant<int, 1>());
    store(std::integral_constant<int, 2>());
    store(std::integral_constant<int, 3>());
  }
}

/// One token times the 16 rows of each of `Groups` Q4_K_X16 groups, to
/// outs[i][0..15], block by block across the groups:
/// x = d * scale * code - dmin * min, summed against the activations. Each
/// super-block's scales and mins are unpacked once, at its first block (in
/// cache, 1 thread: 20-25 GB/s of weights; unpacking one sub-block's at
/// every block, 19.7).
template <int Groups>
void q4kGroupsTimesToken(const QuantizedMatmulArgs &args,
                         const uint8_t *const (&groups)[Groups],
                         const ActivationRow &a, float *const (&outs)[Groups]) {
  constexpr int blocks = kSuperBlock / kBlock;
  __m256 acc[Groups][2];
  for (int i = 0; i < Groups; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  Q4KSuperBlockScales scales[Groups];
  for (int64_t b = 0, count = args.inFeatures / kBlock; b < count; ++b) {
    int64_t sb = b / blocks;
    int j = int(b % blocks);
    if (j == 0)
      for (int i = 0; i < Groups; ++i)
        q4kSuperBlockScales(groups[i] + sb * kQ4KX16SuperBlockBytes,
                            scales[i]);
    __m256 activationScale = _mm256_broadcast_ss(&a.scale[b]);
    __m256 scaledSum = _mm256_broadcast_ss(&a.scaledSum[b]);
    const int8_t *q = a.q + b * kBlock;
#pragma GCC unroll 4
    for (int i = 0; i < Groups; ++i) {
      const uint8_t *superBlock = groups[i] + sb * kQ4KX16SuperBlockBytes;
      for (int h = 0; h < 2; ++h) {
        __m256i dot = q4kHalfBlockDot(superBlock, j, h, q);
        acc[i][h] = _mm256_fmadd_ps(
            _mm256_cvtepi32_ps(dot),
            _mm256_mul_ps(_mm256_load_ps(scales[i].scale[j] + kHalf * h),
                          activationScale),
            acc[i][h]);
        acc[i][h] = _mm256_fnmadd_ps(
            _mm256_load_ps(scales[i].min[j] + kHalf * h), scaledSum,
            acc[i][h]);
      }
    }
  }
  storeGroupSums(args.accumulate, acc, outs);
}

// kStreams (QuantizedMatmulX86.h): groups whose blocks are read in turn,
// one group from each of that many equal parts of the matrix, so the
// weights arrive as that many sequential streams. A core's hardware
// prefetchers follow each stream on its own, and one stream alone left a
// one-thread decode waiting on memory (Zen 3, llama-110m's matrices: a
// plain read loop streams 12.5 GB/s from one sequence, 16-18 from 2-4
// interleaved ones; this kernel, called on whole matrices, went from ~140
// to ~190 llama-110m decode steps/s with 4 and software prefetch added
// nothing on top; 6 and 8 were no faster).

/// One token times the 16 rows of each of `Groups` groups, to
/// outs[i][0..15].
template <int Format, int Groups>
void groupsTimesToken(const QuantizedMatmulArgs &args,
                      const uint8_t *const (&groups)[Groups],
                      const ActivationRow &a, float *const (&outs)[Groups]) {
  constexpr int64_t blockBytes =
      kInterleave * (Format == TFM_QUANT_Q8_0_X16 ? kQ8_0Bytes : kQ4_0Bytes);
  __m256 acc[Groups][2];
  for (int i = 0; i < Groups; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t b = 0, blocks = args.inFeatures / kBlock; b < blocks; ++b) {
    __m256 activationScale = _mm256_set1_ps(a.scale[b]);
    // Unrolled, so that the accumulators are registers, not a stack array
    // indexed by the loop (clang left this loop rolled).
#pragma GCC unroll 4
    for (int i = 0; i < Groups; ++i) {
      const uint8_t *block = groups[i] + b * blockBytes;
      __m256i sum[2];
      blockDot<Format>(block + 2 * kInterleave, a.q + b * kBlock, a.sum[b],
                       sum);
      for (int h = 0; h < 2; ++h) {
        __m256 rowScales = _mm256_cvtph_ps(_mm_loadu_si128(
            reinterpret_cast<const __m128i *>(block + 2 * kHalf * h)));
        acc[i][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[h]),
                                    _mm256_mul_ps(rowScales, activationScale),
                                    acc[i][h]);
      }
    }
  }
  storeGroupSums(args.accumulate, acc, outs);
}

/// Every token times the groups `first[i] + g`, i < Groups: each group is
/// read from memory for the first token and from cache for the others.
template <int Format, int Groups>
void groupsTimesTokens(const QuantizedMatmulArgs &args,
                       const int64_t (&first)[Groups], int64_t g) {
  const uint8_t *groups[Groups];
  for (int i = 0; i < Groups; ++i)
    groups[i] = args.weights + (first[i] + g) * kInterleave * args.rowBytes;
  for (int64_t t = 0; t < args.tokens; ++t) {
    float *outs[Groups];
    for (int i = 0; i < Groups; ++i)
      outs[i] = args.out + t * args.outStride + (first[i] + g) * kInterleave;
    ActivationRow a = activationRow(args.activations, t, args.inFeatures,
                                    args.activationRowBytes);
    if constexpr (Format == TFM_QUANT_Q6_K_X16)
      q6kGroupsTimesToken<Groups>(args, groups, a, outs);
    else if constexpr (Format == TFM_QUANT_Q4_K_X16)
      q4kGroupsTimesToken<Groups>(args, groups, a, outs);
    else
      groupsTimesToken<Format, Groups>(args, groups, a, outs);
  }
}

// Prefill of the interleaved q4_0 and q8_0 formats: a group's codes are
// unpacked once into one byte each in a buffer that stays in L1/L2 for all
// tokens: q4_0 nibbles into codes 0..15, so a token's block product is
// loads and vpmaddubsw only (24 fewer vector ALU instructions of ~66 per
// block and token: the mask, shift, mask of every chunk); q8_0 codes back
// into signed values (one vpxor fewer per 32 products; the |a|, sign(w, a)
// step depends on the token).

/// Inputs of a group unpacked at a time (16 x 4096 bytes on the stack);
/// wider layers are taken in slices of this many inputs.
constexpr int64_t kUnpackedInputs = 4096;
/// Bytes of one block's unpacked codes (16 rows x 32), in chunks of 4
/// elements of the 16 rows: q4_0 per nibble chunk m the codes of elements
/// 4m..4m+3 then 16+4m..16+4m+3; q8_0 chunk c for elements 4c..4c+3.
constexpr int64_t kUnpackedBlockBytes = kInterleave * kBlock;

template <int Format>
constexpr int64_t interleavedBlockBytes() {
  return kInterleave * (Format == TFM_QUANT_Q8_0_X16 ? kQ8_0Bytes : kQ4_0Bytes);
}

/// Blocks [0, blocks) of the group at `group` as unpacked codes at `codes`.
template <int Format>
void unpackGroup(const uint8_t *group, int64_t blocks, uint8_t *codes) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i flip = _mm256_set1_epi8(char(0x80));
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t *chunks =
        group + b * interleavedBlockBytes<Format>() + 2 * kInterleave;
    uint8_t *out = codes + b * kUnpackedBlockBytes;
    auto store = [](uint8_t *at, __m256i value) {
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(at), value);
    };
    if constexpr (Format == TFM_QUANT_Q8_0_X16) {
      for (int64_t i = 0; i < kUnpackedBlockBytes; i += 32)
        store(out + i, _mm256_xor_si256(loadBytes(chunks + i), flip));
      continue;
    }
    for (int m = 0; m < kChunks / 2; ++m)
      for (int h = 0; h < 2; ++h) {
        __m256i bytes = loadBytes(chunks + m * kChunkBytes + 4 * kHalf * h);
        uint8_t *low = out + 2 * m * kChunkBytes + 4 * kHalf * h;
        store(low, _mm256_and_si256(bytes, nibble));
        store(low + kChunkBytes,
              _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble));
      }
  }
}

/// The codes of super-blocks [0, superBlocks) of the Q6_K_X16 group at
/// `group`, block by block, in the layout q6kCodes reads.
void unpackQ6Group(const uint8_t *group, int64_t superBlocks, uint8_t *codes) {
  for (int64_t sb = 0; sb < superBlocks; ++sb)
    for (int j = 0; j < kSuperBlock / kBlock; ++j) {
      const uint8_t *block = group + sb * kQ6KX16SuperBlockBytes +
                             kQ6KX16BlocksOffset + j * kQ6KX16BlockBytes;
      uint8_t *out =
          codes + (sb * (kSuperBlock / kBlock) + j) * kUnpackedBlockBytes;
      for (int64_t h = 0; h < 2; ++h) {
        auto store = [&](int m, __m256i low, __m256i high) {
          uint8_t *at = out + 2 * m * kChunkBytes + 4 * kHalf * h;
          _mm256_storeu_si256(reinterpret_cast<__m256i *>(at), low);
          _mm256_storeu_si256(reinterpret_cast<__m256i *>(at + kChunkBytes),
                              high);
        };
        __m256i low[2], high[2];
        q6kChunkPairCodes<0>(block, h, low, high);
        store(0, low[0], high[0]);
        store(1, low[1], high[1]);
        q6kChunkPairCodes<1>(block, h, low, high);
        store(2, low[0], high[0]);
        store(3, low[1], high[1]);
      }
    }
}

/// Every token times the `Groups` Q6_K_X16 groups from `g`, their codes
/// unpacked once per slice of kUnpackedInputs inputs (whole super-blocks);
/// the slices after the first add their sums. A token's code offsets (and
/// the activation broadcasts of a block) serve every group.
template <int Groups>
void unpackedQ6GroupsTimesTokens(const QuantizedMatmulArgs &args,
                                 int64_t g) {
  alignas(32) uint8_t codes[Groups][kInterleave * kUnpackedInputs];
  constexpr int blocks = kSuperBlock / kBlock;
  constexpr int64_t sliceSuperBlocks = kUnpackedInputs / kSuperBlock;
  const uint8_t *groups[Groups];
  for (int G = 0; G < Groups; ++G)
    groups[G] = args.weights + (g + G) * kInterleave * args.rowBytes;
  for (int64_t s0 = 0, superBlocks = args.inFeatures / kSuperBlock;
       s0 < superBlocks; s0 += sliceSuperBlocks) {
    int64_t s1 = std::min(superBlocks, s0 + sliceSuperBlocks);
    for (int G = 0; G < Groups; ++G)
      unpackQ6Group(groups[G] + s0 * kQ6KX16SuperBlockBytes, s1 - s0,
                    codes[G]);
    for (int64_t t = 0; t < args.tokens; ++t) {
      ActivationRow a = activationRow(args.activations, t, args.inFeatures,
                                      args.activationRowBytes);
      __m256 acc[Groups][1][2];
      setZero(acc);
      for (int64_t sb = s0; sb < s1; ++sb) {
        int32_t offsets[blocks][2];
        q6kCodeOffsets(a, sb, offsets);
        __m256 sums[Groups][2];
        setZero(sums);
        for (int j = 0; j < blocks; ++j)
          for (int G = 0; G < Groups; ++G)
            q6kAccumulateBlock<true>(
                groups[G] + sb * kQ6KX16SuperBlockBytes, j, a, sb * blocks + j,
                offsets[j], sums[G],
                codes[G] + ((sb - s0) * blocks + j) * kUnpackedBlockBytes);
        for (int G = 0; G < Groups; ++G)
          for (int h = 0; h < 2; ++h) {
            __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(
                reinterpret_cast<const __m128i *>(
                    groups[G] + sb * kQ6KX16SuperBlockBytes + 2 * kHalf * h)));
            acc[G][0][h] = _mm256_fmadd_ps(sums[G][h], d, acc[G][0][h]);
          }
      }
      for (int G = 0; G < Groups; ++G) {
        float *const outs[1] = {args.out + t * args.outStride +
                                (g + G) * kInterleave};
        storeGroupSums(args.accumulate || s0 > 0, acc[G], outs);
      }
    }
  }
}

/// Stores (or with `accumulate` adds) the sums of tokens t, t + 1 for the
/// `Groups` groups from `g`.
template <int Groups>
void storeTokenPairSums(const QuantizedMatmulArgs &args,
                        const __m256 (&acc)[Groups][2][2], int64_t g,
                        int64_t t, bool accumulate) {
  for (int G = 0; G < Groups; ++G)
    for (int k = 0; k < 2; ++k) {
      __m256 sums[1][2] = {{acc[G][k][0], acc[G][k][1]}};
      float *const outs[1] = {args.out + (t + k) * args.outStride +
                              (g + G) * kInterleave};
      storeGroupSums(accumulate, sums, outs);
    }
}

/// The int16 pair sums of one unpacked Q4_K_X16 block (both 8-row halves)
/// of each of `Groups` groups for two tokens: each code vector loaded once
/// for both tokens, each broadcast of activations used by every group;
/// rolled, as unpackedQ4PairSums.
template <int Groups>
inline void unpackedQ4KPairSums(const uint8_t *const (&blocks)[Groups],
                                const int8_t *q0, const int8_t *q1,
                                __m256i (&pairs)[Groups][2][2]) {
  setZero(pairs);
#pragma clang loop unroll(disable)
  for (int c = 0; c < kChunks; ++c) {
    __m256i x0 = broadcastChunk(q0, c), x1 = broadcastChunk(q1, c);
    for (int G = 0; G < Groups; ++G)
      for (int h = 0; h < 2; ++h) {
        __m256i codes = loadBytes(blocks[G] + c * kChunkBytes + 4 * kHalf * h);
        pairs[G][0][h] =
            _mm256_add_epi16(pairs[G][0][h], _mm256_maddubs_epi16(codes, x0));
        pairs[G][1][h] =
            _mm256_add_epi16(pairs[G][1][h], _mm256_maddubs_epi16(codes, x1));
      }
  }
}

/// Adds code products `pairs` of block `b` (sub-block `j` of its
/// super-block, scales in `table`) to one token's accumulators: the
/// one-token loop's arithmetic.
inline void addQ4KBlock(const __m256i (&pairs)[2],
                        const Q4KSuperBlockScales &table, int j,
                        const ActivationRow &a, int64_t b, __m256 (&acc)[2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 activationScale = _mm256_broadcast_ss(&a.scale[b]);
  __m256 scaledSum = _mm256_broadcast_ss(&a.scaledSum[b]);
  for (int h = 0; h < 2; ++h) {
    __m256i dot = _mm256_madd_epi16(pairs[h], ones);
    acc[h] = _mm256_fmadd_ps(
        _mm256_cvtepi32_ps(dot),
        _mm256_mul_ps(_mm256_load_ps(table.scale[j] + kHalf * h),
                      activationScale),
        acc[h]);
    acc[h] = _mm256_fnmadd_ps(_mm256_load_ps(table.min[j] + kHalf * h),
                              scaledSum, acc[h]);
  }
}

/// The codes of super-blocks [s0, s1) of the Q4_K_X16 group at `group`
/// unpacked at `codes` (the even block of a pair from the low nibbles, the
/// odd one from the high), and their scale tables.
void unpackQ4KGroup(const uint8_t *group, int64_t s0, int64_t s1,
                    uint8_t *codes, Q4KSuperBlockScales *scales) {
  constexpr int blocks = kSuperBlock / kBlock;
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  for (int64_t sb = s0; sb < s1; ++sb) {
    const uint8_t *superBlock = group + sb * kQ4KX16SuperBlockBytes;
    q4kSuperBlockScales(superBlock, scales[sb - s0]);
    for (int pair = 0; pair < blocks / 2; ++pair) {
      const uint8_t *chunks =
          superBlock + kQ4KX16CodesOffset + pair * kQ4KX16PairBytes;
      uint8_t *even =
          codes + ((sb - s0) * blocks + 2 * pair) * kUnpackedBlockBytes;
      for (int64_t i = 0; i < kQ4KX16PairBytes; i += 32) {
        __m256i bytes = loadBytes(chunks + i);
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(even + i),
                            _mm256_and_si256(bytes, nibble));
        _mm256_storeu_si256(
            reinterpret_cast<__m256i *>(even + kUnpackedBlockBytes + i),
            _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble));
      }
    }
  }
}

/// Every token times the `Groups` Q4_K_X16 groups from `g`: per slice of
/// kUnpackedInputs inputs, their codes are unpacked and their super-blocks'
/// scale tables computed once; a token's block product is then loads and
/// vpmaddubsw, the loads shared by two tokens, the activation broadcasts
/// by the groups.
template <int Groups>
void unpackedQ4KGroupsTimesTokens(const QuantizedMatmulArgs &args,
                                  int64_t g) {
  constexpr int blocks = kSuperBlock / kBlock;
  constexpr int64_t sliceSuperBlocks = kUnpackedInputs / kSuperBlock;
  alignas(32) uint8_t codes[Groups][kInterleave * kUnpackedInputs];
  Q4KSuperBlockScales scales[Groups][sliceSuperBlocks];
  for (int64_t s0 = 0, superBlocks = args.inFeatures / kSuperBlock;
       s0 < superBlocks; s0 += sliceSuperBlocks) {
    int64_t s1 = std::min(superBlocks, s0 + sliceSuperBlocks);
    for (int G = 0; G < Groups; ++G)
      unpackQ4KGroup(args.weights + (g + G) * kInterleave * args.rowBytes, s0,
                     s1, codes[G], scales[G]);
    int64_t t = 0;
    // Two tokens at a time (each code vector loaded once for both), then
    // the one left over.
    for (; t + 2 <= args.tokens; t += 2) {
      ActivationRow a[2] = {activationRow(args.activations, t, args.inFeatures,
                                          args.activationRowBytes),
                            activationRow(args.activations, t + 1,
                                          args.inFeatures,
                                          args.activationRowBytes)};
      __m256 acc[Groups][2][2];
      setZero(acc);
      for (int64_t b = s0 * blocks; b < s1 * blocks; ++b) {
        const uint8_t *blockCodes[Groups];
        for (int G = 0; G < Groups; ++G)
          blockCodes[G] = codes[G] + (b - s0 * blocks) * kUnpackedBlockBytes;
        __m256i pairs[Groups][2][2];
        unpackedQ4KPairSums<Groups>(blockCodes, a[0].q + b * kBlock,
                                    a[1].q + b * kBlock, pairs);
        for (int G = 0; G < Groups; ++G)
          for (int k = 0; k < 2; ++k)
            addQ4KBlock(pairs[G][k], scales[G][b / blocks - s0],
                        int(b % blocks), a[k], b, acc[G][k]);
      }
      storeTokenPairSums(args, acc, g, t, args.accumulate || s0 > 0);
    }
    for (; t < args.tokens; ++t) {
      ActivationRow a = activationRow(args.activations, t, args.inFeatures,
                                      args.activationRowBytes);
      for (int G = 0; G < Groups; ++G) {
        __m256 acc[1][2] = {{_mm256_setzero_ps(), _mm256_setzero_ps()}};
        for (int64_t b = s0 * blocks; b < s1 * blocks; ++b) {
          const uint8_t *block =
              codes[G] + (b - s0 * blocks) * kUnpackedBlockBytes;
          const int8_t *q = a.q + b * kBlock;
          __m256i pairs[2];
          for (int h = 0; h < 2; ++h) {
            pairs[h] = _mm256_setzero_si256();
            for (int c = 0; c < kChunks; ++c)
              pairs[h] = _mm256_add_epi16(
                  pairs[h],
                  _mm256_maddubs_epi16(
                      loadBytes(block + c * kChunkBytes + 4 * kHalf * h),
                      broadcastChunk(q, c)));
          }
          addQ4KBlock(pairs, scales[G][b / blocks - s0], int(b % blocks), a,
                      b, acc[0]);
        }
        float *const outs[1] = {args.out + t * args.outStride +
                                (g + G) * kInterleave};
        storeGroupSums(args.accumulate || s0 > 0, acc, outs);
      }
    }
  }
}

/// blockDot from the unpacked codes of one block of each of `Groups`
/// groups, for one token: each broadcast of its activations (and for q8_0
/// their absolute values) feeds every group.
template <int Format, int Groups>
inline void unpackedBlockDots(const uint8_t *const (&codes)[Groups],
                              const int8_t *q, int32_t qSum,
                              __m256i (&sum)[Groups][2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (Format == TFM_QUANT_Q8_0_X16) {
    setZero(sum);
    for (int c = 0; c < kChunks; ++c) {
      __m256i x = broadcastChunk(q, c), absX = _mm256_abs_epi8(x);
      for (int G = 0; G < Groups; ++G)
        for (int h = 0; h < 2; ++h) {
          __m256i w = loadBytes(codes[G] + c * kChunkBytes + 4 * kHalf * h);
          __m256i pairs = _mm256_maddubs_epi16(absX, _mm256_sign_epi8(w, x));
          sum[G][h] =
              _mm256_add_epi32(sum[G][h], _mm256_madd_epi16(pairs, ones));
        }
    }
    return;
  }
  __m256i pairs[Groups][2];
  setZero(pairs);
  for (int m = 0; m < kChunks / 2; ++m) {
    __m256i low = broadcastChunk(q, m);
    __m256i high = broadcastChunk(q, m + kChunks / 2);
    for (int G = 0; G < Groups; ++G)
      for (int h = 0; h < 2; ++h) {
        const uint8_t *chunk = codes[G] + 2 * m * kChunkBytes + 4 * kHalf * h;
        pairs[G][h] = _mm256_add_epi16(
            pairs[G][h],
            _mm256_add_epi16(
                _mm256_maddubs_epi16(loadBytes(chunk), low),
                _mm256_maddubs_epi16(loadBytes(chunk + kChunkBytes), high)));
      }
  }
  __m256i offset = _mm256_set1_epi32(8 * qSum);
  for (int G = 0; G < Groups; ++G)
    for (int h = 0; h < 2; ++h)
      sum[G][h] = _mm256_sub_epi32(_mm256_madd_epi16(pairs[G][h], ones), offset);
}

/// The int16 pair sums of unpackedBlockDot's q4_0 case for two tokens and
/// `Groups` groups at once: each code vector is loaded once for both
/// tokens, each broadcast of activations feeds every group (loads and
/// broadcasts, not the arithmetic, were a third of the one-token, one-group
/// loop's instructions). Rolled: unrolled, clang hoisted all 16 broadcasts
/// and spilled them (43 cycles per block and token pair in llvm-mca, 30%
/// slower than one token).
template <int Groups>
inline void unpackedQ4PairSums(const uint8_t *const (&codes)[Groups],
                               const int8_t *q0, const int8_t *q1,
                               __m256i (&pairs)[Groups][2][2]) {
  setZero(pairs);
#pragma clang loop unroll(disable)
  for (int m = 0; m < kChunks / 2; ++m) {
    __m256i low0 = broadcastChunk(q0, m);
    __m256i high0 = broadcastChunk(q0, m + kChunks / 2);
    __m256i low1 = broadcastChunk(q1, m);
    __m256i high1 = broadcastChunk(q1, m + kChunks / 2);
    for (int G = 0; G < Groups; ++G)
      for (int h = 0; h < 2; ++h) {
        const uint8_t *chunk = codes[G] + 2 * m * kChunkBytes + 4 * kHalf * h;
        __m256i lowCodes = loadBytes(chunk);
        __m256i highCodes = loadBytes(chunk + kChunkBytes);
        pairs[G][0][h] = _mm256_add_epi16(
            pairs[G][0][h],
            _mm256_add_epi16(_mm256_maddubs_epi16(lowCodes, low0),
                             _mm256_maddubs_epi16(highCodes, high0)));
        pairs[G][1][h] = _mm256_add_epi16(
            pairs[G][1][h],
            _mm256_add_epi16(_mm256_maddubs_epi16(lowCodes, low1),
                             _mm256_maddubs_epi16(highCodes, high1)));
      }
  }
}

/// Tokens t and t + 1 times the `Groups` Q4_0_X16 groups from `g` over
/// blocks [b0, b1), whose codes are unpacked at `codes`: per token and
/// group the same arithmetic, in the same order, as the one-token loop of
/// unpackedGroupsTimesTokens.
template <int Groups>
void unpackedQ4GroupsTimesTokenPair(const QuantizedMatmulArgs &args,
                                    const uint8_t *const (&groups)[Groups],
                                    const uint8_t *const (&codes)[Groups],
                                    int64_t b0, int64_t b1, int64_t g,
                                    int64_t t) {
  constexpr int64_t blockBytes = interleavedBlockBytes<TFM_QUANT_Q4_0_X16>();
  const __m256i ones = _mm256_set1_epi16(1);
  ActivationRow rows[2] = {
      activationRow(args.activations, t, args.inFeatures,
                    args.activationRowBytes),
      activationRow(args.activations, t + 1, args.inFeatures,
                    args.activationRowBytes)};
  __m256 acc[Groups][2][2];
  setZero(acc);
  for (int64_t b = b0; b < b1; ++b) {
    const uint8_t *blockCodes[Groups];
    for (int G = 0; G < Groups; ++G)
      blockCodes[G] = codes[G] + (b - b0) * kUnpackedBlockBytes;
    __m256i pairs[Groups][2][2];
    unpackedQ4PairSums<Groups>(blockCodes, rows[0].q + b * kBlock,
                               rows[1].q + b * kBlock, pairs);
    for (int G = 0; G < Groups; ++G)
      for (int h = 0; h < 2; ++h) {
        __m256 rowScales = _mm256_cvtph_ps(_mm_loadu_si128(
            reinterpret_cast<const __m128i *>(groups[G] + b * blockBytes +
                                              2 * kHalf * h)));
        for (int k = 0; k < 2; ++k) {
          // The zero point: codes are nibble values, weights nibble - 8.
          __m256i dot =
              _mm256_sub_epi32(_mm256_madd_epi16(pairs[G][k][h], ones),
                               _mm256_set1_epi32(8 * rows[k].sum[b]));
          acc[G][k][h] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(dot),
              _mm256_mul_ps(rowScales, _mm256_set1_ps(rows[k].scale[b])),
              acc[G][k][h]);
        }
      }
  }
  storeTokenPairSums(args, acc, g, t, args.accumulate || b0 > 0);
}

/// Every token times the `Groups` groups from `g` (q8_0 or q4_0), their
/// codes unpacked once per slice of kUnpackedInputs inputs; the slices
/// after the first add their sums.
template <int Format, int Groups = 1>
void unpackedGroupsTimesTokens(const QuantizedMatmulArgs &args, int64_t g) {
  alignas(32) uint8_t unpacked[Groups][kInterleave * kUnpackedInputs];
  const uint8_t *groups[Groups], *codes[Groups];
  for (int G = 0; G < Groups; ++G) {
    groups[G] = args.weights + (g + G) * kInterleave * args.rowBytes;
    codes[G] = unpacked[G];
  }
  constexpr int64_t blockBytes = interleavedBlockBytes<Format>();
  constexpr int64_t sliceBlocks = kUnpackedInputs / kBlock;
  for (int64_t b0 = 0, blocks = args.inFeatures / kBlock; b0 < blocks;
       b0 += sliceBlocks) {
    int64_t b1 = std::min(blocks, b0 + sliceBlocks);
    for (int G = 0; G < Groups; ++G)
      unpackGroup<Format>(groups[G] + b0 * blockBytes, b1 - b0, unpacked[G]);
    int64_t t = 0;
    if constexpr (Format == TFM_QUANT_Q4_0_X16)
      for (; t + 2 <= args.tokens; t += 2)
        unpackedQ4GroupsTimesTokenPair<Groups>(args, groups, codes, b0, b1, g,
                                               t);
    for (; t < args.tokens; ++t) {
      ActivationRow a = activationRow(args.activations, t, args.inFeatures,
                                      args.activationRowBytes);
      __m256 acc[Groups][1][2];
      setZero(acc);
      for (int64_t b = b0; b < b1; ++b) {
        const uint8_t *blockCodes[Groups];
        for (int G = 0; G < Groups; ++G)
          blockCodes[G] = codes[G] + (b - b0) * kUnpackedBlockBytes;
        __m256i sum[Groups][2];
        unpackedBlockDots<Format, Groups>(blockCodes, a.q + b * kBlock,
                                          a.sum[b], sum);
        __m256 activationScale = _mm256_set1_ps(a.scale[b]);
        for (int G = 0; G < Groups; ++G)
          for (int h = 0; h < 2; ++h) {
            __m256 rowScales = _mm256_cvtph_ps(_mm_loadu_si128(
                reinterpret_cast<const __m128i *>(groups[G] + b * blockBytes +
                                                  2 * kHalf * h)));
            acc[G][0][h] = _mm256_fmadd_ps(
                _mm256_cvtepi32_ps(sum[G][h]),
                _mm256_mul_ps(rowScales, activationScale), acc[G][0][h]);
          }
      }
      for (int G = 0; G < Groups; ++G) {
        float *const outs[1] = {args.out + t * args.outStride +
                                (g + G) * kInterleave};
        storeGroupSums(args.accumulate || b0 > 0, acc[G], outs);
      }
    }
  }
}

// Up to kStreamedTokens tokens a call is bound by memory and reads
// kStreams streams. More tokens reuse each group enough to be bound by
// arithmetic: one group at a time stays in L1 between them, where four
// groups of FFN-down rows (73 KB for 2048 q4_0 inputs) would not (a
// 128-token prefill of llama-110m's layers measured the same either way,
// within this machine's noise).

template <int Format>
void interleavedMatmul(const QuantizedMatmulArgs &args) {
  int64_t groups = args.rows / kInterleave;
  if (args.tokens > kStreamedTokens) {
    int64_t g = 0;
    // q4_0, q4_k and q6_k: two groups at a time share every broadcast of
    // activations, and q6_k its code offsets (kernel microbenchmark, 128
    // tokens: q4_0 +9-19%, q4_k +6-41%, q6_k +3-9%). Not q8_0: its sign
    // step depends on both operands, and two groups measured 0.98-1.11x.
    if constexpr (Format == TFM_QUANT_Q4_0_X16)
      for (; g + 2 <= groups; g += 2)
        unpackedGroupsTimesTokens<Format, 2>(args, g);
    if constexpr (Format == TFM_QUANT_Q4_K_X16)
      for (; g + 2 <= groups; g += 2)
        unpackedQ4KGroupsTimesTokens<2>(args, g);
    if constexpr (Format == TFM_QUANT_Q6_K_X16)
      for (; g + 2 <= groups; g += 2)
        unpackedQ6GroupsTimesTokens<2>(args, g);
    for (; g < groups; ++g) {
      if constexpr (Format == TFM_QUANT_Q6_K_X16)
        unpackedQ6GroupsTimesTokens<1>(args, g);
      else if constexpr (Format == TFM_QUANT_Q4_K_X16)
        unpackedQ4KGroupsTimesTokens<1>(args, g);
      else
        unpackedGroupsTimesTokens<Format>(args, g);
    }
    return;
  }
  int64_t perStream = groups / kStreams;
  int64_t first[kStreams];
  for (int i = 0; i < kStreams; ++i)
    first[i] = i * perStream;
  for (int64_t g = 0; g < perStream; ++g)
    groupsTimesTokens<Format, kStreams>(args, first, g);
  // The fewer than kStreams groups left over, read together.
  int64_t left = kStreams * perStream;
  static_assert(kStreams == 4, "one case per number of groups left over");
  switch (groups - left) {
  case 3: return groupsTimesTokens<Format, 3>(args, {left, left + 1, left + 2}, 0);
  case 2: return groupsTimesTokens<Format, 2>(args, {left, left + 1}, 0);
  case 1: return groupsTimesTokens<Format, 1>(args, {left}, 0);
  default: return;
  }
}

} // namespace

void tfm::kernels::quantizedMatmulAvx2(const QuantizedMatmulArgs &args) {
  switch (args.format) {
  case TFM_QUANT_Q8_0_X16:
    return interleavedMatmul<TFM_QUANT_Q8_0_X16>(args);
  case TFM_QUANT_Q4_0_X16:
    return interleavedMatmul<TFM_QUANT_Q4_0_X16>(args);
  case TFM_QUANT_Q6_K_X16:
    return interleavedMatmul<TFM_QUANT_Q6_K_X16>(args);
  case TFM_QUANT_Q4_K_X16:
    return interleavedMatmul<TFM_QUANT_Q4_K_X16>(args);
  default:
    return quantizedMatmulFor<DotI8Avx2, /*Streamed=*/true>(args);
  }
}
