// RUN: attn-opt %s -attn-tile="kv-tile=64 vector-bits=256 num-threads=2" -canonicalize -cse -split-input-file | FileCheck %s

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
// CHECK-LABEL: func @paged_decode_small_pages
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C64]]
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %[[C16]] iter_args(%{{.*}}) -> (tensor<64x8xf32>)
// CHECK:     tensor.extract %{{.*}} : tensor<1x32xi32>
// CHECK:     tensor.extract_slice %{{.*}} [1, %{{.*}}, 1, 64] [1, 1, 1, 1] : tensor<40x16x1x64xf32> to tensor<?x64xf32>
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %[[C16]] iter_args({{.*}}) -> (vector<8xf32>,
// CHECK:     tensor.extract %{{.*}} : tensor<1x32xi32>
// CHECK:     tensor.extract_slice %{{.*}} [1, %{{.*}}, 1, 64] [1, 1, 1, 1] : tensor<40x16x1x64xf32> to tensor<?x64xf32>
func.func @paged_decode_small_pages(%q: tensor<1x8x2x64xf32>, %k: tensor<40x16x2x64xf32>, %v: tensor<40x16x2x64xf32>,
                                    %t: tensor<1x32xi32>, %len: tensor<1xi32>, %o: tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x8x2x64xf32>, tensor<40x16x2x64xf32>, tensor<40x16x2x64xf32>)
      kv_lengths(%len : tensor<1xi32>) page_table(%t : tensor<1x32xi32>) outs(%o : tensor<1x8x2x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>, masks = [#attn.causal]} -> tensor<1x8x2x64xf32>
  return %r : tensor<1x8x2x64xf32>
}
