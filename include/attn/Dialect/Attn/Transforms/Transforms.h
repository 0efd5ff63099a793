//===- Transforms.h - attn transformations ----------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H
#define ATTN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
namespace attn {
class AttentionOp;

/// Replaces `op` by its reference decomposition (linalg on tensors with
/// materialised scores) and returns the values that replaced its results.
FailureOr<SmallVector<Value>> decomposeAttention(RewriterBase &rewriter,
                                                 AttentionOp op);

/// Decomposes every `attn.attention` nested under `root`.
LogicalResult decomposeAllAttention(RewriterBase &rewriter, Operation *root);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H
