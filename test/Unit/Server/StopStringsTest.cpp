//===- StopStringsTest.cpp - text cut at the first stop string ------------===//

#include "tfm/Server/StopStrings.h"

#include <gtest/gtest.h>

using mlir::tfm::server::StopMatcher;

namespace {

/// Everything the matcher shows for `pieces`, then what finish() adds.
std::string shownText(StopMatcher &matcher,
                      const std::vector<std::string> &pieces) {
  std::string shown;
  for (const std::string &piece : pieces)
    shown += matcher.push(piece);
  return shown + matcher.finish();
}

TEST(StopMatcher, CutsBeforeTheStopStringAcrossPieces) {
  StopMatcher matcher({"\n\n", "END"});
  EXPECT_EQ(shownText(matcher, {"Hello E", "N", "D and more"}), "Hello ");
  EXPECT_TRUE(matcher.stopped());
}

TEST(StopMatcher, HoldsBackOnlyWhatCouldStillMatch) {
  StopMatcher matcher({"STOP"});
  EXPECT_EQ(matcher.push("abc ST"), "abc ");
  // "STx" can no longer become "STOP": all of it shows.
  EXPECT_EQ(matcher.push("x"), "STx");
  EXPECT_FALSE(matcher.stopped());
}

TEST(StopMatcher, FinishReleasesAPartialMatch) {
  StopMatcher matcher({"STOP"});
  EXPECT_EQ(shownText(matcher, {"the end ST"}), "the end ST");
  EXPECT_FALSE(matcher.stopped());
}

TEST(StopMatcher, EarliestStopStringWins) {
  StopMatcher matcher({"world", "lo"});
  EXPECT_EQ(shownText(matcher, {"hello world"}), "hel");
}

TEST(StopMatcher, NothingShowsAfterAStop) {
  StopMatcher matcher({"x"});
  EXPECT_EQ(matcher.push("axb"), "a");
  EXPECT_EQ(matcher.push("more"), "");
  EXPECT_EQ(matcher.finish(), "");
}

TEST(StopMatcher, WithoutStopStringsEverythingShowsAtOnce) {
  StopMatcher matcher({"", ""});
  EXPECT_EQ(matcher.push("abc"), "abc");
  EXPECT_EQ(matcher.finish(), "");
}

} // namespace
