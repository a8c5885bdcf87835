//===- Quantize.cpp - f32 rows to the block formats of tfm_kernels.h ------===//
//
// The GGML formats follow ggml's reference quantizers where they are simple
// (q8_0, q4_0, q4_1) and use a plain min/max fit for the super-block formats
// (q4_k, q6_k) instead of ggml's iterative scale search: the block layout is
// GGML's bit for bit, the chosen scales may differ slightly.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/Quantize.h"

#include "tfm/Import/Dequantize.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir::tfm;

namespace {

constexpr int64_t kBlock = 32;
constexpr int64_t kSuperBlock = 256;

void storeHalf(uint8_t *p, float value) {
  llvm::support::endian::write16le(p, floatToHalf(value));
}

float loadHalf(const uint8_t *p) {
  return halfToFloat(llvm::support::endian::read16le(p));
}

int nearest(float value) { return int(std::nearbyint(value)); }

/// 32 values 0..15 -> 16 bytes; byte j holds elements j and j + 16.
void packNibbles(const int *values, uint8_t *out) {
  for (int j = 0; j < 16; ++j)
    out[j] = uint8_t(values[j] | (values[j + 16] << 4));
}

/// Q4_K: per 32-element sub-block a scale and a min fitted to its range,
/// both coded in 6 bits relative to the super-block's d and dmin.
void quantizeQ4_KBlock(const float *x, uint8_t *out) {
  float scales[8], mins[8];
  float maxScale = 0.0f, maxMin = 0.0f;
  for (int j = 0; j < 8; ++j) {
    // Plain loops: std::min_element/max_element here made clang 22 -O3 take
    // over ten minutes on this file.
    const float *sub = x + j * kBlock;
    float min = 0.0f, max = sub[0];
    for (int l = 0; l < kBlock; ++l) {
      min = std::min(min, sub[l]);
      max = std::max(max, sub[l]);
    }
    scales[j] = (max - min) / 15.0f;
    mins[j] = -min;
    maxScale = std::max(maxScale, scales[j]);
    maxMin = std::max(maxMin, mins[j]);
  }
  float d = maxScale / 63.0f, dmin = maxMin / 63.0f;
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = uint8_t(d > 0.0f ? std::min(63, nearest(scales[j] / d)) : 0);
    m[j] = uint8_t(dmin > 0.0f ? std::min(63, nearest(mins[j] / dmin)) : 0);
  }
  storeHalf(out, d);
  storeHalf(out + 2, dmin);
  uint8_t *packed = out + 4;
  for (int j = 0; j < 4; ++j) {
    packed[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    packed[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    packed[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
  }
  // Quantize against the coded (not the fitted) scale and min.
  float dq = loadHalf(out), dminq = loadHalf(out + 2);
  uint8_t q[kSuperBlock];
  for (int j = 0; j < 8; ++j) {
    float scale = dq * sc[j], offset = dminq * m[j];
    float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int l = 0; l < kBlock; ++l)
      q[j * kBlock + l] = uint8_t(
          std::clamp(nearest((x[j * kBlock + l] + offset) * inverse), 0, 15));
  }
  uint8_t *qs = out + 16;
  for (int group = 0; group < 4; ++group)
    for (int l = 0; l < kBlock; ++l)
      qs[group * 32 + l] = uint8_t(q[64 * group + l] |
                                   (q[64 * group + 32 + l] << 4));
}

/// Q6_K: per 16-element sub-block a symmetric scale, coded in int8 relative
/// to the super-block's d; values in -32..31 stored as 6 bits.
void quantizeQ6_KBlock(const float *x, uint8_t *out) {
  float scales[16], maxScale = 0.0f;
  for (int j = 0; j < 16; ++j) {
    float absMax = 0.0f;
    for (int l = 0; l < 16; ++l)
      absMax = std::max(absMax, std::fabs(x[16 * j + l]));
    scales[j] = absMax / 31.0f;
    maxScale = std::max(maxScale, scales[j]);
  }
  float d = maxScale / 127.0f;
  storeHalf(out + 208, d);
  float dq = loadHalf(out + 208);
  auto *sc = reinterpret_cast<int8_t *>(out + 192);
  uint8_t q[kSuperBlock];
  for (int j = 0; j < 16; ++j) {
    sc[j] = int8_t(dq > 0.0f ? std::min(127, nearest(scales[j] / dq)) : 0);
    float scale = dq * sc[j];
    float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int l = 0; l < 16; ++l)
      q[16 * j + l] = uint8_t(
          std::clamp(nearest(x[16 * j + l] * inverse), -32, 31) + 32);
  }
  uint8_t *ql = out, *qh = out + 128;
  for (int half = 0; half < 2; ++half) {
    const uint8_t *v = q + 128 * half;
    for (int l = 0; l < 32; ++l) {
      ql[64 * half + l] = uint8_t((v[l] & 0xF) | ((v[l + 64] & 0xF) << 4));
      ql[64 * half + l + 32] =
          uint8_t((v[l + 32] & 0xF) | ((v[l + 96] & 0xF) << 4));
      qh[32 * half + l] =
          uint8_t((v[l] >> 4) | ((v[l + 32] >> 4) << 2) |
                  ((v[l + 64] >> 4) << 4) | ((v[l + 96] >> 4) << 6));
    }
  }
}

void dequantizeInt4Row(const uint8_t *in, int64_t count, int64_t group,
                       float *out) {
  for (int64_t g = 0; g < count / group; ++g) {
    const uint8_t *header = in + g * (4 + group / 2);
    float d = loadHalf(header), m = loadHalf(header + 2);
    for (int64_t b = 0; b < group / kBlock; ++b) {
      const uint8_t *qs = header + 4 + b * 16;
      float *values = out + g * group + b * kBlock;
      for (int j = 0; j < 16; ++j) {
        values[j] = d * float(qs[j] & 0xF) + m;
        values[j + 16] = d * float(qs[j] >> 4) + m;
      }
    }
  }
}

} // namespace

