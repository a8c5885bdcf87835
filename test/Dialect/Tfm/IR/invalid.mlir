// RUN: tfm-opt %s --split-input-file --verify-diagnostics

// One case per verifier error of the tfm dialect.

// -----

func.func @param_empty_name() {
  // expected-error @+1 {{'tfm.param' op name must not be empty}}
  %w = tfm.param "" : tensor<4xf32>
  return
}

// -----

func.func @param_dynamic_shape() {
  // expected-error @+1 {{'tfm.param' op weight type must have a static shape, got 'tensor<?x4xf32>'}}
  %w = tfm.param "w" : tensor<?x4xf32>
  return
}

// -----

func.func @param_rank_too_high() {
  // expected-error @+1 {{'tfm.param' op weight rank must be between 1 and 4, got 5}}
  %w = tfm.param "w" : tensor<1x1x1x1x1xf32>
  return
}

// -----

func.func @param_integer_weight() {
  // expected-error @+1 {{'tfm.param' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer or quantized weight values}}
  %w = tfm.param "w" : tensor<4xi32>
  return
}

// -----

func.func @param_no_part() {
  // expected-error @+1 {{'tfm.param' op parts must name at least 1 tensor, got 0}}
  %w = tfm.param "w" parts [] : tensor<4x4xf32>
  return
}

// -----

func.func @param_empty_part() {
  // expected-error @+1 {{'tfm.param' op part names must not be empty}}
  %w = tfm.param "w" parts ["a", ""] : tensor<8x4xf32>
  return
}

// -----

func.func @embedding_table_rank(%t: tensor<512xf32>, %tok: tensor<?xi32>) {
  // expected-error @+1 {{'tfm.embedding' op table must have rank 2, got 'tensor<512xf32>'}}
  %x = tfm.embedding %t[%tok] : (tensor<512xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @embedding_result_rank(%t: tensor<512x64xf32>, %tok: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.embedding' op result must have rank 2, got 'tensor<256xf32>'}}
  %x = tfm.embedding %t[%tok] : (tensor<512x64xf32>, tensor<4xi32>) -> tensor<256xf32>
  return
}

// -----

func.func @embedding_rows(%t: tensor<512x64xf32>, %tok: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.embedding' op result rows (3) must equal number of tokens (4)}}
  %x = tfm.embedding %t[%tok] : (tensor<512x64xf32>, tensor<4xi32>) -> tensor<3x64xf32>
  return
}

// -----

func.func @embedding_features(%t: tensor<512x64xf32>, %tok: tensor<4xi32>) {
  // expected-error @+1 {{'tfm.embedding' op result features (32) must equal table embedding size (64)}}
  %x = tfm.embedding %t[%tok] : (tensor<512x64xf32>, tensor<4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @embedding_float_tokens(%t: tensor<512x64xf32>, %tok: tensor<4xf32>) {
  // expected-error @+1 {{'tfm.embedding' op operand #1 must be 1D tensor of 32-bit signless integer or 64-bit signless integer values}}
  %x = tfm.embedding %t[%tok] : (tensor<512x64xf32>, tensor<4xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @rope_rank(%q: tensor<64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op input must have rank 2, got 'tensor<64xf32>'}}
  %r = tfm.rope %q at %p interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<64xf32>
  return
}

// -----

func.func @rope_features_not_heads(%q: tensor<1x60xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op input features (60) must be a multiple of head_dim (8)}}
  %r = tfm.rope %q at %p interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64} : tensor<1x60xf32>
  return
}

// -----

func.func @rope_odd_rotary(%q: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op rotary_dim (5) must be even}}
  %r = tfm.rope %q at %p interleaved {head_dim = 8 : i64, rotary_dim = 5 : i64, theta = 10000.0 : f64} : tensor<1x64xf32>
  return
}

// -----

func.func @rope_frequencies_count(%q: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op rope frequencies: 3 values for 4 rotary pairs}}
  %r = tfm.rope %q at %p interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64, frequencies = array<f64: 1.0, 0.1, 0.01>} : tensor<1x64xf32>
  return
}

// -----

func.func @rope_frequencies_positive(%q: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op rope frequencies must be positive and finite}}
  %r = tfm.rope %q at %p interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 10000.0 : f64, frequencies = array<f64: 1.0, 0.1, 0.0, 0.001>} : tensor<1x64xf32>
  return
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @rope_attr_frequencies(%k: tensor<1x8xf32>, %pos: index, %c: !cache) -> !cache {
  // expected-error @+1 {{rope frequencies: 2 values for 4 rotary pairs}}
  %c1 = tfm.kv_cache.append %c[0], %k, %k at %pos {rope = #tfm.rope<rotary_dim = 8, theta = 1.0e4 : f64, pairing = interleaved, frequencies = [1.0, 0.5]>} : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}

// -----

func.func @rope_rotary_too_large(%q: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op rotary_dim (16) must not exceed head_dim (8)}}
  %r = tfm.rope %q at %p half_split {head_dim = 8 : i64, rotary_dim = 16 : i64, theta = 10000.0 : f64} : tensor<1x64xf32>
  return
}

// -----

func.func @rope_theta(%q: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op theta must be positive, got 0}}
  %r = tfm.rope %q at %p interleaved {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 0.0 : f64} : tensor<1x64xf32>
  return
}

// -----

func.func @rope_head_dim_zero(%q: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.rope' op attribute 'head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %r = tfm.rope %q at %p interleaved {head_dim = 0 : i64, rotary_dim = 8 : i64, theta = 1.0 : f64} : tensor<1x64xf32>
  return
}

// -----

func.func @sinusoidal_rank(%x: tensor<64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.sinusoidal_position' op input must have rank 2, got 'tensor<64xf32>'}}
  %y = tfm.sinusoidal_position %x at %p : tensor<64xf32>
  return
}

// -----

func.func @sinusoidal_odd(%x: tensor<1x63xf32>, %p: index) {
  // expected-error @+1 {{'tfm.sinusoidal_position' op input features (63) must be even}}
  %y = tfm.sinusoidal_position %x at %p : tensor<1x63xf32>
  return
}

// -----

func.func @sinusoidal_base(%x: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.sinusoidal_position' op base must be positive, got -1}}
  %y = tfm.sinusoidal_position %x at %p {base = -1.0 : f64} : tensor<1x64xf32>
  return
}

