// RUN: tfm-opt %s --split-input-file --tfm-convert-to-gqa=kv-heads=1 -verify-diagnostics | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-convert-to-gqa=kv-heads=2 | FileCheck %s --check-prefix=SAME
// RUN: not tfm-opt %s --split-input-file --tfm-convert-to-gqa=kv-heads=3 -o /dev/null 2>&1 | FileCheck %s --check-prefix=DIVIDE
// DIVIDE: error: tfm-convert-to-gqa: kv-heads=3 does not divide the model's 2 KV heads

// Four query heads and two KV heads of 8 features become MQA: the key and
// value projections (and the key's bias) pool both heads into one, through
// RoPE and a per-head norm; the cache type and the module's config follow.
// kv-heads=2 keeps the model as it is.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 8, f32>
// CHECK: !kv_cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
// CHECK: module attributes {tfm.config = {{{.*}}num_kv_heads = 1 : i64{{.*}}}}
// SAME: !tfm.kv_cache<layers = 1, kv_heads = 2,
// SAME: num_kv_heads = 2 : i64
module attributes {tfm.config = {num_heads = 4 : i64, num_kv_heads = 2 : i64}} {
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[X:.*]]: tensor<?x32xf32>, %{{.*}}: index, %{{.*}}: !kv_cache) -> (tensor<?x32xf32>, !kv_cache)
// CHECK-DAG: %[[WK:.*]] = tfm.param "wk/gqa1" parts ["wk"] pool_heads [2, 8] : tensor<8x32xf32>
// CHECK-DAG: %[[BK:.*]] = tfm.param "bk/gqa1" parts ["bk"] pool_heads [2, 8] : tensor<8xf32>
// CHECK-DAG: %[[WV:.*]] = tfm.param "wv/gqa1" parts ["wv"] pool_heads [2, 8] : tensor<8x32xf32>
// CHECK-DAG: %[[WQ:.*]] = tfm.param "wq" : tensor<32x32xf32>
// CHECK: %[[K:.*]] = tfm.linear %[[X]], %[[WK]], %[[BK]] : {{.*}} -> tensor<?x8xf32>
// CHECK: %[[KN:.*]] = tfm.rms_norm %[[K]], %{{.*}} : tensor<?x8xf32>, tensor<8xf32>
// CHECK: tfm.linear %[[X]], %[[WV]] : {{.*}} -> tensor<?x8xf32>
// CHECK: tfm.rope %[[KN]] {{.*}} : tensor<?x8xf32>
// CHECK: tfm.kv_cache.append {{.*}} : !kv_cache, tensor<?x8xf32>, tensor<?x8xf32>
// CHECK: tfm.kv_cache.attention {{.*}} {num_heads = 4 : i64, scale = {{.*}}} : tensor<?x32xf32>, !kv_cache -> tensor<?x32xf32>
// CHECK-NOT: "wk"
func.func @prefill(%x: tensor<?x32xf32>, %pos: index, %c: !cache) -> (tensor<?x32xf32>, !cache) {
  %wq = tfm.param "wq" : tensor<32x32xf32>
  %wk = tfm.param "wk" : tensor<16x32xf32>
  %bk = tfm.param "bk" : tensor<16xf32>
  %wv = tfm.param "wv" : tensor<16x32xf32>
  %gk = tfm.param "k_norm" : tensor<8xf32>
  %q = tfm.linear %x, %wq : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %k = tfm.linear %x, %wk, %bk : (tensor<?x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %kn = tfm.rms_norm %k, %gk {eps = 1.0e-6 : f64} : tensor<?x16xf32>, tensor<8xf32>
  %v = tfm.linear %x, %wv : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  %qr = tfm.rope %q at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64} : tensor<?x32xf32>
  %kr = tfm.rope %kn at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64} : tensor<?x16xf32>
  %c1 = tfm.kv_cache.append %c[0], %kr, %v at %pos : !cache, tensor<?x16xf32>, tensor<?x16xf32>
  %a = tfm.kv_cache.attention %qr, %c1[0] at %pos {num_heads = 4 : i64, scale = 0.35 : f64} : tensor<?x32xf32>, !cache -> tensor<?x32xf32>
  return %a, %c1 : tensor<?x32xf32>, !cache
}
}

// -----

// A key that does not come from a projection cannot be pooled.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 8, f32>
func.func @decode(%k: tensor<1x16xf32>, %pos: index, %c: !cache) -> !cache {
  // expected-error @+1 {{tfm-convert-to-gqa: the key of a tfm.kv_cache.append does not come from a plain tfm.linear}}
  %c1 = tfm.kv_cache.append %c[0], %k, %k at %pos : !cache, tensor<1x16xf32>, tensor<1x16xf32>
  return %c1 : !cache
}
