//===- PeakRates.cpp - choosing and timing the multiply-add loops ---------===//

#include "PeakRates.h"

#include "tfm/Runtime/tfm_kernels.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace tfm::bench {

namespace {

using Loop = int64_t (*)(int64_t);

/// Multiply-accumulates per second of `loop` run by `threads` threads at
/// once; the best of 5 runs of about 0.1 s (iterations sized by a first
/// short run).
double ratePerSecond(Loop loop, int threads) {
  using Clock = std::chrono::steady_clock;
  auto run = [&](int64_t iterations) {
    std::vector<int64_t> macs(size_t(threads), 0);
    Clock::time_point start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] { macs[size_t(t)] = loop(iterations); });
    for (std::thread &worker : workers)
      worker.join();
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    int64_t total = 0;
    for (int64_t m : macs)
      total += m;
    return std::pair<double, double>{double(total), seconds};
  };
  int64_t iterations = 1 << 14;
  // Grow the run until it takes 10 ms, then aim at 0.1 s.
  for (;;) {
    auto [macs, seconds] = run(iterations);
    if (macs == 0)
      return 0;
    if (seconds > 0.01) {
      iterations = int64_t(double(iterations) * 0.1 / seconds) + 1;
      break;
    }
    iterations *= 4;
  }
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    auto [macs, seconds] = run(iterations);
    best = std::max(best, macs / seconds);
  }
  return best;
}

} // namespace

PeakRates measurePeakRates(int threads) {
  PeakRates rates;
  Loop floatLoop = floatMacsGeneric, int8Loop = int8MacsGeneric;
  rates.floatIsa = rates.int8Isa = "generic";
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    floatLoop = floatMacsAvx512;
    rates.floatIsa = "avx512 vfmadd";
  } else if (__builtin_cpu_supports("avx2") &&
             __builtin_cpu_supports("fma")) {
    floatLoop = floatMacsAvx2;
    rates.floatIsa = "avx2 vfmadd";
  }
  // The instruction the quantized kernels run here.
  const char *isa = tfm_kernel_isa();
  if (std::strcmp(isa, "avx512_amx") == 0) {
    int8Loop = int8MacsAmx;
    rates.int8Isa = "amx tdpbsud";
  } else if (std::strcmp(isa, "avx512_vnni") == 0) {
    int8Loop = int8MacsAvx512Vnni;
    rates.int8Isa = "avx512 vpdpbusd";
  } else if (std::strcmp(isa, "avx2") == 0) {
    int8Loop = int8MacsAvx2;
    rates.int8Isa = "avx2 vpmaddubsw";
  }
#endif
  rates.floatMacs = ratePerSecond(floatLoop, threads);
  rates.int8Macs = ratePerSecond(int8Loop, threads);
  return rates;
}

} // namespace tfm::bench
