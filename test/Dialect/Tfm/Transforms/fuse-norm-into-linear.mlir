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

// Float weights take the norm's scale into their columns: a new param
// that names both tensors; the linear keeps only norm_eps.
// CHECK-LABEL: func.func @float_qkv
// CHECK-SAME: (%[[H:[a-z0-9]+]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = tfm.param "attn_qkv.weight*attn_norm.weight" parts ["attn_q.weight", "attn_k.weight"] column_scale "attn_norm.weight" : tensor<128x64xf32>
// CHECK-NOT: tfm.rms_norm
// CHECK: tfm.linear %[[H]], %[[W]] {norm_eps = 1.000000e-05 : f64} : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
func.func @float_qkv(%h: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %g = tfm.param "attn_norm.weight" : tensor<64xf32>
  %w = tfm.param "attn_qkv.weight" parts ["attn_q.weight", "attn_k.weight"] : tensor<128x64xf32>
  %n = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %y = tfm.linear %n, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// A float and a quantized user: the scale folds into the float weight, the
// quantized layer keeps it in its prologue.
// CHECK-LABEL: func.func @float_and_quantized
// CHECK-DAG: %[[G:.*]] = tfm.param "norm" : tensor<64xf32>
// CHECK-DAG: %[[WF:.*]] = tfm.param "wf*norm" parts ["wf"] column_scale "norm" : tensor<32x64xf16>
// CHECK-NOT: tfm.rms_norm
// CHECK: tfm.linear %{{.*}}, %[[WF]] {norm_eps = {{.*}} : f64}
// CHECK: tfm.linear %{{.*}} rms_norm %[[G]], %{{.*}} {norm_eps = {{.*}} : f64}
func.func @float_and_quantized(%h: tensor<1x64xf32>) -> (tensor<1x32xf32>, tensor<1x32xf32>) {
  %g = tfm.param "norm" : tensor<64xf32>
  %wf = tfm.param "wf" : tensor<32x64xf16>
  %wq = tfm.param "wq" : tensor<32x64x!tfm.quant<q8_0>>
  %n = tfm.rms_norm %h, %g {eps = 1.0e-6 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %a = tfm.linear %n, %wf : (tensor<1x64xf32>, tensor<32x64xf16>) -> tensor<1x32xf32>
  %b = tfm.linear %n, %wq : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %a, %b : tensor<1x32xf32>, tensor<1x32xf32>
}

// -----

// Not fused: a float weight that is no param (nothing to fold into); a
// norm weight that is no param (nothing to name); a normalized value also
// used elsewhere.
// CHECK-LABEL: func.func @not_fusable
// CHECK-COUNT-3: tfm.rms_norm
// CHECK-NOT: norm_eps
func.func @not_fusable(%h: tensor<1x64xf32>, %wf: tensor<32x64xf32>, %ga: tensor<64xf32>) -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x64xf32>) {
  %g = tfm.param "norm" : tensor<64xf32>
  %wp = tfm.param "wp" : tensor<32x64xf32>
  %wq = tfm.param "wq" : tensor<32x64x!tfm.quant<q8_0>>
  %n1 = tfm.rms_norm %h, %g {eps = 1.0e-6 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %a = tfm.linear %n1, %wf : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  %n2 = tfm.rms_norm %h, %ga {eps = 1.0e-6 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %b = tfm.linear %n2, %wp : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  %n3 = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %c = tfm.linear %n3, %wq : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %a, %b, %c, %n3 : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x64xf32>
}

// -----

// The final norm before the logits: quantized output weights keep it as a
// prologue with its weight; an f32 output matrix with no other use takes
// the scale; a tied embedding table (also read by the lookup) does not.
// CHECK-LABEL: func.func @logits
// CHECK: tfm.logits %{{.*}} rms_norm %{{.*}}, %{{.*}} {norm_eps = {{.*}}} : (tensor<1x64xf32>, tensor<64xf32>, tensor<512x64x!tfm.quant<q8_0>>)
// CHECK: %[[OUT:.*]] = tfm.param "output.weight*output_norm.weight" parts ["output.weight"] column_scale "output_norm.weight"
// CHECK: tfm.logits %{{.*}}, %[[OUT]] {norm_eps = {{.*}}} : (tensor<1x64xf32>, tensor<512x64xf32>)
// CHECK: tfm.rms_norm
// CHECK-NEXT: tfm.logits %{{.*}}, %{{.*}} : (tensor<1x64xf32>, tensor<512x64xf32>)
func.func @logits(%h: tensor<1x64xf32>, %t: tensor<1xi32>) -> (tensor<1x512xf32>, tensor<1x512xf32>, tensor<1x512xf32>, tensor<1x64xf32>) {
  %g = tfm.param "output_norm.weight" : tensor<64xf32>
  %wq = tfm.param "output_q.weight" : tensor<512x64x!tfm.quant<q8_0>>
  %n1 = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %a = tfm.logits %n1, %wq : (tensor<1x64xf32>, tensor<512x64x!tfm.quant<q8_0>>) -> tensor<1x512xf32>
  %wf = tfm.param "output.weight" : tensor<512x64xf32>
  %n2 = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %b = tfm.logits %n2, %wf : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
  %table = tfm.param "token_embd.weight" : tensor<512x64xf32>
  %e = tfm.embedding %table[%t] : (tensor<512x64xf32>, tensor<1xi32>) -> tensor<1x64xf32>
  %n3 = tfm.rms_norm %h, %g {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  %c = tfm.logits %n3, %table : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
  return %a, %b, %c, %e : tensor<1x512xf32>, tensor<1x512xf32>, tensor<1x512xf32>, tensor<1x64xf32>
}
