//===- FastMath.h - branch-free float functions that vectorize --*- C++ -*-===//
//
// The kernels' loops over rounding and exp must vectorize for the ISA each
// file is compiled for; the libm functions are one call per element (and
// nearbyint is one on baseline x86-64, which lacks SSE4.1's roundps).
// In an anonymous namespace, as the files compiled for different ISAs
// include it: the linker must never merge their copies.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_FASTMATH_H
#define TFM_LIB_RUNTIME_KERNELS_FASTMATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tfm::kernels {
namespace {

/// `v` rounded to the nearest integer, ties to even (what nearbyint gives in
/// the default rounding mode), for |v| <= 2^22: adding 1.5 * 2^23 pushes the
/// fraction out of the mantissa.
inline float roundToNearestEven(float v) {
  const float shift = 12582912.0f;
  return (v + shift) - shift;
}

/// e^x for x <= 0 down to the f32 underflow, to ~2 ulp: 2^n * e^r with
/// |r| <= ln2 / 2 and a degree-6 polynomial (the first omitted term is
/// below 1.3e-7 of the result).
inline float expNonPositive(float x) {
  x = std::max(x, -87.0f);
  float n = roundToNearestEven(x * 1.44269504088896341f);
  // ln 2 in two parts, so n times the first is exact.
  float r = x - n * 0.693145751953125f - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float power;
  std::memcpy(&power, &bits, sizeof(power));
  return p * power;
}

/// x / (1 + e^-x), with e^-|x| only: no overflow for any x.
inline float silu(float x) {
  float e = expNonPositive(-std::fabs(x));
  float sigmoid = (x >= 0.0f ? 1.0f : e) / (1.0f + e);
  return x * sigmoid;
}

/// tanh(u) = sign(u) (1 - e) / (1 + e) with e = e^(-2|u|): no overflow, no
/// library call, so loops over it vectorize (soft caps, GELU).
inline float tanhFast(float u) {
  float e = expNonPositive(-2.0f * std::fabs(u));
  float t = (1.0f - e) / (1.0f + e);
  return u >= 0.0f ? t : -t;
}

/// GPT-2's and Gemma's tanh GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715
/// x^3))).
inline float geluTanh(float x) {
  float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + tanhFast(u));
}

} // namespace
} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_FASTMATH_H
