// RUN: tfm-opt %s --split-input-file --pass-pipeline="builtin.module(convert-tfm-to-linalg{weight-panel=16 flash-attention=0},func.func(tfm-tile-and-vectorize{vector-bits=512}))" | FileCheck %s
// RUN: tfm-opt %s --split-input-file --pass-pipeline="builtin.module(convert-tfm-to-linalg{weight-panel=8 flash-attention=0},func.func(tfm-tile-and-vectorize{vector-bits=256 matmul-rows=2}))" | FileCheck %s --check-prefix=AVX2
// RUN: tfm-opt %s --split-input-file --pass-pipeline="builtin.module(convert-tfm-to-linalg{flash-attention=0},func.func(tfm-tile-and-vectorize{vector-bits=512 threads=0 vectorize=0}))" | FileCheck %s --check-prefix=SCALAR
// RUN: not tfm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(tfm-tile-and-vectorize{vector-bits=100}))" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADBITS
// BADBITS: error: vector-bits must be a multiple of 32 and at least 128

// Prefill matmul: weight panels are spread over threads (scf.forall, two
// panels per step), token rows and input features are tiled by scf.for,
// and each tile is one vector step of matmul-rows (4) x prefill-panels (2)
// x matmul-depth x lanes. The token loop is peeled: whole tiles of 4 rows,
// then the rows left over one at a time, so no tile needs a mask. Both
// input-feature loops are marked for tfm-hoist-accumulators.
// CHECK-LABEL: func.func @linear
// CHECK: scf.forall (%{{.*}}) = (0) to (4) step (2)
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[WHOLE:[a-z0-9_]+]] step %c4
// CHECK-NOT: vector.create_mask
// CHECK: vector.transfer_read {{.*}} : tensor<4x1xf32>, vector<4x2x1x16xf32>
// CHECK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<4x2x1x16xf32> to vector<4x2x16xf32>
// CHECK: } {tfm.reduction_loop}
// CHECK: scf.for %{{.*}} = %[[WHOLE]] to %{{.*}} step %c4
// CHECK-NOT: vector.create_mask
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1
// CHECK-NOT: vector.create_mask
// CHECK: vector.transfer_read {{.*}} : tensor<1x1xf32>, vector<1x2x1x16xf32>
// CHECK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<1x2x1x16xf32> to vector<1x2x16xf32>
// CHECK: } {tfm.reduction_loop}
// CHECK-NOT: vector.mask
// CHECK: scf.forall.in_parallel
// AVX2-LABEL: func.func @linear
// AVX2: scf.forall (%{{.*}}) = (0) to (8) step (2)
// AVX2: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<2x2x1x8xf32> to vector<2x2x8xf32>
// SCALAR-LABEL: func.func @linear
// SCALAR-NOT: scf.forall
// SCALAR-NOT: vector.
// SCALAR: scf.for
// SCALAR: linalg.generic {{.*}}ins({{.*}} : tensor<4x1xf32>, tensor<2x1x16xf32>)
// SCALAR: linalg.generic {{.*}}ins({{.*}} : tensor<1x1xf32>, tensor<2x1x16xf32>)
func.func @linear(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = tfm.param "w" : tensor<64x64xf32>
  %0 = tfm.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Decode matmul (one token): each thread step takes decode-panels (4)
// panels, four independent accumulators instead of one chain of FMAs.
// CHECK-LABEL: func.func @linear_one_token
// CHECK: scf.forall (%{{.*}}) = (0) to (8) step (4)
// CHECK: scf.for
// CHECK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<1x4x1x16xf32> to vector<1x4x16xf32>
// CHECK: } {tfm.reduction_loop}
// AVX2-LABEL: func.func @linear_one_token
// AVX2: scf.forall (%{{.*}}) = (0) to (16) step (4)
// AVX2: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [2] : vector<1x4x1x8xf32> to vector<1x4x8xf32>
func.func @linear_one_token(%x: tensor<1x64xf32>) -> tensor<1x128xf32> {
  %w = tfm.param "w" : tensor<128x64xf32>
  %0 = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<128x64xf32>) -> tensor<1x128xf32>
  return %0 : tensor<1x128xf32>
}

// -----

// Row-wise kernels step row-width (2 vectors) elements at a time; the
// reduction over the innermost dimension stays a multi_reduction over it.
// The rows' sums of squares are thread steps of 16 rows.
// CHECK-LABEL: func.func @rms_norm
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK: scf.for
// CHECK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [1] : vector<1x32xf32> to vector<1xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: scf.forall
// CHECK: arith.mulf {{.*}} : vector<1x32xf32>
// AVX2-LABEL: func.func @rms_norm
// AVX2: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [1] : vector<1x16xf32> to vector<1xf32>
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// One row (decode): no thread steps for its sum of squares.
// CHECK-LABEL: func.func @rms_norm_one_row
// CHECK-NOT: scf.forall
// CHECK: vector.multi_reduction <add>
// CHECK: return
func.func @rms_norm_one_row(%x: tensor<1x64xf32>, %w: tensor<64xf32>) -> tensor<1x64xf32> {
  %0 = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  return %0 : tensor<1x64xf32>
}

// -----

// Attention over the cache: threads over KV heads; a dynamic number of keys
// is covered by masked vectors of attention-keys x head_dim.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 16, f32>
// CHECK-LABEL: func.func @attention
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: vector.mask %{{.*}} { vector.multi_reduction <add>, %{{.*}}, %{{.*}} [4] : vector<1x1x1x8x16xf32> to vector<1x1x1x8xf32> }
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: vector.mask %{{.*}} { vector.multi_reduction <add>, %{{.*}}, %{{.*}} [3] : vector<1x1x1x8x16xf32> to vector<1x1x1x16xf32> }
func.func @attention(%q: tensor<1x64xf32>, %pos: index, %c: !cache) -> tensor<1x64xf32> {
  %0 = tfm.kv_cache.attention %q, %c[0] at %pos {num_heads = 4 : i64, scale = 0.25 : f64} : tensor<1x64xf32>, !cache -> tensor<1x64xf32>
  return %0 : tensor<1x64xf32>
}
