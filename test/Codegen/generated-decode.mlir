// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-decode=1 threads=0" --canonicalize --cse | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-decode=1" | FileCheck %s --check-prefix=THREADS
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul | FileCheck %s --check-prefix=KERNEL
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-decode=1 threads=0 dot-product=neon-dotprod" --canonicalize --cse | FileCheck %s --check-prefix=SDOT
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-decode=1 threads=0 dot-product=neon-i8mm" --canonicalize --cse | FileCheck %s --check-prefix=USDOT

// tfm-lower-quantized-matmul's generated-decode: the one-token product of
// Q8_0_X16, Q4_0_X16, Q4_K_X16 and Q6_K_X16 weights as vector code. The token is quantized into the scratch
// buffer by the runtime as before; then 48 rows (3 groups of 16) of 64
// inputs (2 blocks of 544 bytes a group) are multiplied: groups 0 and 1
// together (two streams, one accumulator each), then group 2 alone. Per
// block and group: 9 cache lines prefetched 2 KiB ahead, the 16 row
// scales widened from f16, the sum started at -128 * sum(a) (the codes'
// offset), 8 chunks of 64 codes each one AVX-512 VNNI dot product with the
// token's 4 codes of that chunk (two chains), then sum * row scale * the
// token's scale added by vector.fma. With accumulate the output's rows are
// added before the store.
// CHECK-LABEL: func.func @decode_q8_0
// CHECK-SAME: %[[Y:[a-z0-9]+]]: memref<1x48xf32>, %[[S:[a-z0-9]+]]: memref<?xi8>)
// CHECK: call @tfm_quantize_activations(%c7_i32,
// CHECK-NOT: call @tfm_quantized_matmul
// CHECK: %[[W:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [3264], strides: [1]
// CHECK: %[[A:.*]] = memref.reinterpret_cast %[[S]] to offset: [0]
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %[[Y]] to offset: [0], sizes: [48], strides: [1]
// CHECK: %[[G0:.*]] = memref.subview %[[W]][0] [1088] [1]
// CHECK: %[[G1:.*]] = memref.subview %[[W]][1088] [1088] [1]
// CHECK: %[[ACC:.*]]:2 = scf.for %[[B:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC0:.*]] = %{{.*}}, %[[ACC1:.*]] = %{{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK:   %[[BLOCK:.*]] = arith.muli %[[B]], %c544
// CHECK:   %[[AHEAD:.*]] = arith.addi %[[BLOCK]], %c2048
// CHECK:   memref.prefetch %[[G0]][%[[AHEAD]]], read, locality<3>, data
// CHECK-COUNT-8: memref.prefetch %[[G0]]
// CHECK:   %[[SCALEBYTES:.*]] = vector.load %[[G0]][%[[BLOCK]]] : {{.*}}, vector<32xi8>
// CHECK:   %[[HALVES:.*]] = vector.bitcast %[[SCALEBYTES]] : vector<32xi8> to vector<16xf16>
// CHECK:   %[[ROWSCALES:.*]] = arith.extf %[[HALVES]] : vector<16xf16> to vector<16xf32>
// CHECK:   %[[SUM:.*]] = vector.extract %{{.*}}[0] : i32 from vector<1xi32>
// CHECK:   %[[BIAS:.*]] = arith.muli %[[SUM]], %c-128_i32 : i32
// CHECK:   %[[START:.*]] = vector.broadcast %[[BIAS]] : i32 to vector<16xi32>
// CHECK:   %[[TOKEN4:.*]] = vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK:   %[[TOKEN:.*]] = vector.bitcast %[[TOKEN4]] : vector<16xi32> to vector<64xi8>
// CHECK:   %[[CODES:.*]] = vector.load %[[G0]][%{{.*}}] : {{.*}}, vector<64xi8>
// CHECK:   %[[EVEN:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[START]], %[[CODES]], %[[TOKEN]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ZERO:.*]], %{{.*}}, %{{.*}})
// CHECK:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[EVEN]],
// CHECK-COUNT-5: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:   %[[DOT:.*]] = arith.addi %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK:   %[[TOKENSCALE:.*]] = vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK:   %[[SCALE:.*]] = arith.mulf %[[ROWSCALES]], %[[TOKENSCALE]] : vector<16xf32>
// CHECK:   %[[DOTF:.*]] = arith.sitofp %[[DOT]] : vector<16xi32> to vector<16xf32>
// CHECK:   %[[NEXT0:.*]] = vector.fma %[[DOTF]], %[[SCALE]], %[[ACC0]] : vector<16xf32>
// CHECK:   memref.prefetch %[[G1]][%[[AHEAD]]]
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:   %[[NEXT1:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[ACC1]] : vector<16xf32>
// CHECK:   scf.yield %[[NEXT0]], %[[NEXT1]]
// CHECK: %[[OLD0:.*]] = vector.load %[[OUT]][%c0] : {{.*}}, vector<16xf32>
// CHECK: %[[NEW0:.*]] = arith.addf %[[ACC]]#0, %[[OLD0]] : vector<16xf32>
// CHECK: vector.store %[[NEW0]], %[[OUT]][%c0]
// CHECK: %[[OLD1:.*]] = vector.load %[[OUT]][%c16] : {{.*}}, vector<16xf32>
// CHECK: %[[NEW1:.*]] = arith.addf %[[ACC]]#1, %[[OLD1]] : vector<16xf32>
// CHECK: vector.store %[[NEW1]], %[[OUT]][%c16]
// CHECK: %[[G2:.*]] = memref.subview %[[W]][2176] [1088] [1]
// CHECK: %[[LAST:.*]] = scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.store %{{.*}}, %[[OUT]][%c32]
// THREADS-LABEL: func.func @decode_q8_0
// THREADS: scf.forall
// THREADS:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// KERNEL-LABEL: func.func @decode_q8_0
// KERNEL-NOT: llvm.call_intrinsic
// KERNEL: call @tfm_quantized_matmul(%c7_i32

// AArch64's dot products take 4 rows of 4 codes: each chunk is four, on
// 16-byte slices of the 16 rows' codes with the token's 4 codes of the
// chunk in every lane (a lane of the block's 32 codes, loaded as two
// vectors of 4 i32: sdot's indexed operand), their int32 sums put back in
// place in one chain (canonicalization then chains the 4-row sums
// directly: chunk 1's first starts from chunk 0's). sdot multiplies signed
// bytes: q8_0's codes (code + 128) get their top bit flipped, and the sum
// starts at 0. usdot multiplies unsigned codes as vpdpbusd does: the sum
// starts at -128 * sum(a).
// SDOT-LABEL: func.func @decode_q8_0
// SDOT-DAG: %[[ZERO4:.*]] = arith.constant dense<0> : vector<4xi32>
// SDOT-DAG: %[[TOP:.*]] = arith.constant dense<-128> : vector<64xi8>
// SDOT-DAG: %[[ZERO16:.*]] = arith.constant dense<0> : vector<16xi32>
// SDOT-NOT: vpdpbusd
// SDOT: scf.for
// SDOT-NOT: arith.muli %{{.*}}, %c-128_i32
// SDOT: %[[QUAD:.*]] = vector.bitcast %{{.*}} : vector<16xi8> to vector<4xi32>
// SDOT: %[[LANE0:.*]] = vector.shuffle %[[QUAD]], %[[QUAD]] [0, 0, 0, 0] : vector<4xi32>, vector<4xi32>
// SDOT: %[[TOKEN0:.*]] = vector.bitcast %[[LANE0]] : vector<4xi32> to vector<16xi8>
// SDOT: %[[LANE1:.*]] = vector.shuffle %[[QUAD]], %[[QUAD]] [1, 1, 1, 1]
// SDOT: %[[TOKEN1:.*]] = vector.bitcast %[[LANE1]] : vector<4xi32> to vector<16xi8>
// SDOT: %[[CODES:.*]] = vector.load %{{.*}} : {{.*}}, vector<64xi8>
// SDOT: %[[SIGNED:.*]] = arith.xori %[[CODES]], %[[TOP]] : vector<64xi8>
// SDOT: %[[ROWS0:.*]] = vector.extract_strided_slice %[[SIGNED]] {offsets = [0], sizes = [16], strides = [1]} : vector<64xi8> to vector<16xi8>
// SDOT: %[[PART0:.*]] = llvm.call_intrinsic "llvm.aarch64.neon.sdot"(%[[ZERO4]], %[[ROWS0]], %[[TOKEN0]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// SDOT: %[[SUM0:.*]] = vector.insert_strided_slice %[[PART0]], %[[ZERO16]] {offsets = [0], strides = [1]} : vector<4xi32> into vector<16xi32>
// SDOT: vector.extract_strided_slice %[[SIGNED]] {offsets = [16], sizes = [16], strides = [1]}
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot"(%[[ZERO4]], %{{.*}}, %[[TOKEN0]])
// SDOT: vector.insert_strided_slice %{{.*}}, %[[SUM0]] {offsets = [4], strides = [1]}
// SDOT-COUNT-2: llvm.call_intrinsic "llvm.aarch64.neon.sdot"(%[[ZERO4]],
// SDOT: %[[CODES1:.*]] = vector.load %{{.*}} : {{.*}}, vector<64xi8>
// SDOT: arith.xori %[[CODES1]], %[[TOP]] : vector<64xi8>
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot"(%[[PART0]], %{{.*}}, %[[TOKEN1]])
// SDOT-COUNT-27: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT-NOT: arith.addi %{{.*}} : vector<16xi32>
// SDOT: vector.fma
// USDOT-LABEL: func.func @decode_q8_0
// USDOT-NOT: arith.xori
// USDOT: arith.muli %{{.*}}, %c-128_i32 : i32
// USDOT-NOT: arith.xori
// USDOT-COUNT-32: llvm.call_intrinsic "llvm.aarch64.neon.usdot"({{.*}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// USDOT: vector.fma
func.func @decode_q8_0(%x: memref<1x64xf32>, %w: memref<48x68xi8>, %y: memref<1x48xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> accumulate %y scratch %s : memref<1x64xf32>, memref<48x68xi8>, memref<1x48xf32>, memref<?xi8>
  return
}

// -----

// q8_0 on AVX-512 reads four groups at a time, one from each
// quarter of the groups (four streams from memory); the groups left after
// the fours go in pairs from the two halves of the rest, then alone: 7
// groups are groups 0-3 together, then 4 and 5, then 6.
// CHECK-LABEL: func.func @decode_q8_0_fours
// CHECK-SAME: %[[Y:[a-z0-9]+]]: memref<1x112xf32>
// CHECK: %[[W:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [7616], strides: [1]
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %[[Y]] to offset: [0], sizes: [112], strides: [1]
// CHECK: %[[G0:.*]] = memref.subview %[[W]][0] [1088] [1]
// CHECK: %[[G1:.*]] = memref.subview %[[W]][1088] [1088] [1]
// CHECK: %[[G2:.*]] = memref.subview %[[W]][2176] [1088] [1]
// CHECK: %[[G3:.*]] = memref.subview %[[W]][3264] [1088] [1]
// CHECK: %[[FOUR:.*]]:4 = scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: memref.prefetch %[[G1]]
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: memref.prefetch %[[G2]]
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: memref.prefetch %[[G3]]
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: scf.yield
// CHECK: vector.store %[[FOUR]]#0, %[[OUT]][%c0]
// CHECK: vector.store %[[FOUR]]#1, %[[OUT]][%c16]
// CHECK: vector.store %[[FOUR]]#2, %[[OUT]][%c32]
// CHECK: vector.store %[[FOUR]]#3, %[[OUT]][%c48]
// CHECK: memref.subview %[[W]][4352] [1088] [1]
// CHECK: memref.subview %[[W]][5440] [1088] [1]
// CHECK: %[[PAIR:.*]]:2 = scf.for %{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK: vector.store %[[PAIR]]#0, %[[OUT]][%c64]
// CHECK: vector.store %[[PAIR]]#1, %[[OUT]][%c80]
// CHECK: memref.subview %[[W]][6528] [1088] [1]
// CHECK: %[[LAST:.*]] = scf.for %{{.*}} iter_args({{.*}}) -> (vector<16xf32>)
// CHECK: vector.store %[[LAST]], %[[OUT]][%c96]
// NEON's dot products keep the pairs (4 of 7 groups are not read
// together there).
// SDOT-LABEL: func.func @decode_q8_0_fours
// SDOT-NOT: -> (vector<16xf32>, vector<16xf32>, vector<16xf32>
// SDOT: -> (vector<16xf32>, vector<16xf32>)
// THREADS-LABEL: func.func @decode_q8_0_fours
// KERNEL-LABEL: func.func @decode_q8_0_fours
// USDOT-LABEL: func.func @decode_q8_0_fours
func.func @decode_q8_0_fours(%x: memref<1x64xf32>, %w: memref<112x68xi8>, %y: memref<1x112xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s : memref<1x64xf32>, memref<112x68xi8>, memref<1x112xf32>, memref<?xi8>
  return
}

// -----

// Q4_0_X16: blocks of 288 bytes (16 scales, then 4 chunks of 64 bytes,
// each byte two codes), the sum started at -8 * sum(a); each loaded byte
// chunk m gives the codes of chunk m (its low nibbles) and of chunk m + 4
// (its high ones, shifted as 32-bit lanes and masked: x86 has no byte
// shift), both dotted right after the load.
// CHECK-LABEL: func.func @decode_q4_0
// CHECK: call @tfm_quantize_activations(%c8_i32,
// CHECK: scf.for %[[B:.*]] = %c0 to %c2 step %c1 iter_args
// CHECK:   %[[BLOCK:.*]] = arith.muli %[[B]], %c288
// CHECK-COUNT-5: memref.prefetch
// CHECK:   arith.muli %{{.*}}, %c-8_i32 : i32
// CHECK:   %[[BYTES0:.*]] = vector.load %{{.*}} : {{.*}}, vector<64xi8>
// CHECK:   %[[LOW0:.*]] = arith.andi %[[BYTES0]], %[[NIBBLE:.*]] : vector<64xi8>
// CHECK:   %[[WORDS0:.*]] = vector.bitcast %[[BYTES0]] : vector<64xi8> to vector<16xi32>
// CHECK:   %[[SHIFTED0:.*]] = arith.shrui %[[WORDS0]], %[[FOUR:.*]] : vector<16xi32>
// CHECK:   %[[HIGHWORDS0:.*]] = arith.andi %[[SHIFTED0]], %[[NIBBLES:.*]] : vector<16xi32>
// CHECK:   %[[HIGH0:.*]] = vector.bitcast %[[HIGHWORDS0]] : vector<16xi32> to vector<64xi8>
// CHECK:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[LOW0]], %{{.*}})
// CHECK:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[HIGH0]], %{{.*}})
// CHECK-COUNT-6: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:   vector.fma
// KERNEL-LABEL: func.func @decode_q4_0
// KERNEL: call @tfm_quantized_matmul(%c8_i32
// q4_0's codes, 0-15, are valid signed bytes: sdot and usdot both keep
// the offset's sum, -8 * sum(a).
// SDOT-LABEL: func.func @decode_q4_0
// SDOT-NOT: arith.xori
// SDOT: arith.muli %{{.*}}, %c-8_i32 : i32
// SDOT-COUNT-32: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// USDOT-LABEL: func.func @decode_q4_0
// USDOT: arith.muli %{{.*}}, %c-8_i32 : i32
// USDOT-COUNT-32: llvm.call_intrinsic "llvm.aarch64.neon.usdot"
func.func @decode_q4_0(%x: memref<1x64xf32>, %w: memref<16x36xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<1x64xf32>, memref<16x36xi8>, memref<1x16xf32>, memref<?xi8>
  return
}

// -----

// Q4_K_X16: the loop steps over 256-element super-blocks (2304 bytes a
// group: 16 f16 d, 16 f16 dmin, three planes of the rows' packed 6-bit
// scales and mins, then 4 pairs of blocks of 8 nibble chunks). The pairs
// are an scf.for of their own (LLVM then cannot schedule a whole
// super-block's loads at once), each unpacking the scales and mins for the
// 16 rows (GGML's get_scale_min_k4 on 32-bit lanes: the low 6 bits of
// words 0 and 1; word 2's nibbles with the top 2 bits of words 0 and 1)
// and taking its blocks' bytes (arith.select of the word on pair >= 2, a
// shift by 16 (pair % 2) + 8 h); the prefetches are spread over the pairs
// (10 lines each); each code chunk load gives block 2i's codes (low
// nibbles) and block 2i + 1's (high), two chains; each block then adds
// sum * (d x its scale) x the token's scale and subtracts (dmin x its min)
// x the token's scale x sum(a). On AArch64 the same on sdot.
// CHECK-LABEL: func.func @decode_q4_k
// CHECK-DAG: %[[LOW6:.*]] = arith.constant dense<1061109567> : vector<16xi32>
// CHECK-DAG: %[[LOW4:.*]] = arith.constant dense<252645135> : vector<16xi32>
// CHECK-DAG: %[[TOP2:.*]] = arith.constant dense<808464432> : vector<16xi32>
// CHECK: call @tfm_quantize_activations(%c10_i32,
// CHECK: scf.for %[[U:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<16xf32>)
// CHECK:   %[[UNIT:.*]] = arith.muli %[[U]], %c2304
// CHECK:   scf.for %[[PAIR:.*]] = %c0 to %c4 step %c1 iter_args(%[[PACC:.*]] = %[[ACC]]) -> (vector<16xf32>)
// CHECK-COUNT-10: memref.prefetch
// CHECK:     %[[SECOND:.*]] = arith.cmpi uge, %[[PAIR]], %c2 : index
// CHECK:     %[[ODD:.*]] = arith.remui %[[PAIR]], %c2 : index
// CHECK:     %[[W0:.*]] = vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// CHECK:     %[[W1:.*]] = vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// CHECK:     %[[W2:.*]] = vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// CHECK:     %[[D:.*]] = arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK:     %[[DMIN:.*]] = arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK:     %[[SCALES0:.*]] = arith.andi %[[W0]], %[[LOW6]] : vector<16xi32>
// CHECK:     arith.andi %[[W2]], %[[LOW4]] : vector<16xi32>
// CHECK:     %[[SHIFTED:.*]] = arith.shrui %[[W0]], %{{.*}} : vector<16xi32>
// CHECK:     arith.andi %[[SHIFTED]], %[[TOP2]] : vector<16xi32>
// CHECK:     %[[MINS0:.*]] = arith.andi %[[W1]], %[[LOW6]] : vector<16xi32>
// CHECK:     %[[BYTES:.*]] = vector.load %{{.*}} : {{.*}}, vector<64xi8>
// CHECK:     %[[LOW:.*]] = arith.andi %[[BYTES]], %{{.*}} : vector<64xi8>
// CHECK:     %[[HIGH:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK:     %[[EVEN:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ZERO:.*]], %[[LOW]], %{{.*}})
// CHECK:     %[[ODDDOT:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ZERO]], %[[HIGH]], %{{.*}})
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[EVEN]],
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ODDDOT]],
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:     %[[SCALEWORD:.*]] = arith.select %[[SECOND]], %{{.*}}, %[[SCALES0]] : vector<16xi32>
// CHECK:     %[[SCALE0:.*]] = arith.uitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:     %[[DSCALE0:.*]] = arith.mulf %[[D]], %[[SCALE0]] : vector<16xf32>
// CHECK:     %[[MINWORD:.*]] = arith.select %[[SECOND]], %{{.*}}, %[[MINS0]] : vector<16xi32>
// CHECK:     %[[MIN0:.*]] = arith.uitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:     %[[DMIN0:.*]] = arith.mulf %[[DMIN]], %[[MIN0]] : vector<16xf32>
// CHECK:     %[[NEGMIN0:.*]] = arith.negf %[[DMIN0]] : vector<16xf32>
// CHECK:     %[[WITHSUM:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[PACC]] : vector<16xf32>
// CHECK:     vector.fma %[[NEGMIN0]], %{{.*}}, %[[WITHSUM]] : vector<16xf32>
// CHECK-NOT: llvm.call_intrinsic
// CHECK:     scf.yield
// CHECK:   scf.yield
// SDOT-LABEL: func.func @decode_q4_k
// SDOT-NOT: arith.xori
// SDOT-COUNT-64: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT-NOT: llvm.call_intrinsic
// SDOT: scf.yield
// KERNEL-LABEL: func.func @decode_q4_k
// KERNEL: call @tfm_quantized_matmul(%c10_i32
// THREADS-LABEL: func.func @decode_q4_k
// THREADS: scf.forall
// THREADS:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
func.func @decode_q4_k(%x: memref<1x512xf32>, %w: memref<16x288xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x512xf32>, memref<16x288xi8>, memref<1x16xf32>, memref<?xi8>
  return
}

