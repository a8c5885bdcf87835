// RUN: tfm-opt %s --split-input-file --tfm-lower-flash-attention -verify-diagnostics | FileCheck %s
// RUN: tfm-opt %s --split-input-file --tfm-lower-flash-attention="threads=0 query-rows-per-task=32" -verify-diagnostics | FileCheck %s --check-prefix=SERIAL
// RUN: not tfm-opt %s --split-input-file --tfm-lower-flash-attention="query-rows-per-task=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADROWS
// RUN: not tfm-opt %s --split-input-file --tfm-lower-flash-attention="mha-query-rows-per-task=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADMHAROWS
// BADROWS: error: query-rows-per-task must be positive
// BADMHAROWS: error: mha-query-rows-per-task must be positive

// Prefill: one task per KV head (2) and block of 16 query rows, each over
// all keys [0, tokens), writing normalized rows (no partials: null).
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref<?x64xf32>, %[[K:[a-z0-9]+]]: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %{{.*}}, %[[START:[a-z0-9]+]]: index, %[[OUT:[a-z0-9]+]]: memref<?x64xf32>)
// CHECK-DAG: %[[SEQ:.*]] = memref.dim %[[Q]], %c0
// CHECK-DAG: %[[TOKENS:.*]] = memref.dim %[[K]], %c1
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[QTASKS:.*]] = arith.ceildivui %[[SEQ]], %c16
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: scf.forall (%[[HEAD:.*]], %[[BLOCK:.*]]) in (2, %[[QTASKS]])
// CHECK:   %[[BEGIN:.*]] = arith.muli %[[BLOCK]], %c16
// CHECK:   %[[END:.*]] = arith.minui %{{.*}}, %[[SEQ]]
// CHECK:   call @tfm_attention(%c0_i32, {{.*}}, %c2_i64, %c16_i64, %[[SCALE]], {{.*}}, %[[NULL]], %c0_i64{{.*}})
// CHECK-NOT: tfm_attention_combine
// CHECK-NOT: tfm.flash_attention
// CHECK: func.func private @tfm_attention(i32, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, f32, i64, i64, i64, i64, i64, i64, !llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, !llvm.ptr, i64, i32, i64, f32, !llvm.ptr, i64, i64, !llvm.ptr, f32, i64)
// CHECK: func.func private @tfm_attention_combine(!llvm.ptr, i64, i64, i64, i64, i64, !llvm.ptr, i64)

// SERIAL-LABEL: func.func @prefill
// SERIAL-NOT: scf.forall
// SERIAL: arith.ceildivui %{{.*}}, %c32
// SERIAL: scf.for
// SERIAL: scf.for
// SERIAL: call @tfm_attention
func.func @prefill(%q: memref<?x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %v: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<?x64xf32>) {
  tfm.flash_attention %q, %k, %v at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<?x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}

// -----

// MHA (as many KV heads as query heads): prompts of 256 rows or more take
// tasks of mha-query-rows-per-task rows (32), so that a converted block of
// keys serves 32 queries; shorter ones query-rows-per-task's.
// CHECK-LABEL: func.func @prefill_mha
// CHECK: %[[SEQ:.*]] = memref.dim
// CHECK: %[[LONG:.*]] = arith.cmpi uge, %[[SEQ]], %c256
// CHECK: %[[ROWS:.*]] = arith.select %[[LONG]], %c32, %c16
// CHECK: %[[QTASKS:.*]] = arith.ceildivui %[[SEQ]], %[[ROWS]]
// CHECK: scf.forall (%{{.*}}, %[[BLOCK:.*]]) in (4, %[[QTASKS]])
// CHECK:   arith.muli %[[BLOCK]], %[[ROWS]]
// CHECK:   call @tfm_attention(%c0_i32, {{.*}}, %c1_i64, %c16_i64,
// SERIAL-LABEL: func.func @prefill_mha
// SERIAL: arith.select {{.*}} : index
func.func @prefill_mha(%q: memref<?x64xf32>, %k: memref<4x?x16xf32, strided<[?, ?, 1], offset: ?>>, %v: memref<4x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<?x64xf32>) {
  tfm.flash_attention %q, %k, %v at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<?x64xf32>, memref<4x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<4x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}

// -----

