//===- RaiseScores.h - the score chain of a raised attention ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What `attn-raise` finds between the softmax and the Q.K^T contraction: the
// contraction itself, the scale and the mask terms on the way, and the
// structured masks (causal, sliding window) that a mask term computes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISESCORES_H
#define ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISESCORES_H

#include "RaiseMatchers.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Attributes.h"

#include <optional>
#include <vector>

namespace mlir {
namespace attn {
namespace raise {

/// out[batch..., m, n] = sum_k lhs[batch..., m, k] * rhs[batch..., k, n]
/// (or rhs[batch..., n, k] when `rhsTransposed`), from a zero init.
struct Contraction {
  Operation *op = nullptr;
  Value lhs, rhs;
  bool rhsTransposed = false;
  int64_t rank = 0;
};

/// One mask term of the score chain.
struct MaskPart {
  enum Kind { Additive, KeepWhere, DropWhere };
  Term term;
  Kind kind;
  /// Applied before a scale factor (so the scale multiplies it too): met
  /// after a scale on the walk from the softmax inwards.
  bool insideScale;
};

struct ScoreChain {
  double scale = 1.0;
  bool sawScale = false;
  SmallVector<MaskPart> masks;
  std::optional<Contraction> qk;
  /// The scores are the transpose of the contraction (K·Qᵀ, transposed).
  bool transposed = false;
  /// The score domain is [B, H, Lq, Lkv] and the contraction [B·H, ., .].
  bool lifted = false;
};

/// `op` as a batched matmul from a zero init (linalg or tosa.matmul), of
/// rank 2 to 4.
std::optional<Contraction> getContraction(Operation *op);

/// The permutation map of rank `rank` that swaps the last two dimensions.
AffineMap swapLastTwo(int64_t rank, MLIRContext *ctx);

/// Walks from the softmax input `s` over the score domain (extents `domain`)
/// down to the Q.K^T contraction, collecting the scale and mask terms into
/// `chain` and the ops on the way into `ops`.
bool matchScores(Term s, ArrayRef<int64_t> domain, ScoreChain &chain,
                 OpChain &ops, int depth);

/// Evaluates a mask part over every (i, j) of a static score domain into a
/// keep matrix. Fails when the part reads a batch or head index of extent
/// > 1, is not computable at compile time, or takes values other than
/// "keep" (0 / true) and "masked" (<= -1e9 / false).
bool evaluateKeep(const MaskPart &part, ArrayRef<int64_t> domain,
                  std::vector<char> &keep);

/// The structured terms that keep exactly `keep` ([Lq, Lkv], bottom-right
/// aligned as the op's masks are), an empty list when every pair is kept,
/// or std::nullopt when no structured form matches.
std::optional<SmallVector<Attribute>>
classifyKeep(MLIRContext *ctx, const std::vector<char> &keep, int64_t lq,
             int64_t lkv);

} // namespace raise
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISESCORES_H