// -----

// Q6_K_X16: 256-element super-blocks (3360 bytes a group: 16 f16 d, the
// rows' int8 scales of the 16 sub-blocks, then per block 4 nibble chunks
// and 2 top-bit chunks). A block's codes: nibble chunk m's low nibbles with
// top-bit chunk m / 2's bits (shifted left by 4 for even m) give elements
// 4m.., its high nibbles with the bits shifted left by 2 (even m) or right
// by 2 (odd m) give elements 16 + 4m..; each half's sum starts at -32 x its
// sum(a) and is scaled by d x its sub-block's scale. The 8 blocks are an
// scf.for of their own, as q4_k's pairs.
// CHECK-LABEL: func.func @decode_q6_k
// CHECK-DAG: %[[TWO:.*]] = arith.constant dense<2> : vector<16xi32>
// CHECK-DAG: %[[TOPBITS:.*]] = arith.constant dense<808464432> : vector<16xi32>
// CHECK-DAG: %[[FOUR:.*]] = arith.constant dense<4> : vector<16xi32>
// CHECK-DAG: %[[NIBBLES:.*]] = arith.constant dense<252645135> : vector<16xi32>
// CHECK: call @tfm_quantize_activations(%c9_i32,
// CHECK: scf.for %[[U:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<16xf32>)
// CHECK:   arith.muli %[[U]], %c3360
// CHECK:   %[[D:.*]] = arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK:   scf.for %[[J:.*]] = %c0 to %c8 step %c1 iter_args(%[[BACC:.*]] = %[[ACC]]) -> (vector<16xf32>)
// CHECK:     %[[HIGHSUM:.*]] = arith.subi %{{.*}}, %[[LOWSUM:.*]] : i32
// CHECK:     %[[LOWBIAS:.*]] = arith.muli %[[LOWSUM]], %c-32_i32 : i32
// CHECK:     %[[LOWSTART:.*]] = vector.broadcast %[[LOWBIAS]] : i32 to vector<16xi32>
// CHECK:     %[[HIGHBIAS:.*]] = arith.muli %[[HIGHSUM]], %c-32_i32 : i32
// CHECK:     %[[HIGHSTART:.*]] = vector.broadcast %[[HIGHBIAS]] : i32 to vector<16xi32>
// CHECK:     arith.muli %[[J]], %c420 : index
// CHECK-COUNT-7: memref.prefetch
// CHECK:     %[[TOPS:.*]] = vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// CHECK:     vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// CHECK:     %[[NIB0:.*]] = vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// CHECK:     %[[LOWCODES:.*]] = arith.andi %[[NIB0]], %[[NIBBLES]] : vector<16xi32>
// CHECK:     %[[TOPS4:.*]] = arith.shli %[[TOPS]], %[[FOUR]] : vector<16xi32>
// CHECK:     %[[LOWTOPS:.*]] = arith.andi %[[TOPS4]], %[[TOPBITS]] : vector<16xi32>
// CHECK:     %[[LOW:.*]] = arith.ori %[[LOWCODES]], %[[LOWTOPS]] : vector<16xi32>
// CHECK:     %[[HIGHNIB:.*]] = arith.shrui %[[NIB0]], %[[FOUR]] : vector<16xi32>
// CHECK:     %[[TOPS2:.*]] = arith.shli %[[TOPS]], %[[TWO]] : vector<16xi32>
// CHECK:     %[[LOWBYTES:.*]] = vector.bitcast %[[LOW]] : vector<16xi32> to vector<64xi8>
// CHECK:     %[[LOWDOT:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[LOWSTART]], %[[LOWBYTES]], %{{.*}})
// CHECK:     %[[HIGHDOT:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[HIGHSTART]], %{{.*}}, %{{.*}})
// CHECK:     arith.shrui %[[TOPS]], %[[TWO]] : vector<16xi32>
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[LOWDOT]],
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[HIGHDOT]],
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:     %[[SCALES:.*]] = arith.extsi %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK:     %[[SCALESF:.*]] = arith.sitofp %[[SCALES]] : vector<16xi32> to vector<16xf32>
// CHECK:     arith.mulf %[[D]], %[[SCALESF]] : vector<16xf32>
// CHECK:     vector.fma %{{.*}}, %{{.*}}, %[[BACC]] : vector<16xf32>
// CHECK:     vector.fma
// CHECK-NOT: llvm.call_intrinsic
// CHECK:     scf.yield
// CHECK:   scf.yield
// SDOT-LABEL: func.func @decode_q6_k
// SDOT-NOT: arith.xori
// SDOT-COUNT-32: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT-NOT: llvm.call_intrinsic
// KERNEL-LABEL: func.func @decode_q6_k
// KERNEL: call @tfm_quantized_matmul(%c9_i32
// THREADS-LABEL: func.func @decode_q6_k
// THREADS: scf.forall
// THREADS:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
func.func @decode_q6_k(%x: memref<1x512xf32>, %w: memref<16x420xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x512xf32>, memref<16x420xi8>, memref<1x16xf32>, memref<?xi8>
  return
}

