//===- RelativePositionTest.cpp - T5's relative position buckets ----------===//

#include "tfm/Model/RelativePosition.h"

#include <gtest/gtest.h>

using namespace mlir::tfm;

namespace {

// The encoder's 32 bidirectional buckets: 16 per direction, keys before
// the query in 0..15, after it in 16..31; 8 exact distances, then
// logarithmic buckets up to 128.
TEST(RelativePositionTest, BidirectionalBuckets) {
  auto bucket = [](int64_t relative) {
    return relativePositionBucket(relative, 32, /*bidirectional=*/true);
  };
  EXPECT_EQ(bucket(0), 0);
  EXPECT_EQ(bucket(-1), 1);
  EXPECT_EQ(bucket(-7), 7);
  EXPECT_EQ(bucket(1), 17);
  EXPECT_EQ(bucket(7), 23);
  // 8 + log(d / 8) / log(16) * 8: 8 at 8, 9 at 12.
  EXPECT_EQ(bucket(-8), 8);
  EXPECT_EQ(bucket(-11), 8);
  EXPECT_EQ(bucket(-12), 9);
  EXPECT_EQ(bucket(12), 25);
  // On the boundary 16 (2 in exact arithmetic) llama.cpp's float steps
  // give 10.
  EXPECT_EQ(bucket(-16), 10);
  EXPECT_EQ(bucket(-15), 9);
  // Beyond max_distance every key shares the last bucket.
  EXPECT_EQ(bucket(-127), 15);
  EXPECT_EQ(bucket(-128), 15);
  EXPECT_EQ(bucket(-5000), 15);
  EXPECT_EQ(bucket(5000), 31);
}

// The decoder's 32 causal buckets: keys after the query (masked anyway)
// are bucket 0; 16 exact distances, then logarithmic ones.
TEST(RelativePositionTest, CausalBuckets) {
  auto bucket = [](int64_t relative) {
    return relativePositionBucket(relative, 32, /*bidirectional=*/false);
  };
  EXPECT_EQ(bucket(3), 0);
  EXPECT_EQ(bucket(0), 0);
  EXPECT_EQ(bucket(-15), 15);
  EXPECT_EQ(bucket(-16), 16);
  // 16 + log(d / 16) / log(8) * 16: 21 at 32.
  EXPECT_EQ(bucket(-32), 21);
  EXPECT_EQ(bucket(-128), 31);
  EXPECT_EQ(bucket(-100000), 31);
}

// Buckets never decrease with the distance, in either direction.
TEST(RelativePositionTest, Monotonic) {
  for (bool bidirectional : {false, true})
    for (int64_t buckets : {4, 8, 32, 64}) {
      int64_t previous = 0;
      for (int64_t distance = 0; distance < 300; ++distance) {
        int64_t current =
            relativePositionBucket(-distance, buckets, bidirectional);
        EXPECT_GE(current, previous);
        EXPECT_LT(current, bidirectional ? buckets / 2 : buckets);
        previous = current;
      }
    }
}

} // namespace
