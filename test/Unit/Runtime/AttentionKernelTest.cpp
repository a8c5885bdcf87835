//===- AttentionKernelTest.cpp - the fused attention kernel ---------------===//
//
// Random queries attend over a random KV cache layer with every element type
// (f32, f16, q8 rows with their scale) and every variant the host can run.
// The reference is a two-pass softmax in double over the values the kernel
// reads (f16-rounded, q8-dequantized); the kernel must match it whether it
// runs over all keys at once or as flash-decoding splits merged by
// tfm_attention_combine, with a causal start and a head size that is not a
// multiple of the vector width.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "tfm/Import/Dequantize.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
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
  std::vector<float> q;
  std::vector<uint8_t> keys, values;
  /// What the kernel reads, as f32: [kvHeads][tokens][headDim].
  std::vector<float> keyValues, valueValues;

  explicit Problem(int32_t element) : element(element) {
    rowBytes = element == TFM_KV_F32   ? headDim * 4
               : element == TFM_KV_F16 ? headDim * 2
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
    if (element == TFM_KV_F16) {
      for (int64_t d = 0; d < headDim; ++d) {
        uint16_t bits = mlir::tfm::floatToHalf(row[d]);
        std::memcpy(out + 2 * d, &bits, 2);
        read[d] = mlir::tfm::halfToFloat(bits);
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

  AttentionArgs args(float *out) const {
    int64_t heads = kvHeads * group;
    return {element,       q.data(),          heads * headDim,
            keys.data(),   values.data(),     context * rowBytes,
            rowBytes,      group,             headDim,
            scale,         start,             out,
            heads * headDim};
  }

  /// out[s, h, :] by a two-pass softmax in double.
  std::vector<float> reference() const {
    int64_t heads = kvHeads * group;
    std::vector<float> out(seq * heads * headDim);
    for (int64_t s = 0; s < seq; ++s)
      for (int64_t h = 0; h < heads; ++h) {
        int64_t kv = h / group, visible = start + s + 1;
        const float *query = &q[(s * heads + h) * headDim];
        std::vector<double> scores(visible);
        double max = -INFINITY, sum = 0.0;
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0.0;
          for (int64_t d = 0; d < headDim; ++d)
            dot += double(query[d]) * keyValues[(kv * tokens + j) * headDim + d];
          scores[j] = scale * dot;
          max = std::max(max, scores[j]);
        }
        for (double &score : scores)
          sum += score = std::exp(score - max);
        for (int64_t d = 0; d < headDim; ++d) {
          double acc = 0.0;
          for (int64_t j = 0; j < visible; ++j)
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

class AttentionKernelTest : public testing::TestWithParam<int32_t> {
protected:
  void check(AttentionKernel kernel) {
    Problem problem(GetParam());
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

std::string elementName(const testing::TestParamInfo<int32_t> &info) {
  switch (info.param) {
  case TFM_KV_F16:
    return "f16";
  case TFM_KV_Q8:
    return "q8";
  default:
    return "f32";
  }
}

INSTANTIATE_TEST_SUITE_P(Elements, AttentionKernelTest,
                         testing::Values(TFM_KV_F32, TFM_KV_F16, TFM_KV_Q8),
                         elementName);

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
  int64_t heads = problem.kvHeads * problem.group;
  std::vector<float> out(problem.seq * heads * problem.headDim);
  for (int64_t h = 0; h < problem.kvHeads; ++h)
    tfm_attention(problem.element, problem.q.data(), heads * problem.headDim,
                  problem.keys.data(), problem.values.data(),
                  problem.context * problem.rowBytes, problem.rowBytes,
                  problem.group, problem.headDim, problem.scale, problem.start,
                  h, 0, problem.seq, 0, problem.tokens, out.data(),
                  heads * problem.headDim, nullptr, 0);
  expectNear(out, expected, std::string("variant ").append(tfm_kernel_isa()).c_str());
}

} // namespace
