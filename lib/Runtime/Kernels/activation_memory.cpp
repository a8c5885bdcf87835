//===- activation_memory.cpp - the generated code's heap buffers ----------===//
//
// tfm-cpu-pipeline lowers memref.alloc and memref.dealloc to the generic
// functions of MLIR's memref-to-llvm conversion (`use-generic-functions`);
// every model library gets them from here. Large buffers (a prefill's or
// an encoder batch's activations: tokens x hidden floats) are kept when
// freed and handed out again to a request they fit, as llama.cpp keeps its
// compute buffer: glibc maps each allocation above its mmap threshold
// (at most 32 MiB) afresh, and the first write of every 4 KiB page of it
// then costs a page fault. A BERT-base batch of 32 texts of 128 tokens
// ran at a third of its speed that way (docs/performance.md). Small
// buffers go to malloc as before.
//
// Every block starts with a header of kHeaderBytes before the address the
// caller gets (so that address keeps the block's 64-byte alignment), which
// records the block's own start and capacity.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <pthread.h>

#include <cstdint>
#include <cstdlib>

namespace {

constexpr size_t kHeaderBytes = 64;
/// Blocks of at least this many bytes are kept when freed.
constexpr size_t kKeptFrom = size_t(64) << 10;
/// Kept blocks grow in steps of this many bytes, so that calls whose
/// shapes differ a little (one more token) reuse the same blocks.
constexpr size_t kKeptGranule = size_t(64) << 10;
/// At most this many bytes are kept; a freed block beyond it goes back.
constexpr size_t kKeptLimit = size_t(4) << 30;

struct BlockHeader {
  void *start;
  size_t capacity;
};

size_t roundUp(size_t value, size_t unit) {
  return (value + unit - 1) / unit * unit;
}

/// The blocks freed and kept (at most kKeptBlocks of them). Plain arrays
/// and a pthread mutex, no destructor: the library is linked by the C
/// driver and needs nothing of the C++ runtime (test/Install checks).
class KeptBlocks {
public:
  constexpr KeptBlocks() = default;

  /// Frees every kept block.
  void release() {
    pthread_mutex_lock(&mutex);
    for (size_t i = 0; i < count; ++i)
      std::free(blocks[i].start);
    count = 0;
    keptBytes = 0;
    pthread_mutex_unlock(&mutex);
  }

  /// The smallest kept block of at least `bytes` and at most twice that,
  /// or null.
  void *take(size_t bytes, size_t &capacity) {
    pthread_mutex_lock(&mutex);
    size_t best = count;
    for (size_t i = 0; i < count; ++i)
      if (blocks[i].capacity >= bytes && blocks[i].capacity <= 2 * bytes &&
          (best == count || blocks[i].capacity < blocks[best].capacity))
        best = i;
    void *start = nullptr;
    if (best < count) {
      start = blocks[best].start;
      capacity = blocks[best].capacity;
      keptBytes -= capacity;
      blocks[best] = blocks[--count];
    }
    pthread_mutex_unlock(&mutex);
    return start;
  }

  /// Keeps the block unless the list is full or kKeptLimit would be
  /// exceeded.
  bool keep(void *start, size_t capacity) {
    pthread_mutex_lock(&mutex);
    bool kept = count < kKeptBlocks && keptBytes + capacity <= kKeptLimit;
    if (kept) {
      blocks[count++] = {start, capacity};
      keptBytes += capacity;
    }
    pthread_mutex_unlock(&mutex);
    return kept;
  }

private:
  static constexpr size_t kKeptBlocks = 1024;
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  BlockHeader blocks[kKeptBlocks] = {};
  size_t count = 0;
  size_t keptBytes = 0;
};

KeptBlocks kept;

/// The kept blocks go back when the library is unloaded (an ELF destructor,
/// not a C++ one: no __cxa_atexit).
__attribute__((destructor)) void releaseKeptBlocks() { kept.release(); }

/// `bytes` usable bytes at an address aligned to `alignment` (a power of
/// two, at least 64), with the header in front.
void *allocate(size_t bytes, size_t alignment) {
  size_t needed = bytes + kHeaderBytes + (alignment - 64);
  size_t capacity = 0;
  void *start = nullptr;
  if (needed >= kKeptFrom) {
    needed = roundUp(needed, kKeptGranule);
    start = kept.take(needed, capacity);
  }
  if (!start) {
    capacity = roundUp(needed, 64);
    start = std::aligned_alloc(64, capacity);
    if (!start)
      return nullptr;
  }
  auto address = reinterpret_cast<uintptr_t>(start) + kHeaderBytes;
  address = roundUp(address, alignment);
  auto *header = reinterpret_cast<BlockHeader *>(address) - 1;
  header->start = start;
  header->capacity = capacity;
  return reinterpret_cast<void *>(address);
}

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t bytes) { return allocate(bytes, 64); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  return allocate(bytes, alignment < 64 ? 64 : alignment);
}

void _mlir_memref_to_llvm_free(void *pointer) {
  if (!pointer)
    return;
  const BlockHeader &header = *(static_cast<BlockHeader *>(pointer) - 1);
  if (header.capacity >= kKeptFrom &&
      kept.keep(header.start, header.capacity))
    return;
  std::free(header.start);
}

} // extern "C"
