// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// The KV-cache type and the ops that write it and attend over it.

// CHECK: !kv_cache = !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>
// CHECK: !kv_cache1 = !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16>
// CHECK: = !tfm.kv_cache<layers = ?, kv_heads = 1, context = 64, head_dim = 16, f16>
// CHECK: = !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, bf16, ring>

// CHECK-LABEL: func @append_and_attend
func.func @append_and_attend(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>, %start: index,
                             %cache: !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>)
    -> (tensor<?x64xf32>, !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>) {
  // CHECK: %[[C:.*]] = tfm.kv_cache.append %{{.*}}[4], %{{.*}}, %{{.*}} at %{{.*}} : !kv_cache, tensor<?x32xf32>, tensor<?x32xf32>
  %c = tfm.kv_cache.append %cache[4], %k, %v at %start : !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>, tensor<?x32xf32>, tensor<?x32xf32>
  // CHECK: tfm.kv_cache.attention %{{.*}}, %[[C]][4] at %{{.*}} {num_heads = 8 : i64, scale = 0.35355339059327379 : f64} : tensor<?x64xf32>, !kv_cache -> tensor<?x64xf32>
  %o = tfm.kv_cache.attention %q, %c[4] at %start {num_heads = 8 : i64, scale = 0.35355339059327379 : f64} : tensor<?x64xf32>, !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32> -> tensor<?x64xf32>
  return %o, %c : tensor<?x64xf32>, !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>
}

