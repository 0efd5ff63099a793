// RUN: attn-opt %s -attn-decompose-aggregates -verify-diagnostics
// RUN: not attn-opt %s --attn-cpu-pipeline 2>&1 | FileCheck %s

/// Issue #17: linalg.softmax on index elements segfaulted in the upstream
/// expansion (no float identity of maxnumf for index).
// CHECK: error: 'linalg.softmax' op expects floating-point element types to decompose, got 'index'
// CHECK-NOT: Stack dump
func.func @softmax_index(%x: tensor<4x8xindex>) -> tensor<4x8xindex> {
  %e = tensor.empty() : tensor<4x8xindex>
  // expected-error @+1 {{'linalg.softmax' op expects floating-point element types to decompose, got 'index'}}
  %s = linalg.softmax dimension(1) ins(%x : tensor<4x8xindex>) outs(%e : tensor<4x8xindex>) -> tensor<4x8xindex>
  return %s : tensor<4x8xindex>
}
