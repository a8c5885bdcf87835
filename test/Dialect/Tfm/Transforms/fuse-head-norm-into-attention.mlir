// RUN: tfm-opt %s --split-input-file --tfm-fuse-head-norm-into-attention | FileCheck %s

// Qwen 3's attention after tfm-fuse-rope-into-attention: each head of Q and
// K RMS-normalized by a [head_dim] weight, the ropes already inside the
// KV-cache ops. Both norms move in; the ops take the raw projections.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 8, f32>
// CHECK-LABEL: func.func @qwen3_attention
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x32xf32>, %[[K:[a-z0-9]+]]: tensor<?x16xf32>, %[[V:[a-z0-9]+]]: tensor<?x16xf32>, %[[POS:[a-z0-9]+]]: index, %{{.*}}: !kv_cache, %[[WQ:[a-z0-9]+]]: tensor<8xf32>, %[[WK:[a-z0-9]+]]: tensor<8xf32>
// CHECK-NOT: tfm.rms_norm
// CHECK: %[[C:.*]] = tfm.kv_cache.append %{{.*}}[1], %[[K]], %[[V]] at %[[POS]] key_norm(%[[WK]] : tensor<8xf32>) {norm_eps = 9.9999999999999995E-7 : f64, rope = #tfm.rope<rotary_dim = 8, theta = 1.000000e+06 : f64, pairing = half_split>}
// CHECK: tfm.kv_cache.attention %[[Q]], %[[C]][1] at %[[POS]] query_norm(%[[WQ]] : tensor<8xf32>) {norm_eps = 9.9999999999999995E-7 : f64, num_heads = 4 : i64, rope = #tfm.rope<rotary_dim = 8, theta = 1.000000e+06 : f64, pairing = half_split>, scale = 3.500000e-01 : f64}
func.func @qwen3_attention(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>, %pos: index, %c: !cache, %wq: tensor<8xf32>, %wk: tensor<8xf32>) -> (tensor<?x32xf32>, !cache) {
  %qn = tfm.rms_norm %q, %wq {eps = 1.0e-06 : f64} : tensor<?x32xf32>, tensor<8xf32>
  %kn = tfm.rms_norm %k, %wk {eps = 1.0e-06 : f64} : tensor<?x16xf32>, tensor<8xf32>
  %c1 = tfm.kv_cache.append %c[1], %kn, %v at %pos {rope = #tfm.rope<rotary_dim = 8, theta = 1.0e6 : f64, pairing = half_split>} : !cache, tensor<?x16xf32>, tensor<?x16xf32>
  %o = tfm.kv_cache.attention %qn, %c1[1] at %pos {num_heads = 4 : i64, scale = 0.35 : f64, rope = #tfm.rope<rotary_dim = 8, theta = 1.0e6 : f64, pairing = half_split>} : tensor<?x32xf32>, !cache -> tensor<?x32xf32>
  return %o, %c1 : tensor<?x32xf32>, !cache
}

// -----

// Without positions the norm alone moves in; in a layer function (the layer
// an index operand, as tfm-outline-layers leaves it) as well.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 8, f16>
// CHECK-LABEL: func.func @no_rope_dynamic_layer
// CHECK-NOT: tfm.rms_norm
// CHECK: tfm.kv_cache.append %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} at %{{.*}} key_norm(%{{.*}} : tensor<8xf32>) {norm_eps = 0.000000e+00 : f64}
// CHECK: tfm.kv_cache.attention %{{.*}}, %{{.*}}[%{{.*}}] at %{{.*}} query_norm(%{{.*}} : tensor<8xf32>) {norm_eps = 0.000000e+00 : f64, num_heads = 2 : i64
func.func @no_rope_dynamic_layer(%q: tensor<1x16xf32>, %k: tensor<1x8xf32>, %pos: index, %layer: index, %c: !cache, %w: tensor<8xf32>) -> (tensor<1x16xf32>, !cache) {
  %kn = tfm.rms_norm %k, %w {eps = 0.0 : f64} : tensor<1x8xf32>, tensor<8xf32>
  %c1 = tfm.kv_cache.append %c[%layer], %kn, %k at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  %qn = tfm.rms_norm %q, %w {eps = 0.0 : f64} : tensor<1x16xf32>, tensor<8xf32>
  %o = tfm.kv_cache.attention %qn, %c1[%layer] at %pos {num_heads = 2 : i64, scale = 0.35 : f64} : tensor<1x16xf32>, !cache -> tensor<1x16xf32>
  return %o, %c1 : tensor<1x16xf32>, !cache
}

// -----

// Not fused: normalized keys used elsewhere too; a norm over the whole row
// (not per head); a rope left between the norm and the op (a partial
// rotary embedding the rope fusion keeps outside); an op that already
// normalizes.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 8, f32>
// CHECK-LABEL: func.func @not_fusable
// CHECK: %[[KN:.*]] = tfm.rms_norm
// CHECK: tfm.kv_cache.append %{{.*}}[0], %[[KN]], %{{.*}} at %{{.*}} : !kv_cache
// CHECK: %[[WHOLE:.*]] = tfm.rms_norm
// CHECK: tfm.kv_cache.attention %[[WHOLE]], {{.*}} {num_heads = 4 : i64, scale = 3.500000e-01 : f64}
// CHECK: tfm.rms_norm
// CHECK: %[[ROTATED:.*]] = tfm.rope
// CHECK: tfm.kv_cache.attention %[[ROTATED]], {{.*}} {num_heads = 4 : i64, scale = 3.500000e-01 : f64}
// CHECK: %[[AGAIN:.*]] = tfm.rms_norm
// CHECK: tfm.kv_cache.attention %[[AGAIN]], {{.*}} query_norm(
func.func @not_fusable(%q: tensor<1x32xf32>, %k: tensor<1x16xf32>, %pos: index, %c: !cache, %w: tensor<8xf32>, %w32: tensor<32xf32>) -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x16xf32>, !cache) {
  %kn = tfm.rms_norm %k, %w {eps = 1.0e-06 : f64} : tensor<1x16xf32>, tensor<8xf32>
  %c1 = tfm.kv_cache.append %c[0], %kn, %k at %pos : !cache, tensor<1x16xf32>, tensor<1x16xf32>
  %whole = tfm.rms_norm %q, %w32 {eps = 1.0e-06 : f64} : tensor<1x32xf32>, tensor<32xf32>
  %o1 = tfm.kv_cache.attention %whole, %c1[0] at %pos {num_heads = 4 : i64, scale = 0.35 : f64} : tensor<1x32xf32>, !cache -> tensor<1x32xf32>
  %qn = tfm.rms_norm %q, %w {eps = 1.0e-06 : f64} : tensor<1x32xf32>, tensor<8xf32>
  %qr = tfm.rope %qn at %pos half_split {head_dim = 8 : i64, rotary_dim = 4 : i64, theta = 10000.0 : f64} : tensor<1x32xf32>
  %o2 = tfm.kv_cache.attention %qr, %c1[0] at %pos {num_heads = 4 : i64, scale = 0.35 : f64} : tensor<1x32xf32>, !cache -> tensor<1x32xf32>
  %again = tfm.rms_norm %q, %w {eps = 1.0e-06 : f64} : tensor<1x32xf32>, tensor<8xf32>
  %o3 = tfm.kv_cache.attention %again, %c1[0] at %pos query_norm(%w : tensor<8xf32>) {norm_eps = 1.0e-06 : f64, num_heads = 4 : i64, scale = 0.35 : f64} : tensor<1x32xf32>, !cache -> tensor<1x32xf32>
  return %o1, %o2, %o3, %kn, %c1 : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x16xf32>, !cache
}
