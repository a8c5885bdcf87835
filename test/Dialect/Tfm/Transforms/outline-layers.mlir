// RUN: tfm-opt %s --split-input-file --tfm-outline-layers | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-outline-layers=min-layers=4 | FileCheck %s --check-prefix=MIN4

// Three alike layers become three calls of one function; the embedding
// before them and the tail after them (final norm, logits) stay. Weights are
// passed per layer and the KV-cache layer becomes an index argument.
!cache = !tfm.kv_cache<layers = 3, kv_heads = 1, context = 32, head_dim = 16, f32>

// CHECK-LABEL: func.func @decode
// CHECK: %[[H0:.*]] = tfm.embedding
// CHECK: %[[L0:.*]] = arith.constant 0 : index
// CHECK: %[[R0:.*]]:2 = call @decode_layer(%[[H0]], %arg2, %arg1, %{{.*}}, %{{.*}}, %{{.*}}, %[[L0]])
// CHECK: %[[L1:.*]] = arith.constant 1 : index
// CHECK: %[[R1:.*]]:2 = call @decode_layer(%[[R0]]#1, %[[R0]]#0, %arg1, %{{.*}}, %{{.*}}, %{{.*}}, %[[L1]])
// CHECK: %[[L2:.*]] = arith.constant 2 : index
// CHECK: %[[R2:.*]]:2 = call @decode_layer(%[[R1]]#1, %[[R1]]#0, %arg1, %{{.*}}, %{{.*}}, %{{.*}}, %[[L2]])
// CHECK: %[[N:.*]] = tfm.rms_norm %[[R2]]#1
// CHECK: %[[LOGITS:.*]] = tfm.logits %[[N]]
// CHECK: return %[[LOGITS]], %[[R2]]#0

// CHECK-LABEL: func.func private @decode_layer(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<1x16xf32>, %[[C:[a-z0-9]+]]: !kv_cache, %[[POS:[a-z0-9]+]]: index,
// CHECK-SAME: %[[NW:[a-z0-9]+]]: tensor<16xf32>, %[[WKV:[a-z0-9]+]]: tensor<16x16xf32>, %[[WO:[a-z0-9]+]]: tensor<16x16xf32>, %[[LAYER:[a-z0-9]+]]: index)
// CHECK-SAME: -> (!kv_cache, tensor<1x16xf32>)
// CHECK: %[[XN:.*]] = tfm.rms_norm %[[X]], %[[NW]]
// CHECK: %[[KV:.*]] = tfm.linear %[[XN]], %[[WKV]]
// CHECK: %[[C1:.*]] = tfm.kv_cache.append %[[C]][%[[LAYER]]], %[[KV]], %[[KV]] at %[[POS]]
// CHECK: %[[A:.*]] = tfm.kv_cache.attention %[[XN]], %[[C1]][%[[LAYER]]] at %[[POS]]
// CHECK: %[[O:.*]] = tfm.linear %[[A]], %[[WO]]
// CHECK: %[[Y:.*]] = tfm.add %[[X]], %[[O]]
// CHECK: return %[[C1]], %[[Y]]

