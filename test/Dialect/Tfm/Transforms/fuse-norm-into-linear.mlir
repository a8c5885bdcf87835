// RUN: tfm-opt %s --split-input-file --tfm-fuse-norm-into-linear | FileCheck %s

// The norm before a quantized Q/K/V projection becomes its prologue.
// CHECK-LABEL: func.func @quantized_qkv
// CHECK-SAME: (%[[H:[a-z0-9]+]]: tensor<?x64xf32>)
// CHECK: %[[G:.*]] = tfm.param "attn_norm.weight"
// CHECK-NOT: tfm.rms_norm
// CHECK: tfm.linear %[[H]] rms_norm %[[G]], %{{.*}} {norm_eps = 1.000000e-05 : f64} : (tensor<?x64xf32>, tensor<64xf32>, tensor<192x64x!tfm.quant<q8_0>>) -> tensor<?x192xf32>
func.func @quantized_qkv(%h: tensor<?x64xf32>) -> tensor<?x192xf32> {
  %g = tfm.param "attn_norm.weight" : tensor<64xf32>
  %w = tfm.param "attn_qkv.weight" : tensor<192x64x!tfm.quant<q8_0>>
  %n = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %y = tfm.linear %n, %w : (tensor<?x64xf32>, tensor<192x64x!tfm.quant<q8_0>>) -> tensor<?x192xf32>
  return %y : tensor<?x192xf32>
}

// -----

// Every user gets the prologue when all of them are quantized linears.
// CHECK-LABEL: func.func @two_linears
// CHECK-NOT: tfm.rms_norm
// CHECK-COUNT-2: tfm.linear %{{.*}} rms_norm
func.func @two_linears(%h: tensor<1x64xf32>) -> (tensor<1x32xf32>, tensor<1x32xf32>) {
  %g = tfm.param "norm" : tensor<64xf32>
  %w1 = tfm.param "w1" : tensor<32x64x!tfm.quant<q4_0>>
  %w2 = tfm.param "w2" : tensor<32x64x!tfm.quant<q4_1>>
  %n = tfm.rms_norm %h, %g {eps = 1.0e-6 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %a = tfm.linear %n, %w1 : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q4_0>>) -> tensor<1x32xf32>
  %b = tfm.linear %n, %w2 : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q4_1>>) -> tensor<1x32xf32>
  return %a, %b : tensor<1x32xf32>, tensor<1x32xf32>
}

// -----

// Not fused: f32 weights; a normalized value also used elsewhere.
// CHECK-LABEL: func.func @not_fusable
// CHECK-COUNT-2: tfm.rms_norm
// CHECK-NOT: rms_norm %
func.func @not_fusable(%h: tensor<1x64xf32>) -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x64xf32>) {
  %g = tfm.param "norm" : tensor<64xf32>
  %wf = tfm.param "wf" : tensor<32x64xf32>
  %wq = tfm.param "wq" : tensor<32x64x!tfm.quant<q8_0>>
  %n1 = tfm.rms_norm %h, %g {eps = 1.0e-6 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %a = tfm.linear %n1, %wf : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  %n2 = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %b = tfm.linear %n2, %wq : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %a, %b, %n2 : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x64xf32>
}
