//===- tfm-server.cpp - an OpenAI-compatible HTTP server for tfm models ---===//
//
//   tfm-server MODEL_OR_DIR [--host 127.0.0.1] [--port 8080] [--parallel N]
//              [-c N] [-t N] [--api-key KEY] [--chat-template NAME]
//
// Serves /v1/completions, /v1/chat/completions (streamed with "stream":
// true), /v1/embeddings, /v1/models, /health and /metrics, as llama-server
// does. `--parallel N` slots each own a KV cache of -c tokens; requests
// wait in a queue while every slot is busy, and the decode steps of the
// busy slots run as one batched call (lib/Server/Engine.cpp). A model file
// is compiled into the cache on first use, as tfm-run does. docs/server.md
// has the API, the limits and the measurements.
//
//===----------------------------------------------------------------------===//

#include "Routes.h"

#include "tfm/Compiler/CompileFlags.h"
#include "tfm/Compiler/CompiledVocabulary.h"
#include "tfm/Compiler/Compiler.h"
#include "tfm/Import/ChatFormat.h"
#include "tfm/Runtime/tfm.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <malloc.h>
#include <fstream>
#include <pthread.h>
#include <thread>

using namespace mlir::tfm;
using namespace mlir::tfm::server;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-server options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file or compiled directory>"),
                               cl::cat(category));
cl::opt<std::string> host("host",
                          cl::desc("Address to listen on (0.0.0.0 opens the "
                                   "server to the network)"),
                          cl::init("127.0.0.1"), cl::cat(category));
cl::opt<int> port("port", cl::desc("Port to listen on (0: any free one)"),
                  cl::init(8080), cl::cat(category));
cl::opt<std::string> portFile(
    "port-file",
    cl::desc("Write the port listened on to this file once the server "
             "accepts connections (for scripts that ask for port 0)"),
    cl::cat(category));
cl::opt<int> parallel("parallel",
                      cl::desc("Slots: requests served at once, each with a "
                               "KV cache of its own"),
                      cl::init(4), cl::cat(category));
cl::alias parallelShort("np", cl::aliasopt(parallel));
cl::opt<int> contextSize("c",
                         cl::desc("Tokens of each slot's context (0: what the "
                                  "model was compiled for)"),
                         cl::init(0), cl::cat(category));
cl::alias contextLong("ctx-size", cl::aliasopt(contextSize));
cl::opt<int> threads("t",
                     cl::desc("Threads of each model call (0: one per CPU)"),
                     cl::init(0), cl::cat(category));
cl::opt<std::string> apiKey(
    "api-key",
    cl::desc("Require 'Authorization: Bearer KEY' on every endpoint but "
             "/health"),
    cl::cat(category));
cl::opt<std::string> chatTemplate(
    "chat-template",
    cl::desc("The chat format instead of the model's template (llama2, "
             "llama3, chatml, gemma, phi3, mistral); without either, chatml "
             "as llama-server does"),
    cl::cat(category));
cl::opt<std::string> alias("alias",
                           cl::desc("The model id answers carry (default: the "
                                    "model file's name)"),
                           cl::cat(category));
cl::opt<std::string> pooling(
    "pooling",
    cl::desc("How /v1/embeddings pools a text's hidden states: last (the "
             "last token's, as decoder embedding models read), mean, or for "
             "an encoder cls (default: last; an encoder's file's pooling)"),
    cl::cat(category));
cl::opt<int> timeout("timeout",
                     cl::desc("Seconds a client may take to send a request "
                              "or read an answer before it is dropped"),
                     cl::init(30), cl::cat(category));
cl::opt<unsigned> maxBodyBytes("max-body-bytes",
                               cl::desc("Largest request body (413 above)"),
                               cl::init(1 << 20), cl::cat(category));
cl::opt<int> maxTokens("max-tokens",
                       cl::desc("Largest max_tokens a request may ask for "
                                "(0: the context)"),
                       cl::init(0), cl::cat(category));
