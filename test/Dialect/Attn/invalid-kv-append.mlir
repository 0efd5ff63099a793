// RUN: attn-opt %s -split-input-file -verify-diagnostics

/// The diagnostics of attn.kv_append.

func.func @contiguous(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects kv_layout paged_nhd or paged_hnd}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) {kv_layout = #attn.kv_layout<contiguous>} -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @new_rank(%n: tensor<2x2x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects new rows of rank 4 ([B, Hkv, Lnew, D]), got rank 3}}
  %r = attn.kv_append ins(%n : tensor<2x2x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @pool_rank(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x16xf32>) -> tensor<8x4x16xf32> {
  // expected-error @+1 {{expects a pool of rank 4 ([pages, Hkv, P, D]), got rank 3}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x16xf32>) {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<8x4x16xf32>
  return %r : tensor<8x4x16xf32>
}

// -----

func.func @positions_rank(%n: tensor<2x2x1x8xf32>, %p: tensor<2x1xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects positions of rank 1 ([B]), got rank 2}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2x1xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @table_rank(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<8xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects page_table of rank 2 ([B, max_pages]), got rank 1}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<8xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @result_type(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<?x4x2x8xf32> {
  // expected-error @+1 {{expects the result type to be the pool type 'tensor<8x4x2x8xf32>', got 'tensor<?x4x2x8xf32>'}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<?x4x2x8xf32>
  return %r : tensor<?x4x2x8xf32>
}

// -----

func.func @element_type(%n: tensor<2x2x1x8xf16>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects new rows and pool of the same element type, got 'f16' and 'f32'}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf16>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @positions_type(%n: tensor<2x2x1x8xf32>, %p: tensor<2xf32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects positions of element type i32 or i64, got 'f32'}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xf32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @table_type(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi16>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects page_table of element type i32 or i64, got 'i16'}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi16>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @batch(%n: tensor<2x2x1x8xf32>, %p: tensor<3xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{expects new rows, positions and page_table to share the batch size, got 2, 3 and 2}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<3xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

/// An HND pool [pages, Hkv, P, D] read as NHD would give Hkv = 4.
func.func @heads(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x2x4x8xf32>) -> tensor<8x2x4x8xf32> {
  // expected-error @+1 {{expects new rows [B, Hkv, Lnew, D] and pool [pages, P, Hkv, D] to share Hkv and D, got Hkv 2 and 4, D 8 and 8}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x2x4x8xf32>) -> tensor<8x2x4x8xf32>
  return %r : tensor<8x2x4x8xf32>
}

// -----

func.func @page_size(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x?x2x8xf32>) -> tensor<8x?x2x8xf32> {
  // expected-error @+1 {{expects a static, positive page size, got ?}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x?x2x8xf32>) -> tensor<8x?x2x8xf32>
  return %r : tensor<8x?x2x8xf32>
}

// -----

func.func @table_entries(%n: tensor<2x2x1x8xf32>, %p: tensor<2xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  %t = arith.constant dense<[[0, 1, 2, 3], [4, 5, 8, 7]]> : tensor<2x4xi32>
  // expected-error @+1 {{expects page_table entries in [0, 8), got 8 at flat index 6}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

func.func @negative_position(%n: tensor<2x2x1x8xf32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  %p = arith.constant dense<[3, -1]> : tensor<2xi32>
  // expected-error @+1 {{expects non-negative positions, got -1 at index 1}}
  %r = attn.kv_append ins(%n : tensor<2x2x1x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}

// -----

/// Capacity 4 pages x 4 rows = 16: position 14 + 3 new rows overflows.
func.func @capacity(%n: tensor<2x2x3x8xf32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  %p = arith.constant dense<[13, 14]> : tensor<2xi32>
  // expected-error @+1 {{expects positions + Lnew at most max_pages * page_size = 16, got 14 + 3 at index 1}}
  %r = attn.kv_append ins(%n : tensor<2x2x3x8xf32>) positions(%p : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}
