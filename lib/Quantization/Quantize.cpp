//===- Quantize.cpp - f32 rows to the block formats of tfm_kernels.h ------===//
//
// The GGML formats follow ggml's reference quantizers where they are simple
// (q8_0, q4_0, q4_1) and use a plain min/max fit for the super-block formats
// (q4_k, q6_k) instead of ggml's iterative scale search: the block layout is
// GGML's bit for bit, the chosen scales may differ slightly. Every format
// is coded through GridQuantizer (fit a block's grids, code each value,
// pack), so GPTQ (Gptq.cpp) can code a block's values one at a time.
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Quantize.h"

#include "tfm/Quantization/Dequantize.h"

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

/// The block formats by name; int4g<N> is parsed apart.
struct NamedScheme {
  llvm::StringLiteral name;
  QuantScheme scheme;
};
const NamedScheme kNamedSchemes[] = {
    {"f16", {TFM_QUANT_F16}},   {"bf16", {TFM_QUANT_BF16}},
    {"q8_0", {TFM_QUANT_Q8_0}}, {"q4_0", {TFM_QUANT_Q4_0}},
    {"q4_1", {TFM_QUANT_Q4_1}}, {"q4_k", {TFM_QUANT_Q4_K}},
    {"q6_k", {TFM_QUANT_Q6_K}}, {"int8", {TFM_QUANT_INT8}},
    {"int4", {TFM_QUANT_INT4, kBlock}}};

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
  for (const NamedScheme &named : kNamedSchemes)
    if (text == named.name)
      return named.scheme;
  return std::nullopt;
}

std::string mlir::tfm::listQuantSchemeNames() {
  std::string names;
  for (const NamedScheme &named : kNamedSchemes)
    names += named.name.str() + ", ";
  return names + "int4g<N>";
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
  case TFM_QUANT_F16: return "f16";
  case TFM_QUANT_BF16: return "bf16";
  case TFM_QUANT_F16_X16: return "f16x16";
  case TFM_QUANT_BF16_X16: return "bf16x16";
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
  case TFM_QUANT_F16:
  case TFM_QUANT_BF16:
    return 16; // one vector of the kernels, not a block
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
  case TFM_QUANT_F16: return WeightFormat::F16;
  case TFM_QUANT_BF16: return WeightFormat::BF16;
  case TFM_QUANT_INT4:
    if (scheme.group == kBlock)
      return WeightFormat::Q4_1;
    return std::nullopt;
  case TFM_QUANT_INT8:
  case TFM_QUANT_Q8_0_X16: // groups of 16 rows interleaved: repacked
  case TFM_QUANT_Q4_0_X16:
  case TFM_QUANT_Q6_K_X16:
  case TFM_QUANT_Q4_K_X16:
  case TFM_QUANT_F16_X16:
  case TFM_QUANT_BF16_X16:
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
  case WeightFormat::F16: return QuantScheme{TFM_QUANT_F16};
  case WeightFormat::BF16: return QuantScheme{TFM_QUANT_BF16};
  default: return std::nullopt;
  }
}

void mlir::tfm::quantizeRow(QuantScheme scheme, const float *row,
                            int64_t inFeatures, uint8_t *out) {
  // 16-bit floats are rounded one by one, to the nearest.
  if (scheme.format == TFM_QUANT_F16 || scheme.format == TFM_QUANT_BF16) {
    for (int64_t k = 0; k < inFeatures; ++k)
      llvm::support::endian::write16le(
          out + 2 * k, scheme.format == TFM_QUANT_F16
                           ? floatToHalf(row[k])
                           : floatToBfloat16(row[k]));
    return;
  }
  // None for the _X16 layouts: tfm_quant_interleave makes those, not rows.
  std::optional<GridQuantizer> grid = GridQuantizer::create(scheme, inFeatures);
  if (!grid)
    return;
  for (int64_t b = 0; b < inFeatures / grid->elements(); ++b) {
    const float *values = row + b * grid->elements();
    grid->fit(values);
    for (int64_t l = 0; l < grid->elements(); ++l)
      grid->round(l, values[l]);
    grid->write(out + b * grid->bytes());
  }
}

std::optional<GridQuantizer> GridQuantizer::create(QuantScheme scheme,
                                                   int64_t inFeatures) {
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
  case TFM_QUANT_Q4_0:
  case TFM_QUANT_Q4_1:
    return GridQuantizer(scheme, kBlock, kBlock);
  case TFM_QUANT_INT4:
    return GridQuantizer(scheme, scheme.group, scheme.group);
  case TFM_QUANT_INT8:
    return GridQuantizer(scheme, inFeatures, inFeatures);
  case TFM_QUANT_Q4_K:
    return GridQuantizer(scheme, kSuperBlock, kBlock);
  case TFM_QUANT_Q6_K:
    return GridQuantizer(scheme, kSuperBlock, 16);
  default:
    return std::nullopt;
  }
}

int64_t GridQuantizer::bytes() const {
  return quantRowBytes(scheme, elements());
}

