// RUN: tfm-opt %s --split-input-file --tfm-fuse-residual-adds | FileCheck %s

// The two residual adds of a layer become epilogues of the output and down
// projections, whichever side of the add the linear is on.

// CHECK-LABEL: func @layer_tail
// CHECK-SAME: (%[[H:.*]]: tensor<?x64xf32>, %[[A:.*]]: tensor<?x64xf32>, %[[F:.*]]: tensor<?x172xf32>)
// CHECK:      %[[H1:.*]] = tfm.linear %[[A]], %{{.*}} residual %[[H]] : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK:      %[[H2:.*]] = tfm.linear %[[F]], %{{.*}} residual %[[H1]] : (tensor<?x172xf32>, tensor<64x172xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK-NOT:  tfm.add
// CHECK:      return %[[H2]]
func.func @layer_tail(%h: tensor<?x64xf32>, %a: tensor<?x64xf32>, %f: tensor<?x172xf32>) -> tensor<?x64xf32> {
  %wo = tfm.param "blk.0.attn_output.weight" : tensor<64x64xf32>
  %wd = tfm.param "blk.0.ffn_down.weight" : tensor<64x172xf32>
  %o = tfm.linear %a, %wo : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %h1 = tfm.add %h, %o : tensor<?x64xf32>
  %d = tfm.linear %f, %wd : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
  %h2 = tfm.add %d, %h1 : tensor<?x64xf32>
  return %h2 : tensor<?x64xf32>
}

// -----

// A bias stays: result = x * w^T + bias + residual.

// CHECK-LABEL: func @with_bias
// CHECK:      tfm.linear %{{.*}}, %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<1x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32>
func.func @with_bias(%h: tensor<1x64xf32>, %a: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %w = tfm.param "w" : tensor<64x64xf32>
  %b = tfm.param "b" : tensor<64xf32>
  %o = tfm.linear %a, %w, %b : (tensor<1x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<1x64xf32>
  %h1 = tfm.add %h, %o : tensor<1x64xf32>
  return %h1 : tensor<1x64xf32>
}

// -----

// Not fused: the linear's result has another user, and an add of two
// linears takes only one as the epilogue.

// CHECK-LABEL: func @not_fused
// CHECK:      %[[O:.*]] = tfm.linear %{{.*}}, %{{.*}} : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
// CHECK:      %[[S:.*]] = tfm.add %{{.*}}, %[[O]]
// CHECK:      %[[P:.*]] = tfm.linear %{{.*}}, %{{.*}} : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
// CHECK:      tfm.linear %{{.*}}, %{{.*}} residual %[[P]]
func.func @not_fused(%h: tensor<1x64xf32>, %a: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>) {
  %w = tfm.param "w" : tensor<64x64xf32>
  %o = tfm.linear %a, %w : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
  %s = tfm.add %h, %o : tensor<1x64xf32>
  %p = tfm.linear %h, %w : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
  %q = tfm.linear %a, %w : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
  %t = tfm.add %p, %q : tensor<1x64xf32>
  return %s, %o, %t : tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>
}
