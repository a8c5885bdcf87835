//===- GGUFWriter.h - write GGUF files ---------------------------*- C++
//-*-===//
//
// Writes GGUF version 3: test models, fuzzing seeds, and the random-weight
// models of tfm-make-model. Metadata is written in insertion order; tensors
// are aligned to `general.alignment`.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_WRITERS_GGUFWRITER_H
#define TFM_WRITERS_GGUFWRITER_H

#include "tfm/Quantization/WeightFormat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tfm {

class GGUFWriter {
public:
  void addUInt32(llvm::StringRef key, uint32_t value);
  void addFloat32(llvm::StringRef key, float value);
  void addBool(llvm::StringRef key, bool value);
  void addString(llvm::StringRef key, llvm::StringRef value);
  void addStringArray(llvm::StringRef key, llvm::ArrayRef<std::string> values);
  void addFloat32Array(llvm::StringRef key, llvm::ArrayRef<float> values);
  void addInt32Array(llvm::StringRef key, llvm::ArrayRef<int32_t> values);

  /// `shape` is row-major (outermost first); `data` the stored bytes.
  void addTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                 WeightFormat format, std::vector<uint8_t> data);

  std::vector<uint8_t> serialize(uint32_t alignment = 32) const;
  llvm::Error writeFile(llvm::StringRef path) const;

private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    WeightFormat format;
    std::vector<uint8_t> data;
  };
  /// Each entry is a serialized `key, type, value`.
  std::vector<std::vector<uint8_t>> metadata;
  std::vector<Tensor> tensors;
};

} // namespace mlir::tfm

#endif // TFM_WRITERS_GGUFWRITER_H
