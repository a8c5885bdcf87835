// RUN: tfm-opt %s --split-input-file --tfm-lower-matmul-panels --canonicalize | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-lower-matmul-panels="threads=0" --canonicalize | FileCheck %s --check-prefix=SERIAL
// RUN: tfm-opt %s --split-input-file --tfm-lower-matmul-panels="prefill-panels=3" --canonicalize | FileCheck %s --check-prefix=THREE
// RUN: not tfm-opt %s --split-input-file --tfm-lower-matmul-panels="decode-panels=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADPANELS
// BADPANELS: error: decode-panels and prefill-panels must be positive

#panels = {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}

// A thread step of tfm-fuse-matmul-epilogues owns its two panels: one call
// on them, with the panel's byte offsets folded into the addresses and the
// rows' strides (64 input floats, 128 output floats) passed on. Every step
// reads the same rows: the calls share a pack key made before the steps.
// CHECK-LABEL: func.func @in_thread_step
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x64xf32>
// CHECK: %[[KEY:.*]] = call @tfm_matmul_panels_pack_key() : () -> i64
// CHECK: scf.forall (%[[STEP:.*]]) = (0) to (16) step (2)
// CHECK-NOT: linalg.generic
// CHECK: %[[TOKENS:.*]] = memref.dim %{{.*}}, %c0
// CHECK: call @tfm_matmul_panels(%{{.*}}, %{{.*}}, %c64_i64, %c64_i64, %{{.*}}, %c2_i64, %c8_i64, %{{.*}}, %c128_i64, %[[KEY]]) : (!llvm.ptr, i64, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64) -> ()
// CHECK: func.func private @tfm_matmul_panels(!llvm.ptr, i64, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64)
// CHECK: func.func private @tfm_matmul_panels_pack_key() -> i64
// SERIAL-LABEL: func.func @in_thread_step
// SERIAL: scf.forall
// SERIAL: call @tfm_matmul_panels
func.func @in_thread_step(%x: memref<?x64xf32>, %w: memref<16x64x8xf32>, %out: memref<?x16x8xf32>) {
  %c0 = arith.constant 0 : index
  %tokens = memref.dim %x, %c0 : memref<?x64xf32>
  scf.forall (%b) = (0) to (16) step (2) {
    %wb = memref.subview %w[%b, 0, 0] [2, 64, 8] [1, 1, 1] : memref<16x64x8xf32> to memref<2x64x8xf32, strided<[512, 8, 1], offset: ?>>
    %ob = memref.subview %out[0, %b, 0] [%tokens, 2, 8] [1, 1, 1] : memref<?x16x8xf32> to memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>
    linalg.generic #panels ins(%x, %wb : memref<?x64xf32>, memref<2x64x8xf32, strided<[512, 8, 1], offset: ?>>) outs(%ob : memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>) attrs = {tfm.kernel = "matmul_panels"} {
    ^bb0(%in: f32, %wv: f32, %acc: f32):
      %m = arith.mulf %in, %wv : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
  }
  return
}

// -----

#panels = {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}

