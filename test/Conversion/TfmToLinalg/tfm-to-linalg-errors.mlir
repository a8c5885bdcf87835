// RUN: tfm-opt %s --convert-tfm-to-linalg -verify-diagnostics

// The CPU lowering is f32 only; f16 weights are widened by tfm-compile.
func.func @half(%x: tensor<1x8xf16>, %w: tensor<8xf16>) -> tensor<1x8xf16> {
  // expected-error @below {{'tfm.rms_norm' op has element type 'f16'; the CPU lowering supports f32 only}}
  %0 = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<1x8xf16>, tensor<8xf16>
  return %0 : tensor<1x8xf16>
}
