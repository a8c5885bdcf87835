//===- AttentionKernel.h - fused attention over the KV cache ----*- C++ -*-===//
//
// One pass over the keys per query row (flash-attention): scores of a block
// of keys, then the running maximum, the softmax denominator and the
// weighted sum of values are updated together, so no score matrix is ever
// stored and the extra memory is one block of scores on the stack.
//
// Written as plain loops over fixed-width lane arrays so each variant file,
// compiled for its ISA, vectorizes them without reassociating floating
// point sums. `Isa` supplies the pieces that differ (attentionFor).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_ATTENTIONKERNEL_H
#define TFM_LIB_RUNTIME_KERNELS_ATTENTIONKERNEL_H

#include "FastMath.h"
#include "Kernels.h"
#include "QuantBlocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

namespace tfm::kernels {
namespace {

/// Lanes of the partial dot products (one AVX-512 register of f32).
constexpr int64_t kLanes = 16;
/// 16 f32 lanes: one AVX-512 register, two AVX2 ones, four NEON ones.
/// Only locals have this type (memory is read and written by memcpy).
typedef float Lanes16 __attribute__((vector_size(64)));

/// Keys scored before the softmax state is updated: 64 scores stay in
/// registers/L1 and the rescaling of the accumulator happens once per block.
constexpr int64_t kKeyBlock = 64;

/// Rows of f32.
struct F32Rows {
  static float load(const uint8_t *row, int64_t d) {
    return reinterpret_cast<const float *>(row)[d];
  }
  static float rowScale(const uint8_t *, int64_t) { return 1.0f; }
};

/// Rows of f16; `Isa::loadHalf` converts one element.
template <typename Isa>
struct F16Rows {
  static float load(const uint8_t *row, int64_t d) {
    return Isa::loadHalf(row + 2 * d);
  }
  static float rowScale(const uint8_t *, int64_t) { return 1.0f; }
};

/// Rows of bfloat16: each element is the top half of an f32.
struct BF16Rows {
  static float load(const uint8_t *row, int64_t d) {
    uint16_t bits;
    std::memcpy(&bits, row + 2 * d, sizeof(bits));
    return bf16ToFloat(bits);
  }
  static float rowScale(const uint8_t *, int64_t) { return 1.0f; }
};

/// Rows of int8 followed by the row's f32 scale.
struct Q8Rows {
  static float load(const uint8_t *row, int64_t d) {
    return static_cast<float>(static_cast<int8_t>(row[d]));
  }
  static float rowScale(const uint8_t *row, int64_t headDim) {
    return loadFloat(row + headDim);
  }
};

template <typename Rows>
float dotRow(const float *q, const uint8_t *row, int64_t headDim) {
  float lanes[kLanes] = {};
  int64_t d = 0;
  for (; d + kLanes <= headDim; d += kLanes)
    for (int64_t l = 0; l < kLanes; ++l)
      lanes[l] += q[d + l] * Rows::load(row, d + l);
  float sum = 0.0f;
  for (; d < headDim; ++d)
    sum += q[d] * Rows::load(row, d);
  for (int64_t l = 0; l < kLanes; ++l)
    sum += lanes[l];
  return sum * Rows::rowScale(row, headDim);
}

/// acc[d0 .. d0 + Width) += sum over j of scaled[j] * row j: the chunk stays
/// in registers over all the rows. Per element the sum runs over j in order
/// (as a row at a time would); the elements of a chunk are independent
/// chains, so a wide chunk keeps the FMA units busy where a narrow one
/// waits on the latency of the last FMA (64 elements: 8 AVX2 registers).
template <typename Rows, int64_t Width>
inline void addWeightedChunk(const float *scaled, const uint8_t *rows,
                             int64_t stride, int64_t count, float *acc,
                             int64_t d0) {
  float lanes[Width];
  for (int64_t l = 0; l < Width; ++l)
    lanes[l] = acc[d0 + l];
  for (int64_t j = 0; j < count; ++j)
    for (int64_t l = 0; l < Width; ++l)
      lanes[l] += scaled[j] * Rows::load(rows + j * stride, d0 + l);
  for (int64_t l = 0; l < Width; ++l)
    acc[d0 + l] = lanes[l];
}

/// Elements per chunk of the weighted sum of value rows.
constexpr int64_t kValueChunk = 64;

/// acc += sum over j of weights[j] * row j (rows `stride` bytes apart), one
/// chunk of kValueChunk (then kLanes) elements at a time over all the rows.
template <typename Rows>
void addWeightedRows(const float *weights, const uint8_t *rows,
                     int64_t stride, int64_t count, float *acc,
                     int64_t headDim) {
  float scaled[kKeyBlock];
  for (int64_t j = 0; j < count; ++j)
    scaled[j] = weights[j] * Rows::rowScale(rows + j * stride, headDim);
  int64_t d = 0;
  for (; d + kValueChunk <= headDim; d += kValueChunk)
    addWeightedChunk<Rows, kValueChunk>(scaled, rows, stride, count, acc, d);
  for (; d + kLanes <= headDim; d += kLanes)
    addWeightedChunk<Rows, kLanes>(scaled, rows, stride, count, acc, d);
  for (; d < headDim; ++d)
    for (int64_t j = 0; j < count; ++j)
      acc[d] += scaled[j] * Rows::load(rows + j * stride, d);
}

/// addWeightedChunk for two query heads of one KV head: each row element
/// is loaded (and converted) once for both. Per head and element the same
/// sum, in the same order.
template <typename Rows, int64_t Width>
inline void addWeightedChunkTwoHeads(const float *scaled0,
                                     const float *scaled1,
                                     const uint8_t *rows, int64_t stride,
                                     int64_t count, float *acc0, float *acc1,
                                     int64_t d0) {
  float lanes0[Width], lanes1[Width];
  for (int64_t l = 0; l < Width; ++l) {
    lanes0[l] = acc0[d0 + l];
    lanes1[l] = acc1[d0 + l];
  }
  for (int64_t j = 0; j < count; ++j)
    for (int64_t l = 0; l < Width; ++l) {
      float value = Rows::load(rows + j * stride, d0 + l);
      lanes0[l] += scaled0[j] * value;
      lanes1[l] += scaled1[j] * value;
    }
  for (int64_t l = 0; l < Width; ++l) {
    acc0[d0 + l] = lanes0[l];
    acc1[d0 + l] = lanes1[l];
  }
}

/// addWeightedRows for two query heads: chunks of half the width, so the
/// two heads' accumulators fit the registers one head's did.
template <typename Rows>
void addWeightedRowsTwoHeads(const float *weights0, const float *weights1,
                             const uint8_t *rows, int64_t stride,
                             int64_t count, float *acc0, float *acc1,
                             int64_t headDim) {
  float scaled0[kKeyBlock], scaled1[kKeyBlock];
  for (int64_t j = 0; j < count; ++j) {
    float rowScale = Rows::rowScale(rows + j * stride, headDim);
    scaled0[j] = weights0[j] * rowScale;
    scaled1[j] = weights1[j] * rowScale;
  }
  constexpr int64_t chunk = kValueChunk / 2;
  int64_t d = 0;
  for (; d + chunk <= headDim; d += chunk)
    addWeightedChunkTwoHeads<Rows, chunk>(scaled0, scaled1, rows, stride,
                                          count, acc0, acc1, d);
  for (; d + kLanes <= headDim; d += kLanes)
    addWeightedChunkTwoHeads<Rows, kLanes>(scaled0, scaled1, rows, stride,
                                           count, acc0, acc1, d);
  for (; d < headDim; ++d)
    for (int64_t j = 0; j < count; ++j) {
      float value = Rows::load(rows + j * stride, d);
      acc0[d] += scaled0[j] * value;
      acc1[d] += scaled1[j] * value;
    }
}

/// scores[j] = q . key row j (rows `stride` bytes apart), j < count. An ISA
/// with `kScoresEightKeys` scores eight keys per call (one horizontal
/// reduction for the eight instead of one per key, which cost more than
/// the dot products of 64-element heads).
template <typename Isa, typename Rows>
void scoreKeys(const float *q, const uint8_t *rows, int64_t stride,
               int64_t count, int64_t headDim, float *scores) {
  int64_t j = 0;
  if constexpr (Isa::kScoresEightKeys)
    if (headDim % 8 == 0)
      for (; j + 8 <= count; j += 8)
        Isa::template scoreEightKeys<Rows>(q, rows + j * stride, stride,
                                           headDim, scores + j);
  for (; j < count; ++j)
    scores[j] = dotRow<Rows>(q, rows + j * stride, headDim);
}

/// scoreKeys for two query heads over the same keys. An ISA with
/// `kScoresTwoHeads` scores eight keys for both per call, each key row
/// loaded (and converted) once; the sums are scoreKeys' either way.
template <typename Isa, typename Rows>
void scoreKeysTwoHeads(const float *q0, const float *q1, const uint8_t *rows,
                       int64_t stride, int64_t count, int64_t headDim,
                       float *scores0, float *scores1) {
  if constexpr (!Isa::kScoresTwoHeads) {
    scoreKeys<Isa, Rows>(q0, rows, stride, count, headDim, scores0);
    scoreKeys<Isa, Rows>(q1, rows, stride, count, headDim, scores1);
  } else {
    int64_t j = 0;
    if (headDim % 8 == 0)
      for (; j + 8 <= count; j += 8)
        Isa::template scoreEightKeysTwoHeads<Rows>(
            q0, q1, rows + j * stride, stride, headDim, scores0 + j,
            scores1 + j);
    for (; j < count; ++j) {
      scores0[j] = dotRow<Rows>(q0, rows + j * stride, headDim);
      scores1[j] = dotRow<Rows>(q1, rows + j * stride, headDim);
    }
  }
}

/// The softmax state of one query row over the keys seen so far.
struct OnlineSoftmax {
  float *acc;
  int64_t headDim;
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0.0f;

