// RUN: attn-opt %s -split-input-file -attn-lower-kv-append | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-lower-kv-append \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries" -canonicalize \
// RUN:   | FileCheck %s --check-prefix=BUF

/// NHD pool [pages, P, Hkv, D]: a loop over (b, i) inserting the [Hkv, D]
/// slab new[b, :, i, :] at (table[b, t / P], t % P) for t = pos[b] + i,
/// skipping rows past the table's capacity (4 x 2 = 8) or the pool.
// CHECK-LABEL: func @append_nhd
// CHECK-SAME: (%[[NEW:.*]]: tensor<2x2x3x4xf32>, %[[POS:.*]]: tensor<2xi32>, %[[T:.*]]: tensor<2x4xi32>, %[[POOL:.*]]: tensor<8x2x2x4xf32>)
// CHECK-DAG: %[[P:.*]] = arith.constant 2 : index
// CHECK: %[[CAP:.*]] = arith.muli %{{.*}}, %[[P]]
// CHECK: %[[R:.*]] = scf.for %[[B:.*]] = {{.*}} iter_args(%[[PB:.*]] = %[[POOL]])
// CHECK:   %[[E:.*]] = tensor.extract %[[POS]][%[[B]]]
// CHECK:   %[[BASE:.*]] = arith.index_cast %[[E]] : i32 to index
// CHECK:   scf.for %[[I:.*]] = {{.*}} iter_args(%[[PI:.*]] = %[[PB]])
// CHECK:     %[[POSI:.*]] = arith.addi %[[BASE]], %[[I]]
// CHECK:     arith.cmpi slt, %[[POSI]], %[[CAP]]
// CHECK:     scf.if
// CHECK:       %[[SLOT:.*]] = arith.divui %[[POSI]], %[[P]]
// CHECK:       %[[ROW:.*]] = arith.remui %[[POSI]], %[[P]]
// CHECK:       %[[PE:.*]] = tensor.extract %[[T]][%[[B]], %[[SLOT]]]
// CHECK:       %[[PAGE:.*]] = arith.index_cast %[[PE]]
// CHECK:       scf.if
// CHECK:         %[[SLAB:.*]] = tensor.extract_slice %[[NEW]][%[[B]], 0, %[[I]], 0] [1, 2, 1, 4] [1, 1, 1, 1] : tensor<2x2x3x4xf32> to tensor<2x4xf32>
// CHECK:         %[[INS:.*]] = tensor.insert_slice %[[SLAB]] into %[[PI]][%[[PAGE]], %[[ROW]], 0, 0] [1, 1, 2, 4] [1, 1, 1, 1]
// CHECK:         scf.yield %[[INS]]
// CHECK:       } else {
// CHECK:         scf.yield %[[PI]]
// CHECK: return %[[R]]

/// After bufferization the pool argument is written in place: no
/// allocation, only slab copies into subviews of the pool.
// BUF-LABEL: func @append_nhd
// BUF-SAME: %[[POOL:[a-z0-9]+]]: memref<8x2x2x4xf32
// BUF-NOT: memref.alloc
// BUF: %[[DST:.*]] = memref.subview %[[POOL]]
// BUF: memref.copy %{{.*}}, %[[DST]]
// BUF-NOT: memref.alloc
// BUF: return %[[POOL]]
func.func @append_nhd(%new: tensor<2x2x3x4xf32>, %pos: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x2x2x4xf32>) -> tensor<8x2x2x4xf32> {
  %r = attn.kv_append ins(%new : tensor<2x2x3x4xf32>) positions(%pos : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x2x2x4xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<8x2x2x4xf32>
  return %r : tensor<8x2x2x4xf32>
}

// -----

/// HND pool [pages, Hkv, P, D], dynamic batch and head size: the slab goes
/// to [page, 0, row, 0] with sizes [1, Hkv, 1, D].
// CHECK-LABEL: func @append_hnd
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, 0, %{{.*}}, 0] [1, 2, 1, %{{.*}}] [1, 1, 1, 1] : tensor<?x2x1x?xf16> to tensor<2x?xf16>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, 0, %{{.*}}, 0] [1, 2, 1, %{{.*}}] [1, 1, 1, 1] : tensor<2x?xf16> into tensor<6x2x4x?xf16>

// BUF-LABEL: func @append_hnd
// BUF-NOT: memref.alloc
// BUF: return
func.func @append_hnd(%new: tensor<?x2x1x?xf16>, %pos: tensor<?xi64>, %t: tensor<?x3xi64>, %pool: tensor<6x2x4x?xf16>) -> tensor<6x2x4x?xf16> {
  %r = attn.kv_append ins(%new : tensor<?x2x1x?xf16>) positions(%pos : tensor<?xi64>) page_table(%t : tensor<?x3xi64>)
      outs(%pool : tensor<6x2x4x?xf16>) {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<6x2x4x?xf16>
  return %r : tensor<6x2x4x?xf16>
}