void GridQuantizer::fit(const float *x) {
  int64_t count = elements();
  Grid &grid = grids.front();
  grid = Grid();
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
  case TFM_QUANT_INT8: {
    float absMax = 0.0f;
    for (int64_t l = 0; l < count; ++l)
      absMax = std::max(absMax, std::fabs(x[l]));
    float d = absMax / 127.0f;
    grid.inverse = d > 0.0f ? 1.0f / d : 0.0f;
    // q8_0 stores d as f16, int8 as f32.
    grid.step =
        scheme.format == TFM_QUANT_Q8_0 ? halfToFloat(floatToHalf(d)) : d;
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
    grid.inverse = d != 0.0f ? 1.0f / d : 0.0f;
    grid.step = halfToFloat(floatToHalf(d));
    grid.offset = -8.0f * grid.step;
    return;
  }
  case TFM_QUANT_Q4_K:
    fitQ4_K(x);
    return;
  case TFM_QUANT_Q6_K:
    fitQ6_K(x);
    return;
  default: { // q4_1 and int4: min and max of the block or group
    float min = x[0], max = x[0];
    for (int64_t l = 1; l < count; ++l) {
      min = std::min(min, x[l]);
      max = std::max(max, x[l]);
    }
    float d = (max - min) / 15.0f;
    grid.inverse = d > 0.0f ? 1.0f / d : 0.0f;
    grid.origin = min;
    grid.step = halfToFloat(floatToHalf(d));
    grid.offset = halfToFloat(floatToHalf(min));
    return;
  }
  }
}

/// Q4_K: per 32-element sub-block a scale and a min fitted to its range,
/// both coded in 6 bits relative to the super-block's d and dmin; values
/// are coded against the coded (not the fitted) scale and min.
void GridQuantizer::fitQ4_K(const float *x) {
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
  superScale = halfToFloat(floatToHalf(d));
  superMin = halfToFloat(floatToHalf(dmin));
  for (int j = 0; j < 8; ++j) {
    subScales[j] = d > 0.0f ? std::min(63, nearest(scales[j] / d)) : 0;
    subMins[j] = dmin > 0.0f ? std::min(63, nearest(mins[j] / dmin)) : 0;
    Grid &grid = grids[j];
    grid.step = superScale * float(subScales[j]);
    grid.origin = grid.offset = -(superMin * float(subMins[j]));
    grid.inverse = grid.step > 0.0f ? 1.0f / grid.step : 0.0f;
  }
}

/// Q6_K: per 16-element sub-block a symmetric scale, coded in int8 relative
/// to the super-block's d; values in -32..31.
void GridQuantizer::fitQ6_K(const float *x) {
  float scales[16], maxScale = 0.0f;
  for (int j = 0; j < 16; ++j) {
    float absMax = 0.0f;
    for (int l = 0; l < 16; ++l)
      absMax = std::max(absMax, std::fabs(x[16 * j + l]));
    scales[j] = absMax / 31.0f;
    maxScale = std::max(maxScale, scales[j]);
  }
  superScale = halfToFloat(floatToHalf(maxScale / 127.0f));
  for (int j = 0; j < 16; ++j) {
    subScales[j] = superScale > 0.0f
                       ? std::min(127, nearest(scales[j] / superScale))
                       : 0;
    Grid &grid = grids[j];
    grid = Grid();
    grid.step = superScale * float(subScales[j]);
    grid.inverse = grid.step > 0.0f ? 1.0f / grid.step : 0.0f;
  }
}

float GridQuantizer::round(int64_t index, float value) {
  const Grid &grid = grids[index / subElements];
  float scaled = (value - grid.origin) * grid.inverse;
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
  case TFM_QUANT_Q4_K:
    code = std::clamp(nearest(scaled), 0, 15);
    break;
  case TFM_QUANT_Q6_K:
    code = std::clamp(nearest(scaled), -32, 31);
    break;
  default:
    code = std::clamp(int(scaled + 0.5f), 0, 15);
    break;
  }
  codes[index] = code;
  return grid.step * float(code) + grid.offset;
}

void GridQuantizer::write(uint8_t *out) const {
  int64_t count = elements();
  const Grid &grid = grids.front();
  switch (scheme.format) {
  case TFM_QUANT_Q8_0:
    storeHalf(out, grid.step);
    for (int64_t l = 0; l < count; ++l)
      out[2 + l] = uint8_t(int8_t(codes[l]));
    return;
  case TFM_QUANT_INT8:
    std::memcpy(out, &grid.step, sizeof(grid.step));
    for (int64_t l = 0; l < count; ++l)
      out[4 + l] = uint8_t(int8_t(codes[l]));
    return;
  case TFM_QUANT_Q4_0:
    storeHalf(out, grid.step);
    packNibbles(codes.data(), out + 2);
    return;
  case TFM_QUANT_Q4_K:
    writeQ4_K(out);
    return;
  case TFM_QUANT_Q6_K:
    writeQ6_K(out);
    return;
  default:
    storeHalf(out, grid.step);
    storeHalf(out + 2, grid.offset);
    for (int64_t b = 0; b < count / kBlock; ++b)
      packNibbles(codes.data() + b * kBlock, out + 4 + b * 16);
    return;
  }
}

void GridQuantizer::writeQ4_K(uint8_t *out) const {
  storeHalf(out, superScale);
  storeHalf(out + 2, superMin);
  const int *sc = subScales, *m = subMins;
  uint8_t *packed = out + 4;
  for (int j = 0; j < 4; ++j) {
    packed[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    packed[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    packed[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
  }
  const int *q = codes.data();
  uint8_t *qs = out + 16;
  for (int group = 0; group < 4; ++group)
    for (int l = 0; l < kBlock; ++l)
      qs[group * 32 + l] = uint8_t(q[64 * group + l] |
                                   (q[64 * group + 32 + l] << 4));
}

void GridQuantizer::writeQ6_K(uint8_t *out) const {
  uint8_t q[kSuperBlock];
  for (int l = 0; l < kSuperBlock; ++l)
    q[l] = uint8_t(codes[l] + 32);
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
  auto *sc = reinterpret_cast<int8_t *>(out + 192);
  for (int j = 0; j < 16; ++j)
    sc[j] = int8_t(subScales[j]);
  storeHalf(out + 208, superScale);
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
