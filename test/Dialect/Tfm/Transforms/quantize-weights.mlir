// RUN: tfm-opt %s --split-input-file --tfm-quantize-weights="format=q4_0 overrides=output.weight=q6_k,blk.*.ffn_down.weight=int8" | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-quantize-weights="format=int4g64" | FileCheck %s --check-prefix=INT4
// RUN: tfm-opt %s --split-input-file --tfm-quantize-weights | FileCheck %s --check-prefix=KEEP
// RUN: tfm-opt %s --split-input-file --tfm-quantize-weights=format=f32 | FileCheck %s --check-prefix=WIDEN
// RUN: tfm-opt %s --split-input-file --tfm-quantize-weights=format=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not tfm-opt %s --tfm-quantize-weights="format=q5_0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADFORMAT
// RUN: not tfm-opt %s --tfm-quantize-weights="overrides=output.weight" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADOVERRIDE
// BADFORMAT: error: unknown weight format 'q5_0'
// BADOVERRIDE: error: bad override 'output.weight' (expected name=format)

// Linear-layer weights take the default format or the first matching
// override; the embedding table and norm scales are not touched.
// CHECK-LABEL: func.func @decoder
// INT4-LABEL: func.func @decoder
// KEEP-LABEL: func.func @decoder
// BF16-LABEL: func.func @decoder
// BF16: tfm.param "token_embd.weight" : tensor<512x256xf32>
// BF16: tfm.param "blk.0.attn_q.weight" : tensor<256x256x!tfm.quant<bf16>>
// BF16: tfm.param "blk.0.ffn_down.weight" : tensor<256x256x!tfm.quant<bf16>>
// BF16: tfm.param "output.weight" : tensor<512x256x!tfm.quant<bf16>>
func.func @decoder(%tokens: tensor<?xi32>) -> tensor<?x512xf32> {
  // CHECK: tfm.param "token_embd.weight" : tensor<512x256xf32>
  %e = tfm.param "token_embd.weight" : tensor<512x256xf32>
  %h = tfm.embedding %e[%tokens] : (tensor<512x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
  // CHECK: tfm.param "blk.0.attn_norm.weight" : tensor<256xf32>
  %n = tfm.param "blk.0.attn_norm.weight" : tensor<256xf32>
  %hn = tfm.rms_norm %h, %n {eps = 1.0e-5 : f64} : tensor<?x256xf32>, tensor<256xf32>
  // CHECK: tfm.param "blk.0.attn_q.weight" : tensor<256x256x!tfm.quant<q4_0>>
  // INT4: tfm.param "blk.0.attn_q.weight" : tensor<256x256x!tfm.quant<int4, group = 64>>
  // KEEP: tfm.param "blk.0.attn_q.weight" : tensor<256x256xf16>
  %wq = tfm.param "blk.0.attn_q.weight" : tensor<256x256xf16>
  %q = tfm.linear %hn, %wq : (tensor<?x256xf32>, tensor<256x256xf16>) -> tensor<?x256xf32>
  // CHECK: tfm.param "blk.0.ffn_down.weight" : tensor<256x256x!tfm.quant<int8>>
  %wd = tfm.param "blk.0.ffn_down.weight" : tensor<256x256xf32>
  %d = tfm.linear %q, %wd : (tensor<?x256xf32>, tensor<256x256xf32>) -> tensor<?x256xf32>
  // CHECK: tfm.param "output.weight" : tensor<512x256x!tfm.quant<q6_k>>
  %o = tfm.param "output.weight" : tensor<512x256xf32>
  %l = tfm.logits %d, %o : (tensor<?x256xf32>, tensor<512x256xf32>) -> tensor<?x512xf32>
  return %l : tensor<?x512xf32>
}

// -----

// Re-quantizing goes through the values; f32 widens quantized weights (the
// reference of a quantized model).
// CHECK-LABEL: func.func @widen
// WIDEN-LABEL: func.func @widen
func.func @widen(%x: tensor<?x64xf32>) -> tensor<?x8xf32> {
  // CHECK: tfm.param "w" : tensor<8x64x!tfm.quant<q4_0>>
  // WIDEN: tfm.param "w" : tensor<8x64xf32>
  %w = tfm.param "w" : tensor<8x64x!tfm.quant<q8_0>>
  %y = tfm.linear %x, %w : (tensor<?x64xf32>, tensor<8x64x!tfm.quant<q8_0>>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A tied table (the lookup and the logits read it): the logits get a copy
// of their own under `#matmul`, stored as llama.cpp stores an output
// matrix (q6_k under a q4_0 default; an override naming the tensor would
// win); the lookup keeps the floats. With keep, nothing is split.
// CHECK-LABEL: func.func @tied
// CHECK-DAG: %[[COPY:.*]] = tfm.param "token_embd.weight#matmul" parts ["token_embd.weight"] : tensor<512x256x!tfm.quant<q6_k>>
// CHECK-DAG: %[[TABLE:.*]] = tfm.param "token_embd.weight" : tensor<512x256xf32>
// CHECK: tfm.embedding %[[TABLE]]
// CHECK: tfm.logits %{{.*}}, %[[COPY]]
// KEEP-LABEL: func.func @tied
// KEEP-NOT: #matmul
// A 16-bit float default keeps the logits' copy in it (no q6_k).
// BF16-LABEL: func.func @tied
// BF16-DAG: tfm.param "token_embd.weight#matmul" parts ["token_embd.weight"] : tensor<512x256x!tfm.quant<bf16>>
// BF16-DAG: tfm.param "token_embd.weight" : tensor<512x256xf32>
func.func @tied(%tokens: tensor<?xi32>) -> tensor<?x512xf32> {
  %e = tfm.param "token_embd.weight" : tensor<512x256xf32>
  %h = tfm.embedding %e[%tokens] : (tensor<512x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
  %l = tfm.logits %h, %e : (tensor<?x256xf32>, tensor<512x256xf32>) -> tensor<?x512xf32>
  return %l : tensor<?x512xf32>
}

// -----

// A tied table whose rows fit no block format (40 in-features): the copy
// would be a second f32 table, so the logits keep reading the one table.
// CHECK-LABEL: func.func @tied_unfit
// CHECK-NOT: #matmul
// CHECK: %[[TABLE:.*]] = tfm.param "token_embd.weight" : tensor<512x40xf32>
// CHECK: tfm.embedding %[[TABLE]]
// CHECK: tfm.logits %{{.*}}, %[[TABLE]]
// BF16-LABEL: func.func @tied_unfit
// BF16-NOT: #matmul
func.func @tied_unfit(%tokens: tensor<?xi32>) -> tensor<?x512xf32> {
  %e = tfm.param "token_embd.weight" : tensor<512x40xf32>
  %h = tfm.embedding %e[%tokens] : (tensor<512x40xf32>, tensor<?xi32>) -> tensor<?x40xf32>
  %l = tfm.logits %h, %e : (tensor<?x40xf32>, tensor<512x40xf32>) -> tensor<?x512xf32>
  return %l : tensor<?x512xf32>
}
