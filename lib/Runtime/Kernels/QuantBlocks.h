//===- QuantBlocks.h - scalar view of every weight block format -*- C++ -*-===//
//
// Every format of tfm_kernels.h splits a row into 32-element blocks that
// decode to 32 small integers q, a scale for elements 0-15, one for 16-31
// and an offset: x = scale * q + min. The kernels compute
//   sum_k x_k * a_k = sum_blocks scale * (q . qa) * da + min * da * sum(qa)
// against activations quantized per 32-block (qa, da). This header is the
// portable definition the vector variants are tested against.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_QUANTBLOCKS_H
#define TFM_LIB_RUNTIME_KERNELS_QUANTBLOCKS_H

#include "tfm/Runtime/tfm_kernels.h"

#include <cstdint>
#include <cstring>

namespace tfm::kernels {

constexpr int64_t kBlock = 32;
constexpr int64_t kSuperBlock = 256;
constexpr int64_t kQ8_0Bytes = 34;
constexpr int64_t kQ4_0Bytes = 18;
constexpr int64_t kQ4_1Bytes = 20;
constexpr int64_t kQ4_KBytes = 144;
constexpr int64_t kQ6_KBytes = 210;
/// What the input features of F16 and BF16 rows must be a multiple of: one
/// 16-lane vector.
constexpr int64_t kFloatFormatVector = 16;

/// One decoded 32-element block.
struct DecodedBlock {
  int8_t q[kBlock];
  float scaleLow;
  float scaleHigh;
  float min;
};

/// Where a quantizer writes one token's row of `inFeatures` activations at
/// `out`: the codes, then per block the scales, the scaled sums, the sums
/// and the sums of the first 16 codes (tfm_kernels.h).
struct ActivationRowOut {
  int8_t *q;
  float *scale;
  float *scaledSum;
  int32_t *sum;
  int32_t *lowSum;
};
inline ActivationRowOut activationRowOut(uint8_t *out, int64_t inFeatures) {
  int64_t blocks = inFeatures / kBlock;
  auto *scales = reinterpret_cast<float *>(out + inFeatures);
  auto *sums = reinterpret_cast<int32_t *>(scales + 2 * blocks);
  return {reinterpret_cast<int8_t *>(out), scales, scales + blocks, sums,
          sums + blocks};
}

/// The quantized activations of one token, as the kernels read them (the
/// planes of ActivationRowOut).
struct ActivationRow {
  const int8_t *q;
  const float *scale;
  const float *scaledSum;
  const int32_t *sum;
  /// Per block, the sum of its first 16 codes (Q6_K's 16-element
  /// sub-blocks need each half's).
  const int32_t *lowSum;
};

/// Token `token`'s row; `rowBytes` is tfm_quantized_activation_row_bytes
/// (computed once per call, not per row of weights).
inline ActivationRow activationRow(const void *activations, int64_t token,
                                   int64_t inFeatures, int64_t rowBytes) {
  // One layout for both sides; nothing is written through `row`.
  ActivationRowOut row = activationRowOut(
      const_cast<uint8_t *>(static_cast<const uint8_t *>(activations)) +
          token * rowBytes,
      inFeatures);
  return {row.q, row.scale, row.scaledSum, row.sum, row.lowSum};
}

/// Rows of one interleaved group (tfm_kernels.h, the _X16 formats).
constexpr int64_t kInterleave = TFM_QUANT_INTERLEAVE;
/// Bytes of one element chunk of an interleaved block: 4 bytes x 16 rows.
constexpr int64_t kChunkBytes = 4 * kInterleave;

inline bool isInterleaved(int32_t format) {
  return format == TFM_QUANT_Q8_0_X16 || format == TFM_QUANT_Q4_0_X16 ||
         format == TFM_QUANT_Q6_K_X16 || format == TFM_QUANT_Q4_K_X16 ||
         format == TFM_QUANT_F16_X16 || format == TFM_QUANT_BF16_X16;
}

/// F16 and BF16 weights, row-wise or interleaved: f32 activation rows.
inline bool isFloatFormat(int32_t format) {
  return format == TFM_QUANT_F16 || format == TFM_QUANT_BF16 ||
         format == TFM_QUANT_F16_X16 || format == TFM_QUANT_BF16_X16;
}

/// BF16 and BF16_X16 (the others of isFloatFormat are binary16).
inline bool isBf16Format(int32_t format) {
  return format == TFM_QUANT_BF16 || format == TFM_QUANT_BF16_X16;
}

/// Where row `lane` (of 16), feature `k` of an F16_X16 or BF16_X16 group
/// is, in 16-bit values from the group's start: feature-major for f16,
/// feature-pair-major for bf16 (tfm_kernels.h).
inline int64_t halfGroupIndex(int32_t format, int64_t lane, int64_t k) {
  if (format == TFM_QUANT_BF16_X16)
    return (k / 2) * 2 * kInterleave + 2 * lane + k % 2;
  return k * kInterleave + lane;
}

/// Q4_K_X16 (tfm_kernels.h): where the parts of a group's super-block are.
constexpr int64_t kQ4KX16MinScalesOffset = 2 * kInterleave;
constexpr int64_t kQ4KX16ScaleWordsOffset = 4 * kInterleave;
constexpr int64_t kQ4KX16CodesOffset = kQ4KX16ScaleWordsOffset + 3 * kChunkBytes;
/// The 8 chunks of one pair of 32-element blocks.
constexpr int64_t kQ4KX16PairBytes = 8 * kChunkBytes;
constexpr int64_t kQ4KX16SuperBlockBytes = kInterleave * kQ4_KBytes;
static_assert(kQ4KX16CodesOffset + 4 * kQ4KX16PairBytes ==
                  kQ4KX16SuperBlockBytes,
              "a group's super-block holds 16 rows' Q4_K super-blocks");

/// Q6_K_X16 (tfm_kernels.h): where the parts of a group's super-block are.
constexpr int64_t kQ6KX16ScalesOffset = 2 * kInterleave;
constexpr int64_t kQ6KX16BlocksOffset = kQ6KX16ScalesOffset + 16 * kInterleave;
/// Low-nibble chunks, then high-bit chunks, of one 32-element block.
constexpr int64_t kQ6KX16BlockBytes = 6 * kChunkBytes;
constexpr int64_t kQ6KX16SuperBlockBytes = kInterleave * kQ6_KBytes;
static_assert(kQ6KX16BlocksOffset + 8 * kQ6KX16BlockBytes ==
                  kQ6KX16SuperBlockBytes,
              "a group's super-block holds 16 rows' Q6_K super-blocks");

/// The code (value + 32, 0..63) of element `l` of block `b` (0-7) of a GGML
/// Q6_K super-block: the halves of 128 elements each hold 4 blocks, whose
/// low 4 bits are the low (blocks 0, 1) or high (2, 3) nibbles of two
/// 32-byte runs and whose top 2 bits are bit pair b % 4 of 32 shared bytes.
inline int q6kCode(const uint8_t *superBlock, int b, int l) {
  int half = b / 4, g = b % 4;
  uint8_t low = superBlock[64 * half + 32 * (g & 1) + l];
  uint8_t high = superBlock[128 + 32 * half + l];
  return (g < 2 ? low & 0xF : low >> 4) | (((high >> (2 * g)) & 3) << 4);
}

/// Bytes of block `b` of all 16 rows of an interleaved group.
inline int64_t interleavedBlockBytes(int32_t format) {
  return kInterleave *
         (format == TFM_QUANT_Q8_0_X16 ? kQ8_0Bytes : kQ4_0Bytes);
}

/// How far ahead of the block being decoded the AVX-512 kernel prefetches
/// an interleaved group. On the Zen 3 host the hardware prefetcher alone
/// left the AVX2 kernel's one-thread decode at ~11 GB/s, and 1-4 KiB ahead
/// brought it to a plain read loop's; the AVX2 kernel has since replaced
/// the prefetch with four concurrent streams (qmatmul_x86_64_avx2.cpp),
/// which beat it. On an AVX-512 Xeon one core streams 13.4 (q8_0) and 10.5
/// (q4_0) GiB/s without it, 15.0 and 15.2 with it; 0.5-3 KiB ahead, or into
/// L2, measured the same (tfm-kernel-bench decode, docs/performance.md).
constexpr int64_t kInterleavedPrefetchBytes = 2048;

/// Asks for the cache lines `kInterleavedPrefetchBytes` past the `bytes`
/// bytes at `block`.
inline void prefetchAhead(const uint8_t *block, int64_t bytes) {
  for (int64_t line = 0; line < bytes; line += 64)
    __builtin_prefetch(block + kInterleavedPrefetchBytes + line, 0, 3);
}

/// What the unsigned weight codes of an interleaved format are offset by:
/// x = d * (code - zeroPoint).
inline int32_t interleavedZeroPoint(int32_t format) {
  return format == TFM_QUANT_Q8_0_X16 ? 128 : 8;
}

inline float halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t result;
  if (exponent == 0x1F) {
    result = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    result = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    result = sign;
  } else {
    // Subnormal: renormalize the mantissa.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    result = sign | (uint32_t(113 - shift) << 23) | ((mantissa & 0x3FF) << 13);
  }
  float value;
  std::memcpy(&value, &result, sizeof(value));
  return value;
}

