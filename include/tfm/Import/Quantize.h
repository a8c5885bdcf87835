//===- Quantize.h - f32 rows to the block formats of tfm_kernels.h -*- C++ -*-===//
//
// What tfm-compile --quant writes into the weights file. Each function works
// on one output row of `inFeatures` weights; rows are independent, so
// tensors are quantized in parallel by the caller.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_QUANTIZE_H
#define TFM_IMPORT_QUANTIZE_H

#include "tfm/Import/WeightFormat.h"
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

/// "q8_0", "q4_0", "q4_1", "q4_k", "q6_k", "int8", "int4" (group 32) or
/// "int4g<N>" (group N, a multiple of 32).
std::optional<QuantScheme> parseQuantScheme(llvm::StringRef name);
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

/// The uniform grid `value = step * code + offset` of one block of a format
/// that has one per block: a q8_0, q4_0 or q4_1 block, an int4 group, an
/// int8 row. Fitted to the block's values, it codes them one at a time, so
/// GPTQ (Gptq.h) can change the values still to come between two; then it
/// packs the codes into the block's bytes. quantizeRow uses it for those
/// formats: both give the same bytes for the same values.
class GridQuantizer {
public:
  /// None for the super-block formats (q4_k, q6_k), whose sub-blocks have
  /// grids of their own coded against the super-block's.
  static std::optional<GridQuantizer> create(QuantScheme scheme,
                                             int64_t inFeatures);

  /// Values under one grid, and the bytes they pack into.
  int64_t elements() const { return int64_t(codes.size()); }
  int64_t bytes() const;

  /// Fits the grid to the block's `elements()` values.
  void fit(const float *values);
  /// Codes `value` as element `index` of the block; returns its decoded
  /// value.
  float round(int64_t index, float value);
  /// Writes the grid and the codes given so far.
  void write(uint8_t *out) const;

private:
  GridQuantizer(QuantScheme scheme, int64_t elements)
      : scheme(scheme), codes(elements, 0) {}

  QuantScheme scheme;
  /// What the block stores (f16 where the format does): decoded values.
  float step = 0.0f, offset = 0.0f;
  /// What coding computes with: (value - origin) * inverse, the unrounded
  /// fitted step's inverse, as GGML's reference quantizers do.
  float origin = 0.0f, inverse = 0.0f;
  std::vector<int> codes;
};
void dequantizeRow(QuantScheme scheme, const uint8_t *row, int64_t inFeatures,
                   float *out);

} // namespace mlir::tfm

#endif // TFM_IMPORT_QUANTIZE_H
