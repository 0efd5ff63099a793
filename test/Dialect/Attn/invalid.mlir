// RUN: attn-opt %s -split-input-file -verify-diagnostics

/// One case per diagnostic of the attn dialect: every malformed use gets a
/// located error, never a crash.

func.func @query_rank(%q: tensor<2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init67_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects query to have rank 4 ([B, H, L, D]), got rank 3}}
  %0 = attn.attention ins(%q, %k, %v : tensor<2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init67_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @element_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf64>, %v: tensor<1x2x4x8xf32>) {
  %init68_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects key element type to be f32, f16 or bf16, got 'f64'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf64>, tensor<1x2x4x8xf32>) outs(%init68_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @mixed_element_types(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf16>, %v: tensor<1x2x4x8xf32>) {
  %init69_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects query, key and value to share an element type, got 'f32', 'f16' and 'f32'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf16>, tensor<1x2x4x8xf32>) outs(%init69_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @batch_mismatch(%q: tensor<1x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init70_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects query, key and value to share the batch size, got [1, 2, 4, 8], [2, 2, 4, 8] and [1, 2, 4, 8]}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init70_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @kv_heads_mismatch(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x1x4x8xf32>) {
  %init71_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects key and value to share the number of heads, got 2 and 1}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>) outs(%init71_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @kv_length_mismatch(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x5x8xf32>) {
  %init72_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects key and value to share a sequence length, got 4 and 5}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x5x8xf32>) outs(%init72_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @head_dim_mismatch(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x8xf32>) {
  %init73_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects query and key to share the head dimension, got 8 and 16}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x8xf32>) outs(%init73_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @zero_kv_heads(%q: tensor<1x2x4x8xf32>, %k: tensor<1x0x4x8xf32>, %v: tensor<1x0x4x8xf32>) {
  %init74_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects at least one key/value head}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x0x4x8xf32>, tensor<1x0x4x8xf32>) outs(%init74_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @heads_not_divisible(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init75_0 = tensor.empty() : tensor<1x3x4x8xf32>
  // expected-error @+1 {{expects the number of query heads to be a multiple of the number of key/value heads, got 3 and 2}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x3x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init75_0 : tensor<1x3x4x8xf32>) -> tensor<1x3x4x8xf32>
  return
}

// -----

func.func @output_rank(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init76_0 = tensor.empty() : tensor<2x4x8xf32>
  // expected-error @+1 {{expects the output to have rank 4 ([B, Hq, Lq, Dv]), got rank 3}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init76_0 : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @output_element_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init77_0 = tensor.empty() : tensor<1x2x4x8xf64>
  // expected-error @+1 {{expects the output element type to be f32, f16 or bf16, got 'f64'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init77_0 : tensor<1x2x4x8xf64>) -> tensor<1x2x4x8xf64>
  return
}

// -----

func.func @output_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x6xf32>) {
  %init78_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects the output of shape [1, 2, 4, 6] ([B, Hq, Lq, Dv]), got [1, 2, 4, 8]}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x6xf32>) outs(%init78_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @lse_with_sigmoid(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init79_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %init79_1 = tensor.empty() : tensor<1x2x4xf32>
  // expected-error @+1 {{expects no log-sum-exp result with the 'sigmoid' normalizer}}
  %0:2 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init79_0, %init79_1 : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {normalizer = #attn.normalizer<sigmoid>} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @lse_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init80_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %init80_1 = tensor.empty() : tensor<1x2x4xf16>
  // expected-error @+1 {{expects the log-sum-exp result to be f32, got 'f16'}}
  %0:2 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init80_0, %init80_1 : tensor<1x2x4x8xf32>, tensor<1x2x4xf16>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf16>
  return
}

// -----

func.func @lse_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init81_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %init81_1 = tensor.empty() : tensor<1x2x5xf32>
  // expected-error @+1 {{expects the log-sum-exp result of shape [1, 2, 4] ([B, Hq, Lq]), got [1, 2, 5]}}
  %0:2 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init81_0, %init81_1 : tensor<1x2x4x8xf32>, tensor<1x2x5xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x5xf32>
  return
}

// -----

func.func @scale_negative(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init82_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a positive finite scale, got -5.000000e-01}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init82_0 : tensor<1x2x4x8xf32>) {scale = -0.5} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @softcap_zero(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init83_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a positive finite softcap, got 0.000000e+00}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init83_0 : tensor<1x2x4x8xf32>) {softcap = 0.0} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @sigmoid_bias_softmax(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init84_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects 'sigmoid_bias' only with the 'sigmoid' normalizer}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init84_0 : tensor<1x2x4x8xf32>) {sigmoid_bias = 1.0} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @sigmoid_bias_inf(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init85_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a finite sigmoid_bias, got INF}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init85_0 : tensor<1x2x4x8xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = 0x7FF0000000000000 : f64} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @mask_element_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<4x4xi32>) {
  %init86_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a boolean (i1) or floating-point mask, got 'i32'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) mask(%m : tensor<4x4xi32>) outs(%init86_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @mask_rank(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<4xi1>) {
  %init87_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a mask of rank 2 to 4 broadcastable to [B, Hq, Lq, Lkv], got rank 1}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) mask(%m : tensor<4xi1>) outs(%init87_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @mask_broadcast(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<3x4x4xi1>) {
  %init88_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a mask broadcastable to [1, 2, 4, 4] ([B, Hq, Lq, Lkv]), got [3, 4, 4]}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) mask(%m : tensor<3x4x4xi1>) outs(%init88_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @lengths_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %l: tensor<1xf32>) {
  %init89_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects q_lengths to have a signless integer element type, got 'f32'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) q_lengths(%l : tensor<1xf32>) outs(%init89_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @lengths_rank(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %l: tensor<1x1xi32>) {
  %init90_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects kv_lengths to have rank 1 (([B])), got rank 2}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) kv_lengths(%l : tensor<1x1xi32>) outs(%init90_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @lengths_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %l: tensor<2xi32>) {
  %init91_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects kv_lengths of shape [1] ([B]), got [2]}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) kv_lengths(%l : tensor<2xi32>) outs(%init91_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @segment_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %a: tensor<1x4xi32>, %b: tensor<1x5xi32>) {
  %init92_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects kv_segment_ids of shape [1, 4] ([B, Lkv]), got [1, 5]}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) segment_ids(%a, %b : tensor<1x4xi32>, tensor<1x5xi32>) outs(%init92_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @segment_types(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %a: tensor<1x4xi32>, %b: tensor<1x4xi64>) {
  %init93_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects q_segment_ids and kv_segment_ids to share an element type}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) segment_ids(%a, %b : tensor<1x4xi32>, tensor<1x4xi64>) outs(%init93_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @segment_alone(%q: tensor<1x2x4x8xf32>, %a: tensor<1x4xi32>) {
  // expected-error @+1 {{expects q_segment_ids and kv_segment_ids together}}
  %0 = "attn.attention"(%q, %q, %q, %a, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1>}> ({}, {}) : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4xi32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @sinks_sigmoid(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %s: tensor<2xf32>) {
  %init94_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects sinks only with the 'softmax' normalizer}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) sinks(%s : tensor<2xf32>) outs(%init94_0 : tensor<1x2x4x8xf32>) {normalizer = #attn.normalizer<sigmoid>} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @sinks_type(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %s: tensor<2xi32>) {
  %init95_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects floating-point sink logits, got 'i32'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) sinks(%s : tensor<2xi32>) outs(%init95_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @sinks_shape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %s: tensor<3xf32>) {
  %init96_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects one sink logit per query head ([2]), got [3]}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) sinks(%s : tensor<3xf32>) outs(%init96_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @masks_not_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init97_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects structured mask attributes in 'masks', got 1 : i64}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init97_0 : tensor<1x2x4x8xf32>) {masks = [1]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @masks_duplicate(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init98_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects at most one mask term of each kind, got #attn.chunked<4> twice}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init98_0 : tensor<1x2x4x8xf32>) {masks = [#attn.chunked<2>, #attn.chunked<4>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @masks_causal_prefix(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init99_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects #attn.causal and #attn.prefix_lm not to be combined: the causal term hides the bidirectional prefix}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init99_0 : tensor<1x2x4x8xf32>) {masks = [#attn.causal, #attn.prefix_lm<2>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @masks_causal_window_right(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init100_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a sliding window with right = 0 under #attn.causal, got right = 2}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init100_0 : tensor<1x2x4x8xf32>) {masks = [#attn.sliding_window<left = 2, right = 2>, #attn.causal]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @score_mod_args(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init101_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects score_mod arguments (f32, index, index, index, index), got 1 argument(s) of types ('f32')}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init101_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> score_mod {
  ^bb0(%s: f32):
    attn.yield %s : f32
  }
  return
}