// -----

func.func @learned_rank(%x: tensor<64xf32>, %t: tensor<16x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.learned_position' op input must have rank 2, got 'tensor<64xf32>'}}
  %y = tfm.learned_position %x, %t at %p : tensor<64xf32>, tensor<16x64xf32>
  return
}

// -----

func.func @learned_table_rank(%x: tensor<1x64xf32>, %t: tensor<64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.learned_position' op table must have rank 2, got 'tensor<64xf32>'}}
  %y = tfm.learned_position %x, %t at %p : tensor<1x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @learned_table_width(%x: tensor<1x64xf32>, %t: tensor<16x32xf32>, %p: index) {
  // expected-error @+1 {{'tfm.learned_position' op table embedding size (32) must equal input features (64)}}
  %y = tfm.learned_position %x, %t at %p : tensor<1x64xf32>, tensor<16x32xf32>
  return
}

// -----

func.func @rms_norm_rank(%x: tensor<64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op input must have rank 2, got 'tensor<64xf32>'}}
  %y = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<64xf32>, tensor<64xf32>
  return
}

// -----

func.func @rms_norm_weight_rank(%x: tensor<1x64xf32>, %w: tensor<1x64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op weight must have rank 1, got 'tensor<1x64xf32>'}}
  %y = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<1x64xf32>
  return
}

// -----

func.func @rms_norm_weight_length(%x: tensor<1x64xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op weight of 48 elements must divide the 64 input features (one weight per feature or per group)}}
  %y = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<48xf32>
  return
}

// -----

func.func @rms_norm_eps(%x: tensor<1x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op eps must be non-negative, got -1}}
  %y = tfm.rms_norm %x, %w {eps = -1.0 : f64} : tensor<1x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @layer_norm_weight_length(%x: tensor<1x64xf32>, %w: tensor<65xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op weight length (65) must equal input features (64)}}
  %y = tfm.layer_norm %x, %w {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<65xf32>
  return
}

// -----

func.func @layer_norm_bias_length(%x: tensor<1x64xf32>, %w: tensor<64xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op bias length (32) must equal input features (64)}}
  %y = tfm.layer_norm %x, %w, %b {eps = 1.0e-5 : f64} : tensor<1x64xf32>, tensor<64xf32>, tensor<32xf32>
  return
}

// -----

