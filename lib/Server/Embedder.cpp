//===- Embedder.cpp - tfm-server's /v1/embeddings -------------------------===//

#include "tfm/Server/Embedder.h"

#include <string>

using namespace mlir::tfm::server;

Embedder::Embedder(tfm_context *context, tfm_pooling pooling, int32_t size)
    : context(context), pooling(pooling), size(size),
      length(tfm_context_length(context)) {}

Embedder::~Embedder() { tfm_context_free(context); }

llvm::Expected<std::unique_ptr<Embedder>>
Embedder::create(tfm_model *model, int32_t contextLength, int32_t threads,
                 tfm_pooling pooling) {
  int32_t size = tfm_model_embedding_size(model);
  if (size == 0)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the model library has no embed entry point (compile it with "
        "--embeddings)");
  tfm_context *context = nullptr;
  if (tfm_context_create(model, contextLength, threads, &context) != TFM_OK)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   std::string("embedding context: ") +
                                       tfm_last_error());
  return std::unique_ptr<Embedder>(new Embedder(context, pooling, size));
}

std::variant<std::vector<float>, ApiError>
Embedder::embed(const std::vector<int32_t> &tokens) {
  if (tokens.empty())
    return ApiError{400, "an input has no tokens", "invalid_request_error",
                    "input"};
  if (int64_t(tokens.size()) > length)
    return ApiError{400,
                    "an input has " + std::to_string(tokens.size()) +
                        " tokens; the context holds " + std::to_string(length),
                    "invalid_request_error", "input"};
  std::vector<float> embedding(size_t(size), 0.0f);
  std::lock_guard<std::mutex> lock(mutex);
  tfm_status status = tfm_embed(context, tokens.data(), int32_t(tokens.size()),
                                pooling, embedding.data());
  if (status == TFM_ERROR_INVALID_ARGUMENT)
    return ApiError{400, tfm_last_error(), "invalid_request_error", "input"};
  if (status != TFM_OK)
    return ApiError{500, tfm_last_error(), "server_error", ""};
  return embedding;
}
