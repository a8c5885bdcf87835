//===- Embedder.h - tfm-server's /v1/embeddings -----------------*- C++ -*-===//
//
// Embeddings of texts with a model compiled with --embeddings: a context of
// its own (beside the engine's slots), used by one request at a time;
// tfm_embed pools the final hidden states.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_SERVER_EMBEDDER_H
#define TFM_SERVER_EMBEDDER_H

#include "tfm/Runtime/tfm.h"
#include "tfm/Server/OpenAIProtocol.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <mutex>
#include <variant>
#include <vector>

namespace mlir::tfm::server {

class Embedder {
public:
  /// An embedder of `model`, which must have the embed entry point.
  static llvm::Expected<std::unique_ptr<Embedder>>
  create(tfm_model *model, int32_t contextLength, int32_t threads,
         tfm_pooling pooling);
  ~Embedder();

  /// The unit-length embedding of `tokens`, or why there is none (too
  /// long, a token outside the vocabulary: 400).
  std::variant<std::vector<float>, ApiError>
  embed(const std::vector<int32_t> &tokens);
  int32_t contextLength() const { return length; }

private:
  Embedder(tfm_context *context, tfm_pooling pooling, int32_t size);

  std::mutex mutex;
  tfm_context *context;
  tfm_pooling pooling;
  int32_t size;
  int32_t length;
};

} // namespace mlir::tfm::server

#endif // TFM_SERVER_EMBEDDER_H
