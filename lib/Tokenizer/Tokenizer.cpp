//===- Tokenizer.cpp - the tokenizer interface and vocabularies ------------===//
//
// What every algorithm shares: the vocabulary checks, splitting special
// tokens out of a text, the tokens added around it, decoding token kinds,
// and the llama2.c tokenizer file. The algorithms are one file each.
//
//===----------------------------------------------------------------------===//

#include "tfm/Tokenizer/Tokenizer.h"

#include "Algorithms.h"
#include "FieldReader.h"
#include "PreTokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

using namespace mlir::tfm;

namespace {

std::optional<int> hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return std::nullopt;
}


TokenizerError vocabularyError(std::string message) {
  return {std::nullopt, std::move(message)};
}

} // namespace

std::optional<TokenizerError> mlir::tfm::checkMerges(const Vocabulary &vocabulary) {
  std::unordered_set<std::string_view> pieces(vocabulary.pieces.begin(),
                                              vocabulary.pieces.end());
  for (size_t i = 0; i < vocabulary.merges.size(); ++i) {
    std::string_view merge = vocabulary.merges[i];
    size_t space = merge.find(' ');
    if (space == std::string_view::npos || space == 0 ||
        space + 1 == merge.size() ||
        merge.find(' ', space + 1) != std::string_view::npos)
      return vocabularyError("merge " + std::to_string(i) + " '" +
                             std::string(merge) +
                             "' is not two tokens separated by a space");
    for (std::string_view side : {merge.substr(0, space), merge.substr(space + 1)})
      if (!pieces.count(side))
        return vocabularyError("merge " + std::to_string(i) + " '" +
                               std::string(merge) + "' names '" +
                               std::string(side) +
                               "', which is not a token of the vocabulary");
  }
  return std::nullopt;
}


std::optional<uint8_t> mlir::tfm::parseByteToken(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
    return std::nullopt;
  std::optional<int> high = hexDigit(piece[3]), low = hexDigit(piece[4]);
  if (!high || !low)
    return std::nullopt;
  return uint8_t(*high * 16 + *low);
}

std::optional<TokenizerModel> mlir::tfm::parseTokenizerModel(std::string_view name) {
  if (name == "llama")
    return TokenizerModel::SentencePieceBpe;
  if (name == "gpt2")
    return TokenizerModel::ByteLevelBpe;
  if (name == "bert")
    return TokenizerModel::WordPiece;
  if (name == "t5")
    return TokenizerModel::Unigram;
  return std::nullopt;
}

const char *mlir::tfm::tokenizerModelName(TokenizerModel model) {
  switch (model) {
  case TokenizerModel::SentencePieceBpe:
    return "llama";
  case TokenizerModel::ByteLevelBpe:
    return "gpt2";
  case TokenizerModel::WordPiece:
    return "bert";
  case TokenizerModel::Unigram:
    return "t5";
  }
  return "?";
}

void mlir::tfm::setDefaultSpecialTokens(Vocabulary &v) {
  v.eotId = v.padId = v.sepId = v.clsId = v.maskId = kNoToken;
  v.addEos = v.addSep = v.ignoreMerges = false;
  switch (v.model) {
  case TokenizerModel::SentencePieceBpe:
    v.unknownId = 0, v.bosId = 1, v.eosId = 2;
    v.addBos = v.addSpacePrefix = true;
    break;
  case TokenizerModel::ByteLevelBpe:
    v.unknownId = kNoToken, v.bosId = 11, v.eosId = 11;
    v.addBos = v.addSpacePrefix = false;
    break;
  case TokenizerModel::WordPiece:
    v.unknownId = 100, v.clsId = v.bosId = 101, v.sepId = 102;
    v.eosId = kNoToken, v.padId = 0, v.maskId = 103;
    v.addBos = v.addSep = true;
    v.addSpacePrefix = false;
    break;
  case TokenizerModel::Unigram:
    v.unknownId = 2, v.bosId = kNoToken, v.eosId = 1, v.padId = 0;
    v.addBos = false;
    v.addEos = v.addSpacePrefix = true;
    break;
  }
}

std::string mlir::tfm::replaceAll(std::string_view text, std::string_view from,
                                  std::string_view to) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0;;) {
    size_t found = text.find(from, at);
    if (found == std::string_view::npos) {
      out.append(text.substr(at));
      return out;
    }
    out.append(text.substr(at, found - at));
    out.append(to);
    at = found + from.size();
  }
}

