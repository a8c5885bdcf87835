//===- AttentionKernelTest.cpp - the fused attention kernel ---------------===//
//
// Random queries attend over a random KV cache layer with every element type
// (f32, f16, q8 rows with their scale) and every variant the host can run.
// The reference is a two-pass softmax in double over the values the kernel
// reads (f16-rounded, q8-dequantized); the kernel must match it whether it
// runs over all keys at once or as flash-decoding splits merged by
// tfm_attention_combine, with a causal start and a head size that is not a
// multiple of the vector width (20, 112, 160) or is (64).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "tfm/Quantization/Dequantize.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace tfm::kernels;

namespace {

using AttentionKernel = void (*)(const AttentionArgs &, const AttentionTask &);

/// One layer of a cache in the runtime's layout, plus what it holds as f32.
struct Problem {
  int32_t element;
  int64_t kvHeads = 2, group = 3, headDim = 20, start = 70, seq = 3;
  int64_t tokens = start + seq, context = 80;
  int64_t rowBytes = 0;
  float scale = 0.3f;
  /// Sliding window (0: none) and score soft cap (0: none).
  int64_t window = 0;
  float softCap = 0.0f;
  /// Rows of a ring cache (0: none); see useRing.
  int64_t ringRows = 0;
  /// T5's position bias (empty: none): [heads][2 * maxDistance + 1], the
  /// queries at biasQueryStart + s.
  std::vector<float> positionBias;
  int64_t biasQueryStart = 0, maxDistance = 0;

