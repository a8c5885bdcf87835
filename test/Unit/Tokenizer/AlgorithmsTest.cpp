//===- AlgorithmsTest.cpp - byte-level BPE, WordPiece, unigram, specials --===//
//
// Small vocabularies whose right answers can be worked out by hand; the
// real vocabularies are test/Tokenizer/llama-cpp-cases.test.
//
//===----------------------------------------------------------------------===//

#include "tfm/Tokenizer/Tokenizer.h"

#include "../../../lib/Tokenizer/PreTokenizer.h"
#include "../../../lib/Tokenizer/Unicode.h"

#include <gtest/gtest.h>

using namespace mlir::tfm;

namespace {

Vocabulary vocabularyOf(TokenizerModel model,
                        std::vector<std::pair<std::string, TokenKind>> tokens,
                        std::vector<float> scores = {}) {
  Vocabulary vocab;
  vocab.model = model;
  setDefaultSpecialTokens(vocab);
  for (auto &[piece, kind] : tokens) {
    vocab.pieces.push_back(piece);
    vocab.kinds.push_back(kind);
    vocab.scores.push_back(scores.empty() ? 0.0f : scores[vocab.scores.size()]);
  }
  vocab.unknownId = 0;
  vocab.bosId = vocab.eosId = kNoToken;
  return vocab;
}

constexpr TokenKind N = TokenKind::Normal;

/// A byte-level vocabulary over "lowest" with GPT-2's space character Ġ.
Vocabulary byteLevel() {
  Vocabulary vocab = vocabularyOf(
      TokenizerModel::ByteLevelBpe,
      {{"<|endoftext|>", TokenKind::Control},
       {"l", N}, {"o", N}, {"w", N}, {"e", N}, {"s", N}, {"t", N},
       {"\xC4\xA0", N}, // Ġ, the space byte
       {"lo", N}, {"low", N}, {"es", N}, {"est", N}, {"\xC4\xA0l", N},
       {"\xC4\xA0low", N}, {"<user>", TokenKind::UserDefined}});
  vocab.preTokenizer = "gpt-2";
  vocab.merges = {"l o", "lo w", "e s", "es t", "\xC4\xA0 l",
                  "\xC4\xA0l ow" /* never applies: "ow" is no token */};
  vocab.merges.back() = "\xC4\xA0l o";
  return vocab;
}

int32_t id(const Tokenizer &tokenizer, std::string_view piece) {
  const std::vector<std::string> &pieces = tokenizer.vocabulary().pieces;
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i] == piece)
      return int32_t(i);
  return kNoToken;
}

TEST(AlgorithmsTest, ByteLevelBpeMergesByRank) {
  Vocabulary vocab = byteLevel();
  vocab.merges.pop_back(); // "Ġl o" would make "Ġlo", no token
  ASSERT_FALSE(checkVocabulary(vocab));
  Tokenizer tokenizer(vocab);
  // "lowest": l o -> lo (rank 0), lo w -> low (1), e s -> es, es t -> est.
  EXPECT_EQ(tokenizer.encode("lowest", false),
            (std::vector<int32_t>{id(tokenizer, "low"), id(tokenizer, "est")}));
  // " low": the pre-tokenizer keeps the space with the word; "l o"
  // (rank 0) merges before "Ġ l" (rank 4) could, so: Ġ, low.
  EXPECT_EQ(tokenizer.encode(" low", false),
            (std::vector<int32_t>{id(tokenizer, "\xC4\xA0"), id(tokenizer, "low")}));
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("lowest low", false)),
            "lowest low");
}

TEST(AlgorithmsTest, ByteLevelBpeIgnoreMergesTakesWholeWords) {
  Vocabulary vocab = byteLevel();
  vocab.merges.pop_back();
  vocab.ignoreMerges = true;
  vocab.preTokenizer = "llama-bpe";
  Tokenizer tokenizer(vocab);
  EXPECT_EQ(tokenizer.encode(" low", false),
            (std::vector<int32_t>{id(tokenizer, "\xC4\xA0low")}));
}

