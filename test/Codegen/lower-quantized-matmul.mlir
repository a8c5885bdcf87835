// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="rows-per-task=32" | FileCheck %s --check-prefix=FIXED
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="threads=0" | FileCheck %s --check-prefix=SERIAL
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="threads=0 rows-per-task=64" | FileCheck %s --check-prefix=SERIAL64
// RUN: not tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="rows-per-task=-1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADROWS
// BADROWS: error: rows-per-task must not be negative
// RUN: not tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="rows-per-task=24" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADGROUP
// RUN: not tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="prefill-tasks-per-thread=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADTASKS
// BADTASKS: error: prefill-tasks-per-thread must be positive
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="prefill-tasks-per-thread=1" | FileCheck %s --check-prefix=ONETASK
// BADGROUP: error: 'tfm.quantized_matmul' op rows-per-task (24) must be a multiple of the 16 interleaved rows of '!tfm.quant<q4_0, interleave = 16>'

// A prefill (dynamic token count): the activation rows are quantized into
// the scratch operand by tasks of 16 rows (row t's 128 bytes at 128 t), then
// the 96 rows of weight blocks are split into 4 tasks per OpenMP thread:
// task i takes rows [i n, min(i n + n, 96)) with n = ceil(96 / (4 threads)),
// and nothing when that is empty.
// CHECK-LABEL: func.func @q4_0
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x64xf32>
// CHECK-SAME: %[[SCRATCH:[a-z0-9]+]]: memref<?xi8>)
// CHECK: %[[TOKENS:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[ADDRESS:.*]] = memref.extract_aligned_pointer_as_index %[[SCRATCH]]
// CHECK: %[[SCRATCHSTART:.*]] = arith.addi %[[ADDRESS]]
// CHECK: %[[POINTER:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr
// CHECK: %[[QTASKS:.*]] = arith.ceildivsi %[[TOKENS]], %c16
// CHECK: scf.forall (%[[QTASK:.*]]) in (%[[QTASKS]])
// CHECK:   %[[FIRSTTOKEN:.*]] = arith.muli %[[QTASK]], %c16
// CHECK:   %[[LEFT:.*]] = arith.subi %[[TOKENS]], %[[FIRSTTOKEN]]
// CHECK:   %[[COUNT:.*]] = arith.minsi %c16, %[[LEFT]]
// CHECK:   %[[ROWOFFSET:.*]] = arith.muli %[[FIRSTTOKEN]], %c128
// CHECK:   %[[COUNT64:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:   %[[ROWSTART:.*]] = arith.addi %[[SCRATCHSTART]], %[[ROWOFFSET]]
// CHECK:   call @tfm_quantize_activations(%c1_i32, %{{.*}}, %[[COUNT64]], %c64_i64, %{{.*}}, %{{.*}}) : (i32, !llvm.ptr, i64, i64, i64, !llvm.ptr) -> ()
// CHECK: }
// CHECK: %[[THREADS:.*]] = call @omp_get_max_threads() : () -> i32
// CHECK: %[[THREADCOUNT:.*]] = arith.index_cast %[[THREADS]] : i32 to index
// CHECK: %[[TASKS:.*]] = arith.muli %[[THREADCOUNT]], %c4
// CHECK: %[[PERTASK:.*]] = arith.ceildivsi %c96, %[[TASKS]]
// CHECK: scf.forall (%[[TASK:.*]]) in (%[[TASKS]])
// CHECK:   arith.muli %[[TASK]], %[[PERTASK]]
// CHECK:   %[[ROWS:.*]] = arith.minsi
// CHECK:   %[[ANY:.*]] = arith.cmpi sgt, %[[ROWS]], %c0
// CHECK:   scf.if %[[ANY]]
// CHECK:     %[[ROWS64:.*]] = arith.index_cast %[[ROWS]] : index to i64
// CHECK:     call @tfm_quantized_matmul(%c1_i32, %c0_i64, %[[POINTER]], {{.*}}, %c36_i64, %[[ROWS64]], {{.*}}) : (i32, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i32) -> ()
// CHECK-NOT: memref.dealloc
// CHECK-NOT: tfm.quantized_matmul
// CHECK: func.func private @tfm_quantize_activations(i32, !llvm.ptr, i64, i64, i64, !llvm.ptr)
// CHECK: func.func private @omp_get_max_threads() -> i32
// CHECK: func.func private @tfm_quantized_matmul(i32, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i32)