  /// A random bias of each head and distance up to `distance`.
  void usePositionBias(int64_t distance, int64_t queryStart) {
    maxDistance = distance;
    biasQueryStart = queryStart;
    std::mt19937 random(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    positionBias.resize(kvHeads * group * (2 * distance + 1));
    for (float &x : positionBias)
      x = normal(random);
  }

  /// The bias of query s and key j of head h.
  double biasOf(int64_t h, int64_t s, int64_t j) const {
    if (positionBias.empty())
      return 0.0;
    int64_t relative = std::clamp(j - biasQueryStart - s, -maxDistance,
                                  maxDistance);
    return positionBias[h * (2 * maxDistance + 1) + relative + maxDistance];
  }
  std::vector<float> q;
  std::vector<uint8_t> keys, values;
  /// What the kernel reads, as f32: [kvHeads][tokens][headDim].
  std::vector<float> keyValues, valueValues;
  /// RoPE of the queries: pairing (-1: none) and cos/sin [seq][headDim/2].
  int32_t ropePairing = -1;
  std::vector<float> ropeCos, ropeSin;

  /// Rotates the queries with RoPE (theta 10000) at positions start + s.
  void useRope(int32_t pairing) {
    ropePairing = pairing;
    int64_t half = headDim / 2;
    ropeCos.resize(seq * half);
    ropeSin.resize(seq * half);
    for (int64_t s = 0; s < seq; ++s)
      for (int64_t j = 0; j < half; ++j) {
        double angle = double(start + s) * std::pow(10000.0, -2.0 * j / headDim);
        ropeCos[s * half + j] = float(std::cos(angle));
        ropeSin[s * half + j] = float(std::sin(angle));
      }
  }

  /// The q norm of Qwen 3 / Gemma 3 (empty: none): a [headDim] weight.
  std::vector<float> queryNorm;
  float normEps = 1e-6f;

  /// RMS-normalizes each query head with a random weight.
  void useQueryNorm() {
    std::mt19937 random(13);
    std::normal_distribution<float> normal(1.0f, 0.5f);
    queryNorm.resize(headDim);
    for (float &x : queryNorm)
      x = normal(random);
  }

  /// Query row of token s and head h as the kernel should score it:
  /// normalized, then rotated.
  std::vector<double> query(int64_t s, int64_t h) const {
    int64_t heads = kvHeads * group, half = headDim / 2;
    const float *row = &q[(s * heads + h) * headDim];
    std::vector<double> in(row, row + headDim);
    if (!queryNorm.empty()) {
      double squares = 0.0;
      for (double x : in)
        squares += x * x;
      double inverse = 1.0 / std::sqrt(squares / double(headDim) + normEps);
      for (int64_t d = 0; d < headDim; ++d)
        in[d] *= inverse * queryNorm[d];
    }
    std::vector<double> out = in;
    if (ropePairing < 0)
      return out;
    for (int64_t j = 0; j < half; ++j) {
      int64_t a = ropePairing == 0 ? 2 * j : j;
      int64_t b = ropePairing == 0 ? 2 * j + 1 : j + half;
      double c = ropeCos[s * half + j], sn = ropeSin[s * half + j];
      out[a] = in[a] * c - in[b] * sn;
      out[b] = in[a] * sn + in[b] * c;
    }
    return out;
  }

  /// `seq` queries at the end of the 73 positions.
  explicit Problem(int32_t element, int64_t headDim = 20, int64_t group = 3,
                   int64_t seq = 3)
      : element(element), group(group), headDim(headDim), start(73 - seq),
        seq(seq) {
    rowBytes = element == TFM_KV_F32                               ? headDim * 4
               : element == TFM_KV_F16 || element == TFM_KV_BF16 ? headDim * 2
                                                                 : headDim + 4;
    std::mt19937 random(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    int64_t heads = kvHeads * group;
    q.resize(seq * heads * headDim);
    for (float &x : q)
      x = normal(random);
    fill(keys, keyValues, random);
    fill(values, valueValues, random);
  }

  void fill(std::vector<uint8_t> &bytes, std::vector<float> &read,
            std::mt19937 &random) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    bytes.assign(kvHeads * context * rowBytes, 0);
    read.assign(kvHeads * tokens * headDim, 0.0f);
    for (int64_t h = 0; h < kvHeads; ++h)
      for (int64_t t = 0; t < tokens; ++t) {
        std::vector<float> row(headDim);
        for (float &x : row)
          x = normal(random);
        storeRow(row, bytes.data() + (h * context + t) * rowBytes,
                 read.data() + (h * tokens + t) * headDim);
      }
  }

  /// Writes `row` in the element type; `read` receives its stored value.
  void storeRow(const std::vector<float> &row, uint8_t *out, float *read) {
    if (element == TFM_KV_F32) {
      std::memcpy(out, row.data(), headDim * 4);
      std::copy(row.begin(), row.end(), read);
      return;
    }
    if (element == TFM_KV_F16 || element == TFM_KV_BF16) {
      bool bf16 = element == TFM_KV_BF16;
      for (int64_t d = 0; d < headDim; ++d) {
        uint16_t bits = bf16 ? mlir::tfm::floatToBfloat16(row[d])
                             : mlir::tfm::floatToHalf(row[d]);
        std::memcpy(out + 2 * d, &bits, 2);
        read[d] = bf16 ? mlir::tfm::bfloat16ToFloat(bits)
                       : mlir::tfm::halfToFloat(bits);
      }
      return;
    }
    float absMax = 0.0f;
    for (float x : row)
      absMax = std::max(absMax, std::fabs(x));
    float rowScale = absMax / 127.0f;
    for (int64_t d = 0; d < headDim; ++d) {
      auto value = static_cast<int8_t>(std::nearbyint(row[d] / rowScale));
      out[d] = static_cast<uint8_t>(value);
      read[d] = float(value) * rowScale;
    }
    std::memcpy(out + headDim, &rowScale, 4);
  }

  /// Keeps the rows as a ring cache of `rows` rows holds them once every
  /// position was written: position t in row t mod rows, the older
  /// positions overwritten (a kernel reading one gets a wrong result).
  void useRing(int64_t rows) {
    ASSERT_GE(tokens, rows);
    for (std::vector<uint8_t> *bytes : {&keys, &values}) {
      std::vector<uint8_t> ring(kvHeads * rows * rowBytes);
      for (int64_t h = 0; h < kvHeads; ++h)
        for (int64_t t = tokens - rows; t < tokens; ++t)
          std::memcpy(&ring[(h * rows + t % rows) * rowBytes],
                      &(*bytes)[(h * context + t) * rowBytes], rowBytes);
      *bytes = std::move(ring);
    }
    context = rows;
    ringRows = rows;
  }

  AttentionArgs args(float *out) const {
    int64_t heads = kvHeads * group;
    return {element,       q.data(),          heads * headDim,
            keys.data(),   values.data(),     context * rowBytes,
            rowBytes,      group,             headDim,
            scale,         start,             out,
            heads * headDim,
            ropePairing < 0 ? nullptr : ropeCos.data(),
            ropePairing < 0 ? nullptr : ropeSin.data(),
            headDim / 2,   ropePairing,       window,
            softCap,
            positionBias.empty() ? nullptr : positionBias.data(),
            biasQueryStart, maxDistance,
            queryNorm.empty() ? nullptr : queryNorm.data(), normEps,
            ringRows};
  }

  /// out[s, h, :] by a two-pass softmax in double.
  std::vector<float> reference() const {
    int64_t heads = kvHeads * group;
    std::vector<float> out(seq * heads * headDim);
    for (int64_t s = 0; s < seq; ++s)
      for (int64_t h = 0; h < heads; ++h) {
        int64_t kv = h / group, visible = start + s + 1;
        int64_t first = window > 0 ? std::max<int64_t>(0, visible - window) : 0;
        std::vector<double> query = this->query(s, h);
        std::vector<double> scores(visible, 0.0);
        double max = -INFINITY, sum = 0.0;
        for (int64_t j = first; j < visible; ++j) {
          double dot = 0.0;
          for (int64_t d = 0; d < headDim; ++d)
            dot += query[d] * keyValues[(kv * tokens + j) * headDim + d];
          scores[j] = scale * dot;
          if (softCap > 0.0f)
            scores[j] = softCap * std::tanh(scores[j] / softCap);
          scores[j] += biasOf(h, s, j);
          max = std::max(max, scores[j]);
        }
        for (int64_t j = first; j < visible; ++j)
          sum += scores[j] = std::exp(scores[j] - max);
        for (int64_t d = 0; d < headDim; ++d) {
          double acc = 0.0;
          for (int64_t j = first; j < visible; ++j)
            acc += scores[j] * valueValues[(kv * tokens + j) * headDim + d];
          out[(s * heads + h) * headDim + d] = float(acc / sum);
        }
      }
    return out;
  }

  /// Prefill form: one task per KV head over all queries and keys.
  std::vector<float> runWhole(AttentionKernel kernel) const {
    std::vector<float> out(seq * kvHeads * group * headDim, -1.0f);
    AttentionArgs a = args(out.data());
    for (int64_t h = 0; h < kvHeads; ++h)
      kernel(a, {h, 0, seq, 0, tokens, nullptr, 0});
    return out;
  }

  /// Through the C entry point (the variant the dispatch chooses), in
  /// tasks of `rows` query rows (0: all in one).
  std::vector<float> runDispatched(int64_t rows = 0) const {
    int64_t heads = kvHeads * group;
    std::vector<float> out(seq * heads * headDim, -1.0f);
    bool rope = ropePairing >= 0;
    if (rows == 0)
      rows = seq;
    for (int64_t h = 0; h < kvHeads; ++h)
      for (int64_t begin = 0; begin < seq; begin += rows)
        tfm_attention(element, q.data(), heads * headDim, keys.data(),
                      values.data(), context * rowBytes, rowBytes, group,
                      headDim, scale, start, h, begin,
                      std::min(begin + rows, seq), 0, tokens, out.data(),
                      heads * headDim, nullptr, 0,
                      rope ? ropeCos.data() : nullptr,
                      rope ? ropeSin.data() : nullptr, headDim / 2,
                      rope ? ropePairing : 0, window, softCap,
                      positionBias.empty() ? nullptr : positionBias.data(),
                      biasQueryStart, maxDistance,
                      queryNorm.empty() ? nullptr : queryNorm.data(), normEps,
                      ringRows);
    return out;
  }

  /// Prefill form in tasks of `rows` query rows a KV head, as a compiled
  /// model cuts a prompt (kKeyBlockMinRows or more: by key blocks).
  std::vector<float> runTasks(AttentionKernel kernel, int64_t rows) const {
    std::vector<float> out(seq * kvHeads * group * headDim, -1.0f);
    AttentionArgs a = args(out.data());
    for (int64_t h = 0; h < kvHeads; ++h)
      for (int64_t begin = 0; begin < seq; begin += rows)
        kernel(a, {h, begin, std::min(begin + rows, seq), 0, tokens, nullptr,
                   0});
    return out;
  }

  /// Flash-decoding form: `splits` key ranges (some empty), then combine.
  std::vector<float> runSplit(AttentionKernel kernel, int64_t splits) const {
    int64_t heads = kvHeads * group;
    std::vector<float> out(seq * heads * headDim, -1.0f);
    int64_t partialStride = heads * (headDim + 2);
    int64_t splitStride = seq * partialStride;
    std::vector<float> partials(splits * splitStride, NAN);
    AttentionArgs a = args(out.data());
    int64_t chunk = (tokens + splits - 1) / splits;
    for (int64_t h = 0; h < kvHeads; ++h)
      for (int64_t c = 0; c < splits; ++c) {
        int64_t begin = std::min(c * chunk, tokens);
        int64_t end = std::min(begin + chunk, tokens);
        kernel(a, {h, 0, seq, begin, end, partials.data() + c * splitStride,
                   partialStride});
      }
    tfm_attention_combine(partials.data(), splits, splitStride, seq, heads,
                          headDim, out.data(), heads * headDim);
    return out;
  }
};

void expectNear(const std::vector<float> &actual,
                const std::vector<float> &expected, const char *what) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], 1e-5f * (1.0f + std::fabs(expected[i])))
        << what << ", element " << i;
}

