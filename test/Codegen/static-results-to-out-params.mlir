// RUN: tfm-opt %s --split-input-file --tfm-static-results-to-out-params | FileCheck %s

// A layer function's static result becomes an out-parameter: the buffer it
// allocated is replaced by the parameter (no copy), and the entry point
// allocates it before the call, where tfm-plan-static-arena can place it.
// The entry point's own signature is kept.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[X:.*]]: memref<1x64xf32>, %[[OUT:.*]]: memref<1x64xf32>)
// CHECK: %[[R0:.*]] = memref.alloc() : memref<1x64xf32>
// CHECK: call @layer(%[[X]], %[[R0]]) : (memref<1x64xf32>, memref<1x64xf32>) -> ()
// CHECK: %[[R1:.*]] = memref.alloc() : memref<1x64xf32>
// CHECK: call @layer(%[[R0]], %[[R1]])
// CHECK: memref.copy %[[R1]], %[[OUT]]
// CHECK-LABEL: func.func private @layer
// CHECK-SAME: (%[[IN:.*]]: memref<1x64xf32>, %[[RESULT:.*]]: memref<1x64xf32>)
// CHECK-NOT: memref.alloc
// CHECK: linalg.copy ins(%[[IN]] : memref<1x64xf32>) outs(%[[RESULT]] : memref<1x64xf32>)
// CHECK-NOT: memref.copy
// CHECK: return
func.func @decode(%x: memref<1x64xf32>, %out: memref<1x64xf32>) {
  %0 = call @layer(%x) : (memref<1x64xf32>) -> memref<1x64xf32>
  %1 = call @layer(%0) : (memref<1x64xf32>) -> memref<1x64xf32>
  memref.copy %1, %out : memref<1x64xf32> to memref<1x64xf32>
  return
}
func.func private @layer(%x: memref<1x64xf32>) -> memref<1x64xf32> {
  %r = memref.alloc() : memref<1x64xf32>
  linalg.copy ins(%x : memref<1x64xf32>) outs(%r : memref<1x64xf32>)
  return %r : memref<1x64xf32>
}

// -----

// A dynamically shaped result (a prefill layer) keeps its signature.
// CHECK-LABEL: func.func @prefill
// CHECK: %[[R:.*]] = call @prefill_layer(%{{.*}}) : (memref<?x64xf32>) -> memref<?x64xf32>
// CHECK-LABEL: func.func private @prefill_layer
// CHECK-SAME: (%{{.*}}: memref<?x64xf32>) -> memref<?x64xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?x64xf32>
func.func @prefill(%x: memref<?x64xf32>) -> memref<?x64xf32> {
  %0 = call @prefill_layer(%x) : (memref<?x64xf32>) -> memref<?x64xf32>
  return %0 : memref<?x64xf32>
}
func.func private @prefill_layer(%x: memref<?x64xf32>) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  %r = memref.alloc(%n) : memref<?x64xf32>
  linalg.copy ins(%x : memref<?x64xf32>) outs(%r : memref<?x64xf32>)
  return %r : memref<?x64xf32>
}
