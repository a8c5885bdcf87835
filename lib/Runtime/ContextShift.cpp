//===- ContextShift.cpp - move a KV cache's tokens to new positions -------===//
//
// RoPE rotates feature pair j of a key at position p by the angle p * f_j;
// rotations compose, so a key moved from p to p - d needs one more rotation
// by -d * f_j, the same for every moved row of a layer. f16, bf16 and q8
// rows are widened to f32, rotated and stored again (q8 with a fresh scale,
// as the compiled append quantizes them).
//
//===----------------------------------------------------------------------===//

#include "ContextShift.h"
#include "Kernels/QuantBlocks.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

/// f16 <-> f32 of `n` elements: the runtime is built for baseline x86-64,
/// where _Float16 converts in software (a llama-110m f16 shift of 1024
/// tokens took 151 ms that way); F16C does 8 at a time where the CPU has it.
void halvesToFloats(const uint8_t *in, float *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    _Float16 h;
    std::memcpy(&h, in + 2 * i, 2);
    out[i] = float(h);
  }
}

void floatsToHalves(const float *in, uint8_t *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    _Float16 h = _Float16(in[i]);
    std::memcpy(out + 2 * i, &h, 2);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx,f16c"))) void
halvesToFloatsF16c(const uint8_t *in, float *out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(
                                  reinterpret_cast<const __m128i *>(in + 2 * i))));
  halvesToFloats(in + 2 * i, out + i, n - i);
}

__attribute__((target("avx,f16c"))) void
floatsToHalvesF16c(const float *in, uint8_t *out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + 2 * i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i),
                                     _MM_FROUND_TO_NEAREST_INT));
  floatsToHalves(in + i, out + 2 * i, n - i);
}

/// F16C, unless TFM_KERNEL_ISA=generic asks for the portable code (as the
/// kernels do; tests run both).
bool hasF16c() {
  static const bool has = [] {
    const char *isa = std::getenv("TFM_KERNEL_ISA");
    if (isa && std::strcmp(isa, "generic") == 0)
      return false;
    return bool(__builtin_cpu_supports("f16c"));
  }();
  return has;
}
#endif

void loadHalves(const uint8_t *in, float *out, int64_t n) {
#if defined(__x86_64__)
  if (hasF16c())
    return halvesToFloatsF16c(in, out, n);
#endif
  halvesToFloats(in, out, n);
}

void storeHalves(const float *in, uint8_t *out, int64_t n) {
#if defined(__x86_64__)
  if (hasF16c())
    return floatsToHalvesF16c(in, out, n);
#endif
  floatsToHalves(in, out, n);
}

/// bfloat16 rows, converted as the attention kernels read them and the
/// compiled append writes them (Kernels/QuantBlocks.h).
void loadBFloat16s(const uint8_t *in, float *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, in + 2 * i, 2);
    out[i] = tfm::kernels::bf16ToFloat(bits);
  }
}

void storeBFloat16s(const float *in, uint8_t *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits = tfm::kernels::floatToBf16(in[i]);
    std::memcpy(out + 2 * i, &bits, 2);
  }
}

/// Round half to even of |v| < 2^22 without a libm call (baseline x86-64
/// has no roundss): adding 1.5 * 2^23 leaves no fraction bits.
float roundHalfEven(float v) {
  constexpr float kShift = 12582912.0f;
  return (v + kShift) - kShift;
}

