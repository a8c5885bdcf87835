//===- SpreadPrefetchTest.cpp - the shares of SpreadPrefetch --------------===//
//
// The passes of a prefill kernel over one group of weights each prefetch a
// share of the next group: together the shares must cover every line of it
// once, in order, and next() must walk a share's lines and then stop.
//
//===----------------------------------------------------------------------===//

#include "SpreadPrefetch.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <vector>

using namespace tfm::kernels;

namespace {

TEST(SpreadPrefetchTest, SharesCoverEveryLineOnce) {
  alignas(64) static uint8_t region[64 * 300];
  for (int64_t bytes : {1, 64, 65, 17408, 19200})
    for (int64_t passes : {1, 2, 3, 8, 16, 32}) {
      const char *expected = reinterpret_cast<const char *>(region);
      for (int64_t pass = 0; pass < passes; ++pass) {
        SpreadPrefetch share(region, bytes, pass, passes);
        EXPECT_EQ(share.first(), expected) << bytes << " bytes, pass " << pass;
        EXPECT_LE(share.first(), share.last());
        expected = share.last();
      }
      int64_t lines = (bytes + 63) / 64;
      EXPECT_EQ(expected, reinterpret_cast<const char *>(region) + 64 * lines)
          << bytes << " bytes in " << passes << " passes";
    }
}

TEST(SpreadPrefetchTest, NextWalksTheShareThenStops) {
  alignas(64) static uint8_t region[64 * 10];
  SpreadPrefetch all(region, sizeof(region));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(all.first(), reinterpret_cast<const char *>(region) + 64 * i);
    all.next();
  }
  EXPECT_EQ(all.first(), all.last());
  all.next();
  EXPECT_EQ(all.first(), all.last());
}

TEST(SpreadPrefetchTest, NullRegionIsNoWork) {
  SpreadPrefetch none(nullptr, 4096, 0, 4);
  EXPECT_EQ(none.first(), none.last());
  none.next();
  EXPECT_EQ(none.first(), none.last());
}

} // namespace