// -----

func.func @score_mod_yield(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init102_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects score_mod to end with 'attn.yield' of one 'f32' value}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init102_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> score_mod {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %b : index
  }
  return
}

// -----

func.func @mask_mod_args(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init103_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects mask_mod arguments (index, index, index, index), got 0 argument(s)}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init103_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> mask_mod {
    %t = arith.constant true
    attn.yield %t : i1
  }
  return
}

// -----

func.func @mask_mod_yield(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init104_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects mask_mod to end with 'attn.yield' of one 'i1' value}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init104_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 1.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func @window_negative(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init105_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects non-negative window sizes, got left = -1, right = 0}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init105_0 : tensor<1x2x4x8xf32>) {masks = [#attn.sliding_window<left = -1, right = 0>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @dilation_zero(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init106_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a dilation of at least 1, got 0}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init106_0 : tensor<1x2x4x8xf32>) {masks = [#attn.dilated<0>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @chunk_zero(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init107_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a chunk size of at least 1, got 0}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init107_0 : tensor<1x2x4x8xf32>) {masks = [#attn.chunked<0>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @prefix_negative(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init108_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a non-negative prefix length, got -3}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init108_0 : tensor<1x2x4x8xf32>) {masks = [#attn.prefix_lm<-3>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_rank(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a grid of 1 to 3 dimensions, got 4}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [1, 1, 2, 2], kernel = [1, 1, 1, 1]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_kernel_count(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects one kernel size per grid dimension, got 1 for a rank-2 grid}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [2, 2], kernel = [1]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_dilation_count(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects one dilation per grid dimension, got 1 for a rank-2 grid}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [2, 2], kernel = [1, 1], dilation = [1]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_causal_count(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects one causal flag per grid dimension, got 2 for a rank-1 grid}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4], kernel = [1], causal = [true, false]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_zero_grid(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects positive grid sizes, got 0 along dimension 1}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4, 0], kernel = [1, 1]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_negative_kernel(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects positive kernel sizes, got -3 along dimension 0}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4], kernel = [-3]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_zero_dilation(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects positive dilations, got 0 along dimension 0}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4], kernel = [1], dilation = [0]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_even_kernel(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects an odd kernel size along non-causal dimension 0, got 2}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4], kernel = [2]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_kernel_too_large(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects a kernel of at most the grid size along dimension 1, got kernel size 3 for grid size 2}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [2, 2], kernel = [1, 3]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_dilation_too_large(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects kernel size * dilation to fit in the grid along dimension 0, got 3 * 2 > 4}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4], kernel = [3], dilation = [2]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_causal_flag(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expected 'true' or 'false'}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [4], kernel = [1], causal = [1]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @neighborhood_token_count(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  %init = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects as many keys as tokens of the neighborhood grid, got 4 keys for 6 tokens}}
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init : tensor<1x2x4x8xf32>) {masks = [#attn.neighborhood<grid = [2, 3], kernel = [1, 3]>]} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @yield_outside() {
  %c = arith.constant 1.0 : f32
  // expected-error @+1 {{'attn.yield' op expects parent op to be one of 'attn.attention, attn.linear_attention'}}
  attn.yield %c : f32
}

// -----

func.func @normalizer_unknown(%q: tensor<1x2x4x8xf32>) {
  %init109_0 = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+2 {{expected ::mlir::attn::Normalizer to be one of: softmax, sigmoid, softpick}}
  // expected-error @+1 {{failed to parse Attn_NormalizerAttr parameter 'value'}}
  %0 = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%init109_0 : tensor<1x2x4x8xf32>) {normalizer = #attn.normalizer<relu>} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @partial_init_count(%q: tensor<1x2x4x8xf32>) {
  %e = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects three inits (acc, max, sum) in the partial form, got 1}}
  %o = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%e : tensor<1x2x4x8xf32>) {partial} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @normalised_init_count(%q: tensor<1x2x4x8xf32>, %r: tensor<1x2x4xf32>) {
  %e = tensor.empty() : tensor<1x2x4x8xf32>
  // expected-error @+1 {{expects one or two inits (output and optional log-sum-exp), got 3}}
  %o:3 = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%e, %r, %r : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @partial_f16_acc(%q: tensor<1x2x4x8xf16>, %a: tensor<1x2x4x8xf16>, %r: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects an f32 accumulator in the partial form, got 'f16'}}
  %o:3 = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf16>, tensor<1x2x4x8xf16>, tensor<1x2x4x8xf16>)
      outs(%a, %r, %r : tensor<1x2x4x8xf16>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) {partial} -> tensor<1x2x4x8xf16>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @partial_sinks(%q: tensor<1x2x4x8xf32>, %r: tensor<1x2x4xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{expects no sinks in the partial form: sink logits join the state when it is finalised}}
  %o:3 = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) sinks(%s : tensor<2xf32>)
      outs(%q, %r, %r : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) {partial} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @partial_row_shape(%q: tensor<1x2x4x8xf32>, %r: tensor<1x2x4xf32>, %bad: tensor<1x2x5xf32>) {
  // expected-error @+1 {{expects the running sum result of shape [1, 2, 4] ([B, Hq, Lq]), got [1, 2, 5]}}
  %o:3 = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%q, %r, %bad : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x5xf32>) {partial} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x5xf32>
  return
}

