//===- ActivationMemoryTest.cpp - the generated code's heap ---------------===//
//
// lib/Runtime/Kernels/activation_memory.cpp: aligned, writable blocks;
// large blocks come back to the next request they fit (no fresh pages);
// small ones and ones far larger than asked are not reused.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

bool alignedTo(const void *pointer, uintptr_t alignment) {
  return reinterpret_cast<uintptr_t>(pointer) % alignment == 0;
}

TEST(ActivationMemoryTest, BlocksAreAlignedAndWritable) {
  for (size_t bytes : {size_t(1), size_t(100), size_t(1) << 20}) {
    void *block = _mlir_memref_to_llvm_alloc(bytes);
    ASSERT_NE(block, nullptr);
    EXPECT_TRUE(alignedTo(block, 64));
    std::memset(block, 0xAB, bytes);
    _mlir_memref_to_llvm_free(block);
  }
  void *wide = _mlir_memref_to_llvm_aligned_alloc(4096, 3 << 20);
  ASSERT_NE(wide, nullptr);
  EXPECT_TRUE(alignedTo(wide, 4096));
  std::memset(wide, 1, 3 << 20);
  _mlir_memref_to_llvm_free(wide);
  _mlir_memref_to_llvm_free(nullptr);
}

TEST(ActivationMemoryTest, LargeBlocksAreReused) {
  // A prefill's activations: freed, then asked for again (a token more).
  void *first = _mlir_memref_to_llvm_alloc(size_t(6) << 20);
  _mlir_memref_to_llvm_free(first);
  void *again = _mlir_memref_to_llvm_alloc((size_t(6) << 20) + 3072);
  EXPECT_EQ(again, first);
  // Not handed out twice while in use.
  void *other = _mlir_memref_to_llvm_alloc(size_t(6) << 20);
  EXPECT_NE(other, again);
  _mlir_memref_to_llvm_free(other);
  _mlir_memref_to_llvm_free(again);
  // A block more than twice the request is left for a larger one.
  void *big = _mlir_memref_to_llvm_alloc(size_t(64) << 20);
  _mlir_memref_to_llvm_free(big);
  void *small = _mlir_memref_to_llvm_alloc(size_t(1) << 20);
  EXPECT_NE(small, big);
  _mlir_memref_to_llvm_free(small);
}

TEST(ActivationMemoryTest, ThreadsShareTheBlocksSafely) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        size_t bytes = (size_t(1) << 20) + size_t(t * 4096 + i);
        auto *block =
            static_cast<uint8_t *>(_mlir_memref_to_llvm_alloc(bytes));
        ASSERT_NE(block, nullptr);
        std::memset(block, t, bytes);
        EXPECT_EQ(block[bytes - 1], uint8_t(t));
        _mlir_memref_to_llvm_free(block);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
}

} // namespace
