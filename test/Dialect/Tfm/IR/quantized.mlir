// RUN: tfm-opt %s --split-input-file | tfm-opt --split-input-file | FileCheck %s

// Quantized weights: every block format round-trips, and linear layers and
// logits take them.
// CHECK-LABEL: func.func @formats
func.func @formats(%x: tensor<?x256xf32>) -> tensor<?x64xf32> {
  // CHECK: tensor<64x256x!tfm.quant<q8_0>>
  %a = tfm.param "a" : tensor<64x256x!tfm.quant<q8_0>>
  // CHECK: tensor<64x256x!tfm.quant<q4_0>>
  %b = tfm.param "b" : tensor<64x256x!tfm.quant<q4_0>>
  // CHECK: tensor<64x256x!tfm.quant<q4_1>>
  %c = tfm.param "c" : tensor<64x256x!tfm.quant<q4_1>>
  // CHECK: tensor<64x256x!tfm.quant<q4_k>>
  %d = tfm.param "d" : tensor<64x256x!tfm.quant<q4_k>>
  // CHECK: tensor<64x256x!tfm.quant<q6_k>>
  %e = tfm.param "e" : tensor<64x256x!tfm.quant<q6_k>>
  // CHECK: tensor<64x256x!tfm.quant<int8>>
  %f = tfm.param "f" : tensor<64x256x!tfm.quant<int8>>
  // CHECK: tensor<64x256x!tfm.quant<int4, group = 128>>
  %g = tfm.param "g" : tensor<64x256x!tfm.quant<int4, group = 128>>
  // CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x256xf32>, tensor<64x256x!tfm.quant<int4, group = 128>>) -> tensor<?x64xf32>
  %y = tfm.linear %x, %g : (tensor<?x256xf32>, tensor<64x256x!tfm.quant<int4, group = 128>>) -> tensor<?x64xf32>
  // CHECK: tfm.logits %{{.*}}, %{{.*}} : (tensor<?x256xf32>, tensor<64x256x!tfm.quant<q4_k>>) -> tensor<?x64xf32>
  %l = tfm.logits %x, %d : (tensor<?x256xf32>, tensor<64x256x!tfm.quant<q4_k>>) -> tensor<?x64xf32>
  return %l : tensor<?x64xf32>
}

// -----

// The kernel-level op on buffers: rows of blocks (q4_0: 18 bytes per 32).
// CHECK-LABEL: func.func @kernel
func.func @kernel(%x: memref<?x64xf32>, %w: memref<16x36xi8>, %y: memref<?x16xf32>, %s: memref<?xi8>) {
  // CHECK: tfm.quantized_matmul !tfm.quant<q4_0> %{{.*}}, %{{.*}} -> %{{.*}} scratch %{{.*}} : memref<?x64xf32>, memref<16x36xi8>, memref<?x16xf32>, memref<?xi8>
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<16x36xi8>, memref<?x16xf32>, memref<?xi8>
  return
}
