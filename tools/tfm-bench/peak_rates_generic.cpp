//===- peak_rates_generic.cpp - multiply-add chains in plain C++ ----------===//
//
// The rates of the generic kernels' arithmetic: eight independent chains
// of scalar multiply-adds (float) and of 8-bit products summed in 32 bits,
// vectorized only as far as the baseline target lets the compiler.
//
//===----------------------------------------------------------------------===//

#include "PeakRates.h"

namespace tfm::bench {

namespace {
constexpr int kChains = 8;
/// Keeps the chains' results alive.
volatile float floatSink;
volatile int32_t intSink;
} // namespace

int64_t floatMacsGeneric(int64_t iterations) {
  float acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = float(c);
  float a = 1.0000001f, b = 0.9999999f;
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = acc[c] * a + b;
  float sum = 0;
  for (float x : acc)
    sum += x;
  floatSink = sum;
  return iterations * kChains;
}

int64_t int8MacsGeneric(int64_t iterations) {
  // Four products of a 32-bit lane per step, as the dot-product kernels.
  int32_t acc[kChains] = {};
  int8_t a[4] = {1, -2, 3, -4};
  uint8_t b[4] = {5, 6, 7, 8};
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] += a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * (b[3] + c);
  int32_t sum = 0;
  for (int32_t x : acc)
    sum += x;
  intSink = sum;
  return iterations * kChains * 4;
}

} // namespace tfm::bench
