//===- peak_rates_x86_64_avx512.cpp - AVX-512 FMA and VNNI chains ---------===//
//
// Twelve chains of 512-bit FMAs (16 MACs each) and of vpdpbusd (64 8-bit
// MACs each): the instructions of the f32 register tiles and of the VNNI
// quantized kernels.
//
//===----------------------------------------------------------------------===//

#include "PeakRates.h"

#include <immintrin.h>

namespace tfm::bench {

namespace {
constexpr int kChains = 12;
volatile float floatSink;
volatile int32_t intSink;

/// The multiplied operands become values the compiler cannot see, so it
/// cannot fold an instruction with constant operands into an add.
template <typename Vector> void hideFromOptimizer(Vector &value) {
  asm volatile("" : "+v"(value));
}
} // namespace

int64_t floatMacsAvx512(int64_t iterations) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(float(c));
  __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
  hideFromOptimizer(a);
  hideFromOptimizer(b);
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  __m512 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_ps(sum, acc[c]);
  floatSink = _mm512_reduce_add_ps(sum);
  return iterations * kChains * 16;
}

int64_t int8MacsAvx512Vnni(int64_t iterations) {
  __m512i acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_epi32(c);
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  hideFromOptimizer(a);
  hideFromOptimizer(b);
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_dpbusd_epi32(acc[c], a, b);
  __m512i sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_epi32(sum, acc[c]);
  intSink = _mm512_reduce_add_epi32(sum);
  return iterations * kChains * 64;
}

} // namespace tfm::bench
