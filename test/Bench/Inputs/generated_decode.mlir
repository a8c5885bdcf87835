// The one-token q8_0, q4_0, q4_k and q6_k products (then their prefill
// tiles, and at the end a decode step's attention) tfm-kernel-bench times as the compiler
// generates them (tfm-lower-quantized-matmul's generated-decode, the
// llama-336m-gqa FFN shapes of its hand-written decode benchmarks, and its
// gated gate/up product: 2816 gate rows then 2816 up rows): each
// function quantizes the token's activations into the scratch buffer
// (tfm_quantize_activations, as a model does) and multiplies the weights in
// generated vector code. Built by test/Bench/CMakeLists.txt.

func.func @generated_decode_q8_0_2816x1024(%x: memref<1x1024xf32>, %w: memref<2816x1088xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s : memref<1x1024xf32>, memref<2816x1088xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q8_0_1024x2816(%x: memref<1x2816xf32>, %w: memref<1024x2992xi8>, %y: memref<1x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s : memref<1x2816xf32>, memref<1024x2992xi8>, memref<1x1024xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q4_0_2816x1024(%x: memref<1x1024xf32>, %w: memref<2816x576xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<1x1024xf32>, memref<2816x576xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q4_0_1024x2816(%x: memref<1x2816xf32>, %w: memref<1024x1584xi8>, %y: memref<1x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<1x2816xf32>, memref<1024x1584xi8>, memref<1x1024xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q4_k_2816x1024(%x: memref<1x1024xf32>, %w: memref<2816x576xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x1024xf32>, memref<2816x576xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q4_k_1024x2816(%x: memref<1x2816xf32>, %w: memref<1024x1584xi8>, %y: memref<1x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x2816xf32>, memref<1024x1584xi8>, memref<1x1024xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q6_k_2816x1024(%x: memref<1x1024xf32>, %w: memref<2816x840xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x1024xf32>, memref<2816x840xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_q6_k_1024x2816(%x: memref<1x2816xf32>, %w: memref<1024x2310xi8>, %y: memref<1x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x2816xf32>, memref<1024x2310xi8>, memref<1x1024xf32>, memref<?xi8>
  return
}

func.func @generated_decode_gated_q8_0_2816x1024(%x: memref<1x1024xf32>, %w: memref<5632x1088xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<1x1024xf32>, memref<5632x1088xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_gated_q4_0_2816x1024(%x: memref<1x1024xf32>, %w: memref<5632x576xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<1x1024xf32>, memref<5632x576xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_gated_q4_k_2816x1024(%x: memref<1x1024xf32>, %w: memref<5632x576xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<1x1024xf32>, memref<5632x576xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

func.func @generated_decode_gated_q6_k_2816x1024(%x: memref<1x1024xf32>, %w: memref<5632x840xi8>, %y: memref<1x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<1x1024xf32>, memref<5632x840xi8>, memref<1x2816xf32>, memref<?xi8>
  return
}

// The 128-token prefill tiles of q8_0, q4_0, q4_k and q6_k (tfm-lower-quantized-matmul's
// generated-prefill) of the same matrices, a dynamic token count as a
// model's prefill has.

func.func @generated_prefill_q8_0_2816x1024(%x: memref<?x1024xf32>, %w: memref<2816x1088xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s : memref<?x1024xf32>, memref<2816x1088xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q8_0_1024x2816(%x: memref<?x2816xf32>, %w: memref<1024x2992xi8>, %y: memref<?x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s : memref<?x2816xf32>, memref<1024x2992xi8>, memref<?x1024xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q4_0_2816x1024(%x: memref<?x1024xf32>, %w: memref<2816x576xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<?x1024xf32>, memref<2816x576xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q4_0_1024x2816(%x: memref<?x2816xf32>, %w: memref<1024x1584xi8>, %y: memref<?x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<?x2816xf32>, memref<1024x1584xi8>, memref<?x1024xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q4_k_2816x1024(%x: memref<?x1024xf32>, %w: memref<2816x576xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x1024xf32>, memref<2816x576xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q4_k_1024x2816(%x: memref<?x2816xf32>, %w: memref<1024x1584xi8>, %y: memref<?x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x2816xf32>, memref<1024x1584xi8>, memref<?x1024xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q6_k_2816x1024(%x: memref<?x1024xf32>, %w: memref<2816x840xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x1024xf32>, memref<2816x840xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_q6_k_1024x2816(%x: memref<?x2816xf32>, %w: memref<1024x2310xi8>, %y: memref<?x1024xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x2816xf32>, memref<1024x2310xi8>, memref<?x1024xf32>, memref<?xi8>
  return
}

// The gated gate/up product of the same FFN, 128-token prefill tiles.
func.func @generated_prefill_gated_q8_0_2816x1024(%x: memref<?x1024xf32>, %w: memref<5632x1088xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<?x1024xf32>, memref<5632x1088xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_gated_q4_0_2816x1024(%x: memref<?x1024xf32>, %w: memref<5632x576xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<?x1024xf32>, memref<5632x576xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_gated_q4_k_2816x1024(%x: memref<?x1024xf32>, %w: memref<5632x576xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<?x1024xf32>, memref<5632x576xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

func.func @generated_prefill_gated_q6_k_2816x1024(%x: memref<?x1024xf32>, %w: memref<5632x840xi8>, %y: memref<?x2816xf32>, %s: memref<?xi8>) attributes {llvm.emit_c_interface} {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<?x1024xf32>, memref<5632x840xi8>, memref<?x2816xf32>, memref<?xi8>
  return
}

// A decode step's attention over an f16 KV cache with an interleaved rope
// (tfm-lower-flash-attention's generated-decode), one key range: the
// llama-336m-gqa shape (16 query heads on 4 KV heads of 64) and the
// llama-110m one (12 on 12).
func.func @generated_attention_f16_16x4(%q: memref<1x1024xf32>, %k: memref<4x?x64xf16, strided<[?, ?, 1], offset: ?>>, %v: memref<4x?x64xf16, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x1024xf32>, %cos: memref<1x32xf32>, %sin: memref<1x32xf32>) attributes {llvm.emit_c_interface} {
  tfm.flash_attention %q, %k, %v at %start -> %out rope(%cos, %sin : memref<1x32xf32>, memref<1x32xf32>) {num_heads = 16 : i64, scale = 0.125 : f64, rope = #tfm.rope<rotary_dim = 64, theta = 1.000000e+04 : f64, pairing = interleaved>} : memref<1x1024xf32>, memref<4x?x64xf16, strided<[?, ?, 1], offset: ?>>, memref<4x?x64xf16, strided<[?, ?, 1], offset: ?>>, memref<1x1024xf32>
  return
}

func.func @generated_attention_f16_12x12(%q: memref<1x768xf32>, %k: memref<12x?x64xf16, strided<[?, ?, 1], offset: ?>>, %v: memref<12x?x64xf16, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x768xf32>, %cos: memref<1x32xf32>, %sin: memref<1x32xf32>) attributes {llvm.emit_c_interface} {
  tfm.flash_attention %q, %k, %v at %start -> %out rope(%cos, %sin : memref<1x32xf32>, memref<1x32xf32>) {num_heads = 12 : i64, scale = 0.125 : f64, rope = #tfm.rope<rotary_dim = 64, theta = 1.000000e+04 : f64, pairing = interleaved>} : memref<1x768xf32>, memref<12x?x64xf16, strided<[?, ?, 1], offset: ?>>, memref<12x?x64xf16, strided<[?, ?, 1], offset: ?>>, memref<1x768xf32>
  return
}