std::optional<QuantScheme> mlir::tfm::parseQuantScheme(llvm::StringRef name) {
  std::string lower = name.lower();
  llvm::StringRef text(lower);
  if (text.consume_front("int4g")) {
    int64_t group;
    if (text.getAsInteger(10, group) || group <= 0 || group % kBlock != 0)
      return std::nullopt;
    return QuantScheme{TFM_QUANT_INT4, group};
  }
  return llvm::StringSwitch<std::optional<QuantScheme>>(text)
      .Case("q8_0", QuantScheme{TFM_QUANT_Q8_0})
      .Case("q4_0", QuantScheme{TFM_QUANT_Q4_0})
      .Case("q4_1", QuantScheme{TFM_QUANT_Q4_1})
      .Case("q4_k", QuantScheme{TFM_QUANT_Q4_K})
      .Case("q6_k", QuantScheme{TFM_QUANT_Q6_K})
      .Case("int8", QuantScheme{TFM_QUANT_INT8})
      .Case("int4", QuantScheme{TFM_QUANT_INT4, kBlock})
      .Default(std::nullopt);
}

std::string mlir::tfm::quantSchemeName(QuantScheme scheme) {
  switch (scheme.format) {
  case TFM_QUANT_Q8_0: return "q8_0";
  case TFM_QUANT_Q4_0: return "q4_0";
  case TFM_QUANT_Q4_1: return "q4_1";
  case TFM_QUANT_Q4_K: return "q4_k";
  case TFM_QUANT_Q6_K: return "q6_k";
  case TFM_QUANT_INT8: return "int8";
  case TFM_QUANT_INT4:
    return scheme.group == kBlock ? "int4"
                                  : "int4g" + std::to_string(scheme.group);
  case TFM_QUANT_Q8_0_X16: return "q8_0x16";
  case TFM_QUANT_Q4_0_X16: return "q4_0x16";
  case TFM_QUANT_Q6_K_X16: return "q6_kx16";
  case TFM_QUANT_Q4_K_X16: return "q4_kx16";
  }
  return "?";
}

