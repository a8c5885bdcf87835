//===- RelativePosition.h - T5's relative position buckets ------*- C++ -*-===//
//
// T5 adds to each attention score a learned bias per head and bucket of the
// key's distance from the query. The compiler (the lowering of
// tfm.relative_position_bias) and lib/Reference share this one definition.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_RELATIVEPOSITION_H
#define TFM_MODEL_RELATIVEPOSITION_H

#include <cstdint>

namespace mlir::tfm {

/// T5's longest distance with buckets of its own (Hugging Face's
/// `relative_attention_max_distance`, llama.cpp's fixed value).
inline constexpr int64_t kT5MaxDistance = 128;

/// The bucket of a key `relative` positions after its query (negative:
/// before) among `buckets`: Hugging Face's `_relative_position_bucket`, in
/// the float and double arithmetic of llama.cpp's
/// `llama_relative_position_bucket`, so a distance on a bucket boundary
/// (16 of 32 bidirectional buckets: log(2) / log(16) * 8 = 2) lands where
/// llama.cpp puts it. Distances of `maxDistance` or more share the last
/// bucket of their direction.
int64_t relativePositionBucket(int64_t relative, int64_t buckets,
                               bool bidirectional,
                               int64_t maxDistance = kT5MaxDistance);

} // namespace mlir::tfm

#endif // TFM_MODEL_RELATIVEPOSITION_H