// -----

func.func @tile_coordinates_count(%q: tensor<1x2x4x8xf32>, %i: index) {
  // expected-error @+1 {{expects tile coordinates as four offsets (b, h, q, kv) and three problem extents (Lq, Lkv, group size), got 2 and 3}}
  %o = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      offsets(%i, %i) problem(%i, %i, %i) outs(%q : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @merge_states_count(%o: tensor<1x2x4x8xf32>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects as many log-sum-exps as values, got 2 values, 1 log-sum-exps}}
  %r:2 = attn.merge_states values(%o, %o : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) lses(%l : tensor<1x2x4xf32>)
      outs(%o, %l : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @merge_states_inits(%o: tensor<1x2x4x8xf32>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects 3 inits for (acc, max, sum) states, got 2}}
  %r:2 = attn.merge_states values(%o : tensor<1x2x4x8xf32>) lses(%l : tensor<1x2x4xf32>) sums(%l : tensor<1x2x4xf32>)
      outs(%o, %l : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @merge_states_shapes(%o: tensor<1x2x4x8xf32>, %o2: tensor<1x2x5x8xf32>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects the values of state 1 to match the result shape}}
  %r:2 = attn.merge_states values(%o, %o2 : tensor<1x2x4x8xf32>, tensor<1x2x5x8xf32>) lses(%l, %l : tensor<1x2x4xf32>, tensor<1x2x4xf32>)
      outs(%o, %l : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @merge_states_lse_type(%o: tensor<1x2x4x8xf32>, %l: tensor<1x2x4xf16>, %lo: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects the f32 row tensors of state 0 to match the result's row shape}}
  %r:2 = attn.merge_states values(%o : tensor<1x2x4x8xf32>) lses(%l : tensor<1x2x4xf16>)
      outs(%o, %lo : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @merge_states_result_rows(%o: tensor<1x2x4x8xf32>, %l: tensor<1x2x5xf32>) {
  // expected-error @+1 {{expects f32 log-sum-exps shaped like the values without their last dimension}}
  %r:2 = attn.merge_states values(%o : tensor<1x2x4x8xf32>) lses(%l : tensor<1x2x5xf32>)
      outs(%o, %l : tensor<1x2x4x8xf32>, tensor<1x2x5xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x5xf32>
  return
}

// -----

func.func @merge_states_dimension_count(%o: tensor<1x2x4x3x8xf32>, %l: tensor<1x2x4x3xf32>, %ro: tensor<1x2x4x8xf32>, %rl: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects one state with 'dimension', got 2}}
  %r:2 = attn.merge_states values(%o, %o : tensor<1x2x4x3x8xf32>, tensor<1x2x4x3x8xf32>) lses(%l, %l : tensor<1x2x4x3xf32>, tensor<1x2x4x3xf32>)
      outs(%ro, %rl : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {dimension = 3} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @merge_states_dimension_range(%o: tensor<1x2x4x8x3xf32>, %l: tensor<1x2x4x3xf32>, %ro: tensor<1x2x4x8xf32>, %rl: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects 'dimension' in [0, 3], got 4}}
  %r:2 = attn.merge_states values(%o : tensor<1x2x4x8x3xf32>) lses(%l : tensor<1x2x4x3xf32>)
      outs(%ro, %rl : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {dimension = 4} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @merge_states_unnormalized_f16(%o: tensor<1x2x4x8xf16>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects f32 accumulators, got 'f16'}}
  %r:3 = attn.merge_states values(%o : tensor<1x2x4x8xf16>) lses(%l : tensor<1x2x4xf32>) sums(%l : tensor<1x2x4xf32>)
      outs(%o, %l, %l : tensor<1x2x4x8xf16>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf16>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  return
}
