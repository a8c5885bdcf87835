//===- Routes.cpp - tfm-server's HTTP endpoints ---------------------------===//

#include "Routes.h"

#include "ClientConnection.h"

#include "llvm/Support/FormatVariadic.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <random>

using namespace mlir::tfm;
using namespace mlir::tfm::server;
namespace json = llvm::json;

namespace {

/// How often a waiting handler looks at its client.
constexpr std::chrono::milliseconds kPollInterval(100);

/// Equal strings, in a time that does not depend on where they differ (an
/// API key must not leak through the answer's timing).
bool sameSecret(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(
        given[i] ^ expected[i % std::max<size_t>(expected.size(), 1)]);
  return difference == 0 && !expected.empty();
}

void sendJson(httplib::Response &response, int status,
              const json::Value &body) {
  response.status = status;
  response.set_content(llvm::formatv("{0}", body).str(), "application/json");
}

void sendError(httplib::Response &response, const ApiError &error) {
  sendJson(response, error.status, errorBody(error));
}

std::string typeOfStatus(int status) {
  switch (status) {
  case 401:
    return "authentication_error";
  case 404:
    return "not_found_error";
  case 413:
    return "request_too_large";
  default:
    return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

/// `cmpl-` and 24 random hex digits.
std::string responseId(const char *prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t base = std::random_device()();
  uint64_t value = base ^ (++counter * 0x9E3779B97F4A7C15ull);
  return llvm::formatv("{0}-{1:x-16}{2:x-8}", prefix, value,
                       uint32_t(counter.load()))
      .str();
}

std::string sseEvent(const json::Value &data) {
  return llvm::formatv("data: {0}\n\n", data).str();
}

/// One generation request from body to answer.
class GenerationHandler {
public:
  GenerationHandler(Engine &engine, const Tokenizer &tokenizer,
                    const RouteOptions &options)
      : engine(engine), tokenizer(tokenizer), options(options) {}

  void handle(const httplib::Request &request, httplib::Response &response,
              Endpoint endpoint) {
    std::variant<GenerationRequest, ApiError> parsed =
        parseGenerationRequest(request.body, endpoint, options.sampling);
    if (auto *error = std::get_if<ApiError>(&parsed))
      return sendError(response, *error);
    GenerationRequest &generation = std::get<GenerationRequest>(parsed);
    std::variant<JobSpec, ApiError> spec = jobOf(generation);
    if (auto *error = std::get_if<ApiError>(&spec))
      return sendError(response, *error);
    ResponseHeader header{responseId(endpoint == Endpoint::ChatCompletions
                                         ? "chatcmpl"
                                         : "cmpl"),
                          int64_t(std::time(nullptr)), options.modelName};
    std::shared_ptr<Job> job = engine.submit(std::get<JobSpec>(std::move(spec)));
    if (generation.stream)
      stream(request, response, job, generation, header);
    else
      answerWhole(request, response, job, generation, header);
  }

private:
  /// The prompt's tokens and the generation's limits, or why they do not
  /// fit.
  std::variant<JobSpec, ApiError> jobOf(const GenerationRequest &request) {
    bool chat = request.endpoint == Endpoint::ChatCompletions;
    std::string text =
        chat ? formatChat(options.chatFormat, request.messages,
                          /*openAssistant=*/true)
             : request.prompt;
    JobSpec spec;
    spec.prompt = tokenizer.encode(text, /*addSpecial=*/true,
                                   /*parseSpecial=*/chat);
    int64_t context = engine.contextLength();
    if (spec.prompt.empty())
      return ApiError{400, "the prompt is empty (no tokens)",
                      "invalid_request_error", chat ? "messages" : "prompt"};
    if (int64_t(spec.prompt.size()) >= context)
      return ApiError{400,
                      llvm::formatv("the prompt has {0} tokens; the context "
                                    "holds {1} (at least one must remain to "
                                    "generate)",
                                    spec.prompt.size(), context),
                      "invalid_request_error", chat ? "messages" : "prompt"};
    int64_t room = context - int64_t(spec.prompt.size());
    // --max-tokens is a hard limit; the context only caps what is
    // generated (finish_reason "length"), as llama-server does.
    if (options.maxTokensLimit > 0 && request.maxTokens &&
        *request.maxTokens > options.maxTokensLimit)
      return ApiError{400,
                      llvm::formatv("max_tokens {0} exceeds this server's "
                                    "limit of {1}",
                                    *request.maxTokens, options.maxTokensLimit),
                      "invalid_request_error", "max_tokens"};
    int64_t limit = options.maxTokensLimit > 0 ? options.maxTokensLimit : room;
    // OpenAI's default for completions is 16 tokens; chat runs to the end
    // of the text or of the context.
    int64_t wanted = request.maxTokens ? *request.maxTokens
                     : chat            ? limit
                                       : std::min<int64_t>(16, limit);
    spec.maxTokens = std::min(wanted, room);
    spec.stop = request.stop;
    spec.ignoreEos = request.ignoreEos;
    spec.sampling = request.sampling;
    spec.sampling.seed = request.seed ? *request.seed : std::random_device()();
    return spec;
  }

  Usage usageOf(const JobProgress &progress) {
    return Usage{progress.promptTokens, progress.completionTokens};
  }

  void answerWhole(const httplib::Request &request,
                   httplib::Response &response, std::shared_ptr<Job> job,
                   const GenerationRequest &generation,
                   const ResponseHeader &header) {
    ClientConnection client(request);
    std::string text;
    for (;;) {
      JobProgress progress = job->wait(kPollInterval);
      text += progress.text;
      if (progress.finished) {
        if (progress.finishReason == "error")
          return sendError(response,
                           ApiError{500, progress.error, "server_error", ""});
        return sendJson(response, 200,
                        completionBody(generation.endpoint, header, text,
                                       progress.finishReason,
                                       usageOf(progress)));
      }
      if (client.closed()) {
        job->cancel();
        response.status = 499; // nobody reads it
        return;
      }
    }
  }

  void stream(const httplib::Request &request, httplib::Response &response,
              std::shared_ptr<Job> job, const GenerationRequest &generation,
              const ResponseHeader &header) {
    auto client = std::make_shared<ClientConnection>(request);
    auto first = std::make_shared<bool>(true);
    Endpoint endpoint = generation.endpoint;
    bool withUsage = generation.streamUsage;
    response.set_header("Cache-Control", "no-cache");
    response.set_chunked_content_provider(
        "text/event-stream",
        [job, client, first, endpoint, withUsage,
         header](size_t, httplib::DataSink &sink) {
          JobProgress progress = job->wait(kPollInterval);
          if (client->closed())
            return false;
          std::string events;
          if (progress.finished && progress.finishReason == "error") {
            events += sseEvent(
                errorBody(ApiError{500, progress.error, "server_error", ""}));
          } else {
            if (!progress.text.empty() || (*first && progress.finished)) {
              events += sseEvent(
                  chunkBody(endpoint, header, progress.text, *first, ""));
              *first = false;
            }
            if (progress.finished) {
              events += sseEvent(chunkBody(endpoint, header, "", *first,
                                           progress.finishReason));
              if (withUsage)
                events += sseEvent(usageChunkBody(
                    endpoint, header,
                    Usage{progress.promptTokens, progress.completionTokens}));
            }
          }
          if (progress.finished)
            events += "data: [DONE]\n\n";
          if (!events.empty() && !sink.write(events.data(), events.size()))
            return false;
          if (progress.finished)
            sink.done();
          return true;
        },
        [job](bool) { job->cancel(); });
  }

  Engine &engine;
  const Tokenizer &tokenizer;
  const RouteOptions &options;
};

/// Inputs of one /v1/embeddings request at most.
constexpr size_t kMaxEmbeddingInputs = 256;

/// /v1/embeddings: each input tokenized (texts) and embedded in order.
void answerEmbeddings(const httplib::Request &request,
                      httplib::Response &response, Embedder *embedder,
                      const Tokenizer &tokenizer, const RouteOptions &options) {
  if (!embedder)
    return sendError(response,
                     ApiError{501,
                              "model '" + options.modelName +
                                  "' has no embed entry point: start "
                                  "tfm-server with --embeddings",
                              "not_implemented_error", "model"});
  std::variant<EmbeddingRequest, ApiError> parsed =
      parseEmbeddingRequest(request.body, kMaxEmbeddingInputs);
  if (auto *error = std::get_if<ApiError>(&parsed))
    return sendError(response, *error);
  EmbeddingRequest &embedding = std::get<EmbeddingRequest>(parsed);
  for (const std::string &text : embedding.texts)
    embedding.tokens.push_back(tokenizer.encode(text, /*addSpecial=*/true));
  std::vector<std::vector<float>> vectors;
  int64_t promptTokens = 0;
  for (const std::vector<int32_t> &tokens : embedding.tokens) {
    std::variant<std::vector<float>, ApiError> vector = embedder->embed(tokens);
    if (auto *error = std::get_if<ApiError>(&vector))
      return sendError(response, *error);
    vectors.push_back(std::move(std::get<std::vector<float>>(vector)));
    promptTokens += int64_t(tokens.size());
  }
  sendJson(response, 200,
           embeddingBody(vectors, embedding.base64, options.modelName,
                         promptTokens));
}

} // namespace

void server::installRoutes(httplib::Server &server, Engine *engine,
                           Embedder *embedder, const Tokenizer &tokenizer,
                           HttpCounters &counters,
                           const RouteOptions &options) {
  server.set_pre_routing_handler(
      [&counters, &options](const httplib::Request &request,
                            httplib::Response &response) {
        ++counters.requests;
        if (options.apiKey.empty() || request.path == "/health")
          return httplib::Server::HandlerResponse::Unhandled;
        std::string authorization = request.get_header_value("Authorization");
        std::string_view given(authorization);
        bool bearer = given.substr(0, 7) == "Bearer ";
        if (bearer && sameSecret(given.substr(7), options.apiKey))
          return httplib::Server::HandlerResponse::Unhandled;
        sendError(response,
                  ApiError{401,
                           "invalid or missing API key (send 'Authorization: "
                           "Bearer KEY')",
                           "authentication_error", ""});
        return httplib::Server::HandlerResponse::Handled;
      });
  // Statuses set by httplib itself (404, 413, 400 of a bad request line)
  // get an error object too.
  server.set_error_handler([&options](const httplib::Request &request,
                                      httplib::Response &response) {
    if (!response.body.empty() || response.status < 400)
      return;
    std::string message;
    switch (response.status) {
    case 404:
      message = "no endpoint " + request.method + " " + request.path;
      break;
    case 413:
      message = llvm::formatv("the body exceeds {0} bytes",
                              options.maxBodyBytes);
      break;
    default:
      message = llvm::formatv("HTTP status {0}", response.status);
    }
    sendError(response, ApiError{response.status, message,
                                 typeOfStatus(response.status), ""});
  });
  server.set_logger([&counters](const httplib::Request &,
                                const httplib::Response &response) {
    if (response.status >= 500 && response.status != 499)
      ++counters.serverErrors;
    else if (response.status >= 400 && response.status != 499)
      ++counters.clientErrors;
  });

  if (engine) {
    auto generation =
        std::make_shared<GenerationHandler>(*engine, tokenizer, options);
    server.Post("/v1/completions", [generation](const httplib::Request &request,
                                                httplib::Response &response) {
      generation->handle(request, response, Endpoint::Completions);
    });
    server.Post("/v1/chat/completions",
                [generation](const httplib::Request &request,
                             httplib::Response &response) {
                  generation->handle(request, response,
                                     Endpoint::ChatCompletions);
                });
  } else {
    // An encoder (BERT) generates nothing, as llama-server's embedding
    // models answer.
    for (const char *path : {"/v1/completions", "/v1/chat/completions"})
      server.Post(path, [](const httplib::Request &,
                           httplib::Response &response) {
        sendError(response,
                  ApiError{501,
                           "the model is an encoder (BERT): it serves "
                           "/v1/embeddings only",
                           "not_implemented_error", "model"});
      });
  }
  server.Post("/v1/embeddings",
              [embedder, &tokenizer, &options](const httplib::Request &request,
                                               httplib::Response &response) {
                answerEmbeddings(request, response, embedder, tokenizer,
                                 options);
              });
  server.Get("/v1/models", [&options](const httplib::Request &,
                                      httplib::Response &response) {
    static const int64_t created = int64_t(std::time(nullptr));
    sendJson(response, 200,
             json::Object{{"object", "list"},
                          {"data", json::Array{json::Object{
                                       {"id", options.modelName},
                                       {"object", "model"},
                                       {"created", created},
                                       {"owned_by", "tfm"}}}}});
  });
  server.Get("/health", [](const httplib::Request &, httplib::Response &response) {
    sendJson(response, 200, json::Object{{"status", "ok"}});
  });
  server.Get("/metrics", [engine, &counters](const httplib::Request &,
                                             httplib::Response &response) {
    response.set_content(
        prometheusText(engine ? engine->metrics() : EngineMetrics(), counters),
        "text/plain; version=0.0.4");
  });
}