func.func @layer_norm_eps(%x: tensor<1x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op eps must be non-negative, got -5.000000e-01}}
  %y = tfm.layer_norm %x, %w {eps = -0.5 : f64} : tensor<1x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @linear_input_rank(%x: tensor<64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.linear' op input must have rank 2, got 'tensor<64xf32>'}}
  %y = tfm.linear %x, %w : (tensor<64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<1x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.linear' op weight must have rank 2, got 'tensor<64xf32>'}}
  %y = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<64xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @linear_result_rank(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.linear' op result must have rank 2, got 'tensor<32xf32>'}}
  %y = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<32xf32>
  return
}

// -----

func.func @linear_result_element_type(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.linear' op result element type 'f16' must match input element type 'f32'}}
  %y = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf16>
  return
}

// -----

func.func @linear_in_features(%x: tensor<1x64xf32>, %w: tensor<32x48xf32>) {
  // expected-error @+1 {{'tfm.linear' op weight in-features (48) must equal input features (64)}}
  %y = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<32x48xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @linear_rows(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.linear' op result rows (1) must equal input rows (2)}}
  %y = tfm.linear %x, %w : (tensor<2x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @linear_out_features(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tfm.linear' op result features (16) must equal weight out-features (32)}}
  %y = tfm.linear %x, %w : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x16xf32>
  return
}

// -----

func.func @linear_bias_rank(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>, %b: tensor<1x32xf32>) {
  // expected-error @+1 {{'tfm.linear' op bias must have rank 1, got 'tensor<1x32xf32>'}}
  %y = tfm.linear %x, %w, %b : (tensor<1x64xf32>, tensor<32x64xf32>, tensor<1x32xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @linear_bias_length(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.linear' op bias length (64) must equal weight out-features (32)}}
  %y = tfm.linear %x, %w, %b : (tensor<1x64xf32>, tensor<32x64xf32>, tensor<64xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @logits_vocab(%x: tensor<1x64xf32>, %w: tensor<512x64xf32>) {
  // expected-error @+1 {{'tfm.logits' op result features (500) must equal weight out-features (512)}}
  %y = tfm.logits %x, %w : (tensor<1x64xf32>, tensor<512x64xf32>) -> tensor<1x500xf32>
  return
}

// -----

func.func @logits_dim(%x: tensor<1x64xf32>, %w: tensor<512x32xf32>) {
  // expected-error @+1 {{'tfm.logits' op weight in-features (32) must equal input features (64)}}
  %y = tfm.logits %x, %w : (tensor<1x64xf32>, tensor<512x32xf32>) -> tensor<1x512xf32>
  return
}

// -----

func.func @last_token_rows(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'tfm.last_token' op result must have exactly one row, got 'tensor<2x64xf32>'}}
  %y = tfm.last_token %x : (tensor<?x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @last_token_features(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'tfm.last_token' op result features (32) must equal input features (64)}}
  %y = tfm.last_token %x : (tensor<?x64xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @attention_heads_divide(%q: tensor<1x64xf32>, %k: tensor<1x24xf32>, %v: tensor<1x24xf32>) {
  // expected-error @+1 {{'tfm.attention' op num_heads (8) must be a multiple of num_kv_heads (3)}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 3 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<1x24xf32>, tensor<1x24xf32>) -> tensor<1x64xf32>
  return
}

// -----

func.func @attention_query_features(%q: tensor<1x48xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>) {
  // expected-error @+1 {{'tfm.attention' op query features (48) must equal num_heads * head_dim (64)}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x48xf32>, tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x48xf32>
  return
}

// -----

func.func @attention_result_type(%q: tensor<1x64xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>) {
  // expected-error @+1 {{'tfm.attention' op result type 'tensor<2x64xf32>' must match query type 'tensor<1x64xf32>'}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @attention_key_features(%q: tensor<1x64xf32>, %k: tensor<1x64xf32>, %v: tensor<1x32xf32>) {
  // expected-error @+1 {{'tfm.attention' op key features (64) must equal num_kv_heads * head_dim (32)}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x32xf32>) -> tensor<1x64xf32>
  return
}

// -----

func.func @attention_value_features(%q: tensor<1x64xf32>, %k: tensor<1x8xf32>, %v: tensor<1x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op value features (16) must equal num_kv_heads * head_dim (8)}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 1 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<1x8xf32>, tensor<1x16xf32>) -> tensor<1x64xf32>
  return
}

// -----

func.func @attention_key_value_rows(%q: tensor<1x64xf32>, %k: tensor<5x64xf32>, %v: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.attention' op value rows (4) must equal key rows (5)}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<5x64xf32>, tensor<4x64xf32>) -> tensor<1x64xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x64xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>) {
  // expected-error @+1 {{'tfm.attention' op scale must be positive, got 0}}
  %o = tfm.attention causal %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.0 : f64} : (tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32>
  return
}

// -----

func.func @attention_full_mask_lengths(%q: tensor<3x64xf32>, %k: tensor<5x64xf32>, %v: tensor<5x64xf32>) {
  // expected-error @+1 {{'tfm.attention' op key rows (5) must equal query rows with a full (self-attention) mask (3)}}
  %o = tfm.attention full %q, %k, %v {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<3x64xf32>, tensor<5x64xf32>, tensor<5x64xf32>) -> tensor<3x64xf32>
  return
}

// -----

func.func @attention_unknown_mask(%q: tensor<1x64xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'mask' [causal, full, cross]}}
  %o = tfm.attention sliding %q, %q, %q {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 0.125 : f64} : (tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32>
  return
}

// -----

// expected-error @+1 {{kv_cache layers must be non-negative, got -2}}
func.func @kv_cache_negative_layers(%c: !tfm.kv_cache<layers = -2, kv_heads = 1, context = 8, head_dim = 8, f32>) {
  return
}

// -----

// expected-error @+1 {{kv_cache kv_heads must be positive, got 0}}
func.func @kv_cache_zero_heads(%c: !tfm.kv_cache<layers = 1, kv_heads = 0, context = 8, head_dim = 8, f32>) {
  return
}

// -----

// expected-error @+1 {{kv_cache element type must be f32, f16, bf16 or i8, got 'i32'}}
func.func @kv_cache_int_elements(%c: !tfm.kv_cache<layers = 1, kv_heads = 1, context = 8, head_dim = 8, i32>) {
  return
}

// -----

func.func @kv_append_layer(%c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %k: tensor<1x32xf32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.append' op layer 2 is out of range for a cache of 2 layers}}
  %c2 = tfm.kv_cache.append %c[2], %k, %k at %p : !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, tensor<1x32xf32>, tensor<1x32xf32>
  return
}

// -----

func.func @kv_append_two_layers(%c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %k: tensor<1x32xf32>, %p: index, %l: index) {
  // expected-error @+1 {{'tfm.kv_cache.append' op needs exactly one of a constant layer and an index operand}}
  %c2 = "tfm.kv_cache.append"(%c, %k, %k, %p, %l) {layer = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (!tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, tensor<1x32xf32>, tensor<1x32xf32>, index, index) -> !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>
  return
}

// -----

func.func @kv_attention_no_layer(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op needs exactly one of a constant layer and an index operand}}
  %o = "tfm.kv_cache.attention"(%q, %c, %p) {num_heads = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>, scale = 0.125 : f64} : (tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, index) -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_append_key_norm_length(%c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %k: tensor<1x32xf32>, %p: index, %w: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.kv_cache.append' op key_norm must be [head_dim] = [8], got 'tensor<32xf32>'}}
  %c2 = tfm.kv_cache.append %c[0], %k, %k at %p key_norm(%w : tensor<32xf32>) {norm_eps = 1.0e-06 : f64} : !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, tensor<1x32xf32>, tensor<1x32xf32>
  return
}

// -----

func.func @kv_append_key_norm_without_eps(%c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %k: tensor<1x32xf32>, %p: index, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.kv_cache.append' op needs key_norm and norm_eps together, or neither}}
  %c2 = tfm.kv_cache.append %c[0], %k, %k at %p key_norm(%w : tensor<8xf32>) : !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, tensor<1x32xf32>, tensor<1x32xf32>
  return
}

// -----

func.func @kv_attention_eps_without_query_norm(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op needs query_norm and norm_eps together, or neither}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p {norm_eps = 1.0e-06 : f64, num_heads = 8 : i64, scale = 0.125 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_attention_query_norm_negative_eps(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op norm_eps must be non-negative, got -1}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p query_norm(%w : tensor<8xf32>) {norm_eps = -1.0 : f64, num_heads = 8 : i64, scale = 0.125 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_attention_query_norm_dynamic(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index, %w: tensor<?xf32>) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op query_norm must be [head_dim] = [8], got 'tensor<?xf32>'}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p query_norm(%w : tensor<?xf32>) {norm_eps = 1.0e-06 : f64, num_heads = 8 : i64, scale = 0.125 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_append_features(%c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %k: tensor<1x64xf32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.append' op key features (64) must equal num_kv_heads * head_dim (32)}}
  %c2 = tfm.kv_cache.append %c[0], %k, %k at %p : !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, tensor<1x64xf32>, tensor<1x64xf32>
  return
}

// -----

func.func @kv_append_type_changes(%c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %k: tensor<1x32xf32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.append' op failed to verify that all of {cache, result} have same type}}
  %c2 = "tfm.kv_cache.append"(%c, %k, %k, %p) {layer = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>} : (!tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, tensor<1x32xf32>, tensor<1x32xf32>, index) -> !tfm.kv_cache<layers = 2, kv_heads = 4, context = 16, head_dim = 8, f32>
  return
}

// -----

func.func @kv_attention_layer(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op layer 7 is out of range for a cache of 2 layers}}
  %o = tfm.kv_cache.attention %q, %c[7] at %p {num_heads = 8 : i64, scale = 0.125 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_attention_heads_divide(%q: tensor<1x48xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op num_heads (6) must be a multiple of num_kv_heads (4)}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p {num_heads = 6 : i64, scale = 0.125 : f64} : tensor<1x48xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32> -> tensor<1x48xf32>
  return
}

// -----

func.func @kv_attention_query_features(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 16, f32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op query features (64) must equal num_heads * head_dim (128)}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p {num_heads = 8 : i64, scale = 0.125 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 16, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_attention_scale(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op scale must be positive, got -1}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p {num_heads = 8 : i64, scale = -1.0 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 4, context = 8, head_dim = 8, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @activation_integer(%x: tensor<1x4xi32>) {
  // expected-error @+1 {{'tfm.activation' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %y = tfm.activation relu %x : tensor<1x4xi32>
  return
}

// -----

func.func @gated_shapes(%g: tensor<1x4xf32>, %u: tensor<1x8xf32>) {
  // expected-error @+1 {{'tfm.gated_activation' op failed to verify that all of {gate, up, result} have same type}}
  %y = "tfm.gated_activation"(%g, %u) {kind = 3 : i32} : (tensor<1x4xf32>, tensor<1x8xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @add_shapes(%a: tensor<1x4xf32>, %b: tensor<1x4xf16>) {
  // expected-error @+1 {{'tfm.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %y = "tfm.add"(%a, %b) : (tensor<1x4xf32>, tensor<1x4xf16>) -> tensor<1x4xf32>
  return
}

// -----

func.func @softmax_rank(%x: tensor<f32>) {
  // expected-error @+1 {{'tfm.softmax' op input must have rank at least 1, got 'tensor<f32>'}}
  %y = tfm.softmax %x : tensor<f32>
  return
}

// -----

// expected-error @+1 {{int4 group must be a positive multiple of 32, got 48}}
func.func @quant_bad_group(%w: tensor<4x96x!tfm.quant<int4, group = 48>>) {
  return
}

// -----

// expected-error @+1 {{only int4 takes a group size; q8_0 has fixed blocks}}
func.func @quant_group_on_fixed_format(%w: tensor<4x96x!tfm.quant<q8_0, group = 32>>) {
  return
}

// -----

// expected-error @+1 {{unknown quantized format 'q5_0'}}
func.func @quant_unknown_format(%w: tensor<16x64x!tfm.quant<q5_0>>) {
  return
}

// -----

// expected-error @+1 {{expected 'group' or 'interleave', got 'rows'}}
func.func @quant_unknown_parameter(%w: tensor<16x64x!tfm.quant<q8_0, rows = 16>>) {
  return
}

// -----

// expected-error @+1 {{interleave must be 16 rows (or absent), got 8}}
func.func @quant_bad_interleave(%w: tensor<16x64x!tfm.quant<q8_0, interleave = 8>>) {
  return
}

// -----

// expected-error @+1 {{only q8_0, q4_0, q4_k, q6_k, f16 and bf16 rows can be interleaved, not q4_1}}
func.func @quant_interleave_other_format(%w: tensor<16x64x!tfm.quant<q4_1, interleave = 16>>) {
  return
}

// -----

func.func @quant_interleave_partial_group() {
  // expected-error @+1 {{'tfm.param' op weight of '!tfm.quant<q4_0, interleave = 16>' needs a multiple of 16 output rows, got 24}}
  %w = tfm.param "w" : tensor<24x64x!tfm.quant<q4_0, interleave = 16>>
  return
}

// -----

func.func @quant_interleave_gated_half(%x: tensor<?x64xf32>, %w: tensor<48x64x!tfm.quant<q8_0, interleave = 16>>) -> tensor<?x24xf32> {
  // expected-error @+1 {{'tfm.linear' op weight of '!tfm.quant<q8_0, interleave = 16>' needs a multiple of 16 output rows in each half, got 24}}
  %y = tfm.linear %x, %w gated(silu) : (tensor<?x64xf32>, tensor<48x64x!tfm.quant<q8_0, interleave = 16>>) -> tensor<?x24xf32>
  return %y : tensor<?x24xf32>
}

// -----

func.func @quantized_matmul_partial_group(%x: memref<?x64xf32>, %w: memref<8x36xi8>, %y: memref<?x8xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op weight of '!tfm.quant<q4_0, interleave = 16>' needs a multiple of 16 output rows, got 8}}
  tfm.quantized_matmul !tfm.quant<q4_0, interleave = 16> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<8x36xi8>, memref<?x8xf32>, memref<?xi8>
  return
}

// -----

func.func @quant_partial_block(%x: tensor<?x96xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'tfm.param' op weight in-features (96) must be a multiple of the '!tfm.quant<q4_k>' block of 256}}
  %w = tfm.param "w" : tensor<4x96x!tfm.quant<q4_k>>
  return %x : tensor<?x96xf32>
}

// -----

func.func @quant_not_matrix() {
  // expected-error @+1 {{'tfm.param' op quantized weight must be a matrix [out, in], got 'tensor<2x4x64x!tfm.quant<q8_0>>'}}
  %w = tfm.param "w" : tensor<2x4x64x!tfm.quant<q8_0>>
  return
}

// -----

func.func @quant_linear_partial_block(%x: tensor<?x96xf32>, %w: tensor<4x96x!tfm.quant<q4_k>>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'tfm.linear' op weight in-features (96) must be a multiple of the '!tfm.quant<q4_k>' block of 256}}
  %y = tfm.linear %x, %w : (tensor<?x96xf32>, tensor<4x96x!tfm.quant<q4_k>>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @quantized_matmul_row_bytes(%x: memref<?x64xf32>, %w: memref<16x40xi8>, %y: memref<?x16xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op weight row bytes do not match the format (40 vs 36)}}
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<16x40xi8>, memref<?x16xf32>, memref<?xi8>
  return
}

// -----

func.func @quantized_matmul_rows(%x: memref<?x64xf32>, %w: memref<16x36xi8>, %y: memref<?x8xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op weight rows and output features differ (16 vs 8)}}
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s : memref<?x64xf32>, memref<16x36xi8>, memref<?x8xf32>, memref<?xi8>
  return
}

// -----

func.func @quantized_matmul_partial_block(%x: memref<?x48xf32>, %w: memref<16x36xi8>, %y: memref<?x16xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op input features (48) must be a multiple of the '!tfm.quant<q4_0>' block of 32}}
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s : memref<?x48xf32>, memref<16x36xi8>, memref<?x16xf32>, memref<?xi8>
  return
}

// -----

func.func @quantized_matmul_small_scratch(%x: memref<2x64xf32>, %w: memref<16x36xi8>, %y: memref<2x16xf32>, %s: memref<128xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op scratch holds 128 bytes, the quantized input needs 256}}
  tfm.quantized_matmul !tfm.quant<q4_0> %x, %w -> %y scratch %s : memref<2x64xf32>, memref<16x36xi8>, memref<2x16xf32>, memref<128xi8>
  return
}

