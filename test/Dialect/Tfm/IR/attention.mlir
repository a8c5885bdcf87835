// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// One op for MHA, GQA and MQA (num_kv_heads), with causal, full and cross
// masks.

// CHECK-LABEL: func @mha_causal
func.func @mha_causal(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // CHECK: tfm.attention causal %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 8 : i64, num_heads = 8 : i64, num_kv_heads = 8 : i64, scale = 0.35355339059327379 : f64}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.35355339059327379 : f64} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}

// CHECK-LABEL: func @gqa_full
func.func @gqa_full(%q: tensor<16x64xf32>, %k: tensor<16x32xf32>, %v: tensor<16x32xf32>) -> tensor<16x64xf32> {
  // CHECK: tfm.attention full {{.*}}num_kv_heads = 4 : i64{{.*}} : (tensor<16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x64xf32>
  %o = tfm.attention full %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x64xf32>
  return %o : tensor<16x64xf32>
}

// CHECK-LABEL: func @mqa_cross
func.func @mqa_cross(%q: tensor<1x64xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>) -> tensor<1x64xf32> {
  // Cross-attention: query and key lengths are independent.
  // CHECK: tfm.attention cross {{.*}}num_kv_heads = 1 : i64{{.*}} : (tensor<1x64xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<1x64xf32>
  %o = tfm.attention cross %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 1 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<1x64xf32>
  return %o : tensor<1x64xf32>
}

// CHECK-LABEL: func @attention_bias
func.func @attention_bias(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>, %bias: tensor<8x?x?xf32>) -> tensor<?x64xf32> {
  // T5's encoder: unscaled scores plus the relative position bias.
  // CHECK: tfm.attention full %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {{.*}} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<8x?x?xf32>) -> tensor<?x64xf32>
  %o = tfm.attention full %q, %k, %v bias %bias {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 1.0 : f64} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<8x?x?xf32>) -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}
