//===- Quantize.h - f32 rows to the block formats of tfm_kernels.h -*- C++ -*-===//
//
// What tfm-compile --quant writes into the weights file. Each function works
// on one output row of `inFeatures` weights; rows are independent, so
// tensors are quantized in parallel by the caller.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_QUANTIZATION_QUANTIZE_H
#define TFM_QUANTIZATION_QUANTIZE_H

#include "tfm/Quantization/WeightFormat.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm {

/// A block format and, for INT4, its group size.
struct QuantScheme {
  tfm_quant_format format;
  int64_t group = 0;

  bool operator==(const QuantScheme &other) const {
    return format == other.format && group == other.group;
  }
};

/// "f16", "bf16" (16-bit floats), "q8_0", "q4_0", "q4_1", "q4_k", "q6_k",
/// "int8", "int4" (group 32) or "int4g<N>" (group N, a multiple of 32).
std::optional<QuantScheme> parseQuantScheme(llvm::StringRef name);
/// Every name parseQuantScheme takes, comma separated, for help texts and
/// error messages.
std::string listQuantSchemeNames();
std::string quantSchemeName(QuantScheme scheme);

/// Input features of one block (what a row length must be a multiple of).
int64_t quantBlockElements(QuantScheme scheme);
/// Bytes of one row, or -1 if `inFeatures` is not a whole number of blocks.
int64_t quantRowBytes(QuantScheme scheme, int64_t inFeatures);

/// The GGUF format with the same bytes, if there is one (their blocks are
/// copied, not re-quantized).
std::optional<WeightFormat> ggmlFormatOf(QuantScheme scheme);
std::optional<QuantScheme> quantSchemeOf(WeightFormat format);

void quantizeRow(QuantScheme scheme, const float *row, int64_t inFeatures,
                 uint8_t *out);

/// How a format codes one block of values: uniform grids `value = step *
/// code + offset`, one for the block (a q8_0, q4_0 or q4_1 block, an int4
/// group, an int8 row) or one per sub-block (q4_k's 8 and q6_k's 16, whose
/// steps are coded against the super-block's). Fitted to the block's
/// values, it codes them one at a time, so GPTQ (Gptq.h) can change the
/// values still to come between two; then it packs the codes into the
/// block's bytes. quantizeRow is fit, round every value, write.
class GridQuantizer {
public:
  /// None for the interleaved _X16 layouts, which are repacked rows.
  static std::optional<GridQuantizer> create(QuantScheme scheme,
                                             int64_t inFeatures);

  /// Values of one block, and the bytes they pack into.
  int64_t elements() const { return int64_t(codes.size()); }
  int64_t bytes() const;

  /// Fits the grids to the block's `elements()` values.
  void fit(const float *values);
  /// Codes `value` as element `index` of the block; returns its decoded
  /// value.
  float round(int64_t index, float value);
  /// Writes the grids and the codes given so far.
  void write(uint8_t *out) const;

private:
  GridQuantizer(QuantScheme scheme, int64_t elements, int64_t subElements)
      : scheme(scheme), subElements(subElements),
        grids(elements / subElements), codes(elements, 0) {}

  void fitQ4_K(const float *values);
  void fitQ6_K(const float *values);
  void writeQ4_K(uint8_t *out) const;
  void writeQ6_K(uint8_t *out) const;

  struct Grid {
    /// What the block stores (f16 where the format does): decoded values.
    float step = 0.0f, offset = 0.0f;
    /// What coding computes with: (value - origin) * inverse, the inverse
    /// of the unrounded fitted step, as GGML's reference quantizers do.
    float origin = 0.0f, inverse = 0.0f;
  };

  QuantScheme scheme;
  /// Values under one grid.
  int64_t subElements;
  std::vector<Grid> grids;
  std::vector<int> codes;
  /// The super-block formats' header: d (and q4_k's dmin) as stored, and
  /// the coded sub-block scales (and q4_k's mins).
  float superScale = 0.0f, superMin = 0.0f;
  int subScales[16] = {}, subMins[8] = {};
};

void dequantizeRow(QuantScheme scheme, const uint8_t *row, int64_t inFeatures,
                   float *out);

} // namespace mlir::tfm

#endif // TFM_QUANTIZATION_QUANTIZE_H
