//===- attention_x86_64_avx2.cpp - fused attention for AVX2 -----------------===//
//
// AttentionKernel.h compiled for AVX2: each lane loop becomes two 8-wide FMAs,
// f16 rows convert with vcvtph2ps (F16C), and keys are scored eight at a
// time (AttentionScoresX86.h).
//
//===----------------------------------------------------------------------===//

#include "AttentionScoresX86.h"

namespace {

using namespace tfm::kernels;

struct Avx2 : EightKeyScores {
  static float loadHalf(const uint8_t *p) {
    _Float16 value;
    std::memcpy(&value, p, sizeof(value));
    return static_cast<float>(value);
  }
};

} // namespace

void tfm::kernels::attentionAvx2(const AttentionArgs &args,
                                 const AttentionTask &task) {
  attentionFor<Avx2>(args, task);
}
