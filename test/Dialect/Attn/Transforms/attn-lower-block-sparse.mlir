// RUN: attn-opt %s -attn-lower-block-sparse | FileCheck %s
// RUN: attn-opt %s -attn-decompose | FileCheck %s --check-prefix=DECOMP

/// The reference decompositions: linalg on tensors, no attn op left.

/// A static group size with bf16 queries reads the pooled keys through an
/// `h floordiv g` map (@scores_bf16 below).
// CHECK: affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// CHECK-LABEL: func @scores_mean_normalized
// Pooling: a reduction over the keys of a block, then the mean.
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : tensor<1x2x10x8xf32>
// CHECK: arith.divf
// Scores of static f32 queries: one batch_matmul per (batch, key head)
// over the g heads of its group, reshapes only.
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 10, 8]
// CHECK: linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<2x20x8xf32>, tensor<2x8x3xf32>)
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

/// Threshold selection: the row maximum over the visible blocks, then
/// every unforced block below max + t ranked k (never selected).
// CHECK-LABEL: func @select_threshold
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<1x1x8x8xf32>) outs(%{{.+}} : tensor<1x1x8xf32>)
// CHECK: arith.maximumf
// CHECK: %[[T:.+]] = arith.constant -0.693147182 : f32
// CHECK: %[[NEVER:.+]] = arith.constant 3 : i32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: %[[B:.+]] = arith.addf %{{.+}}, %[[T]] : f32
// CHECK: arith.cmpf oge, %{{.+}}, %[[B]] : f32
// CHECK: arith.select %{{.+}}, %{{.+}}, %[[NEVER]] : i32
// CHECK-NOT: attn.select_blocks
func.func @select_threshold(%s: tensor<1x1x8x8xf32>) -> (tensor<1x1x8xi32>, tensor<1x1x8x3xi32>) {
  %c0 = tensor.empty() : tensor<1x1x8xi32>
  %i0 = tensor.empty() : tensor<1x1x8x3xi32>
  %c, %i = attn.select_blocks ins(%s : tensor<1x1x8x8xf32>)
      outs(%c0, %i0 : tensor<1x1x8xi32>, tensor<1x1x8x3xi32>)
      {k = 3, block_size = 4, query_block = 4, causal, local = 1, threshold = -0.69314718055994529}
      -> tensor<1x1x8xi32>, tensor<1x1x8x3xi32>
  return %c, %i : tensor<1x1x8xi32>, tensor<1x1x8x3xi32>
}

/// A dynamic group size gathers the pooled key of head h / g.
// CHECK-LABEL: func @scores_dynamic_group
// CHECK: arith.divui
// CHECK: tensor.extract
// CHECK-NOT: attn.block_scores
func.func @scores_dynamic_group(%q: tensor<1x?x10x8xf32>, %k: tensor<1x?x10x8xf32>, %i: tensor<1x?x10x3xf32>) -> tensor<1x?x10x3xf32> {
  %s = attn.block_scores ins(%q, %k : tensor<1x?x10x8xf32>, tensor<1x?x10x8xf32>)
      outs(%i : tensor<1x?x10x3xf32>) {block_size = 4, pooling = "max"} -> tensor<1x?x10x3xf32>
  return %s : tensor<1x?x10x3xf32>
}

/// Static bf16 queries: the scores generic with the `h floordiv 2` map.
// CHECK-LABEL: func @scores_bf16
// CHECK-NOT: linalg.batch_matmul
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-NOT: attn.block_scores
func.func @scores_bf16(%q: tensor<1x4x10x8xbf16>, %k: tensor<1x2x10x8xbf16>) -> tensor<1x2x10x3xf32> {
  %i = tensor.empty() : tensor<1x2x10x3xf32>
  %s = attn.block_scores ins(%q, %k : tensor<1x4x10x8xbf16>, tensor<1x2x10x8xbf16>)
      outs(%i : tensor<1x2x10x3xf32>) {block_size = 4, causal} -> tensor<1x2x10x3xf32>
  return %s : tensor<1x2x10x3xf32>
}
