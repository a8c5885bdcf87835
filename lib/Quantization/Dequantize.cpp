//===- Dequantize.cpp - block formats to f32 ------------------------------===//
//
// One function per GGML block format, following the struct layouts of
// ggml-common.h (all little-endian):
//   q4_0 { f16 d; u8 qs[16]; }                 x = (nibble - 8) * d
//   q4_1 { f16 d, m; u8 qs[16]; }              x = nibble * d + m
//   q8_0 { f16 d; i8 qs[32]; }                 x = q * d
//   q4_k { f16 d, dmin; u8 scales[12]; u8 qs[128]; }
//   q5_k { f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }
//   q6_k { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }
// In the 32-element formats byte j holds element j (low nibble) and element
// j + 16 (high nibble).
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Dequantize.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Endian.h"

#include <cmath>
#include <cstring>

using namespace mlir::tfm;

namespace {

uint16_t loadU16(const uint8_t *p) {
  return llvm::support::endian::read16le(p);
}

float loadHalf(const uint8_t *p) { return halfToFloat(loadU16(p)); }

void decodeQ4_0(const uint8_t *block, float *out) {
  float d = loadHalf(block);
  const uint8_t *qs = block + 2;
  for (int j = 0; j < 16; ++j) {
    out[j] = float(int(qs[j] & 0xF) - 8) * d;
    out[j + 16] = float(int(qs[j] >> 4) - 8) * d;
  }
}

void decodeQ4_1(const uint8_t *block, float *out) {
  float d = loadHalf(block);
  float m = loadHalf(block + 2);
  const uint8_t *qs = block + 4;
  for (int j = 0; j < 16; ++j) {
    out[j] = float(qs[j] & 0xF) * d + m;
    out[j + 16] = float(qs[j] >> 4) * d + m;
  }
}

void decodeQ8_0(const uint8_t *block, float *out) {
  float d = loadHalf(block);
  for (int j = 0; j < 32; ++j)
    out[j] = float(static_cast<int8_t>(block[2 + j])) * d;
}

/// The 6-bit scale and min of sub-block `j` (of 8) packed in 12 bytes.
void scaleMinK4(int j, const uint8_t *q, uint8_t &scale, uint8_t &min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void decodeQ4_K(const uint8_t *block, float *out) {
  float d = loadHalf(block);
  float dmin = loadHalf(block + 2);
  const uint8_t *scales = block + 4;
  const uint8_t *qs = block + 16;
  for (int group = 0; group < 4; ++group) {
    uint8_t sc0, m0, sc1, m1;
    scaleMinK4(2 * group, scales, sc0, m0);
    scaleMinK4(2 * group + 1, scales, sc1, m1);
    for (int l = 0; l < 32; ++l) {
      out[l] = d * sc0 * float(qs[l] & 0xF) - dmin * m0;
      out[l + 32] = d * sc1 * float(qs[l] >> 4) - dmin * m1;
    }
    out += 64;
    qs += 32;
  }
}

void decodeQ5_K(const uint8_t *block, float *out) {
  float d = loadHalf(block);
  float dmin = loadHalf(block + 2);
  const uint8_t *scales = block + 4;
  const uint8_t *qh = block + 16;
  const uint8_t *qs = block + 48;
  for (int group = 0; group < 4; ++group) {
    uint8_t sc0, m0, sc1, m1;
    scaleMinK4(2 * group, scales, sc0, m0);
    scaleMinK4(2 * group + 1, scales, sc1, m1);
    uint8_t lowBit = uint8_t(1u << (2 * group));
    uint8_t highBit = uint8_t(2u << (2 * group));
    for (int l = 0; l < 32; ++l) {
      int q0 = (qs[l] & 0xF) + ((qh[l] & lowBit) ? 16 : 0);
      int q1 = (qs[l] >> 4) + ((qh[l] & highBit) ? 16 : 0);
      out[l] = d * sc0 * float(q0) - dmin * m0;
      out[l + 32] = d * sc1 * float(q1) - dmin * m1;
    }
    out += 64;
    qs += 32;
  }
}

void decodeQ6_K(const uint8_t *block, float *out) {
  const uint8_t *ql = block;
  const uint8_t *qh = block + 128;
  const int8_t *sc = reinterpret_cast<const int8_t *>(block + 192);
  float d = loadHalf(block + 208);
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      out[l] = d * sc[is] * float(q1);
      out[l + 32] = d * sc[is + 2] * float(q2);
      out[l + 64] = d * sc[is + 4] * float(q3);
      out[l + 96] = d * sc[is + 6] * float(q4);
    }
    out += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

using BlockDecoder = void (*)(const uint8_t *, float *);

BlockDecoder blockDecoder(WeightFormat type) {
  switch (type) {
  case WeightFormat::Q4_0:
    return decodeQ4_0;
  case WeightFormat::Q4_1:
    return decodeQ4_1;
  case WeightFormat::Q8_0:
    return decodeQ8_0;
  case WeightFormat::Q4_K:
    return decodeQ4_K;
  case WeightFormat::Q5_K:
    return decodeQ5_K;
  case WeightFormat::Q6_K:
    return decodeQ6_K;
  case WeightFormat::F32:
  case WeightFormat::F16:
  case WeightFormat::BF16:
    return nullptr;
  }
  return nullptr;
}

} // namespace

float mlir::tfm::halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t result;
  if (exponent == 0x1F) { // inf / nan
    result = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) { // normal
    result = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) { // zero
    result = sign;
  } else { // subnormal: value = mantissa * 2^-24
    float value = std::ldexp(float(mantissa), -24);
    return sign ? -value : value;
  }
  float value;
  std::memcpy(&value, &result, sizeof(value));
  return value;
}

