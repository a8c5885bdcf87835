//===- Unigram.cpp - SentencePiece unigram (tokenizer model t5) -----------===//
//
// T5's tokenizer: the text is normalized (a word-start mark U+2581 first,
// spaces become U+2581), then segmented into the pieces whose scores (log
// probabilities) add up to the most, by Viterbi over the byte positions.
// User-defined pieces score 0; a character no piece covers is the unknown
// token, scored below every piece, and runs of unknowns are one token.
// SentencePiece's precompiled character map (NFKC and the like) is not
// applied: docs/tokenizers.md.
//
//===----------------------------------------------------------------------===//

#include "Algorithms.h"
#include "Unicode.h"

#include <algorithm>
#include <limits>

namespace mlir::tfm {
namespace {

class Unigram : public TokenizerAlgorithm {
public:
  explicit Unigram(const Vocabulary &vocabulary)
      : vocab(vocabulary), pieces(vocabulary, [&](int32_t id) {
          TokenKind kind = vocabulary.kinds[id];
          return kind == TokenKind::Normal || kind == TokenKind::UserDefined ||
                 kind == TokenKind::Unused;
        }) {
    float lowest = 0.0f;
    for (size_t id = 0; id < vocab.size(); ++id)
      if (vocab.kinds[id] == TokenKind::Normal)
        lowest = std::min(lowest, vocab.scores[id]);
    unknownScore = double(lowest) - kUnknownPenalty;
  }

  void encode(std::string_view input, bool,
              std::vector<int32_t> &ids) const override {
    std::string text = normalize(input);
    if (text.empty())
      return;
    struct Best {
      double score;
      int32_t id;
      size_t start;
    };
    constexpr double kUnreached = -std::numeric_limits<double>::infinity();
    std::vector<Best> best(text.size() + 1, {kUnreached, kNoToken, 0});
    best[0].score = 0.0;
    for (size_t start = 0; start < text.size();) {
      size_t character = std::min(
          unicode::sequenceLength(uint8_t(text[start])), text.size() - start);
      double base = best[start].score;
      bool characterCovered = false;
      size_t longest = std::min(text.size() - start, pieces.longestPiece());
      for (size_t length = 1; length <= longest; ++length) {
        std::optional<int32_t> id =
            pieces.find(std::string_view(text).substr(start, length));
        if (!id)
          continue;
        characterCovered |= length == character;
        double score =
            base + (vocab.kinds[*id] == TokenKind::UserDefined
                        ? 0.0
                        : double(vocab.scores[*id]));
        if (score > best[start + length].score)
          best[start + length] = {score, *id, start};
      }
      if (!characterCovered) {
        double score = base + unknownScore;
        if (score > best[start + character].score)
          best[start + character] = {score, vocab.unknownId, start};
      }
      start += character;
    }
    std::vector<int32_t> reversed;
    for (size_t end = text.size(); end > 0; end = best[end].start) {
      int32_t id = best[end].id;
      if (!(id == vocab.unknownId && !reversed.empty() &&
            reversed.back() == vocab.unknownId))
        reversed.push_back(id);
    }
    ids.insert(ids.end(), reversed.rbegin(), reversed.rend());
  }

  std::string decode(int32_t token) const override {
    return replaceAll(vocab.pieces[token], kSpaceMark, " ");
  }

private:
  static constexpr double kUnknownPenalty = 10.0;

  std::string normalize(std::string_view text) const {
    std::string out = vocab.addSpacePrefix && !text.empty()
                          ? std::string(kSpaceMark)
                          : std::string();
    out += replaceAll(unicode::sanitize(text), " ", kSpaceMark);
    return out;
  }

  const Vocabulary &vocab;
  PieceIndex pieces;
  double unknownScore;
};

} // namespace

std::unique_ptr<TokenizerAlgorithm>
createUnigram(const Vocabulary &vocabulary) {
  return std::make_unique<Unigram>(vocabulary);
}

} // namespace mlir::tfm
