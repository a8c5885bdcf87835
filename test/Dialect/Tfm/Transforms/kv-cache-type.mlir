// RUN: tfm-opt %s --tfm-kv-cache-type=type=q8 | FileCheck %s
// RUN: tfm-opt %s --tfm-kv-cache-type=type=f16 | FileCheck %s --check-prefix=F16
// RUN: tfm-opt %s --tfm-kv-cache-type=type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not tfm-opt %s --tfm-kv-cache-type=type=q4 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: unknown KV-cache type 'q4' (f32, f16, bf16 or q8)

// Every occurrence of the cache type changes: signatures, op results and
// the calls of layer functions.
!cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 4, f32>
// CHECK: !kv_cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 4, i8>
// CHECK-NOT: f32>
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%{{.*}}: !kv_cache, {{.*}}) -> !kv_cache
// CHECK: tfm.kv_cache.append {{.*}} : !kv_cache
// CHECK: call @layer({{.*}}) : (!kv_cache, {{.*}}) -> !kv_cache
// CHECK: func.func private @layer(%{{.*}}: !kv_cache
// F16: !kv_cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 4, f16>
// BF16: !kv_cache = !tfm.kv_cache<layers = 2, kv_heads = 2, context = 64, head_dim = 4, bf16>
func.func @decode(%c: !cache, %k: tensor<1x8xf32>, %pos: index) -> !cache {
  %0 = tfm.kv_cache.append %c[0], %k, %k at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  %1 = call @layer(%0, %k, %pos) : (!cache, tensor<1x8xf32>, index) -> !cache
  return %1 : !cache
}
func.func private @layer(%c: !cache, %k: tensor<1x8xf32>, %pos: index) -> !cache {
  %0 = tfm.kv_cache.append %c[1], %k, %k at %pos : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %0 : !cache
}
