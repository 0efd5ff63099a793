// RUN: attn-opt %s -split-input-file | attn-opt | FileCheck %s --check-prefix=ROUND
// RUN: attn-opt %s -split-input-file -attn-gather-paged | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-decompose | FileCheck %s --check-prefix=DEC

// ROUND-LABEL: func @paged
// ROUND: attn.attention {{.*}} kv_lengths(%{{.*}} : tensor<2xi32>) page_table(%{{.*}} : tensor<2x4xi32>)
// ROUND-SAME: kv_layout = #attn.kv_layout<paged_nhd>

// CHECK-LABEL: func @paged
// CHECK-DAG: %[[LAST:.*]] = arith.constant 9 : index
// CHECK-DAG: %[[P:.*]] = arith.constant 16 : index
// CHECK: %[[K:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x64x8xf32>)
// CHECK:   %[[T:.*]] = linalg.index 2
// CHECK:   %[[SLOT:.*]] = arith.divui %[[T]], %[[P]]
// CHECK:   %[[ROW:.*]] = arith.remui %[[T]], %[[P]]
// CHECK:   %[[E:.*]] = tensor.extract %{{.*}}[%{{.*}}, %[[SLOT]]] : tensor<2x4xi32>
// CHECK:   %[[PG:.*]] = arith.index_cast %[[E]]
// CHECK:   %[[LO:.*]] = arith.maxsi %[[PG]]
// CHECK:   %[[C:.*]] = arith.minsi %[[LO]], %[[LAST]]
// CHECK:   tensor.extract %{{.*}}[%[[C]], %[[ROW]], %{{.*}}, %{{.*}}] : tensor<10x16x2x8xf32>
// CHECK: %[[V:.*]] = linalg.generic
// CHECK: attn.attention ins(%{{.*}}, %[[K]], %[[V]] : tensor<2x4x1x8xf32>, tensor<2x2x64x8xf32>, tensor<2x2x64x8xf32>)
// CHECK-SAME: kv_lengths
// CHECK-NOT: page_table
// CHECK-NOT: kv_layout

// DEC-LABEL: func @paged
// DEC-NOT: attn.attention
// DEC: return
func.func @paged(%q: tensor<2x4x1x8xf32>, %k: tensor<10x16x2x8xf32>, %v: tensor<10x16x2x8xf32>,
                 %t: tensor<2x4xi32>, %len: tensor<2xi32>, %o: tensor<2x4x1x8xf32>) -> tensor<2x4x1x8xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<2x4x1x8xf32>, tensor<10x16x2x8xf32>, tensor<10x16x2x8xf32>)
      kv_lengths(%len : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%o : tensor<2x4x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>, masks = [#attn.causal]} -> tensor<2x4x1x8xf32>
  return %r : tensor<2x4x1x8xf32>
}

// -----

// ROUND-LABEL: func @paged_hnd_dynamic
// ROUND: kv_layout = #attn.kv_layout<paged_hnd>
// CHECK-LABEL: func @paged_hnd_dynamic
// CHECK: tensor.dim %{{.*}}, %c1{{.*}} : tensor<?x?xi64>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x2x?x8xf32>)
// CHECK:   %[[H:.*]] = linalg.index 1
// CHECK:   %[[ROW:.*]] = arith.remui
// CHECK:   tensor.extract %{{.*}} : tensor<?x?xi64>
// CHECK:   tensor.extract %{{.*}}[%{{.*}}, %[[H]], %[[ROW]], %{{.*}}] : tensor<?x2x16x8xf32>
func.func @paged_hnd_dynamic(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x16x8xf32>, %v: tensor<?x2x16x8xf32>,
                             %t: tensor<?x?xi64>, %o: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<?x4x?x8xf32>, tensor<?x2x16x8xf32>, tensor<?x2x16x8xf32>)
      page_table(%t : tensor<?x?xi64>)
      outs(%o : tensor<?x4x?x8xf32>) {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<?x4x?x8xf32>
  return %r : tensor<?x4x?x8xf32>
}
