//===- Engine.cpp - slots, queue and continuous batching of tfm-server -----===//

#include "tfm/Server/Engine.h"

#include "tfm/Driver/Utf8Stream.h"
#include "tfm/Server/StopStrings.h"

#include <algorithm>
#include <array>

using namespace mlir::tfm;
using namespace mlir::tfm::server;

using Clock = std::chrono::steady_clock;

//===----------------------------------------------------------------------===//
// Job
//===----------------------------------------------------------------------===//

JobProgress Job::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait_for(lock, timeout, [&] {
    return progress.finished || !progress.text.empty();
  });
  JobProgress taken = progress;
  progress.text.clear();
  return taken;
}

void Job::append(const std::string &text) {
  if (text.empty())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    progress.text += text;
  }
  changed.notify_all();
}

void Job::finish(const std::string &reason, int64_t completionTokens,
                 const std::string &error) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    progress.finished = true;
    progress.finishReason = reason;
    progress.promptTokens = int64_t(spec.prompt.size());
    progress.completionTokens = completionTokens;
    progress.error = error;
  }
  changed.notify_all();
}

//===----------------------------------------------------------------------===//
// Engine
//===----------------------------------------------------------------------===//

/// One context and the job it runs. Only the engine's thread touches it.
struct Engine::Slot {
  tfm_context *context = nullptr;
  /// The tokens whose keys and values the context holds.
  std::vector<int32_t> cached;
  std::shared_ptr<Job> job;
  std::unique_ptr<Sampler> sampler;
  /// Prompt and generated tokens (the repeat penalty looks back over them).
  std::vector<int32_t> history;
  /// The last sampled token, to run at the next step; -1 if none.
  int32_t pending = -1;
  int32_t previous = kNoToken;
  int64_t generated = 0;
  Utf8Stream utf8;
  std::unique_ptr<StopMatcher> stops;
  /// The logits without the end-of-text tokens (JobSpec::ignoreEos).
  std::vector<float> masked;
  /// When the slot last ended a job (the least recently used is reused
  /// first among slots sharing no prefix).
  uint64_t lastUsed = 0;

  ~Slot() { tfm_context_free(context); }
};

Engine::Engine(const Tokenizer &tokenizer) : tokenizer(tokenizer) {}

llvm::Expected<std::unique_ptr<Engine>>
Engine::create(tfm_model *model, const Tokenizer &tokenizer,
               const EngineOptions &options) {
  if (options.slots < 1)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the engine needs at least one slot");
  std::unique_ptr<Engine> engine(new Engine(tokenizer));
  // One group: a decode step of all busy slots is one call of the model.
  std::vector<tfm_context *> contexts(size_t(options.slots), nullptr);
  if (tfm_context_create_group(model, options.slots, options.contextLength,
                               options.threads, contexts.data()) != TFM_OK)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   std::string("slots: ") + tfm_last_error());
  for (tfm_context *context : contexts) {
    auto slot = std::make_unique<Slot>();
    slot->context = context;
    engine->slots.push_back(std::move(slot));
  }
  tfm_context *first = engine->slots.front()->context;
  engine->length = tfm_context_length(first);
  engine->vocab = tfm_model_vocab_size(model);
  EngineMetrics &counters = engine->counters;
  counters.slots = options.slots;
  counters.kvCapacityTokens = int64_t(options.slots) * engine->length;
  counters.kvBytes = int64_t(options.slots) * int64_t(tfm_context_kv_bytes(first));
  engine->worker = std::thread([raw = engine.get()] { raw->run(); });
  return std::move(engine);
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  if (worker.joinable())
    worker.join();
  for (const std::shared_ptr<Job> &job : queue)
    job->finish("error", 0, "the server is shutting down");
  for (const std::unique_ptr<Slot> &slot : slots)
    if (slot->job)
      slot->job->finish("error", slot->generated, "the server is shutting down");
}

int32_t Engine::threads() const {
  return tfm_context_threads(slots.front()->context);
}

