// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg | FileCheck %s

// A linear layer with quantized weights becomes the kernel-level
// tfm.quantized_matmul on buffers: the param turns into the raw bytes of its
// blocks (q4_0: 18 bytes per 32 weights), the result comes back as a tensor.
// CHECK-LABEL: func.func @linear_q4_0
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = tfm.param "w" {tfm.format = !tfm.quant<q4_0>} : tensor<96x36xi8>
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<?x64xf32> to memref<?x64xf32, strided<[?, 1], offset: ?>>
// CHECK: %[[WB:.*]] = bufferization.to_buffer %[[W]] read_only
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x96xf32>
// CHECK: tfm.quantized_matmul !tfm.quant<q4_0> %[[XB]], %[[WB]] -> %[[OUT]]
// CHECK: %[[Y:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<?x96xf32>, tensor<96xf32>)
func.func @linear_q4_0(%x: tensor<?x64xf32>) -> tensor<?x96xf32> {
  %w = tfm.param "w" : tensor<96x64x!tfm.quant<q4_0>>
  %b = tfm.param "b" : tensor<96xf32>
  %y = tfm.linear %x, %w, %b : (tensor<?x64xf32>, tensor<96x64x!tfm.quant<q4_0>>, tensor<96xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// With an activation epilogue the kernel's products take one element-wise
// pass for the bias and the activation together.
// CHECK-LABEL: func.func @linear_q8_0_bias_relu
// CHECK: tfm.quantized_matmul !tfm.quant<q8_0>
// CHECK: %[[Y:.*]] = bufferization.to_tensor
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<1x96xf32>, tensor<96xf32>)
// CHECK: %[[SUM:.*]] = arith.addf
// CHECK: arith.maximumf %[[SUM]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @linear_q8_0_bias_relu(%x: tensor<1x64xf32>) -> tensor<1x96xf32> {
  %w = tfm.param "w" : tensor<96x64x!tfm.quant<q8_0>>
  %b = tfm.param "b" : tensor<96xf32>
  %y = tfm.linear %x, %w, %b activation(relu) : (tensor<1x64xf32>, tensor<96x64x!tfm.quant<q8_0>>, tensor<96xf32>) -> tensor<1x96xf32>
  return %y : tensor<1x96xf32>
}

// -----

