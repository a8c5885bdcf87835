// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg=flash-attention=0 | FileCheck %s
// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg="weight-panel=0 flash-attention=0" | FileCheck %s --check-prefix=ROWMAJOR
// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg | FileCheck %s --check-prefix=FLASH
// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg=kv-splits=1 | FileCheck %s --check-prefix=NOSPLIT
// RUN: not tfm-opt %s --split-input-file --convert-tfm-to-linalg=kv-splits=0 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADSPLITS
// BADSPLITS: kv-splits must be positive, got 0

// A linear layer reads its weight as panels of 16 outputs: [ceil(40/16), 32, 16],
// the last panel padded; the result is sliced back to 40 features.
// CHECK-LABEL: func.func @linear
// CHECK: %[[W:.*]] = tfm.param "w" {tfm.panel = 16 : i64} : tensor<3x32x16xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<?x32xf32>, tensor<3x32x16xf32>)
// CHECK-SAME: tfm.kernel = "matmul_panels"
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x48xf32>
// CHECK: tensor.extract_slice {{.*}} to tensor<?x40xf32>
// ROWMAJOR-LABEL: func.func @linear
// ROWMAJOR: linalg.generic
// ROWMAJOR-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// ROWMAJOR-SAME: tfm.kernel = "matmul"
func.func @linear(%x: tensor<?x32xf32>) -> tensor<?x40xf32> {
  %w = tfm.param "w" : tensor<40x32xf32>
  %0 = tfm.linear %x, %w : (tensor<?x32xf32>, tensor<40x32xf32>) -> tensor<?x40xf32>
  return %0 : tensor<?x40xf32>
}

// -----

// RMSNorm: a row reduction, the row scale, then the scaled product.
// CHECK-LABEL: func.func @rms_norm
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}tfm.kernel = "row_reduction"
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}}tfm.kernel = "elementwise"
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Interleaved RoPE: pairs are the last dim of [S, heads, head_dim/2, 2];
// both members are read through maps with a constant pair index.
// CHECK-DAG: #[[FIRST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
// CHECK-DAG: #[[SECOND:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 1)>
// CHECK-LABEL: func.func @rope
// CHECK: tensor.expand_shape {{.*}} into tensor<?x2x4x2xf32>
// CHECK: math.powf
// CHECK: math.cos
// CHECK: math.sin
// CHECK: linalg.generic {indexing_maps = [#[[FIRST]], #[[SECOND]]
func.func @rope(%x: tensor<?x16xf32>, %pos: index) -> tensor<?x16xf32> {
  %0 = tfm.rope %x at %pos interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64} : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Scaled RoPE: the angle tables read the per-pair frequencies from a
