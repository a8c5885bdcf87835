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

#include "tfm/Model/ByteReader.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <queue>

using namespace mlir::tfm;

namespace {

/// Longest piece accepted from a file; real vocabularies stay under 100.
constexpr int64_t kMaxPieceBytes = 1 << 16;
/// Largest vocabulary accepted; bigger than any released model's.
constexpr int64_t kMaxVocabulary = 1 << 22;

/// Parses `<0xNN>`.
std::optional<uint8_t> parseByteToken(llvm::StringRef piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || !piece.ends_with(">"))
    return std::nullopt;
  unsigned value;
  if (piece.substr(3, 2).getAsInteger(16, value))
    return std::nullopt;
  return uint8_t(value);
}

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

llvm::Error mlir::tfm::validateVocabulary(const Vocabulary &vocabulary,
                                          llvm::StringRef source) {
  int64_t size = int64_t(vocabulary.size());
  if (size == 0)
    return importError(source, "vocabulary is empty");
  if (vocabulary.scores.size() != vocabulary.pieces.size() ||
      vocabulary.kinds.size() != vocabulary.pieces.size())
    return importError(source, "vocabulary has " + llvm::Twine(size) +
                                   " pieces but " +
                                   llvm::Twine(vocabulary.scores.size()) +
                                   " scores and " +
                                   llvm::Twine(vocabulary.kinds.size()) +
                                   " token types");
  for (auto [name, id] : {std::pair{"unknown", vocabulary.unknownId},
                          std::pair{"BOS", vocabulary.bosId},
                          std::pair{"EOS", vocabulary.eosId}})
    if (id < 0 || id >= size)
      return importError(source, llvm::Twine(name) + " token id " +
                                     llvm::Twine(id) +
                                     " is outside the vocabulary of " +
                                     llvm::Twine(size));
  for (int64_t i = 0; i < size; ++i)
    if (!std::isfinite(vocabulary.scores[i]))
      return importError(source, "score of token " + llvm::Twine(i) +
                                     " is not finite");
  return llvm::Error::success();
}

llvm::Expected<Vocabulary>
mlir::tfm::parseLlama2cTokenizer(llvm::StringRef fileName,
                                 llvm::ArrayRef<uint8_t> bytes,
                                 std::optional<int64_t> expectedSize) {
  ByteReader reader(fileName, bytes);
  llvm::Expected<int32_t> maxLength = reader.read<int32_t>("max_token_length");
  if (!maxLength)
    return maxLength.takeError();
  if (*maxLength <= 0 || *maxLength > kMaxPieceBytes)
    return reader.errorAt(0, "max_token_length " + llvm::Twine(*maxLength) +
                                 " is not in 1.." +
                                 llvm::Twine(kMaxPieceBytes));

  Vocabulary vocab;
  while (expectedSize ? int64_t(vocab.size()) < *expectedSize
                      : reader.remaining() > 0) {
    if (int64_t(vocab.size()) >= kMaxVocabulary)
      return reader.error("more than " + llvm::Twine(kMaxVocabulary) +
                          " tokens");
    std::string token = ("token " + llvm::Twine(vocab.size())).str();
    uint64_t tokenOffset = reader.offset();
    llvm::Expected<float> score = reader.read<float>(token + " score");
    if (!score)
      return score.takeError();
    if (!std::isfinite(*score))
      return reader.errorAt(tokenOffset, token + " score is not finite");
    uint64_t lengthOffset = reader.offset();
    llvm::Expected<int32_t> length = reader.read<int32_t>(token + " length");
    if (!length)
      return length.takeError();
    if (*length < 0 || *length > *maxLength)
      return reader.errorAt(lengthOffset,
                            token + " length " + llvm::Twine(*length) +
                                " is not in 0..max_token_length (" +
                                llvm::Twine(*maxLength) + ")");
    llvm::Expected<llvm::StringRef> piece =
        reader.takeString(uint64_t(*length), token + " text");
    if (!piece)
      return piece.takeError();
    vocab.pieces.push_back(piece->str());
    vocab.scores.push_back(*score);
    vocab.kinds.push_back(parseByteToken(*piece) ? TokenKind::Byte
                                                 : TokenKind::Normal);
  }
  if (reader.remaining() != 0)
    return reader.error(
        llvm::Twine(reader.remaining()) + " bytes after token " +
        llvm::Twine(vocab.size() - 1) +
        (expectedSize ? ": the tokenizer has more tokens than the model's "
                        "vocabulary of " + llvm::Twine(*expectedSize)
                      : llvm::Twine("")));
  // llama2.c's convention: <unk>, <s>, </s> come first.
  for (int32_t id : {0, 1, 2})
    if (id < int32_t(vocab.size()))
      vocab.kinds[id] = id == 0 ? TokenKind::Unknown : TokenKind::Control;
  if (llvm::Error error = validateVocabulary(vocab, fileName))
    return std::move(error);
  return vocab;
}

llvm::Expected<Vocabulary>
mlir::tfm::loadLlama2cTokenizer(llvm::StringRef path,
                                std::optional<int64_t> expectedSize) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return importError(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef data = (*buffer)->getBuffer();
  return parseLlama2cTokenizer(
      path, llvm::ArrayRef(reinterpret_cast<const uint8_t *>(data.data()),
                           data.size()),
      expectedSize);
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
    pieceIds.try_emplace(vocab.pieces[id], int32_t(id));
  }
}

std::optional<int32_t> Tokenizer::lookup(llvm::StringRef piece) const {
  auto it = pieceIds.find(piece);
  if (it == pieceIds.end())
    return std::nullopt;
  return it->second;
}

void Tokenizer::appendFallback(llvm::StringRef text,
                               std::vector<int32_t> &ids) const {
  for (char c : text) {
    int32_t id = byteIds[uint8_t(c)];
    ids.push_back(id >= 0 ? id : vocab.unknownId);
  }
}

std::vector<int32_t> Tokenizer::encode(llvm::StringRef input,
                                       bool addBos) const {
  std::vector<int32_t> ids;
  if (addBos)
    ids.push_back(vocab.bosId);
  if (input.empty())
    return ids;
  std::string text = vocab.addSpacePrefix ? " " + input.str() : input.str();

  std::vector<Symbol> symbols;
  for (size_t i = 0; i < text.size();) {
    size_t length = std::min(utf8Length(uint8_t(text[i])), text.size() - i);
    int index = int(symbols.size());
    symbols.push_back({i, length, index - 1, index + 1});
    i += length;
  }
  symbols.back().next = -1;

  auto symbolText = [&](const Symbol &s) {
    return llvm::StringRef(text).substr(s.begin, s.length);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto offerPair = [&](int left, int right) {
    if (left < 0 || right < 0)
      return;
    const Symbol &l = symbols[left];
    const Symbol &r = symbols[right];
    llvm::StringRef merged =
        llvm::StringRef(text).substr(l.begin, l.length + r.length);
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
    llvm::StringRef piece = symbolText(symbols[i]);
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
      llvm::StringRef(piece).starts_with(" "))
    return piece.substr(1);
  return piece;
}

std::string Tokenizer::decode(llvm::ArrayRef<int32_t> tokens) const {
  std::string text;
  int32_t previous = -1;
  for (int32_t token : tokens) {
    text += decode(previous, token);
    previous = token;
  }
  return text;
}

std::vector<uint8_t>
mlir::tfm::serializeLlama2cTokenizer(llvm::ArrayRef<std::string> pieces,
                                     llvm::ArrayRef<float> scores) {
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
