//===- ReferenceModel.cpp - plain C++ decoder forward passes --------------===//

#include "tfm/Reference/ReferenceModel.h"

#include "tfm/Import/Dequantize.h"

#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cmath>

using namespace mlir::tfm;

namespace {

using Vector = std::vector<float>;

/// out[r] = sum_c w[r, c] * x[c] for a row-major `rows x x.size()` matrix.
/// Large matrices' rows on all cores (each row's sum in the same order
/// whatever the threads: the results do not depend on them).
void matvec(const Vector &w, const Vector &x, Vector &out, int64_t rows) {
  int64_t columns = x.size();
  out.assign(rows, 0.0f);
  auto row = [&](int64_t r) {
    // Four partial sums: independent chains instead of one add waiting on
    // the last (the pass runs ~4x faster; the result moves ~1e-16).
    const float *weights = &w[r * columns];
    double partial[4] = {0.0, 0.0, 0.0, 0.0};
    int64_t c = 0;
    for (; c + 4 <= columns; c += 4)
      for (int p = 0; p < 4; ++p)
        partial[p] += double(weights[c + p]) * x[c + p];
    for (; c < columns; ++c)
      partial[0] += double(weights[c]) * x[c];
    out[r] = float((partial[0] + partial[1]) + (partial[2] + partial[3]));
  };
  // Below ~a million multiply-adds a task costs more than it saves.
  if (rows * columns < (int64_t(1) << 20)) {
    for (int64_t r = 0; r < rows; ++r)
      row(r);
    return;
  }
  llvm::parallelFor(0, rows, row);
}

void rmsNorm(const Vector &x, const Vector &w, double eps, Vector &out) {
  double squares = 0.0;
  for (float v : x)
    squares += double(v) * v;
  double scale = 1.0 / std::sqrt(squares / x.size() + eps);
  out.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = float(x[i] * scale * w[i]);
}

/// (x - mean) / sqrt(var + eps) * w + b, over the features of `x`.
void layerNorm(const Vector &x, const Vector &w, const Vector &b, double eps,
               Vector &out) {
  double mean = 0.0, variance = 0.0;
  for (float v : x)
    mean += v;
  mean /= double(x.size());
  for (float v : x)
    variance += (v - mean) * (v - mean);
  double scale = 1.0 / std::sqrt(variance / double(x.size()) + eps);
  out.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = float((x[i] - mean) * scale * w[i] + b[i]);
}

/// `matvec` plus a bias: out = w x + b.
void affine(const Vector &w, const Vector &b, const Vector &x, Vector &out) {
  matvec(w, x, out, int64_t(b.size()));
  for (size_t i = 0; i < b.size(); ++i)
    out[i] += b[i];
}

/// GPT-2's GELU, the tanh approximation.
float geluTanh(float x) {
  double v = x;
  return float(0.5 * v *
               (1.0 + std::tanh(std::sqrt(2.0 / M_PI) *
                                (v + 0.044715 * v * v * v))));
}

/// Rotates the first `rotary` features of each head of `x` for `pos`.
void rope(Vector &x, int64_t headDim, int64_t rotary, double theta,
          bool interleaved, int64_t pos) {
  int64_t heads = x.size() / headDim;
  for (int64_t h = 0; h < heads; ++h) {
    float *head = x.data() + h * headDim;
    for (int64_t j = 0; j < rotary / 2; ++j) {
      double angle = pos * std::pow(theta, -2.0 * j / rotary);
      int64_t a = interleaved ? 2 * j : j;
      int64_t b = interleaved ? 2 * j + 1 : j + rotary / 2;
      double x0 = head[a], x1 = head[b];
      head[a] = float(x0 * std::cos(angle) - x1 * std::sin(angle));
      head[b] = float(x0 * std::sin(angle) + x1 * std::cos(angle));
    }
  }
}

/// "blk.<layer>.<name>.weight".
std::string layerWeightName(int64_t layer, const char *name) {
  return "blk." + std::to_string(layer) + "." + name + ".weight";
}

} // namespace

