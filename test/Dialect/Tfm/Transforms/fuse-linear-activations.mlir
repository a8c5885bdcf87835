// RUN: tfm-opt %s --split-input-file --tfm-fuse-linear-activations | FileCheck %s

// GPT-2's FFN up projection: bias and tanh GELU after a linear layer
// become the layer's epilogue.
// CHECK-LABEL: func.func @bias_gelu
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = tfm.param "ffn_up.weight"
// CHECK: %[[B:.*]] = tfm.param "ffn_up.bias"
// CHECK: %[[H:.*]] = tfm.linear %[[X]], %[[W]], %[[B]] activation(gelu_tanh) : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
// CHECK-NOT: tfm.activation
// CHECK: return %[[H]]
func.func @bias_gelu(%x: tensor<?x64xf32>) -> tensor<?x256xf32> {
  %w = tfm.param "ffn_up.weight" : tensor<256x64xf32>
  %b = tfm.param "ffn_up.bias" : tensor<256xf32>
  %h = tfm.linear %x, %w, %b : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %a = tfm.activation gelu_tanh %h : tensor<?x256xf32>
  return %a : tensor<?x256xf32>
}

// -----

// T5: ReLU without a bias, quantized weights, the norm prologue kept.
// CHECK-LABEL: func.func @quantized_relu
// CHECK: tfm.linear %{{.*}} rms_norm %{{.*}}, %{{.*}} activation(relu) {norm_eps = {{.*}} : f64} : (tensor<1x64xf32>, tensor<64xf32>, tensor<256x64x!tfm.quant<q8_0>>) -> tensor<1x256xf32>
// CHECK-NOT: tfm.activation
func.func @quantized_relu(%x: tensor<1x64xf32>) -> tensor<1x256xf32> {
  %g = tfm.param "ffn_norm.weight" : tensor<64xf32>
  %w = tfm.param "ffn_up.weight" : tensor<256x64x!tfm.quant<q8_0>>
  %h = tfm.linear %x rms_norm %g, %w {norm_eps = 1.0e-6 : f64} : (tensor<1x64xf32>, tensor<64xf32>, tensor<256x64x!tfm.quant<q8_0>>) -> tensor<1x256xf32>
  %a = tfm.activation relu %h : tensor<1x256xf32>
  return %a : tensor<1x256xf32>
}

// -----

// The products are read elsewhere too: nothing changes.
// CHECK-LABEL: func.func @products_used_twice
// CHECK: %[[H:.*]] = tfm.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<256x64xf32>) -> tensor<?x256xf32>
// CHECK: tfm.activation gelu %[[H]]
func.func @products_used_twice(%x: tensor<?x64xf32>) -> (tensor<?x256xf32>, tensor<?x256xf32>) {
  %w = tfm.param "ffn_up.weight" : tensor<256x64xf32>
  %h = tfm.linear %x, %w : (tensor<?x64xf32>, tensor<256x64xf32>) -> tensor<?x256xf32>
  %a = tfm.activation gelu %h : tensor<?x256xf32>
  return %a, %h : tensor<?x256xf32>, tensor<?x256xf32>
}

// -----

// A residual epilogue is already there; the activation stays separate
// (the layer computes kind(x * w^T + b) only without one).
// CHECK-LABEL: func.func @after_residual
// CHECK: %[[H:.*]] = tfm.linear %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK: tfm.activation relu %[[H]]
func.func @after_residual(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = tfm.param "w" : tensor<64x64xf32>
  %h = tfm.linear %x, %w residual %r : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %a = tfm.activation relu %h : tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}
