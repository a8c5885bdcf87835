//===- quantize_activations_generic.cpp - activations to 8-bit blocks -----===//
//
// Portable C++: the reference the vector variants match byte for byte.
//
//===----------------------------------------------------------------------===//

#include "FastMath.h"
#include "Kernels.h"
#include "QuantBlocks.h"

#include <cmath>

using namespace tfm::kernels;

void tfm::kernels::quantizeActivationRowGeneric(const float *x,
                                                int64_t inFeatures,
                                                const float *weight,
                                                float rowScale, uint8_t *out) {
  int64_t blocks = inFeatures / kBlock;
  ActivationRowOut row = activationRowOut(out, inFeatures);
  for (int64_t b = 0; b < blocks; ++b) {
    float block[kBlock];
    for (int l = 0; l < kBlock; ++l) {
      int64_t k = b * kBlock + l;
      block[l] = weight ? x[k] * (rowScale * weight[k]) : x[k];
    }
    float absMax = 0.0f;
    for (int l = 0; l < kBlock; ++l)
      absMax = std::fmax(absMax, std::fabs(block[l]));
    float scale = absMax / 127.0f;
    float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    int32_t sum = 0, lowSum = 0;
    for (int l = 0; l < kBlock; ++l) {
      int8_t value = int8_t(roundToNearestEven(block[l] * inverse));
      row.q[b * kBlock + l] = value;
      sum += value;
      if (l < kBlock / 2)
        lowSum += value;
    }
    row.scale[b] = scale;
    row.scaledSum[b] = scale * float(sum);
    row.sum[b] = sum;
    row.lowSum[b] = lowSum;
  }
}