llvm::Expected<ReferenceModel>
ReferenceModel::create(const ModelFile &model, int64_t contextLength) {
  ReferenceModel reference;
  reference.config = model.config;
  reference.contextLimit =
      contextLength > 0 ? contextLength : model.config.contextLength;
  for (const TensorView &view : model.tensors()) {
    Vector values(view.numElements());
    if (!dequantize(view.type, view.data, values))
      return llvm::createStringError("cannot decode " + view.name);
    reference.weights[view.name] = std::move(values);
  }
  const auto &c = reference.config;
  size_t cacheSize = size_t(c.numLayers) * reference.contextLimit *
                     c.numKvHeads * c.headDim();
  reference.keys.assign(cacheSize, 0.0f);
  reference.values.assign(cacheSize, 0.0f);
  return reference;
}

const Vector &ReferenceModel::weight(const std::string &name) const {
  auto it = weights.find(name);
  if (it == weights.end()) {
    llvm::errs() << "reference: missing tensor " << name << "\n";
    std::abort();
  }
  return it->second;
}

const Vector &ReferenceModel::layerWeight(int64_t layer,
                                          const char *name) const {
  return weight(layerWeightName(layer, name));
}

const Vector &ReferenceModel::layerBias(int64_t layer, const char *name) const {
  return weight("blk." + std::to_string(layer) + "." + name + ".bias");
}

void ReferenceModel::observe(std::initializer_list<std::string> weights,
                             const Vector &input) {
  if (inputObserver)
    inputObserver(llvm::ArrayRef<std::string>(weights.begin(), weights.end()),
                  input);
}

void ReferenceModel::attend(int64_t layer, const Vector &q, const Vector &k,
                            const Vector &v, Vector &attended) {
  const auto &c = config;
  int64_t headDim = c.headDim(), kvDim = c.numKvHeads * headDim;
  int64_t group = c.numHeads / c.numKvHeads;
  float *layerKeys = keys.data() + layer * contextLimit * kvDim;
  float *layerValues = values.data() + layer * contextLimit * kvDim;
  std::copy(k.begin(), k.end(), layerKeys + pos * kvDim);
  std::copy(v.begin(), v.end(), layerValues + pos * kvDim);
  attended.assign(c.numHeads * headDim, 0.0f);
  double scale = 1.0 / std::sqrt(double(headDim));
  for (int64_t h = 0; h < c.numHeads; ++h) {
    int64_t kvHead = h / group;
    std::vector<double> scores(pos + 1);
    for (int64_t t = 0; t <= pos; ++t) {
      double dot = 0.0;
      for (int64_t d = 0; d < headDim; ++d)
        dot += double(q[h * headDim + d]) *
               layerKeys[t * kvDim + kvHead * headDim + d];
      scores[t] = dot * scale;
    }
    double maximum = *std::max_element(scores.begin(), scores.end());
    double sum = 0.0;
    for (double &s : scores)
      sum += (s = std::exp(s - maximum));
    for (int64_t d = 0; d < headDim; ++d) {
      double out = 0.0;
      for (int64_t t = 0; t <= pos; ++t)
        out += scores[t] / sum * layerValues[t * kvDim + kvHead * headDim + d];
      attended[h * headDim + d] = float(out);
    }
  }
}

void ReferenceModel::observeAttentionInput(int64_t layer, const Vector &input) {
  observe({layerWeightName(layer, "attn_q"), layerWeightName(layer, "attn_k"),
           layerWeightName(layer, "attn_v")},
          input);
}

