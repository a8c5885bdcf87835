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
void dequantizeRow(QuantScheme scheme, const uint8_t *row, int64_t inFeatures,
                   float *out);

} // namespace mlir::tfm

#endif // TFM_IMPORT_QUANTIZE_H
