//===- ByteReader.h - bounds-checked little-endian reader -------*- C++ -*-===//
//
// A cursor over the bytes of a memory-mapped file. Every read checks the
// remaining length first and fails with an error naming the offset; nothing
// is allocated from a length read out of the file. Strings are returned as
// views into the mapping (zero copy).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_BYTEREADER_H
#define TFM_MODEL_BYTEREADER_H

#include "tfm/Model/ImportError.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Endian.h"

#include <cstring>
#include <type_traits>

namespace mlir::tfm {

class ByteReader {
public:
  ByteReader(llvm::StringRef fileName, llvm::ArrayRef<uint8_t> bytes)
      : fileName(fileName), bytes(bytes) {}

  uint64_t offset() const { return position; }
  uint64_t remaining() const { return bytes.size() - position; }
  uint64_t size() const { return bytes.size(); }
  llvm::StringRef file() const { return fileName; }

  /// An error at the current offset.
  llvm::Error error(const llvm::Twine &message) const {
    return importError(fileName, position, message);
  }
  llvm::Error errorAt(uint64_t at, const llvm::Twine &message) const {
    return importError(fileName, at, message);
  }

  /// Reads a little-endian integer or IEEE float; `what` names the field.
  template <typename T>
  llvm::Expected<T> read(const llvm::Twine &what) {
    static_assert(std::is_arithmetic_v<T>, "integers and floats only");
    if (remaining() < sizeof(T))
      return error("truncated: " + what + " needs " + llvm::Twine(sizeof(T)) +
                   " bytes, " + llvm::Twine(remaining()) + " left");
    T value;
    std::memcpy(&value, bytes.data() + position, sizeof(T));
    if constexpr (std::is_integral_v<T>)
      value = llvm::support::endian::byte_swap<T>(value,
                                                  llvm::endianness::little);
    position += sizeof(T);
    return value;
  }

  /// Returns the next `length` bytes as a view and advances past them.
  llvm::Expected<llvm::ArrayRef<uint8_t>> take(uint64_t length,
                                               const llvm::Twine &what) {
    if (remaining() < length)
      return error("truncated: " + what + " needs " + llvm::Twine(length) +
                   " bytes, " + llvm::Twine(remaining()) + " left");
    llvm::ArrayRef<uint8_t> view = bytes.slice(position, length);
    position += length;
    return view;
  }

  llvm::Expected<llvm::StringRef> takeString(uint64_t length,
                                             const llvm::Twine &what) {
    llvm::Expected<llvm::ArrayRef<uint8_t>> view = take(length, what);
    if (!view)
      return view.takeError();
    return llvm::StringRef(reinterpret_cast<const char *>(view->data()),
                           view->size());
  }

  llvm::Error seek(uint64_t to, const llvm::Twine &what) {
    if (to > bytes.size())
      return error(what + " at offset " + llvm::Twine(to) +
                   " is past the end of the file (" +
                   llvm::Twine(bytes.size()) + " bytes)");
    position = to;
    return llvm::Error::success();
  }

  llvm::ArrayRef<uint8_t> data() const { return bytes; }

private:
  llvm::StringRef fileName;
  llvm::ArrayRef<uint8_t> bytes;
  uint64_t position = 0;
};

} // namespace mlir::tfm

#endif // TFM_MODEL_BYTEREADER_H
