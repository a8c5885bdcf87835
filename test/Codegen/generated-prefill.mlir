// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-prefill=1 threads=0" --canonicalize --cse | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-prefill=1" | FileCheck %s --check-prefix=THREADS
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul | FileCheck %s --check-prefix=KERNEL
// RUN: tfm-opt %s --split-input-file --tfm-lower-quantized-matmul="generated-prefill=1 threads=0 dot-product=neon-dotprod" --canonicalize --cse | FileCheck %s --check-prefix=SDOT

// tfm-lower-quantized-matmul's generated-prefill: the product of several
// tokens (a prefill: a dynamic token count) and Q8_0_X16 weights as vector
// code. The tokens are quantized into the scratch buffer by the runtime
// (128 bytes a token here: 64 codes, then 4 planes of 2 blocks' 4-byte
// values); then two groups at a time (5 groups of 16 rows here, 2 blocks
// of 544 bytes each: 2 pairs, then group 4 alone), tiles of 4 tokens:
// each block's 8 chunks of 64 codes of both groups are loaded once and
// dotted with each of the 4 tokens' 4 codes of the chunk, a token's
// broadcast codes serving both groups (VNNI, one chain a group and token,
// each started at -128 * that token's sum(a)), 8 accumulators scaled by
// the row scales x each token's block scale. Each block of a tile asks
// for one line of each group of the next pair into L2: tile k's blocks
// lines 2k and 2k + 1 (17 lines of 64 bytes: the last one stays), so that
// the next pair's first tile finds it in the caches. Token t's 16 sums of
// group g go to output t * 80 + 16 g (added to the output with
// accumulate). The tokens after the last whole tile go one at a time (the
// decode's loop: prefetched, two chains).
// CHECK-LABEL: func.func @prefill_q8_0
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x64xf32>, %{{.*}}: memref<80x68xi8>, %[[Y:[a-z0-9]+]]: memref<?x80xf32>, %[[S:[a-z0-9]+]]: memref<?xi8>)
// CHECK: %[[TOKENS:.*]] = memref.dim %[[X]], %c0
// CHECK: call @tfm_quantize_activations(%c7_i32,
// CHECK-NOT: call @tfm_quantized_matmul
// CHECK: %[[W:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [5440], strides: [1]
// CHECK: %[[A:.*]] = memref.reinterpret_cast %[[S]] to offset: [0]
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %[[Y]] to offset: [0], sizes: [%{{.*}}], strides: [1]
// CHECK: scf.for %[[PAIR:.*]] = %c0 to %c2 step %c1 {
// CHECK:   %[[G:.*]] = arith.muli %[[PAIR]], %c2
// CHECK:   %[[G1:.*]] = arith.addi %[[G]], %c1
// CHECK:   %[[TILES:.*]] = arith.divui %[[TOKENS]], %c4
// CHECK:   %[[TILED:.*]] = arith.muli %[[TILES]], %c4
// CHECK:   scf.for %[[T:.*]] = %c0 to %[[TILED]] step %c4 {
// CHECK:     %[[ROW0:.*]] = arith.muli %[[T]], %c128
// CHECK:     %[[T1:.*]] = arith.addi %[[T]], %c1
// CHECK:     %[[ROW1:.*]] = arith.muli %[[T1]], %c128
// CHECK:     %[[T3:.*]] = arith.addi %[[T]], %c3
// CHECK:     %[[ROW3:.*]] = arith.muli %[[T3]], %c128
// CHECK:     %[[TILE:.*]] = arith.divui %[[T]], %c4
// CHECK:     %[[GROUP0:.*]] = memref.subview %[[W]]
// CHECK:     %[[GROUP1:.*]] = memref.subview %[[W]]
// CHECK:     %[[ACC:.*]]:8 = scf.for %[[B:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC0:[a-z0-9]+]] = %[[ZERO:[a-z0-9_]+]], %[[ACC1:[a-z0-9]+]] = %[[ZERO]], {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:       %[[NEXTGROUP:.*]] = arith.addi %[[G]], %c2
// CHECK:       %[[NEXTBYTES:.*]] = arith.muli %[[NEXTGROUP]], %c1088
// CHECK:       %[[TILELINES:.*]] = arith.muli %[[TILE]], %c2
// CHECK:       %[[LINE:.*]] = arith.addi %[[TILELINES]], %[[B]]
// CHECK:       %[[LASTLINE:.*]] = arith.minui %[[LINE]], %c16
// CHECK:       %[[LINEBYTES:.*]] = arith.muli %[[LASTLINE]], %c64
// CHECK:       %[[AHEAD:.*]] = arith.addi %[[NEXTBYTES]], %[[LINEBYTES]]
// CHECK:       memref.prefetch %[[W]][%[[AHEAD]]], read, locality<2>, data
// CHECK:       %[[NEXTGROUP1:.*]] = arith.addi %[[G]], %c3
// CHECK:       %[[NEXTBYTES1:.*]] = arith.muli %[[NEXTGROUP1]], %c1088
// CHECK:       %[[AHEAD1:.*]] = arith.addi %[[NEXTBYTES1]], %[[LINEBYTES]]
// CHECK:       memref.prefetch %[[W]][%[[AHEAD1]]], read, locality<2>, data
// CHECK-NOT:   memref.prefetch
// CHECK:       %[[ROWSCALES:.*]] = arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK:       %[[ROWSCALES1:.*]] = arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK:       %[[SCALE0AT:.*]] = arith.addi %[[ROW0]], %c64
// CHECK:       %[[SUM0AT:.*]] = arith.addi %[[ROW0]], %c80
// CHECK:       %[[SUM0:.*]] = arith.muli %{{.*}}, %c-128_i32 : i32
// CHECK:       %[[START0:.*]] = vector.broadcast %[[SUM0]] : i32 to vector<16xi32>
// CHECK:       %[[CHUNK0AT:.*]] = arith.addi %[[ROW0]], %{{.*}}
// CHECK:       %[[CHUNK0:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK:       arith.addi %[[ROW1]], %c64
// CHECK:       %[[CODES:.*]] = vector.load %[[GROUP0]][%{{.*}}] : {{.*}}, vector<64xi8>
// CHECK:       %[[CODES1:.*]] = vector.load %[[GROUP1]][%{{.*}}] : {{.*}}, vector<64xi8>
// CHECK:       %[[DOT0:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[START0]], %[[CODES]], %[[CHUNK0]])
// CHECK:       %[[DOT1:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[START0]], %[[CODES1]], %[[CHUNK0]])
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[CODES]], %{{.*}})
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[CODES1]], %{{.*}})
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[CODES]], %{{.*}})
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[CODES1]], %{{.*}})
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[CODES]], %{{.*}})
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[CODES1]], %{{.*}})
// CHECK:       %[[NEXTCODES:.*]] = vector.load %[[GROUP0]][%{{.*}}] : {{.*}}, vector<64xi8>
// CHECK:       vector.load %[[GROUP1]]
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[DOT0]], %[[NEXTCODES]], %{{.*}})
// CHECK-COUNT-55: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT:   llvm.call_intrinsic
// CHECK:       %[[SCALE0:.*]] = arith.mulf %[[ROWSCALES]], %{{.*}} : vector<16xf32>
// CHECK:       %[[DOTF0:.*]] = arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:       %[[NEXT0:.*]] = vector.fma %[[DOTF0]], %[[SCALE0]], %[[ACC0]] : vector<16xf32>
// CHECK:       vector.fma %{{.*}}, %{{.*}}, %[[ACC1]] : vector<16xf32>
// CHECK-COUNT-2: vector.fma
// CHECK:       arith.mulf %[[ROWSCALES1]], %{{.*}} : vector<16xf32>
// CHECK-COUNT-4: vector.fma
// CHECK:       scf.yield %[[NEXT0]],
// CHECK:     %[[OUT0:.*]] = arith.muli %[[T]], %c80
// CHECK:     %[[COLUMN:.*]] = arith.muli %[[PAIR]], %c32
// CHECK:     %[[AT0:.*]] = arith.addi %[[OUT0]], %[[COLUMN]]
// CHECK:     %[[OLD0:.*]] = vector.load %[[OUT]][%[[AT0]]]
// CHECK:     %[[NEW0:.*]] = arith.addf %[[ACC]]#0, %[[OLD0]]
// CHECK:     vector.store %[[NEW0]], %[[OUT]][%[[AT0]]]
// CHECK:     %[[OUT1:.*]] = arith.muli %[[T1]], %c80
// CHECK:     %[[AT1:.*]] = arith.addi %[[OUT1]], %[[COLUMN]]
// CHECK:     arith.addf %[[ACC]]#1,
// CHECK:     vector.store %{{.*}}, %[[OUT]][%[[AT1]]]
// CHECK-COUNT-2: vector.store
// CHECK:     %[[COLUMN1:.*]] = arith.muli %[[G1]], %c16
// CHECK:     %[[AT4:.*]] = arith.addi %[[OUT0]], %[[COLUMN1]]
// CHECK:     arith.addf %[[ACC]]#4,
// CHECK:     vector.store %{{.*}}, %[[OUT]][%[[AT4]]]
// CHECK-COUNT-3: vector.store
// CHECK:   }
// CHECK:   scf.for %[[LAST:.*]] = %[[TILED]] to %[[TOKENS]] step %c1 {
// CHECK:     arith.muli %[[LAST]], %c128
// CHECK:     scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK:       memref.prefetch
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK:       vector.fma
// CHECK:       memref.prefetch
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT:   llvm.call_intrinsic
// CHECK:       vector.fma
// CHECK:     arith.muli %[[LAST]], %c80
// CHECK:     vector.store
// CHECK:     vector.store
// CHECK: }
// The group after the last pair, alone: tiles of 8 tokens (as many chains
// and accumulators as a pair's tile).
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8 {
// CHECK:   memref.subview %[[W]][4352] [1088] [1]
// CHECK:   scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:     memref.prefetch
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-64: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT:   llvm.call_intrinsic
// CHECK:     scf.yield
// CHECK:   arith.addi %{{.*}}, %c64 : index
// CHECK:   vector.store
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[TOKENS]] step %c1 {
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
// THREADS-LABEL: func.func @prefill_q8_0
// THREADS: scf.forall
// THREADS:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// KERNEL-LABEL: func.func @prefill_q8_0
// KERNEL-NOT: llvm.call_intrinsic
// KERNEL: call @tfm_quantized_matmul(%c7_i32

// On 128-bit dot products (16 rows are 4 registers there) a tile is 2
// tokens: each chunk's four 4-row sdot of each token.
// SDOT-LABEL: func.func @prefill_q8_0
// SDOT: scf.for %{{.*}} = %c0 to %{{.*}} step %c2 {
// SDOT: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// SDOT-COUNT-64: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT-NOT: llvm.call_intrinsic
// SDOT: scf.yield
// SDOT: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 {
// SDOT-COUNT-32: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT-NOT: llvm.call_intrinsic
// SDOT: return
func.func @prefill_q8_0(%x: memref<?x64xf32>, %w: memref<80x68xi8>, %y: memref<?x80xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> accumulate %y scratch %s : memref<?x64xf32>, memref<80x68xi8>, memref<?x80xf32>, memref<?xi8>
  return
}

// -----

// A gated q4_0 product (2 groups of gate rows, then 2 of up rows): a
// tile's gate group and its up group are the two groups read together
// (tiles of 4 tokens, 8 accumulators), each token's broadcast codes
// serving both, and each token's silu(gate) * up is stored. Each byte
// chunk gives two chunks of codes (its low nibbles, and its high ones
// shifted as 32-bit lanes).
// CHECK-LABEL: func.func @prefill_gated
// CHECK-NOT: call @tfm_quantized_matmul
// CHECK: scf.for %[[G:.*]] = %c0 to %c2 step %c1 {
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %c4 {
// CHECK:     %[[UPGROUP:.*]] = arith.addi %[[G]], %c2
// CHECK:     %[[GATEVIEW:.*]] = memref.subview
// CHECK:     %[[UPVIEW:.*]] = memref.subview
// CHECK:     %[[SUMS:.*]]:8 = scf.for
// CHECK:       %[[BYTES:.*]] = vector.load %[[GATEVIEW]]{{.*}} : {{.*}}, vector<64xi8>
// CHECK:       %[[UPBYTES:.*]] = vector.load %[[UPVIEW]]{{.*}} : {{.*}}, vector<64xi8>
// CHECK:       arith.andi %[[BYTES]], %{{.*}} : vector<64xi8>
// CHECK:       arith.shrui %{{.*}} : vector<16xi32>
// CHECK:       arith.andi %[[UPBYTES]], %{{.*}} : vector<64xi8>
// CHECK-COUNT-64: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT:   llvm.call_intrinsic
// CHECK:       scf.yield
// CHECK:     %[[NEG:.*]] = arith.negf %[[SUMS]]#0
// CHECK:     math.exp %[[NEG]]
// CHECK:     %[[SILU:.*]] = arith.divf %[[SUMS]]#0,
// CHECK:     %[[PRODUCT:.*]] = arith.mulf %[[SILU]], %[[SUMS]]#4
// CHECK:     vector.store %[[PRODUCT]],
// CHECK-COUNT-3: vector.store
// CHECK:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 {
// CHECK:     arith.mulf
// CHECK:     vector.store
// KERNEL-LABEL: func.func @prefill_gated
// KERNEL: call @tfm_quantized_matmul_gated(
func.func @prefill_gated(%x: memref<?x64xf32>, %w: memref<64x36xi8>, %y: memref<?x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s gated(silu) : memref<?x64xf32>, memref<64x36xi8>, memref<?x32xf32>, memref<?xi8>
  return
}

// -----

// The K-quants' tiles (256-element super-blocks; one here): q4_k's 4
// pairs of blocks a loop carrying the tile's 8 accumulators, each chunk
// load giving both blocks' codes for the 8 tokens (16 dot products), each
// token's sums scaled by d x scale x its block scale and -(dmin x min) by
// its scale x sum(a); q6_k's 8 blocks a loop, each block's 8 chunks of
// codes built once for the 8 tokens (64 dot products), each half scaled
// by d x its sub-block scale. The last tokens go one at a time.
// CHECK-LABEL: func.func @prefill_q4_k
// CHECK-NOT: call @tfm_quantized_matmul
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8 {
// CHECK:   scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:     %[[LOW:.*]] = arith.andi %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK:     %[[HIGH:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[LOW]], %{{.*}})
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[HIGH]], %{{.*}})
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[LOW]], %{{.*}})
// CHECK-COUNT-125: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK:     %[[NEGMIN:.*]] = arith.negf %{{.*}} : vector<16xf32>
// CHECK:     %[[WITHSUM:.*]] = vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK:     vector.fma %[[NEGMIN]], %{{.*}}, %[[WITHSUM]] : vector<16xf32>
// CHECK-COUNT-30: vector.fma
// CHECK:     scf.yield
// CHECK-COUNT-8: vector.store
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 {
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
func.func @prefill_q4_k(%x: memref<?x256xf32>, %w: memref<32x144xi8>, %y: memref<?x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q4_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x256xf32>, memref<32x144xi8>, memref<?x32xf32>, memref<?xi8>
  return
}

// CHECK-LABEL: func.func @prefill_q6_k
// CHECK-NOT: call @tfm_quantized_matmul
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8 {
// CHECK:   scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:     %[[LOWCODES:.*]] = arith.ori %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK:     %[[HIGHCODES:.*]] = arith.ori %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK:     %[[LOWBYTES:.*]] = vector.bitcast %[[LOWCODES]] : vector<16xi32> to vector<64xi8>
// CHECK:     %[[HIGHBYTES:.*]] = vector.bitcast %[[HIGHCODES]] : vector<16xi32> to vector<64xi8>
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[LOWBYTES]], %{{.*}})
// CHECK:     llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[HIGHBYTES]], %{{.*}})
// CHECK-COUNT-62: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK:     arith.extsi %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK-COUNT-16: vector.fma
// CHECK:     scf.yield
// CHECK-COUNT-8: vector.store
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 {
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
func.func @prefill_q6_k(%x: memref<?x256xf32>, %w: memref<32x210xi8>, %y: memref<?x32xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q6_k, interleave = 16> %x, %w -> %y scratch %s : memref<?x256xf32>, memref<32x210xi8>, memref<?x32xf32>, memref<?xi8>
  return
}

// -----

// A static count of several tokens (a batched decode step) is tiled too
// (3 groups: one pair, its two whole tiles a block loop of 8 accumulators,
// then tokens 8-10 with both groups; then the third group alone, one tile
// of 8 tokens and tokens 8-10); one token is the decode's
// (generated-decode's, the kernel without it); a row-wise format calls the
// kernel.
// CHECK-LABEL: func.func @batched_and_kernels
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4 {
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-64: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: scf.for %{{.*}} = %c8 to %c11 step %c1 {
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-64: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: scf.for %{{.*}} = %c8 to %c11 step %c1 {
// CHECK: call @tfm_quantized_matmul(%c7_i32
// CHECK: call @tfm_quantized_matmul(%c2_i32
func.func @batched_and_kernels(%b: memref<11x64xf32>, %x: memref<1x64xf32>, %p: memref<?x64xf32>, %w: memref<48x68xi8>, %w4: memref<48x40xi8>, %y: memref<11x48xf32>, %z: memref<1x48xf32>, %u: memref<?x48xf32>, %s: memref<?xi8>) {
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %b, %w -> %y scratch %s : memref<11x64xf32>, memref<48x68xi8>, memref<11x48xf32>, memref<?xi8>
  tfm.quantized_matmul !tfm.quant<q8_0, interleave = 16> %x, %w -> %z scratch %s : memref<1x64xf32>, memref<48x68xi8>, memref<1x48xf32>, memref<?xi8>
  tfm.quantized_matmul !tfm.quant<q4_1> %p, %w4 -> %u scratch %s : memref<?x64xf32>, memref<48x40xi8>, memref<?x48xf32>, memref<?xi8>
  return
}
