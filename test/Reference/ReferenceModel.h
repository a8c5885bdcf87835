//===- ReferenceModel.h - plain C++ Llama forward pass ----------*- C++ -*-===//
//
// The correctness oracle for compiled models: a direct, scalar transcription
// of the Llama decoder (llama2.c's run.c, with GQA and both RoPE pairings),
// sharing nothing with the compiler but the file reader. One token at a
// time, double-precision accumulation.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TEST_REFERENCE_REFERENCEMODEL_H
#define TFM_TEST_REFERENCE_REFERENCEMODEL_H

#include "tfm/Import/ModelFile.h"

#include <vector>

namespace tfm::reference {

class ReferenceModel {
public:
  /// Dequantizes every weight of `model` to f32; fails on a missing tensor.
  static llvm::Expected<ReferenceModel> create(const mlir::tfm::ModelFile &model,
                                               int64_t contextLength);

  /// Runs `token` at the next position; returns the vocabulary logits.
  const std::vector<float> &forward(int32_t token);
  int64_t position() const { return pos; }

private:
  const std::vector<float> &weight(const std::string &name) const;
  const std::vector<float> &layerWeight(int64_t layer, const char *name) const;

  mlir::tfm::ModelConfig config;
  int64_t contextLength = 0;
  llvm::StringMap<std::vector<float>> weights;
  /// [layer][position][kv_heads * head_dim]
  std::vector<float> keys, values;
  std::vector<float> logits;
  int64_t pos = 0;
};

} // namespace tfm::reference

#endif // TFM_TEST_REFERENCE_REFERENCEMODEL_H