  /// Raises the running maximum to `blockMax`, rescaling what was summed.
  void raiseMax(float blockMax) {
    if (!(blockMax > max))
      return;
    if (sum > 0.0f) {
      float correction = expNonPositive(max - blockMax);
      sum *= correction;
      for (int64_t d = 0; d < headDim; ++d)
        acc[d] *= correction;
    }
    max = blockMax;
  }

  /// Turns a block's `count` raw scores into its softmax weights against
  /// the running maximum (raised first), and adds them to the sum. With a
  /// soft cap the scaled scores are squashed first (rare: Gemma 2 only, so
  /// the common path keeps its one vectorized loop).
  void weigh(float scale, float softCap, int64_t count, float *weights,
             const float *bias = nullptr) {
    if (softCap > 0.0f) {
      float inverse = 1.0f / softCap;
      for (int64_t j = 0; j < count; ++j)
        weights[j] = softCap * tanhFast(weights[j] * scale * inverse);
      scale = 1.0f;
    }
    // T5's position bias joins the scaled scores (rare: the common path
    // keeps its one loop).
    if (bias) {
      for (int64_t j = 0; j < count; ++j)
        weights[j] = weights[j] * scale + bias[j];
      scale = 1.0f;
    }
    raiseMax(scaleAndMax(scale, count, weights));
    for (int64_t j = 0; j < count; ++j)
      weights[j] = expNonPositive(weights[j] - max);
    sum += blockSum(count, weights);
  }

private:
  /// Scales the scores and returns their maximum. The maximum is kept per
  /// lane (a maximum is the same in any order), so the loop vectorizes;
  /// a reduction into one scalar would not without fast-math.
  ///
  /// The lanes are a Lanes16 local, not an array: as an array the compiler
  /// kept them in memory and split the loop into 2-lane pieces, and both
  /// this and blockSum then ended in 16 dependent scalar steps (with the
  /// exponentials, ~28% of a prefill's attention).
  static float scaleAndMax(float scale, int64_t count, float *weights) {
    Lanes16 lanes = Lanes16{} - std::numeric_limits<float>::infinity();
    int64_t j = 0;
    for (; j + kLanes <= count; j += kLanes) {
      Lanes16 scaled;
      std::memcpy(&scaled, weights + j, sizeof(scaled));
      scaled *= scale;
      std::memcpy(weights + j, &scaled, sizeof(scaled));
      lanes = lanes < scaled ? scaled : lanes;
    }
    float blockMax = -std::numeric_limits<float>::infinity();
    for (; j < count; ++j) {
      weights[j] *= scale;
      blockMax = std::max(blockMax, weights[j]);
    }
    return std::max(blockMax, foldLanes(lanes, [](auto a, auto b) {
                      return a < b ? b : a;
                    }));
  }

