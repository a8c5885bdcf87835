//===- Metrics.h - tfm-server's /metrics in Prometheus text -----*- C++ -*-===//

#ifndef TFM_SERVER_METRICS_H
#define TFM_SERVER_METRICS_H

#include "tfm/Server/Engine.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace mlir::tfm::server {

/// What the HTTP side counts: requests by outcome.
struct HttpCounters {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> clientErrors{0};
  std::atomic<int64_t> serverErrors{0};
};

/// The Prometheus text exposition (version 0.0.4) of the counters.
std::string prometheusText(const EngineMetrics &engine,
                           const HttpCounters &http);

} // namespace mlir::tfm::server

#endif // TFM_SERVER_METRICS_H
