//===- TokenizerTest.cpp - encoding and decoding on small vocabularies ----===//

#include "tfm/Import/TokenizerFile.h"

#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace mlir::tfm;

namespace {

/// <unk> <s> </s>, optionally the 256 byte tokens, then `pieces`.
Vocabulary makeVocabulary(std::vector<std::pair<std::string, float>> pieces,
                          bool byteTokens = true) {
  Vocabulary vocab;
  auto add = [&](std::string piece, float score, TokenKind kind) {
    vocab.pieces.push_back(std::move(piece));
    vocab.scores.push_back(score);
    vocab.kinds.push_back(kind);
  };
  add("<unk>", 0, TokenKind::Unknown);
  add("<s>", 0, TokenKind::Control);
  add("</s>", 0, TokenKind::Control);
  if (byteTokens)
    for (int byte = 0; byte < 256; ++byte)
      add(llvm::formatv("<0x{0:X-2}>", byte).str(), 0, TokenKind::Byte);
  for (auto &[piece, score] : pieces)
    add(piece, score, TokenKind::Normal);
  return vocab;
}

int32_t idOf(const Tokenizer &tokenizer, llvm::StringRef piece) {
  const std::vector<std::string> &pieces = tokenizer.vocabulary().pieces;
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i] == piece)
      return int32_t(i);
  return -1;
}

TEST(TokenizerTest, MergesBestScoringPairsWithLeadingSpace) {
  Tokenizer tokenizer(makeVocabulary(
      {{" ", -5}, {"a", -5}, {"b", -5}, {" a", -1}, {" ab", -0.5}}));
  std::vector<int32_t> ids = tokenizer.encode("ab", /*addBos=*/true);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, idOf(tokenizer, " ab")}));
  EXPECT_EQ(tokenizer.decode(ids), "ab"); // the added space is dropped
}

TEST(TokenizerTest, TiesMergeLeftmostFirst) {
  Tokenizer tokenizer(makeVocabulary({{"a", -5}, {" ", -5}, {"aa", -1}}));
  std::vector<int32_t> ids = tokenizer.encode("aaa", /*addBos=*/false);
  int32_t space = idOf(tokenizer, " ");
  int32_t aa = idOf(tokenizer, "aa");
  int32_t a = idOf(tokenizer, "a");
  EXPECT_EQ(ids, (std::vector<int32_t>{space, aa, a}));
}

TEST(TokenizerTest, UnknownCharactersFallBackToBytes) {
  Tokenizer tokenizer(makeVocabulary({{" ", -1}, {"x", -1}}));
  std::vector<int32_t> ids = tokenizer.encode("x\xC3\xA9", false); // "xé"
  EXPECT_EQ(ids, (std::vector<int32_t>{idOf(tokenizer, " "),
                                       idOf(tokenizer, "x"), 3 + 0xC3,
                                       3 + 0xA9}));
  EXPECT_EQ(tokenizer.decode(ids), " x\xC3\xA9");
}

TEST(TokenizerTest, WithoutByteTokensUnknownIsUsed) {
  Tokenizer tokenizer(makeVocabulary({{" ", -1}}, /*byteTokens=*/false));
  EXPECT_EQ(tokenizer.encode("z", false), (std::vector<int32_t>{3, 0}));
}

TEST(TokenizerTest, ControlPiecesAreNeverProducedByMerges) {
  Tokenizer tokenizer(makeVocabulary({{"<", -1}, {"s", -1}, {">", -1},
                                      {"<s", -1}, {" ", -1}}));
  std::vector<int32_t> ids = tokenizer.encode("<s>", false);
  EXPECT_EQ(ids.size(), 3u); // " ", "<s", ">" -- never <s> (id 1)
  for (int32_t id : ids)
    EXPECT_NE(id, 1);
}

TEST(TokenizerTest, EmptyTextIsJustBos) {
  Tokenizer tokenizer(makeVocabulary({}));
  EXPECT_EQ(tokenizer.encode("", true), (std::vector<int32_t>{1}));
  EXPECT_EQ(tokenizer.encode("", false), (std::vector<int32_t>{}));
}

TEST(TokenizerTest, Llama2cTokenizerFile) {
  // max_token_length 2; tokens "<unk>"-less toy file: scores and lengths.
  std::vector<uint8_t> bytes;
  auto put = [&](auto value) {
    const uint8_t *raw = reinterpret_cast<const uint8_t *>(&value);
    bytes.insert(bytes.end(), raw, raw + sizeof(value));
  };
  put(int32_t(2));
  for (const char *piece : {"u", "s", "e", " a"}) {
    put(float(-1));
    put(int32_t(std::strlen(piece)));
    bytes.insert(bytes.end(), piece, piece + std::strlen(piece));
  }
  llvm::Expected<Vocabulary> vocab = parseLlama2cTokenizer("t.bin", bytes);
  ASSERT_TRUE(bool(vocab)) << llvm::toString(vocab.takeError());
  EXPECT_EQ(vocab->size(), 4u);
  EXPECT_EQ(vocab->pieces[3], " a");
  EXPECT_EQ(vocab->kinds[1], TokenKind::Control);

  llvm::Expected<Vocabulary> tooMany = parseLlama2cTokenizer("t.bin", bytes, 3);
  ASSERT_FALSE(bool(tooMany));
  EXPECT_EQ(llvm::toString(tooMany.takeError()),
            "t.bin: offset 31: 10 bytes after token 2: the tokenizer has more "
            "tokens than the model's vocabulary of 3");

  bytes[4 + 4] = 9; // token 0 length 9 > max_token_length
  llvm::Expected<Vocabulary> badLength = parseLlama2cTokenizer("t.bin", bytes);
  ASSERT_FALSE(bool(badLength));
  EXPECT_EQ(llvm::toString(badLength.takeError()),
            "t.bin: offset 8: token 0 length 9 is not in "
            "0..max_token_length (2)");
}

} // namespace
