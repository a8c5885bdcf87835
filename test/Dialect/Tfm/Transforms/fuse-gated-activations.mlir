// RUN: tfm-opt %s --split-input-file --tfm-fuse-gated-activations | FileCheck %s

// SwiGLU after tfm-fuse-sibling-linears: the two halves of one quantized
// gate/up layer feed silu(gate) * up; the activation becomes the layer's
// epilogue and the row count is read from the input instead.
// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x64xf32>)
// CHECK-NOT: tensor.extract_slice
// CHECK-NOT: tfm.gated_activation
// CHECK: %[[A:.*]] = tfm.linear %[[X]] rms_norm %{{.*}}, %{{.*}} gated(silu) {norm_eps = 1.000000e-05 : f64} : (tensor<?x64xf32>, tensor<64xf32>, tensor<344x64x!tfm.quant<q8_0>>) -> tensor<?x172xf32>
// CHECK: return %[[A]]
func.func @swiglu(%x: tensor<?x64xf32>) -> tensor<?x172xf32> {
  %g = tfm.param "norm" : tensor<64xf32>
  %w = tfm.param "ffn_gate+ffn_up.weight" parts ["ffn_gate.weight", "ffn_up.weight"] : tensor<344x64x!tfm.quant<q8_0>>
  %gu = tfm.linear %x rms_norm %g, %w {norm_eps = 1.0e-5 : f64} : (tensor<?x64xf32>, tensor<64xf32>, tensor<344x64x!tfm.quant<q8_0>>) -> tensor<?x344xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %gu, %c0 : tensor<?x344xf32>
  %gate = tensor.extract_slice %gu[0, 0] [%n, 172] [1, 1] : tensor<?x344xf32> to tensor<?x172xf32>
  %up = tensor.extract_slice %gu[0, 172] [%n, 172] [1, 1] : tensor<?x344xf32> to tensor<?x172xf32>
  %a = tfm.gated_activation silu %gate, %up : tensor<?x172xf32>
  return %a : tensor<?x172xf32>
}

// -----

// f32 weights: the lowering applies the activation to the gate and up
// products of each tile (tfm-fuse-matmul-epilogues).
// CHECK-LABEL: func.func @float_weights
// CHECK: tfm.linear %{{.*}}, %{{.*}} gated(silu) {norm_eps = 1.000000e-05 : f64} : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x16xf32>
// CHECK-NOT: tfm.gated_activation
func.func @float_weights(%x: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %wf = tfm.param "wf" : tensor<32x64xf32>
  %f = tfm.linear %x, %wf {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  %f0 = tensor.extract_slice %f[0, 0] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
  %f1 = tensor.extract_slice %f[0, 16] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
  %a = tfm.gated_activation silu %f0, %f1 : tensor<1x16xf32>
  return %a : tensor<1x16xf32>
}

// -----

// Not fused: halves swapped (up first); the product used elsewhere.
// CHECK-LABEL: func.func @not_fusable
// CHECK-COUNT-2: tfm.gated_activation
// CHECK-NOT: gated(
func.func @not_fusable(%x: tensor<1x64xf32>) -> (tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x32xf32>) {
  %wq = tfm.param "wq" : tensor<32x64x!tfm.quant<q8_0>>
  %q = tfm.linear %x, %wq : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  %q0 = tensor.extract_slice %q[0, 0] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
  %q1 = tensor.extract_slice %q[0, 16] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
  %b = tfm.gated_activation gelu %q1, %q0 : tensor<1x16xf32>
  %r = tfm.linear %x, %wq : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  %r0 = tensor.extract_slice %r[0, 0] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
  %r1 = tensor.extract_slice %r[0, 16] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
  %c = tfm.gated_activation silu %r0, %r1 : tensor<1x16xf32>
  return %b, %c, %r : tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x32xf32>
}
