// RUN: tfm-opt %s --split-input-file --tfm-quantize-weights="format=q4_k" -verify-diagnostics | FileCheck %s

// 96 in-features are not a whole number of 256-element super-blocks: the
// weight takes q4_1, the fallback for q4_k.
// CHECK-LABEL: func.func @partial_super_block
func.func @partial_super_block(%x: tensor<?x96xf32>) -> tensor<?x8xf32> {
  // CHECK: tfm.param "w" : tensor<8x96x!tfm.quant<q4_1>>
  // expected-remark @+1 {{'w' is stored as '!tfm.quant<q4_1>': its 96 in-features are not a whole number of '!tfm.quant<q4_k>' blocks}}
  %w = tfm.param "w" : tensor<8x96xf32>
  %y = tfm.linear %x, %w : (tensor<?x96xf32>, tensor<8x96xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// 172 in-features fit no block format: the weight keeps its type.
// CHECK-LABEL: func.func @no_block_fits
func.func @no_block_fits(%x: tensor<?x172xf32>) -> tensor<?x8xf32> {
  // CHECK: tfm.param "w" : tensor<8x172xf32>
  // expected-warning @+1 {{'w' stays 'f32': its 172 in-features are not a whole number of '!tfm.quant<q4_k>' blocks}}
  %w = tfm.param "w" : tensor<8x172xf32>
  %y = tfm.linear %x, %w : (tensor<?x172xf32>, tensor<8x172xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
