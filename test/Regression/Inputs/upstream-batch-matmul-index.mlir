func.func @f(%p: tensor<2x4x4xf32>, %v: tensor<2x4x8xindex>, %fo: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xindex>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}
