//===- ByteLevelBpe.cpp - byte-level BPE (tokenizer model gpt2) -----------===//
//
// GPT-2's scheme, used by Llama 3, Qwen, DeepSeek, StarCoder and most BPE
// vocabularies since: the pre-tokenizer splits the text into words; every
// byte of a word becomes a printable character (GPT-2's bytes_to_unicode:
// printable Latin-1 bytes stand for themselves, the others for U+0100 on);
// then the pair of adjacent symbols with the best merge rank merges, until
// no pair has a rank. Merges are looked up by the ids of their two sides.
//
//===----------------------------------------------------------------------===//

#include "Algorithms.h"
#include "PreTokenizer.h"
#include "Unicode.h"

#include <array>
#include <queue>
#include <unordered_map>

namespace mlir::tfm {
namespace {

/// GPT-2's byte -> code point table.
std::array<uint32_t, 256> byteCodePoints() {
  std::array<uint32_t, 256> table{};
  uint32_t next = 256;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    bool printable = (byte >= '!' && byte <= '~') ||
                     (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    table[byte] = printable ? byte : next++;
  }
  return table;
}

uint64_t pairKey(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

struct Symbol {
  size_t begin;
  size_t length;
  int32_t id;
  int prev;
  int next;
};

struct Candidate {
  int32_t rank;
  int left;
  int right;
  size_t length;
};

struct CandidateOrder {
  bool operator()(const Candidate &a, const Candidate &b) const {
    if (a.rank != b.rank)
      return a.rank > b.rank; // lowest rank first
    return a.left > b.left;   // then leftmost
  }
};

class ByteLevelBpe : public TokenizerAlgorithm {
public:
  explicit ByteLevelBpe(const Vocabulary &vocabulary)
      : vocab(vocabulary), pieces(vocabulary, [](int32_t) { return true; }),
        pre(PreTokenizer::create(vocabulary.preTokenizer)) {
    std::array<uint32_t, 256> codePoints = byteCodePoints();
    for (int byte = 0; byte < 256; ++byte) {
      unicode::appendUtf8(codePoints[byte], byteText[byte]);
      bytesOfCodePoint.emplace(codePoints[byte], uint8_t(byte));
    }
    for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
      std::string_view merge = vocab.merges[rank];
      size_t space = merge.find(' ');
      std::optional<int32_t> left = pieces.find(merge.substr(0, space));
      std::optional<int32_t> right = pieces.find(merge.substr(space + 1));
      // checkVocabulary makes sure both sides are tokens.
      if (left && right)
        ranks.try_emplace(pairKey(*left, *right), int32_t(rank));
    }
  }

  void encode(std::string_view input, bool, std::vector<int32_t> &ids) const override {
    std::string text = unicode::sanitize(input);
    std::vector<std::string_view> words;
    if (pre)
      pre->split(text, words);
    else // only if a pattern of PreTokenizer.cpp failed to compile
      words.push_back(text);
    std::string mapped;
    for (std::string_view word : words) {
      mapped.clear();
      for (char c : word)
        mapped += byteText[uint8_t(c)];
      encodeWord(mapped, ids);
    }
  }

  std::string decode(int32_t token) const override {
    std::string bytes;
    std::string_view piece = vocab.pieces[token];
    for (size_t offset = 0; offset < piece.size();) {
      size_t start = offset;
      auto it = bytesOfCodePoint.find(unicode::decodeOne(piece, offset));
      if (it != bytesOfCodePoint.end())
        bytes += char(it->second);
      else // not a byte's character: keep it as it is
        bytes.append(piece.substr(start, offset - start));
    }
    return bytes;
  }

private:
  /// The tokens of one word, its bytes already mapped to characters.
  void encodeWord(std::string_view word, std::vector<int32_t> &ids) const {
    if (vocab.ignoreMerges)
      if (std::optional<int32_t> id = pieces.find(word)) {
        ids.push_back(*id);
        return;
      }
    std::vector<Symbol> symbols;
    for (size_t offset = 0; offset < word.size();) {
      size_t length = std::min(unicode::sequenceLength(uint8_t(word[offset])),
                               word.size() - offset);
      int index = int(symbols.size());
      symbols.push_back({offset, length, idOf(word.substr(offset, length)),
                         index - 1, index + 1});
      offset += length;
    }
    if (symbols.empty())
      return;
    symbols.back().next = -1;

    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder>
        queue;
    auto offer = [&](int left, int right) {
      if (left < 0 || right < 0 || symbols[left].id < 0 ||
          symbols[right].id < 0)
        return;
      auto it = ranks.find(pairKey(symbols[left].id, symbols[right].id));
      if (it != ranks.end())
        queue.push({it->second, left, right,
                    symbols[left].length + symbols[right].length});
    };
    for (int i = 0; i + 1 < int(symbols.size()); ++i)
      offer(i, i + 1);
    while (!queue.empty()) {
      Candidate candidate = queue.top();
      queue.pop();
      Symbol &left = symbols[candidate.left];
      Symbol &right = symbols[candidate.right];
      // Stale: a side changed since the pair was offered.
      if (left.length == 0 || right.length == 0 ||
          left.next != candidate.right ||
          left.length + right.length != candidate.length)
        continue;
      left.length += right.length;
      left.id = idOf(word.substr(left.begin, left.length));
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0)
        symbols[right.next].prev = candidate.left;
      offer(left.prev, candidate.left);
      offer(candidate.left, left.next);
    }
    for (int i = 0; i >= 0; i = symbols[i].next) {
      if (symbols[i].id >= 0) {
        ids.push_back(symbols[i].id);
        continue;
      }
      // Not a token (a vocabulary without some byte's character): the
      // single bytes that are tokens, as llama.cpp does.
      for (char c : word.substr(symbols[i].begin, symbols[i].length))
        if (std::optional<int32_t> id = pieces.find(std::string_view(&c, 1)))
          ids.push_back(*id);
    }
  }

  int32_t idOf(std::string_view text) const {
    return pieces.find(text).value_or(kNoToken);
  }

  const Vocabulary &vocab;
  PieceIndex pieces;
  std::unique_ptr<PreTokenizer> pre;
  std::array<std::string, 256> byteText;
  std::unordered_map<uint32_t, uint8_t> bytesOfCodePoint;
  /// Merge rank by the ids of its sides.
  std::unordered_map<uint64_t, int32_t> ranks;
};

} // namespace

std::unique_ptr<TokenizerAlgorithm>
createByteLevelBpe(const Vocabulary &vocabulary) {
  return std::make_unique<ByteLevelBpe>(vocabulary);
}

} // namespace mlir::tfm
