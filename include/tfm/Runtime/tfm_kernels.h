/*===- tfm_kernels.h - microkernels linked into compiled models ----*- C -*-===*
 *
 * The fused attention over the KV cache (lowered from `tfm.flash_attention`
 * by tfm-lower-flash-attention) and the quantized matrix multiplication
 * that generated code calls (lowered from `tfm.quantized_matmul` by
 * tfm-lower-quantized-matmul). Weights stay in
 * their block format in the mapped weights file; each call unpacks blocks in
 * registers and runs the inner products on 8-bit integer dot instructions
 * against activations quantized once per layer (`tfm_quantize_activations`).
 *
 * One dispatch point (lib/Runtime/Kernels/Dispatch.cpp) picks the variant
 * for the running CPU: AVX-512 VNNI with AMX-INT8 prefill, AVX-512 VNNI
 * (with AVX512-BF16 for the prefill of bf16 weights),
 * AVX2, or portable C. The environment variable
 * TFM_KERNEL_ISA=avx512_vnni|avx2|generic forces a lesser one (tests use it
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
 * Q4_1.
 *
 * Q8_0_X16 and Q4_0_X16 hold the same blocks for groups of 16 consecutive
 * rows, interleaved so that one 512-bit integer dot product serves 16 rows
 * (tfm_quant_interleave writes them). For every block b of a group:
 *   16 f16 scales (row 0..15), then for each 4-element chunk c the 4 bytes
 *   of chunk c of rows 0..15 (64 bytes a chunk):
 *   Q8_0_X16  8 chunks of elements 4c..4c+3, stored as q + 128 (unsigned)
 *   Q4_0_X16  4 chunks of GGML's nibble bytes 4c..4c+3 (elements 4c..4c+3
 *             low, 16+4c..16+4c+3 high); x = d * (nibble - 8)
 * Q6_K_X16 holds GGML Q6_K super-blocks for groups of 16 rows. For every
 * 256-element super-block s of a group:
 *   16 f16 d (row 0..15), then the 16 int8 scales of each 16-element
 *   sub-block k as 16 bytes (row 0..15; 256 bytes), then for each of the 8
 *   32-element blocks b, with codes u = value + 32 (0..63) of its elements:
 *     4 chunks c of 64 bytes: row r's 4 bytes hold the low 4 bits of
 *       elements 4c..4c+3 (low nibble) and 16+4c..16+4c+3 (high nibble)
 *     2 chunks p of 64 bytes: row r's byte i holds the top 2 bits of
 *       elements 8p+i, 16+8p+i, 8p+4+i, 16+8p+4+i (bits 0-1, 2-3, 4-5, 6-7)
 *   x = d * scale[k] * (u - 32), as in Q6_K.
 * Q4_K_X16 holds GGML Q4_K super-blocks for groups of 16 rows. For every
 * 256-element super-block of a group: 16 f16 d, 16 f16 dmin, then the 12
 * bytes of packed 6-bit scales and mins of each row as three 64-byte
 * planes (plane w: row r's bytes 4w..4w+3), then for each pair of
 * 32-element blocks (2i, 2i+1) 8 chunks c of 64 bytes: row r's 4 bytes are
 * Q4_K's bytes 4c..4c+3 of that pair (low nibbles: elements 4c.. of block
 * 2i, high nibbles: of block 2i+1). x = d * scale * code - dmin * min.
 * A group of 16 rows takes the bytes of 16 rows of the base format.
 *
 * F16 and BF16 are not blocks but the 16-bit floats of the weights, one row
 * after another (IEEE binary16; bfloat16, the top half of an f32): weights
 * stored as the file has them, executed without widening. Their rows are
 * multiplied by f32 activations (tfm_quantize_activations copies the rows,
 * normalizing them for an RMSNorm prologue), not by 8-bit ones: a 16-bit
 * weight decodes exactly, and rounding the activations would be the only
 * error. F16_X16 holds groups of 16 rows as 16 values per input feature
 * (feature k: rows 0..15, 32 bytes), the panel layout a 16-lane f32 vector
 * multiplies. BF16_X16 holds them per pair of features (features 2j and
 * 2j + 1: row 0's two values, then row 1's, ..., 64 bytes), the operand
 * layout of AVX512-BF16's dot product; a pair's 32 bits shifted left by 16
 * are feature 2j as an f32, masked to the top half feature 2j + 1.
 *
 * The activation rows of BF16 and BF16_X16 hold the IN_FEATURES f32 values
 * and then the same values rounded to bfloat16 (to nearest, ties to even):
 * prefills of TFM_BF16_DOT_MIN_TOKENS tokens or more multiply those on
 * AVX512-BF16 dot products where the CPU has them, as llama.cpp's BF16
 * kernels do; fewer tokens (a decode) use the f32 values. */
