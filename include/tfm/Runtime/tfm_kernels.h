/*===- tfm_kernels.h - microkernels linked into compiled models ----*- C -*-===*
 *
 * The quantized matrix multiplication that generated code calls (lowered
 * from `tfm.quantized_matmul` by tfm-lower-quantized-matmul). Weights stay in
 * their block format in the mapped weights file; each call unpacks blocks in
 * registers and runs the inner products on 8-bit integer dot instructions
 * against activations quantized once per layer (`tfm_quantize_activations`).
 *
 * One dispatch point (lib/Runtime/Kernels/Dispatch.cpp) picks the variant
 * for the running CPU: AVX-512 VNNI, AVX2, or portable C. The environment
 * variable TFM_KERNEL_ISA=avx512_vnni|avx2|generic forces one (tests use it
 * to run every variant on one machine).
 *
 *===----------------------------------------------------------------------===*/

#ifndef TFM_RUNTIME_TFM_KERNELS_H
#define TFM_RUNTIME_TFM_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Weight block formats; the values are what generated code passes. Every
 * format is a sequence of blocks along the input features of one output row:
 *   Q8_0  {f16 d; i8 q[32]}                       x = d * q
 *   Q4_0  {f16 d; u8 q[16]}                       x = d * (nibble - 8)
 *   Q4_1  {f16 d, m; u8 q[16]}                    x = d * nibble + m
 *   Q4_K  256-element super-blocks of GGML        (8 scales and mins, 6 bit)
 *   Q6_K  256-element super-blocks of GGML        (16 int8 scales)
 *   INT8  one row: {f32 scale; i8 q[in]}          x = scale * q (per channel)
 *   INT4  groups of G: {f16 d, m; u8 q[G / 2]}    x = d * nibble + m
 * In every 32-element block of nibbles byte j holds elements j (low nibble)
 * and j + 16 (high nibble), as in GGML; INT4 with G = 32 is bit-identical to
 * Q4_1. */
typedef enum tfm_quant_format {
  TFM_QUANT_Q8_0 = 0,
  TFM_QUANT_Q4_0 = 1,
  TFM_QUANT_Q4_1 = 2,
  TFM_QUANT_Q4_K = 3,
  TFM_QUANT_Q6_K = 4,
  TFM_QUANT_INT8 = 5,
  TFM_QUANT_INT4 = 6,
} tfm_quant_format;

/* Bytes of one output row of `in_features` weights in FORMAT (GROUP is the
 * INT4 group size, ignored otherwise), or -1 if `in_features` is not a whole
 * number of blocks. */
int64_t tfm_quant_row_bytes(int32_t format, int64_t group,
                            int64_t in_features);

/* Bytes of one token's quantized activations: int8 values in blocks of 32,
 * then one f32 scale per block, then d * sum(q) per block. */
int64_t tfm_quantized_activation_row_bytes(int64_t in_features);

/* Quantizes TOKENS rows of IN_FEATURES floats (row stride X_STRIDE floats)
 * into OUT, rows of tfm_quantized_activation_row_bytes(IN_FEATURES) bytes. */
void tfm_quantize_activations(const float *x, int64_t tokens,
                              int64_t in_features, int64_t x_stride,
                              void *out);

/* out[t * OUT_STRIDE + r] = sum_k x[t, k] * W[r, k] for r < ROWS, t < TOKENS
 * (with ACCUMULATE nonzero: out[...] += the sum, a residual add fused into
 * the matmul): ACTIVATIONS from tfm_quantize_activations, W rows of
 * WEIGHT_ROW_BYTES bytes in FORMAT starting at WEIGHTS. */
void tfm_quantized_matmul(int32_t format, int64_t group,
                          const void *activations, int64_t tokens,
                          int64_t in_features, const void *weights,
                          int64_t weight_row_bytes, int64_t rows, float *out,
                          int64_t out_stride, int32_t accumulate);

/* Name of the variant tfm_quantized_matmul runs ("avx512_vnni", "avx2",
 * "generic"). */
const char *tfm_kernel_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* TFM_RUNTIME_TFM_KERNELS_H */