/// Element type and head size: 20 takes the one-key-at-a-time paths (not a
/// multiple of 8), 64 the eight-key scoring where a variant has it; 73 keys
/// and the ranges below leave keys over in every block of eight.
class AttentionKernelTest
    : public testing::TestWithParam<std::tuple<int32_t, int64_t>> {
protected:
  void check(AttentionKernel kernel) {
    Problem problem(std::get<0>(GetParam()), std::get<1>(GetParam()));
    std::vector<float> expected = problem.reference();
    expectNear(problem.runWhole(kernel), expected, "all keys at once");
    // 73 keys in 4 ranges of 19; in 16 ranges of 5 (the last ones empty);
    // a range covering everything.
    for (int64_t splits : {4, 16, 1})
      expectNear(problem.runSplit(kernel, splits), expected, "split keys");
  }
};

TEST_P(AttentionKernelTest, GenericMatchesReference) { check(attentionGeneric); }

TEST_P(AttentionKernelTest, Avx2MatchesReference) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("f16c"))
    GTEST_SKIP() << "no AVX2 on this CPU";
  check(attentionAvx2);
}

TEST_P(AttentionKernelTest, Avx512MatchesReference) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  check(attentionAvx512);
}

std::string elementName(int32_t element) {
  switch (element) {
  case TFM_KV_F16:
    return "f16";
  case TFM_KV_Q8:
    return "q8";
  case TFM_KV_BF16:
    return "bf16";
  default:
    return "f32";
  }
}