#define TFM_BF16_DOT_MIN_TOKENS 16
typedef enum tfm_quant_format {
  TFM_QUANT_Q8_0 = 0,
  TFM_QUANT_Q4_0 = 1,
  TFM_QUANT_Q4_1 = 2,
  TFM_QUANT_Q4_K = 3,
  TFM_QUANT_Q6_K = 4,
  TFM_QUANT_INT8 = 5,
  TFM_QUANT_INT4 = 6,
  TFM_QUANT_Q8_0_X16 = 7,
  TFM_QUANT_Q4_0_X16 = 8,
  TFM_QUANT_Q6_K_X16 = 9,
  TFM_QUANT_Q4_K_X16 = 10,
  TFM_QUANT_F16 = 11,
  TFM_QUANT_BF16 = 12,
  TFM_QUANT_F16_X16 = 13,
  TFM_QUANT_BF16_X16 = 14,
} tfm_quant_format;

/* Nonzero for F16, BF16 and their _X16 layouts: 16-bit float weights whose
 * activations are f32 rows. */
int32_t tfm_quant_is_float(int32_t format);

/* Rows interleaved in one group of FORMAT (16 for the _X16 formats), or 1. */
#define TFM_QUANT_INTERLEAVE 16
int64_t tfm_quant_interleave_rows(int32_t format);

/* The row-wise format whose blocks an interleaved FORMAT holds (FORMAT
 * itself for the others). */
int32_t tfm_quant_base_format(int32_t format);

/* Writes TFM_QUANT_INTERLEAVE rows of IN_FEATURES weights in the base format
 * of FORMAT (consecutive rows at ROWS) as one group of FORMAT at OUT. */
void tfm_quant_interleave(int32_t format, int64_t in_features,
                          const void *rows, void *out);

/* Bytes of one output row of `in_features` weights in FORMAT (GROUP is the
 * INT4 group size, ignored otherwise), or -1 if `in_features` is not a whole
 * number of blocks (of 16 for F16 and BF16: one vector). */
int64_t tfm_quant_row_bytes(int32_t format, int64_t group,
                            int64_t in_features);

/* Bytes of one token's activations as the kernels of FORMAT read them,
 * rounded up to 64. For the block formats: int8 values in blocks of 32,
 * then one f32 scale d per block, then d * sum(q) per block (f32), then
 * sum(q) per block (int32), then the sum of each block's first 16 q
 * (int32). For F16 and BF16: the IN_FEATURES f32 values. */
int64_t tfm_quantized_activation_row_bytes(int32_t format,
                                           int64_t in_features);

/* Quantizes TOKENS rows of IN_FEATURES floats (row stride X_STRIDE floats)
 * for the kernels of FORMAT into OUT, rows of
 * tfm_quantized_activation_row_bytes(FORMAT, IN_FEATURES) bytes. */
void tfm_quantize_activations(int32_t format, const float *x, int64_t tokens,
                              int64_t in_features, int64_t x_stride,
                              void *out);

/* tfm_quantize_activations of the rows RMS-normalized first, as tfm.rms_norm
 * does: x[t, k] / sqrt(mean_k(x[t, k]^2) + EPS) * NORM_WEIGHT[k]. The norm
 * is the prologue of the matmul: the normalized rows are never stored. */
void tfm_quantize_activations_rms_norm(int32_t format, const float *x,
                                       int64_t tokens,
                                       int64_t in_features, int64_t x_stride,
                                       const float *norm_weight, float eps,
                                       void *out);

