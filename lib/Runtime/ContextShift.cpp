//===- ContextShift.cpp - move a KV cache's tokens to new positions -------===//
//
// RoPE rotates feature pair j of a key at position p by the angle p * f_j;
// rotations compose, so a key moved from p to p - d needs one more rotation
// by -d * f_j, the same for every moved row of a layer. f16 and q8 rows are
// widened to f32, rotated and stored again (q8 with a fresh scale, as the
// compiled append quantizes them).
//
//===----------------------------------------------------------------------===//

#include "ContextShift.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace tfm::runtime;

namespace {

/// The rotation of every pair of one layer's moved keys.
struct PairRotation {
  std::vector<float> cos, sin;
};

PairRotation rotationOf(const RopeLayout &rope, int64_t layer, int64_t delta) {
  int64_t pairs = rope.rotaryDim / 2;
  PairRotation rotation;
  rotation.cos.resize(pairs);
  rotation.sin.resize(pairs);
  for (int64_t j = 0; j < pairs; ++j) {
    double angle = double(delta) * rope.frequencies[layer * pairs + j];
    rotation.cos[j] = float(std::cos(angle));
    rotation.sin[j] = float(std::sin(angle));
  }
  return rotation;
}

/// Rotates the pairs of one key row `x` (headDim floats) in place.
void rotateRow(float *x, const RopeLayout &rope, const PairRotation &rotation) {
  int64_t pairs = rope.rotaryDim / 2;
  for (int64_t j = 0; j < pairs; ++j) {
    float &a = rope.interleaved ? x[2 * j] : x[j];
    float &b = rope.interleaved ? x[2 * j + 1] : x[j + pairs];
    float c = rotation.cos[j], s = rotation.sin[j];
    float rotatedA = a * c - b * s;
    float rotatedB = a * s + b * c;
    a = rotatedA;
    b = rotatedB;
  }
}

/// Row `row` (of `layout`'s type) as floats, and back.
void loadRow(const uint8_t *row, const KVCacheLayout &layout, float *x) {
  int64_t n = layout.headDim;
  if (layout.elementBytes == 4) {
    std::memcpy(x, row, size_t(n) * 4);
  } else if (layout.elementBytes == 2) {
    for (int64_t i = 0; i < n; ++i) {
      _Float16 h;
      std::memcpy(&h, row + 2 * i, 2);
      x[i] = float(h);
    }
  } else {
    float scale;
    std::memcpy(&scale, row + n, 4);
    for (int64_t i = 0; i < n; ++i)
      x[i] = scale * float(int8_t(row[i]));
  }
}

void storeRow(const float *x, const KVCacheLayout &layout, uint8_t *row) {
  int64_t n = layout.headDim;
  if (layout.elementBytes == 4) {
    std::memcpy(row, x, size_t(n) * 4);
  } else if (layout.elementBytes == 2) {
    for (int64_t i = 0; i < n; ++i) {
      _Float16 h = _Float16(x[i]);
      std::memcpy(row + 2 * i, &h, 2);
    }
  } else {
    // As the compiled append: scale = max |x| / 127, q = round-even(x /
    // scale); a row of zeros keeps scale 0.
    float largest = 0.0f;
    for (int64_t i = 0; i < n; ++i)
      largest = std::max(largest, std::fabs(x[i]));
    float scale = largest / 127.0f;
    for (int64_t i = 0; i < n; ++i)
      row[i] =
          uint8_t(int8_t(scale > 0.0f ? std::nearbyint(x[i] / scale) : 0.0f));
    std::memcpy(row + n, &scale, 4);
  }
}

} // namespace

void tfm::runtime::shiftKVCache(uint8_t *cache, const KVCacheLayout &layout,
                                const RopeLayout &rope, int64_t keep,
                                int64_t discard, int64_t end) {
  int64_t rowBytes = layout.rowBytes();
  int64_t headBytes = layout.length * rowBytes;
  int64_t moved = end - keep - discard;
  std::vector<float> row(size_t(layout.headDim));
  for (int64_t layer = 0; layer < layout.layers; ++layer) {
    PairRotation rotation;
    if (rope.rotaryDim > 0)
      rotation = rotationOf(rope, layer, -discard);
    for (int64_t part = 0; part < 2; ++part) {
      for (int64_t head = 0; head < layout.kvHeads; ++head) {
        uint8_t *rows =
            cache + ((layer * 2 + part) * layout.kvHeads + head) * headBytes;
        std::memmove(rows + keep * rowBytes, rows + (keep + discard) * rowBytes,
                     size_t(moved * rowBytes));
        if (part != 0 || rope.rotaryDim == 0)
          continue;
        for (int64_t t = keep; t < keep + moved; ++t) {
          loadRow(rows + t * rowBytes, layout, row.data());
          rotateRow(row.data(), rope, rotation);
          storeRow(row.data(), layout, rows + t * rowBytes);
        }
      }
    }
  }
}