std::string problemName(
    const testing::TestParamInfo<std::tuple<int32_t, int64_t>> &info) {
  return elementName(std::get<0>(info.param)) + "_head" +
         std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    Elements, AttentionKernelTest,
    testing::Combine(testing::Values(TFM_KV_F32, TFM_KV_F16, TFM_KV_Q8,
                                     TFM_KV_BF16),
                     testing::Values(int64_t(20), int64_t(64), int64_t(112),
                                     int64_t(160))),
    problemName);

TEST(AttentionKernelEdgeTest, NoVisibleKeyGivesZeros) {
  // Query 0 with start 0 sees key 0 only; a task over keys [1, 2) sees none.
  Problem problem(TFM_KV_F32);
  problem.start = 0;
  std::vector<float> out(problem.seq * problem.kvHeads * problem.group *
                             problem.headDim,
                         -1.0f);
  AttentionArgs a = problem.args(out.data());
  attentionGeneric(a, {0, 0, 1, 1, 2, nullptr, 0});
  for (int64_t d = 0; d < problem.group * problem.headDim; ++d)
    EXPECT_EQ(out[d], 0.0f) << "element " << d;
}

TEST(AttentionKernelEdgeTest, DispatchRunsTheChosenVariant) {
  Problem problem(TFM_KV_F16);
  std::vector<float> expected = problem.reference();
  std::vector<float> out = problem.runDispatched();
  expectNear(out, expected, std::string("variant ").append(tfm_kernel_isa()).c_str());
}

