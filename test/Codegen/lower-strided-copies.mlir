// RUN: tfm-opt %s --split-input-file --tfm-lower-strided-copies | FileCheck %s

// A copy between views of a shape known at run time (the rows of a
// batched decode step) becomes linalg.copy: MemRefToLLVM would call
// memrefCopy, which a model library does not link.
// CHECK-LABEL: func @rows_of_a_batch
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>) outs(%{{.*}} : memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>)
func.func @rows_of_a_batch(%rows: memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>,
                           %view: memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>) {
  memref.copy %rows, %view : memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>> to memref<?x2x16xf32, strided<[96, 16, 1], offset: ?>>
  return
}

// -----

// Contiguous copies stay: they become memcpy (a static row of unit
// dimensions is contiguous whatever its strides).
// CHECK-LABEL: func @contiguous
// CHECK: memref.copy
// CHECK: memref.copy
// CHECK-NOT: linalg.copy
func.func @contiguous(%a: memref<?x16xf32>, %b: memref<?x16xf32>,
                      %row: memref<1x1x16xf32, strided<[?, ?, 1], offset: ?>>,
                      %view: memref<1x1x16xf32, strided<[?, ?, 1], offset: ?>>) {
  memref.copy %a, %b : memref<?x16xf32> to memref<?x16xf32>
  memref.copy %row, %view : memref<1x1x16xf32, strided<[?, ?, 1], offset: ?>> to memref<1x1x16xf32, strided<[?, ?, 1], offset: ?>>
  return
}