// Decode (flash-decoding): one task per KV head and quarter of the keys,
// each writing its partial sums at split * (1 x 4 x 18) floats into the
// partials, then one combining call. q8 rows: element 2, byte strides.
// CHECK-LABEL: func.func @decode_q8
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<1x64xf32>, %[[P:[a-z0-9]+]]: memref<288xf32>
// CHECK: %[[TOKENS:.*]] = memref.dim %[[K]], %c1
// CHECK: %[[RANGE:.*]] = arith.subi %[[TOKENS]], %c0
// CHECK: %[[CHUNK:.*]] = arith.ceildivui %[[RANGE]], %c4
// CHECK: %[[PADDR:.*]] = memref.extract_aligned_pointer_as_index %[[P]]
// CHECK: scf.forall (%[[HEAD:.*]], %[[SPLIT:.*]]) in (2, 4)
// CHECK:   %[[OFFSET:.*]] = arith.muli %[[SPLIT]], %[[CHUNK]]
// CHECK:   %[[FIRST:.*]] = arith.addi %c0{{.*}}, %[[OFFSET]]
// CHECK:   %[[BEGIN:.*]] = arith.minui %[[FIRST]], %[[TOKENS]]
// CHECK:   call @tfm_attention(%c2_i32,
// CHECK: call @tfm_attention_combine(%{{.*}}, %c4_i64, %{{.*}}, %{{.*}}, %c4_i64{{.*}}, %c16_i64{{.*}}, %{{.*}}, %{{.*}})
func.func @decode_q8(%q: memref<1x64xf32>, %k: memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, %v: memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x64xf32>, %p: memref<288xf32>) {
  tfm.flash_attention %q, %k, %v at %start -> %out partials %p {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 4 : i64} : memref<1x64xf32>, memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, memref<2x?x20xi8, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>, memref<288xf32>
  return
}

// -----

// bf16 rows: element 3 (TFM_KV_BF16), 2-byte strides.
// CHECK-LABEL: func.func @decode_bf16
// CHECK: call @tfm_attention(%c3_i32,
func.func @decode_bf16(%q: memref<1x64xf32>, %k: memref<2x?x16xbf16, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x64xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xbf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xbf16, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>
  return
}

// -----

// A fused rope: the kernel gets the cos/sin tables of the query rows, their
// row stride and the pairing (1: half-split).
// CHECK-LABEL: func.func @rope
// CHECK-SAME: %[[COS:[a-z0-9]+]]: memref<?x8xf32>, %[[SIN:[a-z0-9]+]]: memref<?x8xf32>)
// CHECK-DAG: %[[COSADDR:.*]] = memref.extract_aligned_pointer_as_index %[[COS]]
// CHECK-DAG: %[[SINADDR:.*]] = memref.extract_aligned_pointer_as_index %[[SIN]]
// CHECK: scf.forall
// CHECK: call @tfm_attention({{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c1_i32, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) :
func.func @rope(%q: memref<?x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<?x64xf32>, %cos: memref<?x8xf32>, %sin: memref<?x8xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out rope(%cos, %sin : memref<?x8xf32>, memref<?x8xf32>) {num_heads = 4 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.000000e+04 : f64, pairing = half_split>} : memref<?x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}

// -----

// The kernel reads rows through pointers: a buffer whose rows are not
// contiguous is rejected.
func.func @strided_rows(%q: memref<1x64xf32, strided<[128, 2]>>, %k: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<1x64xf32>) {
  // expected-error @+1 {{needs buffers whose rows are contiguous, got 'memref<1x64xf32, strided<[128, 2]>>'}}
  tfm.flash_attention %q, %k, %k at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32, strided<[128, 2]>>, memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>
  return
}

// -----

// Gemma's sliding window and score soft cap come before the position
// bias and the q norm (null: none).
// CHECK-LABEL: func.func @window_soft_cap
// CHECK-DAG: %[[CAP:.*]] = arith.constant 5.000000e+01 : f32
// CHECK-DAG: %[[WINDOW:.*]] = arith.constant 8 : i64
// CHECK: call @tfm_attention({{.*}}, %[[WINDOW]], %[[CAP]], %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}) :
func.func @window_soft_cap(%q: memref<?x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %v: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<?x64xf32>) {
  tfm.flash_attention %q, %k, %v at %start -> %out {num_heads = 4 : i64, scale = 0.25 : f64, window = 8 : i64, soft_cap = 50.0 : f64} : memref<?x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}