// constant instead of computing theta^(-2j/R).
// CHECK-LABEL: func.func @rope_scaled
// CHECK: %[[F:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-02, 2.500000e-03, 1.250000e-04]> : tensor<4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[F]] : tensor<4xf32>)
// CHECK-NOT: math.powf
// CHECK: math.cos
func.func @rope_scaled(%x: tensor<?x16xf32>, %pos: index) -> tensor<?x16xf32> {
  %0 = tfm.rope %x at %pos half_split {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64, frequencies = array<f64: 1.0, 0.05, 0.0025, 0.000125>} : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Per-head RMSNorm (Qwen 3's q/k norm): the weight covers one head, the
// rows are normalized head by head.
// CHECK-LABEL: func.func @rms_norm_per_head
// CHECK: tensor.expand_shape {{.*}} into tensor<?x4x8xf32>
// CHECK: linalg.generic
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x32xf32>
func.func @rms_norm_per_head(%x: tensor<?x32xf32>, %w: tensor<8xf32>) -> tensor<?x32xf32> {
  %0 = tfm.rms_norm %x, %w {eps = 1.0e-6 : f64} : tensor<?x32xf32>, tensor<8xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// The KV cache becomes tensor<layers x 2 x kv_heads x ? x head_dim>; append
// transposes the new keys/values to head-major and inserts them at `pos`;
// attention reads positions [0, pos + seq) and masks j > pos + i.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 4, f32>
// CHECK-LABEL: func.func @attention
// CHECK-SAME: %{{.*}}: tensor<2x2x2x?x4xf32> {tfm.kv_cache}
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x2x4xf32>) outs(%{{.*}} : tensor<2x?x4xf32>) attrs =  {tfm.kernel = "elementwise"}
// CHECK: tensor.insert_slice {{.*}}[1, 0, 0, %{{.*}}, 0] [1, 1, 2, %{{.*}}, 4] [1, 1, 1, 1, 1] : tensor<2x?x4xf32> into tensor<2x2x2x?x4xf32>
// CHECK: tensor.insert_slice {{.*}}[1, 1, 0, %{{.*}}, 0]
// CHECK: tensor.extract_slice {{.*}}[1, 0, 0, 0, 0] [1, 1, 2, %{{.*}}, 4] [1, 1, 1, 1, 1] : tensor<2x2x2x?x4xf32> to tensor<2x?x4xf32>
// CHECK: tfm.kernel = "attention_scores"
// CHECK: arith.cmpi ugt
// CHECK: arith.select
// CHECK: tfm.kernel = "attention_values"
// CHECK: return {{.*}} : tensor<?x16xf32>, tensor<2x2x2x?x4xf32>
// With flash attention (the default) the attention is one kernel-level op
// on views of the layer's keys and values: no score tensor, no mask.
// FLASH-LABEL: func.func @attention
// FLASH: %[[CACHE:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<2x2x2x?x4xf32> to memref<2x2x2x?x4xf32, strided<[?, ?, ?, ?, 1], offset: ?>>
// FLASH: %[[TOKENS:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// FLASH: %[[K:.*]] = memref.subview %[[CACHE]][1, 0, 0, 0, 0] [1, 1, 2, %[[TOKENS]], 4]
// FLASH: %[[V:.*]] = memref.subview %[[CACHE]][1, 1, 0, 0, 0] [1, 1, 2, %[[TOKENS]], 4]
// FLASH: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// FLASH-NOT: linalg.generic
// FLASH: tfm.flash_attention %{{.*}}, %[[K]], %[[V]] at %{{.*}} -> %[[OUT]] {num_heads = 4 : i64, scale = 5.000000e-01 : f64}
// FLASH-NOT: partials
// FLASH: bufferization.to_tensor %[[OUT]] restrict writable
func.func @attention(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %pos: index, %c: !cache) -> (tensor<?x16xf32>, !cache) {
  %0 = tfm.kv_cache.append %c[1], %k, %v at %pos : !cache, tensor<?x8xf32>, tensor<?x8xf32>
  %1 = tfm.kv_cache.attention %q, %0[1] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !cache -> tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, !cache
}

// -----

// Unmasked attention over given keys (an encoder's self-attention): the
// scores are not masked. With flash attention the fused kernel reads the
// key and value projections in place as [kv_heads, tokens, head_dim] views,
// and starting at the key count lets every query see every key.
// CHECK-LABEL: func.func @encoder_attention
// CHECK: tfm.kernel = "attention_scores"
// CHECK-NOT: arith.cmpi
// CHECK: tfm.kernel = "attention_values"
// FLASH-LABEL: func.func @encoder_attention
// FLASH: %[[Q:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x16xf32> to memref<?x16xf32, strided<[?, 1], offset: ?>>
// FLASH: %[[KROWS:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x8xf32> to memref<?x8xf32, strided<[?, 1], offset: ?>>
// FLASH: %[[KSPLIT:.*]] = memref.expand_shape %[[KROWS]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 2, 4]
// FLASH: %[[K:.*]] = memref.transpose %[[KSPLIT]] (d0, d1, d2) -> (d1, d0, d2) : memref<?x2x4xf32, strided<[?, 4, 1], offset: ?>> to memref<2x?x4xf32, strided<[4, ?, 1], offset: ?>>
// FLASH: %[[V:.*]] = memref.transpose
// FLASH: %[[KEYS:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x8xf32>
// FLASH-NOT: linalg.generic
// FLASH: tfm.flash_attention %[[Q]], %[[K]], %[[V]] at %[[KEYS]] -> %{{.*}} {num_heads = 4 : i64, scale = 5.000000e-01 : f64}
func.func @encoder_attention(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>) -> tensor<?x16xf32> {
  %0 = tfm.attention full %q, %k, %v {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.5 : f64} : (tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Causal attention over given keys keeps the generic form (its mask is
// the kernel's only for the KV cache).
// FLASH-LABEL: func.func @causal_attention
// FLASH-NOT: tfm.flash_attention
// FLASH: tfm.kernel = "attention_scores"
// FLASH: arith.cmpi ugt
func.func @causal_attention(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>) -> tensor<?x16xf32> {
  %0 = tfm.attention causal %q, %k, %v {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.5 : f64} : (tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Gemma's options: the scaled scores are soft-capped (tanh) and keys more
// than window - 1 positions behind the query are masked as well as the
// future ones; the fused kernel takes both as attributes.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, f32>
// CHECK-LABEL: func.func @attention_window_soft_cap
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: arith.cmpi ugt
// CHECK: arith.addi %{{.*}}, %c8
// CHECK: arith.cmpi ule
// CHECK: arith.ori
// CHECK: arith.select
// FLASH-LABEL: func.func @attention_window_soft_cap
// FLASH: tfm.flash_attention {{.*}} {num_heads = 4 : i64, scale = 5.000000e-01 : f64, soft_cap = 5.000000e+01 : f64, window = 8 : i64}
func.func @attention_window_soft_cap(%q: tensor<?x16xf32>, %pos: index, %c: !cache) -> tensor<?x16xf32> {
  %1 = tfm.kv_cache.attention %q, %c[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64, window = 8 : i64, soft_cap = 50.0 : f64} : tensor<?x16xf32>, !cache -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// Gemma's final logits: cap * tanh(x / cap); embeddings times a scale.
// CHECK-LABEL: func.func @soft_cap_and_embedding_scale
// CHECK: tensor.extract
// CHECK: arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK: math.tanh
func.func @soft_cap_and_embedding_scale(%t: tensor<?xi32>, %table: tensor<32x8xf32>) -> tensor<?x8xf32> {
  %e = tfm.embedding %table[%t] {scale = 2.0 : f64} : (tensor<32x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %c = tfm.soft_cap %e {cap = 30.0 : f64} : tensor<?x8xf32>
  return %c : tensor<?x8xf32>
}

// -----

// Fused RoPE (tfm-fuse-rope-into-attention): the keys are rotated by the
// kernel that transposes them into the cache, reading both pair members
// (constant index 0 and 1 of the [S, KVH, D/2, 2] view), and writing into
// the cache rows through a [KVH, S, D/2, 2] view of them. Unfused
// attention rotates the queries with a RoPE kernel; the fused one passes
// the cos/sin tables of the query rows to tfm.flash_attention.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, f32>
// CHECK-LABEL: func.func @rope_fused
// CHECK: %[[ROWS:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, %{{.*}}, 0] [1, 1, 2, %{{.*}}, 4] [1, 1, 1, 1, 1] : tensor<1x2x2x?x4xf32> to tensor<2x?x4xf32>
// CHECK: %[[PAIRS:.*]] = tensor.expand_shape %[[ROWS]] {{\[\[}}0], [1], [2, 3]] {{.*}} : tensor<2x?x4xf32> into tensor<2x?x2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}], {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2x2xf32>, tensor<?x2x2x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) outs(%[[PAIRS]] : tensor<2x?x2x2xf32>)
// CHECK: math.cos
// CHECK: tfm.kernel = "attention_scores"
// FLASH-LABEL: func.func @rope_fused
// FLASH: math.cos
// FLASH: %[[COS:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x2xf32> to memref<?x2xf32, strided<[?, 1], offset: ?>>
// FLASH: %[[SIN:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x2xf32> to memref<?x2xf32, strided<[?, 1], offset: ?>>
// FLASH: tfm.flash_attention {{.*}} rope(%[[COS]], %[[SIN]] : {{.*}}) {num_heads = 4 : i64, rope = #tfm.rope<rotary_dim = 4, theta = 1.000000e+04 : f64, pairing = interleaved>, scale = 5.000000e-01 : f64}
func.func @rope_fused(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %pos: index, %c: !cache) -> (tensor<?x16xf32>, !cache) {
  %0 = tfm.kv_cache.append %c[0], %k, %v at %pos {rope = #tfm.rope<rotary_dim = 4, theta = 1.0e4 : f64, pairing = interleaved>} : !cache, tensor<?x8xf32>, tensor<?x8xf32>
  %1 = tfm.kv_cache.attention %q, %0[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64, rope = #tfm.rope<rotary_dim = 4, theta = 1.0e4 : f64, pairing = interleaved>} : tensor<?x16xf32>, !cache -> tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, !cache
}

// -----

// Fused q/k norms (tfm-fuse-head-norm-into-attention): each key head's
// inverse RMS ([S, KVH], a row reduction) and the weight (viewed as the
// half-split pairs [2, D/2], read per member) are inputs of the kernel that
// rotates and transposes the keys into the cache: both members normalized,
// then rotated. Unfused attention normalizes the query heads (a row
// reduction over [S, H, D]) before its RoPE kernel; the fused one passes
// the weight to tfm.flash_attention.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, f32>
// CHECK-LABEL: func.func @head_norms_fused
// CHECK-SAME: %[[WQ:[a-z0-9]+]]: tensor<4xf32>, %[[WK:[a-z0-9]+]]: tensor<4xf32>)
// CHECK: %[[SQUARES:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<?x2x4xf32>) outs(%{{.*}} : tensor<?x2xf32>) attrs = {tfm.kernel = "row_reduction"}
// CHECK: %[[INVERSE:.*]] = linalg.generic {{.*}} ins(%[[SQUARES]] : tensor<?x2xf32>)
// CHECK: math.rsqrt
// CHECK: %[[WPAIRS:.*]] = tensor.expand_shape %[[WK]] {{\[\[}}0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[INVERSE]], %[[WPAIRS]], %[[WPAIRS]] : tensor<?x2x2x2xf32>, tensor<?x2x2x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<2x?x2x2xf32>)
// CHECK-NEXT: ^bb0(%[[FIRST:[a-z0-9_]+]]: f32, %[[SECOND:[a-z0-9_]+]]: f32, %{{.*}}: f32, %{{.*}}: f32, %[[R:[a-z0-9_]+]]: f32, %[[W0:[a-z0-9_]+]]: f32, %[[W1:[a-z0-9_]+]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[N0:.*]] = arith.mulf %[[FIRST]], %[[R]]
// CHECK-NEXT: arith.mulf %[[N0]], %[[W0]]
// CHECK-NEXT: %[[N1:.*]] = arith.mulf %[[SECOND]], %[[R]]
// CHECK-NEXT: arith.mulf %[[N1]], %[[W1]]
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x4x4xf32>) outs(%{{.*}} : tensor<?x4xf32>) attrs = {tfm.kernel = "row_reduction"}
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[WQ]] : tensor<?x4x4xf32>, tensor<?x4xf32>, tensor<4xf32>)
// CHECK: math.cos
// CHECK: tfm.kernel = "attention_scores"
// FLASH-LABEL: func.func @head_norms_fused
// FLASH-SAME: %[[WQ:[a-z0-9]+]]: tensor<4xf32>, %{{.*}}: tensor<4xf32>)
// FLASH: %[[WQB:.*]] = bufferization.to_buffer %[[WQ]] read_only : tensor<4xf32> to memref<4xf32, strided<[1], offset: ?>>
// FLASH: tfm.flash_attention {{.*}} rope({{.*}}) query_norm(%[[WQB]] : memref<4xf32, strided<[1], offset: ?>>) {norm_eps = 9.9999999999999995E-7 : f64, num_heads = 4 : i64
func.func @head_norms_fused(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %pos: index, %c: !cache, %wq: tensor<4xf32>, %wk: tensor<4xf32>) -> (tensor<?x16xf32>, !cache) {
  %0 = tfm.kv_cache.append %c[0], %k, %v at %pos key_norm(%wk : tensor<4xf32>) {norm_eps = 1.0e-06 : f64, rope = #tfm.rope<rotary_dim = 4, theta = 1.0e4 : f64, pairing = half_split>} : !cache, tensor<?x8xf32>, tensor<?x8xf32>
  %1 = tfm.kv_cache.attention %q, %0[0] at %pos query_norm(%wq : tensor<4xf32>) {norm_eps = 1.0e-06 : f64, num_heads = 4 : i64, scale = 0.5 : f64, rope = #tfm.rope<rotary_dim = 4, theta = 1.0e4 : f64, pairing = half_split>} : tensor<?x16xf32>, !cache -> tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, !cache
}

// -----

// A key norm without a rope: the transposing kernel scales each element by
// its head's inverse RMS and its weight.
!cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, f16>
// CHECK-LABEL: func.func @key_norm_unrotated
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4xf32>)
// CHECK: %[[INVERSE:.*]] = linalg.generic {{.*}} ins(%{{[a-z0-9_]+}} : tensor<1x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[INVERSE]], %[[W]] : tensor<1x2x4xf32>, tensor<1x2xf32>, tensor<4xf32>) outs(%{{.*}} : tensor<2x1x4xf16>)
// CHECK: arith.truncf
func.func @key_norm_unrotated(%k: tensor<1x8xf32>, %pos: index, %c: !cache, %w: tensor<4xf32>) -> !cache {
  %0 = tfm.kv_cache.append %c[0], %k, %k at %pos key_norm(%w : tensor<4xf32>) {norm_eps = 1.0e-06 : f64} : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %0 : !cache
}

// -----

// A layer function (tfm-outline-layers): its linear weight argument takes
// the panel layout and each call passes the packed param; the KV-cache
// layer comes from an index argument. Only entry points mark their cache.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 1, context = 64, head_dim = 4, f32>
// CHECK-LABEL: func.func @two_layers
// CHECK-SAME: tensor<2x2x1x?x4xf32> {tfm.kv_cache}
// CHECK: %[[W0:.*]] = tfm.param "blk.0.attn_kv.weight" {tfm.panel = 16 : i64} : tensor<1x8x16xf32>
// CHECK: call @two_layers_layer(%{{.*}}, %{{.*}}, %{{.*}}, %[[W0]], %{{.*}}) : (tensor<1x8xf32>, tensor<2x2x1x?x4xf32>, index, tensor<1x8x16xf32>, index)
// CHECK: %[[W1:.*]] = tfm.param "blk.1.attn_kv.weight" {tfm.panel = 16 : i64} : tensor<1x8x16xf32>
// CHECK: call @two_layers_layer(%{{.*}}, %{{.*}}, %{{.*}}, %[[W1]], %{{.*}})
// CHECK-LABEL: func.func private @two_layers_layer
// CHECK-SAME: (%{{.*}}: tensor<1x8xf32>, %{{.*}}: tensor<2x2x1x?x4xf32>, %{{.*}}: index, %{{.*}}: tensor<1x8x16xf32>, %[[LAYER:.*]]: index)
// CHECK: tfm.kernel = "matmul_panels"
// CHECK: tensor.insert_slice {{.*}} into tensor<2x2x1x?x4xf32>
// CHECK: tensor.insert_slice {{.*}}[%[[LAYER]], 1, 0, %{{.*}}, 0]
// ROWMAJOR-LABEL: func.func private @two_layers_layer
// ROWMAJOR-SAME: tensor<4x8xf32>
// A decode step (one static query row) splits the keys into 4 ranges, whose
// partial results need 4 x 1 x 2 x (4 + 2) floats.
// FLASH-LABEL: func.func private @two_layers_layer
// FLASH: %[[P:.*]] = memref.alloc() : memref<48xf32>
// FLASH: tfm.flash_attention {{.*}} partials %[[P]] {kv_splits = 4 : i64, num_heads = 2 : i64
// NOSPLIT-LABEL: func.func private @two_layers_layer
// NOSPLIT-NOT: partials
// NOSPLIT: tfm.flash_attention
// NOSPLIT-NOT: partials
func.func @two_layers(%x: tensor<1x8xf32>, %pos: index, %c: !cache) -> (tensor<1x8xf32>, !cache) {
  %w0 = tfm.param "blk.0.attn_kv.weight" : tensor<4x8xf32>
  %w1 = tfm.param "blk.1.attn_kv.weight" : tensor<4x8xf32>
  %l0 = arith.constant 0 : index
  %r0:2 = call @two_layers_layer(%x, %c, %pos, %w0, %l0) : (tensor<1x8xf32>, !cache, index, tensor<4x8xf32>, index) -> (!cache, tensor<1x8xf32>)
  %l1 = arith.constant 1 : index
  %r1:2 = call @two_layers_layer(%r0#1, %r0#0, %pos, %w1, %l1) : (tensor<1x8xf32>, !cache, index, tensor<4x8xf32>, index) -> (!cache, tensor<1x8xf32>)
  return %r1#1, %r1#0 : tensor<1x8xf32>, !cache
}
func.func private @two_layers_layer(%x: tensor<1x8xf32>, %c: !cache, %pos: index, %w: tensor<4x8xf32>, %layer: index) -> (!cache, tensor<1x8xf32>) {
  %kv = tfm.linear %x, %w : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<1x4xf32>
  %c1 = tfm.kv_cache.append %c[%layer], %kv, %kv at %pos : !cache, tensor<1x4xf32>, tensor<1x4xf32>
  %a = tfm.kv_cache.attention %x, %c1[%layer] at %pos {num_heads = 2 : i64, scale = 0.5 : f64} : tensor<1x8xf32>, !cache -> tensor<1x8xf32>
  return %c1, %a : !cache, tensor<1x8xf32>
}

// -----

// A residual epilogue is the matmul's initial value: the products
// accumulate onto it (split into panels), no separate add.
// CHECK-LABEL: func.func @linear_residual
// CHECK-SAME: (%[[X:.*]]: tensor<1x32xf32>, %[[H:.*]]: tensor<1x32xf32>)
// CHECK: %[[INIT:.*]] = tensor.expand_shape %[[H]] {{\[\[}}0], [1, 2]] output_shape [1, 2, 16]
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[INIT]] : tensor<1x2x16xf32>)
// CHECK-SAME: tfm.kernel = "matmul_panels"
// CHECK-NOT: linalg.generic
// ROWMAJOR-LABEL: func.func @linear_residual
// ROWMAJOR-SAME: %[[H:[a-z0-9]+]]: tensor<1x32xf32>)
// ROWMAJOR: linalg.generic
// ROWMAJOR-SAME: outs(%[[H]] : tensor<1x32xf32>)
func.func @linear_residual(%x: tensor<1x32xf32>, %h: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %w = tfm.param "w" : tensor<32x32xf32>
  %y = tfm.linear %x, %w residual %h : (tensor<1x32xf32>, tensor<32x32xf32>, tensor<1x32xf32>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// A norm prologue whose scale is folded into the f32 weight: the inverse RMS
// of each row (a row reduction), the products in panels onto zeros, then an
// epilogue over the products that scales each row and adds the residual.
// CHECK-LABEL: func.func @folded_norm_linear
// CHECK: %[[SUMSQ:.*]] = linalg.generic {{.*}}tfm.kernel = "row_reduction"
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} ins(%[[SUMSQ]] : tensor<?xf32>) {{.*}}tfm.kernel = "elementwise"
// CHECK: math.rsqrt
// CHECK: %[[W:.*]] = tfm.param "w*g" column_scale "g" {tfm.panel = 16 : i64} : tensor<2x64x16xf32>
// CHECK: %[[RES:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 2, 16]
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x64xf32>, tensor<2x64x16xf32>) {{.*}}tfm.kernel = "matmul_panels"
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[INV]], %[[RES]] : tensor<?xf32>, tensor<?x2x16xf32>) outs(%[[P]] : tensor<?x2x16xf32>) attrs = {tfm.kernel = "matmul_epilogue"}
// CHECK: ^bb0(%[[S:.*]]: f32, %[[R:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[SCALED:.*]] = arith.mulf %[[ACC]], %[[S]] : f32
// CHECK: arith.addf %[[SCALED]], %[[R]] : f32
// CHECK: tensor.collapse_shape %[[E]]
func.func @folded_norm_linear(%x: tensor<?x64xf32>, %r: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %w = tfm.param "w*g" column_scale "g" : tensor<32x64xf32>
  %y = tfm.linear %x, %w residual %r {norm_eps = 1.0e-5 : f64} : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// A bias and activation epilogue (tfm-fuse-linear-activations): with whole
// panels, one `matmul_epilogue` over the products adds the bias, split
// into panels, and applies the activation; row-major weights (ROWMAJOR) and
// partial panels take one element-wise pass after the products instead of
// two.
// CHECK-LABEL: func.func @linear_bias_activation
// CHECK: %[[W:.*]] = tfm.param "w" {tfm.panel = 16 : i64} : tensor<4x64x16xf32>
// CHECK: %[[BIAS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 16] : tensor<64xf32> into tensor<4x16xf32>
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x64xf32>, tensor<4x64x16xf32>) {{.*}}tfm.kernel = "matmul_panels"
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[BIAS]] : tensor<4x16xf32>) outs(%[[P]] : tensor<?x4x16xf32>) attrs = {tfm.kernel = "matmul_epilogue"}
// CHECK: ^bb0(%[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC]], %[[B]] : f32
// CHECK: math.tanh
// CHECK: tensor.collapse_shape %[[E]]
// CHECK-NOT: tfm.kernel = "elementwise"
// CHECK: return
// ROWMAJOR-LABEL: func.func @linear_bias_activation
// ROWMAJOR: tfm.kernel = "matmul"
// ROWMAJOR: linalg.generic {{.*}}tfm.kernel = "elementwise"
// ROWMAJOR: arith.addf
// ROWMAJOR: math.tanh
// ROWMAJOR-NOT: linalg.generic
// ROWMAJOR: return
func.func @linear_bias_activation(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = tfm.param "w" : tensor<64x64xf32>
  %b = tfm.param "b" : tensor<64xf32>
  %y = tfm.linear %x, %w, %b activation(gelu_tanh) : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 40 output features are not whole panels of 16: the padded products are
// cut, then bias and activation in one element-wise pass.
// CHECK-LABEL: func.func @partial_panels_activation
// CHECK: tfm.kernel = "matmul_panels"
// CHECK: tensor.extract_slice
// CHECK: linalg.generic {{.*}}tfm.kernel = "elementwise"
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @partial_panels_activation(%x: tensor<1x64xf32>) -> tensor<1x40xf32> {
  %w = tfm.param "w" : tensor<40x64xf32>
  %b = tfm.param "b" : tensor<40xf32>
  %y = tfm.linear %x, %w, %b activation(relu) : (tensor<1x64xf32>, tensor<40x64xf32>, tensor<40xf32>) -> tensor<1x40xf32>
  return %y : tensor<1x40xf32>
}

// -----

// T5's relative position bias: the bucket of every clamped distance
// (-128 .. 128) is a constant computed at compile time; one generic gives
// each head's bias per distance from the learned table, another the bias
// of every [head, query, key] at its clamped distance.
// (The buckets print as hex: distance -128 is in bucket 15, distance 0 in
// bucket 0, distance 128 in bucket 31.)
// CHECK-LABEL: func.func @relative_position_bias
// CHECK: %[[BUCKETS:.*]] = arith.constant dense<"0x0F0000000F000000{{.*}}0700000006000000050000000400000003000000020000000100000000000000110000001200000013000000{{.*}}1F0000001F000000"> : tensor<257xi32>
// CHECK: %[[BYDIST:.*]] = linalg.generic {{.*}} ins(%[[BUCKETS]] : tensor<257xi32>) outs(%{{.*}} : tensor<4x257xf32>)
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<32x4xf32>
// CHECK: linalg.generic
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %[[BYDIST]][%{{.*}}, %{{.*}}] : tensor<4x257xf32>
// CHECK: -> tensor<4x?x?xf32>
func.func @relative_position_bias(%table: tensor<32x4xf32>, %n: index) -> tensor<4x?x?xf32> {
  %zero = arith.constant 0 : index
  %0 = tfm.relative_position_bias %table queries(%zero, %n) keys %n {bidirectional} : tensor<32x4xf32> -> tensor<4x?x?xf32>
  return %0 : tensor<4x?x?xf32>
}

// -----

// A score bias ([heads, queries, keys], heads split into the KV heads'
// groups) is added to the scaled scores; the fused kernel adds only a
// tfm.relative_position_bias's, so any other keeps the generic form.
// CHECK-LABEL: func.func @biased_attention
// CHECK: tfm.kernel = "attention_scores"
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3]] output_shape [2, 2, %{{.*}}, %{{.*}}] : tensor<4x?x?xf32> into tensor<2x2x?x?xf32>
// CHECK: arith.mulf
// CHECK: arith.addf
// FLASH-LABEL: func.func @biased_attention
// FLASH-NOT: tfm.flash_attention
// FLASH: tfm.kernel = "attention_scores"
func.func @biased_attention(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %bias: tensor<4x?x?xf32>) -> tensor<?x16xf32> {
  %0 = tfm.attention full %q, %k, %v bias %bias {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.0 : f64} : (tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<4x?x?xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Cross-attention over the keys an encoder wrote into a cache layer: all
// `n` keys, unmasked. The fused kernel starts at `n` (every key visible);
// the generic form has no mask.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 4, f32>
// CHECK-LABEL: func.func @cross_attention
// CHECK: tfm.kernel = "attention_scores"
// CHECK-NOT: arith.cmpi
// CHECK: tfm.kernel = "attention_values"
// FLASH-LABEL: func.func @cross_attention
// FLASH-SAME: {tfm.kv_cache}, %[[N:.*]]: index)
// FLASH: memref.subview %{{.*}}[1, 0, 0, 0, 0] [1, 1, 2, %[[N]], 4]
// FLASH: tfm.flash_attention %{{.*}}, %{{.*}}, %{{.*}} at %[[N]] -> %{{.*}} partials %{{.*}} {kv_splits = 4 : i64, num_heads = 4 : i64, scale = 1.000000e+00 : f64}
func.func @cross_attention(%q: tensor<1x16xf32>, %pos: index, %c: !cache, %n: index) -> tensor<1x16xf32> {
  %0 = tfm.kv_cache.attention %q, %c[1] at %pos keys %n {num_heads = 4 : i64, scale = 1.0 : f64} : tensor<1x16xf32>, !cache -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// The bias of a tfm.relative_position_bias goes into the fused kernel as
// each head's bias per distance ([4, 257]) and the first query's position:
// no [heads, queries, keys] matrix, the extra memory O(queries).
// FLASH-LABEL: func.func @t5_encoder_attention
// FLASH: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x257xf32>)
// FLASH: %[[BIASBUF:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<4x257xf32> to memref<4x257xf32, strided<[?, 1], offset: ?>>
// FLASH-NOT: tfm.kernel = "attention_scores"
// FLASH: tfm.flash_attention {{.*}} position_bias(%[[BIASBUF]] at %{{.*}} : memref<4x257xf32, strided<[?, 1], offset: ?>>) {max_distance = 128 : i64, num_heads = 4 : i64, scale = 1.000000e+00 : f64}
func.func @t5_encoder_attention(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %table: tensor<32x4xf32>) -> tensor<?x16xf32> {
  %zero = arith.constant 0 : index
  %n = tensor.dim %q, %zero : tensor<?x16xf32>
  %bias = tfm.relative_position_bias %table queries(%zero, %n) keys %n {bidirectional} : tensor<32x4xf32> -> tensor<4x?x?xf32>
  %0 = tfm.attention full %q, %k, %v bias %bias {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.0 : f64} : (tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<4x?x?xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// A ring cache (the sliding layers' cache of a long context): the append
// writes its rows in two copies, from row `pos mod rows` to the last row
// and on from row 0. The unfused attention reads the window of the first
// query in position order (again two copies) and masks with the causal
// offset pos - first; the fused kernel reads every row of the layer and is
// told the positions written.
// CHECK-LABEL: func.func @ring_cache
// CHECK-SAME: %[[POS:[a-z0-9]+]]: index, %[[RING:[a-z0-9]+]]: tensor<3x2x2x?x8xf32> {tfm.kv_cache}
// CHECK: %[[ROWS:.*]] = tensor.dim %[[RING]], %c3
// CHECK: %[[HEAD:.*]] = arith.remui %[[POS]], %[[ROWS]]
// CHECK: %[[ROOM:.*]] = arith.subi %[[ROWS]], %[[HEAD]]
// CHECK: %[[FIRSTPART:.*]] = arith.minui %{{.*}}, %[[ROOM]]
// CHECK: %[[REST:.*]] = arith.subi %{{.*}}, %[[FIRSTPART]]
// CHECK: %[[K1:.*]] = tensor.insert_slice %{{.*}} into %[[RING]][2, 0, 0, %[[HEAD]], 0] [1, 1, 2, %[[FIRSTPART]], 8]
// CHECK: %[[K2:.*]] = tensor.insert_slice %{{.*}} into %[[K1]][2, 0, 0, %{{.*}}, 0] [1, 1, 2, %[[REST]], 8]
// CHECK: tensor.insert_slice %{{.*}} into %[[K2]][2, 1, 0, %{{.*}}, 0]
// CHECK: %[[FIRST:.*]] = arith.select
// CHECK: %[[VISIBLE:.*]] = arith.subi %{{.*}}, %[[FIRST]]
// CHECK: %[[OFFSET:.*]] = arith.subi %[[POS]], %[[FIRST]]
// CHECK: %[[ORDERED:.*]] = tensor.empty(%[[VISIBLE]]) : tensor<1x1x2x?x8xf32>
// CHECK: linalg.generic
// CHECK: arith.addi %{{.*}}, %[[OFFSET]]
// FLASH-LABEL: func.func @ring_cache
// FLASH: %[[ROWS:.*]] = memref.dim %{{.*}}, %c3
// FLASH: %[[KEYS:.*]] = memref.subview %{{.*}}[2, 0, 0, 0, 0] [1, 1, 2, %[[ROWS]], 8]
// FLASH: tfm.flash_attention %{{.*}}, %[[KEYS]], %{{.*}} at %{{.*}} ring %{{.*}} -> %{{.*}} {{{.*}}window = 8 : i64}
func.func @ring_cache(%q: tensor<?x32xf32>, %kv: tensor<?x16xf32>, %pos: index,
                      %ring: !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, f32, ring>) -> (tensor<?x32xf32>, !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, f32, ring>) {
  %c = tfm.kv_cache.append %ring[2], %kv, %kv at %pos : !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, f32, ring>, tensor<?x16xf32>, tensor<?x16xf32>
  %o = tfm.kv_cache.attention %q, %c[2] at %pos {num_heads = 4 : i64, scale = 0.25 : f64, window = 8 : i64} : tensor<?x32xf32>, !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, f32, ring> -> tensor<?x32xf32>
  return %o, %c : tensor<?x32xf32>, !tfm.kv_cache<layers = 3, kv_heads = 2, context = 11, head_dim = 8, f32, ring>
}
