// RUN: attn-opt %s -transform-interpreter -canonicalize | FileCheck %s

/// attn.attention implements the upstream AggregatedOpInterface, so the
/// generic transform op decomposes it exactly like -attn-decompose.
// CHECK-LABEL: func @decompose_through_transform
// CHECK-NOT: attn.attention
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: return
func.func @decompose_through_transform(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %init54_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%init54_0 : tensor<1x2x4x8xf32>) {masks = [#attn.causal]} -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %a : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
