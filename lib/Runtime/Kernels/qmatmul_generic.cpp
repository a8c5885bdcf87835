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

/// Row `r` of the weights . token `a`. Row-wise formats start each row at
/// `r * rowBytes`; interleaved ones keep row r in lane r % 16 of its group.
float dotRow(const QuantizedMatmulArgs &args, int64_t r,
             const ActivationRow &a) {
  float sum = 0.0f;
  DecodedBlock w;
  bool interleaved = isInterleaved(args.format);
  const uint8_t *row =
      interleaved ? args.weights + (r / kInterleave) * kInterleave * args.rowBytes
                  : args.weights + r * args.rowBytes;
  for (int64_t b = 0, e = args.inFeatures / kBlock; b < e; ++b) {
    if (interleaved)
      decodeInterleavedBlock(args.format, row, r % kInterleave, b, w);
    else
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
    for (int64_t t = 0; t < args.tokens; ++t) {
      float sum = dotRow(args, r,
                         activationRow(args.activations, t, args.inFeatures,
                                       args.activationRowBytes));
      float &out = args.out[t * args.outStride + r];
      out = args.accumulate ? out + sum : sum;
    }
  }
}
