// RUN: attn-opt %s -split-input-file -verify-diagnostics

/// The diagnostics of the key-block lists (kv_blocks) of attn.attention.

func.func @sizes_without_lists(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects kv_blocks operands with q_block_size, kv_block_size or kv_blocks_per_group}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @lists_without_sizes(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xi32>, %i: tensor<1x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects q_block_size and kv_block_size with kv_blocks}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xi32>, tensor<1x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @zero_block_size(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xi32>, %i: tensor<1x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects positive q_block_size and kv_block_size, got 64 and 0}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xi32>, tensor<1x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 0 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @float_lists(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xf32>, %i: tensor<1x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects kv_block_counts and kv_block_indices to have signless integer element types, got 'f32' and 'i32'}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xf32>, tensor<1x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @counts_rank(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<4x2xi32>, %i: tensor<1x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects kv_block_counts to have rank 3 ([B, H, Nq]), got rank 2}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<4x2xi32>, tensor<1x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @indices_rank(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xi32>, %i: tensor<4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects kv_block_indices to have rank 4 ([B, H, Nq, K]), got rank 3}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xi32>, tensor<4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @mismatched_lists(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xi32>, %i: tensor<1x4x3x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects kv_block_counts and the leading dims of kv_block_indices to match, got dim 2 of 2 and 3}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xi32>, tensor<1x4x3x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @dynamic_heads(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x?x2xi32>, %i: tensor<1x?x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects a static head dim of kv_block_counts}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x?x2xi32>, tensor<1x?x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @batch_dim(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<2x4x2xi32>, %i: tensor<2x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects the batch dim of the key-block lists to be 1 or B = 1, got 2}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<2x4x2xi32>, tensor<2x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @head_dim(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x2x2xi32>, %i: tensor<1x2x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects the head dim of the key-block lists to be 1 or Hq = 4, got 2}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x2x2xi32>, tensor<1x2x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @head_dim_per_group(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xi32>, %i: tensor<1x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects the head dim of the key-block lists to be 1 or Hkv = 2, got 4}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xi32>, tensor<1x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64, kv_blocks_per_group} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @query_blocks(%q: tensor<1x4x128x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>, %c: tensor<1x4x2xi32>, %i: tensor<1x4x2x3xi32>, %o: tensor<1x4x128x8xf32>) -> tensor<1x4x128x8xf32> {
  // expected-error @+1 {{expects ceil(Lq / q_block_size) = 3 query blocks in the key-block lists, got 2}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x128x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x4x2xi32>, tensor<1x4x2x3xi32>)
      outs(%o : tensor<1x4x128x8xf32>) {q_block_size = 48 : i64, kv_block_size = 64 : i64} -> tensor<1x4x128x8xf32>
  return %r : tensor<1x4x128x8xf32>
}

// -----

func.func @constant_out_of_range(%q: tensor<1x1x128x8xf32>, %k: tensor<1x1x128x8xf32>, %v: tensor<1x1x128x8xf32>, %o: tensor<1x1x128x8xf32>) -> tensor<1x1x128x8xf32> {
  %c = arith.constant dense<[[[1, 2]]]> : tensor<1x1x2xi32>
  // List 0 lists one block (its entry 1, past the count, may hold
  // anything); list 1 lists two, and block 7 does not exist (Lkv = 128).
  %i = arith.constant dense<[[[[0, 2], [1, 7]]]]> : tensor<1x1x2x2xi32>
  // expected-error @+1 {{expects listed kv_block_indices in [0, 2), got 7 at list 1, entry 1}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x128x8xf32>, tensor<1x1x128x8xf32>, tensor<1x1x128x8xf32>)
      kv_blocks(%c, %i : tensor<1x1x2xi32>, tensor<1x1x2x2xi32>)
      outs(%o : tensor<1x1x128x8xf32>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x1x128x8xf32>
  return %r : tensor<1x1x128x8xf32>
}
