// RUN: tfm-opt %s --split-input-file --tfm-lower-entry-points -verify-diagnostics

// The runtime writes results into output buffers of a fixed size: a result
// whose rows depend on the input (prefill logits of every position, left
// so by a pipeline that skipped tfm-last-token-logits) is refused, never
// written past the buffer.
// expected-error @+1 {{'func.func' op returns 'tensor<?x512xf32>', a dynamic shape the runtime's fixed output buffers cannot hold}}
func.func @prefill(%x: tensor<?x512xf32>) -> tensor<?x512xf32> {
  return %x : tensor<?x512xf32>
}