float mlir::tfm::bfloat16ToFloat(uint16_t bits) {
  uint32_t widened = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof(value));
  return value;
}

/// `value` rounded to the 16-bit float `semantics` (nearest, ties to even).
static uint16_t roundToSixteenBits(float value,
                                   const llvm::fltSemantics &semantics) {
  llvm::APFloat converted(value);
  bool losesInfo = false;
  converted.convert(semantics, llvm::APFloat::rmNearestTiesToEven,
                    &losesInfo);
  return uint16_t(converted.bitcastToAPInt().getZExtValue());
}

uint16_t mlir::tfm::floatToHalf(float value) {
  return roundToSixteenBits(value, llvm::APFloat::IEEEhalf());
}

uint16_t mlir::tfm::floatToBfloat16(float value) {
  return roundToSixteenBits(value, llvm::APFloat::BFloat());
}

bool mlir::tfm::dequantize(WeightFormat type, llvm::ArrayRef<uint8_t> input,
                           llvm::MutableArrayRef<float> output) {
  std::optional<uint64_t> bytes = tensorByteSize(type, output.size());
  if (!bytes || *bytes != input.size())
    return false;
  const uint8_t *src = input.data();
  switch (type) {
  case WeightFormat::F32:
    std::memcpy(output.data(), src, input.size());
    return true;
  case WeightFormat::F16:
    for (size_t i = 0; i < output.size(); ++i)
      output[i] = halfToFloat(loadU16(src + 2 * i));
    return true;
  case WeightFormat::BF16:
    for (size_t i = 0; i < output.size(); ++i)
      output[i] = bfloat16ToFloat(loadU16(src + 2 * i));
    return true;
  default:
    break;
  }
  const WeightFormatInfo &info = getWeightFormatInfo(type);
  BlockDecoder decode = blockDecoder(type);
  size_t blocks = output.size() / info.blockElements;
  for (size_t b = 0; b < blocks; ++b)
    decode(src + b * info.blockBytes, output.data() + b * info.blockElements);
  return true;
}