/// x += attn(rms_norm(x)) with RoPE; x += down(silu(gate(h)) * up(h)).
void ReferenceModel::llamaLayer(int64_t layer, Vector &x) {
  const auto &c = config;
  int64_t dim = c.dim, headDim = c.headDim(), kvDim = c.numKvHeads * headDim;
  int64_t rotary = c.rotaryDim > 0 ? c.rotaryDim : headDim;
  Vector normed, q, k, v, attended, projected, gate, up, down;
  rmsNorm(x, layerWeight(layer, "attn_norm"), c.normEps, normed);
  observeAttentionInput(layer, normed);
  matvec(layerWeight(layer, "attn_q"), normed, q, dim);
  matvec(layerWeight(layer, "attn_k"), normed, k, kvDim);
  matvec(layerWeight(layer, "attn_v"), normed, v, kvDim);
  rope(q, headDim, rotary, c.ropeTheta, c.ropeInterleaved, pos);
  rope(k, headDim, rotary, c.ropeTheta, c.ropeInterleaved, pos);
  attend(layer, q, k, v, attended);
  observe({layerWeightName(layer, "attn_output")}, attended);
  matvec(layerWeight(layer, "attn_output"), attended, projected, dim);
  for (int64_t i = 0; i < dim; ++i)
    x[i] += projected[i];

  rmsNorm(x, layerWeight(layer, "ffn_norm"), c.normEps, normed);
  observe({layerWeightName(layer, "ffn_gate"), layerWeightName(layer, "ffn_up")},
          normed);
  matvec(layerWeight(layer, "ffn_gate"), normed, gate, c.hiddenDim);
  matvec(layerWeight(layer, "ffn_up"), normed, up, c.hiddenDim);
  for (int64_t i = 0; i < c.hiddenDim; ++i)
    gate[i] = float(gate[i] / (1.0 + std::exp(-double(gate[i]))) * up[i]);
  observe({layerWeightName(layer, "ffn_down")}, gate);
  matvec(layerWeight(layer, "ffn_down"), gate, down, dim);
  for (int64_t i = 0; i < dim; ++i)
    x[i] += down[i];
}

/// x += attn(layer_norm(x)); x += down(gelu(up(layer_norm(x)))), with
/// biases on every projection.
void ReferenceModel::gpt2Layer(int64_t layer, Vector &x) {
  const auto &c = config;
  Vector normed, q, k, v, attended, projected, up, down;
  auto project = [&](const char *name, const Vector &input, Vector &out) {
    affine(layerWeight(layer, name), layerBias(layer, name), input, out);
  };
  layerNorm(x, layerWeight(layer, "attn_norm"), layerBias(layer, "attn_norm"),
            c.normEps, normed);
  observeAttentionInput(layer, normed);
  project("attn_q", normed, q);
  project("attn_k", normed, k);
  project("attn_v", normed, v);
  attend(layer, q, k, v, attended);
  observe({layerWeightName(layer, "attn_output")}, attended);
  project("attn_output", attended, projected);
  for (int64_t i = 0; i < c.dim; ++i)
    x[i] += projected[i];

  layerNorm(x, layerWeight(layer, "ffn_norm"), layerBias(layer, "ffn_norm"),
            c.normEps, normed);
  observe({layerWeightName(layer, "ffn_up")}, normed);
  project("ffn_up", normed, up);
  for (float &value : up)
    value = geluTanh(value);
  observe({layerWeightName(layer, "ffn_down")}, up);
  project("ffn_down", up, down);
  for (int64_t i = 0; i < c.dim; ++i)
    x[i] += down[i];
}

const Vector &ReferenceModel::forward(int32_t token) {
  const auto &c = config;
  int64_t dim = c.dim;
  bool gpt2 = c.arch == ModelArch::GPT2;
  const Vector &embedding = weight("token_embd.weight");
  Vector x(embedding.begin() + int64_t(token) * dim,
           embedding.begin() + int64_t(token + 1) * dim);
  if (gpt2) {
    const Vector &positions = weight("position_embd.weight");
    for (int64_t i = 0; i < dim; ++i)
      x[i] += positions[pos * dim + i];
  }
  for (int64_t layer = 0; layer < c.numLayers; ++layer) {
    if (gpt2)
      gpt2Layer(layer, x);
    else
      llamaLayer(layer, x);
  }
  Vector normed;
  if (gpt2)
    layerNorm(x, weight("output_norm.weight"), weight("output_norm.bias"),
              c.normEps, normed);
  else
    rmsNorm(x, weight("output_norm.weight"), c.normEps, normed);
  std::string outputName =
      c.tiedEmbeddings ? "token_embd.weight" : "output.weight";
  observe({outputName}, normed);
  matvec(weight(outputName), normed, logits, c.vocabSize);
  ++pos;
  return logits;
}