// One task per thread for a prefill too when asked.
// ONETASK-LABEL: func.func @q4_0
// ONETASK: %[[THREADS:.*]] = call @omp_get_max_threads() : () -> i32
// ONETASK: %[[TASKS:.*]] = arith.index_cast %[[THREADS]] : i32 to index
// ONETASK-NEXT: arith.constant 96
// ONETASK-NEXT: arith.ceildivsi %{{.*}}, %[[TASKS]]

// Fixed tasks of 32 rows: 3 of them, whatever the thread count.
// FIXED-LABEL: func.func @q4_0
// FIXED-NOT: omp_get_max_threads
// FIXED: scf.forall (%[[TASK:.*]]) in (3)
// FIXED:   arith.muli %[[TASK]], %c32
// FIXED:   call @tfm_quantized_matmul
// FIXED-NOT: omp_get_max_threads

// Without threads: one call for all rows (or a loop over fixed tasks), and
// one quantization call.
// SERIAL-LABEL: func.func @q4_0
// SERIAL-NOT: scf.forall
// SERIAL: call @tfm_quantize_activations(%c1_i32, %{{.*}}, %{{.*}}, %c64_i64,
// SERIAL-NOT: scf.forall
// SERIAL-NOT: omp_get_max_threads
// SERIAL: scf.for %{{.*}} = %{{.*}} to %c1{{.*}} step
// SERIAL: call @tfm_quantized_matmul
// SERIAL-NOT: omp_get_max_threads
// SERIAL64-LABEL: func.func @q4_0
// SERIAL64-NOT: scf.forall
// SERIAL64: scf.for %{{.*}} = %{{.*}} to %c2{{.*}} step
// SERIAL64: call @tfm_quantized_matmul
func.func @q4_0(%x: memref<?x64xf32>, %w: memref<96x36xi8>, %y: memref<?x96xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<96x36xi8>, memref<?x96xf32>, memref<?xi8>
  return
}

// -----

// An RMSNorm prologue: the rows are normalized as they are quantized. A
// single row (a decode step) is one call on the calling thread, and its
// rows one task per thread.
// CHECK-LABEL: func.func @norm_prologue
// CHECK-NOT: scf.forall
// CHECK-SAME: %[[G:[a-z0-9]+]]: memref<64xf32>
// CHECK: %[[GADDR:.*]] = memref.extract_aligned_pointer_as_index %[[G]]
// CHECK: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK: call @tfm_quantize_activations_rms_norm(%c0_i32, %{{.*}}, %{{.*}}, %c64_i64, %{{.*}}, %{{.*}}, %[[EPS]], %{{.*}}) : (i32, !llvm.ptr, i64, i64, i64, !llvm.ptr, f32, !llvm.ptr) -> ()
// CHECK: %[[THREADS:.*]] = call @omp_get_max_threads
// CHECK-NEXT: %[[TASKS:.*]] = arith.index_cast %[[THREADS]]
// CHECK-NEXT: arith.constant 32
// CHECK-NEXT: arith.ceildivsi %c32, %[[TASKS]]
// CHECK: call @tfm_quantized_matmul
func.func @norm_prologue(%x: memref<1x64xf32>, %g: memref<64xf32>, %w: memref<32x68xi8>, %y: memref<1x32xf32>, %s: memref<192xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0> %x rms_norm %g : memref<64xf32>, %w -> %y scratch %s {norm_eps = 1.0e-6 : f64} : memref<1x64xf32>, memref<32x68xi8>, memref<1x32xf32>, memref<192xi8>
  return
}

// -----

// A gated product: tasks over the 48 output features, each passing its gate
// rows and the up rows 48 rows further (48 x 68 bytes), silu = 3.
// CHECK-LABEL: func.func @gated
// CHECK: arith.ceildivsi %c48
// CHECK: scf.forall
// CHECK:   %[[FIRST:.*]] = arith.muli %{{.*}}, %c1
// CHECK:   scf.if
// CHECK:   %[[GATE:.*]] = arith.muli %[[FIRST]], %{{.*}}
// CHECK:   %[[UPROWS:.*]] = arith.muli %c48{{.*}}, %{{.*}}
// CHECK:   %[[UP:.*]] = arith.addi %[[GATE]], %[[UPROWS]]
// CHECK:   call @tfm_quantized_matmul_gated({{.*}}, %c3_i32) : (i32, i64, !llvm.ptr, i64, i64, !llvm.ptr, !llvm.ptr, i64, i64, !llvm.ptr, i64, i32) -> ()
func.func @gated(%x: memref<1x64xf32>, %w: memref<96x68xi8>, %y: memref<1x48xf32>, %s: memref<128xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0> %x, %w -> %y scratch %s gated(silu) : memref<1x64xf32>, memref<96x68xi8>, memref<1x48xf32>, memref<128xi8>
  return
}

// -----

