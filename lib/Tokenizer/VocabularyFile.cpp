//===- VocabularyFile.cpp - the vocabulary of a compiled directory --------===//
//
// llama2.c's tokenizer file holds pieces and scores only, which is all a
// SentencePiece BPE vocabulary needs but not a byte-level BPE (merges,
// pre-tokenizer), WordPiece or unigram one; nor does it keep the special
// ids, the token kinds or the chat template. A compiled directory keeps its
// vocabulary in this file instead, read by the runtime (no LLVM) and the
// tools alike.
//
//===----------------------------------------------------------------------===//

#include "tfm/Tokenizer/Tokenizer.h"

#include "FieldReader.h"

#include <array>
#include <cmath>

using namespace mlir::tfm;

namespace {

constexpr char kMagic[4] = {'T', 'F', 'M', 'V'};
constexpr uint32_t kVersion = 1;
/// Longest pre-tokenizer name or chat template accepted.
constexpr uint32_t kMaxTextBytes = 1 << 20;

enum Flag : uint32_t {
  AddBos = 1,
  AddEos = 2,
  AddSep = 4,
  AddSpacePrefix = 8,
  IgnoreMerges = 16,
  AllFlags = 31,
};

class Writer {
public:
  template <typename T> void value(T field) {
    const auto *raw = reinterpret_cast<const uint8_t *>(&field);
    bytes.insert(bytes.end(), raw, raw + sizeof(T)); // little-endian hosts
  }
  void text(std::string_view field) {
    value(uint32_t(field.size()));
    bytes.insert(bytes.end(), field.begin(), field.end());
  }
  std::vector<uint8_t> bytes;
};

/// The special ids in file order (const or not).
template <typename V> auto idFields(V &v) {
  return std::array{&v.unknownId, &v.bosId, &v.eosId, &v.eotId,
                    &v.padId,     &v.sepId, &v.clsId, &v.maskId};
}

std::optional<TokenizerError> readText(FieldReader &reader,
                                       const std::string &what,
                                       uint32_t maxBytes, std::string &text) {
  uint64_t at = reader.offset();
  uint32_t length;
  if (auto error = reader.read(what + " length", length))
    return error;
  if (length > maxBytes)
    return reader.errorAt(at, what + " length " + std::to_string(length) +
                                  " is over " + std::to_string(maxBytes));
  std::string_view view;
  if (auto error = reader.take(what, length, view))
    return error;
  text.assign(view);
  return std::nullopt;
}

std::optional<TokenizerError> readCount(FieldReader &reader,
                                        const std::string &what,
                                        uint32_t &count) {
  uint64_t at = reader.offset();
  if (auto error = reader.read(what, count))
    return error;
  if (count > kMaxVocabulary)
    return reader.errorAt(at, what + " " + std::to_string(count) +
                                  " is over " + std::to_string(kMaxVocabulary));
  return std::nullopt;
}

std::optional<TokenizerError> readHeader(FieldReader &reader, Vocabulary &v) {
  std::string_view magic;
  if (auto error = reader.take("magic", 4, magic))
    return error;
  if (magic != std::string_view(kMagic, 4))
    return reader.errorAt(0, "not a tfm vocabulary file (no TFMV magic)");
  uint32_t version, model, flags;
  if (auto error = reader.read("version", version))
    return error;
  if (version != kVersion)
    return reader.errorAt(4, "vocabulary file version " +
                                 std::to_string(version) + ", tfm reads " +
                                 std::to_string(kVersion));
  if (auto error = reader.read("model", model))
    return error;
  if (model > uint32_t(TokenizerModel::Unigram))
    return reader.errorAt(8, "tokenizer model " + std::to_string(model) +
                                 " is not 0..3");
  v.model = TokenizerModel(model);
  if (auto error = reader.read("flags", flags))
    return error;
  if (flags & ~uint32_t(AllFlags))
    return reader.errorAt(12, "unknown flags " + std::to_string(flags));
  v.addBos = flags & AddBos;
  v.addEos = flags & AddEos;
  v.addSep = flags & AddSep;
  v.addSpacePrefix = flags & AddSpacePrefix;
  v.ignoreMerges = flags & IgnoreMerges;
  for (int32_t *id : idFields(v))
    if (auto error = reader.read("special token id", *id))
      return error;
  if (auto error =
          readText(reader, "pre-tokenizer", kMaxPieceBytes, v.preTokenizer))
    return error;
  return readText(reader, "chat template", kMaxTextBytes, v.chatTemplate);
}

std::optional<TokenizerError> readTokens(FieldReader &reader, Vocabulary &v) {
  uint32_t count;
  if (auto error = readCount(reader, "token count", count))
    return error;
  for (uint32_t i = 0; i < count; ++i) {
    std::string token = "token " + std::to_string(i);
    uint64_t at = reader.offset();
    float score;
    int32_t kind;
    std::string piece;
    if (auto error = reader.read(token + " score", score))
      return error;
    if (auto error = reader.read(token + " kind", kind))
      return error;
    if (kind < int32_t(TokenKind::Normal) || kind > int32_t(TokenKind::Byte))
      return reader.errorAt(at + 4, token + " kind " + std::to_string(kind) +
                                        " is not 1..6");
    if (auto error = readText(reader, token, kMaxPieceBytes, piece))
      return error;
    v.pieces.push_back(std::move(piece));
    v.scores.push_back(score);
    v.kinds.push_back(TokenKind(kind));
  }
  return std::nullopt;
}

std::optional<TokenizerError> readMerges(FieldReader &reader, Vocabulary &v) {
  uint32_t count;
  if (auto error = readCount(reader, "merge count", count))
    return error;
  v.merges.resize(count);
  for (uint32_t i = 0; i < count; ++i)
    if (auto error = readText(reader, "merge " + std::to_string(i),
                              2 * kMaxPieceBytes + 1, v.merges[i]))
      return error;
  return std::nullopt;
}

} // namespace

