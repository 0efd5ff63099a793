// RUN: attn-opt %s -attn-tile="kv-tile=64 vector-bits=256 num-threads=2" -canonicalize -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-tile="kv-tile=64 vector-bits=256 num-threads=16" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=T16

/// Paged ops are tiled in place (docs/design.md, "Paged KV"): the key loop
/// steps by a divisor of the page size (64 requested, page 16), each key tile
/// loads its page from the table once, clamps it into the pool and reads its
/// rows as a strided slice of that page; nothing gathers the pool.
// CHECK-LABEL: func @paged_prefill_nhd
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[LAST:.+]] = arith.constant 19 : index
// CHECK-NOT: tensor<1x1x128x64xf32>
// CHECK: scf.forall
// CHECK: scf.for %[[K0:.+]] = %{{.*}} to %{{.*}} step %[[C16]]
// CHECK:   %[[SLOT:.+]] = arith.divui %{{.*}}, %[[C16]]
// CHECK:   %[[E:.+]] = tensor.extract %{{.*}}[%c0, %[[SLOT]]] : tensor<1x8xi32>
// CHECK:   %[[PG:.+]] = arith.index_cast %[[E]]
// CHECK:   %[[LO:.+]] = arith.maxsi %[[PG]], %c0
// CHECK:   %[[PAGE:.+]] = arith.minsi %[[LO]], %[[LAST]]
// CHECK:   %[[ROW:.+]] = arith.remui %{{.*}}, %[[C16]]
// CHECK:   tensor.extract_slice %{{.*}}[%[[PAGE]], %[[ROW]], 0, 0] [1, %{{.*}}, 1, 64] [1, 1, 1, 1] : tensor<20x16x1x64xf32> to tensor<?x64xf32>
func.func @paged_prefill_nhd(%q: tensor<1x2x128x64xf32>, %k: tensor<20x16x1x64xf32>, %v: tensor<20x16x1x64xf32>,
                             %t: tensor<1x8xi32>, %o: tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x2x128x64xf32>, tensor<20x16x1x64xf32>, tensor<20x16x1x64xf32>)
      page_table(%t : tensor<1x8xi32>) outs(%o : tensor<1x2x128x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>, masks = [#attn.causal]} -> tensor<1x2x128x64xf32>
  return %r : tensor<1x2x128x64xf32>
}

// -----

/// Decode (one query row, a GQA group of 4 heads per tile) over HND pools
/// of 128-row pages: 64-key tiles, two per page, each a contiguous slice of
/// its page's head.
// CHECK-LABEL: func @paged_decode_hnd
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C64]]
// CHECK:   arith.divui %{{.*}}, %[[C128]]
// CHECK:   tensor.extract %{{.*}} : tensor<1x4xi64>
// CHECK:   %[[ROW:.+]] = arith.remui %{{.*}}, %[[C128]]
// CHECK:   tensor.extract_slice %{{.*}}[%{{.*}}, 0, %[[ROW]], 0] [1, 1, %{{.*}}, 128] [1, 1, 1, 1] : tensor<9x1x128x128xf32> to tensor<?x128xf32>
func.func @paged_decode_hnd(%q: tensor<1x8x1x128xf32>, %k: tensor<9x2x128x128xf32>, %v: tensor<9x2x128x128xf32>,
                            %t: tensor<1x4xi64>, %len: tensor<1xi32>, %o: tensor<1x8x1x128xf32>) -> tensor<1x8x1x128xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x8x1x128xf32>, tensor<9x2x128x128xf32>, tensor<9x2x128x128xf32>)
      kv_lengths(%len : tensor<1xi32>) page_table(%t : tensor<1x4xi64>) outs(%o : tensor<1x8x1x128xf32>)
      {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<1x8x1x128xf32>
  return %r : tensor<1x8x1x128xf32>
}

// -----