  /// The sum of a block's weights in kLanes partial sums, then the tail in
  /// order plus the lanes folded: one fixed order for every ISA's variant
  /// (as dotRow's), where a sum in key order is a chain of dependent adds.
  static float blockSum(int64_t count, const float *weights) {
    Lanes16 lanes = {};
    int64_t j = 0;
    for (; j + kLanes <= count; j += kLanes) {
      Lanes16 block;
      std::memcpy(&block, weights + j, sizeof(block));
      lanes += block;
    }
    float total = 0.0f;
    for (; j < count; ++j)
      total += weights[j];
    return total + foldLanes(lanes, [](auto a, auto b) { return a + b; });
  }

  /// `lanes` combined by `op` in halves (lane l with l + 8, then l + 4,
  /// l + 2, l + 1): a fixed order four operations deep.
  template <typename Op> static float foldLanes(Lanes16 lanes, Op op) {
    typedef float Lanes8 __attribute__((vector_size(32)));
    typedef float Lanes4 __attribute__((vector_size(16)));
    typedef float Lanes2 __attribute__((vector_size(8)));
    Lanes8 eight = op(__builtin_shufflevector(lanes, lanes, 0, 1, 2, 3, 4, 5,
                                              6, 7),
                      __builtin_shufflevector(lanes, lanes, 8, 9, 10, 11, 12,
                                              13, 14, 15));
    Lanes4 four = op(__builtin_shufflevector(eight, eight, 0, 1, 2, 3),
                     __builtin_shufflevector(eight, eight, 4, 5, 6, 7));
    Lanes2 two = op(__builtin_shufflevector(four, four, 0, 1),
                    __builtin_shufflevector(four, four, 2, 3));
    return op(two[0], two[1]);
  }
};

/// The position bias of a query head (row `biasRow` of
/// AttentionArgs::positionBias) for keys [block, block + count) of a query
/// at `position`, into `out`; null without a bias.
inline const float *blockBias(const AttentionArgs &args, const float *biasRow,
                              int64_t position, int64_t block, int64_t count,
                              float *out) {
  if (!biasRow)
    return nullptr;
  int64_t distance = args.maxDistance;
  for (int64_t j = 0; j < count; ++j) {
    int64_t relative =
        std::clamp(block + j - position, -distance, distance);
    out[j] = biasRow[relative + distance];
  }
  return out;
}

/// Keys of the block at position `block`: at most kKeyBlock, none past
/// `end` and, in a ring cache, none past its last row (a block's rows are
/// consecutive; the ring's wrap starts the next block at row 0).
inline int64_t blockKeys(const AttentionArgs &args, int64_t block,
                         int64_t end) {
  int64_t count = std::min(kKeyBlock, end - block);
  if (args.ringRows > 0)
    count = std::min(count, args.ringRows - block % args.ringRows);
  return count;
}

/// Byte offset of the row of the key at `position` from its head's first.
inline int64_t rowOffset(const AttentionArgs &args, int64_t position) {
  int64_t row = args.ringRows > 0 ? position % args.ringRows : position;
  return row * args.rowStride;
}

/// One query row (query `query` of head `head`) over keys [begin, end);
/// `biasRow` its head's position bias (null: none), the query at
/// `position`.
template <typename Isa, typename Rows>
void attendRow(const AttentionArgs &args, const float *q, const uint8_t *keys,
               const uint8_t *values, int64_t begin, int64_t end,
               OnlineSoftmax &state, const float *biasRow, int64_t position) {
  int64_t headDim = args.headDim;
  float weights[kKeyBlock], bias[kKeyBlock];
  for (int64_t block = begin, count; block < end; block += count) {
    count = blockKeys(args, block, end);
    const uint8_t *keyRows = keys + rowOffset(args, block);
    const uint8_t *valueRows = values + rowOffset(args, block);
    scoreKeys<Isa, Rows>(q, keyRows, args.rowStride, count, headDim, weights);
    state.weigh(args.scale, args.softCap, count, weights,
                blockBias(args, biasRow, position, block, count, bias));
    addWeightedRows<Rows>(weights, valueRows, args.rowStride, count, state.acc,
                          headDim);
  }
}

/// attendRow for two query heads of the same KV head over the same keys:
/// each key and value row is read once for both. Per head the arithmetic
/// of attendRow, in the same order.
template <typename Isa, typename Rows>
void attendTwoRows(const AttentionArgs &args, const float *q0, const float *q1,
                   const uint8_t *keys, const uint8_t *values, int64_t begin,
                   int64_t end, OnlineSoftmax &state0, OnlineSoftmax &state1,
                   const float *biasRow0, const float *biasRow1,
                   int64_t position) {
  int64_t headDim = args.headDim;
  float weights0[kKeyBlock], weights1[kKeyBlock];
  float bias0[kKeyBlock], bias1[kKeyBlock];
  for (int64_t block = begin, count; block < end; block += count) {
    count = blockKeys(args, block, end);
    const uint8_t *keyRows = keys + rowOffset(args, block);
    const uint8_t *valueRows = values + rowOffset(args, block);
    scoreKeysTwoHeads<Isa, Rows>(q0, q1, keyRows, args.rowStride, count,
                                 headDim, weights0, weights1);
    state0.weigh(args.scale, args.softCap, count, weights0,
                 blockBias(args, biasRow0, position, block, count, bias0));
    state1.weigh(args.scale, args.softCap, count, weights1,
                 blockBias(args, biasRow1, position, block, count, bias1));
    addWeightedRowsTwoHeads<Rows>(weights0, weights1, valueRows,
                                  args.rowStride, count, state0.acc,
                                  state1.acc, headDim);
  }
}

/// Query row `q` of position row `s` rotated by RoPE into `rotated`.
inline void rotateQuery(const AttentionArgs &args, int64_t s, const float *q,
                        float *rotated) {
  int64_t half = args.headDim / 2;
  const float *cos = args.ropeCos + s * args.ropeStride;
  const float *sin = args.ropeSin + s * args.ropeStride;
  // Interleaved pairs are (2j, 2j + 1), half-split pairs (j, j + half);
  // one loop each, so both vectorize (constant strides). `rotated` may be
  // `q` itself (prepareQuery's normalized row), which the compiler had to
  // assume could overlap q partly and so kept the loops scalar (~10% of a
  // prefill's attention): each vector's pairs are read before they are
  // written, so they are vectorized as if apart.
  if (args.ropePairing == 0) {
#pragma clang loop vectorize(assume_safety)
    for (int64_t j = 0; j < half; ++j) {
      float a = q[2 * j], b = q[2 * j + 1];
      rotated[2 * j] = a * cos[j] - b * sin[j];
      rotated[2 * j + 1] = a * sin[j] + b * cos[j];
    }
    return;
  }
#pragma clang loop vectorize(assume_safety)
  for (int64_t j = 0; j < half; ++j) {
    float a = q[j], b = q[j + half];
    rotated[j] = a * cos[j] - b * sin[j];
    rotated[j + half] = a * sin[j] + b * cos[j];
  }
}

/// Query row `q` RMS-normalized with `args.queryNorm` into `normalized`.
/// The sum of squares runs in lanes (vectorized); within the f32 rounding
/// of the reference's sequential sum.
inline void normalizeQuery(const AttentionArgs &args, const float *q,
                           float *normalized) {
  int64_t headDim = args.headDim;
  float lanes[kLanes] = {};
  int64_t d = 0;
  for (; d + kLanes <= headDim; d += kLanes)
    for (int64_t l = 0; l < kLanes; ++l)
      lanes[l] += q[d + l] * q[d + l];
  float sum = 0.0f;
  for (; d < headDim; ++d)
    sum += q[d] * q[d];
  for (int64_t l = 0; l < kLanes; ++l)
    sum += lanes[l];
  float inverse =
      1.0f / std::sqrt(sum / static_cast<float>(headDim) + args.normEps);
  for (d = 0; d < headDim; ++d)
    normalized[d] = q[d] * inverse * args.queryNorm[d];
}

/// Query row `q` as it is scored: normalized and rotated into `prepared`
/// when the op asks for either, else `q` itself.
inline const float *prepareQuery(const AttentionArgs &args, int64_t s,
                                 const float *q, float *prepared) {
  if (args.queryNorm) {
    normalizeQuery(args, q, prepared);
    q = prepared;
  }
  // The rotation reads each pair before it writes it: in place is safe.
  if (args.ropeCos) {
    rotateQuery(args, s, q, prepared);
    q = prepared;
  }
  return q;
}

/// The keys [begin, end) query row `s` of `task` sees: none past its own
/// position, none before its sliding window. Both ends grow with s.
inline std::pair<int64_t, int64_t>
visibleKeys(const AttentionArgs &args, const AttentionTask &task, int64_t s) {
  int64_t end = std::min(task.keyEnd, args.causalStart + s + 1);
  int64_t begin = task.keyBegin;
  if (args.window > 0)
    begin = std::max(begin, args.causalStart + s + 1 - args.window);
  return {begin, end};
}

/// Query head `head`'s row of the position bias; null without one.
inline const float *headBiasRow(const AttentionArgs &args, int64_t head) {
  if (!args.positionBias)
    return nullptr;
  return args.positionBias + head * (2 * args.maxDistance + 1);
}

/// A query's result from its state: the sums over the denominator (no
/// visible key, an empty range, leaves the zeros).
inline void normalizeResult(const OnlineSoftmax &state) {
  float inverse = state.sum > 0.0f ? 1.0f / state.sum : 0.0f;
  for (int64_t d = 0; d < state.headDim; ++d)
    state.acc[d] *= inverse;
}

/// Query rows of a task from which it goes by key blocks
/// (attendTaskByKeyBlocks): each block converted once for all of them.
constexpr int64_t kKeyBlockMinRows = 4;
/// Query heads scored together against a converted block.
constexpr int kScoredHeads = 4;

/// f(std::integral_constant<int, H>) for H = `heads`, 1 to kScoredHeads:
/// the block functions are templates on their query count.
template <typename F> void withScoredHeads(int heads, F f) {
  static_assert(kScoredHeads == 4, "a case for each count");
  switch (heads) {
  case 1:
    return f(std::integral_constant<int, 1>{});
  case 2:
    return f(std::integral_constant<int, 2>{});
  case 3:
    return f(std::integral_constant<int, 3>{});
  default:
    return f(std::integral_constant<int, 4>{});
  }
}

/// A block of keys and values as f32 for all the query rows of a task (a
/// q8 row's scale multiplied in): the keys transposed, element d of key j
/// at keys[d * kKeyBlock + j], so that 16 keys' scores are one FMA per
/// element and no horizontal sum; the values as rows (kKeyBlock x
/// head_dim floats each, in the task's workspace).
struct ConvertedBlock {
  float *keys;
  float *values;