std::shared_ptr<Job> Engine::submit(JobSpec spec) {
  auto job = std::make_shared<Job>(std::move(spec));
  {
    std::lock_guard<std::mutex> lock(mutex);
    queue.push_back(job);
    counters.queueLength = int64_t(queue.size());
  }
  wake.notify_all();
  return job;
}

EngineMetrics Engine::metrics() {
  std::lock_guard<std::mutex> lock(mutex);
  return counters;
}

void Engine::run() {
  for (;;) {
    std::vector<Slot *> admitted;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] {
        bool busy = std::any_of(slots.begin(), slots.end(),
                                [](const auto &slot) { return slot->job; });
        bool free = std::any_of(slots.begin(), slots.end(),
                                [](const auto &slot) { return !slot->job; });
        return stopping || busy || (free && !queue.empty());
      });
      if (stopping)
        return;
      admitted = admitJobs();
    }
    dropCancelledJobs();
    for (Slot *slot : admitted)
      if (slot->job)
        start(*slot);
    decodeStep();

    std::lock_guard<std::mutex> lock(mutex);
    counters.busySlots = 0;
    counters.kvTokens = 0;
    for (const std::unique_ptr<Slot> &slot : slots) {
      counters.busySlots += slot->job ? 1 : 0;
      counters.kvTokens += tfm_context_position(slot->context);
    }
  }
}

std::vector<Engine::Slot *> Engine::admitJobs() {
  std::vector<Slot *> admitted;
  while (!queue.empty()) {
    std::shared_ptr<Job> job = queue.front();
    if (job->isCancelled()) {
      queue.pop_front();
      ++counters.jobsCancelled;
      job->finish("cancelled", 0);
      continue;
    }
    Slot *slot = slotFor(job->specification().prompt);
    if (!slot)
      break;
    queue.pop_front();
    slot->job = std::move(job);
    ++counters.jobsStarted;
    admitted.push_back(slot);
  }
  counters.queueLength = int64_t(queue.size());
  return admitted;
}

namespace {

size_t commonPrefix(const std::vector<int32_t> &a,
                    const std::vector<int32_t> &b) {
  size_t length = std::min(a.size(), b.size());
  return size_t(std::mismatch(a.begin(), a.begin() + length, b.begin()).first -
                a.begin());
}

} // namespace

Engine::Slot *Engine::slotFor(const std::vector<int32_t> &prompt) {
  Slot *best = nullptr;
  size_t bestPrefix = 0;
  for (const std::unique_ptr<Slot> &slot : slots) {
    if (slot->job)
      continue;
    size_t prefix = commonPrefix(slot->cached, prompt);
    if (!best || prefix > bestPrefix ||
        (prefix == bestPrefix && slot->lastUsed < best->lastUsed)) {
      best = slot.get();
      bestPrefix = prefix;
    }
  }
  return best;
}

void Engine::start(Slot &slot) {
  const JobSpec &spec = slot.job->specification();
  slot.generated = 0;
  slot.pending = -1;
  slot.utf8 = Utf8Stream();
  slot.stops = std::make_unique<StopMatcher>(spec.stop);
  if (spec.prompt.empty() || int64_t(spec.prompt.size()) >= length) {
    release(slot, "error", "the prompt of " +
                               std::to_string(spec.prompt.size()) +
                               " tokens does not fit the context");
    return;
  }
  if (spec.maxTokens <= 0) {
    release(slot, "length");
    return;
  }
  // The last prompt token always runs: its logits give the first token.
  size_t reused = std::min(commonPrefix(slot.cached, spec.prompt),
                           spec.prompt.size() - 1);
  Clock::time_point begin = Clock::now();
  const float *logits = nullptr;
  tfm_status status = tfm_context_truncate(slot.context, int32_t(reused));
  if (status != TFM_OK && reused > 0) {
    // Sliding-window layers keep a ring of recent positions: one that no
    // longer holds the window before `reused` runs the prompt from 0.
    tfm_context_reset(slot.context);
    reused = 0;
    status = TFM_OK;
  }
  slot.cached.resize(reused);
  if (status == TFM_OK)
    status = tfm_prefill(slot.context, spec.prompt.data() + reused,
                         int32_t(spec.prompt.size() - reused), &logits);
  if (status != TFM_OK) {
    slot.cached.clear();
    tfm_context_reset(slot.context);
    release(slot, "error", std::string("prefill: ") + tfm_last_error());
    return;
  }
  slot.cached = spec.prompt;
  {
    std::lock_guard<std::mutex> lock(mutex);
    counters.promptTokens += int64_t(spec.prompt.size());
    counters.promptTokensCached += int64_t(reused);
    counters.prefillSeconds +=
        std::chrono::duration<double>(Clock::now() - begin).count();
  }
  slot.sampler = std::make_unique<Sampler>(spec.sampling);
  slot.history = spec.prompt;
  slot.previous = spec.prompt.back();
  advance(slot, logits);
}

