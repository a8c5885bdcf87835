// RUN: tfm-opt %s --tfm-lower-quantized-matmul | FileCheck %s
// RUN: tfm-opt %s --tfm-lower-quantized-matmul="threads=0 rows-per-task=64" | FileCheck %s --check-prefix=SERIAL
// RUN: not tfm-opt %s --tfm-lower-quantized-matmul="rows-per-task=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADROWS
// BADROWS: error: rows-per-task must be positive

// The activations are quantized once (rows of 128 bytes for 64 features:
// 64 int8, 2 scales, 2 sums, padded to 64 bytes), then 96 rows of weight
// blocks are split into tasks of 32 rows, one microkernel call each.
// CHECK-LABEL: func.func @q4_0
// CHECK: %[[TOKENS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[BYTES:.*]] = arith.muli %[[TOKENS]], %c128
// CHECK: %[[SCRATCH:.*]] = memref.alloc(%[[BYTES]]) {alignment = 64 : i64} : memref<?xi8>
// CHECK: call @tfm_quantize_activations(%{{.*}}, %{{.*}}, %c64_i64, %{{.*}}, %{{.*}}) : (!llvm.ptr, i64, i64, i64, !llvm.ptr) -> ()
// CHECK: scf.forall (%[[TASK:.*]]) in (3)
// CHECK:   %[[FIRST:.*]] = arith.muli %[[TASK]], %c32
// CHECK:   call @tfm_quantized_matmul(%c1_i32, %c0_i64, {{.*}}, %c36_i64, {{.*}}) : (i32, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64) -> ()
// CHECK: memref.dealloc %[[SCRATCH]]
// CHECK-NOT: tfm.quantized_matmul
// CHECK: func.func private @tfm_quantize_activations(!llvm.ptr, i64, i64, i64, !llvm.ptr)
// CHECK: func.func private @tfm_quantized_matmul(i32, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64)

// SERIAL-LABEL: func.func @q4_0
// SERIAL-NOT: scf.forall
// SERIAL: scf.for %{{.*}} = %{{.*}} to %c2{{.*}} step
// SERIAL: call @tfm_quantized_matmul
func.func @q4_0(%x: memref<?x64xf32>, %w: memref<96x36xi8>, %y: memref<?x96xf32>) {
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y : memref<?x64xf32>, memref<96x36xi8>, memref<?x96xf32>
  return
}
