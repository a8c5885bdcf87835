// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// Activations, the gated (SwiGLU) form, residual add and softmax.

// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<?x172xf32>) -> (tensor<?x172xf32>, tensor<?x172xf32>, tensor<?x172xf32>, tensor<?x172xf32>) {
  // CHECK: tfm.activation relu %{{.*}} : tensor<?x172xf32>
  %a = tfm.activation relu %x : tensor<?x172xf32>
  // CHECK: tfm.activation gelu %{{.*}} : tensor<?x172xf32>
  %b = tfm.activation gelu %x : tensor<?x172xf32>
  // CHECK: tfm.activation gelu_tanh %{{.*}} : tensor<?x172xf32>
  %c = tfm.activation gelu_tanh %x : tensor<?x172xf32>
  // CHECK: tfm.activation silu %{{.*}} : tensor<?x172xf32>
  %d = tfm.activation silu %x : tensor<?x172xf32>
  return %a, %b, %c, %d : tensor<?x172xf32>, tensor<?x172xf32>, tensor<?x172xf32>, tensor<?x172xf32>
}

// CHECK-LABEL: func @swiglu
func.func @swiglu(%gate: tensor<1x172xf32>, %up: tensor<1x172xf32>) -> tensor<1x172xf32> {
  // CHECK: tfm.gated_activation silu %{{.*}}, %{{.*}} : tensor<1x172xf32>
  %h = tfm.gated_activation silu %gate, %up : tensor<1x172xf32>
  return %h : tensor<1x172xf32>
}

// CHECK-LABEL: func @residual_and_softmax
func.func @residual_and_softmax(%x: tensor<1x64xf32>, %y: tensor<1x64xf32>) -> tensor<1x64xf32> {
  // CHECK: %[[SUM:.*]] = tfm.add %{{.*}}, %{{.*}} : tensor<1x64xf32>
  %s = tfm.add %x, %y : tensor<1x64xf32>
  // CHECK: tfm.softmax %[[SUM]] : tensor<1x64xf32>
  %p = tfm.softmax %s : tensor<1x64xf32>
  return %p : tensor<1x64xf32>
}
