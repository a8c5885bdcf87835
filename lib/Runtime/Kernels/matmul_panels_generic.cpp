//===- matmul_panels_generic.cpp - tfm_matmul_panels in portable C++ ------===//
//
// The variant for CPUs without AVX2 and for panel widths the Halide
// variants were not generated for; also what the unit tests hold the Halide
// code to.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

namespace tfm::kernels {

void matmulPanelsGeneric(const MatmulPanelsArgs &args) {
  const int64_t panelFloats = args.inFeatures * args.panel;
  for (int64_t t = 0; t < args.tokens; ++t) {
    const float *x = args.input + t * args.inputStride;
    for (int64_t b = 0; b < args.panelCount; ++b) {
      const float *w = args.panels + b * panelFloats;
      float *out = args.out + t * args.outStride + b * args.panel;
      for (int64_t k = 0; k < args.inFeatures; ++k)
        for (int64_t p = 0; p < args.panel; ++p)
          out[p] += x[k] * w[k * args.panel + p];
    }
  }
}

} // namespace tfm::kernels