std::optional<TokenizerError>
mlir::tfm::checkVocabulary(const Vocabulary &vocabulary) {
  int64_t size = int64_t(vocabulary.size());
  if (size == 0)
    return vocabularyError("vocabulary is empty");
  if (vocabulary.scores.size() != vocabulary.pieces.size() ||
      vocabulary.kinds.size() != vocabulary.pieces.size())
    return vocabularyError(
        "vocabulary has " + std::to_string(size) + " pieces but " +
        std::to_string(vocabulary.scores.size()) + " scores and " +
        std::to_string(vocabulary.kinds.size()) + " token types");
  const std::pair<const char *, int32_t> ids[] = {
      {"unknown", vocabulary.unknownId}, {"BOS", vocabulary.bosId},
      {"EOS", vocabulary.eosId},         {"EOT", vocabulary.eotId},
      {"padding", vocabulary.padId},     {"separator", vocabulary.sepId},
      {"CLS", vocabulary.clsId},         {"mask", vocabulary.maskId}};
  for (auto [name, id] : ids)
    if (id != kNoToken && (id < 0 || id >= size))
      return vocabularyError(std::string(name) + " token id " +
                             std::to_string(id) +
                             " is outside the vocabulary of " +
                             std::to_string(size));
  for (int64_t i = 0; i < size; ++i)
    if (!std::isfinite(vocabulary.scores[i]))
      return vocabularyError("score of token " + std::to_string(i) +
                             " is not finite");
  switch (vocabulary.model) {
  case TokenizerModel::SentencePieceBpe:
    if (vocabulary.unknownId == kNoToken)
      return vocabularyError("a SentencePiece vocabulary needs an unknown token");
    break;
  case TokenizerModel::ByteLevelBpe:
    if (!isKnownPreTokenizer(vocabulary.preTokenizer))
      return vocabularyError("unknown pre-tokenizer '" + vocabulary.preTokenizer +
                             "' (tfm knows " + listPreTokenizers() + ")");
    return checkMerges(vocabulary);
  case TokenizerModel::WordPiece:
  case TokenizerModel::Unigram:
    if (vocabulary.unknownId == kNoToken)
      return vocabularyError(std::string("a ") +
                             tokenizerModelName(vocabulary.model) +
                             " vocabulary needs an unknown token");
    break;
  }
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

TokenizerAlgorithm::~TokenizerAlgorithm() = default;

Tokenizer::Tokenizer(Vocabulary vocabulary)
    : vocab(std::make_shared<const Vocabulary>(std::move(vocabulary))) {
  switch (vocab->model) {
  case TokenizerModel::SentencePieceBpe:
    algorithm = createSentencePieceBpe(*vocab);
    break;
  case TokenizerModel::ByteLevelBpe:
    algorithm = createByteLevelBpe(*vocab);
    break;
  case TokenizerModel::WordPiece:
    algorithm = createWordPiece(*vocab);
    break;
  case TokenizerModel::Unigram:
    algorithm = createUnigram(*vocab);
    break;
  }
  for (size_t id = 0; id < vocab->size(); ++id) {
    TokenKind kind = vocab->kinds[id];
    if ((kind == TokenKind::Control || kind == TokenKind::Unknown ||
         kind == TokenKind::UserDefined) &&
        !vocab->pieces[id].empty())
      specials.push_back({vocab->pieces[id], int32_t(id),
                          kind != TokenKind::UserDefined});
  }
  std::sort(specials.begin(), specials.end(),
            [](const SpecialToken &a, const SpecialToken &b) {
              if (a.text.size() != b.text.size())
                return a.text.size() > b.text.size();
              return a.id < b.id;
            });
}

std::vector<Tokenizer::Fragment>
Tokenizer::partition(std::string_view text, bool parseSpecial) const {
  // Longest special tokens first, each splitting every stretch of text
  // that is left (llama.cpp's order).
  std::vector<Fragment> fragments{{text, kNoToken}}, next;
  for (const SpecialToken &special : specials) {
    if (special.control && !parseSpecial)
      continue;
    next.clear();
    bool found = false;
    for (const Fragment &fragment : fragments) {
      if (fragment.special != kNoToken) {
        next.push_back(fragment);
        continue;
      }
      std::string_view rest = fragment.text;
      for (size_t at; (at = rest.find(special.text)) != std::string_view::npos;) {
        found = true;
        if (at > 0)
          next.push_back({rest.substr(0, at), kNoToken});
        next.push_back({special.text, special.id});
        rest.remove_prefix(at + special.text.size());
      }
      if (!rest.empty())
        next.push_back({rest, kNoToken});
    }
    if (found)
      fragments.swap(next);
  }
  return fragments;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addSpecial,
                                       bool parseSpecial) const {
  std::vector<int32_t> ids;
  if (addSpecial && vocab->addBos && vocab->bosId != kNoToken)
    ids.push_back(vocab->bosId);
  if (!text.empty()) {
    bool afterSpecial = true;
    for (const Fragment &fragment : partition(text, parseSpecial)) {
      if (fragment.special != kNoToken) {
        ids.push_back(fragment.special);
        afterSpecial = true;
        continue;
      }
      algorithm->encode(fragment.text, afterSpecial, ids);
      afterSpecial = false;
    }
  }
  if (addSpecial && vocab->addSep && vocab->sepId != kNoToken)
    ids.push_back(vocab->sepId);
  if (addSpecial && vocab->addEos && vocab->eosId != kNoToken)
    ids.push_back(vocab->eosId);
  return ids;
}

std::string Tokenizer::decode(int32_t previous, int32_t token) const {
  if (token < 0 || token >= int32_t(vocab->size()))
    return "";
  const std::string &piece = vocab->pieces[token];
  switch (vocab->kinds[token]) {
  case TokenKind::Control:
  case TokenKind::Unused:
    return "";
  case TokenKind::Unknown:
  case TokenKind::UserDefined:
    return piece;
  case TokenKind::Byte:
  case TokenKind::Normal:
    break;
  }
  std::string bytes = algorithm->decode(token);
  if (vocab->model == TokenizerModel::SentencePieceBpe &&
      previous == vocab->bosId && vocab->addSpacePrefix && !bytes.empty() &&
      bytes[0] == ' ')
    bytes.erase(0, 1);
  return bytes;
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
