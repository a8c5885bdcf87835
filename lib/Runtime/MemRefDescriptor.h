//===- MemRefDescriptor.h - the ABI of a compiled function's memrefs -*- C++ -*-===//
//
// How a function compiled with `llvm.emit_c_interface` takes a ranked
// memref: a pointer to this descriptor. The runtime calls a model's entry
// points with it; tfm-kernel-bench calls the generated decode functions.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_MEMREFDESCRIPTOR_H
#define TFM_LIB_RUNTIME_MEMREFDESCRIPTOR_H

#include <cstdint>

namespace tfm::runtime {

/// An MLIR ranked memref descriptor (`llvm.emit_c_interface` ABI).
template <typename T, int Rank> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

} // namespace tfm::runtime

#endif // TFM_LIB_RUNTIME_MEMREFDESCRIPTOR_H
