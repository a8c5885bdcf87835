// RUN: tfm-opt %s --split-input-file --tfm-guided-schedule | FileCheck %s

// A worksharing loop with the default (static) schedule, in a function that
// takes a batch of tokens (a dynamic leading dimension: a prefill), gets a
// guided one.
// CHECK-LABEL: func.func @default_schedule
// CHECK: omp.parallel
// CHECK: omp.wsloop schedule(guided) {
// CHECK: omp.loop_nest
func.func @default_schedule(%n: index, %buffer: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %one, %buffer[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A loop that already has a schedule keeps it.
// CHECK-LABEL: func.func @explicit_schedule
// CHECK: omp.wsloop schedule(static) {
func.func @explicit_schedule(%n: index, %buffer: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %one, %buffer[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// One task per OpenMP thread (a quantized decode step's matmul): nothing
// to share out, the static schedule stays. Four per thread are shared.
// CHECK-LABEL: func.func @one_task_per_thread
// CHECK: omp.wsloop {
// CHECK: omp.wsloop schedule(guided) {
func.func private @omp_get_max_threads() -> i32
func.func @one_task_per_thread(%buffer: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1.0 : f32
  %threads = call @omp_get_max_threads() : () -> i32
  %tasks = arith.index_cast %threads : i32 to index
  %more = arith.muli %tasks, %c4 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%tasks) step (%c1) {
        memref.store %one, %buffer[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.barrier
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%more) step (%c1) {
        memref.store %one, %buffer[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A decode step (no argument with a dynamic leading dimension; the KV
// cache's dynamic dimension is not the leading one) keeps static loops.
// CHECK-LABEL: func.func @decode_step
// CHECK: omp.wsloop {
// CHECK-NOT: schedule(guided)
func.func @decode_step(%x: memref<1x64xf32>, %cache: memref<2x2x4x?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c48 = arith.constant 48 : index
  %one = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c48) step (%c1) {
        memref.store %one, %x[%c0, %c0] : memref<1x64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
