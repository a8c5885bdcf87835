//===- StopStrings.h - cut generated text at the first stop string -*- C++ -*-===//
//
// OpenAI's `stop`: generation ends where the text first contains one of the
// strings, which is not part of the answer. Tokens do not end on string
// boundaries, so text that could still become a stop string is held back
// until the next piece decides it (a streamed answer never shows part of a
// stop string).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_SERVER_STOPSTRINGS_H
#define TFM_SERVER_STOPSTRINGS_H

#include <string>
#include <string_view>
#include <vector>

namespace mlir::tfm::server {

class StopMatcher {
public:
  /// Empty strings are ignored.
  explicit StopMatcher(std::vector<std::string> stops);

  /// Adds generated text; returns what is now safe to show. After a stop
  /// string was found, `stopped()` holds and later text is dropped.
  std::string push(std::string_view text);
  /// The end of generation: the text still held back.
  std::string finish();

  bool stopped() const { return found; }

private:
  /// Length of the longest end of `held` that begins a stop string.
  size_t partialMatchLength() const;

  std::vector<std::string> stops;
  std::string held;
  bool found = false;
};

} // namespace mlir::tfm::server

#endif // TFM_SERVER_STOPSTRINGS_H
