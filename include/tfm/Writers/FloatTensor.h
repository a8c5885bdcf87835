//===- FloatTensor.h - a named f32 tensor in memory, for writers -*- C++
//-*-===//
//
// What the model writers take: tensors named as GGUF names them
// (`blk.0.attn_q.weight`), with f32 values; each writer renames and encodes
// them for its format.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_WRITERS_FLOATTENSOR_H
#define TFM_WRITERS_FLOATTENSOR_H

#include "tfm/Quantization/WeightFormat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mlir::tfm {

struct FloatTensor {
  std::string name;
  /// Row-major, outermost first.
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// The values of `tensor` stored as `format` (F32 or F16: the formats the
/// writers emit for unquantized tensors).
/// The stored bytes of `tensor` as F32, F16 or BF16.
std::vector<uint8_t> encodeFloatTensor(const FloatTensor &tensor,
                                       WeightFormat format);
/// f32 to bfloat16, rounded to nearest even.
uint16_t floatToBFloat16(float value);

/// Appends the bytes of `value` (little-endian, as the hosts are).
template <typename T>
void appendLittleEndian(std::vector<uint8_t> &out, T value) {
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.insert(out.end(), raw, raw + sizeof(T));
}

/// Writes `bytes` to `path`, replacing it; the error names the path.
llvm::Error writeFileBytes(llvm::StringRef path, llvm::ArrayRef<uint8_t> bytes);

} // namespace mlir::tfm

#endif // TFM_WRITERS_FLOATTENSOR_H
