//===- Metrics.cpp - tfm-server's /metrics in Prometheus text -------------===//

#include "tfm/Server/Metrics.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir::tfm;
using namespace mlir::tfm::server;

namespace {

/// Counts print as integers, rates and seconds with six decimals.
std::string formatValue(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(int64_t(value));
  return llvm::formatv("{0:F6}", value).str();
}

void metric(std::string &out, const char *name, const char *type,
            const char *help, double value) {
  out += llvm::formatv("# HELP tfm_{0} {1}\n# TYPE tfm_{0} {2}\ntfm_{0} {3}\n",
                       name, help, type, formatValue(value))
             .str();
}

} // namespace

std::string server::prometheusText(const EngineMetrics &engine,
                                   const HttpCounters &http) {
  std::string out;
  metric(out, "requests_total", "counter", "HTTP requests received",
         double(http.requests.load()));
  metric(out, "requests_client_errors_total", "counter",
         "Requests answered with a 4xx status",
         double(http.clientErrors.load()));
  metric(out, "requests_server_errors_total", "counter",
         "Requests answered with a 5xx status",
         double(http.serverErrors.load()));
  metric(out, "jobs_started_total", "counter",
         "Generations a slot took", double(engine.jobsStarted));
  metric(out, "jobs_cancelled_total", "counter",
         "Generations dropped because their client went away",
         double(engine.jobsCancelled));
  metric(out, "prompt_tokens_total", "counter", "Prompt tokens of all jobs",
         double(engine.promptTokens));
  metric(out, "prompt_tokens_cached_total", "counter",
         "Prompt tokens whose KV cache a slot already held",
         double(engine.promptTokensCached));
  metric(out, "generated_tokens_total", "counter", "Tokens generated",
         double(engine.generatedTokens));
  metric(out, "decode_steps_total", "counter",
         "Batched decode calls (one pass over the weights each)",
         double(engine.decodeSteps));
  metric(out, "prefill_seconds_total", "counter", "Time spent in prefill",
         engine.prefillSeconds);
  metric(out, "decode_seconds_total", "counter",
         "Time spent in batched decode steps", engine.decodeSeconds);
  metric(out, "prompt_tokens_per_second", "gauge",
         "Prompt tokens over the time spent in prefill",
         engine.prefillSeconds > 0
             ? double(engine.promptTokens - engine.promptTokensCached) /
                   engine.prefillSeconds
             : 0.0);
  metric(out, "generated_tokens_per_second", "gauge",
         "Generated tokens over the time spent decoding and prefilling",
         engine.decodeSeconds + engine.prefillSeconds > 0
             ? double(engine.generatedTokens) /
                   (engine.decodeSeconds + engine.prefillSeconds)
             : 0.0);
  metric(out, "queue_length", "gauge", "Jobs waiting for a free slot",
         double(engine.queueLength));
  metric(out, "slots_busy", "gauge", "Slots running a job",
         double(engine.busySlots));
  metric(out, "slots", "gauge", "Slots (--parallel)", double(engine.slots));
  metric(out, "kv_cache_tokens", "gauge",
         "Tokens held in the slots' KV caches", double(engine.kvTokens));
  metric(out, "kv_cache_capacity_tokens", "gauge",
         "Tokens the slots' KV caches can hold",
         double(engine.kvCapacityTokens));
  metric(out, "kv_cache_usage_ratio", "gauge",
         "Share of the KV caches in use",
         engine.kvCapacityTokens > 0
             ? double(engine.kvTokens) / double(engine.kvCapacityTokens)
             : 0.0);
  metric(out, "kv_cache_bytes", "gauge", "Bytes of the slots' KV caches",
         double(engine.kvBytes));
  return out;
}
