//===- qmatmul_generic.cpp - quantized matmul in portable C++ -------------===//
//
// The fallback for CPUs without AVX2 and the reference the vector variants
// are tested against: blocks are decoded one at a time, integer dot products
// are plain loops.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "QuantBlocks.h"

using namespace tfm::kernels;

namespace {

float dotRow(const QuantizedMatmulArgs &args, const uint8_t *row,
             const ActivationRow &a) {
  float sum = 0.0f;
  DecodedBlock w;
  for (int64_t b = 0, e = args.inFeatures / kBlock; b < e; ++b) {
    decodeBlock(args.format, args.group, row, b, w);
    const int8_t *q = a.q + b * kBlock;
    int32_t low = 0, high = 0;
    for (int l = 0; l < 16; ++l) {
      low += int32_t(w.q[l]) * q[l];
      high += int32_t(w.q[l + 16]) * q[l + 16];
    }
    sum += a.scale[b] * (w.scaleLow * float(low) + w.scaleHigh * float(high)) +
           w.min * a.scaledSum[b];
  }
  return sum;
}

} // namespace

void tfm::kernels::quantizedMatmulGeneric(const QuantizedMatmulArgs &args) {
  for (int64_t r = 0; r < args.rows; ++r) {
    const uint8_t *row = args.weights + r * args.rowBytes;
    for (int64_t t = 0; t < args.tokens; ++t) {
      float sum = dotRow(args, row,
                         activationRow(args.activations, t, args.inFeatures,
                                       args.activationRowBytes));
      float &out = args.out[t * args.outStride + r];
      out = args.accumulate ? out + sum : sum;
    }
  }
}
