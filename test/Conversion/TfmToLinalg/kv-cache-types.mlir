// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg=flash-attention=0 | FileCheck %s
// RUN: tfm-opt %s --split-input-file --convert-tfm-to-linalg | FileCheck %s --check-prefix=FLASH

// An f16 cache: keys and values are truncated as they are appended and
// extended inside the attention kernels.
!f16cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, f16>
// CHECK-LABEL: func.func @f16_cache
// CHECK-SAME: %{{.*}}: tensor<1x2x2x?x4xf16> {tfm.kv_cache}
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: tensor.insert_slice {{.*}} : tensor<2x?x4xf16> into tensor<1x2x2x?x4xf16>
// CHECK: tfm.kernel = "attention_scores"
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: tfm.kernel = "attention_values"
// The fused kernel reads the f16 rows themselves.
// FLASH-LABEL: func.func @f16_cache
// FLASH: tfm.flash_attention {{.*}} : memref<?x16xf32, strided<[?, 1], offset: ?>>, memref<2x?x4xf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x4xf16, strided<[?, ?, 1], offset: ?>>, memref<?x16xf32>
func.func @f16_cache(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %pos: index, %c: !f16cache) -> (tensor<?x16xf32>, !f16cache) {
  %0 = tfm.kv_cache.append %c[0], %k, %v at %pos : !f16cache, tensor<?x8xf32>, tensor<?x8xf32>
  %1 = tfm.kv_cache.attention %q, %0[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !f16cache -> tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, !f16cache
}

// -----

// A bf16 cache: appended values are rounded to nearest even in integer
// arithmetic (x86 without AVX512-BF16 has no instruction for it) and
// widened back by a shift.
!bf16cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, bf16>
// CHECK-LABEL: func.func @bf16_cache
// CHECK-SAME: %{{.*}}: tensor<1x2x2x?x4xbf16> {tfm.kv_cache}
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.andi
// CHECK: arith.addi
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i16
// CHECK: arith.bitcast %{{.*}} : i16 to bf16
// CHECK: tensor.insert_slice {{.*}} : tensor<2x?x4xbf16> into tensor<1x2x2x?x4xbf16>
// CHECK: tfm.kernel = "attention_scores"
// CHECK: arith.bitcast %{{.*}} : bf16 to i16
// CHECK: arith.extui %{{.*}} : i16 to i32
// CHECK: arith.shli
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: tfm.kernel = "attention_values"
// FLASH-LABEL: func.func @bf16_cache
// FLASH: tfm.flash_attention {{.*}} : memref<?x16xf32, strided<[?, 1], offset: ?>>, memref<2x?x4xbf16, strided<[?, ?, 1], offset: ?>>, memref<2x?x4xbf16, strided<[?, ?, 1], offset: ?>>, memref<?x16xf32>
func.func @bf16_cache(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %pos: index, %c: !bf16cache) -> (tensor<?x16xf32>, !bf16cache) {
  %0 = tfm.kv_cache.append %c[0], %k, %v at %pos : !bf16cache, tensor<?x8xf32>, tensor<?x8xf32>
  %1 = tfm.kv_cache.attention %q, %0[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !bf16cache -> tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, !bf16cache
}

// -----

// A q8 cache: rows of head_dim int8 values and 4 bytes of f32 scale per
// token and head. Append quantizes each row against its largest magnitude
// and stores the scale's bytes after it; attention reads the int8 values
// and the scale and converts in the kernel (no f32 copy of the cache).
!q8cache = !tfm.kv_cache<layers = 1, kv_heads = 2, context = 64, head_dim = 4, i8>
// CHECK-LABEL: func.func @q8_cache
// CHECK-SAME: %{{.*}}: tensor<1x2x2x?x8xi8> {tfm.kv_cache}
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %{{.*}}, 0] [1, 1, 2, %{{.*}}, 4]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %{{.*}}, 4] [1, 1, 2, %{{.*}}, 4]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0, 4] [1, 1, 2, %{{.*}}, 4] {{.*}} to tensor<2x?x4xi8>
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2x4xf32>, tensor<2x?x4xi8>, tensor<2x?xf32>) {{.*}} {tfm.kernel = "attention_scores"}
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: tfm.kernel = "attention_values"
// The fused kernel reads whole q8 rows: 4 int8 values, then the scale.
// FLASH-LABEL: func.func @q8_cache
// FLASH-NOT: arith.shli
// FLASH: tfm.flash_attention {{.*}} : memref<?x16xf32, strided<[?, 1], offset: ?>>, memref<2x?x8xi8, strided<[?, ?, 1], offset: ?>>, memref<2x?x8xi8, strided<[?, ?, 1], offset: ?>>, memref<?x16xf32>
func.func @q8_cache(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>, %pos: index, %c: !q8cache) -> (tensor<?x16xf32>, !q8cache) {
  %0 = tfm.kv_cache.append %c[0], %k, %v at %pos : !q8cache, tensor<?x8xf32>, tensor<?x8xf32>
  %1 = tfm.kv_cache.attention %q, %0[0] at %pos {num_heads = 4 : i64, scale = 0.5 : f64} : tensor<?x16xf32>, !q8cache -> tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, !q8cache
}
