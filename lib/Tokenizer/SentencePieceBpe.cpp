//===- SentencePieceBpe.cpp - SentencePiece BPE (tokenizer model llama) ---===//
//
// Encoding keeps the text as a doubly linked list of symbols (byte spans)
// and a max-heap of adjacent pairs whose concatenation is a piece. A popped
// pair is merged only if both symbols are still what they were when it was
// pushed; the merged symbol then offers pairs with its new neighbours. This
// gives the same result as re-scanning all pairs after every merge
// (llama2.c) in O(n log n). What no piece covers falls back to byte tokens.
//
//===----------------------------------------------------------------------===//

#include "Algorithms.h"
#include "Unicode.h"

#include <array>
#include <queue>

namespace mlir::tfm {
namespace {

struct Symbol {
  size_t begin;
  size_t length;
  int prev;
  int next;
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t length;
};

struct BigramOrder {
  bool operator()(const Bigram &a, const Bigram &b) const {
    if (a.score != b.score)
      return a.score < b.score;
    return a.left > b.left; // leftmost first on ties
  }
};

class SentencePieceBpe : public TokenizerAlgorithm {
public:
  explicit SentencePieceBpe(const Vocabulary &vocabulary)
      : vocab(vocabulary),
        // Pieces that merging may produce: not control or unused tokens.
        pieces(vocabulary, [&](int32_t id) {
          TokenKind kind = vocabulary.kinds[id];
          return kind != TokenKind::Control && kind != TokenKind::Unknown &&
                 kind != TokenKind::Unused && kind != TokenKind::Byte;
        }) {
    byteIds.fill(kNoToken);
    for (size_t id = 0; id < vocab.size(); ++id) {
      if (vocab.kinds[id] == TokenKind::Byte)
        if (std::optional<uint8_t> byte = parseByteToken(vocab.pieces[id]))
          if (byteIds[*byte] < 0)
            byteIds[*byte] = int32_t(id);
      if (pieces.find(vocab.pieces[id]) && spaceInside(vocab.pieces[id]))
        wordsAreIndependent = false;
    }
  }

  /// Whether a space follows another character in `piece`.
  static bool spaceInside(std::string_view piece) {
    for (size_t i = 1; i < piece.size(); ++i)
      if (piece[i] == ' ' && piece[i - 1] != ' ')
        return true;
    return false;
  }

  void encode(std::string_view input, bool afterSpecial,
              std::vector<int32_t> &ids) const override {
    std::string text =
        (vocab.addSpacePrefix && afterSpecial ? " " : "") + std::string(input);
    if (!wordsAreIndependent) {
      encodeChunk(text, ids);
      return;
    }
    // No piece puts a space after another character, so no merge crosses
    // the start of a space run: each word (with the spaces before it)
    // merges on its own, with the same result and small heaps.
    size_t start = 0;
    for (size_t i = 1; i < text.size(); ++i)
      if (text[i] == ' ' && text[i - 1] != ' ') {
        encodeChunk(std::string_view(text).substr(start, i - start), ids);
        start = i;
      }
    encodeChunk(std::string_view(text).substr(start), ids);
  }

  void encodeChunk(std::string_view text, std::vector<int32_t> &ids) const {
    if (text.empty())
      return;
    std::vector<Symbol> symbols;
    for (size_t i = 0; i < text.size();) {
      size_t length = std::min(unicode::sequenceLength(uint8_t(text[i])),
                               text.size() - i);
      int index = int(symbols.size());
      symbols.push_back({i, length, index - 1, index + 1});
      i += length;
    }
    symbols.back().next = -1;

    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    auto offerPair = [&](int left, int right) {
      if (left < 0 || right < 0)
        return;
      const Symbol &l = symbols[left];
      const Symbol &r = symbols[right];
      std::string_view merged = text.substr(l.begin, l.length + r.length);
      if (std::optional<int32_t> id = pieces.find(merged))
        queue.push({left, right, vocab.scores[*id], merged.size()});
    };
    for (int i = 0; i + 1 < int(symbols.size()); ++i)
      offerPair(i, i + 1);

    while (!queue.empty()) {
      Bigram pair = queue.top();
      queue.pop();
      Symbol &left = symbols[pair.left];
      Symbol &right = symbols[pair.right];
      // Stale: one side was merged into something else since it was pushed.
      if (left.length == 0 || right.length == 0 ||
          left.length + right.length != pair.length ||
          left.next != pair.right)
        continue;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0)
        symbols[right.next].prev = pair.left;
      offerPair(left.prev, pair.left);
      offerPair(pair.left, left.next);
    }

    for (int i = 0; i >= 0; i = symbols[i].next) {
      std::string_view piece = text.substr(symbols[i].begin, symbols[i].length);
      if (std::optional<int32_t> id = pieces.find(piece)) {
        ids.push_back(*id);
        continue;
      }
      for (char c : piece) {
        int32_t id = byteIds[uint8_t(c)];
        ids.push_back(id >= 0 ? id : vocab.unknownId);
      }
    }
  }

  std::string decode(int32_t token) const override {
    if (vocab.kinds[token] == TokenKind::Byte)
      if (std::optional<uint8_t> byte = parseByteToken(vocab.pieces[token]))
        return std::string(1, char(*byte));
    return vocab.pieces[token];
  }

private:
  const Vocabulary &vocab;
  PieceIndex pieces;
  /// Token of each byte value, or kNoToken.
  std::array<int32_t, 256> byteIds;
  bool wordsAreIndependent = true;
};

} // namespace

std::unique_ptr<TokenizerAlgorithm>
createSentencePieceBpe(const Vocabulary &vocabulary) {
  return std::make_unique<SentencePieceBpe>(vocabulary);
}

} // namespace mlir::tfm
