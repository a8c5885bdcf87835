//===- WeightFormat.h - element and block formats of weights ------*- C++ -*-===//
//
// The storage formats a weight can have in a model file: plain floats and
// the block-quantized GGML formats. The numeric values are GGML's type ids,
// so a GGUF tensor's type field maps onto this enum directly.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_QUANTIZATION_WEIGHTFORMAT_H
#define TFM_QUANTIZATION_WEIGHTFORMAT_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace mlir::tfm {

enum class WeightFormat : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q8_0 = 8,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

/// Elements per block and bytes per block; plain floats are blocks of one.
struct WeightFormatInfo {
  llvm::StringRef name;
  int64_t blockElements;
  int64_t blockBytes;
  bool quantized;
};

/// The type with GGML id `id`, if tfm reads it.
std::optional<WeightFormat> weightFormatFromGGML(uint32_t id);
/// GGML's name of type `id` ("q5_0", ...) for error messages, or "" if the
/// id is not a GGML type at all.
llvm::StringRef ggmlTypeName(uint32_t id);
const WeightFormatInfo &getWeightFormatInfo(WeightFormat type);
std::optional<WeightFormat> parseWeightFormat(llvm::StringRef name);

/// Bytes of `elements` values, or nullopt if `elements` is not a whole
/// number of blocks or the size overflows.
std::optional<uint64_t> tensorByteSize(WeightFormat type, uint64_t elements);

} // namespace mlir::tfm

#endif // TFM_QUANTIZATION_WEIGHTFORMAT_H
