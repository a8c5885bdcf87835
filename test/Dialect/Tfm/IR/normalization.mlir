// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// CHECK-LABEL: func @rms_norm
func.func @rms_norm(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = tfm.param "attn_norm.weight" : tensor<64xf32>
  // CHECK: tfm.rms_norm %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %y = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func @layer_norm_with_bias
func.func @layer_norm_with_bias(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %w = tfm.param "ln.weight" : tensor<64xf32>
  %b = tfm.param "ln.bias" : tensor<64xf32>
  // CHECK: tfm.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {eps = 9.9999999999999998E-13 : f64} : tensor<1x64xf32>, tensor<64xf32>, tensor<64xf32>
  %y = tfm.layer_norm %x, %w, %b {eps = 1.0e-12 : f64} : tensor<1x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %y : tensor<1x64xf32>
}

// CHECK-LABEL: func @layer_norm_without_bias
func.func @layer_norm_without_bias(%x: tensor<1x64xbf16>) -> tensor<1x64xbf16> {
  %w = tfm.param "ln.weight" : tensor<64xf32>
  // CHECK: tfm.layer_norm %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64} : tensor<1x64xbf16>, tensor<64xf32>
  // CHECK-NOT: tensor<64xf32>, tensor<64xf32>
  %y = tfm.layer_norm %x, %w {eps = 1.0e-5 : f64} : tensor<1x64xbf16>, tensor<64xf32>
  return %y : tensor<1x64xbf16>
}
