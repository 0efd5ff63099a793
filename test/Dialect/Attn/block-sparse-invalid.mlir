// RUN: attn-opt %s -split-input-file -verify-diagnostics

/// One case per diagnostic of attn.block_scores and attn.select_blocks.

/// Query rank.
func.func @f(%q: tensor<4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects query to have rank 4 ([B, H, L, D]), got rank 3}}
  %s = attn.block_scores ins(%q, %k : tensor<4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Key element type.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xi32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects key element type to be f32, f16 or bf16, got 'i32'}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xi32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Batch.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<2x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects query and key to share the batch size, got 1 and 2}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<2x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Head dim.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x4xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects query and key to share the head dimension, got 8 and 4}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x4xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// No key head.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x0x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects at least one key head}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x0x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Heads do not divide.
func.func @f(%q: tensor<1x3x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects the number of query heads to be a multiple of the number of key heads, got 3 and 2}}
  %s = attn.block_scores ins(%q, %k : tensor<1x3x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Block size.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects a block_size >= 1, got 0}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 0} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Query block.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects a query_block >= 1, got 0}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, query_block = 0} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Unknown pooling.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects pooling "mean", "max" or "none", got "sum"}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, pooling = "sum"} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Unknown reduction.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects reduce "sum" or "max", got "mean"}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, reduce = "mean"} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Non-finite scale.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects a finite scale, got INF}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, scale = 0x7FF0000000000000 : f64} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Zero head dim without a scale.
func.func @f(%q: tensor<1x4x16x0xf32>, %k: tensor<1x2x16x0xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects an explicit scale when the head dimension is 0}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x0xf32>, tensor<1x2x16x0xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// lse without normalize.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>, %lse: tensor<1x4x16xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects 'normalize' with an lse operand}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) lse(%lse : tensor<1x4x16xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// lse element type.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>, %lse: tensor<1x4x16xf16>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects an f32 lse, got 'f16'}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) lse(%lse : tensor<1x4x16xf16>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, normalize} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// lse shape.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>, %lse: tensor<1x2x16xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects an lse of shape [1, 4, 16] ([B, Hq, Lq]), got [1, 2, 16]}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) lse(%lse : tensor<1x2x16xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, normalize} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Result element type.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf16>) -> tensor<1x2x16x4xf16> {
  // expected-error @+1 {{expects an f32 result, got 'f16'}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf16>) {block_size = 4} -> tensor<1x2x16x4xf16>
  return %s : tensor<1x2x16x4xf16>
}

// -----

/// Result rank.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<2x16x4xf32>) -> tensor<2x16x4xf32> {
  // expected-error @+1 {{expects a result of rank 4 ([B, Hs, Nq, Nk]), got rank 3}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<2x16x4xf32>) {block_size = 4} -> tensor<2x16x4xf32>
  return %s : tensor<2x16x4xf32>
}

// -----

/// Number of key blocks: ceil(16 / 5) = 4.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x3xf32>) -> tensor<1x2x16x3xf32> {
  // expected-error @+1 {{expects a result of shape [1, 2, 16, 4] ([B, Hs, ceil(Lq / query_block), ceil(Lk / block_size)]), got [1, 2, 16, 3]}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x3xf32>) {block_size = 5} -> tensor<1x2x16x3xf32>
  return %s : tensor<1x2x16x3xf32>
}

// -----

/// Number of query blocks: ceil(16 / 3) = 6.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects a result of shape [1, 2, 6, 4] ([B, Hs, ceil(Lq / query_block), ceil(Lk / block_size)]), got [1, 2, 16, 4]}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, query_block = 3} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Compressed keys: one block per key.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x2x16x4xf32> {
  // expected-error @+1 {{expects a result of shape [1, 2, 16, 16] ([B, Hs, ceil(Lq / query_block), Lk]), got [1, 2, 16, 4]}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4, pooling = "none"} -> tensor<1x2x16x4xf32>
  return %s : tensor<1x2x16x4xf32>
}

// -----

/// Result heads.
func.func @f(%q: tensor<1x6x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x3x16x4xf32>) -> tensor<1x3x16x4xf32> {
  // expected-error @+1 {{expects the result's heads to be the query heads (6) or the key heads (2), got 3}}
  %s = attn.block_scores ins(%q, %k : tensor<1x6x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x3x16x4xf32>) {block_size = 4} -> tensor<1x3x16x4xf32>
  return %s : tensor<1x3x16x4xf32>
}