// -----

// f16 rows multiply f32 activation rows: 64 x 4 bytes per token.
func.func @quantized_matmul_f16_small_scratch(%x: memref<2x64xf32>, %w: memref<16x128xi8>, %y: memref<2x16xf32>, %s: memref<256xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op scratch holds 256 bytes, the quantized input needs 512}}
  tfm.quantized_matmul !tfm.quant<f16> %x, %w -> %y scratch %s : memref<2x64xf32>, memref<16x128xi8>, memref<2x16xf32>, memref<256xi8>
  return
}

// -----

func.func @quant_f16_partial_vector(%x: tensor<?x40xf32>) -> tensor<?x40xf32> {
  // expected-error @+1 {{'tfm.param' op weight in-features (40) must be a multiple of the '!tfm.quant<f16>' block of 16}}
  %w = tfm.param "w" : tensor<4x40x!tfm.quant<f16>>
  return %x : tensor<?x40xf32>
}

// -----

func.func @linear_residual_type(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>, %r: tensor<1x64xf32>) {
  // expected-error @+1 {{'tfm.linear' op residual type 'tensor<1x64xf32>' differs from the result type 'tensor<1x32xf32>'}}
  %y = tfm.linear %x, %w residual %r : (tensor<1x64xf32>, tensor<32x64xf32>, tensor<1x64xf32>) -> tensor<1x32xf32>
  return
}

