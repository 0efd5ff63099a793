// RUN: attn-opt %s -attn-vectorize-linalg | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline -o /dev/null

/// Issue #17: a static zero-trip loop built a zero-sized vector type and
/// segfaulted in -attn-vectorize-linalg. Such ops compute nothing and stay
/// linalg (their loops lower to empty loops).
// CHECK-LABEL: func.func @matmul_zero_rows
//   CHECK-NOT:   vector.
//       CHECK:   linalg.matmul
func.func @matmul_zero_rows(%a: tensor<0x8xf32>, %b: tensor<8x16xf32>) -> tensor<0x16xf32> {
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<0x16xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<0x16xf32>) -> tensor<0x16xf32>
  %m = linalg.matmul ins(%a, %b : tensor<0x8xf32>, tensor<8x16xf32>) outs(%f : tensor<0x16xf32>) -> tensor<0x16xf32>
  return %m : tensor<0x16xf32>
}

// CHECK-LABEL: func.func @exp_zero_inner
//       CHECK:   linalg.exp
func.func @exp_zero_inner(%a: tensor<64x0xf32>) -> tensor<64x0xf32> {
  %e = tensor.empty() : tensor<64x0xf32>
  %r = linalg.exp ins(%a : tensor<64x0xf32>) outs(%e : tensor<64x0xf32>) -> tensor<64x0xf32>
  return %r : tensor<64x0xf32>
}