/* out[t * OUT_STRIDE + r] = sum_k x[t, k] * W[r, k] for r < ROWS, t < TOKENS
 * (with ACCUMULATE nonzero: out[...] += the sum, a residual add fused into
 * the matmul): ACTIVATIONS from tfm_quantize_activations, W rows of
 * WEIGHT_ROW_BYTES bytes in FORMAT starting at WEIGHTS. For an interleaved
 * format ROWS is a multiple of its group and WEIGHTS starts a group. */
void tfm_quantized_matmul(int32_t format, int64_t group,
                          const void *activations, int64_t tokens,
                          int64_t in_features, const void *weights,
                          int64_t weight_row_bytes, int64_t rows, float *out,
                          int64_t out_stride, int32_t accumulate);

/* Element types of the KV cache tfm_attention reads: a row of one token and
 * head holds HEAD_DIM elements; Q8 rows are HEAD_DIM int8 values followed
 * by the row's f32 scale (x = scale * q); BF16 rows are bfloat16 values
 * (the top half of an f32: f32's range, 8 bits of mantissa). */
typedef enum tfm_kv_element {
  TFM_KV_F32 = 0,
  TFM_KV_F16 = 1,
  TFM_KV_Q8 = 2,
  TFM_KV_BF16 = 3,
} tfm_kv_element;

/* Fused causal attention (one pass over the keys with an online softmax; no
 * score matrix is stored) of KV head KV_HEAD for queries [QUERY_BEGIN,
 * QUERY_END) over keys [KEY_BEGIN, KEY_END):
 *   Q       query row s, head h (= KV_HEAD * GROUP + g) at
 *           q[s * Q_STRIDE + h * HEAD_DIM]
 *   KEYS    row of key j of KV head k at KEYS + k * HEAD_STRIDE +
 *           j * ROW_STRIDE (bytes), elements of type ELEMENT; VALUES alike
 *   query s sees keys j <= CAUSAL_START + s (and j < KEY_END).
 * Without PARTIALS the normalized result goes to out[s * OUT_STRIDE +
 * h * HEAD_DIM]. With PARTIALS (flash-decoding: the keys are split into
 * ranges processed by different threads), the unnormalized sums go to
 * partials[s * PARTIAL_STRIDE + h * (HEAD_DIM + 2)], followed by the
 * running maximum and the softmax denominator, for tfm_attention_combine.
 * With ROPE_COS (and ROPE_SIN) each query row s is first rotated by RoPE
 * with the cos/sin of its angles at rope_cos[s * ROPE_STRIDE + j], j <
 * HEAD_DIM / 2, pairing features (2j, 2j + 1) (ROPE_PAIRING 0, interleaved)
 * or (j, j + HEAD_DIM / 2) (1, half-split); HEAD_DIM must then be at most
 * TFM_ATTENTION_MAX_ROPE_HEAD_DIM. WINDOW > 0 (sliding-window attention)
 * also hides keys j <= CAUSAL_START + s - WINDOW; SOFT_CAP > 0 turns each
 * scaled score x into SOFT_CAP * tanh(x / SOFT_CAP) (Gemma 2). With
 * POSITION_BIAS (T5's relative position bias) the score of query s (at
 * position BIAS_QUERY_START + s) and key j of query head h gains
 * position_bias[h * (2 * MAX_DISTANCE + 1) + MAX_DISTANCE +
 * clamp(j - BIAS_QUERY_START - s, -MAX_DISTANCE, MAX_DISTANCE)], after
 * the scale and the soft cap. With QUERY_NORM (a [HEAD_DIM] weight: the q
 * norm of Qwen 3 and Gemma 3) each query head is first RMS-normalized,
 * x / sqrt(mean(x^2) + NORM_EPS) * query_norm, before its rotation.
 * RING_ROWS > 0 reads a ring cache of that many rows: key j at row
 * j mod RING_ROWS (the sliding layers' cache; WINDOW <= RING_ROWS keeps
 * every visible key in it). */
