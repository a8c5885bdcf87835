//===- attention_generic.cpp - fused attention in portable C++ ------------===//
//
// The fallback for CPUs without AVX2 (f16 converted in software) and the
// combination of flash-decoding's partial results, which is the same on
// every ISA: one pass over a few floats per head.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"
#include "Profile.h"

using namespace tfm::kernels;

namespace {
struct Portable {
  static float loadHalf(const uint8_t *p) { return tfm::kernels::loadHalf(p); }
  static constexpr bool kScoresEightKeys = false;
  static constexpr bool kScoresTwoHeads = false;
};
} // namespace

void tfm::kernels::attentionGeneric(const AttentionArgs &args,
                                    const AttentionTask &task) {
  attentionFor<Portable>(args, task);
}

extern "C" void tfm_attention_combine(const float *partials, int64_t splits,
                                      int64_t splitStride, int64_t tokens,
                                      int64_t heads, int64_t headDim,
                                      float *out, int64_t outStride) {
  tfm::kernels::AttentionTimer timer;
  int64_t partialStride = heads * (headDim + 2);
  for (int64_t s = 0; s < tokens; ++s) {
    for (int64_t h = 0; h < heads; ++h) {
      auto partial = [&](int64_t split) {
        return partials + split * splitStride + s * partialStride +
               h * (headDim + 2);
      };
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t c = 0; c < splits; ++c)
        if (partial(c)[headDim + 1] > 0.0f)
          max = std::max(max, partial(c)[headDim]);
      float *result = out + s * outStride + h * headDim;
      std::fill(result, result + headDim, 0.0f);
      float sum = 0.0f;
      for (int64_t c = 0; c < splits; ++c) {
        const float *p = partial(c);
        // Splits without a visible key contribute nothing.
        if (!(p[headDim + 1] > 0.0f))
          continue;
        float weight = expNonPositive(p[headDim] - max);
        sum += weight * p[headDim + 1];
        for (int64_t d = 0; d < headDim; ++d)
          result[d] += weight * p[d];
      }
      float inverse = sum > 0.0f ? 1.0f / sum : 0.0f;
      for (int64_t d = 0; d < headDim; ++d)
        result[d] *= inverse;
    }
  }
}