inline float bf16ToFloat(uint16_t bits) {
  uint32_t widened = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof(value));
  return value;
}

/// f32 to bfloat16, rounded to nearest, ties to even (finite values).
inline uint16_t floatToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

inline float loadHalf(const uint8_t *p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return halfToFloat(bits);
}

inline float loadFloat(const uint8_t *p) {
  float value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

/// The 6-bit scale and min of sub-block `j` (of 8) of a Q4_K super-block.
inline void scaleMinK4(int j, const uint8_t *q, uint8_t &scale, uint8_t &min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/// Where block `b` of an INT4 row with groups of `group` starts: the group's
/// {d, m} header and the 16 bytes of nibbles of the block.
inline void int4Block(const uint8_t *row, int64_t group, int64_t b,
                      const uint8_t *&header, const uint8_t *&nibbles) {
  int64_t blocksPerGroup = group / kBlock;
  header = row + (b / blocksPerGroup) * (4 + group / 2);
  nibbles = header + 4 + (b % blocksPerGroup) * 16;
}

inline void unpackNibbles(const uint8_t *qs, int8_t *q) {
  for (int j = 0; j < 16; ++j) {
    q[j] = int8_t(qs[j] & 0xF);
    q[j + 16] = int8_t(qs[j] >> 4);
  }
}

/// Decodes block `b` of `row`.
inline void decodeBlock(int32_t format, int64_t group, const uint8_t *row,
                        int64_t b, DecodedBlock &out) {
  out.min = 0.0f;
  switch (format) {
  case TFM_QUANT_Q8_0: {
    const uint8_t *block = row + b * kQ8_0Bytes;
    out.scaleLow = loadHalf(block);
    std::memcpy(out.q, block + 2, kBlock);
    break;
  }
  case TFM_QUANT_Q4_0: {
    const uint8_t *block = row + b * kQ4_0Bytes;
    out.scaleLow = loadHalf(block);
    out.min = -8.0f * out.scaleLow;
    unpackNibbles(block + 2, out.q);
    break;
  }
  case TFM_QUANT_Q4_1: {
    const uint8_t *block = row + b * kQ4_1Bytes;
    out.scaleLow = loadHalf(block);
    out.min = loadHalf(block + 2);
    unpackNibbles(block + 4, out.q);
    break;
  }
  case TFM_QUANT_INT4: {
    const uint8_t *header, *nibbles;
    int4Block(row, group, b, header, nibbles);
    out.scaleLow = loadHalf(header);
    out.min = loadHalf(header + 2);
    unpackNibbles(nibbles, out.q);
    break;
  }
  case TFM_QUANT_Q4_K: {
    const uint8_t *block = row + (b / 8) * kQ4_KBytes;
    int j = int(b % 8);
    uint8_t scale, min;
    scaleMinK4(j, block + 4, scale, min);
    out.scaleLow = loadHalf(block) * scale;
    out.min = -loadHalf(block + 2) * min;
    const uint8_t *qs = block + 16 + 32 * (j / 2);
    for (int l = 0; l < kBlock; ++l)
      out.q[l] = int8_t(j % 2 ? qs[l] >> 4 : qs[l] & 0xF);
    break;
  }
  case TFM_QUANT_Q6_K: {
    const uint8_t *block = row + (b / 8) * kQ6_KBytes;
    int j = int(b % 8);
    for (int l = 0; l < kBlock; ++l)
      out.q[l] = int8_t(q6kCode(block, j, l) - 32);
    const int8_t *sc = reinterpret_cast<const int8_t *>(block + 192);
    float d = loadHalf(block + 208);
    out.scaleLow = d * sc[2 * j];
    out.scaleHigh = d * sc[2 * j + 1];
    return;
  }
  case TFM_QUANT_INT8: {
    out.scaleLow = loadFloat(row);
    std::memcpy(out.q, row + 4 + b * kBlock, kBlock);
    break;
  }
  default:
    out.scaleLow = 0.0f;
    std::memset(out.q, 0, kBlock);
    break;
  }
  out.scaleHigh = out.scaleLow;
}

/// Decodes block `b` of row `lane` of the Q4_K_X16 group at `group`.
inline void decodeQ4KX16Block(const uint8_t *group, int64_t lane, int64_t b,
                              DecodedBlock &out) {
  const uint8_t *superBlock = group + (b / 8) * kQ4KX16SuperBlockBytes;
  int j = int(b % 8);
  uint8_t packed[12];
  for (int w = 0; w < 3; ++w)
    std::memcpy(packed + 4 * w,
                superBlock + kQ4KX16ScaleWordsOffset + w * kChunkBytes +
                    4 * lane,
                4);
  uint8_t scale, min;
  scaleMinK4(j, packed, scale, min);
  out.scaleLow = out.scaleHigh = loadHalf(superBlock + 2 * lane) * scale;
  out.min = -loadHalf(superBlock + kQ4KX16MinScalesOffset + 2 * lane) * min;
  const uint8_t *pair =
      superBlock + kQ4KX16CodesOffset + (j / 2) * kQ4KX16PairBytes + 4 * lane;
  for (int l = 0; l < kBlock; ++l) {
    uint8_t byte = pair[(l / 4) * kChunkBytes + l % 4];
    out.q[l] = int8_t(j % 2 ? byte >> 4 : byte & 0xF);
  }
}

/// Decodes block `b` of row `lane` of the Q6_K_X16 group at `group`.
inline void decodeQ6KX16Block(const uint8_t *group, int64_t lane, int64_t b,
                              DecodedBlock &out) {
  const uint8_t *superBlock = group + (b / 8) * kQ6KX16SuperBlockBytes;
  int j = int(b % 8);
  float d = loadHalf(superBlock + 2 * lane);
  const auto *scales =
      reinterpret_cast<const int8_t *>(superBlock + kQ6KX16ScalesOffset);
  out.scaleLow = d * scales[2 * j * kInterleave + lane];
  out.scaleHigh = d * scales[(2 * j + 1) * kInterleave + lane];
  out.min = 0.0f;
  const uint8_t *low = superBlock + kQ6KX16BlocksOffset +
                       j * kQ6KX16BlockBytes + 4 * lane;
  const uint8_t *high = low + 4 * kChunkBytes;
  for (int l = 0; l < 16; ++l) {
    int c = l / 4, i = l % 4;
    uint8_t nibbles = low[c * kChunkBytes + i];
    // Element l's top bits, then element 16 + l's, at pair (c % 2) * 2.
    uint8_t tops = high[(c / 2) * kChunkBytes + i] >> (4 * (c % 2));
    out.q[l] = int8_t(((nibbles & 0xF) | ((tops & 3) << 4)) - 32);
    out.q[l + 16] = int8_t(((nibbles >> 4) | (((tops >> 2) & 3) << 4)) - 32);
  }
}

/// Decodes block `b` of row `lane` of the interleaved group at `group`.
inline void decodeInterleavedBlock(int32_t format, const uint8_t *group,
                                   int64_t lane, int64_t b, DecodedBlock &out) {
  if (format == TFM_QUANT_Q6_K_X16)
    return decodeQ6KX16Block(group, lane, b, out);
  if (format == TFM_QUANT_Q4_K_X16)
    return decodeQ4KX16Block(group, lane, b, out);
  const uint8_t *block = group + b * interleavedBlockBytes(format);
  out.scaleLow = out.scaleHigh = loadHalf(block + 2 * lane);
  out.min = 0.0f;
  const uint8_t *chunks = block + 2 * kInterleave + 4 * lane;
  if (format == TFM_QUANT_Q8_0_X16) {
    for (int l = 0; l < kBlock; ++l)
      out.q[l] = int8_t(chunks[(l / 4) * kChunkBytes + l % 4] ^ 0x80);
    return;
  }
  for (int l = 0; l < 16; ++l) {
    uint8_t byte = chunks[(l / 4) * kChunkBytes + l % 4];
    out.q[l] = int8_t((byte & 0xF) - 8);
    out.q[l + 16] = int8_t((byte >> 4) - 8);
  }
}

} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_QUANTBLOCKS_H