// CHECK-LABEL: func @mqa_f16_cache
func.func @mqa_f16_cache(%q: tensor<1x64xf32>, %kv: tensor<1x16xf32>, %pos: index,
                         %cache: !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16>) -> tensor<1x64xf32> {
  // CHECK: tfm.kv_cache.append %{{.*}}[0], %{{.*}}, %{{.*}} at %{{.*}} : !kv_cache1, tensor<1x16xf32>, tensor<1x16xf32>
  %c = tfm.kv_cache.append %cache[0], %kv, %kv at %pos : !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16>, tensor<1x16xf32>, tensor<1x16xf32>
  // CHECK: tfm.kv_cache.attention {{.*}}num_heads = 4 : i64{{.*}} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
  %o = tfm.kv_cache.attention %q, %c[0] at %pos {num_heads = 4 : i64, scale = 0.25 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16> -> tensor<1x64xf32>
  return %o : tensor<1x64xf32>
}

// A function shared by all layers names the layer by an index value.
// CHECK-LABEL: func @dynamic_layer
func.func @dynamic_layer(%q: tensor<1x64xf32>, %kv: tensor<1x16xf32>, %pos: index, %layer: index,
                         %cache: !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f32>) -> tensor<1x64xf32> {
  // CHECK: %[[C:.*]] = tfm.kv_cache.append %{{.*}}[%[[L:[a-z0-9]+]]], %{{.*}}, %{{.*}} at %{{.*}} : !kv_cache2
  %c = tfm.kv_cache.append %cache[%layer], %kv, %kv at %pos : !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f32>, tensor<1x16xf32>, tensor<1x16xf32>
  // CHECK: tfm.kv_cache.attention %{{.*}}, %[[C]][%[[L]]] at
  %o = tfm.kv_cache.attention %q, %c[%layer] at %pos {num_heads = 4 : i64, scale = 0.25 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f32> -> tensor<1x64xf32>
  return %o : tensor<1x64xf32>
}

// Qwen 3's per-head q/k norm inside the KV-cache ops (a [head_dim] weight
// and norm_eps), before their rope.
// CHECK-LABEL: func @head_norms
// CHECK: %[[C:.*]] = tfm.kv_cache.append %{{.*}}[1], %{{.*}}, %{{.*}} at %{{.*}} key_norm(%[[W:[a-z0-9]+]] : tensor<16xf32>) {norm_eps = 1.000000e-05 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.000000e+06 : f64, pairing = half_split>} : !kv_cache1
// CHECK: tfm.kv_cache.attention %{{.*}}, %[[C]][1] at %{{.*}} query_norm(%[[W]] : tensor<16xf32>) {norm_eps = 1.000000e-05 : f64, num_heads = 4 : i64, rope = #tfm.rope<rotary_dim = 16, theta = 1.000000e+06 : f64, pairing = half_split>, scale = 2.500000e-01 : f64} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
// CHECK: tfm.flash_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} -> %{{.*}} query_norm(%{{.*}} : memref<16xf32>) {norm_eps = 1.000000e-05 : f64, num_heads = 4 : i64, scale = 2.500000e-01 : f64} : memref<1x64xf32>, memref<2x?x16xf16>, memref<2x?x16xf16>, memref<1x64xf32>
func.func @head_norms(%q: tensor<1x64xf32>, %kv: tensor<1x16xf32>, %pos: index, %w: tensor<16xf32>,
                      %cache: !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16>,
                      %qb: memref<1x64xf32>, %kb: memref<2x?x16xf16>, %ob: memref<1x64xf32>, %wb: memref<16xf32>) -> tensor<1x64xf32> {
  %c = tfm.kv_cache.append %cache[1], %kv, %kv at %pos key_norm(%w : tensor<16xf32>) {norm_eps = 1.0e-05 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.0e6 : f64, pairing = half_split>} : !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16>, tensor<1x16xf32>, tensor<1x16xf32>
  %o = tfm.kv_cache.attention %q, %c[1] at %pos query_norm(%w : tensor<16xf32>) {norm_eps = 1.0e-05 : f64, num_heads = 4 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.0e6 : f64, pairing = half_split>} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 16, f16> -> tensor<1x64xf32>
  tfm.flash_attention %qb, %kb, %kb at %pos -> %ob query_norm(%wb : memref<16xf32>) {norm_eps = 1.0e-05 : f64, num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xf16>, memref<2x?x16xf16>, memref<1x64xf32>
  return %o : tensor<1x64xf32>
}

// The kernel-level fused attention on buffers (q8 rows: 16 int8 + scale).
// CHECK-LABEL: func @flash_attention
// CHECK: tfm.flash_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} -> %{{.*}} {num_heads = 4 : i64, scale = 2.500000e-01 : f64} : memref<?x64xf32>, memref<2x?x20xi8>, memref<2x?x20xi8>, memref<?x64xf32>
// CHECK: tfm.flash_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} -> %{{.*}} partials %{{.*}} {kv_splits = 2 : i64, num_heads = 4 : i64, scale = 2.500000e-01 : f64} : memref<1x64xf32>, memref<2x?x16xf16>, memref<2x?x16xf16>, memref<1x64xf32>, memref<144xf32>
func.func @flash_attention(%q: memref<?x64xf32>, %k: memref<2x?x20xi8>, %o: memref<?x64xf32>, %s: index,
                           %q1: memref<1x64xf32>, %k1: memref<2x?x16xf16>, %o1: memref<1x64xf32>, %p: memref<144xf32>) {
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64} : memref<?x64xf32>, memref<2x?x20xi8>, memref<2x?x20xi8>, memref<?x64xf32>
  tfm.flash_attention %q1, %k1, %k1 at %s -> %o1 partials %p {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 2 : i64} : memref<1x64xf32>, memref<2x?x16xf16>, memref<2x?x16xf16>, memref<1x64xf32>, memref<144xf32>
  return
}

// A pool of caches (`layers = ?`): a batched decode step names cache
// `slot`'s layer `l` as layer `slot * layers + l` of the pool.
// CHECK-LABEL: func @pool_of_caches
func.func @pool_of_caches(%q: tensor<1x64xf32>, %kv: tensor<1x16xf32>, %pos: index, %layer: index,
                          %pool: !tfm.kv_cache<layers = ?, kv_heads = 1, context = 64, head_dim = 16, f16>) -> tensor<1x64xf32> {
  // CHECK: tfm.kv_cache.append %{{.*}}[%{{.*}}], %{{.*}}, %{{.*}} at %{{.*}} : !kv_cache{{[0-9]+}}, tensor<1x16xf32>, tensor<1x16xf32>
  %c = tfm.kv_cache.append %pool[%layer], %kv, %kv at %pos : !tfm.kv_cache<layers = ?, kv_heads = 1, context = 64, head_dim = 16, f16>, tensor<1x16xf32>, tensor<1x16xf32>
  // A constant layer of a pool is not checked against a count it lacks.
  // CHECK: tfm.kv_cache.attention %{{.*}}, %{{.*}}[7] at
  %o = tfm.kv_cache.attention %q, %c[7] at %pos {num_heads = 4 : i64, scale = 0.25 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = ?, kv_heads = 1, context = 64, head_dim = 16, f16> -> tensor<1x64xf32>
  return %o : tensor<1x64xf32>
}

// CHECK-LABEL: func @kv_attention_t5
func.func @kv_attention_t5(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 4, kv_heads = 8, context = 16, head_dim = 8, f32>, %p: index, %n: index, %bias: tensor<8x1x?xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  // The decoder's self-attention with T5's causal bias.
  // CHECK: tfm.kv_cache.attention %{{.*}}, %{{.*}}[0] at %{{.*}} bias %{{.*}} {num_heads = 8 : i64, scale = 1.000000e+00 : f64} : tensor<1x64xf32>, !{{.*}}, tensor<8x1x?xf32> -> tensor<1x64xf32>
  %s = tfm.kv_cache.attention %q, %c[0] at %p bias %bias {num_heads = 8 : i64, scale = 1.0 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 4, kv_heads = 8, context = 16, head_dim = 8, f32>, tensor<8x1x?xf32> -> tensor<1x64xf32>
  // Cross-attention over the n keys an encoder wrote into layer 2.
  // CHECK: tfm.kv_cache.attention %{{.*}}, %{{.*}}[2] at %{{.*}} keys %{{.*}} {num_heads = 8 : i64, scale = 1.000000e+00 : f64} : tensor<1x64xf32>, !{{.*}} -> tensor<1x64xf32>
  %x = tfm.kv_cache.attention %q, %c[2] at %p keys %n {num_heads = 8 : i64, scale = 1.0 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 4, kv_heads = 8, context = 16, head_dim = 8, f32> -> tensor<1x64xf32>
  return %s, %x : tensor<1x64xf32>, tensor<1x64xf32>
}

// A ring: the sliding layers' cache of a long context (window + ubatch - 1
// rows), read by attention with a window that fits its rows.
// CHECK-LABEL: func @sliding_ring
func.func @sliding_ring(%q: tensor<?x32xf32>, %kv: tensor<?x16xf32>, %pos: index,
                        %ring: !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, bf16, ring>) -> tensor<?x32xf32> {
  // CHECK: tfm.kv_cache.append %{{.*}}[2], %{{.*}}, %{{.*}} at %{{.*}} : !kv_cache{{[0-9]+}}, tensor<?x16xf32>, tensor<?x16xf32>
  %c = tfm.kv_cache.append %ring[2], %kv, %kv at %pos : !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, bf16, ring>, tensor<?x16xf32>, tensor<?x16xf32>
  // CHECK: tfm.kv_cache.attention %{{.*}}, %{{.*}}[2] at %{{.*}} {num_heads = 4 : i64, scale = 2.500000e-01 : f64, window = 8 : i64}
  %o = tfm.kv_cache.attention %q, %c[2] at %pos {num_heads = 4 : i64, scale = 0.25 : f64, window = 8 : i64} : tensor<?x32xf32>, !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, bf16, ring> -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}
