//===- Engine.h - slots, queue and continuous batching of tfm-server -*- C++ -*-===//
//
// The engine owns the model's contexts, one a slot (`--parallel N`), and
// one thread that runs them all: it takes queued jobs into free slots
// (the slot whose cached tokens share the longest prefix with the prompt,
// whose keys and values are kept), prefills their prompts, and then runs
// one decode step of every busy slot in a single tfm_decode_batch call,
// as llama-server's continuous batching does. HTTP handlers submit jobs
// and read their text as it comes; a handler whose client went away
// cancels its job and the slot is freed at the next step.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_SERVER_ENGINE_H
#define TFM_SERVER_ENGINE_H

#include "tfm/Driver/Sampler.h"
#include "tfm/Runtime/tfm.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/Support/Error.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlir::tfm::server {

struct EngineOptions {
  int32_t slots = 1;
  /// Tokens of each slot's context (0: the model's maximum).
  int32_t contextLength = 0;
  /// Threads of each call (0: one per CPU).
  int32_t threads = 0;
};

/// What a job asks for: its prompt's tokens (they fit the context) and
/// how to continue it.
struct JobSpec {
  std::vector<int32_t> prompt;
  /// Tokens to generate at most (the engine also stops at a full context).
  int64_t maxTokens = 0;
  SamplerOptions sampling;
  std::vector<std::string> stop;
  /// The end-of-text tokens are never sampled.
  bool ignoreEos = false;
};

/// The text a job produced since it was last read, and whether it ended.
struct JobProgress {
  std::string text;
  bool finished = false;
  /// "stop" (end of text or a stop string), "length", or "error".
  std::string finishReason;
  int64_t promptTokens = 0;
  int64_t completionTokens = 0;
  /// With finishReason "error": what failed.
  std::string error;
};

/// One request in flight, shared by its handler and the engine.
class Job {
public:
  explicit Job(JobSpec spec) : spec(std::move(spec)) {}

  /// Waits up to `timeout` for text or the end; takes the text produced so
  /// far.
  JobProgress wait(std::chrono::milliseconds timeout);
  /// The client went away: the engine drops the job at its next step.
  void cancel() { cancelled = true; }
  bool isCancelled() const { return cancelled; }

  const JobSpec &specification() const { return spec; }

private:
  friend class Engine;
  void append(const std::string &text);
  void finish(const std::string &reason, int64_t completionTokens,
              const std::string &error = "");

  JobSpec spec;
  std::atomic<bool> cancelled{false};
  std::mutex mutex;
  std::condition_variable changed;
  JobProgress progress;
};

/// Counters for /metrics (monotonic totals and current levels).
struct EngineMetrics {
  int64_t jobsStarted = 0;
  int64_t jobsCancelled = 0;
  int64_t promptTokens = 0;
  /// Prompt tokens whose keys and values a slot already held.
  int64_t promptTokensCached = 0;
  int64_t generatedTokens = 0;
  int64_t decodeSteps = 0;
  double prefillSeconds = 0;
  double decodeSeconds = 0;
  int64_t queueLength = 0;
  int64_t busySlots = 0;
  int64_t slots = 0;
  /// Tokens held in all slots' KV caches, and their capacity.
  int64_t kvTokens = 0;
  int64_t kvCapacityTokens = 0;
  int64_t kvBytes = 0;
};

class Engine {
public:
  /// Creates the slots' contexts of `model` and starts the engine's thread.
  static llvm::Expected<std::unique_ptr<Engine>>
  create(tfm_model *model, const Tokenizer &tokenizer,
         const EngineOptions &options);
  ~Engine();

  /// Queues a job; its prompt must be shorter than contextLength().
  std::shared_ptr<Job> submit(JobSpec spec);
  int32_t contextLength() const { return length; }
  int32_t threads() const;
  EngineMetrics metrics();

private:
  struct Slot;
  explicit Engine(const Tokenizer &tokenizer);

  void run();
  /// Moves queued jobs into free slots; the slots that took one.
  std::vector<Slot *> admitJobs();
  Slot *slotFor(const std::vector<int32_t> &prompt);
  /// Prefills the job's prompt (after the prefix the slot holds) and takes
  /// its first token.
  void start(Slot &slot);
  /// One decode step of every slot holding a token to run.
  void decodeStep();
  /// Samples from `logits`, shows the text, and ends or continues the job.
  void advance(Slot &slot, const float *logits);
  void release(Slot &slot, const std::string &reason,
               const std::string &error = "");
  void dropCancelledJobs();

  const Tokenizer &tokenizer;
  int32_t length = 0;
  int32_t vocab = 0;
  std::vector<std::unique_ptr<Slot>> slots;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<Job>> queue;
  bool stopping = false;
  EngineMetrics counters;
  /// Jobs the slots have ended (orders the slots by last use).
  uint64_t releases = 0;
  std::thread worker;
};

} // namespace mlir::tfm::server

#endif // TFM_SERVER_ENGINE_H
