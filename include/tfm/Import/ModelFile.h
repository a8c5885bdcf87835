//===- ModelFile.h - a model file opened for import -------------*- C++ -*-===//
//
// What every reader produces: the hyperparameters (a ModelConfig), the
// tensors as typed views into memory-mapped files under tfm's (GGUF) names,
// and the vocabulary when the file carries one. Nothing is copied: views stay
// valid as long as the ModelFile lives.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_MODELFILE_H
#define TFM_IMPORT_MODELFILE_H

#include "tfm/Quantization/WeightFormat.h"
#include "tfm/Model/ModelConfig.h"
#include "tfm/Import/TokenizerFile.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm {

/// A weight inside a mapped file.
struct TensorView {
  std::string name;
  /// Row-major, outermost first: a matrix is `[out_features, in_features]`.
  llvm::SmallVector<int64_t, 4> shape;
  WeightFormat type = WeightFormat::F32;
  /// The stored bytes (whole blocks for quantized types).
  llvm::ArrayRef<uint8_t> data;
  /// The file holding it (shards of a Hugging Face model differ).
  std::string file;
  /// Absolute offset of `data` in `file`.
  uint64_t fileOffset = 0;

  int64_t numElements() const;
};

enum class ModelFormat { GGUF, Llama2c, Safetensors };
llvm::StringRef stringifyModelFormat(ModelFormat format);

class ModelFile {
public:
  ModelFormat format = ModelFormat::GGUF;
  /// The path given by the user (file or directory).
  std::string path;
  ModelConfig config;
  std::optional<Vocabulary> vocabulary;
  /// Where the vocabulary came from (the model itself or a tokenizer file).
  std::string vocabularySource;
  /// Offset of the tensor table (GGUF tensor infos, safetensors header,
  /// llama2.c weights): where an error about a missing tensor points.
  uint64_t tensorIndexOffset = 0;

  const std::vector<TensorView> &tensors() const { return tensorList; }
  const TensorView *lookup(llvm::StringRef name) const;
  /// Adds a view; fails on a duplicate name.
  llvm::Error addTensor(TensorView view);
  /// Replaces the view of the same name (a converted copy); fails when
  /// there is none.
  llvm::Error replaceTensor(TensorView view);
  /// Keeps a mapping alive for the views into it; returns its bytes.
  llvm::ArrayRef<uint8_t> keep(std::unique_ptr<llvm::MemoryBuffer> buffer);
  uint64_t totalTensorBytes() const;

private:
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> mappings;
  std::vector<TensorView> tensorList;
  llvm::StringMap<size_t> index;
};

struct OpenOptions {
  /// llama2.c: the tokenizer file; empty means look beside the checkpoint.
  std::string tokenizerPath;
};

/// Memory-maps `path` read-only (zero copy for large files).
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
mapFile(llvm::StringRef path);

/// Opens any supported model: a GGUF file, a llama2.c checkpoint, or a
/// directory with config.json and *.safetensors. The format is recognized by
/// content (GGUF magic) and by being a directory; anything else is tried as
/// a llama2.c checkpoint, whose size must match its header exactly.
llvm::Expected<std::unique_ptr<ModelFile>>
openModel(llvm::StringRef path, const OpenOptions &options = {});

llvm::Expected<std::unique_ptr<ModelFile>> readGGUFModel(llvm::StringRef path);
llvm::Expected<std::unique_ptr<ModelFile>>
readLlama2cModel(llvm::StringRef path, llvm::StringRef tokenizerPath);

/// The same readers over bytes already in memory (`path` names them in
/// errors); the llama2.c one does not look for a tokenizer.
llvm::Expected<std::unique_ptr<ModelFile>>
readGGUFModel(llvm::StringRef path, std::unique_ptr<llvm::MemoryBuffer> buffer);
llvm::Expected<std::unique_ptr<ModelFile>>
readLlama2cModel(llvm::StringRef path,
                 std::unique_ptr<llvm::MemoryBuffer> buffer);
llvm::Expected<std::unique_ptr<ModelFile>>
readSafetensorsModel(llvm::StringRef directory);

/// The vocabulary of a GGUF file's `tokenizer.ggml.*` metadata (every
/// tokenizer model: tfm/Tokenizer/Tokenizer.h), from a file or from bytes
/// in memory (`path` names them in errors). Vocabulary-only files (no
/// tensors) read too.
llvm::Expected<Vocabulary> readGGUFVocabulary(llvm::StringRef path);
llvm::Expected<Vocabulary> parseGGUFVocabulary(llvm::StringRef path,
                                               llvm::ArrayRef<uint8_t> bytes);

} // namespace mlir::tfm

#endif // TFM_IMPORT_MODELFILE_H
