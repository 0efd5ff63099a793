// RUN: attn-opt %s -split-input-file -verify-diagnostics

/// The diagnostics of attn.linear_attention, one case each.

func.func @linear_query_rank(%q: tensor<2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects query to have rank 4 ([B, H, L, D]), got rank 3}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_element_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf64>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects key element type to be f32, f16 or bf16, got 'f64'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf64>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_batch(%q: tensor<1x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects query, key and value to share the batch size, got [1, 2, 4, 8], [2, 2, 4, 8] and [1, 2, 4, 6]}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_kv_heads(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x1x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects key and value to share the number of heads, got 2 and 1}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_seq_len(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects query, key and value to share a sequence length, got [1, 2, 4, 8], [1, 2, 5, 8] and [1, 2, 4, 6]}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_head_dim(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x7xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects query and key to share the head dimension, got 8 and 7}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x7xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_zero_kv_heads(%q: tensor<1x2x4x8xf32>, %k: tensor<1x0x4x8xf32>, %v: tensor<1x0x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects at least one key/value head}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x0x4x8xf32>, tensor<1x0x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_group(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x3x4x6xf32>) {
  // expected-error @+1 {{expects the number of query heads to be a multiple of the number of key/value heads, got 3 and 2}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x3x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x3x4x6xf32>)  -> tensor<1x3x4x6xf32>
  return
}

// -----

func.func @linear_zero_dk(%q: tensor<1x2x4x0xf32>, %k: tensor<1x2x4x0xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects an explicit scale when the query/key head dimension is 0}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x0xf32>, tensor<1x2x4x0xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_scale(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects a finite scale, got}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>) {scale = 0x7FF0000000000000 : f64} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_num_inits(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x2x8x6xf32>) {
  // expected-error @+1 {{expects 1 to 2 inits (output, final state), got 3}}
  %r:3 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o, %s, %s : tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>, tensor<1x2x8x6xf32>)  -> tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>, tensor<1x2x8x6xf32>
  return
}

// -----

func.func @linear_num_results(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects one result per init, got 2 results and 1 inits}}
  %r:2 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>
  return
}

// -----

func.func @linear_result_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects each result to have the type of its init, got 'tensor<1x2x4x6xf16>' and 'tensor<1x2x4x6xf32>'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf16>
  return
}

// -----

func.func @linear_norm_state(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x2x8x6xf32>) {
  // expected-error @+1 {{expects the final normalizer state with the final state of a normalized op}}
  %r:2 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o, %s : tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>) {normalize} -> tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>
  return
}

// -----

func.func @linear_out_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xi32>) {
  // expected-error @+1 {{expects the output element type to be f32, f16 or bf16, got 'i32'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xi32>)  -> tensor<1x2x4x6xi32>
  return
}

// -----

func.func @linear_out_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{expects the output of shape [1, 2, 4, 6] ([B, Hq, L, Dv]), got [1, 2, 4, 8]}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x8xf32>)  -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @linear_final_state_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x2x8x6xf16>) {
  // expected-error @+1 {{expects the final state element type to be f32, got 'f16'}}
  %r:2 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o, %s : tensor<1x2x4x6xf32>, tensor<1x2x8x6xf16>)  -> tensor<1x2x4x6xf32>, tensor<1x2x8x6xf16>
  return
}

// -----

func.func @linear_final_state_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x2x6x8xf32>) {
  // expected-error @+1 {{expects the final state of shape [1, 2, 8, 6], got [1, 2, 6, 8]}}
  %r:2 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o, %s : tensor<1x2x4x6xf32>, tensor<1x2x6x8xf32>)  -> tensor<1x2x4x6xf32>, tensor<1x2x6x8xf32>
  return
}

// -----

func.func @linear_final_norm_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x2x8x6xf32>, %z: tensor<1x2x6xf32>) {
  // expected-error @+1 {{expects the final normalizer state of shape [1, 2, 8], got [1, 2, 6]}}
  %r:3 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o, %s, %z : tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>, tensor<1x2x6xf32>) {normalize} -> tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>, tensor<1x2x6xf32>
  return
}

// -----

