//===- ReferenceModel.h - plain C++ decoder forward passes ------*- C++ -*-===//
//
// The correctness oracle for compiled models: a direct, scalar transcription
// of the Llama decoder (llama2.c's run.c, with GQA and both RoPE pairings)
// and of GPT-2 (Hugging Face's GPT2Model: LayerNorm, learned positions,
// tanh GELU, biases), sharing nothing with the compiler but the file
// reader. One token at a time, double-precision accumulation. It also
// feeds calibration (tfm-compile --calibrate): an observer sees the input
// of every linear layer.
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
  int64_t position() const { return pos; }
  int64_t contextLength() const { return contextLimit; }
  /// Starts again at position 0 (the cache is overwritten as it goes).
  void reset() { pos = 0; }

private:
  using Vector = std::vector<float>;
  const Vector &weight(const std::string &name) const;
  const Vector &layerWeight(int64_t layer, const char *name) const;
  const Vector &layerBias(int64_t layer, const char *name) const;
  /// Tells the observer, if any, that `input` feeds `weights`.
  void observe(std::initializer_list<std::string> weights, const Vector &input);
  void observeAttentionInput(int64_t layer, const Vector &input);

  /// Appends `k` and `v` at the current position of `layer`'s cache and
  /// attends over positions 0..pos with `q`, into `attended`.
  void attend(int64_t layer, const Vector &q, const Vector &k, const Vector &v,
              Vector &attended);
  /// One layer of each architecture, updating the residual stream `x`.
  void llamaLayer(int64_t layer, Vector &x);
  void gpt2Layer(int64_t layer, Vector &x);

  ModelConfig config;
  int64_t contextLimit = 0;
  llvm::StringMap<std::vector<float>> weights;
  /// [layer][position][kv_heads * head_dim]
  std::vector<float> keys, values;
  std::vector<float> logits;
  int64_t pos = 0;
  InputObserver inputObserver;
};

} // namespace mlir::tfm

#endif // TFM_REFERENCE_REFERENCEMODEL_H
