//===- OpenAIProtocol.h - OpenAI's completion API as tfm-server speaks it -*- C++ -*-===//
//
// Request bodies of /v1/completions and /v1/chat/completions read into a
// GenerationRequest (every field checked: a wrong type or range is an
// ApiError, answered with HTTP 400), and the response bodies, stream
// chunks and error objects of OpenAI's API written from a generation's
// result. llvm::json, the JSON library the rest of tfm uses.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_SERVER_OPENAIPROTOCOL_H
#define TFM_SERVER_OPENAIPROTOCOL_H

#include "tfm/Driver/Sampler.h"
#include "tfm/Tokenizer/ChatTemplate.h"

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mlir::tfm::server {

/// An error object (`{"error": {"message", "type", "param", "code"}}`) and
/// the HTTP status it is sent with.
struct ApiError {
  int status = 400;
  std::string message;
  /// OpenAI's types: invalid_request_error, authentication_error,
  /// not_found_error, server_error.
  std::string type = "invalid_request_error";
  /// The request field at fault, if one is.
  std::string param;
};

enum class Endpoint { Completions, ChatCompletions };

struct GenerationRequest {
  Endpoint endpoint = Endpoint::Completions;
  std::string model;
  /// /v1/completions: the text to continue.
  std::string prompt;
  /// /v1/chat/completions: the conversation.
  std::vector<ChatMessage> messages;
  bool stream = false;
  /// stream_options.include_usage: a last chunk with `usage`.
  bool streamUsage = false;
  /// Tokens to generate at most; none: until the end of text or context.
  std::optional<int64_t> maxTokens;
  std::vector<std::string> stop;
  /// llama.cpp's chain (top_k and repeat_penalty are llama-server's
  /// extensions of the API).
  SamplerOptions sampling;
  /// Seeded requests give the same text each time.
  std::optional<uint64_t> seed;
  /// llama-server's ignore_eos: the end-of-text token is never sampled
  /// (load tests that need answers of exactly max_tokens).
  bool ignoreEos = false;
};

/// The request in `body`, or why it is not one; the sampling fields it
/// leaves out are those of `defaults`.
std::variant<GenerationRequest, ApiError>
parseGenerationRequest(std::string_view body, Endpoint endpoint,
                       const SamplerOptions &defaults);

/// A /v1/embeddings request: texts, or inputs given as token ids.
struct EmbeddingRequest {
  std::string model;
  /// One input each: a text, or (when `tokens` is set) token ids.
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> tokens;
  /// encoding_format "base64": each vector as the base64 of its
  /// little-endian f32 bytes, as OpenAI's clients ask by default.
  bool base64 = false;
};

/// The request in `body`, or why it is not one (at most `maxInputs`
/// inputs).
std::variant<EmbeddingRequest, ApiError>
parseEmbeddingRequest(std::string_view body, size_t maxInputs);

/// `{"object": "list", "data": [...], "model", "usage"}`.
llvm::json::Value embeddingBody(const std::vector<std::vector<float>> &vectors,
                                bool base64, const std::string &model,
                                int64_t promptTokens);

/// `{"error": {...}}` of `error`.
llvm::json::Value errorBody(const ApiError &error);

/// Token counts of one answer.
struct Usage {
  int64_t promptTokens = 0;
  int64_t completionTokens = 0;
};
llvm::json::Value usageBody(const Usage &usage);

/// What identifies one answer in its body and its chunks.
struct ResponseHeader {
  std::string id;
  int64_t created = 0;
  std::string model;
};

/// The whole answer of a request without `stream`: a `text_completion` or
/// a `chat.completion`.
llvm::json::Value completionBody(Endpoint endpoint,
                                 const ResponseHeader &header,
                                 const std::string &text,
                                 const std::string &finishReason,
                                 const Usage &usage);

/// One server-sent event's data of a streamed answer: the piece of text
/// `text` (chat: the first chunk also carries the role) and, in the last
/// one, the finish reason.
llvm::json::Value chunkBody(Endpoint endpoint, const ResponseHeader &header,
                            const std::string &text, bool first,
                            const std::string &finishReason);
/// The chunk with `usage` and no choices (stream_options.include_usage).
llvm::json::Value usageChunkBody(Endpoint endpoint,
                                 const ResponseHeader &header,
                                 const Usage &usage);

} // namespace mlir::tfm::server

#endif // TFM_SERVER_OPENAIPROTOCOL_H
