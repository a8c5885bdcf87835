//===- GGUF.h - the GGUF container format -----------------------*- C++ -*-===//
//
// GGUF versions 2 and 3 (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
//
//   u32 magic "GGUF", u32 version, u64 tensor_count, u64 kv_count
//   kv_count x { string key, u32 value_type, value }
//   tensor_count x { string name, u32 n_dims, u64 dims[n_dims], u32 type,
//                    u64 offset }
//   padding to `general.alignment` (default 32), then the tensor data.
//
// Strings are `u64 length, bytes`; arrays are `u32 element_type, u64 count,
// elements`. parseGGUF validates everything it returns: counts and lengths
// against the bytes left and fixed caps, element types before reading,
// alignment, tensor shapes, types, and that each tensor's data lies inside
// the file without overlapping another.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_GGUF_H
#define TFM_IMPORT_GGUF_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace mlir::tfm {

enum class GGUFValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

llvm::StringRef stringifyGGUFValueType(GGUFValueType type);

struct GGUFValue {
  GGUFValueType type = GGUFValueType::UInt8;
  /// Offset of the value in the file, for error messages.
  uint64_t offset = 0;
  /// Scalars: integers (and bools) widened, floats as double.
  uint64_t unsignedValue = 0;
  int64_t signedValue = 0;
  double floatValue = 0.0;
  llvm::StringRef stringValue;
  /// Arrays: the element type and count; numeric elements stay in the file.
  GGUFValueType elementType = GGUFValueType::UInt8;
  uint64_t count = 0;
  llvm::ArrayRef<uint8_t> rawElements;
  std::vector<llvm::StringRef> strings;

  bool isInteger() const;
  bool isFloat() const;
  /// Element `i` of a numeric array as a double / signed integer.
  double floatElement(uint64_t i) const;
  int64_t integerElement(uint64_t i) const;
};

struct GGUFTensorInfo {
  llvm::StringRef name;
  /// GGML order: dims[0] is the contiguous (innermost) dimension.
  llvm::SmallVector<uint64_t, 4> dims;
  uint32_t ggmlType = 0;
  /// Offset of the data relative to the start of the data section.
  uint64_t offset = 0;
  uint64_t byteSize = 0;
  /// Offset of this tensor's info record, for error messages.
  uint64_t infoOffset = 0;
};

struct GGUFFile {
  uint32_t version = 0;
  uint64_t alignment = 32;
  /// Absolute offset of the data section.
  uint64_t dataOffset = 0;
  llvm::MapVector<llvm::StringRef, GGUFValue> metadata;
  std::vector<GGUFTensorInfo> tensors;

  const GGUFValue *lookup(llvm::StringRef key) const;
};

/// Parses and validates a GGUF file held in `bytes`; the result refers to
/// `bytes`, which must outlive it.
llvm::Expected<GGUFFile> parseGGUF(llvm::StringRef fileName,
                                   llvm::ArrayRef<uint8_t> bytes);

} // namespace mlir::tfm

#endif // TFM_IMPORT_GGUF_H