#define TFM_ATTENTION_MAX_ROPE_HEAD_DIM 512
void tfm_attention(int32_t element, const float *q, int64_t q_stride,
                   const void *keys, const void *values, int64_t head_stride,
                   int64_t row_stride, int64_t group, int64_t head_dim,
                   float scale, int64_t causal_start, int64_t kv_head,
                   int64_t query_begin, int64_t query_end, int64_t key_begin,
                   int64_t key_end, float *out, int64_t out_stride,
                   float *partials, int64_t partial_stride,
                   const float *rope_cos, const float *rope_sin,
                   int64_t rope_stride, int32_t rope_pairing, int64_t window,
                   float soft_cap, const float *position_bias,
                   int64_t bias_query_start, int64_t max_distance,
                   const float *query_norm, float norm_eps,
                   int64_t ring_rows);

/* Merges SPLITS partial results of tfm_attention (split c at PARTIALS +
 * c * SPLIT_STRIDE floats, rows of HEADS * (HEAD_DIM + 2) floats) into
 * out[s * OUT_STRIDE + h * HEAD_DIM] for s < TOKENS. */
void tfm_attention_combine(const float *partials, int64_t splits,
                           int64_t split_stride, int64_t tokens,
                           int64_t heads, int64_t head_dim, float *out,
                           int64_t out_stride);

/* Activation kinds of tfm_quantized_matmul_gated (the values of the tfm
 * dialect's Activation enum). */
typedef enum tfm_activation {
  TFM_ACTIVATION_RELU = 0,
  TFM_ACTIVATION_GELU = 1,
  TFM_ACTIVATION_GELU_TANH = 2,
  TFM_ACTIVATION_SILU = 3,
} tfm_activation;

/* out[t * OUT_STRIDE + r] = act(x_t . G[r]) * (x_t . U[r]) for r < ROWS:
 * two tfm_quantized_matmul products (gate rows at GATE_WEIGHTS, up rows at
 * UP_WEIGHTS, both of WEIGHT_ROW_BYTES) combined by the gated activation
 * ACTIVATION in the epilogue, so neither product is stored. */
void tfm_quantized_matmul_gated(int32_t format, int64_t group,
                                const void *activations, int64_t tokens,
                                int64_t in_features, const void *gate_weights,
                                const void *up_weights,
                                int64_t weight_row_bytes, int64_t rows,
                                float *out, int64_t out_stride,
                                int32_t activation);

/* out[t * OUT_STRIDE + b * PANEL + p] += sum_k input[t * INPUT_STRIDE + k] *
 * panels[(b * IN_FEATURES + k) * PANEL + p] for t < TOKENS, b <
 * PANEL_COUNT, p < PANEL: the f32 product of a linear layer whose weights
 * are packed in panels of PANEL output features (convert-tfm-to-linalg's
 * layout), accumulated onto OUT (zeros or a residual). Generated code calls
 * it for `matmul_panels` kernels when tfm-cpu-pipeline's `f32-matmul` is
 * `halide`, or `auto` on an AVX-512 target (tfm-lower-matmul-panels). The
 * AVX2 and AVX-512 variants run Halide AOT kernels (lib/Runtime/Halide) for
 * PANEL 8 and 16, except AVX-512's 8 x 3 prefill tiles, hand-written to
 * prefetch the next panels (docs/codegen.md). PACK_KEY: see
 * tfm_matmul_panels_pack_key. */
void tfm_matmul_panels(const float *input, int64_t tokens,
                       int64_t in_features, int64_t input_stride,
                       const float *panels, int64_t panel_count,
                       int64_t panel, float *out, int64_t out_stride,
                       uint64_t pack_key);

/* A key for the calls of tfm_matmul_panels that compute one product in
 * parts (thread steps over its panels): calls with the same nonzero
 * PACK_KEY promise the same INPUT rows, unchanged, so a variant that
 * rearranges them for its register tiles (AVX-512: 8 rows interleaved)
 * does so once per thread and product instead of once per call. 0 promises
 * nothing. Each call returns a new key. */
uint64_t tfm_matmul_panels_pack_key(void);

/* Name of the variant tfm_quantized_matmul and tfm_attention run
 * ("avx512_vnni", "avx2", "generic"). */
const char *tfm_kernel_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* TFM_RUNTIME_TFM_KERNELS_H */
