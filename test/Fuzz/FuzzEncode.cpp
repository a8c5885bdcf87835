//===- FuzzEncode.cpp - libFuzzer target: every algorithm on any bytes ----===//
//
// Encodes arbitrary bytes (invalid UTF-8 included) with each tokenizer
// algorithm, every pre-tokenizer of byte-level BPE, and special-token
// parsing on and off, then decodes the ids. The first byte chooses the
// algorithm and pre-tokenizer, the second whether control tokens are
// parsed. Every id must be in the vocabulary.
//
//===----------------------------------------------------------------------===//

#include "tfm/Tokenizer/Tokenizer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

using namespace mlir::tfm;

namespace {

void add(Vocabulary &vocab, std::string piece, TokenKind kind,
         float score = -1.0f) {
  vocab.pieces.push_back(std::move(piece));
  vocab.kinds.push_back(kind);
  vocab.scores.push_back(score);
}

Vocabulary baseVocabulary(TokenizerModel model) {
  Vocabulary vocab;
  vocab.model = model;
  setDefaultSpecialTokens(vocab);
  vocab.unknownId = 0, vocab.bosId = 1, vocab.eosId = 2;
  vocab.clsId = 1, vocab.sepId = 2;
  vocab.padId = vocab.maskId = vocab.eotId = kNoToken;
  add(vocab, "<unk>", TokenKind::Unknown);
  add(vocab, "<s>", TokenKind::Control);
  add(vocab, "</s>", TokenKind::Control);
  add(vocab, "<user>", TokenKind::UserDefined);
  return vocab;
}

/// GPT-2's byte characters as tokens, and merges among a few of them.
Vocabulary byteLevel(const std::string &pre) {
  Vocabulary vocab = baseVocabulary(TokenizerModel::ByteLevelBpe);
  vocab.preTokenizer = pre;
  for (uint32_t byte = 0, next = 256; byte < 256; ++byte) {
    bool printable = (byte >= '!' && byte <= '~') ||
                     (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    uint32_t c = printable ? byte : next++;
    std::string text;
    if (c < 0x80)
      text += char(c);
    else {
      text += char(0xC0 | (c >> 6));
      text += char(0x80 | (c & 0x3F));
    }
    add(vocab, text, TokenKind::Normal);
  }
  for (const char *merge : {"a b", "ab c", "t h", "th e", "e r"}) {
    std::string text(merge);
    add(vocab, text.substr(0, text.find(' ')) + text.substr(text.find(' ') + 1),
        TokenKind::Normal);
    vocab.merges.push_back(text);
  }
  return vocab;
}

Vocabulary pieces(TokenizerModel model) {
  Vocabulary vocab = baseVocabulary(model);
  if (model == TokenizerModel::SentencePieceBpe)
    for (int byte = 0; byte < 256; ++byte) {
      static const char *hex = "0123456789ABCDEF";
      add(vocab, std::string("<0x") + hex[byte >> 4] + hex[byte & 15] + ">",
          TokenKind::Byte);
    }
  for (const char *piece : {"a", "b", "ab", " a", "\xE2\x96\x81" "a",
                            "\xE2\x96\x81", "##b", "\xC3\xA9", "the"})
    add(vocab, piece, TokenKind::Normal, -float(vocab.size() % 7));
  return vocab;
}

const Tokenizer &tokenizerFor(uint8_t choice) {
  static std::map<int, Tokenizer> cache;
  static std::vector<std::string> pres = [] {
    std::vector<std::string> names;
    std::string list = listPreTokenizers();
    for (size_t begin = 0; begin < list.size();) {
      size_t end = list.find(", ", begin);
      names.push_back(list.substr(begin, end - begin));
      begin = end == std::string::npos ? list.size() : end + 2;
    }
    return names;
  }();
  int key = choice % (3 + pres.size());
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  Vocabulary vocab =
      key == 0   ? pieces(TokenizerModel::SentencePieceBpe)
      : key == 1 ? pieces(TokenizerModel::WordPiece)
      : key == 2 ? pieces(TokenizerModel::Unigram)
                 : byteLevel(pres[key - 3]);
  if (checkVocabulary(vocab))
    std::abort(); // the fuzzer's own vocabularies must be valid
  return cache.emplace(key, Tokenizer(std::move(vocab))).first->second;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  const Tokenizer &tokenizer = tokenizerFor(data[0]);
  std::string_view text(reinterpret_cast<const char *>(data + 2),
                        std::min<size_t>(size - 2, 4096));
  std::vector<int32_t> ids = tokenizer.encode(text, /*addSpecial=*/true,
                                              /*parseSpecial=*/data[1] & 1);
  for (int32_t id : ids)
    if (id < 0 || size_t(id) >= tokenizer.vocabulary().size())
      std::abort();
  std::string decoded = tokenizer.decode(ids);
  return decoded.size() == SIZE_MAX;
}