// -----

func.func @flash_attention_query_norm_length(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>, %w: memref<64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op query_norm must be [head_dim] = [16], got 'memref<64xf32>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o query_norm(%w : memref<64xf32>) {norm_eps = 1.0e-06 : f64, num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_query_norm_wide_heads(%q: memref<1x1024xf32>, %k: memref<1x?x1024xf32>, %s: index, %o: memref<1x1024xf32>, %w: memref<1024xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op normalizes query heads of at most 512 elements, got 1024}}
  tfm.flash_attention %q, %k, %k at %s -> %o query_norm(%w : memref<1024xf32>) {norm_eps = 1.0e-06 : f64, num_heads = 1 : i64, scale = 0.25 : f64} : memref<1x1024xf32>, memref<1x?x1024xf32>, memref<1x?x1024xf32>, memref<1x1024xf32>
  return
}

// -----

func.func @flash_attention_values_differ(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %v: memref<2x?x16xf16>, %s: index, %o: memref<1x64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op keys 'memref<2x?x16xf32>' and values 'memref<2x?x16xf16>' differ}}
  tfm.flash_attention %q, %k, %v at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf16>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_dynamic_rows(%q: memref<1x64xf32>, %k: memref<2x?x?xf32>, %s: index, %o: memref<1x64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op key rows must have a static size, got 'memref<2x?x?xf32>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x?xf32>, memref<2x?x?xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_q8_row_without_scale(%q: memref<1x16xf32>, %k: memref<2x?x4xi8>, %s: index, %o: memref<1x16xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op key rows must have a static size of head_dim + 4 bytes, got 'memref<2x?x4xi8>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x16xf32>, memref<2x?x4xi8>, memref<2x?x4xi8>, memref<1x16xf32>
  return
}

// -----

func.func @flash_attention_heads_not_grouped(%q: memref<1x48xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x48xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op num_heads (3) must be a multiple of the static kv heads of 'memref<2x?x16xf32>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 3 : i64, scale = 0.25 : f64} : memref<1x48xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x48xf32>
  return
}

// -----

func.func @flash_attention_query_features(%q: memref<1x60xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x60xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op query features must be num_heads x head_dim (64), got 'memref<1x60xf32>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x60xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x60xf32>
  return
}

// -----

func.func @flash_attention_output(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<2x64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op output 'memref<2x64xf32>' does not match query 'memref<1x64xf32>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<2x64xf32>
  return
}

// -----

func.func @flash_attention_splits_without_partials(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op needs a partials buffer exactly when kv_splits > 1 (kv_splits = 2)}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 2 : i64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_partials_without_splits(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>, %p: memref<72xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op needs a partials buffer exactly when kv_splits > 1 (kv_splits = 1)}}
  tfm.flash_attention %q, %k, %k at %s -> %o partials %p {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>, memref<72xf32>
  return
}

// -----

func.func @flash_attention_small_partials(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>, %p: memref<100xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op partials hold 100 floats, 2 splits need 144}}
  tfm.flash_attention %q, %k, %k at %s -> %o partials %p {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 2 : i64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>, memref<100xf32>
  return
}

// -----

