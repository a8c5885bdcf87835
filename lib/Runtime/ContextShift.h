//===- ContextShift.h - move cached tokens to new positions --*- C++ -*-===//
//
// llama.cpp's context shift: tokens [keep, keep + discard) leave the cache,
// the later ones move back by `discard` rows, and their keys, rotated by
// RoPE at their old positions, are rotated on by -discard positions, so the
// cache reads as if they had been appended there. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_CONTEXTSHIFT_H
#define TFM_LIB_RUNTIME_CONTEXTSHIFT_H

#include <cstdint>
#include <vector>

namespace tfm::runtime {

/// The compiled KV cache `[layers, 2 (K, V), kvHeads, length, row]`.
struct KVCacheLayout {
  int64_t layers = 0;
  int64_t kvHeads = 0;
  int64_t length = 0;
  int64_t headDim = 0;
  /// Bytes of one element: 4 (f32), 2 (f16) or 1 (q8, whose rows end in
  /// their 4-byte f32 scale).
  int64_t elementBytes = 4;
  /// 2-byte elements are bfloat16 (the top half of an f32), not f16.
  bool bfloat16 = false;
  /// The model layer of each cache layer, whose RoPE frequencies its keys
  /// have (empty: layer i is model layer i). A model whose sliding layers
  /// keep a ring has two caches, each with some of the layers.
  std::vector<int64_t> modelLayers;
  /// Rows of a ring cache (0: not a ring; see shiftRingKVCache).
  int64_t ringRows = 0;

  int64_t modelLayer(int64_t layer) const {
    return modelLayers.empty() ? layer : modelLayers[static_cast<std::size_t>(layer)];
  }

  int64_t rowBytes() const {
    return headDim * elementBytes + (elementBytes == 1 ? 4 : 0);
  }
};

/// How the keys were rotated (the library's `tfm_rope_info`).
struct RopeLayout {
  /// Rotated features of each head; 0 without RoPE (nothing to rotate).
  int64_t rotaryDim = 0;
  /// Pairs (2j, 2j + 1) when true, (j, j + rotaryDim / 2) otherwise.
  bool interleaved = true;
  /// rotaryDim / 2 frequencies per layer, layer-major.
  const double *frequencies = nullptr;
};

/// Shifts the first `end` tokens of `cache` as the file comment says;
/// requires 0 <= keep, 0 < discard, keep + discard <= end <= length.
void shiftKVCache(uint8_t *cache, const KVCacheLayout &layout,
                  const RopeLayout &rope, int64_t keep, int64_t discard,
                  int64_t end);

/// The same shift of a ring cache (`layout.ringRows` rows a layer, position
/// p in row p mod ringRows) holding the last positions of the first `end`:
/// afterwards each position q of the last ringRows before end - discard is
/// in its row, with the keys of position q + discard (q >= keep) rotated
/// on, or of position q (q < keep) where the ring still held it.
void shiftRingKVCache(uint8_t *ring, const KVCacheLayout &layout,
                      const RopeLayout &rope, int64_t keep, int64_t discard,
                      int64_t end);

} // namespace tfm::runtime

#endif // TFM_LIB_RUNTIME_CONTEXTSHIFT_H
