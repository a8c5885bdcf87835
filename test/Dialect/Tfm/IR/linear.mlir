// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// Linear layers (with and without bias), the last-token selection and the
// final logits.

// CHECK-LABEL: func @linear_no_bias
func.func @linear_no_bias(%x: tensor<?x64xf32>) -> tensor<?x172xf32> {
  %w = tfm.param "ffn_up.weight" : tensor<172x64xf16>
  // CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<172x64xf16>) -> tensor<?x172xf32>
  %y = tfm.linear %x, %w : (tensor<?x64xf32>, tensor<172x64xf16>) -> tensor<?x172xf32>
  return %y : tensor<?x172xf32>
}

// CHECK-LABEL: func @linear_bias
func.func @linear_bias(%x: tensor<1x64xf32>) -> tensor<1x192xf32> {
  %w = tfm.param "attn_qkv.weight" : tensor<192x64xf32>
  %b = tfm.param "attn_qkv.bias" : tensor<192xf32>
  // CHECK: tfm.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x64xf32>, tensor<192x64xf32>, tensor<192xf32>) -> tensor<1x192xf32>
  %y = tfm.linear %x, %w, %b : (tensor<1x64xf32>, tensor<192x64xf32>, tensor<192xf32>) -> tensor<1x192xf32>
  return %y : tensor<1x192xf32>
}

// CHECK-LABEL: func @linear_bias_activation
func.func @linear_bias_activation(%x: tensor<?x64xf32>) -> tensor<?x256xf32> {
  %w = tfm.param "ffn_up.weight" : tensor<256x64xf32>
  %b = tfm.param "ffn_up.bias" : tensor<256xf32>
  // CHECK: tfm.linear %{{.*}}, %{{.*}}, %{{.*}} activation(gelu_tanh) : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %y = tfm.linear %x, %w, %b activation(gelu_tanh) : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// CHECK-LABEL: func @last_token_logits
func.func @last_token_logits(%x: tensor<?x64xf32>) -> tensor<1x512xf32> {
  %w = tfm.param "output.weight" : tensor<512x64xf32>
  // CHECK: %[[LAST:.*]] = tfm.last_token %{{.*}} : (tensor<?x64xf32>) -> tensor<1x64xf32>
  %last = tfm.last_token %x : (tensor<?x64xf32>) -> tensor<1x64xf32>
  // CHECK: tfm.logits %[[LAST]], %{{.*}} : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
  %logits = tfm.logits %last, %w : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
  return %logits : tensor<1x512xf32>
}

// A norm prologue whose scale was folded into the float weight: only the
// division by each row's RMS is left.

// CHECK-LABEL: func @linear_folded_norm
func.func @linear_folded_norm(%x: tensor<?x64xf32>, %w: tensor<192x64xf32>) -> tensor<?x192xf32> {
  // CHECK: tfm.linear %{{.*}}, %{{.*}} {norm_eps = 1.000000e-05 : f64} : (tensor<?x64xf32>, tensor<192x64xf32>) -> tensor<?x192xf32>
  %y = tfm.linear %x, %w {norm_eps = 1.0e-5 : f64} : (tensor<?x64xf32>, tensor<192x64xf32>) -> tensor<?x192xf32>
  return %y : tensor<?x192xf32>
}