/// Decode over pages shorter than the key tile: the decode tile body keeps
/// 64-key tiles (whole pages) and reads each tile page by page, one table
/// load and one slice per 16-row page, in both its Q.K and its P.V loops.
/// The pools are NHD with two KV heads, so a tile holds all 8 query heads x
/// 2 rows (16 rows, 8 per KV head) and each page slice covers both KV heads.
/// With one tile per batch, B = 1 splits the keys over the 2 threads (split
/// tiles of whole pages: half the table each).
// CHECK-LABEL: func @paged_decode_small_pages
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C64]]
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %[[C16]] iter_args(%{{.*}}) -> (tensor<64x16xf32>)
// CHECK:     tensor.extract %{{.*}} : tensor<1x16xi32>
// CHECK:     tensor.extract_slice %{{.*}} [1, %{{.*}}, 2, 64] [1, 1, 1, 1] : tensor<40x16x2x64xf32> to tensor<?x2x64xf32>
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %[[C16]] iter_args({{.*}}) -> (vector<8xf32>,
// CHECK:     tensor.extract %{{.*}} : tensor<1x16xi32>
// CHECK:     tensor.extract_slice %{{.*}} [1, %{{.*}}, 2, 64] [1, 1, 1, 1] : tensor<40x16x2x64xf32> to tensor<?x2x64xf32>
func.func @paged_decode_small_pages(%q: tensor<1x8x2x64xf32>, %k: tensor<40x16x2x64xf32>, %v: tensor<40x16x2x64xf32>,
                                    %t: tensor<1x32xi32>, %len: tensor<1xi32>, %o: tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x8x2x64xf32>, tensor<40x16x2x64xf32>, tensor<40x16x2x64xf32>)
      kv_lengths(%len : tensor<1xi32>) page_table(%t : tensor<1x32xi32>) outs(%o : tensor<1x8x2x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>, masks = [#attn.causal]} -> tensor<1x8x2x64xf32>
  return %r : tensor<1x8x2x64xf32>
}

// -----

/// NHD decode tiles cover all KV heads of a batch (docs/design.md, "Paged
/// KV"): B = 2, Hq = 4 over Hkv = 2, one query row, pages of 16. The forall
/// runs over the batch only; a tile's rows are the 4 heads (2 per KV head),
/// each 16-row page is one table load and one [rows, 2, 64] slice of both
/// heads' bytes, and each register block of rows (Q.K: 2 rows, P.V: 1 row)
/// takes its KV head's [rows, 64] part of that slice.
// CHECK-LABEL: func @paged_decode_nhd_all_heads
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C64]] iter_args({{.*}}) -> (tensor<4xf32>, tensor<4xf32>, tensor<4x64xf32>)
// Q.K: per page, one table load and one slice of both KV heads.
// CHECK:     scf.for %{{.*}} = %c0 to %{{.*}} step %[[C16]] iter_args(%{{.*}}) -> (tensor<64x4xf32>)
// CHECK:       arith.divui %{{.*}}, %[[C16]]
// CHECK:       tensor.extract %{{.*}} : tensor<1x32xi32>
// CHECK-NOT:   tensor.extract %{{.*}} : tensor<1x32xi32>
// CHECK:       %[[KP:.+]] = tensor.extract_slice %{{.*}} [1, %{{.*}}, 2, 64] [1, 1, 1, 1] : tensor<40x16x2x64xf32> to tensor<?x2x64xf32>
// CHECK-NOT:   tensor.extract %{{.*}} : tensor<1x32xi32>
// CHECK:       scf.for
// CHECK:         scf.for %[[R0:.+]] = %c0 to %c4 step %[[C2]]
// CHECK:           %[[KH:.+]] = arith.divui %[[R0]], %[[C2]]
// CHECK:           %[[KR:.+]] = tensor.extract_slice %[[KP]][0, %[[KH]], 0] [%{{.*}}, 1, 64] [1, 1, 1] : tensor<?x2x64xf32> to tensor<?x64xf32>
// CHECK:           vector.transfer_read %[[KR]]
// P.V: per row, its KV head's part of each page's slice.
// CHECK:     scf.for %[[M:.+]] = %c0 to %c4 step %c1
// CHECK:       scf.for %{{.*}} = %c0 to %{{.*}} step %[[C16]]
// CHECK:         tensor.extract %{{.*}} : tensor<1x32xi32>
// CHECK:         %[[VP:.+]] = tensor.extract_slice %{{.*}} [1, %{{.*}}, 2, 64] [1, 1, 1, 1] : tensor<40x16x2x64xf32> to tensor<?x2x64xf32>
// CHECK:         %[[VH:.+]] = arith.divui %[[M]], %[[C2]]
// CHECK:         %[[VR:.+]] = tensor.extract_slice %[[VP]][0, %[[VH]], 0] [%{{.*}}, 1, 64] [1, 1, 1] : tensor<?x2x64xf32> to tensor<?x64xf32>
// CHECK:         scf.for
// CHECK:           vector.transfer_read %[[VR]]
func.func @paged_decode_nhd_all_heads(%q: tensor<2x4x1x64xf32>, %k: tensor<40x16x2x64xf32>, %v: tensor<40x16x2x64xf32>,
                                      %t: tensor<2x32xi32>, %len: tensor<2xi32>, %o: tensor<2x4x1x64xf32>) -> tensor<2x4x1x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<2x4x1x64xf32>, tensor<40x16x2x64xf32>, tensor<40x16x2x64xf32>)
      kv_lengths(%len : tensor<2xi32>) page_table(%t : tensor<2x32xi32>) outs(%o : tensor<2x4x1x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<2x4x1x64xf32>
  return %r : tensor<2x4x1x64xf32>
}

