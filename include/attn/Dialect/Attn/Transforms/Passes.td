//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnDecomposePass : Pass<"attn-decompose"> {
  let summary = "Decompose attn ops into linalg on tensors (reference semantics)";
  let description = [{
    Replaces every `attn.attention` with its reference decomposition:
    `linalg.generic` ops on tensors that materialise the `[B, Hq, Lq, Lkv]`
    score tensor, apply scale, softcap, `score_mod`, every mask and the
    normaliser, and contract with V. The output is the semantic oracle for
    every faster lowering; it uses O(B*Hq*Lq*Lkv) memory.

    Example:

    ```mlir
    %o = attn.attention ins(%q, %k, %v : tensor<1x1x4x8xf32>,
        tensor<1x1x6x8xf32>, tensor<1x1x6x8xf32>) {masks = [#attn.causal]}
        -> tensor<1x1x4x8xf32>
    ```

    becomes a chain of `linalg.fill`/`linalg.generic` ops ending in the
    division by the softmax denominator.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