func.func @linear_initial_count(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s0: tensor<1x2x8x6xf32>) {
  // expected-error @+1 {{expects two initial states (S0, z0) with 'normalize', got 1}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) initial_state(%s0 : tensor<1x2x8x6xf32>) outs(%o : tensor<1x2x4x6xf32>) {normalize} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_initial_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s0: tensor<1x2x8x6xf16>) {
  // expected-error @+1 {{expects the initial state element type to be f32, got 'f16'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) initial_state(%s0 : tensor<1x2x8x6xf16>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_initial_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s0: tensor<1x2x8x5xf32>) {
  // expected-error @+1 {{expects the initial state of shape [1, 2, 8, 6], got [1, 2, 8, 5]}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) initial_state(%s0 : tensor<1x2x8x5xf32>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_initial_norm_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s0: tensor<1x2x8x6xf32>, %z0: tensor<1x2x8xbf16>) {
  // expected-error @+1 {{expects the initial normalizer state element type to be f32, got 'bf16'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) initial_state(%s0, %z0 : tensor<1x2x8x6xf32>, tensor<1x2x8xbf16>) outs(%o : tensor<1x2x4x6xf32>) {normalize} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_decay_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %g: tensor<2xi32>) {
  // expected-error @+1 {{expects the log_decay element type to be f32, f16 or bf16, got 'i32'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) log_decay(%g : tensor<2xi32>) outs(%o : tensor<1x2x4x6xf32>) {causal} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_decay_rank(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %g: tensor<1x2xf32>) {
  // expected-error @+1 {{expects log_decay of rank 1 ([Hq]), 3 ([B, Hq, L]) or 4 ([B, Hq, L, Dk]), got rank 2}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) log_decay(%g : tensor<1x2xf32>) outs(%o : tensor<1x2x4x6xf32>) {causal} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_decay_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %g: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects log_decay of shape [1, 2, 4, 8], got [1, 2, 4, 6]}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) log_decay(%g : tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) {causal} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_decay_causal(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %g: tensor<2xf32>) {
  // expected-error @+1 {{expects 'causal' with a log_decay: the non-causal form has no decay}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) log_decay(%g : tensor<2xf32>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_segments_both(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x4xi32>, %c: tensor<3xi32>) {
  // expected-error @+1 {{expects segment_ids or cu_seqlens, not both}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) segment_ids(%s : tensor<1x4xi32>) cu_seqlens(%c : tensor<3xi32>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_segments_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x4xf32>) {
  // expected-error @+1 {{expects i32 or i64 segment_ids, got 'f32'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) segment_ids(%s : tensor<1x4xf32>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_segments_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x5xi32>) {
  // expected-error @+1 {{expects segment_ids of shape [1, 4] ([B, L]), got [1, 5]}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) segment_ids(%s : tensor<1x5xi32>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_cu_elem(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %c: tensor<3xindex>) {
  // expected-error @+1 {{expects i32 or i64 cu_seqlens, got 'index'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) cu_seqlens(%c : tensor<3xindex>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_cu_rank(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %c: tensor<1x3xi32>) {
  // expected-error @+1 {{expects cu_seqlens of rank 1 ([N + 1]), got rank 2}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) cu_seqlens(%c : tensor<1x3xi32>) outs(%o : tensor<1x2x4x6xf32>)  -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_eps_without_normalize(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects 'eps' only with 'normalize'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o : tensor<1x2x4x6xf32>) {eps = 1.0e-3} -> tensor<1x2x4x6xf32>
  return
}

// -----

func.func @linear_eps_negative(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %s: tensor<1x2x8x6xf32>, %z: tensor<1x2x8xf32>) {
  // expected-error @+1 {{expects a finite non-negative eps, got -1}}
  %r:3 = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>)  outs(%o, %s, %z : tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>, tensor<1x2x8xf32>) {normalize, eps = -1.0} -> tensor<1x2x4x6xf32>, tensor<1x2x8x6xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @linear_q_mod_args(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects q_mod arguments (f32, index, index, index, index), got 1 argument(s) of types ('f32')}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
      q_mod {
      ^bb0(%x: f32):
        attn.yield %x : f32
      }
  return
}

// -----

func.func @linear_k_mod_arg_types(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects k_mod arguments (f32, index, index, index, index), got 5 argument(s) of types ('f16', 'index', 'index', 'index', 'index')}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
      k_mod {
      ^bb0(%x: f16, %b: index, %h: index, %t: index, %d: index):
        %y = arith.extf %x : f16 to f32
        attn.yield %y : f32
      }
  return
}

// -----

func.func @linear_k_mod_yield(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects k_mod to end with 'attn.yield' of one 'f32' value}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
      k_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        %c = arith.cmpf ogt, %x, %x : f32
        attn.yield %c : i1
      }
  return
}

// -----

func.func @linear_q_mod_two_values(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects q_mod to end with 'attn.yield' of one 'f32' value}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
      q_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        attn.yield %x, %x : f32, f32
      }
  return
}

// -----

func.func @linear_mod_with_feature_map(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>) {
  // expected-error @+1 {{expects the identity feature_map with a k_mod region (the region is the feature map), got elu1}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) {feature_map = #attn.feature_map<elu1>} -> tensor<1x2x4x6xf32>
      k_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        attn.yield %x : f32
      }
  return
}

// -----

func.func @linear_mod_side_effect(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>, %o: tensor<1x2x4x6xf32>, %m: memref<8xf32>) {
  // expected-error @+1 {{expects q_mod to be free of side effects, got 'memref.store'}}
  %r = attn.linear_attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%o : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
      q_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        memref.store %x, %m[%d] : memref<8xf32>
        attn.yield %x : f32
      }
  return
}