/// `expected` from the generic kernel whole and split, the dispatched
/// variant and, where the CPU runs it, the AVX2 one.
void expectEveryVariant(const Problem &problem,
                        const std::vector<float> &expected,
                        const std::string &name) {
  expectNear(problem.runWhole(attentionGeneric), expected,
             (name + ", generic").c_str());
  expectNear(problem.runSplit(attentionGeneric, 4), expected,
             (name + ", generic, split").c_str());
  expectNear(problem.runDispatched(), expected,
             (name + ", dispatched").c_str());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c"))
    expectNear(problem.runWhole(attentionAvx2), expected,
               (name + ", avx2").c_str());
}

/// expectEveryVariant against the double reference.
void expectGenericAndDispatched(const Problem &problem,
                                const std::string &name) {
  expectEveryVariant(problem, problem.reference(), name);
}

TEST(AttentionKernelEdgeTest, AttendsAWideGroupOfHeads) {
  // 10 query heads per KV head (the other cases have 3), with RoPE.
  for (int32_t element : {TFM_KV_F32, TFM_KV_F16}) {
    Problem problem(element, 64, 10);
    problem.useRope(1);
    expectGenericAndDispatched(problem, elementName(element));
  }
}

TEST(AttentionKernelEdgeTest, RotatesQueriesWithRope) {
  // Both pairings, whole and split, on the generic and the chosen variant.
  for (int32_t pairing : {0, 1}) {
    Problem problem(TFM_KV_F32);
    problem.useRope(pairing);
    std::vector<float> expected = problem.reference();
    expectNear(problem.runWhole(attentionGeneric), expected, "rope, generic");
    expectNear(problem.runSplit(attentionGeneric, 4), expected,
               "rope, generic, split");
    Problem plain(TFM_KV_F32);
    std::vector<float> unrotated = plain.reference();
    EXPECT_GT(std::fabs(unrotated[5] - expected[5]), 1e-4f)
        << "the rotation must change the result";
    std::vector<float> out = problem.runDispatched();
    expectNear(out, expected, "rope, dispatched");
  }
}

TEST(AttentionKernelEdgeTest, NormalizesQueryHeads) {
  // Qwen 3's q norm, alone and before either rotation, on heads of 128
  // (Qwen 3's), 20 and 64 elements; whole, split, every variant this CPU
  // runs.
  struct Case {
    int64_t headDim;
    int32_t pairing;
  };
  for (Case c : {Case{128, 1}, Case{20, -1}, Case{64, 0}}) {
    for (int32_t element : {TFM_KV_F32, TFM_KV_F16}) {
      Problem problem(element, c.headDim, 2);
      if (c.pairing >= 0)
        problem.useRope(c.pairing);
      std::vector<float> unnormalized = problem.reference();
      problem.useQueryNorm();
      std::vector<float> expected = problem.reference();
      EXPECT_GT(std::fabs(unnormalized[5] - expected[5]), 1e-4f)
          << "the norm must change the result";
      std::string name = elementName(element) + ", head " +
                         std::to_string(c.headDim) + ", pairing " +
                         std::to_string(c.pairing);
      expectEveryVariant(problem, expected, name);
    }
  }
}

