// A Llama decoder with the shape of stories260K (the default demo model),
// written by: tfm-build-model --arch=llama
// test/Examples/llama-tiny.test checks that it is still what the builder emits.
!kv_cache = !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>
!kv_cache1 = !tfm.kv_cache<layers = ?, kv_heads = 4, context = 512, head_dim = 8, f32>
module attributes {tfm.config = {activation = "silu", arch = "llama", context_length = 512 : i64, dim = 64 : i64, head_dim = 8 : i64, hidden_dim = 172 : i64, kv_cache_type = "f32", norm = "rms_norm", norm_eps = 1.000000e-05 : f64, num_heads = 8 : i64, num_kv_heads = 4 : i64, num_layers = 5 : i64, positions = "rope", rope_theta = 1.000000e+04 : f64, rotary_dim = 8 : i64, tied_embeddings = false, vocab_size = 512 : i64, weight_type = "f32"}} {
  func.func @prefill(%arg0: tensor<?xi32>, %arg1: index, %arg2: !kv_cache) -> (tensor<?x512xf32>, !kv_cache) {
    %0 = tfm.param "token_embd.weight" : tensor<512x64xf32>
    %1 = tfm.embedding %0[%arg0] : (tensor<512x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
    %2 = tfm.param "blk.0.attn_norm.weight" : tensor<64xf32>
    %3 = tfm.rms_norm %1, %2 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %4 = tfm.param "blk.0.attn_q.weight" : tensor<64x64xf32>
    %5 = tfm.linear %3, %4 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %6 = tfm.param "blk.0.attn_k.weight" : tensor<32x64xf32>
    %7 = tfm.linear %3, %6 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %8 = tfm.param "blk.0.attn_v.weight" : tensor<32x64xf32>
    %9 = tfm.linear %3, %8 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %10 = tfm.rope %5 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>
    %11 = tfm.rope %7 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x32xf32>
    %12 = tfm.kv_cache.append %arg2[0], %11, %9 at %arg1 : !kv_cache, tensor<?x32xf32>, tensor<?x32xf32>
    %13 = tfm.kv_cache.attention %10, %12[0] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<?x64xf32>, !kv_cache -> tensor<?x64xf32>
    %14 = tfm.param "blk.0.attn_output.weight" : tensor<64x64xf32>
    %15 = tfm.linear %13, %14 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %16 = tfm.add %1, %15 : tensor<?x64xf32>
    %17 = tfm.param "blk.0.ffn_norm.weight" : tensor<64xf32>
    %18 = tfm.rms_norm %16, %17 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %19 = tfm.param "blk.0.ffn_gate.weight" : tensor<172x64xf32>
    %20 = tfm.linear %18, %19 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %21 = tfm.param "blk.0.ffn_up.weight" : tensor<172x64xf32>
    %22 = tfm.linear %18, %21 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %23 = tfm.gated_activation silu %20, %22 : tensor<?x172xf32>
    %24 = tfm.param "blk.0.ffn_down.weight" : tensor<64x172xf32>
    %25 = tfm.linear %23, %24 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %26 = tfm.add %16, %25 : tensor<?x64xf32>
    %27 = tfm.param "blk.1.attn_norm.weight" : tensor<64xf32>
    %28 = tfm.rms_norm %26, %27 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %29 = tfm.param "blk.1.attn_q.weight" : tensor<64x64xf32>
    %30 = tfm.linear %28, %29 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %31 = tfm.param "blk.1.attn_k.weight" : tensor<32x64xf32>
    %32 = tfm.linear %28, %31 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %33 = tfm.param "blk.1.attn_v.weight" : tensor<32x64xf32>
    %34 = tfm.linear %28, %33 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %35 = tfm.rope %30 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>
    %36 = tfm.rope %32 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x32xf32>
    %37 = tfm.kv_cache.append %12[1], %36, %34 at %arg1 : !kv_cache, tensor<?x32xf32>, tensor<?x32xf32>
    %38 = tfm.kv_cache.attention %35, %37[1] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<?x64xf32>, !kv_cache -> tensor<?x64xf32>
    %39 = tfm.param "blk.1.attn_output.weight" : tensor<64x64xf32>
    %40 = tfm.linear %38, %39 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %41 = tfm.add %26, %40 : tensor<?x64xf32>
    %42 = tfm.param "blk.1.ffn_norm.weight" : tensor<64xf32>
    %43 = tfm.rms_norm %41, %42 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %44 = tfm.param "blk.1.ffn_gate.weight" : tensor<172x64xf32>
    %45 = tfm.linear %43, %44 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %46 = tfm.param "blk.1.ffn_up.weight" : tensor<172x64xf32>
    %47 = tfm.linear %43, %46 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %48 = tfm.gated_activation silu %45, %47 : tensor<?x172xf32>
    %49 = tfm.param "blk.1.ffn_down.weight" : tensor<64x172xf32>
    %50 = tfm.linear %48, %49 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %51 = tfm.add %41, %50 : tensor<?x64xf32>
    %52 = tfm.param "blk.2.attn_norm.weight" : tensor<64xf32>
    %53 = tfm.rms_norm %51, %52 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %54 = tfm.param "blk.2.attn_q.weight" : tensor<64x64xf32>
    %55 = tfm.linear %53, %54 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %56 = tfm.param "blk.2.attn_k.weight" : tensor<32x64xf32>
    %57 = tfm.linear %53, %56 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %58 = tfm.param "blk.2.attn_v.weight" : tensor<32x64xf32>
    %59 = tfm.linear %53, %58 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %60 = tfm.rope %55 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>
    %61 = tfm.rope %57 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x32xf32>
    %62 = tfm.kv_cache.append %37[2], %61, %59 at %arg1 : !kv_cache, tensor<?x32xf32>, tensor<?x32xf32>
    %63 = tfm.kv_cache.attention %60, %62[2] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<?x64xf32>, !kv_cache -> tensor<?x64xf32>
    %64 = tfm.param "blk.2.attn_output.weight" : tensor<64x64xf32>
    %65 = tfm.linear %63, %64 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %66 = tfm.add %51, %65 : tensor<?x64xf32>
    %67 = tfm.param "blk.2.ffn_norm.weight" : tensor<64xf32>
    %68 = tfm.rms_norm %66, %67 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %69 = tfm.param "blk.2.ffn_gate.weight" : tensor<172x64xf32>
    %70 = tfm.linear %68, %69 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %71 = tfm.param "blk.2.ffn_up.weight" : tensor<172x64xf32>
    %72 = tfm.linear %68, %71 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %73 = tfm.gated_activation silu %70, %72 : tensor<?x172xf32>
    %74 = tfm.param "blk.2.ffn_down.weight" : tensor<64x172xf32>
    %75 = tfm.linear %73, %74 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %76 = tfm.add %66, %75 : tensor<?x64xf32>
    %77 = tfm.param "blk.3.attn_norm.weight" : tensor<64xf32>
    %78 = tfm.rms_norm %76, %77 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %79 = tfm.param "blk.3.attn_q.weight" : tensor<64x64xf32>
    %80 = tfm.linear %78, %79 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %81 = tfm.param "blk.3.attn_k.weight" : tensor<32x64xf32>
    %82 = tfm.linear %78, %81 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %83 = tfm.param "blk.3.attn_v.weight" : tensor<32x64xf32>
    %84 = tfm.linear %78, %83 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %85 = tfm.rope %80 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>
    %86 = tfm.rope %82 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x32xf32>
    %87 = tfm.kv_cache.append %62[3], %86, %84 at %arg1 : !kv_cache, tensor<?x32xf32>, tensor<?x32xf32>
    %88 = tfm.kv_cache.attention %85, %87[3] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<?x64xf32>, !kv_cache -> tensor<?x64xf32>
    %89 = tfm.param "blk.3.attn_output.weight" : tensor<64x64xf32>
    %90 = tfm.linear %88, %89 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %91 = tfm.add %76, %90 : tensor<?x64xf32>
    %92 = tfm.param "blk.3.ffn_norm.weight" : tensor<64xf32>
    %93 = tfm.rms_norm %91, %92 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %94 = tfm.param "blk.3.ffn_gate.weight" : tensor<172x64xf32>
    %95 = tfm.linear %93, %94 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %96 = tfm.param "blk.3.ffn_up.weight" : tensor<172x64xf32>
    %97 = tfm.linear %93, %96 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %98 = tfm.gated_activation silu %95, %97 : tensor<?x172xf32>
    %99 = tfm.param "blk.3.ffn_down.weight" : tensor<64x172xf32>
    %100 = tfm.linear %98, %99 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %101 = tfm.add %91, %100 : tensor<?x64xf32>
    %102 = tfm.param "blk.4.attn_norm.weight" : tensor<64xf32>
    %103 = tfm.rms_norm %101, %102 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %104 = tfm.param "blk.4.attn_q.weight" : tensor<64x64xf32>
    %105 = tfm.linear %103, %104 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %106 = tfm.param "blk.4.attn_k.weight" : tensor<32x64xf32>
    %107 = tfm.linear %103, %106 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %108 = tfm.param "blk.4.attn_v.weight" : tensor<32x64xf32>
    %109 = tfm.linear %103, %108 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %110 = tfm.rope %105 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>
    %111 = tfm.rope %107 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<?x32xf32>
    %112 = tfm.kv_cache.append %87[4], %111, %109 at %arg1 : !kv_cache, tensor<?x32xf32>, tensor<?x32xf32>
    %113 = tfm.kv_cache.attention %110, %112[4] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<?x64xf32>, !kv_cache -> tensor<?x64xf32>
    %114 = tfm.param "blk.4.attn_output.weight" : tensor<64x64xf32>
    %115 = tfm.linear %113, %114 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %116 = tfm.add %101, %115 : tensor<?x64xf32>
    %117 = tfm.param "blk.4.ffn_norm.weight" : tensor<64xf32>
    %118 = tfm.rms_norm %116, %117 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %119 = tfm.param "blk.4.ffn_gate.weight" : tensor<172x64xf32>
    %120 = tfm.linear %118, %119 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %121 = tfm.param "blk.4.ffn_up.weight" : tensor<172x64xf32>
    %122 = tfm.linear %118, %121 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %123 = tfm.gated_activation silu %120, %122 : tensor<?x172xf32>
    %124 = tfm.param "blk.4.ffn_down.weight" : tensor<64x172xf32>
    %125 = tfm.linear %123, %124 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %126 = tfm.add %116, %125 : tensor<?x64xf32>
    %127 = tfm.param "output_norm.weight" : tensor<64xf32>
    %128 = tfm.rms_norm %126, %127 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %129 = tfm.param "output.weight" : tensor<512x64xf32>
    %130 = tfm.logits %128, %129 : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
    return %130, %112 : tensor<?x512xf32>, !kv_cache
  }
  func.func @decode(%arg0: tensor<1xi32>, %arg1: index, %arg2: !kv_cache) -> (tensor<1x512xf32>, !kv_cache) {
    %0 = tfm.param "token_embd.weight" : tensor<512x64xf32>
    %1 = tfm.embedding %0[%arg0] : (tensor<512x64xf32>, tensor<1xi32>) -> tensor<1x64xf32>
    %2 = tfm.param "blk.0.attn_norm.weight" : tensor<64xf32>
    %3 = tfm.rms_norm %1, %2 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %4 = tfm.param "blk.0.attn_q.weight" : tensor<64x64xf32>
    %5 = tfm.linear %3, %4 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %6 = tfm.param "blk.0.attn_k.weight" : tensor<32x64xf32>
    %7 = tfm.linear %3, %6 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %8 = tfm.param "blk.0.attn_v.weight" : tensor<32x64xf32>
    %9 = tfm.linear %3, %8 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %10 = tfm.rope %5 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
    %11 = tfm.rope %7 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
    %12 = tfm.kv_cache.append %arg2[0], %11, %9 at %arg1 : !kv_cache, tensor<1x32xf32>, tensor<1x32xf32>
    %13 = tfm.kv_cache.attention %10, %12[0] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache -> tensor<1x64xf32>
    %14 = tfm.param "blk.0.attn_output.weight" : tensor<64x64xf32>
    %15 = tfm.linear %13, %14 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %16 = tfm.add %1, %15 : tensor<1x64xf32>
    %17 = tfm.param "blk.0.ffn_norm.weight" : tensor<64xf32>
    %18 = tfm.rms_norm %16, %17 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %19 = tfm.param "blk.0.ffn_gate.weight" : tensor<172x64xf32>
    %20 = tfm.linear %18, %19 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %21 = tfm.param "blk.0.ffn_up.weight" : tensor<172x64xf32>
    %22 = tfm.linear %18, %21 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %23 = tfm.gated_activation silu %20, %22 : tensor<1x172xf32>
    %24 = tfm.param "blk.0.ffn_down.weight" : tensor<64x172xf32>
    %25 = tfm.linear %23, %24 : (tensor<1x172xf32>, tensor<64x172xf32>) -> tensor<1x64xf32>
    %26 = tfm.add %16, %25 : tensor<1x64xf32>
    %27 = tfm.param "blk.1.attn_norm.weight" : tensor<64xf32>
    %28 = tfm.rms_norm %26, %27 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %29 = tfm.param "blk.1.attn_q.weight" : tensor<64x64xf32>
    %30 = tfm.linear %28, %29 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %31 = tfm.param "blk.1.attn_k.weight" : tensor<32x64xf32>
    %32 = tfm.linear %28, %31 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %33 = tfm.param "blk.1.attn_v.weight" : tensor<32x64xf32>
    %34 = tfm.linear %28, %33 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %35 = tfm.rope %30 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
    %36 = tfm.rope %32 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
    %37 = tfm.kv_cache.append %12[1], %36, %34 at %arg1 : !kv_cache, tensor<1x32xf32>, tensor<1x32xf32>
    %38 = tfm.kv_cache.attention %35, %37[1] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache -> tensor<1x64xf32>
    %39 = tfm.param "blk.1.attn_output.weight" : tensor<64x64xf32>
    %40 = tfm.linear %38, %39 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %41 = tfm.add %26, %40 : tensor<1x64xf32>
    %42 = tfm.param "blk.1.ffn_norm.weight" : tensor<64xf32>
    %43 = tfm.rms_norm %41, %42 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %44 = tfm.param "blk.1.ffn_gate.weight" : tensor<172x64xf32>
    %45 = tfm.linear %43, %44 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %46 = tfm.param "blk.1.ffn_up.weight" : tensor<172x64xf32>
    %47 = tfm.linear %43, %46 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %48 = tfm.gated_activation silu %45, %47 : tensor<1x172xf32>
    %49 = tfm.param "blk.1.ffn_down.weight" : tensor<64x172xf32>
    %50 = tfm.linear %48, %49 : (tensor<1x172xf32>, tensor<64x172xf32>) -> tensor<1x64xf32>
    %51 = tfm.add %41, %50 : tensor<1x64xf32>
    %52 = tfm.param "blk.2.attn_norm.weight" : tensor<64xf32>
    %53 = tfm.rms_norm %51, %52 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %54 = tfm.param "blk.2.attn_q.weight" : tensor<64x64xf32>
    %55 = tfm.linear %53, %54 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %56 = tfm.param "blk.2.attn_k.weight" : tensor<32x64xf32>
    %57 = tfm.linear %53, %56 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %58 = tfm.param "blk.2.attn_v.weight" : tensor<32x64xf32>
    %59 = tfm.linear %53, %58 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %60 = tfm.rope %55 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
    %61 = tfm.rope %57 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
    %62 = tfm.kv_cache.append %37[2], %61, %59 at %arg1 : !kv_cache, tensor<1x32xf32>, tensor<1x32xf32>
    %63 = tfm.kv_cache.attention %60, %62[2] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache -> tensor<1x64xf32>
    %64 = tfm.param "blk.2.attn_output.weight" : tensor<64x64xf32>
    %65 = tfm.linear %63, %64 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %66 = tfm.add %51, %65 : tensor<1x64xf32>
    %67 = tfm.param "blk.2.ffn_norm.weight" : tensor<64xf32>
    %68 = tfm.rms_norm %66, %67 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %69 = tfm.param "blk.2.ffn_gate.weight" : tensor<172x64xf32>
    %70 = tfm.linear %68, %69 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %71 = tfm.param "blk.2.ffn_up.weight" : tensor<172x64xf32>
    %72 = tfm.linear %68, %71 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %73 = tfm.gated_activation silu %70, %72 : tensor<1x172xf32>
    %74 = tfm.param "blk.2.ffn_down.weight" : tensor<64x172xf32>
    %75 = tfm.linear %73, %74 : (tensor<1x172xf32>, tensor<64x172xf32>) -> tensor<1x64xf32>
    %76 = tfm.add %66, %75 : tensor<1x64xf32>
    %77 = tfm.param "blk.3.attn_norm.weight" : tensor<64xf32>
    %78 = tfm.rms_norm %76, %77 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %79 = tfm.param "blk.3.attn_q.weight" : tensor<64x64xf32>
    %80 = tfm.linear %78, %79 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %81 = tfm.param "blk.3.attn_k.weight" : tensor<32x64xf32>
    %82 = tfm.linear %78, %81 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %83 = tfm.param "blk.3.attn_v.weight" : tensor<32x64xf32>
    %84 = tfm.linear %78, %83 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %85 = tfm.rope %80 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
    %86 = tfm.rope %82 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
    %87 = tfm.kv_cache.append %62[3], %86, %84 at %arg1 : !kv_cache, tensor<1x32xf32>, tensor<1x32xf32>
    %88 = tfm.kv_cache.attention %85, %87[3] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache -> tensor<1x64xf32>
    %89 = tfm.param "blk.3.attn_output.weight" : tensor<64x64xf32>
    %90 = tfm.linear %88, %89 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %91 = tfm.add %76, %90 : tensor<1x64xf32>
    %92 = tfm.param "blk.3.ffn_norm.weight" : tensor<64xf32>
    %93 = tfm.rms_norm %91, %92 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %94 = tfm.param "blk.3.ffn_gate.weight" : tensor<172x64xf32>
    %95 = tfm.linear %93, %94 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %96 = tfm.param "blk.3.ffn_up.weight" : tensor<172x64xf32>
    %97 = tfm.linear %93, %96 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %98 = tfm.gated_activation silu %95, %97 : tensor<1x172xf32>
    %99 = tfm.param "blk.3.ffn_down.weight" : tensor<64x172xf32>
    %100 = tfm.linear %98, %99 : (tensor<1x172xf32>, tensor<64x172xf32>) -> tensor<1x64xf32>
    %101 = tfm.add %91, %100 : tensor<1x64xf32>
    %102 = tfm.param "blk.4.attn_norm.weight" : tensor<64xf32>
    %103 = tfm.rms_norm %101, %102 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %104 = tfm.param "blk.4.attn_q.weight" : tensor<64x64xf32>
    %105 = tfm.linear %103, %104 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %106 = tfm.param "blk.4.attn_k.weight" : tensor<32x64xf32>
    %107 = tfm.linear %103, %106 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %108 = tfm.param "blk.4.attn_v.weight" : tensor<32x64xf32>
    %109 = tfm.linear %103, %108 : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
    %110 = tfm.rope %105 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
    %111 = tfm.rope %107 at %arg1 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
    %112 = tfm.kv_cache.append %87[4], %111, %109 at %arg1 : !kv_cache, tensor<1x32xf32>, tensor<1x32xf32>
    %113 = tfm.kv_cache.attention %110, %112[4] at %arg1 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache -> tensor<1x64xf32>
    %114 = tfm.param "blk.4.attn_output.weight" : tensor<64x64xf32>
    %115 = tfm.linear %113, %114 : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %116 = tfm.add %101, %115 : tensor<1x64xf32>
    %117 = tfm.param "blk.4.ffn_norm.weight" : tensor<64xf32>
    %118 = tfm.rms_norm %116, %117 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %119 = tfm.param "blk.4.ffn_gate.weight" : tensor<172x64xf32>
    %120 = tfm.linear %118, %119 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %121 = tfm.param "blk.4.ffn_up.weight" : tensor<172x64xf32>
    %122 = tfm.linear %118, %121 : (tensor<1x64xf32>, tensor<172x64xf32>) -> tensor<1x172xf32>
    %123 = tfm.gated_activation silu %120, %122 : tensor<1x172xf32>
    %124 = tfm.param "blk.4.ffn_down.weight" : tensor<64x172xf32>
    %125 = tfm.linear %123, %124 : (tensor<1x172xf32>, tensor<64x172xf32>) -> tensor<1x64xf32>
    %126 = tfm.add %116, %125 : tensor<1x64xf32>
    %127 = tfm.param "output_norm.weight" : tensor<64xf32>
    %128 = tfm.rms_norm %126, %127 {eps = 1.000000e-05 : f64} : tensor<1x64xf32>, tensor<64xf32>
    %129 = tfm.param "output.weight" : tensor<512x64xf32>
    %130 = tfm.logits %128, %129 : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
    return %130, %112 : tensor<1x512xf32>, !kv_cache
  }
  func.func @decode_batch(%arg0: tensor<?xi32>, %arg1: tensor<?xi32>, %arg2: tensor<?xi32>, %arg3: !kv_cache1) -> (tensor<?x512xf32>, !kv_cache1) attributes {tfm.rows_per_token} {
    %0 = tfm.param "token_embd.weight" : tensor<512x64xf32>
    %1 = tfm.embedding %0[%arg0] : (tensor<512x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
    %2 = tfm.param "blk.0.attn_norm.weight" : tensor<64xf32>
    %3 = tfm.rms_norm %1, %2 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %4 = tfm.param "blk.0.attn_q.weight" : tensor<64x64xf32>
    %5 = tfm.linear %3, %4 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %6 = tfm.param "blk.0.attn_k.weight" : tensor<32x64xf32>
    %7 = tfm.linear %3, %6 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %8 = tfm.param "blk.0.attn_v.weight" : tensor<32x64xf32>
    %9 = tfm.linear %3, %8 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c0_0 = arith.constant 0 : index
    %dim = tensor.dim %5, %c0_0 : tensor<?x64xf32>
    %10 = tensor.empty(%dim) : tensor<?x64xf32>
    %11:2 = scf.for %arg4 = %c0 to %dim step %c1 iter_args(%arg5 = %10, %arg6 = %arg3) -> (tensor<?x64xf32>, !kv_cache1) {
      %extracted = tensor.extract %arg1[%arg4] : tensor<?xi32>
      %121 = arith.index_cast %extracted : i32 to index
      %extracted_17 = tensor.extract %arg2[%arg4] : tensor<?xi32>
      %122 = arith.index_cast %extracted_17 : i32 to index
      %c5 = arith.constant 5 : index
      %123 = arith.muli %122, %c5 : index
      %c0_18 = arith.constant 0 : index
      %124 = arith.addi %123, %c0_18 : index
      %extracted_slice = tensor.extract_slice %5[%arg4, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
      %extracted_slice_19 = tensor.extract_slice %7[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %extracted_slice_20 = tensor.extract_slice %9[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %125 = tfm.rope %extracted_slice at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
      %126 = tfm.rope %extracted_slice_19 at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
      %127 = tfm.kv_cache.append %arg6[%124], %126, %extracted_slice_20 at %121 : !kv_cache1, tensor<1x32xf32>, tensor<1x32xf32>
      %128 = tfm.kv_cache.attention %125, %127[%124] at %121 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
      %inserted_slice = tensor.insert_slice %128 into %arg5[%arg4, 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<?x64xf32>
      scf.yield %inserted_slice, %127 : tensor<?x64xf32>, !kv_cache1
    }
    %12 = tfm.param "blk.0.attn_output.weight" : tensor<64x64xf32>
    %13 = tfm.linear %11#0, %12 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %14 = tfm.add %1, %13 : tensor<?x64xf32>
    %15 = tfm.param "blk.0.ffn_norm.weight" : tensor<64xf32>
    %16 = tfm.rms_norm %14, %15 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %17 = tfm.param "blk.0.ffn_gate.weight" : tensor<172x64xf32>
    %18 = tfm.linear %16, %17 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %19 = tfm.param "blk.0.ffn_up.weight" : tensor<172x64xf32>
    %20 = tfm.linear %16, %19 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %21 = tfm.gated_activation silu %18, %20 : tensor<?x172xf32>
    %22 = tfm.param "blk.0.ffn_down.weight" : tensor<64x172xf32>
    %23 = tfm.linear %21, %22 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %24 = tfm.add %14, %23 : tensor<?x64xf32>
    %25 = tfm.param "blk.1.attn_norm.weight" : tensor<64xf32>
    %26 = tfm.rms_norm %24, %25 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %27 = tfm.param "blk.1.attn_q.weight" : tensor<64x64xf32>
    %28 = tfm.linear %26, %27 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %29 = tfm.param "blk.1.attn_k.weight" : tensor<32x64xf32>
    %30 = tfm.linear %26, %29 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %31 = tfm.param "blk.1.attn_v.weight" : tensor<32x64xf32>
    %32 = tfm.linear %26, %31 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %c0_1 = arith.constant 0 : index
    %c1_2 = arith.constant 1 : index
    %c0_3 = arith.constant 0 : index
    %dim_4 = tensor.dim %28, %c0_3 : tensor<?x64xf32>
    %33 = tensor.empty(%dim_4) : tensor<?x64xf32>
    %34:2 = scf.for %arg4 = %c0_1 to %dim_4 step %c1_2 iter_args(%arg5 = %33, %arg6 = %11#1) -> (tensor<?x64xf32>, !kv_cache1) {
      %extracted = tensor.extract %arg1[%arg4] : tensor<?xi32>
      %121 = arith.index_cast %extracted : i32 to index
      %extracted_17 = tensor.extract %arg2[%arg4] : tensor<?xi32>
      %122 = arith.index_cast %extracted_17 : i32 to index
      %c5 = arith.constant 5 : index
      %123 = arith.muli %122, %c5 : index
      %c1_18 = arith.constant 1 : index
      %124 = arith.addi %123, %c1_18 : index
      %extracted_slice = tensor.extract_slice %28[%arg4, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
      %extracted_slice_19 = tensor.extract_slice %30[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %extracted_slice_20 = tensor.extract_slice %32[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %125 = tfm.rope %extracted_slice at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
      %126 = tfm.rope %extracted_slice_19 at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
      %127 = tfm.kv_cache.append %arg6[%124], %126, %extracted_slice_20 at %121 : !kv_cache1, tensor<1x32xf32>, tensor<1x32xf32>
      %128 = tfm.kv_cache.attention %125, %127[%124] at %121 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
      %inserted_slice = tensor.insert_slice %128 into %arg5[%arg4, 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<?x64xf32>
      scf.yield %inserted_slice, %127 : tensor<?x64xf32>, !kv_cache1
    }
    %35 = tfm.param "blk.1.attn_output.weight" : tensor<64x64xf32>
    %36 = tfm.linear %34#0, %35 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %37 = tfm.add %24, %36 : tensor<?x64xf32>
    %38 = tfm.param "blk.1.ffn_norm.weight" : tensor<64xf32>
    %39 = tfm.rms_norm %37, %38 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %40 = tfm.param "blk.1.ffn_gate.weight" : tensor<172x64xf32>
    %41 = tfm.linear %39, %40 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %42 = tfm.param "blk.1.ffn_up.weight" : tensor<172x64xf32>
    %43 = tfm.linear %39, %42 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %44 = tfm.gated_activation silu %41, %43 : tensor<?x172xf32>
    %45 = tfm.param "blk.1.ffn_down.weight" : tensor<64x172xf32>
    %46 = tfm.linear %44, %45 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %47 = tfm.add %37, %46 : tensor<?x64xf32>
    %48 = tfm.param "blk.2.attn_norm.weight" : tensor<64xf32>
    %49 = tfm.rms_norm %47, %48 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %50 = tfm.param "blk.2.attn_q.weight" : tensor<64x64xf32>
    %51 = tfm.linear %49, %50 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %52 = tfm.param "blk.2.attn_k.weight" : tensor<32x64xf32>
    %53 = tfm.linear %49, %52 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %54 = tfm.param "blk.2.attn_v.weight" : tensor<32x64xf32>
    %55 = tfm.linear %49, %54 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %c0_5 = arith.constant 0 : index
    %c1_6 = arith.constant 1 : index
    %c0_7 = arith.constant 0 : index
    %dim_8 = tensor.dim %51, %c0_7 : tensor<?x64xf32>
    %56 = tensor.empty(%dim_8) : tensor<?x64xf32>
    %57:2 = scf.for %arg4 = %c0_5 to %dim_8 step %c1_6 iter_args(%arg5 = %56, %arg6 = %34#1) -> (tensor<?x64xf32>, !kv_cache1) {
      %extracted = tensor.extract %arg1[%arg4] : tensor<?xi32>
      %121 = arith.index_cast %extracted : i32 to index
      %extracted_17 = tensor.extract %arg2[%arg4] : tensor<?xi32>
      %122 = arith.index_cast %extracted_17 : i32 to index
      %c5 = arith.constant 5 : index
      %123 = arith.muli %122, %c5 : index
      %c2 = arith.constant 2 : index
      %124 = arith.addi %123, %c2 : index
      %extracted_slice = tensor.extract_slice %51[%arg4, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
      %extracted_slice_18 = tensor.extract_slice %53[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %extracted_slice_19 = tensor.extract_slice %55[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %125 = tfm.rope %extracted_slice at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
      %126 = tfm.rope %extracted_slice_18 at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
      %127 = tfm.kv_cache.append %arg6[%124], %126, %extracted_slice_19 at %121 : !kv_cache1, tensor<1x32xf32>, tensor<1x32xf32>
      %128 = tfm.kv_cache.attention %125, %127[%124] at %121 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
      %inserted_slice = tensor.insert_slice %128 into %arg5[%arg4, 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<?x64xf32>
      scf.yield %inserted_slice, %127 : tensor<?x64xf32>, !kv_cache1
    }
    %58 = tfm.param "blk.2.attn_output.weight" : tensor<64x64xf32>
    %59 = tfm.linear %57#0, %58 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %60 = tfm.add %47, %59 : tensor<?x64xf32>
    %61 = tfm.param "blk.2.ffn_norm.weight" : tensor<64xf32>
    %62 = tfm.rms_norm %60, %61 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %63 = tfm.param "blk.2.ffn_gate.weight" : tensor<172x64xf32>
    %64 = tfm.linear %62, %63 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %65 = tfm.param "blk.2.ffn_up.weight" : tensor<172x64xf32>
    %66 = tfm.linear %62, %65 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %67 = tfm.gated_activation silu %64, %66 : tensor<?x172xf32>
    %68 = tfm.param "blk.2.ffn_down.weight" : tensor<64x172xf32>
    %69 = tfm.linear %67, %68 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %70 = tfm.add %60, %69 : tensor<?x64xf32>
    %71 = tfm.param "blk.3.attn_norm.weight" : tensor<64xf32>
    %72 = tfm.rms_norm %70, %71 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %73 = tfm.param "blk.3.attn_q.weight" : tensor<64x64xf32>
    %74 = tfm.linear %72, %73 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %75 = tfm.param "blk.3.attn_k.weight" : tensor<32x64xf32>
    %76 = tfm.linear %72, %75 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %77 = tfm.param "blk.3.attn_v.weight" : tensor<32x64xf32>
    %78 = tfm.linear %72, %77 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %c0_9 = arith.constant 0 : index
    %c1_10 = arith.constant 1 : index
    %c0_11 = arith.constant 0 : index
    %dim_12 = tensor.dim %74, %c0_11 : tensor<?x64xf32>
    %79 = tensor.empty(%dim_12) : tensor<?x64xf32>
    %80:2 = scf.for %arg4 = %c0_9 to %dim_12 step %c1_10 iter_args(%arg5 = %79, %arg6 = %57#1) -> (tensor<?x64xf32>, !kv_cache1) {
      %extracted = tensor.extract %arg1[%arg4] : tensor<?xi32>
      %121 = arith.index_cast %extracted : i32 to index
      %extracted_17 = tensor.extract %arg2[%arg4] : tensor<?xi32>
      %122 = arith.index_cast %extracted_17 : i32 to index
      %c5 = arith.constant 5 : index
      %123 = arith.muli %122, %c5 : index
      %c3 = arith.constant 3 : index
      %124 = arith.addi %123, %c3 : index
      %extracted_slice = tensor.extract_slice %74[%arg4, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
      %extracted_slice_18 = tensor.extract_slice %76[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %extracted_slice_19 = tensor.extract_slice %78[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %125 = tfm.rope %extracted_slice at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
      %126 = tfm.rope %extracted_slice_18 at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
      %127 = tfm.kv_cache.append %arg6[%124], %126, %extracted_slice_19 at %121 : !kv_cache1, tensor<1x32xf32>, tensor<1x32xf32>
      %128 = tfm.kv_cache.attention %125, %127[%124] at %121 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
      %inserted_slice = tensor.insert_slice %128 into %arg5[%arg4, 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<?x64xf32>
      scf.yield %inserted_slice, %127 : tensor<?x64xf32>, !kv_cache1
    }
    %81 = tfm.param "blk.3.attn_output.weight" : tensor<64x64xf32>
    %82 = tfm.linear %80#0, %81 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %83 = tfm.add %70, %82 : tensor<?x64xf32>
    %84 = tfm.param "blk.3.ffn_norm.weight" : tensor<64xf32>
    %85 = tfm.rms_norm %83, %84 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %86 = tfm.param "blk.3.ffn_gate.weight" : tensor<172x64xf32>
    %87 = tfm.linear %85, %86 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %88 = tfm.param "blk.3.ffn_up.weight" : tensor<172x64xf32>
    %89 = tfm.linear %85, %88 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %90 = tfm.gated_activation silu %87, %89 : tensor<?x172xf32>
    %91 = tfm.param "blk.3.ffn_down.weight" : tensor<64x172xf32>
    %92 = tfm.linear %90, %91 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %93 = tfm.add %83, %92 : tensor<?x64xf32>
    %94 = tfm.param "blk.4.attn_norm.weight" : tensor<64xf32>
    %95 = tfm.rms_norm %93, %94 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %96 = tfm.param "blk.4.attn_q.weight" : tensor<64x64xf32>
    %97 = tfm.linear %95, %96 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %98 = tfm.param "blk.4.attn_k.weight" : tensor<32x64xf32>
    %99 = tfm.linear %95, %98 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %100 = tfm.param "blk.4.attn_v.weight" : tensor<32x64xf32>
    %101 = tfm.linear %95, %100 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
    %c0_13 = arith.constant 0 : index
    %c1_14 = arith.constant 1 : index
    %c0_15 = arith.constant 0 : index
    %dim_16 = tensor.dim %97, %c0_15 : tensor<?x64xf32>
    %102 = tensor.empty(%dim_16) : tensor<?x64xf32>
    %103:2 = scf.for %arg4 = %c0_13 to %dim_16 step %c1_14 iter_args(%arg5 = %102, %arg6 = %80#1) -> (tensor<?x64xf32>, !kv_cache1) {
      %extracted = tensor.extract %arg1[%arg4] : tensor<?xi32>
      %121 = arith.index_cast %extracted : i32 to index
      %extracted_17 = tensor.extract %arg2[%arg4] : tensor<?xi32>
      %122 = arith.index_cast %extracted_17 : i32 to index
      %c5 = arith.constant 5 : index
      %123 = arith.muli %122, %c5 : index
      %c4 = arith.constant 4 : index
      %124 = arith.addi %123, %c4 : index
      %extracted_slice = tensor.extract_slice %97[%arg4, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
      %extracted_slice_18 = tensor.extract_slice %99[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %extracted_slice_19 = tensor.extract_slice %101[%arg4, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
      %125 = tfm.rope %extracted_slice at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x64xf32>
      %126 = tfm.rope %extracted_slice_18 at %121 interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.000000e+04 : f64} : tensor<1x32xf32>
      %127 = tfm.kv_cache.append %arg6[%124], %126, %extracted_slice_19 at %121 : !kv_cache1, tensor<1x32xf32>, tensor<1x32xf32>
      %128 = tfm.kv_cache.attention %125, %127[%124] at %121 {num_heads = 8 : i64, scale = 0.35355339059327373 : f64} : tensor<1x64xf32>, !kv_cache1 -> tensor<1x64xf32>
      %inserted_slice = tensor.insert_slice %128 into %arg5[%arg4, 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<?x64xf32>
      scf.yield %inserted_slice, %127 : tensor<?x64xf32>, !kv_cache1
    }
    %104 = tfm.param "blk.4.attn_output.weight" : tensor<64x64xf32>
    %105 = tfm.linear %103#0, %104 : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %106 = tfm.add %93, %105 : tensor<?x64xf32>
    %107 = tfm.param "blk.4.ffn_norm.weight" : tensor<64xf32>
    %108 = tfm.rms_norm %106, %107 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %109 = tfm.param "blk.4.ffn_gate.weight" : tensor<172x64xf32>
    %110 = tfm.linear %108, %109 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %111 = tfm.param "blk.4.ffn_up.weight" : tensor<172x64xf32>
    %112 = tfm.linear %108, %111 : (tensor<?x64xf32>, tensor<172x64xf32>) -> tensor<?x172xf32>
    %113 = tfm.gated_activation silu %110, %112 : tensor<?x172xf32>
    %114 = tfm.param "blk.4.ffn_down.weight" : tensor<64x172xf32>
    %115 = tfm.linear %113, %114 : (tensor<?x172xf32>, tensor<64x172xf32>) -> tensor<?x64xf32>
    %116 = tfm.add %106, %115 : tensor<?x64xf32>
    %117 = tfm.param "output_norm.weight" : tensor<64xf32>
    %118 = tfm.rms_norm %116, %117 {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %119 = tfm.param "output.weight" : tensor<512x64xf32>
    %120 = tfm.logits %118, %119 : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
    return %120, %103#1 : tensor<?x512xf32>, !kv_cache1
  }
}

