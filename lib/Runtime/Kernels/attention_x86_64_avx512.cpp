//===- attention_x86_64_avx512.cpp - fused attention for AVX-512 ------------===//
//
// AttentionKernel.h compiled for AVX-512: each lane loop becomes one 16-wide
// FMA, f16 rows convert with vcvtph2ps (F16C), and keys are scored eight at
// a time as on AVX2 (AttentionScoresX86.h).
//
//===----------------------------------------------------------------------===//

#include "AttentionScoresX86.h"

namespace {

using namespace tfm::kernels;

struct Avx512 : EightKeyScores {
  static float loadHalf(const uint8_t *p) {
    _Float16 value;
    std::memcpy(&value, p, sizeof(value));
    return static_cast<float>(value);
  }
};

} // namespace

void tfm::kernels::attentionAvx512(const AttentionArgs &args,
                                   const AttentionTask &task) {
  attentionFor<Avx512>(args, task);
}
