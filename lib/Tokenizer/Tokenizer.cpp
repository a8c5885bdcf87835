//===- Tokenizer.cpp - SentencePiece-style BPE tokenizer ------------------===//
//
// Encoding keeps the text as a doubly linked list of symbols (byte spans)
// and a max-heap of adjacent pairs whose concatenation is a piece. A popped
// pair is merged only if both symbols are still what they were when it was
// pushed; the merged symbol then offers pairs with its new neighbours. This
// gives the same result as re-scanning all pairs after every merge
// (llama2.c) in O(n log n).
//
//===----------------------------------------------------------------------===//

#include "tfm/Tokenizer/Tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

using namespace mlir::tfm;

namespace {

/// Longest piece accepted from a file; real vocabularies stay under 100.
constexpr int64_t kMaxPieceBytes = 1 << 16;
/// Largest vocabulary accepted; bigger than any released model's.
constexpr int64_t kMaxVocabulary = 1 << 22;

std::optional<int> hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return std::nullopt;
}

/// Parses `<0xNN>`.
std::optional<uint8_t> parseByteToken(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
    return std::nullopt;
  std::optional<int> high = hexDigit(piece[3]), low = hexDigit(piece[4]);
  if (!high || !low)
    return std::nullopt;
  return uint8_t(*high * 16 + *low);
}

/// Reads the fields of a llama2.c tokenizer file; errors name the field and
/// the offset, as the model readers' do.
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

/// Length of the UTF-8 sequence starting with `lead`, 1 for invalid bytes
/// (each invalid byte becomes a symbol of its own).
size_t utf8Length(uint8_t lead) {
  if (lead < 0x80)
    return 1;
  if ((lead & 0xE0) == 0xC0)
    return 2;
  if ((lead & 0xF0) == 0xE0)
    return 3;
  if ((lead & 0xF8) == 0xF0)
    return 4;
  return 1;
}

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

} // namespace

std::optional<TokenizerError>
mlir::tfm::checkVocabulary(const Vocabulary &vocabulary) {
  int64_t size = int64_t(vocabulary.size());
  if (size == 0)
    return TokenizerError{std::nullopt, "vocabulary is empty"};
  if (vocabulary.scores.size() != vocabulary.pieces.size() ||
      vocabulary.kinds.size() != vocabulary.pieces.size())
    return TokenizerError{
        std::nullopt, "vocabulary has " + std::to_string(size) +
                          " pieces but " +
                          std::to_string(vocabulary.scores.size()) +
                          " scores and " +
                          std::to_string(vocabulary.kinds.size()) +
                          " token types"};
  for (auto [name, id] : {std::pair{"unknown", vocabulary.unknownId},
                          std::pair{"BOS", vocabulary.bosId},
                          std::pair{"EOS", vocabulary.eosId}})
    if (id < 0 || id >= size)
      return TokenizerError{std::nullopt,
                            std::string(name) + " token id " +
                                std::to_string(id) +
                                " is outside the vocabulary of " +
                                std::to_string(size)};
  for (int64_t i = 0; i < size; ++i)
    if (!std::isfinite(vocabulary.scores[i]))
      return TokenizerError{std::nullopt, "score of token " +
                                              std::to_string(i) +
                                              " is not finite"};
  return std::nullopt;
}

std::optional<TokenizerError> mlir::tfm::parseLlama2cTokenizerBytes(
    const uint8_t *bytes, size_t size, std::optional<int64_t> expectedSize,
    Vocabulary &vocab) {
  FieldReader reader(bytes, size);
  int32_t maxLength;
  if (auto error = reader.read("max_token_length", maxLength))
    return error;
  if (maxLength <= 0 || maxLength > kMaxPieceBytes)
    return reader.errorAt(0, "max_token_length " + std::to_string(maxLength) +
                                 " is not in 1.." +
                                 std::to_string(kMaxPieceBytes));

  vocab = Vocabulary();
  while (expectedSize ? int64_t(vocab.size()) < *expectedSize
                      : reader.remaining() > 0) {
    if (int64_t(vocab.size()) >= kMaxVocabulary)
      return reader.error("more than " + std::to_string(kMaxVocabulary) +
                          " tokens");
    std::string token = "token " + std::to_string(vocab.size());
    uint64_t tokenOffset = reader.offset();
    float score;
    if (auto error = reader.read(token + " score", score))
      return error;
    if (!std::isfinite(score))
      return reader.errorAt(tokenOffset, token + " score is not finite");
    uint64_t lengthOffset = reader.offset();
    int32_t length;
    if (auto error = reader.read(token + " length", length))
      return error;
    if (length < 0 || length > maxLength)
      return reader.errorAt(lengthOffset,
                            token + " length " + std::to_string(length) +
                                " is not in 0..max_token_length (" +
                                std::to_string(maxLength) + ")");
    std::string_view piece;
    if (auto error = reader.take(token + " text", size_t(length), piece))
      return error;
    vocab.pieces.emplace_back(piece);
    vocab.scores.push_back(score);
    vocab.kinds.push_back(parseByteToken(piece) ? TokenKind::Byte
                                                : TokenKind::Normal);
  }
  if (reader.remaining() != 0)
    return reader.error(
        std::to_string(reader.remaining()) + " bytes after token " +
        std::to_string(int64_t(vocab.size()) - 1) +
        (expectedSize ? ": the tokenizer has more tokens than the model's "
                        "vocabulary of " +
                            std::to_string(*expectedSize)
                      : std::string()));
  // llama2.c's convention: <unk>, <s>, </s> come first.
  for (int32_t id : {0, 1, 2})
    if (id < int32_t(vocab.size()))
      vocab.kinds[id] = id == 0 ? TokenKind::Unknown : TokenKind::Control;
  return checkVocabulary(vocab);
}

