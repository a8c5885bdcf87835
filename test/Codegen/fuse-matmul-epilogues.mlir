// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg=weight-panel=8 --tfm-fuse-matmul-epilogues | FileCheck %s
// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg=weight-panel=8 --tfm-fuse-matmul-epilogues=decode-panels=2 | FileCheck %s --check-prefix=PANELS

// Prefill, norm scale folded into the weights, residual: each thread step
// computes two panels of products into the zero-filled output and scales
// them (plus the residual) right there; no matmul is left outside.
// CHECK-LABEL: func.func @folded_norm_residual
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x16x8xf32>
// CHECK-NOT: tfm.kernel = "matmul_panels"
// CHECK: scf.forall (%[[I:.*]]) = (0) to (16) step (2) shared_outs(%[[OUT:.*]] = %[[ZEROS]]) -> (tensor<?x16x8xf32>)
// CHECK: %[[TILE:.*]] = tensor.extract_slice %[[OUT]][0, %[[I]], 0] [%{{.*}}, 2, 8] [1, 1, 1]
// CHECK: %[[P:.*]] = linalg.generic {{.*}} outs(%[[TILE]] : tensor<?x2x8xf32>) attrs = {tfm.kernel = "matmul_panels"}
// CHECK: %[[E:.*]] = linalg.generic {{.*}} outs(%[[P]] : tensor<?x2x8xf32>) attrs = {tfm.kernel = "matmul_epilogue"}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.parallel_insert_slice %[[E]] into %[[OUT]][0, %[[I]], 0] [%{{.*}}, 2, 8]
// CHECK-NOT: tfm.kernel = "matmul_panels"
// CHECK: return
func.func @folded_norm_residual(%x: tensor<?x64xf32>, %r: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %w = tfm.param "w*g" column_scale "g" : tensor<128x64xf32>
  %y = tfm.linear %x, %w residual %r {norm_eps = 1.0e-5 : f64} : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<?x128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Decode, gated: four panels of gate products and four of up products per
// step. The gate products are the epilogue's destination; the up products
// are a second shared output, so their tiles are written in place.
// CHECK-LABEL: func.func @gated_decode
// CHECK-DAG: %[[GZ:.*]] = linalg.fill {{.*}} -> tensor<1x16x8xf32>
// CHECK-DAG: %[[UZ:.*]] = linalg.fill {{.*}} -> tensor<1x16x8xf32>
// CHECK-NOT: tfm.kernel = "matmul_panels"
// CHECK: scf.forall (%[[I:.*]]) = (0) to (16) step (4) shared_outs(%[[G:.*]] = %{{.*}}, %[[U:.*]] = %{{.*}})
// CHECK-COUNT-2: tfm.kernel = "matmul_panels"
// CHECK: tfm.kernel = "matmul_epilogue"
// CHECK: math.exp
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[G]][0, %[[I]], 0] [1, 4, 8]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[U]][0, %[[I]], 0] [1, 4, 8]
// CHECK-NOT: tfm.kernel = "matmul_panels"
// CHECK: return
// PANELS-LABEL: func.func @gated_decode
// PANELS: scf.forall (%{{.*}}) = (0) to (16) step (2)
func.func @gated_decode(%x: tensor<1x64xf32>) -> tensor<1x128xf32> {
  %w = tfm.param "wgu*g" column_scale "g" : tensor<256x64xf32>
  %a = tfm.linear %x, %w gated(silu) {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<256x64xf32>) -> tensor<1x128xf32>
  return %a : tensor<1x128xf32>
}

// -----

// Gate and up halves that split a panel (20 features, panels of 8): one
// matmul over both halves, then a row scale and the activation as
// element-wise kernels; nothing to fuse.
// CHECK-LABEL: func.func @halves_split_a_panel
// CHECK-NOT: scf.forall
// CHECK: tfm.kernel = "matmul_panels"
// CHECK: tfm.kernel = "elementwise"
// CHECK: return
func.func @halves_split_a_panel(%x: tensor<1x64xf32>) -> tensor<1x20xf32> {
  %w = tfm.param "wgu*g" column_scale "g" : tensor<40x64xf32>
  %a = tfm.linear %x, %w gated(silu) {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<40x64xf32>) -> tensor<1x20xf32>
  return %a : tensor<1x20xf32>
}

// -----

// Prefill of a GPT-2 FFN up projection (tfm-fuse-linear-activations): each
// thread step computes two panels of products and adds the bias and applies
// the tanh GELU to them right there.
// CHECK-LABEL: func.func @bias_gelu
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x32x8xf32>
// CHECK-NOT: tfm.kernel = "matmul_panels"
// CHECK: scf.forall (%[[I:.*]]) = (0) to (32) step (2) shared_outs(%[[OUT:.*]] = %[[ZEROS]]) -> (tensor<?x32x8xf32>)
// CHECK: %[[P:.*]] = linalg.generic {{.*}} attrs = {tfm.kernel = "matmul_panels"}
// CHECK: %[[E:.*]] = linalg.generic {{.*}} outs(%[[P]] : tensor<?x2x8xf32>) attrs = {tfm.kernel = "matmul_epilogue"}
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK: tensor.parallel_insert_slice %[[E]] into %[[OUT]][0, %[[I]], 0] [%{{.*}}, 2, 8]
// CHECK-NOT: tfm.kernel = "matmul_panels"
// CHECK-NOT: tfm.kernel = "elementwise"
// CHECK: return
func.func @bias_gelu(%x: tensor<?x64xf32>) -> tensor<?x256xf32> {
  %w = tfm.param "w" : tensor<256x64xf32>
  %b = tfm.param "b" : tensor<256xf32>
  %y = tfm.linear %x, %w, %b activation(gelu_tanh) : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}
