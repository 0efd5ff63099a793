//===- RaiseSources.h - the tensors a raised attention reads ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Where `attn-raise` finds the operands of the op it creates: the
// [B, H, L, D] tensors behind the Q, K and V terms of the two contractions,
// and the mask tensor behind a mask term of the score chain.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISESOURCES_H
#define ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISESOURCES_H

#include "RaiseMatchers.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace attn {
namespace raise {

/// How the 4-D operands of the new op relate to the score domain.
enum class ViewKind {
  /// The domain is [B, H, Lq, Lkv]: operands are used as they are.
  Direct,
  /// The domain is [B*H, Lq, Lkv] and Q/K/V were traced back to [B, H, L, D].
  SplitHeads,
  /// The domain has rank 2 or 3: unit dims are prepended ([1, N, L, D]).
  Prepend
};

/// A tensor the op reads, and the permutation that puts it in
/// [batch..., L, D] order first (empty when it already is).
struct Source {
  Value value;
  SmallVector<int64_t> transpose;
};

struct Sources {
  ViewKind kind;
  Source q, k, v;
};

/// A mask tensor for the new op: the deepest view of `t` with element type
/// `element` that broadcasts from the right against a score domain of rank
/// `rank`.
std::optional<Term> getMaskTensor(Term t, int64_t rank, Type element);

/// Finds the tensors behind the logical operand terms Q [.., Lq, D],
/// K [.., Lkv, D] and V [.., Lkv, Dv] of contractions of rank `rank`.
std::optional<Sources> findSources(Term q, Term k, Term v, int64_t rank);

/// The type of `source` once materialised in order (and, with `prepend`,
/// expanded to rank 4).
RankedTensorType sourceType(const Source &source, bool prepend);

/// Materialises a source in [batch..., L, D] order.
Value materialize(RewriterBase &rewriter, Location loc, const Source &source);

/// Reshapes a rank-2/3 tensor to rank 4 by prepending unit dims.
Value prependUnitDims(RewriterBase &rewriter, Location loc, Value value);

} // namespace raise
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISESOURCES_H
