// The one-token q8_0, q4_0, q4_k and q6_k products tfm-kernel-bench times as the compiler
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
