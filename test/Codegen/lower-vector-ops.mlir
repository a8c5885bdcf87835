// RUN: tfm-opt %s --pass-pipeline="builtin.module(func.func(tfm-lower-vector-ops))" | FileCheck %s

// A reduction over a middle dimension (matmul over input features) becomes
// element-wise adds of whole vectors ...
// CHECK-LABEL: func.func @matmul_step
// CHECK-NOT: vector.multi_reduction
// CHECK-NOT: vector.reduction
// CHECK: arith.addf {{.*}} : vector<32xf32>
func.func @matmul_step(%v: vector<2x4x16xf32>, %acc: vector<2x16xf32>) -> vector<2x16xf32> {
  %0 = vector.multi_reduction <add>, %v, %acc [1] : vector<2x4x16xf32> to vector<2x16xf32>
  return %0 : vector<2x16xf32>
}

// ... while a reduction over the innermost dimension (a row sum) becomes a
// horizontal reduction per row.
// CHECK-LABEL: func.func @row_sum
// CHECK-NOT: vector.multi_reduction
// CHECK: vector.reduction <add>, {{.*}} : vector<32xf32> into f32
func.func @row_sum(%v: vector<1x32xf32>, %acc: vector<1xf32>) -> vector<1xf32> {
  %0 = vector.multi_reduction <add>, %v, %acc [1] : vector<1x32xf32> to vector<1xf32>
  return %0 : vector<1xf32>
}

// Masks on transfers fold into masked transfers.
// CHECK-LABEL: func.func @masked_read
// CHECK-NOT: vector.mask
// CHECK: vector.transfer_read %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} {in_bounds = [true]} : memref<?xf32>, vector<16xf32>
func.func @masked_read(%m: memref<?xf32>, %n: index) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %mask = vector.create_mask %n : vector<16xi1>
  %0 = vector.mask %mask { vector.transfer_read %m[%c0], %pad {in_bounds = [true]} : memref<?xf32>, vector<16xf32> } : vector<16xi1> -> vector<16xf32>
  return %0 : vector<16xf32>
}
