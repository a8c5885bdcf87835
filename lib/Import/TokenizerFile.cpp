//===- TokenizerFile.cpp - tokenizer files, with the readers' errors ------===//

#include "tfm/Import/TokenizerFile.h"

#include "tfm/Model/ImportError.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace mlir::tfm;

namespace {

llvm::Error toError(llvm::StringRef source, const TokenizerError &error) {
  if (error.offset)
    return importError(source, *error.offset, error.message);
  return importError(source, error.message);
}

} // namespace

llvm::Error mlir::tfm::validateVocabulary(const Vocabulary &vocabulary,
                                          llvm::StringRef source) {
  if (std::optional<TokenizerError> error = checkVocabulary(vocabulary))
    return toError(source, *error);
  return llvm::Error::success();
}

llvm::Expected<Vocabulary>
mlir::tfm::parseLlama2cTokenizer(llvm::StringRef fileName,
                                 llvm::ArrayRef<uint8_t> bytes,
                                 std::optional<int64_t> expectedSize) {
  Vocabulary vocabulary;
  if (std::optional<TokenizerError> error = parseLlama2cTokenizerBytes(
          bytes.data(), bytes.size(), expectedSize, vocabulary))
    return toError(fileName, *error);
  return vocabulary;
}

namespace {

/// `parse` over the bytes of the file at `path`, errors naming it.
template <typename Parse>
llvm::Expected<Vocabulary> parseFile(llvm::StringRef path, Parse parse,
                                     std::optional<int64_t> expectedSize) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return importError(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef data = (*buffer)->getBuffer();
  Vocabulary vocabulary;
  if (std::optional<TokenizerError> error =
          parse(reinterpret_cast<const uint8_t *>(data.data()), data.size(),
                expectedSize, vocabulary))
    return toError(path, *error);
  return vocabulary;
}

} // namespace

llvm::Expected<Vocabulary>
mlir::tfm::loadLlama2cTokenizer(llvm::StringRef path,
                                std::optional<int64_t> expectedSize) {
  return parseFile(path, parseLlama2cTokenizerBytes, expectedSize);
}

llvm::Expected<Vocabulary>
mlir::tfm::loadVocabularyFile(llvm::StringRef path,
                              std::optional<int64_t> expectedSize) {
  return parseFile(path, parseVocabularyBytes, expectedSize);
}