// A prefill kernel outside a thread step: tasks of 2 panels (9 panels: 5
// tasks, the last with one panel); task i's first panel is 2 i panels of
// 64 x 8 floats (4096 i bytes) into the weights and 16 i floats (64 i
// bytes) into the output row.
// CHECK-LABEL: func.func @prefill_tasks
// CHECK: %[[KEY:.*]] = call @tfm_matmul_panels_pack_key()
// CHECK: scf.forall (%[[TASK:.*]]) in (5)
// CHECK:   %[[FIRST:.*]] = arith.muli %[[TASK]], %c2
// CHECK:   %[[LEFT:.*]] = arith.subi %c9, %[[FIRST]]
// CHECK:   %[[COUNT:.*]] = arith.minsi %[[LEFT]], %c2
// CHECK-DAG:   arith.muli %[[TASK]], %c4096
// CHECK-DAG:   arith.muli %[[TASK]], %c64
// CHECK:   %[[COUNT64:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:   call @tfm_matmul_panels(%{{.*}}, %{{.*}}, %c64_i64, %c64_i64, %{{.*}}, %[[COUNT64]], %c8_i64, %{{.*}}, %c72_i64, %[[KEY]])
// SERIAL-LABEL: func.func @prefill_tasks
// SERIAL-NOT: scf.forall
// SERIAL-NOT: pack_key
// SERIAL: call @tfm_matmul_panels(%{{.*}}, %{{.*}}, %c64_i64, %c64_i64, %{{.*}}, %c9_i64, %c8_i64, %{{.*}}, %c72_i64, %c0_i64)
// THREE-LABEL: func.func @prefill_tasks
// THREE: scf.forall (%{{.*}}) in (3)
func.func @prefill_tasks(%x: memref<?x64xf32>, %w: memref<9x64x8xf32>, %out: memref<?x9x8xf32>) {
  linalg.generic #panels ins(%x, %w : memref<?x64xf32>, memref<9x64x8xf32>) outs(%out : memref<?x9x8xf32>) attrs = {tfm.kernel = "matmul_panels"} {
  ^bb0(%in: f32, %wv: f32, %acc: f32):
    %m = arith.mulf %in, %wv : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#panels = {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}

// One token (decode): tasks of 4 panels, 16 panels of 16 lanes; one row
// has nothing to rearrange, so no pack key.
// CHECK-LABEL: func.func @decode_tasks
// CHECK-NOT: pack_key
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: call @tfm_matmul_panels(%{{.*}}, %{{.*}}, %c32_i64, %c32_i64, %{{.*}}, %{{.*}}, %c16_i64, %{{.*}}, %c256_i64, %c0_i64)
func.func @decode_tasks(%x: memref<1x32xf32>, %w: memref<16x32x16xf32>, %out: memref<1x16x16xf32>) {
  linalg.generic #panels ins(%x, %w : memref<1x32xf32>, memref<16x32x16xf32>) outs(%out : memref<1x16x16xf32>) attrs = {tfm.kernel = "matmul_panels"} {
  ^bb0(%in: f32, %wv: f32, %acc: f32):
    %m = arith.mulf %in, %wv : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#panels = {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}

// Layouts the kernel does not read are left for MLIR's code generation:
// panels with a gap between input features, an output whose panels are not
// contiguous, and a kernel on tensors. Nothing is declared.
// CHECK-LABEL: func.func @other_layouts
// CHECK-COUNT-3: tfm.kernel = "matmul_panels"
// CHECK-NOT: tfm_matmul_panels
func.func @other_layouts(%x: memref<?x64xf32>, %w: memref<4x64x16xf32>, %out: memref<?x4x16xf32>, %t: tensor<2x64xf32>, %tw: tensor<4x64x8xf32>, %to: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %gapped = memref.subview %w[0, 0, 0] [4, 64, 8] [1, 1, 1] : memref<4x64x16xf32> to memref<4x64x8xf32, strided<[1024, 16, 1]>>
  %c0 = arith.constant 0 : index
  %tokens = memref.dim %x, %c0 : memref<?x64xf32>
  %spread = memref.subview %out[0, 0, 0] [%tokens, 4, 8] [1, 1, 1] : memref<?x4x16xf32> to memref<?x4x8xf32, strided<[64, 16, 1]>>
  %contiguous = memref.alloc(%tokens) : memref<?x4x8xf32>
  linalg.generic #panels ins(%x, %gapped : memref<?x64xf32>, memref<4x64x8xf32, strided<[1024, 16, 1]>>) outs(%contiguous : memref<?x4x8xf32>) attrs = {tfm.kernel = "matmul_panels"} {
  ^bb0(%in: f32, %wv: f32, %acc: f32):
    %m = arith.mulf %in, %wv : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %whole = memref.alloc() : memref<4x64x8xf32>
  linalg.generic #panels ins(%x, %whole : memref<?x64xf32>, memref<4x64x8xf32>) outs(%spread : memref<?x4x8xf32, strided<[64, 16, 1]>>) attrs = {tfm.kernel = "matmul_panels"} {
  ^bb0(%in: f32, %wv: f32, %acc: f32):
    %m = arith.mulf %in, %wv : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic #panels ins(%t, %tw : tensor<2x64xf32>, tensor<4x64x8xf32>) outs(%to : tensor<2x4x8xf32>) attrs = {tfm.kernel = "matmul_panels"} {
  ^bb0(%in: f32, %wv: f32, %acc: f32):
    %m = arith.mulf %in, %wv : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8xf32>
  return %r : tensor<2x4x8xf32>
}

// -----

#panels = {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}

// Thread steps of 4 over 10 panels: the last takes 2, so a step's panel
// count is its subview's dynamic size, passed on as it is.
// CHECK-LABEL: func.func @dynamic_panel_count
// CHECK: scf.forall (%[[STEP:.*]]) = (0) to (10) step (4)
// CHECK:   %[[SIZE:.*]] = affine.min
// CHECK:   %[[SIZE64:.*]] = arith.index_cast %[[SIZE]] : index to i64
// CHECK:   call @tfm_matmul_panels(%{{.*}}, %{{.*}}, %c64_i64, %c64_i64, %{{.*}}, %[[SIZE64]], %c8_i64, %{{.*}}, %c80_i64, %c0_i64)
func.func @dynamic_panel_count(%x: memref<1x64xf32>, %w: memref<10x64x8xf32>, %out: memref<1x10x8xf32>) {
  scf.forall (%b) = (0) to (10) step (4) {
    %n = affine.min affine_map<(d0) -> (4, -d0 + 10)>(%b)
    %wb = memref.subview %w[%b, 0, 0] [%n, 64, 8] [1, 1, 1] : memref<10x64x8xf32> to memref<?x64x8xf32, strided<[512, 8, 1], offset: ?>>
    %ob = memref.subview %out[0, %b, 0] [1, %n, 8] [1, 1, 1] : memref<1x10x8xf32> to memref<1x?x8xf32, strided<[80, 8, 1], offset: ?>>
    linalg.generic #panels ins(%x, %wb : memref<1x64xf32>, memref<?x64x8xf32, strided<[512, 8, 1], offset: ?>>) outs(%ob : memref<1x?x8xf32, strided<[80, 8, 1], offset: ?>>) attrs = {tfm.kernel = "matmul_panels"} {
    ^bb0(%in: f32, %wv: f32, %acc: f32):
      %m = arith.mulf %in, %wv : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
  }
  return
}

// -----

#panels = {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2)>, affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}

// Pack keys inside thread steps: two products of a step on views of the
// same rows (a gate and an up projection; the views are made inside the
// step from values made before it) share one key; a product on rows each
// step makes itself gets none (0), nor does a product on one token.
// CHECK-LABEL: func.func @step_keys
// CHECK: %[[KEY:.*]] = call @tfm_matmul_panels_pack_key() : () -> i64
// CHECK-NOT: call @tfm_matmul_panels_pack_key
// CHECK: scf.forall
// CHECK: call @tfm_matmul_panels({{.*}}, %[[KEY]])
// CHECK: call @tfm_matmul_panels({{.*}}, %[[KEY]])
// CHECK: call @tfm_matmul_panels({{.*}}, %c0_i64)
func.func @step_keys(%x: memref<?x64xf32>, %w: memref<16x64x8xf32>, %gate: memref<?x16x8xf32>, %up: memref<?x16x8xf32>, %own: memref<?x16x8xf32>) {
  %c0 = arith.constant 0 : index
  %tokens = memref.dim %x, %c0 : memref<?x64xf32>
  scf.forall (%b) = (0) to (16) step (2) {
    %rows = memref.subview %x[0, 0] [%tokens, 64] [1, 1] : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1]>>
    %wb = memref.subview %w[%b, 0, 0] [2, 64, 8] [1, 1, 1] : memref<16x64x8xf32> to memref<2x64x8xf32, strided<[512, 8, 1], offset: ?>>
    %gb = memref.subview %gate[0, %b, 0] [%tokens, 2, 8] [1, 1, 1] : memref<?x16x8xf32> to memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>
    %ub = memref.subview %up[0, %b, 0] [%tokens, 2, 8] [1, 1, 1] : memref<?x16x8xf32> to memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>
    %ob = memref.subview %own[0, %b, 0] [%tokens, 2, 8] [1, 1, 1] : memref<?x16x8xf32> to memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>
    linalg.generic #panels ins(%rows, %wb : memref<?x64xf32, strided<[64, 1]>>, memref<2x64x8xf32, strided<[512, 8, 1], offset: ?>>) outs(%gb : memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>) attrs = {tfm.kernel = "matmul_panels"} {
    ^bb0(%in: f32, %wv: f32, %acc: f32):
      %m = arith.mulf %in, %wv : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    linalg.generic #panels ins(%x, %wb : memref<?x64xf32>, memref<2x64x8xf32, strided<[512, 8, 1], offset: ?>>) outs(%ub : memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>) attrs = {tfm.kernel = "matmul_panels"} {
    ^bb0(%in: f32, %wv: f32, %acc: f32):
      %m = arith.mulf %in, %wv : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    %made = memref.alloc(%tokens) : memref<?x64xf32>
    linalg.generic #panels ins(%made, %wb : memref<?x64xf32>, memref<2x64x8xf32, strided<[512, 8, 1], offset: ?>>) outs(%ob : memref<?x2x8xf32, strided<[128, 8, 1], offset: ?>>) attrs = {tfm.kernel = "matmul_panels"} {
    ^bb0(%in: f32, %wv: f32, %acc: f32):
      %m = arith.mulf %in, %wv : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    memref.dealloc %made : memref<?x64xf32>
  }
  return
}