cl::opt<int> httpThreads(
    "http-threads",
    cl::desc("Connections served at once (0: 64, or 4 per slot if more)"),
    cl::init(0), cl::cat(category));
CompileFlags compileFlags(category);

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-server: " << message << "\n";
  std::exit(1);
}

void validateFlags() {
  if (port < 0 || port > 65535)
    fail("--port must be in [0, 65535], got " + llvm::Twine(port));
  if (parallel < 1 || parallel > 256)
    fail("--parallel must be in [1, 256], got " + llvm::Twine(parallel));
  if (contextSize < 0)
    fail("-c must not be negative, got " + llvm::Twine(contextSize));
  if (threads < 0)
    fail("-t must not be negative, got " + llvm::Twine(threads));
  if (timeout < 1)
    fail("--timeout must be at least 1 second, got " + llvm::Twine(timeout));
  if (maxBodyBytes < 1024)
    fail("--max-body-bytes must be at least 1024");
  if (maxTokens < 0)
    fail("--max-tokens must not be negative, got " + llvm::Twine(maxTokens));
  if (httpThreads < 0)
    fail("--http-threads must not be negative");
  if (apiKey.getNumOccurrences() > 0 && apiKey.empty())
    fail("--api-key must not be empty");
  if (!pooling.empty() && pooling != "last" && pooling != "mean" &&
      pooling != "cls")
    fail("--pooling must be last, mean or cls, got '" + pooling + "'");
}

/// The pooling of /v1/embeddings: --pooling, else an encoder's file's
/// (mean when the file pools none: one vector per input is the API's),
/// else the last token's.
tfm_pooling embeddingPooling(tfm_model *model) {
  bool encoder = tfm_model_is_encoder(model);
  if (pooling == "cls" && !encoder)
    fail("--pooling cls needs an encoder (BERT); a decoder pools last or "
         "mean");
  if (pooling == "mean")
    return TFM_POOLING_MEAN;
  if (pooling == "cls")
    return TFM_POOLING_CLS;
  if (pooling == "last" || !encoder)
    return TFM_POOLING_LAST;
  tfm_pooling filePooling = tfm_model_pooling(model);
  if (filePooling != TFM_POOLING_NONE)
    return filePooling;
  llvm::errs() << "tfm-server: note: " << modelPath
               << " pools no embedding; /v1/embeddings uses mean pooling "
                  "(--pooling picks another)\n";
  return TFM_POOLING_MEAN;
}

ChatFormat chatFormatOf(const Vocabulary &vocabulary) {
  if (chatTemplate.empty() && vocabulary.chatTemplate.empty()) {
    llvm::errs() << "tfm-server: note: " << modelPath
                 << " has no chat template; /v1/chat/completions uses chatml "
                    "(--chat-template picks another)\n";
    return ChatFormat::ChatML;
  }
  llvm::Expected<ChatFormat> format =
      resolveChatFormat(chatTemplate, vocabulary.chatTemplate, modelPath);
  if (!format)
    fail(llvm::toString(format.takeError()));
  return *format;
}

/// A batched decode step allocates its activations ([rows, features], sizes
/// known at run time) with malloc at every call. Above glibc's mmap
/// threshold each is a fresh mapping whose pages fault in again at every
/// step, and freed heap tops are trimmed away: with 32 slots of llama-110m
/// q8_0 page faults took a fifth of the time. Kept in the heap instead,
/// the same memory serves every step.
void keepActivationBuffers() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

/// SIGINT and SIGTERM, which stop the server.
sigset_t stopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