  template <typename Rows>
  void load(const uint8_t *keyRows, const uint8_t *valueRows, int64_t stride,
            int64_t count, int64_t headDim) {
    // The keys in tiles of 16 keys x 16 elements, each transposed in
    // registers: stored one element at a time, the vectorizer's scatters
    // took 36% of the attention of a 512-token MHA prefill on AMD EPYC.
    // A short block's missing keys are zeros: scored by every query,
    // never weighed.
    for (int64_t j0 = 0; j0 < kKeyBlock; j0 += 16)
      for (int64_t d0 = 0; d0 < headDim; d0 += 16) {
        Lanes16 tile[16];
        for (int64_t r = 0; r < 16; ++r) {
          float row[16] = {};
          if (j0 + r < count) {
            const uint8_t *key = keyRows + (j0 + r) * stride;
            float scale = Rows::rowScale(key, headDim);
            for (int64_t l = 0; l < 16; ++l)
              row[l] = Rows::load(key, d0 + l) * scale;
          }
          std::memcpy(&tile[r], row, sizeof(row));
        }
        transpose16(tile);
        for (int64_t r = 0; r < 16; ++r)
          std::memcpy(keys + (d0 + r) * kKeyBlock + j0, &tile[r],
                      sizeof(tile[r]));
      }
    for (int64_t j = 0; j < count; ++j) {
      const uint8_t *value = valueRows + j * stride;
      float scale = Rows::rowScale(value, headDim);
      for (int64_t d = 0; d < headDim; ++d)
        values[j * headDim + d] = Rows::load(value, d) * scale;
    }
  }

private:
  /// Rows i and i + 8 interleaved, low halves into row 2i and high halves
  /// into row 2i + 1: on the bits (row, column) of an element a rotation by
  /// one, so four rounds transpose the 16 x 16 tile.
  static void transpose16(Lanes16 (&tile)[16]) {
    for (int round = 0; round < 4; ++round) {
      Lanes16 next[16];
      for (int i = 0; i < 8; ++i) {
        next[2 * i] = __builtin_shufflevector(tile[i], tile[i + 8], 0, 16, 1,
                                              17, 2, 18, 3, 19, 4, 20, 5, 21,
                                              6, 22, 7, 23);
        next[2 * i + 1] = __builtin_shufflevector(
            tile[i], tile[i + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29,
            14, 30, 15, 31);
      }
      std::memcpy(tile, next, sizeof(next));
    }
  }
};

/// scores[h][j] = q[h] . key j of a converted block, for `Heads` queries
/// and all kKeyBlock keys: per element, each query's broadcast times the
/// keys' 4 vectors, loaded once for all the queries. One or two queries
/// sum even and odd elements apart, so that 8 chains cover the FMA
/// latency.
template <int Heads>
void scoreConvertedBlock(const float *const *q, const float *keys,
                         int64_t headDim, float (*scores)[kKeyBlock]) {
  constexpr int kVectors = kKeyBlock / 16;
  constexpr int kParts = Heads <= 2 ? 2 : 1;
  Lanes16 sums[kParts][Heads][kVectors] = {};
  for (int64_t d = 0; d < headDim; d += kParts)
    for (int part = 0; part < kParts; ++part) {
      Lanes16 lanes[kVectors];
      std::memcpy(lanes, keys + (d + part) * kKeyBlock, sizeof(lanes));
      for (int h = 0; h < Heads; ++h) {
        Lanes16 element = Lanes16{} + q[h][d + part];
        for (int v = 0; v < kVectors; ++v)
          sums[part][h][v] += element * lanes[v];
      }
    }
  for (int h = 0; h < Heads; ++h) {
    if constexpr (kParts == 2)
      for (int v = 0; v < kVectors; ++v)
        sums[0][h][v] += sums[1][h][v];
    std::memcpy(scores[h], sums[0][h], sizeof(sums[0][h]));
  }
}

/// acc[h][d] += sum over j < count of weights[h][j] * values[j][d] (rows
/// of headDim floats) for `Heads` queries, `Vectors` x 16 elements from
/// d0: those accumulators stay in registers over the rows, each row's
/// vectors loaded once for all the queries. Per element the sum runs over
/// j in order, as addWeightedRows'.
template <int Heads, int Vectors>
void addWeightedConverted(const float *const *weights, const float *values,
                          int64_t headDim, int64_t count, float *const *acc,
                          int64_t d0) {
  Lanes16 sums[Heads][Vectors];
  for (int h = 0; h < Heads; ++h)
    std::memcpy(sums[h], acc[h] + d0, sizeof(sums[h]));
  for (int64_t j = 0; j < count; ++j) {
    Lanes16 row[Vectors];
    std::memcpy(row, values + j * headDim + d0, sizeof(row));
    for (int h = 0; h < Heads; ++h) {
      Lanes16 weight = Lanes16{} + weights[h][j];
      for (int v = 0; v < Vectors; ++v)
        sums[h][v] += weight * row[v];
    }
  }
  for (int h = 0; h < Heads; ++h)
    std::memcpy(acc[h] + d0, sums[h], sizeof(sums[h]));
}

/// addWeightedConverted over the whole head: 64 elements a pass, then 16.
template <int Heads>
void addWeightedConverted(const float *const *weights, const float *values,
                          int64_t headDim, int64_t count, float *const *acc) {
  int64_t d = 0;
  for (; d + 64 <= headDim; d += 64)
    addWeightedConverted<Heads, 4>(weights, values, headDim, count, acc, d);
  for (; d < headDim; d += 16)
    addWeightedConverted<Heads, 1>(weights, values, headDim, count, acc, d);
}

/// One query of a task's key-block pass: its softmax state and the keys of
/// the block it sees, [skip, skip + count) of the block's.
struct BlockQuery {
  OnlineSoftmax *state;
  const float *q;
  const float *biasRow;
  int64_t position;
  int64_t skip;
  int64_t count;
};

/// Up to kScoredHeads queries over a converted block (its keys from
/// `blockStart`): scored together, each weighed over its own keys (its
/// weights elsewhere 0, which adds nothing to a sum), and the values added
/// over the keys any of them sees.
inline void attendConvertedBlock(const AttentionArgs &args,
                                 const ConvertedBlock &block,
                                 int64_t blockStart,
                                 const BlockQuery *queries, int heads) {
  const float *q[kScoredHeads];
  float *weights[kScoredHeads], *acc[kScoredHeads];
  float scores[kScoredHeads][kKeyBlock], bias[kKeyBlock];
  int64_t first = kKeyBlock, last = 0;
  for (int h = 0; h < heads; ++h) {
    q[h] = queries[h].q;
    first = std::min(first, queries[h].skip);
    last = std::max(last, queries[h].skip + queries[h].count);
  }
  withScoredHeads(heads, [&](auto count) {
    scoreConvertedBlock<decltype(count)::value>(q, block.keys, args.headDim,
                                                scores);
  });
  for (int h = 0; h < heads; ++h) {
    const BlockQuery &query = queries[h];
    float *own = scores[h] + query.skip;
    query.state->weigh(args.scale, args.softCap, query.count, own,
                       blockBias(args, query.biasRow, query.position,
                                 blockStart + query.skip, query.count, bias));
    std::fill(scores[h] + first, own, 0.0f);
    std::fill(own + query.count, scores[h] + last, 0.0f);
    weights[h] = scores[h] + first;
    acc[h] = query.state->acc;
  }
  const float *values = block.values + first * args.headDim;
  int64_t count = last - first;
  withScoredHeads(heads, [&](auto scored) {
    addWeightedConverted<decltype(scored)::value>(weights, values,
                                                  args.headDim, count, acc);
  });
}

/// A prefill task by key blocks: each block of keys and values converted
/// once (ConvertedBlock) and then attended by every query row of the task
/// that sees any of it, kScoredHeads queries (heads of a row, then of the
/// next rows) at a time, each query's online softmax kept across blocks.
/// Per query the arithmetic of attendRow but the order of a score's sum
/// (element by element rather than in 16 lanes). False (nothing done)
/// when its workspace cannot be allocated.
template <typename Rows>
bool attendTaskByKeyBlocks(const AttentionArgs &args,
                           const AttentionTask &task) {
  int64_t headDim = args.headDim, group = args.group;
  const uint8_t *keys = args.keys + task.kvHead * args.headStride;
  const uint8_t *values = args.values + task.kvHead * args.headStride;
  // One workspace for the task (the model's library links no C++ runtime,
  // and a thread-local block this size overflows a dlopened library's
  // static TLS): the converted block, the prepared queries, their states.
  int64_t queries = (task.queryEnd - task.queryBegin) * group;
  size_t blockFloats = size_t(2 * kKeyBlock * headDim);
  size_t bytes = (blockFloats + size_t(queries * headDim)) * sizeof(float) +
                 size_t(queries) * sizeof(OnlineSoftmax);
  auto *workspace = static_cast<float *>(std::malloc(bytes));
  if (!workspace)
    return false;
  ConvertedBlock block{workspace, workspace + kKeyBlock * headDim};
  float *prepared = workspace + blockFloats;
  auto *states = reinterpret_cast<OnlineSoftmax *>(prepared + queries * headDim);
  for (int64_t s = task.queryBegin, index = 0; s < task.queryEnd; ++s)
    for (int64_t g = 0; g < group; ++g, ++index) {
      int64_t head = task.kvHead * group + g;
      const float *q = args.q + s * args.qStride + head * headDim;
      float *query = prepared + index * headDim;
      if (const float *ready = prepareQuery(args, s, q, query); ready != query)
        std::copy(ready, ready + headDim, query);
      float *acc = args.out + s * args.outStride + head * headDim;
      std::fill(acc, acc + headDim, 0.0f);
      new (states + index) OnlineSoftmax{acc, headDim};
    }
  // Both ends of the keys a row sees grow with the row.
  int64_t last = visibleKeys(args, task, task.queryEnd - 1).second;
  for (int64_t first = visibleKeys(args, task, task.queryBegin).first, count;
       first < last;
       first += count) {
    count = blockKeys(args, first, last);
    block.load<Rows>(keys + rowOffset(args, first),
                     values + rowOffset(args, first), args.rowStride, count,
                     headDim);
    BlockQuery pending[kScoredHeads];
    int queued = 0;
    for (int64_t s = task.queryBegin; s < task.queryEnd; ++s) {
      auto [rowBegin, rowEnd] = visibleKeys(args, task, s);
      int64_t begin = std::max(rowBegin, first);
      int64_t end = std::min(rowEnd, first + count);
      if (begin >= end)
        continue;
      for (int64_t g = 0; g < group; ++g) {
        int64_t index = (s - task.queryBegin) * group + g;
        pending[queued++] = {&states[index], prepared + index * headDim,
                             headBiasRow(args, task.kvHead * group + g),
                             args.biasQueryStart + s, begin - first,
                             end - begin};
        if (queued == kScoredHeads) {
          attendConvertedBlock(args, block, first, pending, queued);
          queued = 0;
        }
      }
    }
    if (queued)
      attendConvertedBlock(args, block, first, pending, queued);
  }
  for (int64_t index = 0; index < queries; ++index)
    normalizeResult(states[index]);
  std::free(workspace);
  return true;
}

template <typename Isa, typename Rows>
void attendTask(const AttentionArgs &args, const AttentionTask &task) {
  if (!task.partials && task.queryEnd - task.queryBegin >= kKeyBlockMinRows &&
      args.headDim % kLanes == 0 && attendTaskByKeyBlocks<Rows>(args, task))
    return;
  int64_t headDim = args.headDim;
  const uint8_t *keys = args.keys + task.kvHead * args.headStride;
  const uint8_t *values = args.values + task.kvHead * args.headStride;
  for (int64_t s = task.queryBegin; s < task.queryEnd; ++s) {
    auto [begin, end] = visibleKeys(args, task, s);
    // Query head g of the group: its (normalized, rotated) query and
    // accumulator.
    auto query = [&](int64_t g, float *prepared) {
      return prepareQuery(args, s,
                          args.q + s * args.qStride +
                              (task.kvHead * args.group + g) * headDim,
                          prepared);
    };
    auto accumulator = [&](int64_t g) {
      int64_t head = task.kvHead * args.group + g;
      float *acc = task.partials
                       ? task.partials + s * task.partialStride +
                             head * (headDim + 2)
                       : args.out + s * args.outStride + head * headDim;
      std::fill(acc, acc + headDim, 0.0f);
      return OnlineSoftmax{acc, headDim};
    };
    auto finish = [&](const OnlineSoftmax &state) {
      if (task.partials) {
        state.acc[headDim] = state.max;
        state.acc[headDim + 1] = state.sum;
        return;
      }
      normalizeResult(state);
    };
    auto biasRow = [&](int64_t g) {
      return headBiasRow(args, task.kvHead * args.group + g);
    };
    int64_t position = args.biasQueryStart + s;
    float prepared0[TFM_ATTENTION_MAX_ROPE_HEAD_DIM];
    float prepared1[TFM_ATTENTION_MAX_ROPE_HEAD_DIM];
    int64_t g = 0;
    // Two query heads at a time share every key and value row they read.
    for (; g + 2 <= args.group; g += 2) {
      const float *q0 = query(g, prepared0), *q1 = query(g + 1, prepared1);
      OnlineSoftmax state0 = accumulator(g), state1 = accumulator(g + 1);
      attendTwoRows<Isa, Rows>(args, q0, q1, keys, values, begin, end,
                               state0, state1, biasRow(g), biasRow(g + 1),
                               position);
      finish(state0);
      finish(state1);
    }
    for (; g < args.group; ++g) {
      const float *q = query(g, prepared0);
      OnlineSoftmax state = accumulator(g);
      attendRow<Isa, Rows>(args, q, keys, values, begin, end, state,
                           biasRow(g), position);
      finish(state);
    }
  }
}

/// `Isa` supplies what differs between the variants: `loadHalf` (one f16
/// element to f32) and, with `kScoresEightKeys`, `scoreEightKeys<Rows>`.
template <typename Isa>
void attentionFor(const AttentionArgs &args, const AttentionTask &task) {
  switch (args.element) {
  case TFM_KV_F16:
    return attendTask<Isa, F16Rows<Isa>>(args, task);
  case TFM_KV_Q8:
    return attendTask<Isa, Q8Rows>(args, task);
  case TFM_KV_BF16:
    return attendTask<Isa, BF16Rows>(args, task);
  default:
    return attendTask<Isa, F32Rows>(args, task);
  }
}

} // namespace
} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_ATTENTIONKERNEL_H
