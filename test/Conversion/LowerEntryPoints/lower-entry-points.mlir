// RUN: tfm-opt %s --convert-tfm-to-linalg --tfm-lower-entry-points | FileCheck %s

// Weights come first as one byte buffer; params are views at 64-byte
// aligned offsets recorded in tfm.weights; the KV cache is updated in place
// and the logits go to a trailing output buffer.
// CHECK: module attributes {
// CHECK-SAME: tfm.weights = [{name = "norm", offset = 0 : i64, panel = 0 : i64, shape = array<i64: 8>}, {name = "out", offset = 64 : i64, panel = 16 : i64, shape = array<i64: 2, 8, 16>}]
// CHECK-SAME: tfm.weights_size = 1088 : i64
!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 16, head_dim = 8, f32>
!ring = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 11, head_dim = 8, f32, ring>
!none = !tfm.kv_cache<layers = 0, kv_heads = 1, context = 16, head_dim = 8, f32>
module {
  // CHECK-LABEL: func.func @decode
  // CHECK-SAME: (%[[WEIGHTS:.*]]: memref<?xi8>, %[[TOKENS:.*]]: memref<1x8xf32>, %[[POS:.*]]: index, %[[CACHE:.*]]: memref<1x2x1x?x8xf32> {tfm.kv_cache}, %[[LOGITS:.*]]: memref<1x20xf32>)
  // CHECK-SAME: attributes {llvm.emit_c_interface}
  // CHECK-DAG: memref.view %[[WEIGHTS]][%{{.*}}][] : memref<?xi8> to memref<8xf32>
  // CHECK-DAG: memref.view %[[WEIGHTS]][%{{.*}}][] : memref<?xi8> to memref<2x8x16xf32>
  // CHECK-DAG: bufferization.to_tensor %[[CACHE]] restrict writable
  // CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[LOGITS]]
  // CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[CACHE]]
  // CHECK: return
  // CHECK-NOT: tfm.param
  func.func @decode(%x: tensor<1x8xf32>, %pos: index, %c: !cache) -> (tensor<1x20xf32>, !cache) {
    %n = tfm.param "norm" : tensor<8xf32>
    %0 = tfm.rms_norm %x, %n {eps = 1.0e-5 : f64} : tensor<1x8xf32>, tensor<8xf32>
    %1 = tfm.kv_cache.append %c[0], %0, %0 at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
    %w = tfm.param "out" : tensor<20x8xf32>
    %2 = tfm.logits %0, %w : (tensor<1x8xf32>, tensor<20x8xf32>) -> tensor<1x20xf32>
    return %2, %1 : tensor<1x20xf32>, !cache
  }

  // A model whose sliding layers keep a ring returns both caches; after
  // conversion their tensor types are the same, yet each result goes back
  // to its own argument.
  // CHECK-LABEL: func.func @prefill_ring
  // CHECK-SAME: %[[C:[a-z0-9]+]]: memref<1x2x1x?x8xf32> {tfm.kv_cache}, %[[R:[a-z0-9]+]]: memref<1x2x1x?x8xf32> {tfm.kv_cache})
  // CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[C]]
  // CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[R]]
  func.func @prefill_ring(%x: tensor<1x8xf32>, %pos: index, %c: !cache, %r: !ring) -> (!cache, !ring) {
    %0 = tfm.kv_cache.append %c[0], %x, %x at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
    %1 = tfm.kv_cache.append %r[0], %x, %x at %pos : !ring, tensor<1x8xf32>, tensor<1x8xf32>
    return %0, %1 : !cache, !ring
  }

  // Every layer in the ring: the other cache, of no layers, comes back
  // untouched and needs no copy.
  // CHECK-LABEL: func.func @decode_all_ring
  // CHECK-SAME: %[[NONE:[a-z0-9]+]]: memref<0x2x1x?x8xf32> {tfm.kv_cache}, %[[R:[a-z0-9]+]]: memref<1x2x1x?x8xf32> {tfm.kv_cache})
  // CHECK-NOT: in restrict writable %[[NONE]]
  // CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[R]]
  // CHECK-NEXT: return
  func.func @decode_all_ring(%x: tensor<1x8xf32>, %pos: index, %none: !none, %r: !ring) -> (!none, !ring) {
    %0 = tfm.kv_cache.append %r[0], %x, %x at %pos : !ring, tensor<1x8xf32>, tensor<1x8xf32>
    return %none, %0 : !none, !ring
  }

  // Private functions (layer functions) keep their tensor signature:
  // bufferization gives them buffers.
  // CHECK-LABEL: func.func private @layer(%{{.*}}: tensor<1x8xf32>) -> tensor<1x8xf32>
  // CHECK-NOT: llvm.emit_c_interface
  func.func private @layer(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
    %0 = tfm.add %x, %x : tensor<1x8xf32>
    return %0 : tensor<1x8xf32>
  }
}
