// RUN: tfm-opt %s --split-input-file --tfm-hoist-accumulators | FileCheck %s

// The accumulator of a marked reduction loop is read once before the loop,
// carried as an iteration argument and written once after it; the views it
// is accessed through leave the loop first.
// CHECK-LABEL: func.func @matmul_step
// CHECK-SAME: (%[[X:.*]]: memref<4x64xf32>, %[[W:.*]]: memref<64x8xf32>, %[[OUT:.*]]: memref<4x8xf32>)
// CHECK: %[[ACC:.*]] = vector.transfer_read %[[OUT]][%c0, %c0]
// CHECK: %[[R:.*]] = scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%[[A:.*]] = %[[ACC]]) -> (vector<4x8xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: %[[SUM:.*]] = arith.addf %[[A]], %{{.*}} : vector<4x8xf32>
// CHECK: scf.yield %[[SUM]]
// CHECK: } {tfm.reduction_loop}
// CHECK: vector.transfer_write %[[R]], %[[OUT]][%c0, %c0]
func.func @matmul_step(%x: memref<4x64xf32>, %w: memref<64x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %p = ub.poison : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %view = memref.subview %out[0, 0] [4, 8] [1, 1] : memref<4x8xf32> to memref<4x8xf32, strided<[8, 1]>>
    %xk = vector.transfer_read %x[%c0, %k], %p {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>} : memref<4x64xf32>, vector<4x8xf32>
    %wk = vector.transfer_read %w[%k, %c0], %p {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (0, d1)>} : memref<64x8xf32>, vector<4x8xf32>
    %acc = vector.transfer_read %out[%c0, %c0], %p {in_bounds = [true, true]} : memref<4x8xf32>, vector<4x8xf32>
    %product = arith.mulf %xk, %wk : vector<4x8xf32>
    %sum = arith.addf %acc, %product : vector<4x8xf32>
    vector.transfer_write %sum, %out[%c0, %c0] {in_bounds = [true, true]} : vector<4x8xf32>, memref<4x8xf32>
  } {tfm.reduction_loop}
  return
}

// -----

// Left alone: an unmarked loop; a loop that writes more than the
// accumulator; an accumulator whose place moves with the loop; a second
// read of the accumulator memref.
// CHECK-LABEL: func.func @not_hoisted
// CHECK-NOT: iter_args
// CHECK: return
func.func @not_hoisted(%x: memref<64xf32>, %out: memref<8xf32>, %other: memref<8xf32>, %row: memref<64x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %p = ub.poison : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %out[%c0], %p {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
    %sum = arith.addf %acc, %acc : vector<8xf32>
    vector.transfer_write %sum, %out[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
  }
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %out[%c0], %p {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
    vector.transfer_write %acc, %other[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
    vector.transfer_write %acc, %out[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
  } {tfm.reduction_loop}
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %row[%k, %c0], %p {in_bounds = [true]} : memref<64x8xf32>, vector<8xf32>
    vector.transfer_write %acc, %row[%k, %c0] {in_bounds = [true]} : vector<8xf32>, memref<64x8xf32>
  } {tfm.reduction_loop}
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %out[%c0], %p {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
    %again = vector.transfer_read %out[%c4], %p : memref<8xf32>, vector<4xf32>
    vector.transfer_write %acc, %out[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
  } {tfm.reduction_loop}
  return
}
