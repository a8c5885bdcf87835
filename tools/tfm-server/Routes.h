//===- Routes.h - tfm-server's HTTP endpoints -------------------*- C++ -*-===//
//
// The OpenAI-style endpoints on a cpp-httplib server: /v1/completions and
// /v1/chat/completions (whole or streamed as server-sent events),
// /v1/embeddings, /v1/models, /health and /metrics; the API key check, the
// limits and the error objects.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOOLS_SERVER_ROUTES_H
#define TFM_TOOLS_SERVER_ROUTES_H

#include "tfm/Server/Embedder.h"
#include "tfm/Server/Engine.h"
#include "tfm/Server/Metrics.h"
#include "tfm/Server/OpenAIProtocol.h"
#include "tfm/Tokenizer/ChatTemplate.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include <httplib.h>

#include <cstdint>
#include <string>

namespace mlir::tfm::server {

struct RouteOptions {
  /// The id /v1/models lists and the answers carry.
  std::string modelName;
  /// Empty: no key needed.
  std::string apiKey;
  ChatFormat chatFormat = ChatFormat::ChatML;
  /// Largest max_tokens a request may ask for (0: the context).
  int64_t maxTokensLimit = 0;
  SamplerOptions sampling;
  /// Largest request body (larger ones get 413).
  size_t maxBodyBytes = 0;
};

/// Installs the endpoints on `server`; `engine`, `embedder` (null: the
/// model has no embed entry point), `tokenizer` and `counters` must
/// outlive it.
void installRoutes(httplib::Server &server, Engine *engine, Embedder *embedder,
                   const Tokenizer &tokenizer, HttpCounters &counters,
                   const RouteOptions &options);

} // namespace mlir::tfm::server

#endif // TFM_TOOLS_SERVER_ROUTES_H
