// RUN: tfm-opt %s --convert-tfm-to-linalg -verify-diagnostics

// Quantized blocks are only read by linear layers.
func.func @quantized_weight_returned() -> tensor<16x64x!tfm.quant<q8_0>> {
  // expected-error @below {{'tfm.param' op quantized weight used by 'func.return': only tfm.linear and tfm.logits read quantized weights}}
  %t = tfm.param "t" : tensor<16x64x!tfm.quant<q8_0>>
  return %t : tensor<16x64x!tfm.quant<q8_0>>
}
