// RUN: tfm-opt %s --split-input-file --tfm-lower-flash-attention="generated-decode=1 threads=0" --canonicalize --cse | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-lower-flash-attention="generated-decode=1" | FileCheck %s --check-prefix=THREADS
// RUN: tfm-opt %s --split-input-file --tfm-lower-flash-attention | FileCheck %s --check-prefix=KERNEL

// tfm-lower-flash-attention's generated-decode: a decode step's attention
// as vector code. Flash-decoding over an f16 cache, 4 query heads of 64
// elements on 2 KV heads (GQA, group 2), 4 key ranges, a half-split rope.
// Per task (KV head, range): the range clipped to the query's position
// (start + 1), its blocks of 64 keys; both query heads of the KV head in
// one pass, with two stack buffers freed at its end (stacksave /
// stackrestore): the heads' 4 chunks of 16 lanes loaded and rotated
// (chunks 0-1 with 2-3 by the cos/sin tables' 2 chunks). Per block: a loop
// over its keys widens each key row's chunks from f16 and multiplies them
// into both heads' partial sums (a chain of vector.fma a key), stored to
// the first buffer; the partials of each 16 keys reduce by a shuffle tree
// into a vector of scores, 4 a head, scaled, the lanes past the block's
// keys masked to -inf, the running maximum raised, exp of the scores less
// the maximum, the old sum and accumulators rescaled, the weights stored
// to the second buffer; a loop over the keys adds each value row's chunks,
// times its broadcast weight, to both heads' accumulators. Then each
// head's 64 sums, its maximum and its denominator go into the partials at
// split x 264 + head x 66 floats.
// CHECK-LABEL: func.func @decode_f16_gqa_rope
// CHECK-SAME: %[[Q:[a-z0-9]+]]: memref<1x256xf32>, %[[K:[a-z0-9]+]]: memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, %[[V:[a-z0-9]+]]: memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, %[[START:[a-z0-9]+]]: index, %{{[a-z0-9]+}}: memref<1x256xf32>, %[[P:[a-z0-9]+]]: memref<1056xf32>, %[[COS:[a-z0-9]+]]: memref<1x32xf32>, %[[SIN:[a-z0-9]+]]: memref<1x32xf32>)
// CHECK-NOT: call @tfm_attention(
// CHECK: scf.for %[[KV:.*]] = %c0 to %c2 step %c1 {
// CHECK:   scf.for %[[SPLIT:.*]] = %c0 to %c4 step %c1 {
// CHECK:     %[[BEGIN:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK:     %[[OFFSET:.*]] = arith.muli %[[SPLIT]], %c264
// CHECK:     %[[REACH:.*]] = arith.addi %[[START]], %c1
// CHECK:     %[[END:.*]] = arith.minui %{{.*}}, %[[REACH]]
// CHECK:     %[[BLOCKS:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK:     %[[HEAD0:.*]] = arith.muli %[[KV]], %c2 : index
// CHECK:     %[[HEAD1:.*]] = arith.addi %[[HEAD0]], %c1 : index
// CHECK:     %[[STACK:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK:     %[[PARTIALS:.*]] = memref.alloca() : memref<2x64x16xf32>
// CHECK:     %[[WEIGHTS:.*]] = memref.alloca() : memref<2x64xf32>
// CHECK:     %[[Q0:.*]] = vector.load %[[Q]][%c0, %{{.*}}] : memref<1x256xf32>, vector<16xf32>
// CHECK:     %[[Q1:.*]] = vector.load %[[Q]]
// CHECK:     %[[Q2:.*]] = vector.load %[[Q]]
// CHECK:     %[[Q3:.*]] = vector.load %[[Q]]
// CHECK:     %[[COS0:.*]] = vector.load %[[COS]][%c0, %c0] : memref<1x32xf32>, vector<16xf32>
// CHECK:     %[[SIN0:.*]] = vector.load %[[SIN]][%c0, %c0] : memref<1x32xf32>, vector<16xf32>
// CHECK:     %[[AC:.*]] = arith.mulf %[[Q0]], %[[COS0]] : vector<16xf32>
// CHECK:     %[[BS:.*]] = arith.mulf %[[Q2]], %[[SIN0]] : vector<16xf32>
// CHECK:     %[[R0:.*]] = arith.subf %[[AC]], %[[BS]] : vector<16xf32>
// CHECK:     %[[BC:.*]] = arith.mulf %[[Q2]], %[[COS0]] : vector<16xf32>
// CHECK:     %[[R2:.*]] = vector.fma %[[Q0]], %[[SIN0]], %[[BC]] : vector<16xf32>
// CHECK:     vector.load %[[COS]][%c0, %c16]
// CHECK:     %[[STATE:.*]]:12 = scf.for %{{.*}} = %c0 to %[[BLOCKS]] step %c1 iter_args(%[[MAX0:[a-z0-9_]+]] = %{{[a-z0-9_]+}}, %[[SUM0:[a-z0-9_]+]] = %{{[a-z0-9_]+}}, {{.*}}) -> (f32, f32, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, f32, f32, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:       %[[FIRST:.*]] = arith.addi %[[BEGIN]], %{{.*}} : index
// CHECK:       %[[COUNT:.*]] = arith.minui %{{.*}}, %c64 : index
// CHECK:       scf.for %[[J:.*]] = %c0 to %[[COUNT]] step %c1 {
// CHECK:         %[[ROW:.*]] = arith.addi %[[FIRST]], %[[J]] : index
// CHECK:         %[[KEY:.*]] = vector.load %[[K]][%[[KV]], %[[ROW]], %c0] : memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, vector<16xf16>
// CHECK:         %[[KEYF:.*]] = arith.extf %[[KEY]] : vector<16xf16> to vector<16xf32>
// CHECK:         arith.mulf %[[R0]], %[[KEYF]] : vector<16xf32>
// CHECK:         arith.mulf %{{.*}}, %[[KEYF]] : vector<16xf32>
// CHECK:         vector.load %[[K]][%[[KV]], %[[ROW]], %c16]
// CHECK-COUNT-6: vector.fma
// CHECK:         vector.store %{{.*}}, %[[PARTIALS]][%c0, %[[J]], %c0] : memref<2x64x16xf32>, vector<16xf32>
// CHECK:         vector.store %{{.*}}, %[[PARTIALS]][%c1, %[[J]], %c0] : memref<2x64x16xf32>, vector<16xf32>
// CHECK:       }
// CHECK:       %[[MASK0:.*]] = vector.create_mask %[[COUNT]] : vector<16xi1>
// CHECK:       %[[PAST16:.*]] = arith.subi %[[COUNT]], %c16 : index
// CHECK:       %[[MASK1:.*]] = vector.create_mask %[[PAST16]] : vector<16xi1>
// CHECK:       vector.load %[[PARTIALS]][%c0, %c0, %c0] : memref<2x64x16xf32>, vector<16xf32>
// CHECK:       vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
// CHECK:       vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK:       vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// CHECK:       %[[SCORES:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK:       %[[SCALED:.*]] = arith.mulf %[[SCORES]], %{{.*}} : vector<16xf32>
// CHECK:       %[[MASKED:.*]] = arith.select %[[MASK0]], %[[SCALED]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:       arith.select %[[MASK1]]
// CHECK:       %[[LANESMAX:.*]] = arith.maximumf %[[MASKED]], %{{.*}} : vector<16xf32>
// CHECK:       %[[BMAX:.*]] = vector.reduction <maximumf>, %{{.*}} : vector<16xf32> into f32
// CHECK:       %[[NEWMAX:.*]] = arith.maximumf %[[MAX0]], %[[BMAX]] : f32
// CHECK:       %[[NOTHING:.*]] = arith.cmpf oeq, %[[MAX0]], %{{.*}} : f32
// CHECK:       %[[DROP:.*]] = arith.subf %[[MAX0]], %[[NEWMAX]] : f32
// CHECK:       %[[EXPDROP:.*]] = math.exp %[[DROP]] : f32
// CHECK:       %[[CORR:.*]] = arith.select %[[NOTHING]], %{{.*}}, %[[EXPDROP]] : f32
// CHECK:       %[[EXP:.*]] = math.exp %{{.*}} : vector<16xf32>
// CHECK:       %[[W0:.*]] = arith.select %[[MASK0]], %[[EXP]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:       %[[BSUM:.*]] = vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK:       %[[OLDSUM:.*]] = arith.mulf %[[SUM0]], %[[CORR]] : f32
// CHECK:       %[[NEWSUM:.*]] = arith.addf %[[OLDSUM]], %[[BSUM]] : f32
// CHECK:       %[[CORRS:.*]] = vector.broadcast %[[CORR]] : f32 to vector<16xf32>
// CHECK:       %[[RESCALED:.*]] = arith.mulf %{{.*}}, %[[CORRS]] : vector<16xf32>
// CHECK:       vector.store %[[W0]], %[[WEIGHTS]][%c0, %c0] : memref<2x64xf32>, vector<16xf32>
// CHECK:       vector.reduction <maximumf>
// CHECK:       %[[ACCS:.*]]:8 = scf.for %[[J:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(%{{.*}} = %[[RESCALED]], {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:         %[[ROW:.*]] = arith.addi %[[FIRST]], %[[J]] : index
// CHECK:         %[[W:.*]] = memref.load %[[WEIGHTS]][%c0, %[[J]]] : memref<2x64xf32>
// CHECK:         vector.broadcast %[[W]] : f32 to vector<16xf32>
// CHECK:         %[[VALUE:.*]] = vector.load %[[V]][%[[KV]], %[[ROW]], %c0]
// CHECK:         arith.extf %[[VALUE]]
// CHECK-COUNT-2: vector.fma
// CHECK:         scf.yield
// CHECK:       scf.yield %[[NEWMAX]], %[[NEWSUM]], %[[ACCS]]#0,
// CHECK:     %[[AT0:.*]] = arith.muli %[[KV]], %c132 : index
// CHECK:     %[[P0:.*]] = arith.addi %[[OFFSET]], %[[AT0]] : index
// CHECK:     vector.store %[[STATE]]#2, %[[P]][%[[P0]]] : memref<1056xf32>, vector<16xf32>
// CHECK-COUNT-3: vector.store
// CHECK:     %[[PMAX:.*]] = arith.addi %[[P0]], %c64 : index
// CHECK:     memref.store %[[STATE]]#0, %[[P]][%[[PMAX]]] : memref<1056xf32>
// CHECK:     %[[PSUM:.*]] = arith.addi %[[P0]], %c65 : index
// CHECK:     memref.store %[[STATE]]#1, %[[P]][%[[PSUM]]] : memref<1056xf32>
// CHECK:     arith.muli %[[HEAD1]], %c66 : index
// CHECK:     vector.store %[[STATE]]#8
// CHECK:     llvm.intr.stackrestore %[[STACK]] : !llvm.ptr
// Then the 4 ranges merge, head by head: the maximum of the ranges with a
// positive denominator, each range weighted by exp(its maximum - that),
// the weighted sums over the weighted denominators into the output.
// CHECK-NOT: call @tfm_attention_combine
// CHECK: scf.for %[[H:.*]] = %c0 to %c4 step %c1 {
// CHECK:   %[[AT:.*]] = arith.muli %[[H]], %c66 : index
// CHECK:   %[[M0AT:.*]] = arith.addi %[[AT]], %c64 : index
// CHECK:   %[[M0:.*]] = memref.load %[[P]][%[[M0AT]]] : memref<1056xf32>
// CHECK:   %[[L0AT:.*]] = arith.addi %[[AT]], %c65 : index
// CHECK:   %[[L0:.*]] = memref.load %[[P]][%[[L0AT]]] : memref<1056xf32>
// CHECK:   %[[SEEN0:.*]] = arith.cmpf ogt, %[[L0]], %{{.*}} : f32
// CHECK:   arith.addi %[[AT]], %c328 : index
// CHECK:   arith.addi %[[AT]], %c856 : index
// CHECK:   %[[MAX:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK:   %[[D0:.*]] = arith.subf %[[M0]], %[[MAX]] : f32
// CHECK:   %[[E0:.*]] = math.exp %[[D0]] : f32
// CHECK:   %[[W0:.*]] = arith.select %[[SEEN0]], %[[E0]], %{{.*}} : f32
// CHECK:   arith.mulf %[[W0]], %[[L0]] : f32
// CHECK:   %[[W0S:.*]] = vector.broadcast %[[W0]] : f32 to vector<16xf32>
// CHECK:   %[[S0:.*]] = vector.load %[[P]][%[[AT]]] : memref<1056xf32>, vector<16xf32>
// CHECK:   vector.fma %[[W0S]], %[[S0]], %{{.*}} : vector<16xf32>
// CHECK-COUNT-12: vector.fma
// CHECK:   arith.divf
// CHECK-COUNT-4: vector.store %{{.*}}, %{{.*}}[%c0, %{{.*}}] : memref<1x256xf32>, vector<16xf32>
// CHECK-NOT: call @tfm_attention_combine
// THREADS-LABEL: func.func @decode_f16_gqa_rope
// THREADS: scf.forall
// THREADS:   vector.create_mask
// THREADS-NOT: call @tfm_attention_combine(
// THREADS: memref.load
// KERNEL-LABEL: func.func @decode_f16_gqa_rope
// KERNEL: call @tfm_attention(%c1_i32,
func.func @decode_f16_gqa_rope(%q: memref<1x256xf32>, %k: memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, %v: memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x256xf32>, %p: memref<1056xf32>, %cos: memref<1x32xf32>, %sin: memref<1x32xf32>) {
  tfm.flash_attention %q, %k, %v at %start -> %out partials %p rope(%cos, %sin : memref<1x32xf32>, memref<1x32xf32>) {num_heads = 4 : i64, scale = 0.125 : f64, kv_splits = 4 : i64, rope = #tfm.rope<rotary_dim = 64, theta = 1.000000e+04 : f64, pairing = half_split>} : memref<1x256xf32>, memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x64xf16, strided<[?, ?, 1], offset: ?>>, memref<1x256xf32>, memref<1056xf32>
  return
}

// -----

// One key range (kv_splits = 1), an f32 cache, 3 query heads on one KV head
// (an odd group: one head a pass), interleaved rope pairs: each chunk's 8
// angles repeated pairwise and its lanes swapped pairwise. Each head's sums
// are divided by its denominator (0 without a visible key) into the output.
// CHECK-LABEL: func.func @decode_f32_interleaved
// CHECK-SAME: %{{[a-z0-9]+}}: index, %[[OUT:[a-z0-9]+]]: memref<1x48xf32>
// CHECK-NOT: call @tfm_attention(
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 {
// CHECK:   vector.load %{{.*}}[%c0, %c0] : memref<1x8xf32>, vector<8xf32>
// CHECK:   vector.shuffle %{{.*}}, %{{.*}} [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7] : vector<8xf32>, vector<8xf32>
// CHECK:   vector.shuffle %{{.*}}, %{{.*}} [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14] : vector<16xf32>, vector<16xf32>
// CHECK:   %[[STATE:.*]]:3 = scf.for {{.*}} -> (f32, f32, vector<16xf32>)
// CHECK:     vector.load %{{.*}} : memref<1x?x16xf32, strided<[?, ?, 1], offset: ?>>, vector<16xf32>
// CHECK-NOT: arith.extf
// CHECK:     scf.yield
// CHECK:   %[[POSITIVE:.*]] = arith.cmpf ogt, %[[STATE]]#1, %{{.*}} : f32
// CHECK:   %[[INV:.*]] = arith.divf %{{.*}}, %[[STATE]]#1 : f32
// CHECK:   %[[SAFE:.*]] = arith.select %[[POSITIVE]], %[[INV]], %{{.*}} : f32
// CHECK:   %[[INVS:.*]] = vector.broadcast %[[SAFE]] : f32 to vector<16xf32>
// CHECK:   %[[NORM:.*]] = arith.mulf %[[STATE]]#2, %[[INVS]] : vector<16xf32>
// CHECK:   vector.store %[[NORM]], %[[OUT]][%c0, %{{.*}}] : memref<1x48xf32>, vector<16xf32>
// CHECK-NOT: call @tfm_attention_combine
// CHECK: return
func.func @decode_f32_interleaved(%q: memref<1x48xf32>, %k: memref<1x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x48xf32>, %cos: memref<1x8xf32>, %sin: memref<1x8xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out rope(%cos, %sin : memref<1x8xf32>, memref<1x8xf32>) {num_heads = 3 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.000000e+04 : f64, pairing = interleaved>} : memref<1x48xf32>, memref<1x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<1x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<1x48xf32>
  return
}

// -----

// A ring cache with a sliding window: the keys start at the window's first
// position, and position p is row p mod the ring's rows.
// CHECK-LABEL: func.func @decode_ring_window
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<2x?x16xf16
// CHECK: scf.for
// CHECK:   arith.maxui
// CHECK:   scf.for
// CHECK:     %[[ROWS:.*]] = memref.dim %[[K]], %c1
// CHECK:     %[[ROW:.*]] = arith.remui %{{.*}}, %[[ROWS]] : index
// CHECK:     vector.load %[[K]][%{{.*}}, %[[ROW]], %c0]
func.func @decode_ring_window(%q: memref<1x64xf32>, %k: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %v: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %start: index, %tokens: index, %out: memref<1x64xf32>, %p: memref<1152xf32>) {
  tfm.flash_attention %q, %k, %v at %start ring %tokens -> %out partials %p {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 4 : i64, window = 8 : i64} : memref<1x64xf32>, memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>, memref<1152xf32>
  return
}

// -----

// A q8 cache (rows of 16 int8 codes, then the row's f32 scale: 20 bytes)
// and a bf16 one. q8 codes become f32 by arith.sitofp; a key's partial
// sums are times its row scale (the 4 bytes after its codes) before they
// are stored, and a value row's weight is times its scale. bf16 rows widen
// by arith.extf.
// CHECK-LABEL: func.func @decode_q8_bf16
// CHECK-SAME: %[[K8:[a-z0-9]+]]: memref<2x?x20xi8
// CHECK-NOT: call @tfm_attention(
// CHECK: scf.for
// CHECK:   %[[CODES:.*]] = vector.load %[[K8]][%{{.*}}, %[[ROW:.*]], %c0] : memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, vector<16xi8>
// CHECK:   arith.sitofp %[[CODES]] : vector<16xi8> to vector<16xf32>
// CHECK:   %[[SCALEBYTES:.*]] = vector.load %[[K8]][%{{.*}}, %[[ROW]], %c16] : memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, vector<4xi8>
// CHECK:   %[[SCALEV:.*]] = vector.bitcast %[[SCALEBYTES]] : vector<4xi8> to vector<1xf32>
// CHECK:   %[[SCALE:.*]] = vector.extract %[[SCALEV]][0] : f32 from vector<1xf32>
// CHECK:   %[[SCALES:.*]] = vector.broadcast %[[SCALE]] : f32 to vector<16xf32>
// CHECK:   %[[SCORED:.*]] = arith.mulf %{{.*}}, %[[SCALES]] : vector<16xf32>
// CHECK:   vector.store %[[SCORED]]
// CHECK: scf.for
// CHECK:   %[[VSCALE:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// CHECK:   %[[W:.*]] = memref.load
// CHECK:   arith.mulf %[[W]], %[[VSCALE]] : f32
// CHECK: arith.extf %{{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK-NOT: call @tfm_attention(
// CHECK: return
func.func @decode_q8_bf16(%q: memref<1x64xf32>, %k8: memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, %kb: memref<2x?x16xbf16, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x64xf32>) {
  tfm.flash_attention %q, %k8, %k8 at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>
  tfm.flash_attention %q, %kb, %kb at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xbf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xbf16, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>
  return
}

// -----

// A soft cap (Gemma 2) caps each vector of 16 scores before the softmax:
// 50 x tanh(score x 0.25 / 50), the tanh a polynomial after
// tfm-approximate-math.
// CHECK-LABEL: func.func @decode_soft_cap
// CHECK-DAG: %[[CAP:.*]] = arith.constant dense<5.000000e+01> : vector<16xf32>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<5.000000e-03> : vector<16xf32>
// CHECK-NOT: call @tfm_attention
// CHECK: %[[SCALED:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : vector<16xf32>
// CHECK: %[[TANH:.*]] = math.tanh %[[SCALED]] : vector<16xf32>
// CHECK: %[[CAPPED:.*]] = arith.mulf %[[TANH]], %[[CAP]] : vector<16xf32>
// CHECK: arith.select %{{.*}}, %[[CAPPED]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-COUNT-3: math.tanh
// CHECK: vector.reduction <maximumf>
// CHECK-NOT: call @tfm_attention
// CHECK: return
// KERNEL-LABEL: func.func @decode_soft_cap
// KERNEL: call @tfm_attention(
func.func @decode_soft_cap(%q: memref<1x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x64xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64, soft_cap = 5.0e+01 : f64} : memref<1x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>
  return
}

// -----

// A query norm (Qwen 3, Gemma 3) normalizes each query head before its
// rotation: the squares of its two chunks summed in lanes and then across
// them, 1 / sqrt(sum / 32 + eps), each chunk times that and the weight's
// chunk; the normalized chunks are what the rope rotates.
// CHECK-LABEL: func.func @decode_query_norm
// CHECK-SAME: %[[Q:[a-z0-9]+]]: memref<1x128xf32>
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<32xf32>
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[DIM:.*]] = arith.constant 3.200000e+01 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NOT: call @tfm_attention
// CHECK: %[[LOW:.*]] = vector.load %[[Q]]
// CHECK: %[[HIGH:.*]] = vector.load %[[Q]]
// CHECK: %[[SQ:.*]] = arith.mulf %[[LOW]], %[[LOW]] : vector<16xf32>
// CHECK: %[[SQ2:.*]] = vector.fma %[[HIGH]], %[[HIGH]], %[[SQ]] : vector<16xf32>
// CHECK: %[[SUM:.*]] = vector.reduction <add>, %[[SQ2]] : vector<16xf32> into f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUM]], %[[DIM]] : f32
// CHECK: %[[SHIFTED:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[ROOT:.*]] = math.sqrt %[[SHIFTED]] : f32
// CHECK: %[[INV:.*]] = arith.divf %[[ONE]], %[[ROOT]] : f32
// CHECK: %[[INVS:.*]] = vector.broadcast %[[INV]] : f32 to vector<16xf32>
// CHECK: %[[WLOW:.*]] = vector.load %[[W]][%c0] : memref<32xf32>, vector<16xf32>
// CHECK: %[[SLOW:.*]] = arith.mulf %[[LOW]], %[[INVS]] : vector<16xf32>
// CHECK: %[[NLOW:.*]] = arith.mulf %[[SLOW]], %[[WLOW]] : vector<16xf32>
// CHECK: %[[WHIGH:.*]] = vector.load %[[W]][%c16] : memref<32xf32>, vector<16xf32>
// CHECK: %[[SHIGH:.*]] = arith.mulf %[[HIGH]], %[[INVS]] : vector<16xf32>
// CHECK: %[[NHIGH:.*]] = arith.mulf %[[SHIGH]], %[[WHIGH]] : vector<16xf32>
// CHECK: arith.mulf %[[NLOW]], %{{.*}} : vector<16xf32>
// CHECK: arith.mulf %[[NHIGH]], %{{.*}} : vector<16xf32>
// CHECK-NOT: call @tfm_attention
// CHECK: return
// KERNEL-LABEL: func.func @decode_query_norm
// KERNEL: call @tfm_attention(
func.func @decode_query_norm(%q: memref<1x128xf32>, %k: memref<2x?x32xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x128xf32>, %cos: memref<1x16xf32>, %sin: memref<1x16xf32>, %w: memref<32xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out rope(%cos, %sin : memref<1x16xf32>, memref<1x16xf32>) query_norm(%w : memref<32xf32>) {num_heads = 4 : i64, scale = 0.25 : f64, norm_eps = 1.0e-06 : f64, rope = #tfm.rope<rotary_dim = 32, theta = 1.000000e+06 : f64, pairing = half_split>} : memref<1x128xf32>, memref<2x?x32xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x32xf32, strided<[?, ?, 1], offset: ?>>, memref<1x128xf32>
  return
}

// -----

// T5's position bias: each 16 keys' scaled scores gain their head's bias
// row gathered at 16 + clamp(key - query position, -16, 16), the keys the
// block's first position plus the lanes 0..15, 16..31, ...; lanes past
// the block's keys gather nothing.
// CHECK-LABEL: func.func @decode_position_bias
// CHECK-SAME: %[[START:[a-z0-9]+]]: index
// CHECK-SAME: %[[BIAS:[a-z0-9]+]]: memref<4x33xf32>
// CHECK-DAG: %[[LANES:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : vector<16xi32>
// CHECK-DAG: %[[HIGHEST:.*]] = arith.constant dense<16> : vector<16xi32>
// CHECK-DAG: %[[LOWEST:.*]] = arith.constant dense<-16> : vector<16xi32>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<2.500000e-01> : vector<16xf32>
// CHECK-NOT: call @tfm_attention
// CHECK: %[[OFFSET:.*]] = arith.subi %{{.*}}, %[[START]] : index
// CHECK: %[[OFFSET32:.*]] = arith.index_cast %[[OFFSET]] : index to i32
// CHECK: %[[OFFSETS:.*]] = vector.broadcast %[[OFFSET32]] : i32 to vector<16xi32>
// CHECK: %[[RELATIVE:.*]] = arith.addi %[[OFFSETS]], %[[LANES]] : vector<16xi32>
// CHECK: %[[BELOW:.*]] = arith.minsi %[[RELATIVE]], %[[HIGHEST]] : vector<16xi32>
// CHECK: %[[CLAMPED:.*]] = arith.maxsi %[[BELOW]], %[[LOWEST]] : vector<16xi32>
// CHECK: %[[COLUMNS:.*]] = arith.addi %[[CLAMPED]], %[[HIGHEST]] : vector<16xi32>
// CHECK: %[[GATHERED:.*]] = vector.gather %[[BIAS]][%{{.*}}, %c0] [%[[COLUMNS]]], %[[MASK:.*]], %{{.*}} : memref<4x33xf32>, vector<16xi32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-COUNT-3: vector.gather %[[BIAS]]
// CHECK: %[[SCALED:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : vector<16xf32>
// CHECK: %[[BIASED:.*]] = arith.addf %[[SCALED]], %[[GATHERED]] : vector<16xf32>
// CHECK: arith.select %[[MASK]], %[[BIASED]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NOT: call @tfm_attention
// CHECK: return
// KERNEL-LABEL: func.func @decode_position_bias
// KERNEL: call @tfm_attention(
func.func @decode_position_bias(%q: memref<1x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x64xf32>, %bias: memref<4x33xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out position_bias(%bias at %start : memref<4x33xf32>) {num_heads = 4 : i64, scale = 0.25 : f64, max_distance = 16 : i64} : memref<1x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>
  return
}

// -----

// Not generated: a prefill (a dynamic query count) calls the kernel.
// CHECK-LABEL: func.func @kernels
// CHECK-NOT: vector.create_mask
// CHECK: call @tfm_attention(
// CHECK-NOT: vector.create_mask
// CHECK: return
func.func @kernels(%qp: memref<?x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %outp: memref<?x64xf32>) {
  tfm.flash_attention %qp, %k, %k at %start -> %outp {num_heads = 4 : i64, scale = 0.25 : f64} : memref<?x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}
