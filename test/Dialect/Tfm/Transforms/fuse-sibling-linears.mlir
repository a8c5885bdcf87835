// RUN: tfm-opt %s --split-input-file --tfm-fuse-sibling-linears | FileCheck %s

// Q, K and V read one input: one linear over the stacked weights, and the
// three results are column slices of it (GQA: K and V are narrower).

// CHECK-LABEL: func @qkv
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK:      %[[W:.*]] = tfm.param "blk.0.attn_q+attn_k+attn_v.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"] : tensor<128x64xf32>
// CHECK:      %[[QKV:.*]] = tfm.linear %[[X]], %[[W]] : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
// CHECK:      %[[S:.*]] = tensor.dim %[[QKV]], %{{.*}} : tensor<?x128xf32>
// CHECK:      %[[Q:.*]] = tensor.extract_slice %[[QKV]][0, 0] [%[[S]], 64] [1, 1]
// CHECK:      %[[K:.*]] = tensor.extract_slice %[[QKV]][0, 64] [%[[S]], 32] [1, 1]
// CHECK:      %[[V:.*]] = tensor.extract_slice %[[QKV]][0, 96] [%[[S]], 32] [1, 1]
// CHECK-NOT:  tfm.linear
// CHECK:      return %[[Q]], %[[K]], %[[V]]
func.func @qkv(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %wq = tfm.param "blk.0.attn_q.weight" : tensor<64x64xf32>
  %wk = tfm.param "blk.0.attn_k.weight" : tensor<32x64xf32>
  %wv = tfm.param "blk.0.attn_v.weight" : tensor<32x64xf32>
  %q = tfm.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %k = tfm.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %v = tfm.linear %x, %wv : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %q, %k, %v : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// SwiGLU's gate and up projections, quantized alike, with one decoded row.

// CHECK-LABEL: func @gate_up
// CHECK:      %[[W:.*]] = tfm.param "blk.3.ffn_gate+ffn_up.weight" parts ["blk.3.ffn_gate.weight", "blk.3.ffn_up.weight"] : tensor<344x64x!tfm.quant<q4_0>>
// CHECK:      %[[GU:.*]] = tfm.linear %{{.*}}, %[[W]] : (tensor<1x64xf32>, tensor<344x64x!tfm.quant<q4_0>>) -> tensor<1x344xf32>
// CHECK:      %[[G:.*]] = tensor.extract_slice %[[GU]][0, 0] [1, 172] [1, 1]
// CHECK:      %[[U:.*]] = tensor.extract_slice %[[GU]][0, 172] [1, 172] [1, 1]
// CHECK:      tfm.gated_activation silu %[[G]], %[[U]]
func.func @gate_up(%x: tensor<1x64xf32>) -> tensor<1x172xf32> {
  %wg = tfm.param "blk.3.ffn_gate.weight" : tensor<172x64x!tfm.quant<q4_0>>
  %wu = tfm.param "blk.3.ffn_up.weight" : tensor<172x64x!tfm.quant<q4_0>>
  %g = tfm.linear %x, %wg : (tensor<1x64xf32>, tensor<172x64x!tfm.quant<q4_0>>) -> tensor<1x172xf32>
  %u = tfm.linear %x, %wu : (tensor<1x64xf32>, tensor<172x64x!tfm.quant<q4_0>>) -> tensor<1x172xf32>
  %h = tfm.gated_activation silu %g, %u : tensor<1x172xf32>
  return %h : tensor<1x172xf32>
}

// -----

// Weights in different formats (a per-tensor override kept V at q8_0) are
// not stacked: Q and K are, V stays alone.

// CHECK-LABEL: func @mixed_formats
// CHECK-DAG:  %[[WV:.*]] = tfm.param "blk.0.attn_v.weight" : tensor<32x64x!tfm.quant<q8_0>>
// CHECK-DAG:  tfm.param "blk.0.attn_q+attn_k.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight"] : tensor<96x64x!tfm.quant<q4_0>>
// CHECK:      tfm.linear %{{.*}}, %[[WV]]
func.func @mixed_formats(%x: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>) {
  %wq = tfm.param "blk.0.attn_q.weight" : tensor<64x64x!tfm.quant<q4_0>>
  %wk = tfm.param "blk.0.attn_k.weight" : tensor<32x64x!tfm.quant<q4_0>>
  %wv = tfm.param "blk.0.attn_v.weight" : tensor<32x64x!tfm.quant<q8_0>>
  %q = tfm.linear %x, %wq : (tensor<1x64xf32>, tensor<64x64x!tfm.quant<q4_0>>) -> tensor<1x64xf32>
  %k = tfm.linear %x, %wk : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q4_0>>) -> tensor<1x32xf32>
  %v = tfm.linear %x, %wv : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %q, %k, %v : tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>
}

// -----

// Not stacked: a linear with a bias and one without, linears of different
// inputs, and a weight that is not a param.

// CHECK-LABEL: func @not_siblings
// CHECK-NOT:  parts
// CHECK-COUNT-4: tfm.linear
// CHECK-NOT:  tensor.extract_slice
func.func @not_siblings(%x: tensor<1x64xf32>, %y: tensor<1x64xf32>, %w: tensor<16x64xf32>)
    -> (tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>) {
  %wa = tfm.param "a.weight" : tensor<16x64xf32>
  %ba = tfm.param "a.bias" : tensor<16xf32>
  %wb = tfm.param "b.weight" : tensor<16x64xf32>
  %a = tfm.linear %x, %wa, %ba : (tensor<1x64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<1x16xf32>
  %b = tfm.linear %x, %wb : (tensor<1x64xf32>, tensor<16x64xf32>) -> tensor<1x16xf32>
  %c = tfm.linear %y, %wa : (tensor<1x64xf32>, tensor<16x64xf32>) -> tensor<1x16xf32>
  %d = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<16x64xf32>) -> tensor<1x16xf32>
  return %a, %b, %c, %d : tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>
}

// -----

// Qwen 2's Q, K and V biases stack as their weights do: the fused layer has
// the stacked bias as its epilogue.

// CHECK-LABEL: func @qkv_bias
// CHECK-DAG:  %[[W:.*]] = tfm.param "blk.0.attn_q+attn_k+attn_v.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"] : tensor<128x64xf32>
// CHECK-DAG:  %[[B:.*]] = tfm.param "blk.0.attn_q+attn_k+attn_v.bias" parts ["blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias"] : tensor<128xf32>
// CHECK:      tfm.linear %{{.*}}, %[[W]], %[[B]] : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
// CHECK-NOT:  tfm.linear
// CHECK-NOT:  tfm.param
func.func @qkv_bias(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %wq = tfm.param "blk.0.attn_q.weight" : tensor<64x64xf32>
  %wk = tfm.param "blk.0.attn_k.weight" : tensor<32x64xf32>
  %wv = tfm.param "blk.0.attn_v.weight" : tensor<32x64xf32>
  %bq = tfm.param "blk.0.attn_q.bias" : tensor<64xf32>
  %bk = tfm.param "blk.0.attn_k.bias" : tensor<32xf32>
  %bv = tfm.param "blk.0.attn_v.bias" : tensor<32xf32>
  %q = tfm.linear %x, %wq, %bq : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %k = tfm.linear %x, %wk, %bk : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %v = tfm.linear %x, %wv, %bv : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %q, %k, %v : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}
