//===- peak_rates_x86_64_avx2.cpp - AVX2 FMA and int8 chains --------------===//
//
// Twelve chains of 256-bit FMAs (8 MACs each); for int8, the sequence the
// AVX2 quantized kernels use for 32 MACs: vpmaddubsw, vpmaddwd, vpaddd.
//
//===----------------------------------------------------------------------===//

#include "PeakRates.h"

#include <immintrin.h>

namespace tfm::bench {

namespace {
constexpr int kFloatChains = 12;
constexpr int kIntChains = 8;
volatile float floatSink;
volatile int32_t intSink;

/// The multiplied operands become values the compiler cannot see, so it
/// cannot fold an instruction with constant operands into an add.
template <typename Vector> void hideFromOptimizer(Vector &value) {
  asm volatile("" : "+v"(value));
}
} // namespace

int64_t floatMacsAvx2(int64_t iterations) {
  __m256 acc[kFloatChains];
  for (int c = 0; c < kFloatChains; ++c)
    acc[c] = _mm256_set1_ps(float(c));
  __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(0.9999999f);
  hideFromOptimizer(a);
  hideFromOptimizer(b);
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kFloatChains; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 sum = acc[0];
  for (int c = 1; c < kFloatChains; ++c)
    sum = _mm256_add_ps(sum, acc[c]);
  floatSink = _mm256_cvtss_f32(sum);
  return iterations * kFloatChains * 8;
}

int64_t int8MacsAvx2(int64_t iterations) {
  __m256i acc[kIntChains];
  for (int c = 0; c < kIntChains; ++c)
    acc[c] = _mm256_set1_epi32(c);
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i ones = _mm256_set1_epi16(1);
  hideFromOptimizer(a);
  hideFromOptimizer(b);
  hideFromOptimizer(ones);
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kIntChains; ++c) {
      // A product of the same operands every step: hidden again each
      // time, so it is computed each time rather than hoisted.
      hideFromOptimizer(a);
      __m256i pairs = _mm256_maddubs_epi16(a, b);
      acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(pairs, ones));
    }
  __m256i sum = acc[0];
  for (int c = 1; c < kIntChains; ++c)
    sum = _mm256_add_epi32(sum, acc[c]);
  intSink = _mm256_cvtsi256_si32(sum);
  return iterations * kIntChains * 32;
}

} // namespace tfm::bench