// -----

/// Result and init types differ.
func.func @f(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %i: tensor<1x2x16x4xf32>) -> tensor<1x4x16x4xf32> {
  // expected-error @+1 {{expects the result to have the type of its init, got 'tensor<1x4x16x4xf32>' and 'tensor<1x2x16x4xf32>'}}
  %s = attn.block_scores ins(%q, %k : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>) outs(%i : tensor<1x2x16x4xf32>) {block_size = 4} -> tensor<1x4x16x4xf32>
  return %s : tensor<1x4x16x4xf32>
}

// -----

/// Scores rank.
func.func @f(%s: tensor<2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects scores of rank 4 ([B, H, Nq, Nk]), got rank 3}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Scores element type.
func.func @f(%s: tensor<1x2x16x4xi32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects floating-point scores, got 'i32'}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xi32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Negative k.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects k >= 0, got -1}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = -1, block_size = 4} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// k larger than the number of blocks.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x5xi32>) {
  // expected-error @+1 {{expects k <= the number of key blocks, got k = 5 with 4 blocks}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x5xi32>) {k = 5, block_size = 4} -> tensor<1x2x16xi32>, tensor<1x2x16x5xi32>
  return
}

// -----

/// Block size.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects a block_size >= 1, got 0}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 0} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Query block.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects a query_block >= 1, got 0}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4, query_block = 0} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Negative forced blocks.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects forced_first and local >= 0, got 0 and -1}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4, local = -1} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// More forced blocks than k.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects forced_first + local <= k, got 1 + 2 > 2}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4, forced_first = 1, local = 2} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// A positive threshold.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects a finite threshold <= 0 (log lambda, lambda in (0, 1]), got 5.000000e-01}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4, threshold = 0.5} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// A non-finite threshold.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects a finite threshold <= 0 (log lambda, lambda in (0, 1]), got -INF}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4, threshold = 0xFFF0000000000000 : f64} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// One length.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>, %l: index) {
  // expected-error @+1 {{expects two lengths (Lq, Lkv), got 1}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) lengths(%l) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Inits of the split form.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects 4 inits (counts, indices, full_counts, full_indices), got 2}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4, split} -> tensor<1x2x16xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Count element type.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi64>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects i32 counts and indices, got 'i64'}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi64>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x16xi64>, tensor<1x2x16x2xi32>
  return
}

// -----

/// Count shape.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x8xi32>, %o1: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects block counts of shape [1, 2, 16] ([B, H, Nq]), got [1, 2, 8]}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x8xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x8xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// List length is k.
func.func @f(%s: tensor<1x2x16x4xf32>, %o0: tensor<1x2x16xi32>, %o1: tensor<1x2x16x3xi32>) {
  // expected-error @+1 {{expects block indices of shape [1, 2, 16, 2] ([B, H, Nq, k]), got [1, 2, 16, 3]}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%o0, %o1 : tensor<1x2x16xi32>, tensor<1x2x16x3xi32>) {k = 2, block_size = 4} -> tensor<1x2x16xi32>, tensor<1x2x16x3xi32>
  return
}

// -----

/// Result and init types differ.
func.func @f(%s: tensor<1x2x16x4xf32>, %c: tensor<1x2x16xi32>, %i: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects each result to have the type of its init, got 'tensor<1x2x8xi32>' and 'tensor<1x2x16xi32>'}}
  %r0, %r1 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%c, %i : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x8xi32>, tensor<1x2x16x2xi32>
  return
}

// -----

/// One result per init.
func.func @f(%s: tensor<1x2x16x4xf32>, %c: tensor<1x2x16xi32>, %i: tensor<1x2x16x2xi32>) {
  // expected-error @+1 {{expects one result per init, got 1 results and 2 inits}}
  %r0 = attn.select_blocks ins(%s : tensor<1x2x16x4xf32>) outs(%c, %i : tensor<1x2x16xi32>, tensor<1x2x16x2xi32>) {k = 2, block_size = 4} -> tensor<1x2x16xi32>
  return
}