// -----

/// NHD decode tiles of all KV heads give B items instead of B * Hkv: with
/// 2 threads (the first RUN line) B = 2 keeps them busy, and 512 keys make
/// only 2 splits for 16 threads, where the 16 group tiles keep all 16 busy:
/// group tiles there, each reading its KV head's [rows, 64] page rows
/// (of the pools sliced to the tile's KV head).
// CHECK-LABEL: func @paged_decode_nhd_threads
// CHECK:     scf.forall (%{{.*}}) in (2)
// CHECK:       tensor.extract_slice %{{.*}} [1, %{{.*}}, 8, 64] [1, 1, 1, 1] : tensor<70x16x8x64xf32> to tensor<?x8x64xf32>
// T16-LABEL: func @paged_decode_nhd_threads
// T16:       scf.forall (%{{.*}}, %{{.*}}) in (2, 8)
// T16-NOT:     tensor<?x8x64xf32>
// T16:         tensor.extract_slice %{{.*}} [1, %{{.*}}, 1, 64] [1, 1, 1, 1] : tensor<70x16x1x64xf32> to tensor<?x64xf32>
// T16-NOT:     tensor<?x8x64xf32>
// T16:       return
func.func @paged_decode_nhd_threads(%q: tensor<2x16x1x64xf32>, %k: tensor<70x16x8x64xf32>, %v: tensor<70x16x8x64xf32>,
                                    %t: tensor<2x32xi32>, %o: tensor<2x16x1x64xf32>) -> tensor<2x16x1x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<2x16x1x64xf32>, tensor<70x16x8x64xf32>, tensor<70x16x8x64xf32>)
      page_table(%t : tensor<2x32xi32>) outs(%o : tensor<2x16x1x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<2x16x1x64xf32>
  return %r : tensor<2x16x1x64xf32>
}

// -----

/// One query head per KV head and 11 rows: register blocks within one KV
/// head's rows would be 1 row (11 is prime), under half of the group tile's
/// 8 (padded) rows, so NHD keeps tiles of one group (one head) here.
// CHECK-LABEL: func @paged_decode_nhd_prime_rows
// CHECK:     scf.forall (%{{.*}}) in (2)
// CHECK-NOT:   tensor<?x2x64xf32>
// CHECK:       tensor.extract_slice %{{.*}} [1, %{{.*}}, 1, 64] [1, 1, 1, 1] : tensor<40x16x1x64xf32> to tensor<?x64xf32>
// CHECK-NOT:   tensor<?x2x64xf32>
// CHECK:     return
func.func @paged_decode_nhd_prime_rows(%q: tensor<1x2x11x64xf32>, %k: tensor<40x16x2x64xf32>, %v: tensor<40x16x2x64xf32>,
                                       %t: tensor<1x32xi32>, %o: tensor<1x2x11x64xf32>) -> tensor<1x2x11x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x2x11x64xf32>, tensor<40x16x2x64xf32>, tensor<40x16x2x64xf32>)
      page_table(%t : tensor<1x32xi32>) outs(%o : tensor<1x2x11x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x2x11x64xf32>
  return %r : tensor<1x2x11x64xf32>
}

// -----

/// 64 query heads x 9 rows = 576 rows, over the 512 of a tile of all KV
/// heads (its softmax state would outgrow L2): tiles of one group of 32
/// heads (288 rows), each reading its KV head's page rows.
// CHECK-LABEL: func @paged_decode_nhd_many_rows
// CHECK:     scf.forall (%{{.*}}) in (2)
// CHECK-NOT:   tensor<?x2x16xf32>
// CHECK:       tensor.extract_slice %{{.*}} [1, %{{.*}}, 1, 16] [1, 1, 1, 1] : tensor<40x16x1x16xf32> to tensor<?x16xf32>
// CHECK-NOT:   tensor<?x2x16xf32>
// CHECK:     return
func.func @paged_decode_nhd_many_rows(%q: tensor<1x64x9x16xf32>, %k: tensor<40x16x2x16xf32>, %v: tensor<40x16x2x16xf32>,
                                      %t: tensor<1x32xi32>, %o: tensor<1x64x9x16xf32>) -> tensor<1x64x9x16xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x64x9x16xf32>, tensor<40x16x2x16xf32>, tensor<40x16x2x16xf32>)
      page_table(%t : tensor<1x32xi32>) outs(%o : tensor<1x64x9x16xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x64x9x16xf32>
  return %r : tensor<1x64x9x16xf32>
}