int64_t mlir::tfm::quantBlockElements(QuantScheme scheme) {
  switch (scheme.format) {
  case TFM_QUANT_Q4_K:
  case TFM_QUANT_Q6_K:
    return kSuperBlock;
  case TFM_QUANT_INT4:
    return scheme.group;
  default:
    return kBlock;
  }
}

int64_t mlir::tfm::quantRowBytes(QuantScheme scheme, int64_t inFeatures) {
  return tfm_quant_row_bytes(scheme.format, scheme.group, inFeatures);
}

std::optional<WeightFormat> mlir::tfm::ggmlFormatOf(QuantScheme scheme) {
  switch (scheme.format) {
  case TFM_QUANT_Q8_0: return WeightFormat::Q8_0;
  case TFM_QUANT_Q4_0: return WeightFormat::Q4_0;
  case TFM_QUANT_Q4_1: return WeightFormat::Q4_1;
  case TFM_QUANT_Q4_K: return WeightFormat::Q4_K;
  case TFM_QUANT_Q6_K: return WeightFormat::Q6_K;
  case TFM_QUANT_INT4:
    if (scheme.group == kBlock)
      return WeightFormat::Q4_1;
    return std::nullopt;
  case TFM_QUANT_INT8:
  case TFM_QUANT_Q8_0_X16: // groups of 16 rows interleaved: repacked
  case TFM_QUANT_Q4_0_X16:
  case TFM_QUANT_Q6_K_X16:
  case TFM_QUANT_Q4_K_X16:
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<QuantScheme> mlir::tfm::quantSchemeOf(WeightFormat format) {
  switch (format) {
  case WeightFormat::Q8_0: return QuantScheme{TFM_QUANT_Q8_0};
  case WeightFormat::Q4_0: return QuantScheme{TFM_QUANT_Q4_0};
  case WeightFormat::Q4_1: return QuantScheme{TFM_QUANT_Q4_1};
  case WeightFormat::Q4_K: return QuantScheme{TFM_QUANT_Q4_K};
  case WeightFormat::Q6_K: return QuantScheme{TFM_QUANT_Q6_K};
  default: return std::nullopt;
  }
}

void mlir::tfm::quantizeRow(QuantScheme scheme, const float *row,
                            int64_t inFeatures, uint8_t *out) {
  if (std::optional<GridQuantizer> grid =
          GridQuantizer::create(scheme, inFeatures)) {
    for (int64_t b = 0; b < inFeatures / grid->elements(); ++b) {
      const float *values = row + b * grid->elements();
      grid->fit(values);
      for (int64_t l = 0; l < grid->elements(); ++l)
        grid->round(l, values[l]);
      grid->write(out + b * grid->bytes());
    }
    return;
  }
  switch (scheme.format) {
  case TFM_QUANT_Q4_K:
    for (int64_t b = 0; b < inFeatures / kSuperBlock; ++b)
      quantizeQ4_KBlock(row + b * kSuperBlock, out + b * 144);
    return;
  case TFM_QUANT_Q6_K:
    for (int64_t b = 0; b < inFeatures / kSuperBlock; ++b)
      quantizeQ6_KBlock(row + b * kSuperBlock, out + b * 210);
    return;
  default: // the grid formats above; _X16: tfm_quant_interleave, not rows
    return;
  }
}

std::optional<GridQuantizer> GridQuantizer::create(QuantScheme scheme,
                                                   int64_t inFeatures) {
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
  case TFM_QUANT_Q4_0:
  case TFM_QUANT_Q4_1:
    return GridQuantizer(scheme, kBlock);
  case TFM_QUANT_INT4:
    return GridQuantizer(scheme, scheme.group);
  case TFM_QUANT_INT8:
    return GridQuantizer(scheme, inFeatures);
  default:
    return std::nullopt;
  }
}

int64_t GridQuantizer::bytes() const {
  return quantRowBytes(scheme, elements());
}

void GridQuantizer::fit(const float *x) {
  int64_t count = elements();
  origin = 0.0f;
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
  case TFM_QUANT_INT8: {
    float absMax = 0.0f;
    for (int64_t l = 0; l < count; ++l)
      absMax = std::max(absMax, std::fabs(x[l]));
    float d = absMax / 127.0f;
    inverse = d > 0.0f ? 1.0f / d : 0.0f;
    // q8_0 stores d as f16, int8 as f32.
    step = scheme.format == TFM_QUANT_Q8_0 ? halfToFloat(floatToHalf(d)) : d;
    offset = 0.0f;
    return;
  }
  case TFM_QUANT_Q4_0: {
    // GGML's q4_0: the value of largest magnitude maps to -8.
    float absMax = 0.0f, max = 0.0f;
    for (int64_t l = 0; l < count; ++l)
      if (std::fabs(x[l]) > absMax) {
        absMax = std::fabs(x[l]);
        max = x[l];
      }
    float d = max / -8.0f;
    inverse = d != 0.0f ? 1.0f / d : 0.0f;
    step = halfToFloat(floatToHalf(d));
    offset = -8.0f * step;
    return;
  }
  default: { // q4_1 and int4: min and max of the block or group
    float min = x[0], max = x[0];
    for (int64_t l = 1; l < count; ++l) {
      min = std::min(min, x[l]);
      max = std::max(max, x[l]);
    }
    float d = (max - min) / 15.0f;
    inverse = d > 0.0f ? 1.0f / d : 0.0f;
    origin = min;
    step = halfToFloat(floatToHalf(d));
    offset = halfToFloat(floatToHalf(min));
    return;
  }
  }
}

