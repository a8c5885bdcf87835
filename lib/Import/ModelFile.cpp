//===- ModelFile.cpp - a model file opened for import ---------------------===//

#include "tfm/Import/ModelFile.h"

#include "tfm/Import/TokenizerFile.h"

#include "tfm/Model/ImportError.h"

#include "llvm/Support/FileSystem.h"

using namespace mlir::tfm;

int64_t TensorView::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

llvm::StringRef mlir::tfm::stringifyModelFormat(ModelFormat format) {
  switch (format) {
  case ModelFormat::GGUF:
    return "gguf";
  case ModelFormat::Llama2c:
    return "llama2c";
  case ModelFormat::Safetensors:
    return "safetensors";
  }
  llvm_unreachable("unknown model format");
}

const TensorView *ModelFile::lookup(llvm::StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensorList[it->second];
}

llvm::Error ModelFile::addTensor(TensorView view) {
  if (!index.try_emplace(view.name, tensorList.size()).second)
    return importError(view.file, view.fileOffset,
                       "duplicate tensor '" + view.name + "'");
  tensorList.push_back(std::move(view));
  return llvm::Error::success();
}

llvm::Error ModelFile::replaceTensor(TensorView view) {
  auto it = index.find(view.name);
  if (it == index.end())
    return importError(view.file, view.fileOffset,
                       "no tensor '" + view.name + "' to replace");
  tensorList[it->second] = std::move(view);
  return llvm::Error::success();
}

llvm::ArrayRef<uint8_t>
ModelFile::keep(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  llvm::StringRef bytes = buffer->getBuffer();
  mappings.push_back(std::move(buffer));
  return llvm::ArrayRef(reinterpret_cast<const uint8_t *>(bytes.data()),
                        bytes.size());
}

uint64_t ModelFile::totalTensorBytes() const {
  uint64_t total = 0;
  for (const TensorView &view : tensorList)
    total += view.data.size();
  return total;
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
mlir::tfm::mapFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false,
                                  /*IsVolatile=*/false);
  if (!buffer)
    return importError(path, "cannot open: " + buffer.getError().message());
  return std::move(*buffer);
}

llvm::Expected<std::unique_ptr<ModelFile>>
mlir::tfm::openModel(llvm::StringRef path, const OpenOptions &options) {
  if (llvm::sys::fs::is_directory(path)) {
    llvm::Expected<std::unique_ptr<ModelFile>> model =
        readSafetensorsModel(path);
    // A directory without tokenizer.json takes a llama2.c tokenizer file
    // or the vocabulary of a GGUF file (tokenizer.ggml.*: T5's unigram,
    // for one).
    if (!model || (*model)->vocabulary || options.tokenizerPath.empty())
      return model;
    int64_t vocabSize = (*model)->config.vocabSize;
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> tokenizer =
        mapFile(options.tokenizerPath);
    if (!tokenizer)
      return tokenizer.takeError();
    bool gguf = (*tokenizer)->getBuffer().starts_with("GGUF");
    llvm::Expected<Vocabulary> vocabulary =
        gguf ? readGGUFVocabulary(options.tokenizerPath)
             : loadLlama2cTokenizer(options.tokenizerPath, vocabSize);
    if (!vocabulary)
      return vocabulary.takeError();
    if (gguf && int64_t(vocabulary->size()) != vocabSize)
      return importError(options.tokenizerPath,
                         "has " + llvm::Twine(vocabulary->size()) +
                             " tokens but the model's vocab_size is " +
                             llvm::Twine(vocabSize));
    (*model)->vocabulary = std::move(*vocabulary);
    (*model)->vocabularySource = options.tokenizerPath;
    return model;
  }
  if (!llvm::sys::fs::exists(path))
    return importError(path, "no such file or directory");
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = mapFile(path);
  if (!buffer)
    return buffer.takeError();
  if ((*buffer)->getBuffer().starts_with("GGUF"))
    return readGGUFModel(path);
  return readLlama2cModel(path, options.tokenizerPath);
}