// -----

// Two groups of q4_k rows: AVX-512 reads them together (two streams, an
// accumulator each); on AArch64's 128-bit dot products one group at a
// time (a pair of blocks of two groups spilled NEON's 32 registers), a
// loop over the groups with one accumulator.
// CHECK-LABEL: func.func @decode_q4_k_two_groups
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>)
// SDOT-LABEL: func.func @decode_q4_k_two_groups
// SDOT: scf.for %[[G:.*]] = %c0 to %c2 step %c1 {
// SDOT:   %[[BYTES:.*]] = arith.muli %[[G]], %c4608 : index
// SDOT:   memref.subview %{{.*}}[%[[BYTES]]] [4608] [1]
// SDOT:   scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// USDOT-LABEL: func.func @decode_q4_k_two_groups
// USDOT: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// USDOT:   scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
func.func @decode_q4_k_two_groups(%x: memref<1x512xf32>, %w: memref<32x288xi8>, %y: memref<1x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<1x512xf32>, memref<32x288xi8>, memref<1x32xf32>, memref<?xi8>
  return
}

// -----

// Not generated by generated-decode: a prefill (its token count is
// dynamic: generated-prefill's tiles, generated-prefill.mlir) and a
// row-wise format call the hand-written kernels.
// CHECK-LABEL: func.func @kernels
// CHECK-NOT: llvm.call_intrinsic
// CHECK: call @tfm_quantized_matmul(%c7_i32
// CHECK: call @tfm_quantized_matmul(%c2_i32
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
// SDOT-LABEL: func.func @kernels
func.func @kernels(%p: memref<?x64xf32>, %x: memref<1x64xf32>, %w: memref<48x68xi8>, %w4: memref<48x40xi8>, %y: memref<?x48xf32>, %z: memref<1x48xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %p, %w -> %y scratch %s : memref<?x64xf32>, memref<48x68xi8>, memref<?x48xf32>, memref<?xi8>
  tfm.quantized_matmul !tfm.quant<q4_1> %x, %w4 -> %z scratch %s : memref<1x64xf32>, memref<48x40xi8>, memref<1x48xf32>, memref<?xi8>
  return
}