/// Row `row` (of `layout`'s type) as floats, and back.
void loadRow(const uint8_t *row, const KVCacheLayout &layout, float *x) {
  int64_t n = layout.headDim;
  if (layout.elementBytes == 4) {
    std::memcpy(x, row, size_t(n) * 4);
  } else if (layout.elementBytes == 2 && layout.bfloat16) {
    loadBFloat16s(row, x, n);
  } else if (layout.elementBytes == 2) {
    loadHalves(row, x, n);
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
  } else if (layout.elementBytes == 2 && layout.bfloat16) {
    storeBFloat16s(x, row, n);
  } else if (layout.elementBytes == 2) {
    storeHalves(x, row, n);
  } else {
    // As the compiled append: scale = max |x| / 127, q = round-even(x /
    // scale); a row of zeros keeps scale 0.
    float largest = 0.0f;
    for (int64_t i = 0; i < n; ++i)
      largest = std::max(largest, std::fabs(x[i]));
    float scale = largest / 127.0f;
    for (int64_t i = 0; i < n; ++i)
      row[i] =
          uint8_t(int8_t(scale > 0.0f ? roundHalfEven(x[i] / scale) : 0.0f));
    std::memcpy(row + n, &scale, 4);
  }
}

/// Calls `shiftHead(rows, rotate)` for the rows of every head of the keys
/// and of the values of each layer of `cache` (`rowsPerHead` rows a head);
/// `rotate(row)` turns a moved key row on by -discard positions (values:
/// nothing to do; no RoPE: nothing either).
template <typename ShiftHead>
void forEachHead(uint8_t *cache, const KVCacheLayout &layout,
                 const RopeLayout &rope, int64_t discard, int64_t rowsPerHead,
                 ShiftHead shiftHead) {
  int64_t headBytes = rowsPerHead * layout.rowBytes();
  std::vector<float> row(size_t(layout.headDim));
  for (int64_t layer = 0; layer < layout.layers; ++layer) {
    PairRotation rotation;
    if (rope.rotaryDim > 0)
      rotation = rotationOf(rope, layout.modelLayer(layer), -discard);
    for (int64_t part = 0; part < 2; ++part) {
      bool rotates = part == 0 && rope.rotaryDim > 0;
      auto rotate = [&](uint8_t *stored) {
        if (!rotates)
          return;
        loadRow(stored, layout, row.data());
        rotateRow(row.data(), rope, rotation);
        storeRow(row.data(), layout, stored);
      };
      for (int64_t head = 0; head < layout.kvHeads; ++head)
        shiftHead(cache + ((layer * 2 + part) * layout.kvHeads + head) *
                              headBytes,
                  rotate);
    }
  }
}

} // namespace

void tfm::runtime::shiftKVCache(uint8_t *cache, const KVCacheLayout &layout,
                                const RopeLayout &rope, int64_t keep,
                                int64_t discard, int64_t end) {
  int64_t rowBytes = layout.rowBytes();
  int64_t moved = end - keep - discard;
  forEachHead(cache, layout, rope, discard, layout.length,
              [&](uint8_t *rows, auto &rotate) {
                std::memmove(rows + keep * rowBytes,
                             rows + (keep + discard) * rowBytes,
                             size_t(moved * rowBytes));
                for (int64_t t = keep; t < keep + moved; ++t)
                  rotate(rows + t * rowBytes);
              });
}

void tfm::runtime::shiftRingKVCache(uint8_t *ring, const KVCacheLayout &layout,
                                    const RopeLayout &rope, int64_t keep,
                                    int64_t discard, int64_t end) {
  int64_t rows = layout.ringRows;
  int64_t rowBytes = layout.rowBytes();
  int64_t newEnd = end - discard;
  int64_t oldest = std::max<int64_t>(0, end - rows);
  // The rows of one head before the shift: the ring is rewritten in place.
  std::vector<uint8_t> before(static_cast<size_t>(rows * rowBytes));
  forEachHead(ring, layout, rope, discard, rows,
              [&](uint8_t *head, auto &rotate) {
                std::memcpy(before.data(), head, before.size());
                for (int64_t q = std::max<int64_t>(0, newEnd - rows);
                     q < newEnd; ++q) {
                  int64_t from = q < keep ? q : q + discard;
                  if (from < oldest)
                    continue; // overwritten before the shift: no query sees it
                  uint8_t *to = head + (q % rows) * rowBytes;
                  std::memcpy(to, before.data() + (from % rows) * rowBytes,
                              size_t(rowBytes));
                  if (from != q)
                    rotate(to);
                }
              });
}
