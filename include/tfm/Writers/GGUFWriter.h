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
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
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
  /// A tensor whose stored bytes (`byteSize` of them) `produce` writes to
  /// the stream when writeFile reaches it, in pieces as it likes: a model of
  /// any size is written in the memory of one piece.
  using TensorProducer = std::function<void(llvm::raw_ostream &)>;
  void addTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                 WeightFormat format, uint64_t byteSize,
                 TensorProducer produce);
  /// The whole file in memory (tests, small files).
  std::vector<uint8_t> serialize(uint32_t alignment = 32) const;
  /// Streams the header, then each tensor as it is produced.
  llvm::Error writeFile(llvm::StringRef path, uint32_t alignment = 32) const;

private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    WeightFormat format;
    uint64_t byteSize;
    /// The bytes, or how to make them.
    std::vector<uint8_t> data;
    TensorProducer produce;

    /// Writes the bytes to `out`.
    void write(llvm::raw_ostream &out) const;
  };
  /// The header (magic, metadata, tensor infos) and each tensor's offset
  /// from the data start; the data starts at the header's size rounded up
  /// to `alignment`.
  std::vector<uint8_t> fileHeader(uint32_t alignment,
                              std::vector<uint64_t> &offsets) const;
  /// Each entry is a serialized `key, type, value`.
  std::vector<std::vector<uint8_t>> metadata;
  std::vector<Tensor> tensors;
};

} // namespace mlir::tfm

#endif // TFM_WRITERS_GGUFWRITER_H
