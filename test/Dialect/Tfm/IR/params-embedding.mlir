// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// Weights are named parameters; the embedding gathers rows by token id.

// CHECK-LABEL: func @embed_prompt
func.func @embed_prompt(%tokens: tensor<?xi32>) -> tensor<?x64xf32> {
  // CHECK: %[[TABLE:.*]] = tfm.param "token_embd.weight" : tensor<512x64xf16>
  %table = tfm.param "token_embd.weight" : tensor<512x64xf16>
  // CHECK: tfm.embedding %[[TABLE]][%{{.*}}] : (tensor<512x64xf16>, tensor<?xi32>) -> tensor<?x64xf32>
  %x = tfm.embedding %table[%tokens] : (tensor<512x64xf16>, tensor<?xi32>) -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// CHECK-LABEL: func @embed_one_token_i64
func.func @embed_one_token_i64(%token: tensor<1xi64>) -> tensor<1x64xbf16> {
  // CHECK: tfm.param "wte" : tensor<100x64xbf16>
  %table = tfm.param "wte" : tensor<100x64xbf16>
  // CHECK: tfm.embedding %{{.*}}[%{{.*}}] : (tensor<100x64xbf16>, tensor<1xi64>) -> tensor<1x64xbf16>
  %x = tfm.embedding %table[%token] : (tensor<100x64xbf16>, tensor<1xi64>) -> tensor<1x64xbf16>
  return %x : tensor<1x64xbf16>
}

// A weight stacked from several named matrices (tfm-fuse-sibling-linears).

// CHECK-LABEL: func @stacked_param
func.func @stacked_param() -> tensor<96x64xf32> {
  // CHECK: tfm.param "blk.0.attn_q+attn_k.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight"] : tensor<96x64xf32>
  %w = tfm.param "blk.0.attn_q+attn_k.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight"] : tensor<96x64xf32>
  return %w : tensor<96x64xf32>
}

// A weight with a norm's scale folded into its columns
// (tfm-fuse-norm-into-linear).

// CHECK-LABEL: func @column_scaled_param
func.func @column_scaled_param() -> tensor<96x64xf32> {
  // CHECK: tfm.param "blk.0.attn_q+attn_k.weight*blk.0.attn_norm.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight"] column_scale "blk.0.attn_norm.weight" : tensor<96x64xf32>
  %w = tfm.param "blk.0.attn_q+attn_k.weight*blk.0.attn_norm.weight" parts ["blk.0.attn_q.weight", "blk.0.attn_k.weight"] column_scale "blk.0.attn_norm.weight" : tensor<96x64xf32>
  return %w : tensor<96x64xf32>
}
