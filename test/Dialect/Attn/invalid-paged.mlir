// RUN: attn-opt %s -split-input-file -verify-diagnostics

/// The diagnostics of the paged KV layout of attn.attention.

func.func @no_table(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects a page_table with a paged kv_layout}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @no_layout(%q: tensor<1x1x1x8xf32>, %k: tensor<1x1x8x8xf32>, %v: tensor<1x1x8x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects kv_layout paged_nhd or paged_hnd with a page_table}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @pages(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<5x2x1x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects key and value pools with the same number of pages ([pages, P, Hkv, D]), got 4 and 5}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<5x2x1x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @page_size(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x3x1x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects key and value pools with the same page size, got 2 and 3}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x3x1x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @heads(%q: tensor<1x2x1x8xf32>, %k: tensor<4x1x2x8xf32>, %v: tensor<4x2x2x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x2x1x8xf32>) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects key and value pools with the same number of heads, got 1 and 2}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x2x1x8xf32>, tensor<4x1x2x8xf32>, tensor<4x2x2x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x2x1x8xf32>) {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<1x2x1x8xf32>
  return %r : tensor<1x2x1x8xf32>
}

// -----

func.func @dynamic_page(%q: tensor<1x1x1x8xf32>, %k: tensor<4x?x1x8xf32>, %v: tensor<4x?x1x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects a static, positive page size, got [?]}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x?x1x8xf32>, tensor<4x?x1x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @table_type(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %t: tensor<1x4xi16>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects page_table to have element type i32 or i64, got 'i16'}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      page_table(%t : tensor<1x4xi16>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @table_rank(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %t: tensor<4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects page_table to have rank 2 ([B, max_pages]), got rank 1}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      page_table(%t : tensor<4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @batch(%q: tensor<2x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %t: tensor<3x4xi32>, %o: tensor<2x1x1x8xf32>) -> tensor<2x1x1x8xf32> {
  // expected-error @+1 {{expects query, key and value to share the batch size}}
  %r = attn.attention ins(%q, %k, %v : tensor<2x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      page_table(%t : tensor<3x4xi32>) outs(%o : tensor<2x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<2x1x1x8xf32>
  return %r : tensor<2x1x1x8xf32>
}

// -----

func.func @head_dim(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x4xf32>, %v: tensor<4x2x1x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  // expected-error @+1 {{expects query and key to share the head dimension, got 8 and 4}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x4xf32>, tensor<4x2x1x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @entry(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  %t = arith.constant dense<[[0, 1, 4, 2]]> : tensor<1x4xi32>
  // expected-error @+1 {{expects page_table entries in [0, 4), got 4 at flat index 2}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @lengths(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32> {
  %len = arith.constant dense<[9]> : tensor<1xi32>
  // expected-error @+1 {{expects kv_lengths at most max_pages * page_size = 8, got 9 at index 0}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      kv_lengths(%len : tensor<1xi32>) page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}

// -----

func.func @tile_key_offset(%q: tensor<1x1x1x8xf32>, %k: tensor<4x2x1x8xf32>, %v: tensor<4x2x1x8xf32>, %t: tensor<1x2xi32>, %o: tensor<1x1x1x8xf32>, %i: index) -> tensor<1x1x1x8xf32> {
  %c3 = arith.constant 3 : index
  // expected-error @+1 {{expects the key offset of a paged tile to be a multiple of the page size 2, got 3}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x8xf32>, tensor<4x2x1x8xf32>, tensor<4x2x1x8xf32>)
      page_table(%t : tensor<1x2xi32>) offsets(%i, %i, %i, %c3) problem(%i, %i, %i)
      outs(%o : tensor<1x1x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x8xf32>
  return %r : tensor<1x1x1x8xf32>
}