/// A thread waits for the stop signals, so the stop does not run in a
/// signal handler. They must be blocked in every other thread: main blocks
/// them first, before any thread (the compiler's, OpenMP's) starts.
std::thread stopOnSignals(httplib::Server &server) {
  sigset_t signals = stopSignals();
  return std::thread([signals, &server] {
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
  });
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "An OpenAI-compatible server for a model\n");
  validateFlags();
  sigset_t signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that goes away makes a write fail, not the process die.
  std::signal(SIGPIPE, SIG_IGN);
  keepActivationBuffers();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  llvm::Expected<ToolModel> compiled = compileForTool(modelPath, compileFlags);
  if (!compiled)
    fail(llvm::toString(compiled.takeError()));
  RouteOptions options;
  options.chatFormat = chatFormatOf(compiled->vocabulary);
  Tokenizer tokenizer(std::move(compiled->vocabulary));

  tfm_model *model = nullptr;
  if (tfm_model_load(compiled->directory.c_str(), &model) != TFM_OK)
    fail(compiled->directory + ": " + tfm_last_error());
  if (tfm_model_is_encoder_decoder(model))
    fail(modelPath + " is an encoder-decoder model (T5): tfm-server serves "
                     "decoders and encoders; use tfm-run");
  if (contextSize > tfm_model_max_context(model))
    fail(llvm::formatv("-c {0} exceeds the context the model was compiled "
                       "for ({1})",
                       contextSize.getValue(), tfm_model_max_context(model)));

  bool encoder = tfm_model_is_encoder(model);
  tfm_pooling textPooling = embeddingPooling(model);

  httplib::Server server;
  std::thread signalThread = stopOnSignals(server);
  HttpCounters counters;
  {
    // An encoder (BERT) generates nothing: no slots, embeddings only.
    std::unique_ptr<Engine> engine;
    if (!encoder) {
      llvm::Expected<std::unique_ptr<Engine>> created = Engine::create(
          model, tokenizer, EngineOptions{parallel, contextSize, threads});
      if (!created)
        fail(llvm::toString(created.takeError()));
      engine = std::move(*created);
    }

    // Encoders and libraries compiled with --embeddings answer
    // /v1/embeddings.
    std::unique_ptr<Embedder> embedder;
    if (tfm_model_embedding_size(model) > 0) {
      llvm::Expected<std::unique_ptr<Embedder>> created =
          Embedder::create(model, contextSize, threads, textPooling);
      if (!created)
        fail(llvm::toString(created.takeError()));
      embedder = std::move(*created);
    }
    options.modelName =
        alias.empty() ? llvm::sys::path::stem(modelPath).str() : alias.getValue();
    options.apiKey = apiKey;
    options.maxTokensLimit = maxTokens;
    options.maxBodyBytes = maxBodyBytes;
    installRoutes(server, engine.get(), embedder.get(), tokenizer, counters,
                  options);

    size_t connections = httpThreads > 0
                             ? size_t(httpThreads)
                             : std::max<size_t>(64, size_t(parallel) * 4);
    server.new_task_queue = [connections] {
      return new httplib::ThreadPool(connections);
    };
    server.set_read_timeout(timeout);
    server.set_write_timeout(timeout);
    server.set_keep_alive_timeout(5);
    server.set_payload_max_length(maxBodyBytes);

    int bound = port == 0 ? server.bind_to_any_port(host)
                          : (server.bind_to_port(host, port) ? port.getValue()
                                                             : -1);
    if (bound < 0)
      fail(llvm::formatv("cannot listen on {0}:{1}", host.getValue(),
                         port.getValue()));
    std::string serves =
        engine ? llvm::formatv("{0} slots of {1} tokens, {2} threads{3}",
                               parallel.getValue(), engine->contextLength(),
                               engine->threads(),
                               embedder ? ", embeddings" : "")
                     .str()
               : "an encoder: embeddings only";
    llvm::errs() << llvm::formatv(
        "tfm-server: {0} on http://{1}:{2} ({3}{4})\n", options.modelName,
        host.getValue(), bound, serves,
        apiKey.empty() ? "" : ", API key required");
    if (!portFile.empty()) {
      std::ofstream out(portFile);
      out << bound << "\n";
      if (!out)
        fail(portFile + ": cannot write");
    }
    server.listen_after_bind();
    // The engine stops (and its jobs end) before the model goes.
  }
  pthread_kill(signalThread.native_handle(), SIGTERM);
  signalThread.join();
  tfm_model_free(model);
  return 0;
}
