// RUN: attn-opt %s -attn-lower-block-sparse | FileCheck %s
// RUN: attn-opt %s -attn-decompose | FileCheck %s --check-prefix=DECOMP

/// The reference decompositions: linalg on tensors, no attn op left.

// CHECK-LABEL: func @scores_mean_normalized
// Pooling: a reduction over the keys of a block, then the mean.
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : tensor<1x2x10x8xf32>
// CHECK: arith.divf
// Scores: the dot product with the pooled key of head h / g.
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.divui
// The block softmax: row max, sum of exponentials, lse, probabilities.
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.exp
// The group reduction: (b, s, qb, n) parallel, (gh, r) reductions.
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-NOT: attn.block_scores
// DECOMP-LABEL: func @scores_mean_normalized
// DECOMP-NOT: attn.
func.func @scores_mean_normalized(%q: tensor<1x4x10x8xf32>, %k: tensor<1x2x10x8xf32>) -> tensor<1x2x10x3xf32> {
  %i = tensor.empty() : tensor<1x2x10x3xf32>
  %s = attn.block_scores ins(%q, %k : tensor<1x4x10x8xf32>, tensor<1x2x10x8xf32>)
      outs(%i : tensor<1x2x10x3xf32>) {block_size = 4, causal, normalize} -> tensor<1x2x10x3xf32>
  return %s : tensor<1x2x10x3xf32>
}

// CHECK-LABEL: func @select_split
// The rank count: (b, h, qb, n) parallel, m a reduction.
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.cmpf ogt
// Each list is filled with the pad value -1 first.
// CHECK: linalg.fill ins(%c-1_i32{{.*}} : i32) outs(%{{.+}} : tensor<1x1x8x3xi32>)
// CHECK: linalg.fill ins(%c-1_i32{{.*}} : i32) outs(%{{.+}} : tensor<1x1x8x3xi32>)
// CHECK-NOT: attn.select_blocks
func.func @select_split(%s: tensor<1x1x8x8xf32>) -> (tensor<1x1x8xi32>, tensor<1x1x8x3xi32>, tensor<1x1x8xi32>, tensor<1x1x8x3xi32>) {
  %c0 = tensor.empty() : tensor<1x1x8xi32>
  %i0 = tensor.empty() : tensor<1x1x8x3xi32>
  %c, %i, %fc, %fi = attn.select_blocks ins(%s : tensor<1x1x8x8xf32>)
      outs(%c0, %i0, %c0, %i0 : tensor<1x1x8xi32>, tensor<1x1x8x3xi32>, tensor<1x1x8xi32>, tensor<1x1x8x3xi32>)
      {k = 3, block_size = 4, query_block = 4, causal, forced_first = 1, local = 1, split}
      -> tensor<1x1x8xi32>, tensor<1x1x8x3xi32>, tensor<1x1x8xi32>, tensor<1x1x8x3xi32>
  return %c, %i, %fc, %fi : tensor<1x1x8xi32>, tensor<1x1x8x3xi32>, tensor<1x1x8xi32>, tensor<1x1x8x3xi32>
}