// -----

// A gated product: 64 weight rows, 2 groups of gate rows then 2 of up
// rows, 32 outputs. Output group g reads gate group g and up group g + 2
// together (the two streams), and stores silu(gate) * up: x / (1 +
// exp(-x)) on the 16 gate sums, times the 16 up sums. The kernel's
// gated entry point is not called.
// CHECK-LABEL: func.func @decode_gated_silu
// CHECK-SAME: %[[Y:[a-z0-9]+]]: memref<1x32xf32>, %{{.*}}: memref<?xi8>)
// CHECK-NOT: call @tfm_quantized_matmul_gated
// CHECK: %[[W:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [4352], strides: [1]
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %[[Y]] to offset: [0], sizes: [32], strides: [1]
// CHECK: scf.for %[[G:.*]] = %c0 to %c2 step %c1 {
// CHECK:   %[[UP:.*]] = arith.addi %[[G]], %c2 : index
// CHECK:   %[[GATEBYTES:.*]] = arith.muli %[[G]], %c1088 : index
// CHECK:   %[[GATE:.*]] = memref.subview %[[W]][%[[GATEBYTES]]] [1088] [1]
// CHECK:   %[[UPBYTES:.*]] = arith.muli %[[UP]], %c1088 : index
// CHECK:   %[[UPROWS:.*]] = memref.subview %[[W]][%[[UPBYTES]]] [1088] [1]
// CHECK:   %[[SUMS:.*]]:2 = scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK:     vector.load %[[GATE]]
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:     vector.load %[[UPROWS]]
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:   %[[NEG:.*]] = arith.negf %[[SUMS]]#0 : vector<16xf32>
// CHECK:   %[[EXP:.*]] = math.exp %[[NEG]] : vector<16xf32>
// CHECK:   %[[DEN:.*]] = arith.addf %[[EXP]], %{{.*}} : vector<16xf32>
// CHECK:   %[[SILU:.*]] = arith.divf %[[SUMS]]#0, %[[DEN]] : vector<16xf32>
// CHECK:   %[[PRODUCT:.*]] = arith.mulf %[[SILU]], %[[SUMS]]#1 : vector<16xf32>
// CHECK:   %[[ROW:.*]] = arith.muli %[[G]], %c16 : index
// CHECK:   vector.store %[[PRODUCT]], %[[OUT]][%[[ROW]]]
// CHECK-NOT: call @tfm_quantized_matmul_gated
// CHECK: return
// KERNEL-LABEL: func.func @decode_gated_silu
// KERNEL: call @tfm_quantized_matmul_gated(%c7_i32
func.func @decode_gated_silu(%x: memref<1x64xf32>, %w: memref<64x68xi8>, %y: memref<1x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<1x64xf32>, memref<64x68xi8>, memref<1x32xf32>, memref<?xi8>
  return
}

// -----

// Gemma's GeGLU on q4_k super-blocks, and on AArch64: the tanh form of GELU
// on the gate sums.
// CHECK-LABEL: func.func @decode_gated_gelu_tanh
// CHECK: scf.for
// CHECK: math.tanh %{{.*}} : vector<16xf32>
// CHECK: arith.mulf
// CHECK: vector.store
// SDOT-LABEL: func.func @decode_gated_gelu_tanh
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT: math.tanh %{{.*}} : vector<16xf32>
func.func @decode_gated_gelu_tanh(%x: memref<1x256xf32>, %w: memref<32x144xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s gated(gelu_tanh) : memref<1x256xf32>, memref<32x144xi8>, memref<1x16xf32>, memref<?xi8>
  return
}
