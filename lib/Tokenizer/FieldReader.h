//===- FieldReader.h - bounded reads of a tokenizer file ---------*- C++ -*-===//
//
// The llama2.c tokenizer and the compiled vocabulary file are read field by
// field from bytes of untrusted length: every read is checked, and an error
// names the field and its offset.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_TOKENIZER_FIELDREADER_H
#define TFM_LIB_TOKENIZER_FIELDREADER_H

#include "tfm/Tokenizer/Tokenizer.h"

#include <cstring>

namespace mlir::tfm {

/// Longest piece accepted from a file; real vocabularies stay under 100.
constexpr int64_t kMaxPieceBytes = 1 << 16;
/// Largest vocabulary accepted; bigger than any released model's.
constexpr int64_t kMaxVocabulary = 1 << 22;

/// Reads the fields of a tokenizer file; errors name the field and the
/// offset, as the model readers' do.
class FieldReader {
public:
  FieldReader(const uint8_t *bytes, size_t size) : bytes(bytes), size(size) {}

  uint64_t offset() const { return position; }
  uint64_t remaining() const { return size - position; }

  template <typename T>
  std::optional<TokenizerError> read(const std::string &what, T &value) {
    if (remaining() < sizeof(T))
      return truncated(what, sizeof(T));
    std::memcpy(&value, bytes + position, sizeof(T)); // little-endian hosts
    position += sizeof(T);
    return std::nullopt;
  }

  std::optional<TokenizerError> take(const std::string &what, size_t length,
                                     std::string_view &text) {
    if (remaining() < length)
      return truncated(what, length);
    text = std::string_view(reinterpret_cast<const char *>(bytes) + position,
                            length);
    position += length;
    return std::nullopt;
  }

  TokenizerError errorAt(uint64_t at, std::string message) const {
    return {at, std::move(message)};
  }
  TokenizerError error(std::string message) const {
    return {position, std::move(message)};
  }

private:
  TokenizerError truncated(const std::string &what, size_t needed) const {
    return error("truncated: " + what + " needs " + std::to_string(needed) +
                 " bytes, " + std::to_string(remaining()) + " left");
  }

  const uint8_t *bytes;
  size_t size;
  uint64_t position = 0;
};


} // namespace mlir::tfm

#endif // TFM_LIB_TOKENIZER_FIELDREADER_H
