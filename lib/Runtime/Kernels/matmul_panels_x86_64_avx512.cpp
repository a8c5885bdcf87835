//===- matmul_panels_x86_64_avx512.cpp - f32 8 x 3 panel tiles, AVX-512 ---===//
//
// The prefill register tile of tfm_matmul_panels on AVX-512 (8 token rows x
// 3 panels of 16 outputs: 24 accumulators, each broadcast input serving 3
// weight vectors), written by hand for one thing the Halide kernel of the
// same tile cannot do: prefetch the weights its thread reads next.
//
// Why: a prefill thread step passes over its 3 panels once per group of 8
// token rows. The first pass asks for ~16 bytes of weights per cycle, more
// than one core gets from memory, so it ran at about a third of the speed
// of the others: the Halide kernel does 85-90 GMAC/s on weights in the
// caches and 71-74 on weights from memory (tfm-kernel-bench
// matmul_panels/.../1). Here, while the passes over one step's panels run,
// the next 3 panels are prefetched into L2 one line every few reduction
// steps, ~3 GB/s spread over the whole step, and their first pass finds
// them there. Bursts of prefetches between calls stall on the line-fill
// buffers, and Halide 14's prefetch directive emits non-temporal
// prefetches: both measured slower (docs/performance.md).
//
// Per output element the sum is the Halide kernel's: the initial value,
// then the products in feature order, one FMA each.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "SpreadPrefetch.h"

#include <immintrin.h>

namespace tfm::kernels {
namespace {

constexpr int64_t kRows = 8;
constexpr int64_t kPanels = 3;
constexpr int64_t kLanes = 16;
/// Features per prefetch: 16 groups of rows (a 128-token prefill) issue
/// 4/3 as many prefetches as the next 3 panels have lines.
constexpr int64_t kPrefetchSpacing = 4;

/// acc += the products of feature k: three weight vectors, eight broadcasts.
inline void multiplyAdd(__m512 (&acc)[kRows][kPanels], const float *x,
                        const float *w0, const float *w1, const float *w2,
                        int64_t k) {
  __m512 a = _mm512_loadu_ps(w0 + k * kLanes);
  __m512 b = _mm512_loadu_ps(w1 + k * kLanes);
  __m512 c = _mm512_loadu_ps(w2 + k * kLanes);
  for (int64_t r = 0; r < kRows; ++r) {
    __m512 v = _mm512_set1_ps(x[k * kRows + r]);
    acc[r][0] = _mm512_fmadd_ps(v, a, acc[r][0]);
    acc[r][1] = _mm512_fmadd_ps(v, b, acc[r][1]);
    acc[r][2] = _mm512_fmadd_ps(v, c, acc[r][2]);
  }
}

/// One 8 x 3 tile: rows of group `group` times panels `w` (3 panels of
/// `features` x 16 floats, one after another), accumulated onto `out`.
/// One prefetch every kPrefetchSpacing features.
void tile(const PanelTilesArgs &args, int64_t group, const float *w,
          float *out, SpreadPrefetch &prefetch) {
  const int64_t features = args.inFeatures;
  const float *x = args.packed + group * features * kRows;
  const float *w0 = w, *w1 = w + features * kLanes,
              *w2 = w + 2 * features * kLanes;
  __m512 acc[kRows][kPanels];
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t b = 0; b < kPanels; ++b)
      acc[r][b] = _mm512_loadu_ps(out + r * args.outStride + b * kLanes);
  int64_t k = 0;
  for (; k + kPrefetchSpacing <= features; k += kPrefetchSpacing) {
    prefetch.next();
    for (int64_t i = 0; i < kPrefetchSpacing; ++i)
      multiplyAdd(acc, x, w0, w1, w2, k + i);
  }
  for (; k < features; ++k)
    multiplyAdd(acc, x, w0, w1, w2, k);
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t b = 0; b < kPanels; ++b)
      _mm512_storeu_ps(out + r * args.outStride + b * kLanes, acc[r][b]);
}

} // namespace

void matmulPanelTilesAvx512(const PanelTilesArgs &args) {
  const int64_t tripleFloats = kPanels * args.inFeatures * kLanes;
  for (int64_t t = 0; t < args.triples; ++t) {
    const float *w = args.panels + t * tripleFloats;
    const float *upcoming = t + 1 < args.triples ? w + tripleFloats : args.next;
    SpreadPrefetch prefetch(upcoming, tripleFloats * sizeof(float));
    for (int64_t g = 0; g < args.groups; ++g)
      tile(args, g, w,
           args.out + g * kRows * args.outStride + t * kPanels * kLanes,
           prefetch);
  }
}

} // namespace tfm::kernels