void Engine::decodeStep() {
  std::vector<Slot *> batch;
  std::vector<tfm_context *> contexts;
  std::vector<int32_t> tokens;
  for (const std::unique_ptr<Slot> &slot : slots)
    if (slot->job && slot->pending >= 0) {
      batch.push_back(slot.get());
      contexts.push_back(slot->context);
      tokens.push_back(slot->pending);
    }
  if (batch.empty())
    return;
  std::vector<const float *> logits(batch.size());
  Clock::time_point begin = Clock::now();
  tfm_status status = tfm_decode_batch(contexts.data(), tokens.data(),
                                       int32_t(batch.size()), logits.data());
  {
    std::lock_guard<std::mutex> lock(mutex);
    ++counters.decodeSteps;
    counters.decodeSeconds +=
        std::chrono::duration<double>(Clock::now() - begin).count();
  }
  if (status != TFM_OK) {
    std::string error = std::string("decode: ") + tfm_last_error();
    for (Slot *slot : batch)
      release(*slot, "error", error);
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i]->cached.push_back(batch[i]->pending);
    batch[i]->pending = -1;
    advance(*batch[i], logits[i]);
  }
}

void Engine::advance(Slot &slot, const float *logits) {
  const JobSpec &spec = slot.job->specification();
  if (spec.ignoreEos) {
    std::array<int32_t, 2> ends = tokenizer.endOfGeneration();
    logits = withoutTokens(logits, size_t(vocab), ends.data(), ends.size(),
                           slot.masked);
  }
  int32_t token = slot.sampler->sample(logits, size_t(vocab), slot.history);
  slot.history.push_back(token);
  ++slot.generated;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ++counters.generatedTokens;
  }
  if (tokenizer.endsGeneration(token)) {
    release(slot, "stop");
    return;
  }
  std::string piece = tokenizer.decode(slot.previous, token);
  slot.previous = token;
  slot.job->append(slot.stops->push(slot.utf8.push(piece)));
  if (slot.stops->stopped()) {
    release(slot, "stop");
    return;
  }
  // The sampled token must still fit the context to be run.
  if (slot.generated >= spec.maxTokens ||
      int64_t(slot.cached.size()) + 1 > length) {
    release(slot, "length");
    return;
  }
  slot.pending = token;
}

void Engine::release(Slot &slot, const std::string &reason,
                     const std::string &error) {
  if (slot.stops) {
    std::string tail = slot.stops->push(slot.utf8.finish());
    tail += slot.stops->finish();
    slot.job->append(tail);
  }
  slot.job->finish(reason, slot.generated, error);
  slot.job.reset();
  slot.pending = -1;
  slot.lastUsed = ++releases;
}

void Engine::dropCancelledJobs() {
  for (const std::unique_ptr<Slot> &slot : slots)
    if (slot->job && slot->job->isCancelled()) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++counters.jobsCancelled;
      }
      release(*slot, "cancelled");
    }
}
