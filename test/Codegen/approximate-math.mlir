// RUN: tfm-opt %s --split-input-file --tfm-approximate-math | FileCheck %s

// The activations' exp, tanh and erf become vector arithmetic: fused
// multiply-adds of polynomials (math.fma, an LLVM intrinsic the backend
// keeps as vfmadd), no call per element.
// CHECK-LABEL: func.func @activations
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK: math.fma {{.*}} : vector<8xf32>
// CHECK: return
func.func @activations(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>) {
  %t = math.tanh %x : vector<8xf32>
  %e = math.exp %x : vector<8xf32>
  %g = math.erf %x : vector<8xf32>
  return %t, %e, %g : vector<8xf32>, vector<8xf32>, vector<8xf32>
}

// -----

// f16 operands are computed in f32.
// CHECK-LABEL: func.func @half
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// CHECK-NOT: math.tanh
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
func.func @half(%x: vector<8xf16>) -> vector<8xf16> {
  %t = math.tanh %x : vector<8xf16>
  return %t : vector<8xf16>
}

// -----

// Other functions (RoPE's sin and cos) are left to the LLVM lowering.
// CHECK-LABEL: func.func @others
// CHECK: math.sin
// CHECK: math.cos
func.func @others(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>) {
  %s = math.sin %x : vector<8xf32>
  %c = math.cos %x : vector<8xf32>
  return %s, %c : vector<8xf32>, vector<8xf32>
}
