//===- Utf8StreamTest.cpp - whole characters from byte tokens -------------===//

#include "tfm/Driver/Utf8Stream.h"

#include "gtest/gtest.h"

using namespace mlir::tfm;

namespace {

TEST(Utf8StreamTest, AsciiPassesThrough) {
  Utf8Stream stream;
  EXPECT_EQ(stream.push("Once"), "Once");
  EXPECT_EQ(stream.finish(), "");
}

TEST(Utf8StreamTest, ByteTokensJoinIntoOneCharacter) {
  Utf8Stream stream; // "é" = C3 A9, "€" = E2 82 AC
  EXPECT_EQ(stream.push("caf\xC3"), "caf");
  EXPECT_EQ(stream.push("\xA9"), "\xC3\xA9");
  EXPECT_EQ(stream.push("\xE2"), "");
  EXPECT_EQ(stream.push("\x82"), "");
  EXPECT_EQ(stream.push("\xAC!"), "\xE2\x82\xAC!");
}

TEST(Utf8StreamTest, InvalidBytesBecomeReplacementCharacters) {
  Utf8Stream stream;
  EXPECT_EQ(stream.push("a\x80" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(stream.push("\xC3" "x"), "\xEF\xBF\xBD" "x"); // cut short
  EXPECT_EQ(stream.push("\xE0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong
}

TEST(Utf8StreamTest, AnIncompleteCharacterAtTheEndIsReplaced) {
  Utf8Stream stream;
  EXPECT_EQ(stream.push("\xF0\x9F\x98"), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.finish(), "");
}

} // namespace
