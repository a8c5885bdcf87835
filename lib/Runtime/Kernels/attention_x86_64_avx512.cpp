//===- attention_x86_64_avx512.cpp - fused attention for AVX-512 ------------===//
//
// AttentionKernel.h compiled for AVX-512: each lane loop becomes one 16-wide FMA,
// f16 rows convert with vcvtph2ps (F16C).
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"

namespace {
struct Avx512 {
  static float loadHalf(const uint8_t *p) {
    _Float16 value;
    std::memcpy(&value, p, sizeof(value));
    return static_cast<float>(value);
  }
  // Not measured on an AVX-512 machine yet; keeps a reduction per key.
  static constexpr bool kScoresEightKeys = false;
  static constexpr bool kScoresTwoHeads = false;
};
} // namespace

void tfm::kernels::attentionAvx512(const AttentionArgs &args,
                                   const AttentionTask &task) {
  attentionFor<Avx512>(args, task);
}