// Interleaved q4_0 rows call the kernel with TFM_QUANT_Q4_0_X16 (8); the
// threads share the 4 groups of 16 rows, and each task starts a group.
// CHECK-LABEL: func.func @q4_0_interleaved
// CHECK: %[[PERTASK:.*]] = arith.ceildivsi %c4{{.*}}, %{{.*}}
// CHECK: scf.forall (%[[TASK:.*]]) in
// CHECK:   %[[GROUP:.*]] = arith.muli %[[TASK]], %[[PERTASK]]
// CHECK:   %[[FIRST:.*]] = arith.muli %[[GROUP]], %c16
// CHECK:   arith.muli %[[PERTASK]], %c16
// CHECK:   call @tfm_quantized_matmul(%c8_i32, %c0_i64, %{{.*}}, {{.*}}, %c36_i64, {{.*}})
// FIXED-LABEL: func.func @q4_0_interleaved
// FIXED: scf.forall (%[[TASK:.*]]) in (2)
// FIXED:   %[[GROUP:.*]] = arith.muli %[[TASK]], %c2
// FIXED:   arith.muli %[[GROUP]], %c16
func.func @q4_0_interleaved(%x: memref<?x64xf32>, %w: memref<64x36xi8>, %y: memref<?x64xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<64x36xi8>, memref<?x64xf32>, memref<?xi8>
  return
}

// -----

// Interleaved q6_k rows (llama.cpp's output matrix of its Q4_0 mix) call the
// kernel with TFM_QUANT_Q6_K_X16 (9) and 210-byte rows of 256 inputs.
// CHECK-LABEL: func.func @q6_k_interleaved
// CHECK: scf.forall
// CHECK:   call @tfm_quantized_matmul(%c9_i32, %c0_i64, %{{.*}}, {{.*}}, %c210_i64, {{.*}})
func.func @q6_k_interleaved(%x: memref<?x256xf32>, %w: memref<32x210xi8>, %y: memref<?x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x256xf32>, memref<32x210xi8>, memref<?x32xf32>, memref<?xi8>
  return
}

// -----

// Interleaved q4_k rows call the kernel with TFM_QUANT_Q4_K_X16 (10) and
// 144-byte rows of 256 inputs.
// CHECK-LABEL: func.func @q4_k_interleaved
// CHECK: scf.forall
// CHECK:   call @tfm_quantized_matmul(%c10_i32, %c0_i64, %{{.*}}, {{.*}}, %c144_i64, {{.*}})
func.func @q4_k_interleaved(%x: memref<?x256xf32>, %w: memref<32x144xi8>, %y: memref<?x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x256xf32>, memref<32x144xi8>, memref<?x32xf32>, memref<?xi8>
  return
}

// -----

// Interleaved f16 rows (TFM_QUANT_F16_X16, 13): the input rows are copied
// into the scratch as f32 (64 x 4 = 256 bytes a row), not quantized, and
// the kernel reads 128-byte rows of 64 halves.
// CHECK-LABEL: func.func @f16_interleaved
// CHECK: arith.muli %{{.*}}, %c256
// CHECK: call @tfm_quantize_activations(%c13_i32,
// CHECK: scf.forall
// CHECK:   call @tfm_quantized_matmul(%c13_i32, %c0_i64, %{{.*}}, {{.*}}, %c128_i64, {{.*}})
func.func @f16_interleaved(%x: memref<?x64xf32>, %w: memref<32x128xi8>, %y: memref<?x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<f16, interleave = 16> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<32x128xi8>, memref<?x32xf32>, memref<?xi8>
  return
}

// -----

// Row-wise bf16 rows (TFM_QUANT_BF16, 12) behind an RMSNorm prologue: the
// normalized f32 rows go to the scratch, and their bf16 copies after them
// (64 x 6 = 384 bytes a row).
// CHECK-LABEL: func.func @bf16_norm_prologue
// CHECK: call @tfm_quantize_activations_rms_norm(%c12_i32,
// CHECK: call @tfm_quantized_matmul(%c12_i32{{.*}}, %c0_i64, %{{.*}}, {{.*}}, %c128_i64, {{.*}})
func.func @bf16_norm_prologue(%x: memref<1x64xf32>, %g: memref<64xf32>, %w: memref<24x128xi8>, %y: memref<1x24xf32>, %s: memref<384xi8>) {
  tfm.quantized_matmul !tfm.quant<bf16> %x rms_norm %g : memref<64xf32>, %w -> %y scratch %s {norm_eps = 1.0e-6 : f64} : memref<1x64xf32>, memref<24x128xi8>, memref<1x24xf32>, memref<384xi8>
  return
}
