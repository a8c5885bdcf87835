//===- Algorithms.h - the tokenization algorithms ---------------*- C++ -*-===//
//
// The factory of each algorithm (one file each) and the piece index they
// share. Internal to lib/Tokenizer.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_TOKENIZER_ALGORITHMS_H
#define TFM_LIB_TOKENIZER_ALGORITHMS_H

#include "tfm/Tokenizer/Tokenizer.h"

#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace mlir::tfm {

/// Token ids by piece text: views of the vocabulary's strings (the first of
/// duplicates wins, as in SentencePiece).
class PieceIndex {
public:
  /// Indexes the tokens `include` accepts.
  template <typename Predicate>
  PieceIndex(const Vocabulary &vocabulary, Predicate include) {
    ids.reserve(vocabulary.size());
    for (size_t id = 0; id < vocabulary.size(); ++id) {
      const std::string &piece = vocabulary.pieces[id];
      if (include(int32_t(id)) && !piece.empty()) {
        ids.try_emplace(std::string_view(piece), int32_t(id));
        longest = std::max(longest, piece.size());
      }
    }
  }

  std::optional<int32_t> find(std::string_view piece) const {
    auto it = ids.find(piece);
    if (it == ids.end())
      return std::nullopt;
    return it->second;
  }
  /// Bytes of the longest piece.
  size_t longestPiece() const { return longest; }

private:
  std::unordered_map<std::string_view, int32_t> ids;
  size_t longest = 0;
};

std::unique_ptr<TokenizerAlgorithm>
createSentencePieceBpe(const Vocabulary &vocabulary);
std::unique_ptr<TokenizerAlgorithm>
createByteLevelBpe(const Vocabulary &vocabulary);
std::unique_ptr<TokenizerAlgorithm>
createWordPiece(const Vocabulary &vocabulary);
std::unique_ptr<TokenizerAlgorithm>
createUnigram(const Vocabulary &vocabulary);

/// The byte of a byte token's text `<0xNN>`.
std::optional<uint8_t> parseByteToken(std::string_view piece);

/// Replaces every `from` in `text` with `to`.
std::string replaceAll(std::string_view text, std::string_view from,
                       std::string_view to);

/// U+2581, SentencePiece's and WordPiece's mark of a word start.
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";

} // namespace mlir::tfm

#endif // TFM_LIB_TOKENIZER_ALGORITHMS_H
