//===- ReferenceModel.h - plain C++ decoder forward passes ------*- C++ -*-===//
//
// The correctness oracle for compiled models: a direct, scalar transcription
// of the Llama decoder (llama2.c's run.c, with GQA and both RoPE pairings)
// and of GPT-2 (Hugging Face's GPT2Model: LayerNorm, learned positions,
// tanh GELU, biases), sharing nothing with the compiler but the file
// reader; of BERT's encoder (Hugging Face's BertModel: post-norm,
// bidirectional attention, token types); and of T5 (Hugging Face's
// T5ForConditionalGeneration: RMSNorm, relative position bias, ReLU or
// gated-GELU FFN, cross-attention). Each position's arithmetic on its
// own, double-precision
// accumulation; a sequence of positions goes one layer at a time (each
// weight read once per 16 positions). It also feeds calibration
// (tfm-compile --calibrate): an observer sees the input of every linear
// layer.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_REFERENCE_REFERENCEMODEL_H
#define TFM_REFERENCE_REFERENCEMODEL_H

#include "tfm/Import/ModelFile.h"

#include "llvm/ADT/ArrayRef.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::tfm {

class ReferenceModel {
public:
  /// Dequantizes every weight of `model` to f32; fails on a missing tensor.
  static llvm::Expected<ReferenceModel> create(const ModelFile &model,
                                               int64_t contextLength);

  /// Sees the input vector of the linear layers named `weights` (the
  /// weights that multiply that same vector: Q, K and V share one).
  using InputObserver = std::function<void(
      llvm::ArrayRef<std::string> weights, llvm::ArrayRef<float> input)>;
  void observeInputs(InputObserver observer) {
    inputObserver = std::move(observer);
  }

  /// Runs `token` at the next position; returns the vocabulary logits.
  const std::vector<float> &forward(int32_t token);
  /// Runs `tokens` at the next positions, as one forward() call each would
  /// (the same arithmetic, so the same bits and the same observed inputs,
  /// one layer at a time for all of them); returns the logits of the last.
  /// Each weight is read once per 16 positions instead of once per
  /// position.
  const std::vector<float> &forwardSequence(llvm::ArrayRef<int32_t> tokens);
  /// An encoder's (BERT's) final hidden state of every token of one text,
  /// with its token types (empty: all 0); no cache, no position kept.
  std::vector<std::vector<float>>
  encode(llvm::ArrayRef<int32_t> tokens,
         llvm::ArrayRef<int32_t> tokenTypes = {}) const;
  /// An encoder-decoder's (T5's) source: runs the encoder over `tokens`
  /// and keeps every decoder layer's cross-attention keys and values; the
  /// decoder starts again at position 0 (forward() then runs the decoder).
  void encodeSource(llvm::ArrayRef<int32_t> tokens);
  int64_t position() const { return pos; }
  int64_t contextLength() const { return contextLimit; }
  /// Starts again at position 0 (the cache is overwritten as it goes).
  void reset() { pos = 0; }

private:
  using Vector = std::vector<float>;
  /// Positions of a sequence, each its own vector.
  using Batch = std::vector<Vector>;
  const Vector &weight(const std::string &name) const;
  const Vector &layerWeight(int64_t layer, const char *name) const;
  const Vector &layerBias(int64_t layer, const char *name) const;
  /// Tells the observer, if any, that `inputs` (one per position, in
  /// order) feed `weights`.
  void observe(std::initializer_list<std::string> weights,
               const Batch &inputs);
  void observeAttentionInput(int64_t layer, const Batch &inputs);

  /// Appends `ks` and `vs` at positions pos, pos + 1, ... of `layer`'s
  /// cache and attends with each of `qs` over the positions up to its own,
  /// into `attended`; with `causalBias` (T5's `[buckets, heads]` table) its
  /// causal relative position bias joins the scores.
  void attend(int64_t layer, const Batch &qs, const Batch &ks,
              const Batch &vs, Batch &attended,
              const Vector *causalBias = nullptr);
  /// T5's relative position bias of the scores of a query at
  /// `queryPosition`: `table[bucket(key - query), head]`.
  struct RelativeBias {
    const Vector *table = nullptr;
    int64_t queryPosition = 0;
    bool bidirectional = false;
  };
  void attendRange(const Vector &q, const float *layerKeys,
                   const float *layerValues, int64_t first, int64_t last,
                   Vector &out, const RelativeBias *bias = nullptr) const;
  void encoderLayer(int64_t layer, Batch &xs) const;
  /// One decoder layer as the config's LayerChoices describe it, updating
  /// the residual stream of every position of `xs`.
  void decoderLayer(int64_t layer, Batch &xs);
  /// T5's layers: pre-norm RMSNorm, self-attention with the relative
  /// position bias (the encoder's bidirectional, over the source; the
  /// decoder's causal, through the cache), the decoder's cross-attention
  /// over the source's keys and values, and the FFN.
  void seq2seqEncoderLayer(int64_t layer, Batch &xs) const;
  void seq2seqDecoderLayer(int64_t layer, Batch &xs);
  void seq2seqFeedForward(const std::string &blk, Batch &xs) const;
  const std::vector<float> &seq2seqLogits(Batch &xs);
  void normalize(const std::string &name, const Batch &xs, Batch &out) const;
  void normalizeHeads(int64_t layer, const char *name, Batch &xs) const;
  void project(int64_t layer, const char *name, bool withBias,
               const Batch &inputs, Batch &outs) const;

  ModelConfig config;
  int64_t contextLimit = 0;
  llvm::StringMap<std::vector<float>> weights;
  /// [layer][position][kv_heads * head_dim]
  std::vector<float> keys, values;
  /// An encoder-decoder's cross-attention keys and values:
  /// [decoder layer][source position][kv_heads * head_dim].
  std::vector<float> crossKeys, crossValues;
  int64_t sourceLength = 0;
  std::vector<float> logits;
  int64_t pos = 0;
  InputObserver inputObserver;
};

} // namespace mlir::tfm

#endif // TFM_REFERENCE_REFERENCEMODEL_H
