//===- attention_x86_64_avx512.cpp - fused attention for AVX-512 ------------===//
//
// AttentionKernel.h compiled for AVX-512: each lane loop becomes one 16-wide FMA,
// f16 rows convert with vcvtph2ps (F16C).
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"

namespace {
struct F16cHalf {
  static float load(const uint8_t *p) {
    _Float16 value;
    std::memcpy(&value, p, sizeof(value));
    return static_cast<float>(value);
  }
};
} // namespace

void tfm::kernels::attentionAvx512(const AttentionArgs &args,
                                   const AttentionTask &task) {
  attentionFor<F16cHalf>(args, task);
}