// MIN4-LABEL: func.func @decode
// MIN4-NOT: call
// MIN4: tfm.kv_cache.append %{{.*}}[2]
// MIN4-NOT: func.func private
func.func @decode(%tok: tensor<1xi32>, %pos: index, %c: !cache) -> (tensor<1x32xf32>, !cache) {
  %emb = tfm.param "token_embd.weight" : tensor<32x16xf32>
  %h0 = tfm.embedding %emb[%tok] : (tensor<32x16xf32>, tensor<1xi32>) -> tensor<1x16xf32>
  %n0w = tfm.param "blk.0.attn_norm.weight" : tensor<16xf32>
  %n0 = tfm.rms_norm %h0, %n0w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %kv0w = tfm.param "blk.0.attn_kv.weight" : tensor<16x16xf32>
  %kv0 = tfm.linear %n0, %kv0w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %c0 = tfm.kv_cache.append %c[0], %kv0, %kv0 at %pos : !cache, tensor<1x16xf32>, tensor<1x16xf32>
  %a0 = tfm.kv_cache.attention %n0, %c0[0] at %pos {num_heads = 1 : i64, scale = 0.25 : f64} : tensor<1x16xf32>, !cache -> tensor<1x16xf32>
  %o0w = tfm.param "blk.0.attn_output.weight" : tensor<16x16xf32>
  %o0 = tfm.linear %a0, %o0w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h1 = tfm.add %h0, %o0 : tensor<1x16xf32>
  %n1w = tfm.param "blk.1.attn_norm.weight" : tensor<16xf32>
  %n1 = tfm.rms_norm %h1, %n1w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %kv1w = tfm.param "blk.1.attn_kv.weight" : tensor<16x16xf32>
  %kv1 = tfm.linear %n1, %kv1w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %c1 = tfm.kv_cache.append %c0[1], %kv1, %kv1 at %pos : !cache, tensor<1x16xf32>, tensor<1x16xf32>
  %a1 = tfm.kv_cache.attention %n1, %c1[1] at %pos {num_heads = 1 : i64, scale = 0.25 : f64} : tensor<1x16xf32>, !cache -> tensor<1x16xf32>
  %o1w = tfm.param "blk.1.attn_output.weight" : tensor<16x16xf32>
  %o1 = tfm.linear %a1, %o1w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h2 = tfm.add %h1, %o1 : tensor<1x16xf32>
  %n2w = tfm.param "blk.2.attn_norm.weight" : tensor<16xf32>
  %n2 = tfm.rms_norm %h2, %n2w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %kv2w = tfm.param "blk.2.attn_kv.weight" : tensor<16x16xf32>
  %kv2 = tfm.linear %n2, %kv2w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %c2 = tfm.kv_cache.append %c1[2], %kv2, %kv2 at %pos : !cache, tensor<1x16xf32>, tensor<1x16xf32>
  %a2 = tfm.kv_cache.attention %n2, %c2[2] at %pos {num_heads = 1 : i64, scale = 0.25 : f64} : tensor<1x16xf32>, !cache -> tensor<1x16xf32>
  %o2w = tfm.param "blk.2.attn_output.weight" : tensor<16x16xf32>
  %o2 = tfm.linear %a2, %o2w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h3 = tfm.add %h2, %o2 : tensor<1x16xf32>
  %fnw = tfm.param "output_norm.weight" : tensor<16xf32>
  %fn = tfm.rms_norm %h3, %fnw {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %outw = tfm.param "output.weight" : tensor<32x16xf32>
  %logits = tfm.logits %fn, %outw : (tensor<1x16xf32>, tensor<32x16xf32>) -> tensor<1x32xf32>
  return %logits, %c2 : tensor<1x32xf32>, !cache
}

// -----

// A layer that differs from the first (here: another eps) stays inline; the
// alike ones are still outlined.
// CHECK-LABEL: func.func @mixed
// CHECK: call @mixed_layer
// CHECK: tfm.rms_norm %{{.*}}, %{{.*}} {eps = 9.9999999999999995E-7 : f64}
// CHECK: tfm.linear
// CHECK: call @mixed_layer
// CHECK: return
// CHECK: func.func private @mixed_layer(%{{.*}}: tensor<1x16xf32>, %{{.*}}: tensor<16xf32>, %{{.*}}: tensor<16x16xf32>) -> tensor<1x16xf32>
// CHECK: eps = 1.000000e-05
func.func @mixed(%h0: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %n0w = tfm.param "blk.0.ffn_norm.weight" : tensor<16xf32>
  %n0 = tfm.rms_norm %h0, %n0w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %w0 = tfm.param "blk.0.ffn.weight" : tensor<16x16xf32>
  %f0 = tfm.linear %n0, %w0 : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h1 = tfm.add %h0, %f0 : tensor<1x16xf32>
  %n1w = tfm.param "blk.1.ffn_norm.weight" : tensor<16xf32>
  %n1 = tfm.rms_norm %h1, %n1w {eps = 1.0e-6 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %w1 = tfm.param "blk.1.ffn.weight" : tensor<16x16xf32>
  %f1 = tfm.linear %n1, %w1 : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h2 = tfm.add %h1, %f1 : tensor<1x16xf32>
  %n2w = tfm.param "blk.2.ffn_norm.weight" : tensor<16xf32>
  %n2 = tfm.rms_norm %h2, %n2w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %w2 = tfm.param "blk.2.ffn.weight" : tensor<16x16xf32>
  %f2 = tfm.linear %n2, %w2 : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h3 = tfm.add %h2, %f2 : tensor<1x16xf32>
  return %h3 : tensor<1x16xf32>
}

// -----

// Layers whose data flow differs are not alike even with the same ops: the
// second layer feeds its own input, not the norm, to the linear layer.
// CHECK-LABEL: func.func @different_flow
// CHECK-NOT: call
// CHECK: return
// CHECK-NOT: func.func private
func.func @different_flow(%h0: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %n0w = tfm.param "blk.0.ffn_norm.weight" : tensor<16xf32>
  %n0 = tfm.rms_norm %h0, %n0w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %w0 = tfm.param "blk.0.ffn.weight" : tensor<16x16xf32>
  %f0 = tfm.linear %n0, %w0 : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h1 = tfm.add %h0, %f0 : tensor<1x16xf32>
  %n1w = tfm.param "blk.1.ffn_norm.weight" : tensor<16xf32>
  %n1 = tfm.rms_norm %h1, %n1w {eps = 1.0e-5 : f64} : tensor<1x16xf32>, tensor<16xf32>
  %w1 = tfm.param "blk.1.ffn.weight" : tensor<16x16xf32>
  %f1 = tfm.linear %h1, %w1 : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %h2 = tfm.add %n1, %f1 : tensor<1x16xf32>
  return %h2 : tensor<1x16xf32>
}

// -----

// Layers with a loop (an encoder's attention, text by text over a packed
// batch): the loop's body must match op for op, and what it reads from
// outside (the text starts, the layer's projections) joins the layer's
// interface. Both layers become calls; the loop moves into the function.
// CHECK-LABEL: func.func @encode
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[STARTS:.*]]: tensor<?xi32>)
// CHECK: %[[R0:.*]] = call @encode_layer(%[[X]], %{{.*}}, %{{.*}}, %{{.*}}, %[[STARTS]], %{{.*}})
// CHECK: %[[R1:.*]] = call @encode_layer(%[[R0]], %{{.*}}, %{{.*}}, %{{.*}}, %[[STARTS]], %{{.*}})
// CHECK: return %[[R1]]
// CHECK-LABEL: func.func private @encode_layer(
// CHECK: scf.for
// CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<?xi32>
// CHECK: tfm.attention full
// CHECK: scf.yield
func.func @encode(%x: tensor<?x16xf32>, %starts: tensor<?xi32>) -> tensor<?x16xf32> {
  %w0 = tfm.param "blk.0.attn_q.weight" : tensor<16x16xf32>
  %w1 = tfm.param "blk.1.attn_q.weight" : tensor<16x16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %starts, %c0 : tensor<?xi32>
  %texts = arith.subi %n, %c1 : index
  %q0 = tfm.linear %x, %w0 : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %a0 = scf.for %t = %c0 to %texts step %c1 iter_args(%out = %q0) -> (tensor<?x16xf32>) {
    %s = tensor.extract %starts[%t] : tensor<?xi32>
    %begin = arith.index_cast %s : i32 to index
    %rows = tfm.attention full %q0, %q0, %q0 {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.5 : f64} : (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    %next = tfm.add %out, %rows : tensor<?x16xf32>
    scf.yield %next : tensor<?x16xf32>
  }
  %y0 = tfm.add %x, %a0 : tensor<?x16xf32>
  %q1 = tfm.linear %y0, %w1 : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %a1 = scf.for %t = %c0 to %texts step %c1 iter_args(%out = %q1) -> (tensor<?x16xf32>) {
    %s = tensor.extract %starts[%t] : tensor<?xi32>
    %begin = arith.index_cast %s : i32 to index
    %rows = tfm.attention full %q1, %q1, %q1 {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.5 : f64} : (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    %next = tfm.add %out, %rows : tensor<?x16xf32>
    scf.yield %next : tensor<?x16xf32>
  }
  %y1 = tfm.add %y0, %a1 : tensor<?x16xf32>
  return %y1 : tensor<?x16xf32>
}

// -----

// A loop whose body differs between the layers (a different attention
// scale in the second) keeps both layers inline.
// CHECK-LABEL: func.func @unlike_loops
// CHECK-NOT: call @
// CHECK: return
func.func @unlike_loops(%x: tensor<?x16xf32>, %starts: tensor<?xi32>) -> tensor<?x16xf32> {
  %w0 = tfm.param "blk.0.attn_q.weight" : tensor<16x16xf32>
  %w1 = tfm.param "blk.1.attn_q.weight" : tensor<16x16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %starts, %c0 : tensor<?xi32>
  %q0 = tfm.linear %x, %w0 : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %a0 = scf.for %t = %c0 to %n step %c1 iter_args(%out = %q0) -> (tensor<?x16xf32>) {
    %rows = tfm.attention full %q0, %q0, %q0 {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.5 : f64} : (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    %next = tfm.add %out, %rows : tensor<?x16xf32>
    scf.yield %next : tensor<?x16xf32>
  }
  %y0 = tfm.add %x, %a0 : tensor<?x16xf32>
  %q1 = tfm.linear %y0, %w1 : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %a1 = scf.for %t = %c0 to %n step %c1 iter_args(%out = %q1) -> (tensor<?x16xf32>) {
    %rows = tfm.attention full %q1, %q1, %q1 {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.25 : f64} : (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    %next = tfm.add %out, %rows : tensor<?x16xf32>
    scf.yield %next : tensor<?x16xf32>
  }
  %y1 = tfm.add %y0, %a1 : tensor<?x16xf32>
  return %y1 : tensor<?x16xf32>
}
