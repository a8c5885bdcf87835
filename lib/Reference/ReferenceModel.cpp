//===- ReferenceModel.cpp - plain C++ decoder forward passes --------------===//

#include "tfm/Reference/ReferenceModel.h"

#include "tfm/Model/RelativePosition.h"
#include "tfm/Quantization/Dequantize.h"

#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cmath>

using namespace mlir::tfm;

namespace {

using Vector = std::vector<float>;

/// Positions of a sequence, each its own vector.
using Batch = std::vector<Vector>;

/// outs[t][r] = sum_c w[r, c] * inputs[t][c] for a row-major `rows x
/// columns` matrix: each row's sum in four partial sums (independent
/// chains instead of one add waiting on the last: the pass runs ~4x
/// faster; the result moves ~1e-16), in the same order whatever the
/// threads and however many positions come at once, so the results depend
/// on neither. Positions go kPositionsPerPass at a time past each row, so
/// a sequence reads the matrix once per pass rather than once per
/// position; large matrices' rows on all cores.
void matmat(const Vector &w, const Batch &inputs, Batch &outs, int64_t rows) {
  constexpr size_t kPositionsPerPass = 16;
  outs.resize(inputs.size());
  for (Vector &out : outs)
    out.assign(rows, 0.0f);
  if (inputs.empty())
    return;
  int64_t columns = inputs.front().size();
  for (size_t t0 = 0; t0 < inputs.size(); t0 += kPositionsPerPass) {
    size_t t1 = std::min(inputs.size(), t0 + kPositionsPerPass);
    auto row = [&](int64_t r) {
      const float *weights = &w[r * columns];
      for (size_t t = t0; t < t1; ++t) {
        const Vector &x = inputs[t];
        double partial[4] = {0.0, 0.0, 0.0, 0.0};
        int64_t c = 0;
        for (; c + 4 <= columns; c += 4)
          for (int p = 0; p < 4; ++p)
            partial[p] += double(weights[c + p]) * x[c + p];
        for (; c < columns; ++c)
          partial[0] += double(weights[c]) * x[c];
        outs[t][r] =
            float((partial[0] + partial[1]) + (partial[2] + partial[3]));
      }
    };
    // Below ~a million multiply-adds a task costs more than it saves.
    if (rows * columns * int64_t(t1 - t0) < (int64_t(1) << 20)) {
      for (int64_t r = 0; r < rows; ++r)
        row(r);
      continue;
    }
    llvm::parallelFor(0, rows, row);
  }
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

/// `matmat` plus a bias: out = w x + b at every position.
void affine(const Vector &w, const Vector &b, const Batch &xs, Batch &outs) {
  matmat(w, xs, outs, int64_t(b.size()));
  for (Vector &out : outs)
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

/// Rotates the first `rotary` features of each head of `x` for `pos` with
/// the pair frequencies of `layer`.
void rope(Vector &x, const ModelConfig &c, int64_t layer, int64_t pos) {
  int64_t headDim = c.headDim(), rotary = c.rotaryDims();
  bool interleaved = c.layer.ropeInterleaved;
  int64_t heads = x.size() / headDim;
  for (int64_t h = 0; h < heads; ++h) {
    float *head = x.data() + h * headDim;
    for (int64_t j = 0; j < rotary / 2; ++j) {
      double angle = pos * c.ropeFrequencyOfLayer(layer, j);
      double cos = std::cos(angle), sin = std::sin(angle);
      int64_t a = interleaved ? 2 * j : j;
      int64_t b = interleaved ? 2 * j + 1 : j + rotary / 2;
      double x0 = head[a], x1 = head[b];
      head[a] = float(x0 * cos - x1 * sin);
      head[b] = float(x0 * sin + x1 * cos);
    }
  }
}

float activate(ActivationKind kind, float x) {
  double v = x;
  switch (kind) {
  case ActivationKind::SiLU:
    return float(v / (1.0 + std::exp(-v)));
  case ActivationKind::GELU:
    return float(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  case ActivationKind::GELUTanh:
    return geluTanh(x);
  case ActivationKind::ReLU:
    return x > 0.0f ? x : 0.0f;
  }
  return x;
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
  // As importModel compiles it: what depends on the context (LongRoPE's
  // factors) follows the context served.
  reference.config.contextLength = reference.contextLimit;
  for (const TensorView &view : model.tensors()) {
    Vector values(view.numElements());
    if (!dequantize(view.type, view.data, values))
      return llvm::createStringError("cannot decode " + view.name);
    reference.weights[view.name] = std::move(values);
  }
  const auto &c = reference.config;
  // An encoder attends within the text it is given: no cache. An
  // encoder-decoder's cache is its decoder's.
  int64_t cachedLayers = c.family == ModelFamily::EncoderDecoder
                             ? c.decoderLayers()
                             : c.numLayers;
  size_t cacheSize = c.isDecoder() ? size_t(cachedLayers) *
                                         reference.contextLimit *
                                         c.numKvHeads * c.headDim()
                                   : 0;
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
                             const Batch &inputs) {
  if (!inputObserver)
    return;
  llvm::ArrayRef<std::string> names(weights.begin(), weights.end());
  for (const Vector &input : inputs)
    inputObserver(names, input);
}

void ReferenceModel::attend(int64_t layer, const Batch &qs, const Batch &ks,
                            const Batch &vs, Batch &attended,
                            const Vector *causalBias) {
  const auto &c = config;
  int64_t kvDim = c.numKvHeads * c.headDim();
  float *layerKeys = keys.data() + layer * contextLimit * kvDim;
  float *layerValues = values.data() + layer * contextLimit * kvDim;
  for (size_t t = 0; t < ks.size(); ++t) {
    std::copy(ks[t].begin(), ks[t].end(), layerKeys + (pos + t) * kvDim);
    std::copy(vs[t].begin(), vs[t].end(), layerValues + (pos + t) * kvDim);
  }
  attended.resize(qs.size());
  for (size_t t = 0; t < qs.size(); ++t) {
    // Causal: position pos + t sees the cache up to itself (and in a
    // sliding layer, only the window's last positions).
    int64_t last = pos + int64_t(t);
    int64_t first = c.isSlidingLayer(layer)
                        ? std::max<int64_t>(0, last + 1 - c.slidingWindow)
                        : 0;
    RelativeBias bias{causalBias, last, /*bidirectional=*/false};
    attendRange(qs[t], layerKeys, layerValues, first, last, attended[t],
                causalBias ? &bias : nullptr);
  }
}

/// Every head of `q` over the keys and values (rows of kv_heads x
/// head_dim) at positions [first, last], into `out`.
void ReferenceModel::attendRange(const Vector &q, const float *layerKeys,
                                 const float *layerValues, int64_t first,
                                 int64_t last, Vector &out,
                                 const RelativeBias *bias) const {
  const auto &c = config;
  int64_t headDim = c.headDim(), kvDim = c.numKvHeads * headDim;
  int64_t group = c.numHeads / c.numKvHeads;
  double scale = c.scoreScale();
  out.assign(c.numHeads * headDim, 0.0f);
  for (int64_t h = 0; h < c.numHeads; ++h) {
    int64_t kvHead = h / group;
    // scores[p - first] for the visible positions p.
    std::vector<double> scores(last + 1 - first);
    for (int64_t p = first; p <= last; ++p) {
      double dot = 0.0;
      for (int64_t d = 0; d < headDim; ++d)
        dot += double(q[h * headDim + d]) *
               layerKeys[p * kvDim + kvHead * headDim + d];
      double score = dot * scale;
      if (c.attentionSoftCap > 0.0)
        score = c.attentionSoftCap * std::tanh(score / c.attentionSoftCap);
      if (bias)
        score += (*bias->table)[relativePositionBucket(
                                    p - bias->queryPosition,
                                    c.relativeBuckets, bias->bidirectional) *
                                    c.numHeads +
                                h];
      scores[p - first] = score;
    }
    double maximum = *std::max_element(scores.begin(), scores.end());
    double sum = 0.0;
    for (double &score : scores)
      sum += (score = std::exp(score - maximum));
    for (int64_t d = 0; d < headDim; ++d) {
      double value = 0.0;
      for (int64_t p = first; p <= last; ++p)
        value += scores[p - first] / sum *
                 layerValues[p * kvDim + kvHead * headDim + d];
      out[h * headDim + d] = float(value);
    }
  }
}

void ReferenceModel::observeAttentionInput(int64_t layer,
                                           const Batch &inputs) {
  observe({layerWeightName(layer, "attn_q"), layerWeightName(layer, "attn_k"),
           layerWeightName(layer, "attn_v")},
          inputs);
}

/// The norm of `config.layer` of every position of `xs` with the weights
/// (and bias) `name`.
void ReferenceModel::normalize(const std::string &name, const Batch &xs,
                               Batch &out) const {
  const LayerChoices &choices = config.layer;
  out.resize(xs.size());
  for (size_t t = 0; t < xs.size(); ++t) {
    if (choices.norm == NormKind::RMSNorm)
      rmsNorm(xs[t], weight(name + ".weight"), config.normEps, out[t]);
    else
      layerNorm(xs[t], weight(name + ".weight"),
                choices.normBias ? weight(name + ".bias")
                                 : Vector(xs[t].size(), 0.0f),
                config.normEps, out[t]);
  }
}

/// `w x (+ b)` at every position for the layer's matrix `name`.
void ReferenceModel::project(int64_t layer, const char *name, bool withBias,
                             const Batch &inputs, Batch &outs) const {
  const Vector &w = layerWeight(layer, name);
  if (withBias) {
    affine(w, layerBias(layer, name), inputs, outs);
    return;
  }
  int64_t columns = inputs.empty() ? 1 : int64_t(inputs.front().size());
  matmat(w, inputs, outs, int64_t(w.size()) / columns);
}

/// RMSNorm of each head of every position with the `[head_dim]` weight
/// `name` (Qwen 3's and Gemma 3's q/k norm).
void ReferenceModel::normalizeHeads(int64_t layer, const char *name,
                                    Batch &xs) const {
  const Vector &w = layerWeight(layer, name);
  int64_t headDim = config.headDim();
  Vector head, normed;
  for (Vector &x : xs)
    for (size_t h = 0; h + headDim <= x.size(); h += headDim) {
      head.assign(x.begin() + h, x.begin() + h + headDim);
      rmsNorm(head, w, config.normEps, normed);
      std::copy(normed.begin(), normed.end(), x.begin() + h);
    }
}

/// One decoder layer as `config.layer` describes it:
///   x += post_norm?(attn(norm(x)));  x += post_norm?(ffn(norm(x)))
void ReferenceModel::decoderLayer(int64_t layer, Batch &xs) {
  const auto &c = config;
  const LayerChoices &choices = c.layer;
  std::string blk = "blk." + std::to_string(layer) + ".";
  size_t positions = xs.size();
  Batch normed, q, k, v, attended, projected, gate, up, down;
  auto addInto = [&](Batch &residual, const Batch &delta) {
    for (size_t t = 0; t < positions; ++t)
      for (int64_t i = 0; i < c.dim; ++i)
        residual[t][i] += delta[t][i];
  };

  normalize(blk + "attn_norm", xs, normed);
  observeAttentionInput(layer, normed);
  project(layer, "attn_q", choices.qkvBias, normed, q);
  project(layer, "attn_k", choices.qkvBias, normed, k);
  project(layer, "attn_v", choices.qkvBias, normed, v);
  if (choices.qkNorm) {
    normalizeHeads(layer, "attn_q_norm", q);
    normalizeHeads(layer, "attn_k_norm", k);
  }
  if (choices.positions == PositionKind::Rope)
    for (size_t t = 0; t < positions; ++t) {
      rope(q[t], c, layer, pos + t);
      rope(k[t], c, layer, pos + t);
    }
  attend(layer, q, k, v, attended);
  observe({layerWeightName(layer, "attn_output")}, attended);
  project(layer, "attn_output", choices.outputBias, attended, projected);
  if (choices.postAttentionNorm)
    normalize(blk + "post_attention_norm", Batch(projected), projected);
  addInto(xs, projected);

  normalize(blk + "ffn_norm", xs, normed);
  if (choices.feedForward == FeedForwardKind::Gated) {
    observe({layerWeightName(layer, "ffn_gate"),
             layerWeightName(layer, "ffn_up")},
            normed);
    project(layer, "ffn_gate", choices.feedForwardBias, normed, gate);
    project(layer, "ffn_up", choices.feedForwardBias, normed, up);
    for (size_t t = 0; t < positions; ++t)
      for (int64_t i = 0; i < c.hiddenDim; ++i)
        gate[t][i] = activate(choices.activation, gate[t][i]) * up[t][i];
  } else {
    observe({layerWeightName(layer, "ffn_up")}, normed);
    project(layer, "ffn_up", choices.feedForwardBias, normed, gate);
    for (Vector &position : gate)
      for (float &value : position)
        value = activate(choices.activation, value);
  }
  observe({layerWeightName(layer, "ffn_down")}, gate);
  project(layer, "ffn_down", choices.feedForwardBias, gate, down);
  if (choices.postFeedForwardNorm)
    normalize(blk + "post_ffw_norm", Batch(down), down);
  addInto(xs, down);
}

const std::vector<float> &ReferenceModel::forward(int32_t token) {
  return forwardSequence(token);
}

const std::vector<float> &
ReferenceModel::forwardSequence(llvm::ArrayRef<int32_t> tokens) {
  const auto &c = config;
  int64_t dim = c.dim;
  if (tokens.empty())
    return logits;
  if (pos + int64_t(tokens.size()) > contextLimit) {
    llvm::errs() << "reference: " << tokens.size() << " tokens at position "
                 << pos << " exceed the context of " << contextLimit << "\n";
    std::abort();
  }
  const Vector &embedding = weight("token_embd.weight");
  Batch xs;
  for (int32_t token : tokens)
    xs.emplace_back(embedding.begin() + int64_t(token) * dim,
                    embedding.begin() + int64_t(token + 1) * dim);
  if (c.family == ModelFamily::EncoderDecoder) {
    if (sourceLength == 0) {
      llvm::errs() << "reference: an encoder-decoder decodes after "
                      "encodeSource\n";
      std::abort();
    }
    for (int64_t layer = 0; layer < c.decoderLayers(); ++layer)
      seq2seqDecoderLayer(layer, xs);
    return seq2seqLogits(xs);
  }
  if (c.layer.scaleEmbeddings) {
    // In f32, as the compiled model and llama.cpp multiply.
    float scale = float(std::sqrt(double(dim)));
    for (Vector &x : xs)
      for (float &value : x)
        value *= scale;
  }
  if (c.layer.positions == PositionKind::Learned) {
    const Vector &positions = weight("position_embd.weight");
    for (size_t t = 0; t < xs.size(); ++t)
      for (int64_t i = 0; i < dim; ++i)
        xs[t][i] += positions[(pos + t) * dim + i];
  }
  for (int64_t layer = 0; layer < c.numLayers; ++layer)
    decoderLayer(layer, xs);
  Batch normed;
  normalize("output_norm", xs, normed);
  std::string outputName =
      c.tiedEmbeddings ? "token_embd.weight" : "output.weight";
  observe({outputName}, normed);
  // Only the last position's logits are returned: the others' would cost
  // a vocabulary-sized product each.
  Batch last(1, std::move(normed.back())), lastLogits;
  matmat(weight(outputName), last, lastLogits, c.vocabSize);
  logits = std::move(lastLogits.front());
  if (c.finalLogitSoftCap > 0.0)
    for (float &logit : logits)
      logit = float(c.finalLogitSoftCap *
                    std::tanh(double(logit) / c.finalLogitSoftCap));
  pos += int64_t(tokens.size());
  return logits;
}

/// One BERT layer, post-norm: x = norm(x + attn(x)); x = norm(x + ffn(x)),
/// every position attending to every position of the text.
void ReferenceModel::encoderLayer(int64_t layer, Batch &xs) const {
  const auto &c = config;
  std::string blk = "blk." + std::to_string(layer) + ".";
  size_t positions = xs.size();
  Batch q, k, v, attended, projected, up, down;
  project(layer, "attn_q", true, xs, q);
  project(layer, "attn_k", true, xs, k);
  project(layer, "attn_v", true, xs, v);
  Vector keyRows, valueRows;
  for (size_t t = 0; t < positions; ++t) {
    keyRows.insert(keyRows.end(), k[t].begin(), k[t].end());
    valueRows.insert(valueRows.end(), v[t].begin(), v[t].end());
  }
  attended.resize(positions);
  for (size_t t = 0; t < positions; ++t)
    attendRange(q[t], keyRows.data(), valueRows.data(), 0,
                int64_t(positions) - 1, attended[t]);
  project(layer, "attn_output", true, attended, projected);
  auto addInto = [&](Batch &residual, const Batch &delta) {
    for (size_t t = 0; t < positions; ++t)
      for (int64_t i = 0; i < c.dim; ++i)
        residual[t][i] += delta[t][i];
  };
  addInto(xs, projected);
  normalize(blk + "attn_output_norm", Batch(xs), xs);
  project(layer, "ffn_up", true, xs, up);
  for (Vector &position : up)
    for (float &value : position)
      value = activate(c.layer.activation, value);
  project(layer, "ffn_down", true, up, down);
  addInto(xs, down);
  normalize(blk + "layer_output_norm", Batch(xs), xs);
}

std::vector<std::vector<float>>
ReferenceModel::encode(llvm::ArrayRef<int32_t> tokens,
                       llvm::ArrayRef<int32_t> tokenTypes) const {
  const auto &c = config;
  int64_t dim = c.dim;
  const Vector &embedding = weight("token_embd.weight");
  const Vector &positions = weight("position_embd.weight");
  Batch xs;
  for (auto [t, token] : llvm::enumerate(tokens)) {
    Vector x(embedding.begin() + int64_t(token) * dim,
             embedding.begin() + int64_t(token + 1) * dim);
    for (int64_t i = 0; i < dim; ++i)
      x[i] += positions[int64_t(t) * dim + i];
    if (c.tokenTypes > 0) {
      const Vector &types = weight("token_types.weight");
      int64_t type = tokenTypes.empty() ? 0 : tokenTypes[t];
      for (int64_t i = 0; i < dim; ++i)
        x[i] += types[type * dim + i];
    }
    xs.push_back(std::move(x));
  }
  normalize("token_embd_norm", Batch(xs), xs);
  for (int64_t layer = 0; layer < c.numLayers; ++layer)
    encoderLayer(layer, xs);
  return xs;
}

//===----------------------------------------------------------------------===//
// T5
//===----------------------------------------------------------------------===//

namespace {

/// `name` under T5's encoder or decoder layer prefix ("enc.blk.3.").
std::string seq2seqName(const std::string &blk, const char *name) {
  return blk + name + ".weight";
}

void addInto(Batch &residual, const Batch &delta) {
  for (size_t t = 0; t < residual.size(); ++t)
    for (size_t i = 0; i < residual[t].size(); ++i)
      residual[t][i] += delta[t][i];
}

/// Rows of `batch` one after the other.
Vector rowsOf(const Batch &batch) {
  Vector rows;
  for (const Vector &row : batch)
    rows.insert(rows.end(), row.begin(), row.end());
  return rows;
}

} // namespace

void ReferenceModel::seq2seqFeedForward(const std::string &blk,
                                        Batch &xs) const {
  const auto &c = config;
  Batch normed, up, gate, down;
  normalize(blk + "ffn_norm", xs, normed);
  matmat(weight(seq2seqName(blk, "ffn_up")), normed, up, c.hiddenDim);
  if (c.layer.feedForward == FeedForwardKind::Gated) {
    matmat(weight(seq2seqName(blk, "ffn_gate")), normed, gate, c.hiddenDim);
    for (size_t t = 0; t < xs.size(); ++t)
      for (int64_t i = 0; i < c.hiddenDim; ++i)
        up[t][i] = activate(c.layer.activation, gate[t][i]) * up[t][i];
  } else {
    for (Vector &position : up)
      for (float &value : position)
        value = activate(c.layer.activation, value);
  }
  matmat(weight(seq2seqName(blk, "ffn_down")), up, down, c.dim);
  addInto(xs, down);
}

void ReferenceModel::seq2seqEncoderLayer(int64_t layer, Batch &xs) const {
  const auto &c = config;
  std::string blk = "enc.blk." + std::to_string(layer) + ".";
  size_t positions = xs.size();
  Batch normed, q, k, v, attended, projected;
  normalize(blk + "attn_norm", xs, normed);
  matmat(weight(seq2seqName(blk, "attn_q")), normed, q, c.queryFeatures());
  matmat(weight(seq2seqName(blk, "attn_k")), normed, k, c.kvFeatures());
  matmat(weight(seq2seqName(blk, "attn_v")), normed, v, c.kvFeatures());
  Vector keyRows = rowsOf(k), valueRows = rowsOf(v);
  attended.resize(positions);
  for (size_t t = 0; t < positions; ++t) {
    RelativeBias bias{&weight("enc.blk.0.attn_rel_b.weight"), int64_t(t),
                      /*bidirectional=*/true};
    attendRange(q[t], keyRows.data(), valueRows.data(), 0,
                int64_t(positions) - 1, attended[t], &bias);
  }
  matmat(weight(seq2seqName(blk, "attn_o")), attended, projected, c.dim);
  addInto(xs, projected);
  seq2seqFeedForward(blk, xs);
}

void ReferenceModel::encodeSource(llvm::ArrayRef<int32_t> tokens) {
  const auto &c = config;
  int64_t dim = c.dim, kvDim = c.kvFeatures();
  const Vector &embedding = weight("token_embd.weight");
  Batch xs;
  for (int32_t token : tokens)
    xs.emplace_back(embedding.begin() + int64_t(token) * dim,
                    embedding.begin() + int64_t(token + 1) * dim);
  for (int64_t layer = 0; layer < c.numLayers; ++layer)
    seq2seqEncoderLayer(layer, xs);
  Batch output, k, v;
  normalize("enc.output_norm", xs, output);
  sourceLength = int64_t(tokens.size());
  crossKeys.assign(size_t(c.decoderLayers()) * sourceLength * kvDim, 0.0f);
  crossValues.assign(crossKeys.size(), 0.0f);
  for (int64_t layer = 0; layer < c.decoderLayers(); ++layer) {
    std::string blk = "dec.blk." + std::to_string(layer) + ".";
    matmat(weight(seq2seqName(blk, "cross_attn_k")), output, k, kvDim);
    matmat(weight(seq2seqName(blk, "cross_attn_v")), output, v, kvDim);
    Vector keyRows = rowsOf(k), valueRows = rowsOf(v);
    std::copy(keyRows.begin(), keyRows.end(),
              crossKeys.begin() + layer * sourceLength * kvDim);
    std::copy(valueRows.begin(), valueRows.end(),
              crossValues.begin() + layer * sourceLength * kvDim);
  }
  pos = 0;
}

void ReferenceModel::seq2seqDecoderLayer(int64_t layer, Batch &xs) {
  const auto &c = config;
  std::string blk = "dec.blk." + std::to_string(layer) + ".";
  int64_t kvDim = c.kvFeatures();
  Batch normed, q, k, v, attended, projected;
  // Causal self-attention through the cache, with the causal bias.
  normalize(blk + "attn_norm", xs, normed);
  matmat(weight(seq2seqName(blk, "attn_q")), normed, q, c.queryFeatures());
  matmat(weight(seq2seqName(blk, "attn_k")), normed, k, kvDim);
  matmat(weight(seq2seqName(blk, "attn_v")), normed, v, kvDim);
  attend(layer, q, k, v, attended, &weight("dec.blk.0.attn_rel_b.weight"));
  matmat(weight(seq2seqName(blk, "attn_o")), attended, projected, c.dim);
  addInto(xs, projected);
  // Cross-attention over every source position, no bias.
  normalize(blk + "cross_attn_norm", xs, normed);
  matmat(weight(seq2seqName(blk, "cross_attn_q")), normed, q,
         c.queryFeatures());
  const float *sourceKeys = crossKeys.data() + layer * sourceLength * kvDim;
  const float *sourceValues =
      crossValues.data() + layer * sourceLength * kvDim;
  for (size_t t = 0; t < xs.size(); ++t)
    attendRange(q[t], sourceKeys, sourceValues, 0, sourceLength - 1,
                attended[t]);
  matmat(weight(seq2seqName(blk, "cross_attn_o")), attended, projected,
         c.dim);
  addInto(xs, projected);
  seq2seqFeedForward(blk, xs);
}

const std::vector<float> &ReferenceModel::seq2seqLogits(Batch &xs) {
  const auto &c = config;
  Batch normed;
  normalize("dec.output_norm", Batch(1, xs.back()), normed);
  Batch last(1, std::move(normed.front())), lastLogits;
  matmat(weight(c.tiedEmbeddings ? "token_embd.weight" : "output.weight"),
         last, lastLogits, c.vocabSize);
  logits = std::move(lastLogits.front());
  pos += int64_t(xs.size());
  return logits;
}