TEST(AlgorithmsTest, SpecialTokens) {
  Vocabulary vocab = byteLevel();
  vocab.merges.pop_back();
  Tokenizer tokenizer(vocab);
  int32_t user = id(tokenizer, "<user>"), end = id(tokenizer, "<|endoftext|>");
  // User-defined tokens always split out; control tokens only when asked.
  std::vector<int32_t> plain = tokenizer.encode("low<user><|endoftext|>", false);
  EXPECT_EQ(plain[1], user);
  EXPECT_NE(plain.back(), end);
  std::vector<int32_t> parsed =
      tokenizer.encode("low<user><|endoftext|>", false, /*parseSpecial=*/true);
  EXPECT_EQ(parsed, (std::vector<int32_t>{id(tokenizer, "low"), user, end}));
  // Control tokens decode to nothing, user-defined ones to their text.
  EXPECT_EQ(tokenizer.decode(parsed), "low<user>");
}

TEST(AlgorithmsTest, VocabularyChecksNameTheProblem) {
  Vocabulary vocab = byteLevel();
  vocab.merges.back() = "lo ww";
  std::optional<TokenizerError> error = checkVocabulary(vocab);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "merge 5 'lo ww' names 'ww', which is not a token "
                            "of the vocabulary");
  vocab.merges.back() = "low";
  EXPECT_EQ(checkVocabulary(vocab)->message,
            "merge 5 'low' is not two tokens separated by a space");
  vocab.merges.pop_back();
  vocab.preTokenizer = "gpt-5";
  EXPECT_EQ(checkVocabulary(vocab)->message.substr(0, 42),
            "unknown pre-tokenizer 'gpt-5' (tfm knows d");
  vocab.preTokenizer = "gpt-2";
  vocab.scores.pop_back();
  EXPECT_EQ(checkVocabulary(vocab)->message,
            "vocabulary has 15 pieces but 14 scores and 15 token types");
}