TEST(AttentionKernelEdgeTest, SlidingWindowAndSoftCap) {
  // A window shorter than the visible keys, a soft cap that bites (scores
  // of random unit rows reach several times 2), and both; whole and split,
  // every variant this CPU runs.
  struct Case {
    int64_t window;
    float softCap;
  };
  for (Case c : {Case{7, 0.0f}, Case{0, 2.0f}, Case{16, 1.5f}}) {
    Problem problem(TFM_KV_F32);
    problem.window = c.window;
    problem.softCap = c.softCap;
    std::vector<float> expected = problem.reference();
    Problem plain(TFM_KV_F32);
    EXPECT_GT(std::fabs(plain.reference()[5] - expected[5]), 1e-4f)
        << "window " << c.window << " / cap " << c.softCap
        << " must change the result";
    expectNear(problem.runWhole(attentionGeneric), expected, "generic");
    expectNear(problem.runSplit(attentionGeneric, 4), expected,
               "generic, split");
    expectNear(problem.runDispatched(), expected, "dispatched");
  }
}

TEST(AttentionKernelEdgeTest, ReadsARingCache) {
  // The sliding layers' ring: 73 positions in 18 rows (a window of 16 and
  // 3 queries), so the keys of the first query's window wrap from the last
  // row to row 0 inside one 64-key block; every element type, whole and
  // split (ranges starting before the window), every variant this CPU
  // runs.
  for (int32_t element : {TFM_KV_F32, TFM_KV_F16, TFM_KV_BF16, TFM_KV_Q8}) {
    Problem problem(element, 64, 2);
    problem.window = 16;
    problem.useRope(1);
    std::vector<float> expected = problem.reference();
    problem.useRing(18);
    std::string name = elementName(element) + ", ring";
    expectEveryVariant(problem, expected, name);
  }
}

} // namespace

TEST(AttentionKernelEdgeTest, AddsThePositionBias) {
  // T5's relative position bias: causal over the cache (queries at the
  // cache's start) with distances clamped at 16 of the 73 keys, and every
  // key visible with the queries at positions 30.. (an encoder's rows).
  for (int32_t element : {TFM_KV_F32, TFM_KV_F16}) {
    Problem problem(element, 64, 2);
    problem.usePositionBias(16, problem.start);
    std::string name = elementName(element);
    expectGenericAndDispatched(problem, name);
    problem.usePositionBias(8, 30);
    std::vector<float> expected = problem.reference();
    expectNear(problem.runDispatched(), expected,
               (name + ", other query positions").c_str());
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c"))
      expectNear(problem.runWhole(attentionAvx2), expected,
                 (name + ", avx2").c_str());
  }
}

namespace {

/// A prompt's rows: 40 queries over 73 positions (the first at 33), in one
/// task of all 40 rows and in tasks of 16 (both by key blocks where the
/// head is a multiple of 16 elements: every block converted once for the
/// task's rows, 4 queries scored together, spanning rows) and of 3 (one
/// row at a time); heads of 20 (one row at a time always), 64, 112, 160.
class AttentionPrefillTest
    : public testing::TestWithParam<std::tuple<int32_t, int64_t>> {
protected:
  void check(AttentionKernel kernel) {
    Problem problem(std::get<0>(GetParam()), std::get<1>(GetParam()), 3, 40);
    std::vector<float> expected = problem.reference();
    for (int64_t rows : {40, 16, 3})
      expectNear(problem.runTasks(kernel, rows), expected,
                 ("tasks of " + std::to_string(rows) + " rows").c_str());
  }
};

TEST_P(AttentionPrefillTest, GenericMatchesReference) {
  check(attentionGeneric);
}

TEST_P(AttentionPrefillTest, Avx2MatchesReference) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("f16c"))
    GTEST_SKIP() << "no AVX2 and F16C on this CPU";
  check(attentionAvx2);
}