Tokenizer::Tokenizer(Vocabulary vocabulary) : vocab(std::move(vocabulary)) {
  byteIds.fill(-1);
  for (size_t id = 0; id < vocab.size(); ++id) {
    TokenKind kind = vocab.kinds[id];
    if (kind == TokenKind::Byte) {
      if (std::optional<uint8_t> byte = parseByteToken(vocab.pieces[id]))
        if (byteIds[*byte] < 0)
          byteIds[*byte] = int32_t(id);
      continue;
    }
    if (kind == TokenKind::Control || kind == TokenKind::Unknown ||
        kind == TokenKind::Unused || vocab.pieces[id].empty())
      continue;
    // The first of duplicate pieces wins, as in SentencePiece.
    pieceIds.try_emplace(std::string_view(vocab.pieces[id]), int32_t(id));
  }
}

std::optional<int32_t> Tokenizer::lookup(std::string_view piece) const {
  auto it = pieceIds.find(piece);
  if (it == pieceIds.end())
    return std::nullopt;
  return it->second;
}

void Tokenizer::appendFallback(std::string_view text,
                               std::vector<int32_t> &ids) const {
  for (char c : text) {
    int32_t id = byteIds[uint8_t(c)];
    ids.push_back(id >= 0 ? id : vocab.unknownId);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view input,
                                       bool addBos) const {
  std::vector<int32_t> ids;
  if (addBos)
    ids.push_back(vocab.bosId);
  if (input.empty())
    return ids;
  std::string text = (vocab.addSpacePrefix ? " " : "") + std::string(input);

  std::vector<Symbol> symbols;
  for (size_t i = 0; i < text.size();) {
    size_t length = std::min(utf8Length(uint8_t(text[i])), text.size() - i);
    int index = int(symbols.size());
    symbols.push_back({i, length, index - 1, index + 1});
    i += length;
  }
  symbols.back().next = -1;

  auto symbolText = [&](const Symbol &s) {
    return std::string_view(text).substr(s.begin, s.length);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto offerPair = [&](int left, int right) {
    if (left < 0 || right < 0)
      return;
    const Symbol &l = symbols[left];
    const Symbol &r = symbols[right];
    std::string_view merged =
        std::string_view(text).substr(l.begin, l.length + r.length);
    if (std::optional<int32_t> id = lookup(merged))
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
        left.length + right.length != pair.length || left.next != pair.right)
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
    std::string_view piece = symbolText(symbols[i]);
    if (std::optional<int32_t> id = lookup(piece))
      ids.push_back(*id);
    else
      appendFallback(piece, ids);
  }
  return ids;
}

std::string Tokenizer::decode(int32_t previous, int32_t token) const {
  if (token < 0 || token >= int32_t(vocab.size()))
    return "";
  TokenKind kind = vocab.kinds[token];
  const std::string &piece = vocab.pieces[token];
  if (kind == TokenKind::Byte)
    if (std::optional<uint8_t> byte = parseByteToken(piece))
      return std::string(1, char(*byte));
  if (kind == TokenKind::Control || kind == TokenKind::Unused)
    return "";
  if (kind == TokenKind::Unknown)
    return piece;
  if (previous == vocab.bosId && vocab.addSpacePrefix &&
      !piece.empty() && piece[0] == ' ')
    return piece.substr(1);
  return piece;
}

std::string Tokenizer::decode(const std::vector<int32_t> &tokens) const {
  std::string text;
  int32_t previous = -1;
  for (int32_t token : tokens) {
    text += decode(previous, token);
    previous = token;
  }
  return text;
}

std::vector<uint8_t>
mlir::tfm::serializeLlama2cTokenizer(const std::vector<std::string> &pieces,
                                     const std::vector<float> &scores) {
  std::vector<uint8_t> bytes;
  auto append = [&](const void *data, size_t size) {
    const auto *begin = static_cast<const uint8_t *>(data);
    bytes.insert(bytes.end(), begin, begin + size);
  };
  int32_t maxLength = 0;
  for (const std::string &piece : pieces)
    maxLength = std::max(maxLength, int32_t(piece.size()));
  append(&maxLength, sizeof(maxLength));
  for (size_t i = 0; i < pieces.size(); ++i) {
    int32_t length = int32_t(pieces[i].size());
    append(&scores[i], sizeof(float));
    append(&length, sizeof(length));
    append(pieces[i].data(), pieces[i].size());
  }
  return bytes;
}
