// RUN: tfm-opt %s --split-input-file --tfm-fuse-rope-into-attention | FileCheck %s

// Llama's attention: Q and K rotated, K appended to the cache, Q attending
// over it. Both ropes move into the KV-cache ops, which take the
// unrotated projections.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 8, f32>
// CHECK-LABEL: func.func @llama_attention
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x32xf32>, %[[K:[a-z0-9]+]]: tensor<?x16xf32>, %[[V:[a-z0-9]+]]: tensor<?x16xf32>, %[[POS:[a-z0-9]+]]: index
// CHECK-NOT: tfm.rope
// CHECK: %[[C:.*]] = tfm.kv_cache.append %{{.*}}[1], %[[K]], %[[V]] at %[[POS]] {rope = #tfm.rope<rotary_dim = 8, theta = 1.000000e+04 : f64, pairing = interleaved>}
// CHECK: tfm.kv_cache.attention %[[Q]], %[[C]][1] at %[[POS]] {num_heads = 4 : i64, rope = #tfm.rope<rotary_dim = 8, theta = 1.000000e+04 : f64, pairing = interleaved>, scale = 3.500000e-01 : f64}
func.func @llama_attention(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>, %pos: index, %c: !cache) -> (tensor<?x32xf32>, !cache) {
  %qr = tfm.rope %q at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<?x32xf32>
  %kr = tfm.rope %k at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<?x16xf32>
  %c1 = tfm.kv_cache.append %c[1], %kr, %v at %pos : !cache, tensor<?x16xf32>, tensor<?x16xf32>
  %o = tfm.kv_cache.attention %qr, %c1[1] at %pos {num_heads = 4 : i64, scale = 0.35 : f64} : tensor<?x32xf32>, !cache -> tensor<?x32xf32>
  return %o, %c1 : tensor<?x32xf32>, !cache
}

// -----

// Half-split pairing (GPT-NeoX, Hugging Face) is kept in the attribute.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f16>
// CHECK-LABEL: func.func @half_split
// CHECK: tfm.kv_cache.append {{.*}} {rope = #tfm.rope<rotary_dim = 8, theta = 5.000000e+05 : f64, pairing = half_split>}
func.func @half_split(%k: tensor<1x8xf32>, %pos: index, %c: !cache) -> !cache {
  %kr = tfm.rope %k at %pos half_split {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 500000.0 : f64} : tensor<1x8xf32>
  %c1 = tfm.kv_cache.append %c[0], %kr, %k at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}

// -----

// Not fused: rotated keys used elsewhere too, queries rotated at other
// positions than the attention's, a partial rotary embedding.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
// CHECK-LABEL: func.func @not_fusable
// CHECK: tfm.rope
// CHECK: tfm.kv_cache.append %{{.*}}[0], %{{.*}}, %{{.*}} at %{{.*}} : !kv_cache
// CHECK: tfm.rope
// CHECK: tfm.kv_cache.attention {{.*}} {num_heads = 1 : i64, scale = 3.500000e-01 : f64}
// CHECK: tfm.rope
// CHECK: tfm.kv_cache.attention {{.*}} {num_heads = 1 : i64, scale = 3.500000e-01 : f64}
func.func @not_fusable(%q: tensor<1x8xf32>, %k: tensor<1x8xf32>, %pos: index, %other: index, %c: !cache) -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !cache) {
  %kr = tfm.rope %k at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<1x8xf32>
  %c1 = tfm.kv_cache.append %c[0], %kr, %k at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  %qr = tfm.rope %q at %other interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<1x8xf32>
  %o = tfm.kv_cache.attention %qr, %c1[0] at %pos {num_heads = 1 : i64, scale = 0.35 : f64} : tensor<1x8xf32>, !cache -> tensor<1x8xf32>
  %qp = tfm.rope %q at %pos interleaved {head_dim = 8 : i64, rotary_dim = 4 : i64, theta = 10000.0 : f64} : tensor<1x8xf32>
  %o2 = tfm.kv_cache.attention %qp, %c1[0] at %pos {num_heads = 1 : i64, scale = 0.35 : f64} : tensor<1x8xf32>, !cache -> tensor<1x8xf32>
  return %o, %o2, %kr, %c1 : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !cache
}

// -----

// Scaled RoPE (Llama 3's rope_freqs): the per-pair frequencies move with
// the rotation.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
// CHECK-LABEL: func.func @scaled_frequencies
// CHECK: tfm.kv_cache.append {{.*}} {rope = #tfm.rope<rotary_dim = 8, theta = 5.000000e+05 : f64, pairing = interleaved, frequencies = [1.000000e+00, 3.000000e-02, 4.000000e-04, 2.000000e-06]>}
func.func @scaled_frequencies(%k: tensor<1x8xf32>, %pos: index, %c: !cache) -> !cache {
  %kr = tfm.rope %k at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 500000.0 : f64, frequencies = array<f64: 1.0, 0.03, 0.0004, 0.000002>} : tensor<1x8xf32>
  %c1 = tfm.kv_cache.append %c[0], %kr, %k at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}

// -----

// A rope computed after a fused head norm's input cannot move in: the op
// normalizes before it rotates, and this rope came first.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
// CHECK-LABEL: func.func @rope_before_fused_norm
// CHECK: %[[KR:.*]] = tfm.rope
// CHECK: tfm.kv_cache.append %{{.*}}[0], %[[KR]], %{{.*}} at %{{.*}} key_norm(%{{.*}} : tensor<8xf32>) {norm_eps = 9.9999999999999995E-7 : f64} :
func.func @rope_before_fused_norm(%k: tensor<1x8xf32>, %pos: index, %c: !cache, %w: tensor<8xf32>) -> !cache {
  %kr = tfm.rope %k at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<1x8xf32>
  %c1 = tfm.kv_cache.append %c[0], %kr, %k at %pos key_norm(%w : tensor<8xf32>) {norm_eps = 1.0e-06 : f64} : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}