// Quantized weights passed to a layer function: the argument and the call
// carry the byte tensor, the format stays on the op.
// CHECK-LABEL: func.func @caller
// CHECK: %[[W:.*]] = tfm.param "blk.0.w" {tfm.format = !tfm.quant<q6_k>} : tensor<8x210xi8>
// CHECK: call @layer(%{{.*}}, %[[W]]) : (tensor<1x256xf32>, tensor<8x210xi8>) -> tensor<1x8xf32>
// CHECK-LABEL: func.func private @layer
// CHECK-SAME: %{{.*}}: tensor<8x210xi8>
// CHECK: tfm.quantized_matmul !tfm.quant<q6_k>
func.func @caller(%x: tensor<1x256xf32>) -> tensor<1x8xf32> {
  %w = tfm.param "blk.0.w" : tensor<8x256x!tfm.quant<q6_k>>
  %y = call @layer(%x, %w) : (tensor<1x256xf32>, tensor<8x256x!tfm.quant<q6_k>>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
func.func private @layer(%x: tensor<1x256xf32>, %w: tensor<8x256x!tfm.quant<q6_k>>) -> tensor<1x8xf32> {
  %y = tfm.linear %x, %w : (tensor<1x256xf32>, tensor<8x256x!tfm.quant<q6_k>>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// A residual epilogue: the residual is copied into the output buffer and
// the kernel accumulates onto it.
// CHECK-LABEL: func.func @linear_residual_q8_0
// CHECK-SAME: (%[[X:.*]]: tensor<1x64xf32>, %[[H:.*]]: tensor<1x96xf32>)
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x96xf32>
// CHECK: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[HB:.*]] = bufferization.to_buffer %[[H]] read_only
// CHECK: memref.copy %[[HB]], %[[OUT]]
// CHECK: tfm.quantized_matmul !tfm.quant<q8_0> %{{.*}}, %{{.*}} -> accumulate %[[OUT]] scratch %[[SCRATCH]]
func.func @linear_residual_q8_0(%x: tensor<1x64xf32>, %h: tensor<1x96xf32>) -> tensor<1x96xf32> {
  %w = tfm.param "w" : tensor<96x64x!tfm.quant<q8_0>>
  %y = tfm.linear %x, %w residual %h : (tensor<1x64xf32>, tensor<96x64x!tfm.quant<q8_0>>, tensor<1x96xf32>) -> tensor<1x96xf32>
  return %y : tensor<1x96xf32>
}

// -----

// An RMSNorm prologue stays on the kernel-level op, with the norm weight as
// a buffer: the activation quantization normalizes the rows. With f32
// weights the prologue is an RMSNorm kernel before the matmul.
// CHECK-LABEL: func.func @norm_prologue
// CHECK: %[[G:.*]] = tfm.param "norm"
// CHECK: %[[GB:.*]] = bufferization.to_buffer %[[G]] read_only : tensor<64xf32> to memref<64xf32, strided<[1], offset: ?>>
// CHECK: tfm.quantized_matmul !tfm.quant<q8_0> %{{.*}} rms_norm %[[GB]] : memref<64xf32, strided<[1], offset: ?>>, %{{.*}} -> %{{.*}} scratch %{{.*}} {norm_eps = 1.000000e-05 : f64}
// CHECK: math.rsqrt
// CHECK: tfm.kernel = "matmul_panels"
func.func @norm_prologue(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %g = tfm.param "norm" : tensor<64xf32>
  %wq = tfm.param "wq" : tensor<32x64x!tfm.quant<q8_0>>
  %wf = tfm.param "wf" : tensor<32x64xf32>
  %a = tfm.linear %x rms_norm %g, %wq {norm_eps = 1.0e-5 : f64} : (tensor<?x64xf32>, tensor<64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<?x32xf32>
  %b = tfm.linear %x rms_norm %g, %wf {norm_eps = 1.0e-5 : f64} : (tensor<?x64xf32>, tensor<64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %a, %b : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// A gated layer: the kernel-level op keeps `gated`, its output has half the
// weight rows. With f32 weights: the products of the gate panels and of
// the up panels, then the activation as an epilogue over them, written over
// the gate products.
// CHECK-LABEL: func.func @gated
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK: tfm.quantized_matmul !tfm.quant<q8_0> %{{.*}}, %{{.*}} -> %[[OUT]] scratch %{{.*}} gated(silu) : memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<32x68xi8, strided<[?, 1], offset: ?>>, memref<?x16xf32>, memref<?xi8>
// CHECK: %[[GATE_W:.*]] = tensor.extract_slice %[[PANELS:.*]][0, 0, 0] [1, 64, 16] [1, 1, 1]
// CHECK: %[[GATE:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[GATE_W]] : {{.*}}) {{.*}}tfm.kernel = "matmul_panels"
// CHECK: %[[UP_W:.*]] = tensor.extract_slice %[[PANELS]][1, 0, 0] [1, 64, 16] [1, 1, 1]
// CHECK: %[[UP:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[UP_W]] : {{.*}}) {{.*}}tfm.kernel = "matmul_panels"
// CHECK: linalg.generic {{.*}} ins(%[[UP]] : tensor<?x1x16xf32>) outs(%[[GATE]] : tensor<?x1x16xf32>) attrs = {tfm.kernel = "matmul_epilogue"}
// CHECK: math.exp
func.func @gated(%x: tensor<?x64xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %wq = tfm.param "wq" : tensor<32x64x!tfm.quant<q8_0>>
  %wf = tfm.param "wf" : tensor<32x64xf32>
  %a = tfm.linear %x, %wq gated(silu) : (tensor<?x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<?x16xf32>
  %b = tfm.linear %x, %wf gated(silu) : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x16xf32>
  return %a, %b : tensor<?x16xf32>, tensor<?x16xf32>
}
