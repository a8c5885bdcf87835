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
  // Four 8-bit products into a 32-bit sum per step, as the dot-product
  // kernels do; the bytes come from the chain's own value, so the compiler
  // can neither fold the products nor sum the loop in closed form.
  int32_t acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = c + 1;
  // Unknown to the compiler (read through a volatile), so the products
  // stay multiplications.
  static volatile uint8_t weights[4] = {5, 6, 7, 8};
  const int32_t b[4] = {weights[0], weights[1], weights[2], weights[3]};
  for (int64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c) {
      int32_t x = acc[c];
      acc[c] = x + int8_t(x) * b[0] + int8_t(x >> 8) * b[1] +
               int8_t(x >> 16) * b[2] + int8_t(x >> 24) * b[3];
    }
  int32_t sum = 0;
  for (int32_t x : acc)
    sum += x;
  intSink = sum;
  return iterations * kChains * 4;
}

} // namespace tfm::bench
