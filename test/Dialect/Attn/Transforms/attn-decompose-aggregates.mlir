// RUN: attn-opt %s -attn-decompose-aggregates -split-input-file | FileCheck %s

/// linalg.softmax, as a front end emits it for attention probabilities,
/// expands into linalg ops on tensors: a max reduction, exp(x - max) with
/// the sum, and the division.
// CHECK-LABEL: func @softmax_last_dim
// CHECK-NOT: linalg.softmax
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: return
func.func @softmax_last_dim(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %e = tensor.empty() : tensor<2x4x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x4x8xf32>)
      outs(%e : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %p : tensor<2x4x8xf32>
}

// -----

/// attn.attention is an aggregated op too: it gets its reference
/// decomposition (the CPU pipeline tiles it before this pass runs).
// CHECK-LABEL: func @attention
// CHECK-NOT: attn.attention
// CHECK: linalg.generic
// CHECK: return
func.func @attention(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init66_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init66_0 : tensor<1x1x4x8xf32>) {masks = [#attn.causal]} -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// Other linalg ops are left alone.
// CHECK-LABEL: func @negative_matmul
// CHECK: linalg.matmul
func.func @negative_matmul(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}