// -----

// T5's position bias: its buffer's address, the first query's position and
// the distance where it saturates come before the q norm.
// CHECK-LABEL: func.func @position_bias
// CHECK-SAME: %[[QSTART:[a-z0-9]+]]: index, %[[BIAS:[a-z0-9]+]]: memref<4x33xf32>)
// CHECK: %[[BIASADDR:.*]] = memref.extract_aligned_pointer_as_index %[[BIAS]]
// CHECK: %[[BIASINT:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[BIASPTR:.*]] = llvm.inttoptr %[[BIASINT]] : i64 to !llvm.ptr
// CHECK: %[[QSTART64:.*]] = arith.index_cast %[[QSTART]] : index to i64
// CHECK: call @tfm_attention({{.*}}, %[[BIASPTR]], %[[QSTART64]], %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}) :
func.func @position_bias(%q: memref<?x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<?x64xf32>, %qstart: index, %bias: memref<4x33xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out position_bias(%bias at %qstart : memref<4x33xf32>) {num_heads = 4 : i64, scale = 1.0 : f64, max_distance = 16 : i64} : memref<?x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}

// -----

// Qwen 3's q norm: the weight's address and the epsilon are the last two
// arguments.
// CHECK-LABEL: func.func @query_norm
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<16xf32>)
// CHECK: %[[WADDR:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[WINT:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[WPTR:.*]] = llvm.inttoptr %[[WINT]] : i64 to !llvm.ptr
// CHECK: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK: call @tfm_attention({{.*}}, %[[WPTR]], %[[EPS]], %{{[^,]*}}) :
func.func @query_norm(%q: memref<?x64xf32>, %k: memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, %start: index, %out: memref<?x64xf32>, %w: memref<16xf32>) {
  tfm.flash_attention %q, %k, %k at %start -> %out query_norm(%w : memref<16xf32>) {num_heads = 4 : i64, scale = 1.0 : f64, norm_eps = 1.0e-06 : f64} : memref<?x64xf32>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf32, strided<[?, ?, 1], offset: ?>>, memref<?x64xf32>
  return
}

// -----

// A ring cache (the sliding layers' cache of a long context): the views
// hold all its rows, whose count is the kernel's last argument, and the
// positions written bound the keys. The decode's key ranges divide the
// first query's window, not every position.
// CHECK-LABEL: func.func @ring
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %{{[a-z0-9]+}}: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %[[START:[a-z0-9]+]]: index, %[[TOKENS:[a-z0-9]+]]: index
// CHECK: %[[ROWS:.*]] = memref.dim %[[K]], %c1
// CHECK: %[[ROWS64:.*]] = arith.index_cast %[[ROWS]] : index to i64
// CHECK: %[[REACH:.*]] = arith.addi %{{.*}}, %[[START]]
// CHECK: %[[PAST:.*]] = arith.cmpi ugt, %[[REACH]], %c8
// CHECK: %[[AFTER:.*]] = arith.subi %[[REACH]], %c8
// CHECK: %[[FIRST:.*]] = arith.select %[[PAST]], %[[AFTER]], %{{.*}}
// CHECK: %[[RANGE:.*]] = arith.subi %[[TOKENS]], %[[FIRST]]
// CHECK: %[[CHUNK:.*]] = arith.ceildivui %[[RANGE]], %c4
// CHECK: scf.forall
// CHECK:   %[[OFFSET:.*]] = arith.muli %{{.*}}, %[[CHUNK]]
// CHECK:   %[[BEGIN:.*]] = arith.addi %[[FIRST]], %[[OFFSET]]
// CHECK:   arith.minui %[[BEGIN]], %[[TOKENS]]
// CHECK:   call @tfm_attention({{.*}}, %[[ROWS64]]) :
// CHECK: call @tfm_attention_combine
func.func @ring(%q: memref<1x64xf32>, %k: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %v: memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, %start: index, %tokens: index, %out: memref<1x64xf32>, %p: memref<1152xf32>) {
  tfm.flash_attention %q, %k, %v at %start ring %tokens -> %out partials %p {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 4 : i64, window = 8 : i64} : memref<1x64xf32>, memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x16xf16, strided<[?, ?, 1], offset: ?>>, memref<1x64xf32>, memref<1152xf32>
  return
}
