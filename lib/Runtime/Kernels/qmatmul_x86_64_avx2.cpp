//===- qmatmul_x86_64_avx2.cpp - quantized matmul with AVX2 ---------------===//
//
// Without VNNI the 8-bit dot product takes two instructions: vpmaddubsw
// (u8 x s8 pairs -> i16; |a| <= 127 keeps the pair sums from saturating)
// and vpmaddwd against ones (i16 pairs -> i32).
//
//===----------------------------------------------------------------------===//

#include "QuantizedMatmulX86.h"

namespace {
struct DotI8Avx2 {
  static __m256i dot(__m256i unsignedA, __m256i signedB) {
    __m256i pairs = _mm256_maddubs_epi16(unsignedA, signedB);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }
};
} // namespace

void tfm::kernels::quantizedMatmulAvx2(const QuantizedMatmulArgs &args) {
  quantizedMatmulFor<DotI8Avx2>(args);
}
