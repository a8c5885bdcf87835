//===- Utf8Stream.h - whole characters from a stream of bytes ---*- C++ -*-===//
//
// Tokens do not end on character boundaries: a byte-fallback token carries
// one byte of a multi-byte character. The stream holds bytes back until
// their character is complete, so what is printed is always valid UTF-8;
// bytes that cannot start or continue a character become U+FFFD.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DRIVER_UTF8STREAM_H
#define TFM_DRIVER_UTF8STREAM_H

#include <string>
#include <string_view>

namespace mlir::tfm {

class Utf8Stream {
public:
  /// Adds `bytes`; returns the complete characters now ready.
  std::string push(std::string_view bytes);
  /// Ends the stream: a character left incomplete becomes U+FFFD.
  std::string finish();

private:
  std::string pending;
};

} // namespace mlir::tfm

#endif // TFM_DRIVER_UTF8STREAM_H
