// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

/// Round trips of attn.block_scores and attn.select_blocks in every form.

// CHECK-LABEL: func @block_scores_mean_gqa
// CHECK: %[[S:.+]] = attn.block_scores ins(%{{.+}}, %{{.+}} : tensor<1x8x256x64xf32>, tensor<1x2x256x64xf32>) outs(%{{.+}} : tensor<1x2x256x4xf32>) {block_size = 64 : i64, causal} -> tensor<1x2x256x4xf32>
// CHECK: return %[[S]]
func.func @block_scores_mean_gqa(%q: tensor<1x8x256x64xf32>, %k: tensor<1x2x256x64xf32>) -> tensor<1x2x256x4xf32> {
  %i = tensor.empty() : tensor<1x2x256x4xf32>
  %s = attn.block_scores ins(%q, %k : tensor<1x8x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%i : tensor<1x2x256x4xf32>)
      {block_size = 64, pooling = "mean", reduce = "sum", causal} -> tensor<1x2x256x4xf32>
  return %s : tensor<1x2x256x4xf32>
}

/// Compressed keys with a reused lse, max over the GQA group, bf16 inputs.
// CHECK-LABEL: func @block_scores_compressed_lse
// CHECK: attn.block_scores ins(%{{.+}}, %{{.+}} : tensor<1x4x100x32xbf16>, tensor<1x2x7x32xbf16>) lse(%{{.+}} : tensor<1x4x100xf32>) outs(%{{.+}} : tensor<1x2x100x7xf32>) {block_size = 16 : i64, causal, normalize, pooling = "none", reduce = "max", scale = 1.250000e-01 : f64}
func.func @block_scores_compressed_lse(%q: tensor<1x4x100x32xbf16>, %kc: tensor<1x2x7x32xbf16>, %lse: tensor<1x4x100xf32>) -> tensor<1x2x100x7xf32> {
  %i = tensor.empty() : tensor<1x2x100x7xf32>
  %s = attn.block_scores ins(%q, %kc : tensor<1x4x100x32xbf16>, tensor<1x2x7x32xbf16>)
      lse(%lse : tensor<1x4x100xf32>) outs(%i : tensor<1x2x100x7xf32>)
      {block_size = 16, pooling = "none", reduce = "max", causal, normalize, scale = 0.125}
      -> tensor<1x2x100x7xf32>
  return %s : tensor<1x2x100x7xf32>
}

/// Query blocks, max pooling, one row per query head, dynamic sizes.
// CHECK-LABEL: func @block_scores_dynamic
// CHECK: attn.block_scores {{.+}} {block_size = 8 : i64, pooling = "max", query_block = 4 : i64} -> tensor<?x?x?x?xf32>
func.func @block_scores_dynamic(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %i: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %s = attn.block_scores ins(%q, %k : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>)
      outs(%i : tensor<?x?x?x?xf32>) {block_size = 8, query_block = 4, pooling = "max"}
      -> tensor<?x?x?x?xf32>
  return %s : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func @select_blocks_plain
// CHECK: %[[C:.+]], %[[I:.+]] = attn.select_blocks ins(%{{.+}} : tensor<1x2x256x4xf32>) outs(%{{.+}}, %{{.+}} : tensor<1x2x256xi32>, tensor<1x2x256x2xi32>) {block_size = 64 : i64, causal, k = 2 : i64, local = 1 : i64}
// CHECK: return %[[C]], %[[I]]
func.func @select_blocks_plain(%s: tensor<1x2x256x4xf32>) -> (tensor<1x2x256xi32>, tensor<1x2x256x2xi32>) {
  %ci = tensor.empty() : tensor<1x2x256xi32>
  %ii = tensor.empty() : tensor<1x2x256x2xi32>
  %c, %i = attn.select_blocks ins(%s : tensor<1x2x256x4xf32>)
      outs(%ci, %ii : tensor<1x2x256xi32>, tensor<1x2x256x2xi32>)
      {k = 2, block_size = 64, causal, local = 1} -> tensor<1x2x256xi32>, tensor<1x2x256x2xi32>
  return %c, %i : tensor<1x2x256xi32>, tensor<1x2x256x2xi32>
}

/// Threshold selection (BLASST): every block within log(0.5) of the row's
/// best, at most 4.
// CHECK-LABEL: func @select_blocks_threshold
// CHECK: attn.select_blocks ins(%{{.+}} : tensor<1x2x256x4xf32>) outs({{.+}}) {block_size = 64 : i64, causal, k = 4 : i64, local = 1 : i64, threshold = -0.69314718055994529 : f64}
func.func @select_blocks_threshold(%s: tensor<1x2x256x4xf32>) -> (tensor<1x2x256xi32>, tensor<1x2x256x4xi32>) {
  %ci = tensor.empty() : tensor<1x2x256xi32>
  %ii = tensor.empty() : tensor<1x2x256x4xi32>
  %c, %i = attn.select_blocks ins(%s : tensor<1x2x256x4xf32>)
      outs(%ci, %ii : tensor<1x2x256xi32>, tensor<1x2x256x4xi32>)
      {k = 4, block_size = 64, causal, local = 1, threshold = -0.69314718055994529}
      -> tensor<1x2x256xi32>, tensor<1x2x256x4xi32>
  return %c, %i : tensor<1x2x256xi32>, tensor<1x2x256x4xi32>
}

/// Split into partial and full lists, a run-time k and explicit lengths.
// CHECK-LABEL: func @select_blocks_split
// CHECK: attn.select_blocks ins(%{{.+}} : tensor<1x1x4x8xf32>) k(%{{.+}} : i32) lengths(%{{.+}}, %{{.+}}) outs({{.+}}) {block_size = 16 : i64, causal, forced_first = 1 : i64, k = 4 : i64, query_block = 16 : i64, split}
func.func @select_blocks_split(%s: tensor<1x1x4x8xf32>, %kd: i32, %lq: index, %lkv: index) -> (tensor<1x1x4xi32>, tensor<1x1x4x4xi32>, tensor<1x1x4xi32>, tensor<1x1x4x4xi32>) {
  %c0 = tensor.empty() : tensor<1x1x4xi32>
  %i0 = tensor.empty() : tensor<1x1x4x4xi32>
  %c, %i, %fc, %fi = attn.select_blocks ins(%s : tensor<1x1x4x8xf32>) k(%kd : i32)
      lengths(%lq, %lkv)
      outs(%c0, %i0, %c0, %i0 : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>, tensor<1x1x4xi32>, tensor<1x1x4x4xi32>)
      {k = 4, block_size = 16, query_block = 16, causal, forced_first = 1, split}
      -> tensor<1x1x4xi32>, tensor<1x1x4x4xi32>, tensor<1x1x4xi32>, tensor<1x1x4x4xi32>
  return %c, %i, %fc, %fi : tensor<1x1x4xi32>, tensor<1x1x4x4xi32>, tensor<1x1x4xi32>, tensor<1x1x4x4xi32>
}