TEST(AlgorithmsTest, InvalidUtf8BecomesReplacementCharacters) {
  Vocabulary vocab = byteLevel();
  vocab.merges.pop_back();
  Tokenizer tokenizer(vocab);
  // The bytes of U+FFFD have no tokens here: nothing for them, no crash.
  EXPECT_EQ(tokenizer.encode("lo\xFF\xC3w", false),
            (std::vector<int32_t>{id(tokenizer, "lo"), id(tokenizer, "w")}));
  EXPECT_EQ(unicode::sanitize("a\xFF" "b\xE2\x82"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  // Overlong forms, surrogates and values past U+10FFFF are invalid too
  // (found by fuzz-encode: PCRE2 is told the text is valid UTF-8).
  for (std::string bad : {"\xC0\x80", "\xED\xA0\x80", "\xF6\x81\x81\x81"}) {
    std::string clean = unicode::sanitize(bad);
    EXPECT_EQ(clean.size(), 3 * bad.size()) << "one U+FFFD per byte";
    EXPECT_EQ(unicode::decode(clean),
              std::vector<uint32_t>(bad.size(), unicode::kReplacementCharacter));
  }
}

TEST(AlgorithmsTest, EveryPreTokenizerCompiles) {
  std::string names = listPreTokenizers();
  for (size_t begin = 0; begin < names.size();) {
    size_t end = names.find(", ", begin);
    std::string name = names.substr(begin, end - begin);
    std::unique_ptr<PreTokenizer> pre = PreTokenizer::create(name);
    ASSERT_TRUE(pre) << name;
    std::vector<std::string_view> words;
    pre->split("Hello, y'all! 123 4567 \xE6\x88\x91\xE6\x83\xB3 ok  \n", words);
    std::string joined;
    for (std::string_view word : words)
      joined += word;
    EXPECT_EQ(joined, "Hello, y'all! 123 4567 \xE6\x88\x91\xE6\x83\xB3 ok  \n")
        << name << ": the words cover the text";
    begin = end == std::string::npos ? names.size() : end + 2;
  }
  EXPECT_FALSE(PreTokenizer::create("no-such-pre"));
}

TEST(AlgorithmsTest, Gpt2SplitsAsGpt2Does) {
  std::unique_ptr<PreTokenizer> pre = PreTokenizer::create("gpt-2");
  std::vector<std::string_view> words;
  pre->split("Hello world's  42!", words);
  EXPECT_EQ(words, (std::vector<std::string_view>{"Hello", " world", "'s", " ",
                                                  " 42", "!"}));
}

TEST(AlgorithmsTest, WordPieceLowercasesStripsAccentsAndSplits) {
  Vocabulary vocab = vocabularyOf(
      TokenizerModel::WordPiece,
      {{"[UNK]", TokenKind::Unknown}, {"\xE2\x96\x81" "cafe", N},
       {"\xE2\x96\x81" "un", N}, {"able", N}, {"\xE2\x96\x81" "!", N},
       {"\xE2\x96\x81" "\xE4\xB8\xAD", N}});
  vocab.addBos = vocab.addSep = false;
  Tokenizer tokenizer(vocab);
  // "Café" -> "cafe"; "UNable" -> un + able; "!" and 中 are words of their
  // own; "xyz" has no pieces: unknown.
  EXPECT_EQ(tokenizer.encode("Caf\xC3\xA9 UNable!\xE4\xB8\xAD xyz", false),
            (std::vector<int32_t>{1, 2, 3, 4, 5, 0}));
  EXPECT_EQ(tokenizer.decode({1, 2, 3}), " cafe unable");
}

TEST(AlgorithmsTest, UnigramFindsTheBestSegmentation) {
  // Viterbi: "▁ab" scores -1 whole, -0.5 + -0.4 + -0.4 as ▁ a b... pick max.
  Vocabulary vocab = vocabularyOf(
      TokenizerModel::Unigram,
      {{"<unk>", TokenKind::Unknown}, {"\xE2\x96\x81", N}, {"a", N}, {"b", N},
       {"\xE2\x96\x81" "ab", N}, {"\xE2\x96\x81" "a", N}, {"<sep>", TokenKind::UserDefined}},
      {0, -0.5f, -0.4f, -0.4f, -1.5f, -0.6f, -100.0f});
  vocab.addEos = false;
  Tokenizer tokenizer(vocab);
  // ▁a (-0.6) + b (-0.4) = -1.0 beats ▁ab (-1.5) and ▁ a b (-1.3).
  EXPECT_EQ(tokenizer.encode("ab", false), (std::vector<int32_t>{5, 3}));
  // An uncovered run is one unknown token; user-defined tokens split out.
  EXPECT_EQ(tokenizer.encode("azz<sep>", false),
            (std::vector<int32_t>{5, 0, 6}));
  EXPECT_EQ(tokenizer.decode({5, 3}), " ab");
}

TEST(AlgorithmsTest, UnicodeTables) {
  EXPECT_TRUE(unicode::is('A', unicode::Letter));
  EXPECT_TRUE(unicode::is(0x4E2D, unicode::Letter)); // 中
  EXPECT_TRUE(unicode::is('7', unicode::Number));
  EXPECT_TRUE(unicode::is(0x0301, unicode::Mark)); // combining acute
  EXPECT_TRUE(unicode::is('!', unicode::Punctuation));
  EXPECT_TRUE(unicode::is('$', unicode::Symbol));
  EXPECT_TRUE(unicode::is(0x3000, unicode::Whitespace));
  EXPECT_TRUE(unicode::is(0x200D, unicode::Control)); // ZWJ, a format char
  EXPECT_EQ(unicode::flagsOf(0x0378), 0);             // unassigned
  EXPECT_EQ(unicode::toLower('Q'), uint32_t('q'));
  EXPECT_EQ(unicode::toLower(0x0416), 0x0436u); // Ж -> ж
  EXPECT_EQ(unicode::decompositionBase(0xE9), uint32_t('e'));
  EXPECT_EQ(unicode::decompositionBase(0xD55C), 0x1112u); // 한 -> ᄒ
}

} // namespace
