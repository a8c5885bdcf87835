//===- Kernels.h - the variants behind the tfm_kernels.h dispatch -*- C++ -*-===//

#ifndef TFM_LIB_RUNTIME_KERNELS_KERNELS_H
#define TFM_LIB_RUNTIME_KERNELS_KERNELS_H

#include <cstddef>
#include <cstdint>

/// The heap of the generated code (activation_memory.cpp): MLIR's
/// memref-to-llvm calls these for memref.alloc and memref.dealloc
/// (`use-generic-functions`).
extern "C" {
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *pointer);
}

namespace tfm::kernels {

/// The arguments of tfm_quantized_matmul.
struct QuantizedMatmulArgs {
  int32_t format;
  int64_t group;
  const void *activations;
  int64_t tokens;
  int64_t inFeatures;
  /// tfm_quantized_activation_row_bytes(format, inFeatures); the rows are
  /// f32 values for the float formats.
  int64_t activationRowBytes;
  const uint8_t *weights;
  int64_t rowBytes;
  int64_t rows;
  float *out;
  int64_t outStride;
  /// Add the products to `out` (a residual) instead of overwriting it.
  bool accumulate;
  /// Tokens of the whole product this call is part of (0: `tokens`): the
  /// gated product calls the kernel on steps of its tokens, and the choice
  /// between a decode's and a prefill's arithmetic (bf16 weights) must not
  /// change within one product.
  int64_t productTokens = 0;
};

/// The arguments of tfm_attention shared by all tasks of one call.
struct AttentionArgs {
  int32_t element;
  const float *q;
  int64_t qStride;
  const uint8_t *keys;
  const uint8_t *values;
  int64_t headStride;
  int64_t rowStride;
  int64_t group;
  int64_t headDim;
  float scale;
  int64_t causalStart;
  float *out;
  int64_t outStride;
  /// RoPE of the query rows (null: none); see tfm_attention.
  const float *ropeCos;
  const float *ropeSin;
  int64_t ropeStride;
  int32_t ropePairing;
  /// Sliding window (0: none) and score soft cap (0: none); see
  /// tfm_attention.
  int64_t window;
  float softCap;
  /// T5's relative position bias (null: none): row h (2 * maxDistance + 1
  /// floats) holds query head h's bias of each clamped key distance; query
  /// s is at position biasQueryStart + s. See tfm_attention.
  const float *positionBias = nullptr;
  int64_t biasQueryStart = 0;
  int64_t maxDistance = 0;
  /// The RMSNorm weight of each query head (null: none) and its epsilon:
  /// applied before the rotation. See tfm_attention.
  const float *queryNorm = nullptr;
  float normEps = 0.0f;
  /// Rows of a ring cache (0: none): key j is row j mod ringRows. See
  /// tfm_attention.
  int64_t ringRows = 0;
};

/// The part of the work one call of tfm_attention does.
struct AttentionTask {
  int64_t kvHead;
  int64_t queryBegin;
  int64_t queryEnd;
  int64_t keyBegin;
  int64_t keyEnd;
  /// Null: normalized results go to `out`.
  float *partials;
  int64_t partialStride;
};

void attentionGeneric(const AttentionArgs &args, const AttentionTask &task);
void attentionAvx2(const AttentionArgs &args, const AttentionTask &task);
void attentionAvx512(const AttentionArgs &args, const AttentionTask &task);

/// out[r] = kind(gate[r]) * up[r] for r < n (`kind` a TFM_ACTIVATION_*):
/// the epilogue of tfm_quantized_matmul_gated. SiLU uses a branch-free exp
/// (within ~2e-7 relative) that vectorizes.
void gatedProducts(int32_t kind, const float *gate, const float *up,
                   float *out, int64_t n);

/// One row of activations as 8-bit blocks (tfm_quantized_activation_row_bytes
/// bytes at `out`), each element first multiplied by `rowScale * weight[k]`
/// when `weight` is given (an RMSNorm prologue). The variants write the
/// same bytes for finite inputs.
void quantizeActivationRowGeneric(const float *x, int64_t inFeatures,
                                  const float *weight, float rowScale,
                                  uint8_t *out);
void quantizeActivationRowAvx2(const float *x, int64_t inFeatures,
                               const float *weight, float rowScale,
                               uint8_t *out);
void quantizeActivationRowAvx512(const float *x, int64_t inFeatures,
                                 const float *weight, float rowScale,
                                 uint8_t *out);

/// The arguments of tfm_matmul_panels.
struct MatmulPanelsArgs {
  const float *input;
  int64_t tokens;
  int64_t inFeatures;
  int64_t inputStride;
  /// `panelCount` panels of `inFeatures x panel` floats, one after another.
  const float *panels;
  int64_t panelCount;
  int64_t panel;
  float *out;
  int64_t outStride;
  /// Calls with the same nonzero key read the same input (the thread steps
  /// of one product): a variant that rearranges the input rows may reuse
  /// what it rearranged for the previous call of its thread. 0: no reuse.
  uint64_t packKey = 0;
};

/// out[t, b, p] += sum_k input[t, k] * panels[b, k, p]. The Halide variants
/// (lib/Runtime/Halide) take panels of 8 or 16 lanes and fall back to the
/// generic loops for any other width. matmulPanelsAvx512 is
/// matmulPanelsHalideAvx512 with its 8 x 3 prefill tiles run by
/// matmulPanelTilesAvx512 (which prefetches the next step's weights).
void matmulPanelsGeneric(const MatmulPanelsArgs &args);
void matmulPanelsHalideAvx2(const MatmulPanelsArgs &args);
void matmulPanelsHalideAvx512(const MatmulPanelsArgs &args);
void matmulPanelsAvx512(const MatmulPanelsArgs &args);

/// Whole 8 x 3 tiles of 16-lane panels on rows rearranged 8 at a time (row
/// g * 8 + r, feature k at packed[(g * inFeatures + k) * 8 + r]):
/// out[g * 8 + r, b, p] += sum_k row . panels[b, k, p] for `groups` groups
/// and `triples` x 3 panels.
struct PanelTilesArgs {
  const float *packed;
  int64_t groups;
  int64_t inFeatures;
  const float *panels;
  int64_t triples;
  float *out;
  int64_t outStride;
  /// 3 panels' worth read next (the matrix's panels after these), brought
  /// into L2 during the last triple; a prefetch never faults, so it may
  /// point past the matrix. Null: none.
  const float *next;
};
void matmulPanelTilesAvx512(const PanelTilesArgs &args);

/// F16, BF16 and their _X16 layouts (16-bit float weights) times f32
/// activation rows, as tfm_quantized_matmul computes them: each product
/// in f32, the weights widened exactly in registers.
void halfMatmulGeneric(const QuantizedMatmulArgs &args);
void halfMatmulAvx2(const QuantizedMatmulArgs &args);
void halfMatmulAvx512(const QuantizedMatmulArgs &args);
/// BF16_X16 weights times the activations' bf16 copies on AVX512-BF16
/// dot products (a prefill's; tfm_kernels.h). Call only on CPUs with
/// AVX512-BF16 (Dispatch.cpp checks).
void halfMatmulAvx512Bf16Dot(const QuantizedMatmulArgs &args);

void quantizedMatmulGeneric(const QuantizedMatmulArgs &args);
void quantizedMatmulAvx2(const QuantizedMatmulArgs &args);
void quantizedMatmulAvx512Vnni(const QuantizedMatmulArgs &args);
/// Q8_0_X16 and Q4_0_X16 prefill on AMX-INT8 tiles; the rest goes to
/// quantizedMatmulAvx512Vnni. Call only where amxInt8Usable() said so.
void quantizedMatmulAmxInt8(const QuantizedMatmulArgs &args);

/// The CPU has AMX-TILE and AMX-INT8 and the OS has granted this process
/// the tile state (requested here on Linux; false elsewhere).
bool amxInt8Usable();

} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_KERNELS_H