float GridQuantizer::round(int64_t index, float value) {
  float scaled = (value - origin) * inverse;
  int code;
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
  case TFM_QUANT_INT8:
    // -128 is left out: the kernels' sign trick cannot negate it.
    code = std::clamp(nearest(scaled), -127, 127);
    break;
  case TFM_QUANT_Q4_0:
    code = std::clamp(int(scaled + 8.5f), 0, 15);
    break;
  default:
    code = std::clamp(int(scaled + 0.5f), 0, 15);
    break;
  }
  codes[index] = code;
  return step * float(code) + offset;
}

void GridQuantizer::write(uint8_t *out) const {
  int64_t count = elements();
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
    storeHalf(out, step);
    for (int64_t l = 0; l < count; ++l)
      out[2 + l] = uint8_t(int8_t(codes[l]));
    return;
  case TFM_QUANT_INT8:
    std::memcpy(out, &step, sizeof(step));
    for (int64_t l = 0; l < count; ++l)
      out[4 + l] = uint8_t(int8_t(codes[l]));
    return;
  case TFM_QUANT_Q4_0:
    storeHalf(out, step);
    packNibbles(codes.data(), out + 2);
    return;
  default:
    storeHalf(out, step);
    storeHalf(out + 2, offset);
    for (int64_t b = 0; b < count / kBlock; ++b)
      packNibbles(codes.data() + b * kBlock, out + 4 + b * 16);
    return;
  }
}

void mlir::tfm::dequantizeRow(QuantScheme scheme, const uint8_t *row,
                              int64_t inFeatures, float *out) {
  int64_t bytes = quantRowBytes(scheme, inFeatures);
  if (std::optional<WeightFormat> ggml = ggmlFormatOf(scheme)) {
    dequantize(*ggml, llvm::ArrayRef<uint8_t>(row, bytes),
               llvm::MutableArrayRef<float>(out, inFeatures));
    return;
  }
  if (scheme.format == TFM_QUANT_INT4)
    return dequantizeInt4Row(row, inFeatures, scheme.group, out);
  float scale;
  std::memcpy(&scale, row, sizeof(scale));
  for (int64_t l = 0; l < inFeatures; ++l)
    out[l] = scale * float(int8_t(row[4 + l]));
}