func.func @flash_attention_zero_splits(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op attribute 'kv_splits' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64, kv_splits = 0 : i64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @rope_attr_odd(%k: tensor<1x8xf32>, %pos: index, %c: !cache) -> !cache {
  // expected-error @+1 {{rope rotary_dim must be positive and even, got 7}}
  %c1 = tfm.kv_cache.append %c[0], %k, %k at %pos {rope = #tfm.rope<rotary_dim = 7, theta = 1.0e4 : f64, pairing = interleaved>} : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @rope_attr_theta(%k: tensor<1x8xf32>, %pos: index, %c: !cache) -> !cache {
  // expected-error @+1 {{rope theta must be positive}}
  %c1 = tfm.kv_cache.append %c[0], %k, %k at %pos {rope = #tfm.rope<rotary_dim = 8, theta = 0.0 : f64, pairing = interleaved>} : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @append_partial_rope(%k: tensor<1x8xf32>, %pos: index, %c: !cache) -> !cache {
  // expected-error @+1 {{'tfm.kv_cache.append' op fused rope must rotate the whole head: rotary_dim 4 vs head_dim 8}}
  %c1 = tfm.kv_cache.append %c[0], %k, %k at %pos {rope = #tfm.rope<rotary_dim = 4, theta = 1.0e4 : f64, pairing = interleaved>} : !cache, tensor<1x8xf32>, tensor<1x8xf32>
  return %c1 : !cache
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @attention_partial_rope(%q: tensor<1x8xf32>, %pos: index, %c: !cache) -> tensor<1x8xf32> {
  // expected-error @+1 {{'tfm.kv_cache.attention' op fused rope must rotate the whole head: rotary_dim 2 vs head_dim 8}}
  %o = tfm.kv_cache.attention %q, %c[0] at %pos {num_heads = 1 : i64, scale = 0.35 : f64, rope = #tfm.rope<rotary_dim = 2, theta = 1.0e4 : f64, pairing = half_split>} : tensor<1x8xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

func.func @flash_attention_rope_without_tables(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op needs the rope attribute and both its cos and sin tables, or none of them}}
  tfm.flash_attention %q, %k, %k at %s -> %o {num_heads = 4 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.0e4 : f64, pairing = interleaved>} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_tables_without_rope(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>, %t: memref<1x8xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op needs the rope attribute and both its cos and sin tables, or none of them}}
  tfm.flash_attention %q, %k, %k at %s -> %o rope(%t, %t : memref<1x8xf32>, memref<1x8xf32>) {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_partial_rope(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>, %t: memref<1x4xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op rope must rotate the whole head: rotary_dim 8 vs head_dim 16}}
  tfm.flash_attention %q, %k, %k at %s -> %o rope(%t, %t : memref<1x4xf32>, memref<1x4xf32>) {num_heads = 4 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 8, theta = 1.0e4 : f64, pairing = interleaved>} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_rope_table_shape(%q: memref<1x64xf32>, %k: memref<2x?x16xf32>, %s: index, %o: memref<1x64xf32>, %t: memref<2x8xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op rope tables must be [seq, head_dim / 2] = [1, 8], got 'memref<2x8xf32>'}}
  tfm.flash_attention %q, %k, %k at %s -> %o rope(%t, %t : memref<2x8xf32>, memref<2x8xf32>) {num_heads = 4 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 16, theta = 1.0e4 : f64, pairing = interleaved>} : memref<1x64xf32>, memref<2x?x16xf32>, memref<2x?x16xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_rope_head_too_large(%q: memref<1x1024xf32>, %k: memref<1x?x1024xf32>, %s: index, %o: memref<1x1024xf32>, %t: memref<1x512xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op rotates query heads of at most 512 elements, got 1024}}
  tfm.flash_attention %q, %k, %k at %s -> %o rope(%t, %t : memref<1x512xf32>, memref<1x512xf32>) {num_heads = 1 : i64, scale = 0.25 : f64, rope = #tfm.rope<rotary_dim = 1024, theta = 1.0e4 : f64, pairing = interleaved>} : memref<1x1024xf32>, memref<1x?x1024xf32>, memref<1x?x1024xf32>, memref<1x1024xf32>
  return
}

// -----

func.func @linear_norm_without_eps(%x: tensor<1x64xf32>, %g: tensor<64xf32>, %w: tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op an rms_norm weight needs norm_eps}}
  %y = tfm.linear %x rms_norm %g, %w : (tensor<1x64xf32>, tensor<64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @linear_folded_norm_quantized(%x: tensor<1x64xf32>, %w: tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op a norm prologue without an rms_norm weight (a scale folded into the weight) needs float weights}}
  %y = tfm.linear %x, %w {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @logits_folded_norm_quantized(%x: tensor<1x64xf32>, %w: tensor<512x64x!tfm.quant<q8_0>>) -> tensor<1x512xf32> {
  // expected-error @+1 {{'tfm.logits' op a norm prologue without an rms_norm weight (a scale folded into the weight) needs float weights}}
  %y = tfm.logits %x, %w {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<512x64x!tfm.quant<q8_0>>) -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}

// -----

func.func @logits_norm_weight_shape(%x: tensor<1x64xf32>, %g: tensor<32xf32>, %w: tensor<512x64xf32>) -> tensor<1x512xf32> {
  // expected-error @+1 {{'tfm.logits' op rms_norm weight must be [64] (the input features), got 'tensor<32xf32>'}}
  %y = tfm.logits %x rms_norm %g, %w {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<32xf32>, tensor<512x64xf32>) -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}

// -----

func.func @linear_folded_norm_eps(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op norm_eps must be positive}}
  %y = tfm.linear %x, %w {norm_eps = -1.0 : f64} : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @param_column_scale_empty() -> tensor<32x64xf32> {
  // expected-error @+1 {{'tfm.param' op column_scale must name a tensor}}
  %w = tfm.param "w" column_scale "" : tensor<32x64xf32>
  return %w : tensor<32x64xf32>
}

// -----

func.func @param_column_scale_vector() -> tensor<64xf32> {
  // expected-error @+1 {{'tfm.param' op a weight with a column_scale must have columns, got 'tensor<64xf32>'}}
  %w = tfm.param "w" column_scale "g" : tensor<64xf32>
  return %w : tensor<64xf32>
}

// -----

func.func @param_column_scale_quantized() -> tensor<32x64x!tfm.quant<q8_0>> {
  // expected-error @+1 {{'tfm.param' op a quantized weight cannot take a column_scale: its blocks would have to be quantized again}}
  %w = tfm.param "w" column_scale "g" : tensor<32x64x!tfm.quant<q8_0>>
  return %w : tensor<32x64x!tfm.quant<q8_0>>
}

// -----

func.func @linear_norm_weight_shape(%x: tensor<1x64xf32>, %g: tensor<32xf32>, %w: tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op rms_norm weight must be [64] (the input features), got 'tensor<32xf32>'}}
  %y = tfm.linear %x rms_norm %g, %w {norm_eps = 1.0e-5 : f64} : (tensor<1x64xf32>, tensor<32xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @linear_norm_eps(%x: tensor<1x64xf32>, %g: tensor<64xf32>, %w: tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op norm_eps must be positive}}
  %y = tfm.linear %x rms_norm %g, %w {norm_eps = 0.0 : f64} : (tensor<1x64xf32>, tensor<64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @quantized_matmul_norm_shape(%x: memref<1x64xf32>, %g: memref<48xf32>, %w: memref<16x68xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op rms_norm weight must be [64] (the input features), got 'memref<48xf32>'}}
  tfm.quantized_matmul !tfm.quant<q8_0> %x rms_norm %g : memref<48xf32>, %w -> %y scratch %s {norm_eps = 1.0e-5 : f64} : memref<1x64xf32>, memref<16x68xi8>, memref<1x16xf32>, memref<?xi8>
  return
}

