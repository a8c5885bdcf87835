//===- Kernels.h - the variants behind the tfm_kernels.h dispatch -*- C++ -*-===//

#ifndef TFM_LIB_RUNTIME_KERNELS_KERNELS_H
#define TFM_LIB_RUNTIME_KERNELS_KERNELS_H

#include <cstdint>

namespace tfm::kernels {

/// The arguments of tfm_quantized_matmul.
struct QuantizedMatmulArgs {
  int32_t format;
  int64_t group;
  const void *activations;
  int64_t tokens;
  int64_t inFeatures;
  /// tfm_quantized_activation_row_bytes(inFeatures).
  int64_t activationRowBytes;
  const uint8_t *weights;
  int64_t rowBytes;
  int64_t rows;
  float *out;
  int64_t outStride;
  /// Add the products to `out` (a residual) instead of overwriting it.
  bool accumulate;
};

void quantizedMatmulGeneric(const QuantizedMatmulArgs &args);
void quantizedMatmulAvx2(const QuantizedMatmulArgs &args);
void quantizedMatmulAvx512Vnni(const QuantizedMatmulArgs &args);

} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_KERNELS_H
