// RUN: tfm-opt %s --pass-pipeline="builtin.module(func.func(tfm-plan-static-arena{max-bytes=1024}))" -verify-diagnostics | FileCheck %s

// An arena larger than max-bytes is not put on the stack.

// CHECK-LABEL: func.func @too_large
// CHECK-NOT:  memref.alloca
// CHECK:      memref.alloc() : memref<1x1024xf32>
// expected-remark @+1 {{tfm-plan-static-arena: 4096 bytes of buffers exceed max-bytes=1024; they stay heap allocations}}
func.func @too_large(%x: memref<1x1024xf32>) {
  %a = memref.alloc() : memref<1x1024xf32>
  memref.copy %x, %a : memref<1x1024xf32> to memref<1x1024xf32>
  return
}