// -----

func.func @quantized_matmul_eps_without_norm(%x: memref<1x64xf32>, %w: memref<16x68xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op needs both an rms_norm weight and norm_eps, or neither}}
  tfm.quantized_matmul !tfm.quant<q8_0> %x, %w -> %y scratch %s {norm_eps = 1.0e-5 : f64} : memref<1x64xf32>, memref<16x68xi8>, memref<1x16xf32>, memref<?xi8>
  return
}

// -----

func.func @gated_linear_odd_rows(%x: tensor<1x64xf32>, %w: tensor<33x64x!tfm.quant<q8_0>>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'tfm.linear' op gated weight needs an even number of rows (gate, then up), got 33}}
  %y = tfm.linear %x, %w gated(silu) : (tensor<1x64xf32>, tensor<33x64x!tfm.quant<q8_0>>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @gated_linear_features(%x: tensor<1x64xf32>, %w: tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op result features (32) must equal half the gated weight rows (16)}}
  %y = tfm.linear %x, %w gated(silu) : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @gated_linear_bias(%x: tensor<1x64xf32>, %w: tensor<32x64x!tfm.quant<q8_0>>, %b: tensor<32xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'tfm.linear' op a gated linear layer takes no bias or residual}}
  %y = tfm.linear %x, %w, %b gated(silu) : (tensor<1x64xf32>, tensor<32x64x!tfm.quant<q8_0>>, tensor<32xf32>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @activation_with_residual(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>, %r: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'tfm.linear' op a linear layer with an activation takes no residual or gating}}
  %y = tfm.linear %x, %w residual %r activation(relu) : (tensor<1x64xf32>, tensor<32x64xf32>, tensor<1x32xf32>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @activation_with_gating(%x: tensor<1x64xf32>, %w: tensor<32x64xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'tfm.linear' op a linear layer with an activation takes no residual or gating}}
  %y = tfm.linear %x, %w gated(silu) activation(gelu) : (tensor<1x64xf32>, tensor<32x64xf32>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @quantized_matmul_gated_rows(%x: memref<1x64xf32>, %w: memref<32x68xi8>, %y: memref<1x32xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op weight rows and twice the output features differ (32 vs 64)}}
  tfm.quantized_matmul !tfm.quant<q8_0> %x, %w -> %y scratch %s gated(silu) : memref<1x64xf32>, memref<32x68xi8>, memref<1x32xf32>, memref<?xi8>
  return
}

// -----

func.func @quantized_matmul_gated_accumulate(%x: memref<1x64xf32>, %w: memref<32x68xi8>, %y: memref<1x16xf32>, %s: memref<?xi8>) {
  // expected-error @+1 {{'tfm.quantized_matmul' op a gated product cannot accumulate into its output}}
  tfm.quantized_matmul !tfm.quant<q8_0> %x, %w -> accumulate %y scratch %s gated(silu) : memref<1x64xf32>, memref<32x68xi8>, memref<1x16xf32>, memref<?xi8>
  return
}

// -----

func.func @soft_cap_zero(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{'tfm.soft_cap' op cap must be positive, got 0}}
  %c = tfm.soft_cap %x {cap = 0.0 : f64} : tensor<1x8xf32>
  return %c : tensor<1x8xf32>
}

// -----

