//===- RelativePosition.cpp - T5's relative position buckets --------------===//

#include "tfm/Model/RelativePosition.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

int64_t mlir::tfm::relativePositionBucket(int64_t relative, int64_t buckets,
                                          bool bidirectional,
                                          int64_t maxDistance) {
  if (bidirectional)
    buckets /= 2;
  int64_t maxExact = buckets / 2;
  int64_t bucket = 0;
  if (bidirectional) {
    bucket += relative > 0 ? buckets : 0;
    relative = std::abs(relative);
  } else {
    relative = -std::min<int64_t>(relative, 0);
  }
  if (relative < maxExact)
    return bucket + relative;
  // The types of each step are llama.cpp's: the ratio in double, its
  // logarithm in float, the product in float, the quotient and sum in
  // double, the floor in float.
  float logRatio = logf(float(1.0 * double(relative) / double(maxExact)));
  float spread = logRatio * float(buckets - maxExact);
  double scaled =
      double(maxExact) +
      double(spread) / std::log(1.0 * double(maxDistance) / double(maxExact));
  int64_t large = int64_t(floorf(float(scaled)));
  return bucket + std::min<int64_t>(large, buckets - 1);
}
