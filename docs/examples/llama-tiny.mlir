// A Llama decoder with the shape of stories260K (the default demo model),
// written by: tfm-build-model --arch=llama
// test/Examples/llama-tiny.test checks that it is still what the builder emits.

!kv_cache = !tfm.kv_cache<layers = 5, kv_heads = 4, context = 512, head_dim = 8, f32>
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
}

