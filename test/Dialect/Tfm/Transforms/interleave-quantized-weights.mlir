// RUN: tfm-opt %s --split-input-file --tfm-interleave-quantized-weights | FileCheck %s

// q8_0, q4_0, q4_k and q6_k weights of linear layers and logits with whole
// groups of 16 output rows take the interleaved layout; the ops that read them do
// not change.
// CHECK-LABEL: func.func @interleaved
// CHECK: tfm.param "wq" : tensor<64x64x!tfm.quant<q8_0, interleave = 16>>
// CHECK: tfm.param "w4" : tensor<32x64x!tfm.quant<q4_0, interleave = 16>>
// CHECK: tfm.param "out" : tensor<48x64x!tfm.quant<q8_0, interleave = 16>>
// CHECK: tfm.param "w6" : tensor<32x256x!tfm.quant<q6_k, interleave = 16>>
// CHECK: tfm.param "wk" : tensor<16x256x!tfm.quant<q4_k, interleave = 16>>
// CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<64x64x!tfm.quant<q8_0, interleave = 16>>) -> tensor<?x64xf32>
// CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<32x64x!tfm.quant<q4_0, interleave = 16>>) -> tensor<?x32xf32>
// CHECK: tfm.logits %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<48x64x!tfm.quant<q8_0, interleave = 16>>) -> tensor<?x48xf32>
// CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x256xf32>, tensor<32x256x!tfm.quant<q6_k, interleave = 16>>) -> tensor<?x32xf32>
// CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x256xf32>, tensor<16x256x!tfm.quant<q4_k, interleave = 16>>) -> tensor<?x16xf32>
func.func @interleaved(%x: tensor<?x64xf32>, %x256: tensor<?x256xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x48xf32>, tensor<?x32xf32>, tensor<?x16xf32>) {
  %wq = tfm.param "wq" : tensor<64x64x!tfm.quant<q8_0>>
  %w4 = tfm.param "w4" : tensor<32x64x!tfm.quant<q4_0>>
  %wo = tfm.param "out" : tensor<48x64x!tfm.quant<q8_0>>
  %w6 = tfm.param "w6" : tensor<32x256x!tfm.quant<q6_k>>
  %wk = tfm.param "wk" : tensor<16x256x!tfm.quant<q4_k>>
  %a = tfm.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64x!tfm.quant<q8_0>>) -> tensor<?x64xf32>
  %b = tfm.linear %x, %w4 : (tensor<?x64xf32>, tensor<32x64x!tfm.quant<q4_0>>) -> tensor<?x32xf32>
  %c = tfm.logits %x, %wo : (tensor<?x64xf32>, tensor<48x64x!tfm.quant<q8_0>>) -> tensor<?x48xf32>
  %d = tfm.linear %x256, %w6 : (tensor<?x256xf32>, tensor<32x256x!tfm.quant<q6_k>>) -> tensor<?x32xf32>
  %e = tfm.linear %x256, %wk : (tensor<?x256xf32>, tensor<16x256x!tfm.quant<q4_k>>) -> tensor<?x16xf32>
  return %a, %b, %c, %d, %e : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x48xf32>, tensor<?x32xf32>, tensor<?x16xf32>
}

// -----

// A gated gate/up weight is interleaved when each half is whole groups.
// CHECK-LABEL: func.func @gated
// CHECK: tfm.param "gu" : tensor<64x64x!tfm.quant<q4_0, interleave = 16>>
// CHECK: gated(silu)
func.func @gated(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = tfm.param "gu" : tensor<64x64x!tfm.quant<q4_0>>
  %y = tfm.linear %x, %w gated(silu) : (tensor<?x64xf32>, tensor<64x64x!tfm.quant<q4_0>>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Left row-wise: 24 rows (not whole groups); halves of 24 rows of a gated
// weight; formats without a 16-row kernel (q4_1); 24 rows of q6_k; f32; a
// weight that is also read by something other than a linear layer.
// CHECK-LABEL: func.func @row_wise
// CHECK-NOT: interleave
// CHECK: return
func.func @row_wise(%x: tensor<?x64xf32>) -> (tensor<?x24xf32>, tensor<?x24xf32>, tensor<?x32xf32>, tensor<?x24xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<32x64x!tfm.quant<q8_0>>) {
  %w24 = tfm.param "w24" : tensor<24x64x!tfm.quant<q8_0>>
  %gu = tfm.param "gu" : tensor<48x64x!tfm.quant<q8_0>>
  %w41 = tfm.param "w41" : tensor<32x64x!tfm.quant<q4_1>>
  %w6 = tfm.param "w6" : tensor<24x256x!tfm.quant<q6_k>>
  %wf = tfm.param "wf" : tensor<32x64xf32>
  %a = tfm.linear %x, %w24 : (tensor<?x64xf32>, tensor<24x64x!tfm.quant<q8_0>>) -> tensor<?x24xf32>
  %b = tfm.linear %x, %gu gated(silu) : (tensor<?x64xf32>, tensor<48x64x!tfm.quant<q8_0>>) -> tensor<?x24xf32>
  %c = tfm.linear %x, %w41 : (tensor<?x64xf32>, tensor<32x64x!tfm.quant<q4_1>>) -> tensor<?x32xf32>
  %x256 = tfm.param "x256" : tensor<1x256xf32>
  %d = tfm.linear %x256, %w6 : (tensor<1x256xf32>, tensor<24x256x!tfm.quant<q6_k>>) -> tensor<1x24xf32>
  %dd = tensor.cast %d : tensor<1x24xf32> to tensor<?x24xf32>
  %e = tfm.linear %x, %wf : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %wr = tfm.param "wr" : tensor<32x64x!tfm.quant<q8_0>>
  %f = tfm.linear %x, %wr : (tensor<?x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<?x32xf32>
  return %a, %b, %c, %dd, %e, %f, %wr : tensor<?x24xf32>, tensor<?x24xf32>, tensor<?x32xf32>, tensor<?x24xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<32x64x!tfm.quant<q8_0>>
}

// -----

// f16 and bf16 weights take the panel layout too (feature k of 16 rows side
// by side); 24 rows are not whole groups and stay row-wise.
// CHECK-LABEL: func.func @half_floats
// CHECK: tfm.param "wh" : tensor<32x64x!tfm.quant<f16, interleave = 16>>
// CHECK: tfm.param "wb" : tensor<16x64x!tfm.quant<bf16, interleave = 16>>
// CHECK: tfm.param "odd" : tensor<24x64x!tfm.quant<f16>>
func.func @half_floats(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>) {
  %wh = tfm.param "wh" : tensor<32x64x!tfm.quant<f16>>
  %wb = tfm.param "wb" : tensor<16x64x!tfm.quant<bf16>>
  %wodd = tfm.param "odd" : tensor<24x64x!tfm.quant<f16>>
  %a = tfm.linear %x, %wh : (tensor<?x64xf32>, tensor<32x64x!tfm.quant<f16>>) -> tensor<?x32xf32>
  %b = tfm.linear %x, %wb : (tensor<?x64xf32>, tensor<16x64x!tfm.quant<bf16>>) -> tensor<?x16xf32>
  %c = tfm.linear %x, %wodd : (tensor<?x64xf32>, tensor<24x64x!tfm.quant<f16>>) -> tensor<?x24xf32>
  return %a, %b, %c : tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>
}