std::vector<uint8_t> mlir::tfm::serializeVocabulary(const Vocabulary &vocabulary) {
  const Vocabulary &v = vocabulary;
  Writer out;
  out.bytes.insert(out.bytes.end(), kMagic, kMagic + 4);
  out.value(kVersion);
  out.value(uint32_t(v.model));
  out.value(uint32_t((v.addBos ? AddBos : 0) | (v.addEos ? AddEos : 0) |
                     (v.addSep ? AddSep : 0) |
                     (v.addSpacePrefix ? AddSpacePrefix : 0) |
                     (v.ignoreMerges ? IgnoreMerges : 0)));
  for (const int32_t *id : idFields(v))
    out.value(*id);
  out.text(v.preTokenizer);
  out.text(v.chatTemplate);
  out.value(uint32_t(v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    out.value(v.scores[i]);
    out.value(int32_t(v.kinds[i]));
    out.text(v.pieces[i]);
  }
  out.value(uint32_t(v.merges.size()));
  for (const std::string &merge : v.merges)
    out.text(merge);
  return std::move(out.bytes);
}

bool mlir::tfm::isVocabularyFile(const uint8_t *bytes, size_t size) {
  return size >= 4 && std::memcmp(bytes, kMagic, 4) == 0;
}

std::optional<TokenizerError>
mlir::tfm::parseVocabularyBytes(const uint8_t *bytes, size_t size,
                                std::optional<int64_t> expectedSize,
                                Vocabulary &vocabulary) {
  FieldReader reader(bytes, size);
  vocabulary = Vocabulary();
  if (auto error = readHeader(reader, vocabulary))
    return error;
  uint64_t tokensAt = reader.offset();
  if (auto error = readTokens(reader, vocabulary))
    return error;
  if (expectedSize && int64_t(vocabulary.size()) != *expectedSize)
    return reader.errorAt(tokensAt,
                          std::to_string(vocabulary.size()) +
                              " tokens, the model's vocabulary has " +
                              std::to_string(*expectedSize));
  if (auto error = readMerges(reader, vocabulary))
    return error;
  if (reader.remaining() != 0)
    return reader.error(std::to_string(reader.remaining()) +
                        " bytes after the last merge");
  return checkVocabulary(vocabulary);
}
