func.func @causal(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>,
                  %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %init131_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%init131_0 : tensor<1x2x4x8xf32>) {masks = [#attn.causal]} -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
