//===- SpreadPrefetch.h - prefetches spread over a kernel's loop -*- C++ -*-===//
//
// The weights a prefill kernel reads next (the next panels, the next group
// of rows), brought into L2 a line at a time while it computes on the
// current ones. The first pass over weights that come from memory would
// otherwise wait on them: it asks for more bytes per cycle than one core
// gets. A burst of prefetches waits on the line-fill buffers instead
// (docs/performance.md, 2026-12-06), so the kernel calls next() once every
// few steps of its loop. A prefetch never faults: the region may run past
// the end of an allocation.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_KERNELS_SPREADPREFETCH_H
#define TFM_LIB_RUNTIME_KERNELS_SPREADPREFETCH_H

#include <cstdint>

namespace tfm::kernels {
namespace {

class SpreadPrefetch {
public:
  /// Share `pass` of `passes` of the lines of `bytes` bytes at `region`
  /// (all of them by default). A null region prefetches nothing.
  SpreadPrefetch(const void *region, int64_t bytes, int64_t pass = 0,
                 int64_t passes = 1) {
    if (!region || passes <= 0)
      return;
    const char *base = static_cast<const char *>(region);
    int64_t lines = (bytes + kLineBytes - 1) / kLineBytes;
    line = base + kLineBytes * (pass * lines / passes);
    end = base + kLineBytes * ((pass + 1) * lines / passes);
  }

  /// The lines this share still has to ask for: [first(), last()).
  const char *first() const { return line; }
  const char *last() const { return end; }

  /// Asks for the next line into L2 (prefetcht1), if any is left.
  void next() {
    if (line < end) {
      __builtin_prefetch(line, /*rw=*/0, /*locality=*/2);
      line += kLineBytes;
    }
  }

private:
  static constexpr int64_t kLineBytes = 64;
  const char *line = nullptr;
  const char *end = nullptr;
};

} // namespace
} // namespace tfm::kernels

#endif // TFM_LIB_RUNTIME_KERNELS_SPREADPREFETCH_H
