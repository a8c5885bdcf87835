//===- WordPiece.cpp - WordPiece (tokenizer model bert) -------------------===//
//
// BERT's tokenizer as llama.cpp runs it: the text is decomposed (NFD, of
// which the base letter is kept: accents go), lowercased, and split into
// words at white space; punctuation, ASCII symbols and CJK ideographs are
// words of their own; control characters are dropped. Each word, marked
// as a word start with U+2581 (GGUF's WordPiece vocabularies mark word
// starts instead of continuations, BERT's `##`), is covered by the longest
// pieces from left to right; a word with an uncovered rest is the unknown
// token.
//
//===----------------------------------------------------------------------===//

#include "Algorithms.h"
#include "Unicode.h"

namespace mlir::tfm {
namespace {

/// CJK ideographs, as BERT's tokenizer lists them.
bool isCjkIdeograph(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class WordPiece : public TokenizerAlgorithm {
public:
  explicit WordPiece(const Vocabulary &vocabulary)
      : vocab(vocabulary), pieces(vocabulary, [](int32_t) { return true; }) {}

  void encode(std::string_view text, bool,
              std::vector<int32_t> &ids) const override {
    for (const std::string &word : words(text))
      encodeWord(std::string(kSpaceMark) + word, ids);
  }

  std::string decode(int32_t token) const override {
    return replaceAll(vocab.pieces[token], kSpaceMark, " ");
  }

private:
  /// BERT's normalization and split.
  static std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> words(1);
    for (uint32_t c : unicode::decode(text)) {
      c = unicode::decompositionBase(c);
      uint8_t flags = unicode::flagsOf(c);
      if (flags & unicode::Whitespace) {
        if (!words.back().empty())
          words.emplace_back();
        continue;
      }
      if (c == 0 || c == unicode::kReplacementCharacter ||
          (flags & unicode::Control))
        continue;
      std::string lower;
      unicode::appendUtf8(unicode::toLower(c), lower);
      if ((flags & unicode::Punctuation) ||
          (c < 0x7F && (flags & unicode::Symbol)) || isCjkIdeograph(c)) {
        if (!words.back().empty())
          words.emplace_back();
        words.back() = lower;
        words.emplace_back();
      } else {
        words.back() += lower;
      }
    }
    if (words.back().empty())
      words.pop_back();
    return words;
  }

  void encodeWord(std::string_view word, std::vector<int32_t> &ids) const {
    size_t first = ids.size();
    for (size_t begin = 0; begin < word.size();) {
      size_t end = std::min(word.size(), begin + pieces.longestPiece());
      std::optional<int32_t> id;
      for (; end > begin; --end)
        if ((id = pieces.find(word.substr(begin, end - begin))))
          break;
      if (!id) {
        ids.resize(first);
        break;
      }
      ids.push_back(*id);
      begin = end;
    }
    if (ids.size() == first)
      ids.push_back(vocab.unknownId);
  }

  const Vocabulary &vocab;
  PieceIndex pieces;
};

} // namespace

std::unique_ptr<TokenizerAlgorithm>
createWordPiece(const Vocabulary &vocabulary) {
  return std::make_unique<WordPiece>(vocabulary);
}

} // namespace mlir::tfm
