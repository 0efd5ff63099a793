// The attention block of a small decoder layer (Mistral / gpt-oss style), as
// a model compiler would hand it to attn: input projections, a head split,
// grouped-query attention (8 query heads over 2 KV heads) with a causal
// sliding window of 16 keys and per-head sink logits, the head merge and the
// output projection. Everything outside attn.attention is upstream linalg and
// tensor IR.
//
//   attn-opt examples/gqa_attention_block.mlir --attn-cpu-pipeline

func.func @attention_block(%x: tensor<37x64xf32>, %wq: tensor<64x64xf32>,
                           %wk: tensor<64x16xf32>, %wv: tensor<64x16xf32>,
                           %wo: tensor<64x64xf32>, %sinks: tensor<8xf32>)
    -> tensor<37x64xf32> {
  %zero = arith.constant 0.0 : f32

  // Projections: [L, 64] x [64, H*D].
  %eq = tensor.empty() : tensor<37x64xf32>
  %fq = linalg.fill ins(%zero : f32) outs(%eq : tensor<37x64xf32>) -> tensor<37x64xf32>
  %q2 = linalg.matmul ins(%x, %wq : tensor<37x64xf32>, tensor<64x64xf32>) outs(%fq : tensor<37x64xf32>) -> tensor<37x64xf32>
  %ekv = tensor.empty() : tensor<37x16xf32>
  %fkv = linalg.fill ins(%zero : f32) outs(%ekv : tensor<37x16xf32>) -> tensor<37x16xf32>
  %k2 = linalg.matmul ins(%x, %wk : tensor<37x64xf32>, tensor<64x16xf32>) outs(%fkv : tensor<37x16xf32>) -> tensor<37x16xf32>
  %v2 = linalg.matmul ins(%x, %wv : tensor<37x64xf32>, tensor<64x16xf32>) outs(%fkv : tensor<37x16xf32>) -> tensor<37x16xf32>

  // Head split: [L, H*D] -> [1, L, H, D] -> [1, H, L, D].
  %q3 = tensor.expand_shape %q2 [[0, 1], [2, 3]] output_shape [1, 37, 8, 8] : tensor<37x64xf32> into tensor<1x37x8x8xf32>
  %k3 = tensor.expand_shape %k2 [[0, 1], [2, 3]] output_shape [1, 37, 2, 8] : tensor<37x16xf32> into tensor<1x37x2x8xf32>
  %v3 = tensor.expand_shape %v2 [[0, 1], [2, 3]] output_shape [1, 37, 2, 8] : tensor<37x16xf32> into tensor<1x37x2x8xf32>
  %tq = tensor.empty() : tensor<1x8x37x8xf32>
  %q = linalg.transpose ins(%q3 : tensor<1x37x8x8xf32>) outs(%tq : tensor<1x8x37x8xf32>) permutation = [0, 2, 1, 3]
  %tkv = tensor.empty() : tensor<1x2x37x8xf32>
  %k = linalg.transpose ins(%k3 : tensor<1x37x2x8xf32>) outs(%tkv : tensor<1x2x37x8xf32>) permutation = [0, 2, 1, 3]
  %v = linalg.transpose ins(%v3 : tensor<1x37x2x8xf32>) outs(%tkv : tensor<1x2x37x8xf32>) permutation = [0, 2, 1, 3]

  %init164_0 = tensor.empty() : tensor<1x8x37x8xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x37x8xf32>, tensor<1x2x37x8xf32>, tensor<1x2x37x8xf32>)
      sinks(%sinks : tensor<8xf32>)
      outs(%init164_0 : tensor<1x8x37x8xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 15, right = 0>]}
      -> tensor<1x8x37x8xf32>

  // Head merge and output projection.
  %to = tensor.empty() : tensor<1x37x8x8xf32>
  %o3 = linalg.transpose ins(%o : tensor<1x8x37x8xf32>) outs(%to : tensor<1x37x8x8xf32>) permutation = [0, 2, 1, 3]
  %o2 = tensor.collapse_shape %o3 [[0, 1], [2, 3]] : tensor<1x37x8x8xf32> into tensor<37x64xf32>
  %y = linalg.matmul ins(%o2, %wo : tensor<37x64xf32>, tensor<64x64xf32>) outs(%fq : tensor<37x64xf32>) -> tensor<37x64xf32>
  return %y : tensor<37x64xf32>
}
