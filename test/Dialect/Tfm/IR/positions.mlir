// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s

// Position encodings: rotary (both pairings, partial rotary), sinusoidal and
// learned absolute positions, T5's relative position bias.

// CHECK-LABEL: func @rope_interleaved
func.func @rope_interleaved(%q: tensor<?x64xf32>, %start: index) -> tensor<?x64xf32> {
  // CHECK: tfm.rope %{{.*}} at %{{.*}} interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>
  %r = tfm.rope %q at %start interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// CHECK-LABEL: func @rope_half_split_partial
func.func @rope_half_split_partial(%k: tensor<1x32xf16>, %pos: index) -> tensor<1x32xf16> {
  // CHECK: tfm.rope %{{.*}} at %{{.*}} half_split {head_dim = 16 : i64, rotary_dim = 4 : i64, theta = 5.000000e+05 : f64} : tensor<1x32xf16>
  %r = tfm.rope %k at %pos half_split {head_dim = 16 : i64, rotary_dim = 4 : i64, theta = 500000.0 : f64} : tensor<1x32xf16>
  return %r : tensor<1x32xf16>
}

// CHECK-LABEL: func @sinusoidal
func.func @sinusoidal(%x: tensor<?x64xf32>, %start: index) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  // The default base is elided when printing.
  // CHECK: tfm.sinusoidal_position %{{.*}} at %{{.*}} : tensor<?x64xf32>
  %a = tfm.sinusoidal_position %x at %start : tensor<?x64xf32>
  // CHECK: tfm.sinusoidal_position %{{.*}} at %{{.*}} {base = 1.000000e+03 : f64} : tensor<?x64xf32>
  %b = tfm.sinusoidal_position %x at %start {base = 1000.0 : f64} : tensor<?x64xf32>
  return %a, %b : tensor<?x64xf32>, tensor<?x64xf32>
}

// CHECK-LABEL: func @learned
func.func @learned(%x: tensor<?x64xf32>, %start: index) -> tensor<?x64xf32> {
  %table = tfm.param "position_embd.weight" : tensor<1024x64xf32>
  // CHECK: tfm.learned_position %{{.*}}, %{{.*}} at %{{.*}} : tensor<?x64xf32>, tensor<1024x64xf32>
  %y = tfm.learned_position %x, %table at %start : tensor<?x64xf32>, tensor<1024x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func @relative_position_bias
func.func @relative_position_bias(%n: index, %start: index, %keys: index) -> (tensor<8x?x?xf32>, tensor<8x1x?xf32>) {
  %table = tfm.param "enc.blk.0.attn_rel_b.weight" : tensor<32x8xf32>
  %zero = arith.constant 0 : index
  // The encoder's, bidirectional; the default max_distance is elided.
  // CHECK: tfm.relative_position_bias %{{.*}} queries(%{{.*}}, %{{.*}}) keys %{{.*}} {bidirectional} : tensor<32x8xf32> -> tensor<8x?x?xf32>
  %e = tfm.relative_position_bias %table queries(%zero, %n) keys %n {bidirectional} : tensor<32x8xf32> -> tensor<8x?x?xf32>
  // A decode step's, causal.
  // CHECK: tfm.relative_position_bias %{{.*}} queries(%{{.*}}, %{{.*}}) keys %{{.*}} {max_distance = 64 : i64} : tensor<32x8xf32> -> tensor<8x1x?xf32>
  %one = arith.constant 1 : index
  %d = tfm.relative_position_bias %table queries(%start, %one) keys %keys {max_distance = 64 : i64} : tensor<32x8xf32> -> tensor<8x1x?xf32>
  return %e, %d : tensor<8x?x?xf32>, tensor<8x1x?xf32>
}
