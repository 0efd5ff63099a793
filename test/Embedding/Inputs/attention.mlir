func.func @sliding(%q: tensor<1x4x32x16xf32>, %k: tensor<1x2x32x16xf32>,
                   %v: tensor<1x2x32x16xf32>) -> (tensor<1x4x32x16xf32>, tensor<1x4x32xf32>) {
  %init121_0 = tensor.empty() : tensor<1x4x32x16xf32>
  %init121_1 = tensor.empty() : tensor<1x4x32xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x4x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>)
      outs(%init121_0, %init121_1 : tensor<1x4x32x16xf32>, tensor<1x4x32xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 7, right = 0>]}
      -> tensor<1x4x32x16xf32>, tensor<1x4x32xf32>
  return %o, %lse : tensor<1x4x32x16xf32>, tensor<1x4x32xf32>
}