func.func @embedding_scale_negative(%t: tensor<2xi32>, %table: tensor<32x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'tfm.embedding' op scale must be positive, got -1}}
  %e = tfm.embedding %table[%t] {scale = -1.0 : f64} : (tensor<32x8xf32>, tensor<2xi32>) -> tensor<2x8xf32>
  return %e : tensor<2x8xf32>
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @attention_soft_cap_negative(%q: tensor<1x8xf32>, %pos: index, %c: !cache) -> tensor<1x8xf32> {
  // expected-error @+1 {{'tfm.kv_cache.attention' op soft_cap must be positive, got -2}}
  %o = tfm.kv_cache.attention %q, %c[0] at %pos {num_heads = 1 : i64, scale = 0.5 : f64, soft_cap = -2.0 : f64} : tensor<1x8xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

!cache = !tfm.kv_cache<layers = 1, kv_heads = 1, context = 64, head_dim = 8, f32>
func.func @attention_window_zero(%q: tensor<1x8xf32>, %pos: index, %c: !cache) -> tensor<1x8xf32> {
  // expected-error @+1 {{'tfm.kv_cache.attention' op attribute 'window' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o = tfm.kv_cache.attention %q, %c[0] at %pos {num_heads = 1 : i64, scale = 0.5 : f64, window = 0 : i64} : tensor<1x8xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

func.func @pool_heads_without_parts() {
  // expected-error @+1 {{'tfm.param' op pool_heads needs the one tensor it pools in parts}}
  %w = tfm.param "wk/gqa1" pool_heads [2, 8] : tensor<8x32xf32>
  return
}

// -----

func.func @pool_heads_group_of_one() {
  // expected-error @+1 {{'tfm.param' op pool_heads must be [group >= 2, head_dim >= 1]}}
  %w = tfm.param "wk/gqa2" parts ["wk"] pool_heads [1, 8] : tensor<8x32xf32>
  return
}

// -----

func.func @pool_heads_partial_head() {
  // expected-error @+1 {{'tfm.param' op pooled rows 12 are not whole heads of 8}}
  %w = tfm.param "wk/gqa1" parts ["wk"] pool_heads [2, 8] : tensor<12x32xf32>
  return
}

// -----

func.func @relative_bias_odd_buckets(%n: index) {
  %t = tfm.param "enc.blk.0.attn_rel_b.weight" : tensor<31x8xf32>
  // expected-error @+1 {{'tfm.relative_position_bias' op table of 31 buckets: bidirectional buckets must be even and at least 4}}
  %b = tfm.relative_position_bias %t queries(%n, %n) keys %n {bidirectional} : tensor<31x8xf32> -> tensor<8x?x?xf32>
  return
}

// -----

func.func @relative_bias_few_buckets(%n: index) {
  %t = tfm.param "dec.blk.0.attn_rel_b.weight" : tensor<1x8xf32>
  // expected-error @+1 {{'tfm.relative_position_bias' op table of 1 buckets: causal buckets must be at least 2}}
  %b = tfm.relative_position_bias %t queries(%n, %n) keys %n : tensor<1x8xf32> -> tensor<8x?x?xf32>
  return
}

// -----

func.func @relative_bias_heads(%n: index) {
  %t = tfm.param "enc.blk.0.attn_rel_b.weight" : tensor<32x8xf32>
  // expected-error @+1 {{'tfm.relative_position_bias' op result heads (4) must equal table heads (8)}}
  %b = tfm.relative_position_bias %t queries(%n, %n) keys %n {bidirectional} : tensor<32x8xf32> -> tensor<4x?x?xf32>
  return
}

// -----

func.func @relative_bias_rank(%n: index) {
  %t = tfm.param "enc.blk.0.attn_rel_b.weight" : tensor<32x8xf32>
  // expected-error @+1 {{'tfm.relative_position_bias' op result must have rank 3, got 'tensor<8x?xf32>'}}
  %b = tfm.relative_position_bias %t queries(%n, %n) keys %n {bidirectional} : tensor<32x8xf32> -> tensor<8x?xf32>
  return
}

// -----

func.func @attention_bias_heads(%q: tensor<4x64xf32>, %bias: tensor<4x4x4xf32>) {
  // expected-error @+1 {{'tfm.attention' op bias heads (4) must equal num_heads (8)}}
  %o = tfm.attention full %q, %q, %q bias %bias {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 1.0 : f64} : (tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x4x4xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @attention_bias_keys(%q: tensor<4x64xf32>, %bias: tensor<8x4x5xf32>) {
  // expected-error @+1 {{'tfm.attention' op bias columns (5) must equal keys (4)}}
  %o = tfm.attention full %q, %q, %q bias %bias {num_heads = 8 : i64, num_kv_heads = 8 : i64, head_dim = 8 : i64, scale = 1.0 : f64} : (tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>, tensor<8x4x5xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @kv_attention_bias_rows(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 8, context = 8, head_dim = 8, f32>, %p: index, %bias: tensor<8x2x?xf32>) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op bias rows (2) must equal query rows (1)}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p bias %bias {num_heads = 8 : i64, scale = 1.0 : f64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 8, context = 8, head_dim = 8, f32>, tensor<8x2x?xf32> -> tensor<1x64xf32>
  return
}

// -----

func.func @kv_attention_keys_window(%q: tensor<1x64xf32>, %c: !tfm.kv_cache<layers = 2, kv_heads = 8, context = 8, head_dim = 8, f32>, %p: index, %n: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op attends over an encoder's keys (`keys`): no rope or window applies}}
  %o = tfm.kv_cache.attention %q, %c[1] at %p keys %n {num_heads = 8 : i64, scale = 1.0 : f64, window = 4 : i64} : tensor<1x64xf32>, !tfm.kv_cache<layers = 2, kv_heads = 8, context = 8, head_dim = 8, f32> -> tensor<1x64xf32>
  return
}

// -----

func.func @flash_attention_bias_shape(%q: memref<1x64xf32>, %k: memref<8x?x8xf32>, %p: index, %out: memref<1x64xf32>, %bias: memref<8x32xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op position bias must be [num_heads, 2 * max_distance + 1] = [8, 33], got 'memref<8x32xf32>'}}
  tfm.flash_attention %q, %k, %k at %p -> %out position_bias(%bias at %p : memref<8x32xf32>) {num_heads = 8 : i64, scale = 1.0 : f64, max_distance = 16 : i64} : memref<1x64xf32>, memref<8x?x8xf32>, memref<8x?x8xf32>, memref<1x64xf32>
  return
}

// -----

func.func @flash_attention_bias_distance(%q: memref<1x64xf32>, %k: memref<8x?x8xf32>, %p: index, %out: memref<1x64xf32>, %bias: memref<8x33xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op needs a position bias, its query start and max_distance together, or none of them}}
  tfm.flash_attention %q, %k, %k at %p -> %out position_bias(%bias at %p : memref<8x33xf32>) {num_heads = 8 : i64, scale = 1.0 : f64} : memref<1x64xf32>, memref<8x?x8xf32>, memref<8x?x8xf32>, memref<1x64xf32>
  return
}

// -----

func.func @ring_without_window(%q: tensor<1x32xf32>, %c: !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, ring>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op reads a ring cache, which keeps only recent positions: it needs a sliding window}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.25 : f64} : tensor<1x32xf32>, !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, ring> -> tensor<1x32xf32>
  return
}

// -----

func.func @ring_window_too_wide(%q: tensor<1x32xf32>, %c: !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, ring>, %p: index) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op window 12 exceeds the 11 rows of its ring cache}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p {num_heads = 4 : i64, scale = 0.25 : f64, window = 12 : i64} : tensor<1x32xf32>, !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, ring> -> tensor<1x32xf32>
  return
}

// -----

func.func @ring_with_bias(%q: tensor<1x32xf32>, %c: !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, ring>, %p: index, %bias: tensor<4x1x?xf32>) {
  // expected-error @+1 {{'tfm.kv_cache.attention' op reads a ring cache: no encoder keys or position bias apply}}
  %o = tfm.kv_cache.attention %q, %c[0] at %p bias %bias {num_heads = 4 : i64, scale = 0.25 : f64, window = 8 : i64} : tensor<1x32xf32>, !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, ring>, tensor<4x1x?xf32> -> tensor<1x32xf32>
  return
}

// -----

// expected-error @+1 {{expected 'ring'}}
func.func @ring_misspelled(%c: !tfm.kv_cache<layers = 1, kv_heads = 2, context = 11, head_dim = 8, f32, rings>)

// -----

func.func @flash_attention_ring_without_window(%q: memref<1x32xf32>, %k: memref<2x?x8xf32>, %p: index, %n: index, %out: memref<1x32xf32>) {
  // expected-error @+1 {{'tfm.flash_attention' op reads a ring cache (`ring`): it needs a sliding window and no position bias}}
  tfm.flash_attention %q, %k, %k at %p ring %n -> %out {num_heads = 4 : i64, scale = 0.25 : f64} : memref<1x32xf32>, memref<2x?x8xf32>, memref<2x?x8xf32>, memref<1x32xf32>
  return
}
