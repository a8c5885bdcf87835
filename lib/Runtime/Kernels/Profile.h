//===- Profile.h - time counters of the kernels -----------------*- C++ -*-===//
//
// A compiled model library defines `tfm_kernel_counters` (lib/Compiler):
// word 0 turns counting on, word 1 sums the nanoseconds threads spend in
// the attention kernels. The runtime reads it through dlsym
// (tfm_model_attention_seconds); tfm-lab divides it by the prefill time.
// The reference is weak, so programs that link the kernels without a model
// (tfm-kernel-bench, the unit tests) count nothing. Off, a kernel call
// pays one load and a branch.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_PROFILE_H
#define TFM_LIB_RUNTIME_KERNELS_PROFILE_H

#include <cstdint>
#include <ctime>

extern "C" __attribute__((weak)) int64_t tfm_kernel_counters[];

namespace tfm::kernels {

enum KernelCounter { kCountingOn = 0, kAttentionNanoseconds = 1 };

/// Adds the lifetime of the scope to the attention counter when counting.
class AttentionTimer {
public:
  AttentionTimer()
      : on(tfm_kernel_counters &&
           __atomic_load_n(&tfm_kernel_counters[kCountingOn],
                           __ATOMIC_RELAXED)) {
    if (on)
      start = now();
  }
  ~AttentionTimer() {
    if (on)
      __atomic_fetch_add(&tfm_kernel_counters[kAttentionNanoseconds],
                         now() - start, __ATOMIC_RELAXED);
  }
  AttentionTimer(const AttentionTimer &) = delete;
  AttentionTimer &operator=(const AttentionTimer &) = delete;

private:
  static int64_t now() {
    timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return int64_t(time.tv_sec) * 1000000000 + time.tv_nsec;
  }

  bool on;
  int64_t start = 0;
};

} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_PROFILE_H
