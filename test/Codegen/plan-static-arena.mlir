// RUN: tfm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(tfm-plan-static-arena))" | FileCheck %s

// %a and %b are live at the same time (the copy reads one and writes the
// other) and take different bytes; %c is allocated after %a's last use and
// reuses its bytes. The dealloc of a planned buffer goes away.

// CHECK-LABEL: func.func @reuse
// CHECK:      %[[ARENA:.*]] = memref.alloca() {alignment = 64 : i64, tfm.arena} : memref<8192xi8>
// CHECK:      %[[A:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<8192xi8> to memref<1x1024xf32>
// CHECK:      %[[B:.*]] = memref.view %[[ARENA]][%c4096{{.*}}][] : memref<8192xi8> to memref<1x1024xf32>
// CHECK:      memref.copy %[[A]], %[[B]]
// CHECK:      %[[C:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<8192xi8> to memref<1x1024xf32>
// CHECK:      memref.copy %[[B]], %[[C]]
// CHECK-NOT:  memref.alloc(
// CHECK-NOT:  memref.dealloc
func.func @reuse(%x: memref<1x1024xf32>, %y: memref<1x1024xf32>) {
  %a = memref.alloc() : memref<1x1024xf32>
  memref.copy %x, %a : memref<1x1024xf32> to memref<1x1024xf32>
  %b = memref.alloc() : memref<1x1024xf32>
  memref.copy %a, %b : memref<1x1024xf32> to memref<1x1024xf32>
  %c = memref.alloc() : memref<1x1024xf32>
  memref.copy %b, %c : memref<1x1024xf32> to memref<1x1024xf32>
  memref.copy %c, %y : memref<1x1024xf32> to memref<1x1024xf32>
  memref.dealloc %a : memref<1x1024xf32>
  return
}

// -----

// A view of a buffer keeps it alive: %a is used through its subview after
// %b is allocated, so they must not share bytes.

// CHECK-LABEL: func.func @through_views
// CHECK:      memref.alloca() {alignment = 64 : i64, tfm.arena} : memref<8192xi8>
// CHECK:      memref.view %{{.*}}[%c0{{.*}}][]
// CHECK:      memref.view %{{.*}}[%c4096{{.*}}][]
func.func @through_views(%x: memref<1x1024xf32>, %y: memref<1x512xf32>) {
  %a = memref.alloc() : memref<1x1024xf32>
  memref.copy %x, %a : memref<1x1024xf32> to memref<1x1024xf32>
  %half = memref.subview %a[0, 0] [1, 512] [1, 1] : memref<1x1024xf32> to memref<1x512xf32, strided<[1024, 1]>>
  %b = memref.alloc() : memref<1x1024xf32>
  memref.copy %x, %b : memref<1x1024xf32> to memref<1x1024xf32>
  memref.copy %half, %y : memref<1x512xf32, strided<[1024, 1]>> to memref<1x512xf32>
  return
}

// -----

// A raw pointer taken from a buffer keeps it alive while values computed
// from it are used (the quantized kernels' calls).

// CHECK-LABEL: func.func @raw_pointer
// CHECK:      memref.view %{{.*}}[%c0{{.*}}][]
// CHECK:      memref.view %{{.*}}[%c4096{{.*}}][]
func.func private @consume(index)
func.func @raw_pointer(%x: memref<1x1024xf32>) {
  %a = memref.alloc() : memref<1x1024xf32>
  %p = memref.extract_aligned_pointer_as_index %a : memref<1x1024xf32> -> index
  %b = memref.alloc() : memref<1x1024xf32>
  memref.copy %x, %b : memref<1x1024xf32> to memref<1x1024xf32>
  func.call @consume(%p) : (index) -> ()
  return
}

// -----

// Returned buffers and buffers sized at run time stay heap allocations.

// CHECK-LABEL: func.func @not_planned
// CHECK-NOT:  memref.alloca
// CHECK:      memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:      memref.alloc() : memref<4xf32>
func.func @not_planned(%n: index) -> memref<4xf32> {
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc() : memref<4xf32>
  return %b : memref<4xf32>
}