TEST_P(AttentionPrefillTest, Avx512MatchesReference) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  check(attentionAvx512);
}

INSTANTIATE_TEST_SUITE_P(
    Elements, AttentionPrefillTest,
    testing::Combine(testing::Values(TFM_KV_F32, TFM_KV_F16, TFM_KV_Q8,
                                     TFM_KV_BF16),
                     testing::Values(int64_t(20), int64_t(64), int64_t(112),
                                     int64_t(160))),
    problemName);

/// `problem`'s prompt in tasks of 16 rows on the generic kernel and the
/// dispatched variant against the double reference.
void expectPrefillTasks(const Problem &problem, const std::string &name) {
  std::vector<float> expected = problem.reference();
  expectNear(problem.runTasks(attentionGeneric, 16), expected,
             (name + ", generic").c_str());
  expectNear(problem.runDispatched(16), expected,
             (name + ", dispatched").c_str());
}

TEST(AttentionPrefillEdgeTest, WindowSoftCapAndRope) {
  // Each row's window starts inside a block where the previous rows' did
  // not; the cap and the rotation on top.
  for (int32_t element : {TFM_KV_F32, TFM_KV_F16}) {
    Problem problem(element, 64, 3, 40);
    problem.window = 16;
    problem.softCap = 1.5f;
    problem.useRope(1);
    expectPrefillTasks(problem, elementName(element));
  }
}

TEST(AttentionPrefillEdgeTest, ReadsARingCache) {
  // A ring of window + 40 - 1 rows holds the whole prompt's windows; the
  // positions wrap from its last row to row 0 inside a block.
  for (int32_t element : {TFM_KV_F32, TFM_KV_F16, TFM_KV_BF16, TFM_KV_Q8}) {
    Problem problem(element, 64, 2, 40);
    problem.window = 16;
    problem.useRope(0);
    std::vector<float> expected = problem.reference();
    problem.useRing(55);
    expectPrefillTasks(problem, elementName(element) + ", ring");
  }
}

TEST(AttentionPrefillEdgeTest, AddsThePositionBias) {
  // Causal with the queries at their positions, and an encoder's rows
  // (every key visible, queries at 30..); with a window, each row's keys
  // start inside a block (their bias is of their own distances).
  for (int32_t element : {TFM_KV_F32, TFM_KV_F16}) {
    Problem problem(element, 64, 2, 40);
    problem.usePositionBias(16, problem.start);
    expectPrefillTasks(problem, elementName(element) + ", causal bias");
    problem.usePositionBias(8, 30);
    expectPrefillTasks(problem, elementName(element) + ", shifted bias");
    problem.window = 20;
    expectPrefillTasks(problem, elementName(element) + ", bias and window");
  }
}

TEST(AttentionPrefillEdgeTest, GroupsOfOneToTenHeads) {
  // MHA (one head a row: 4 rows scored together), Qwen 3's q norm on heads
  // of 128, and 10 heads a KV head (4 + 4 + 2 a row, the last two with the
  // next row's first two).
  Problem mha(TFM_KV_F16, 64, 1, 40);
  mha.useRope(1);
  expectPrefillTasks(mha, "one head");
  Problem normed(TFM_KV_F32, 128, 2, 40);
  normed.useRope(1);
  normed.useQueryNorm();
  expectPrefillTasks(normed, "query norm");
  Problem wide(TFM_KV_F32, 64, 10, 40);
  wide.useRope(0);
  expectPrefillTasks(wide, "ten heads");
}

} // namespace
