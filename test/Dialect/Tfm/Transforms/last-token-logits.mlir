// RUN: tfm-opt %s --split-input-file --tfm-last-token-logits | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-last-token-logits=functions=score | FileCheck %s --check-prefix=NAMED

// The tail of a prefill: the selection of the last row moves above the final
// norm and the residual add, and the result type narrows to one row.

// CHECK-LABEL: func @prefill
// CHECK-SAME: -> tensor<1x512xf32>
// CHECK-DAG: %[[X1:.*]] = tfm.last_token %[[X:.*]] : (tensor<?x64xf32>) -> tensor<1x64xf32>
// CHECK-DAG: %[[Y1:.*]] = tfm.last_token %[[Y:.*]] : (tensor<?x64xf32>) -> tensor<1x64xf32>
// CHECK: %[[SUM:.*]] = tfm.add %[[X1]], %[[Y1]] : tensor<1x64xf32>
// CHECK: %[[NORM:.*]] = tfm.rms_norm %[[SUM]], %{{.*}} {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
// CHECK: %[[LOGITS:.*]] = tfm.logits %[[NORM]], %{{.*}} : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
// CHECK: return %[[LOGITS]] : tensor<1x512xf32>

// NAMED-LABEL: func @prefill
// NAMED-SAME: -> tensor<?x512xf32>
// NAMED-NOT: tfm.last_token
func.func @prefill(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> tensor<?x512xf32> {
  %norm_w = tfm.param "output_norm.weight" : tensor<64xf32>
  %out_w = tfm.param "output.weight" : tensor<512x64xf32>
  %sum = tfm.add %x, %y : tensor<?x64xf32>
  %h = tfm.rms_norm %sum, %norm_w {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %logits = tfm.logits %h, %out_w : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
  return %logits : tensor<?x512xf32>
}

// -----

// A producer with another user is not narrowed: it would be computed twice.

// CHECK-LABEL: func @prefill
// CHECK-SAME: -> (tensor<1x512xf32>, tensor<?x64xf32>)
// CHECK: %[[H:.*]] = tfm.rms_norm %{{.*}} : tensor<?x64xf32>, tensor<64xf32>
// CHECK: %[[LAST:.*]] = tfm.last_token %[[H]]
// CHECK: %[[LOGITS:.*]] = tfm.logits %[[LAST]]
// CHECK: return %[[LOGITS]], %[[H]]
func.func @prefill(%x: tensor<?x64xf32>) -> (tensor<?x512xf32>, tensor<?x64xf32>) {
  %norm_w = tfm.param "output_norm.weight" : tensor<64xf32>
  %out_w = tfm.param "output.weight" : tensor<512x64xf32>
  %h = tfm.rms_norm %x, %norm_w {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %logits = tfm.logits %h, %out_w : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
  return %logits, %h : tensor<?x512xf32>, tensor<?x64xf32>
}

// -----

// Only the chosen functions change: decode already has one row, and a
// function not named keeps all positions.

// CHECK-LABEL: func @decode
// CHECK-NOT: tfm.last_token
// CHECK: return
// CHECK-LABEL: func @score
// CHECK-SAME: -> tensor<?x512xf32>
// CHECK-NOT: tfm.last_token

// NAMED-LABEL: func @decode
// NAMED-NOT: tfm.last_token
// NAMED-LABEL: func @score
// NAMED-SAME: -> tensor<1x512xf32>
// NAMED: tfm.last_token %{{.*}} : (tensor<?x172xf32>) -> tensor<1x172xf32>
// NAMED: tfm.linear {{.*}} -> tensor<1x64xf32>
func.func @decode(%x: tensor<1x64xf32>) -> tensor<1x512xf32> {
  %out_w = tfm.param "output.weight" : tensor<512x64xf32>
  %logits = tfm.logits %x, %out_w : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
  return %logits : tensor<1x512xf32>
}
func.func @score(%x: tensor<?x172xf32>) -> tensor<?x512xf32> {
  %down = tfm.param "ffn_down.weight" : tensor<64x172xf32>
  %out_w = tfm.param "output.weight" : tensor<512x64xf32>
  %h = tfm.linear %x, %down : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
  %logits = tfm.logits %h, %out_w : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
  return %logits : tensor<?x512xf32>
}

// -----

// A norm that feeds two linear layers (gate and up before they are
// stacked) sinks once for both.

// CHECK-LABEL: func @prefill(
// CHECK: %[[LAST:.*]] = tfm.last_token %{{.*}} : (tensor<?x64xf32>) -> tensor<1x64xf32>
// CHECK: %[[N:.*]] = tfm.rms_norm %[[LAST]], %{{.*}} : tensor<1x64xf32>, tensor<64xf32>
// CHECK-DAG: tfm.linear %[[N]], %{{.*}} : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
// CHECK-DAG: tfm.linear %[[N]], %{{.*}} : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
// CHECK-NOT: tfm.last_token
// CHECK: return
func.func @prefill(%x: tensor<?x64xf32>) -> tensor<?x512xf32> {
  %g = tfm.param "ffn_norm.weight" : tensor<64xf32>
  %wg = tfm.param "ffn_gate.weight" : tensor<32x64xf32>
  %wu = tfm.param "ffn_up.weight" : tensor<32x64xf32>
  %out_w = tfm.param "output.weight" : tensor<512x32xf32>
  %n = tfm.rms_norm %x, %g {eps = 1.0e-5 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %gate = tfm.linear %n, %wg : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %up = tfm.linear %n, %wu : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %a = tfm.gated_activation silu %gate, %up : tensor<?x32xf32>
  %logits = tfm.logits %a, %out_w : (tensor<?x32xf32>, tensor<512x32xf32>) -> tensor<?x512xf32>
  return %logits : tensor<?x512xf32>
}

// -----

// Soft-capped logits (Gemma 2): the row selection goes above the cap too.
// CHECK-LABEL: func @prefill
// CHECK-SAME: -> tensor<1x512xf32>
// CHECK: %[[X1:.*]] = tfm.last_token %{{.*}} : (tensor<?x64xf32>) -> tensor<1x64xf32>
// CHECK: %[[L:.*]] = tfm.logits %[[X1]]
// CHECK: %[[C:.*]] = tfm.soft_cap %[[L]] {cap = 3.000000e+01 : f64} : tensor<1x512xf32>
// CHECK: return %[[C]]
func.func @prefill(%x: tensor<?x64xf32>) -> tensor<?x512xf32> {
  %out_w = tfm.param "output.weight" : tensor<512x64xf32>
  %logits = tfm.logits %x, %out_w : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
  %capped = tfm.soft_cap %logits {cap = 30.0 : f64} : tensor<?x512xf32>
  return %capped : tensor<?x512xf32>
}
