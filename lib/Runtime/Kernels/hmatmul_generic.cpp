//===- hmatmul_generic.cpp - 16-bit float weights in portable C++ ---------===//
//
// The fallback for CPUs without AVX2 and the reference the vector variants
// are tested against: each weight is widened on its own, the products of a
// row are summed in feature order.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "QuantBlocks.h"

using namespace tfm::kernels;

namespace {

/// The 16-bit weight of row `r` (of the rows at `args.weights`), feature
/// `k`: row-wise rows follow each other, an interleaved group keeps feature
/// k of its 16 rows side by side.
uint16_t weightBits(const QuantizedMatmulArgs &args, int64_t r, int64_t k) {
  int64_t index =
      isInterleaved(args.format)
          ? (r / kInterleave) * kInterleave * args.inFeatures +
                halfGroupIndex(args.format, r % kInterleave, k)
          : r * (args.rowBytes / 2) + k;
  uint16_t bits;
  std::memcpy(&bits, args.weights + 2 * index, sizeof(bits));
  return bits;
}

} // namespace

void tfm::kernels::halfMatmulGeneric(const QuantizedMatmulArgs &args) {
  bool bf16 = isBf16Format(args.format);
  for (int64_t t = 0; t < args.tokens; ++t) {
    const auto *x = reinterpret_cast<const float *>(
        static_cast<const uint8_t *>(args.activations) +
        t * args.activationRowBytes);
    for (int64_t r = 0; r < args.rows; ++r) {
      float sum = 0.0f;
      for (int64_t k = 0; k < args.inFeatures; ++k) {
        uint16_t bits = weightBits(args, r, k);
        sum += (bf16 ? bf16ToFloat(bits) : halfToFloat(bits)) * x[k];
      }
      float &out = args.out[t * args.outStride + r];
      out = args.accumulate ? out + sum : sum;
    }
  }
}
