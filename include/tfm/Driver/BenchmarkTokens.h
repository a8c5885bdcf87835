//===- BenchmarkTokens.h - token ids for speed measurements -----*- C++ -*-===//
//
// tfm-bench and tfm-lab run prompts of made-up tokens: ids spread over
// the vocabulary, none of the first three (special in every vocabulary
// tfm writes), and no repeating pattern a cache could favour.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DRIVER_BENCHMARKTOKENS_H
#define TFM_DRIVER_BENCHMARKTOKENS_H

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mlir::tfm {

/// `count` ids in [3, vocab) from a linear congruential generator seeded
/// with `seed`.
inline std::vector<int32_t> benchmarkTokens(int64_t count, int32_t vocab,
                                            uint32_t seed = 12345) {
  std::vector<int32_t> tokens(size_t(std::max<int64_t>(count, 0)));
  uint32_t state = seed;
  for (int32_t &token : tokens) {
    state = state * 1664525u + 1013904223u;
    token = 3 + int32_t((state >> 8) % uint32_t(std::max(vocab - 3, 1)));
  }
  return tokens;
}

} // namespace mlir::tfm

#endif // TFM_DRIVER_BENCHMARKTOKENS_H
