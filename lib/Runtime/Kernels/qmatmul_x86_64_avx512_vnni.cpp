//===- qmatmul_x86_64_avx512_vnni.cpp - quantized matmul with VNNI --------===//
//
// vpdpbusd (AVX-512 VNNI, 256-bit form from AVX-512 VL) does the 8-bit dot
// product of four byte pairs into each int32 lane in one instruction. Zen 4
// runs 512-bit operations as two 256-bit halves, so 256-bit vectors lose no
// throughput and keep one 32-element block per register.
//
//===----------------------------------------------------------------------===//

#include "QuantizedMatmulX86.h"

namespace {
struct DotI8Vnni {
  static __m256i dot(__m256i unsignedA, __m256i signedB) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), unsignedA, signedB);
  }
};
} // namespace

void tfm::kernels::quantizedMatmulAvx512Vnni(const QuantizedMatmulArgs &args) {
  quantizedMatmulFor<DotI8Vnni>(args);
}
