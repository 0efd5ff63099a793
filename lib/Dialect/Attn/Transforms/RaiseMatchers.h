//===- RaiseMatchers.h - views of elementwise tensor graphs -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The matchers behind `attn-raise`. An attention subgraph is spread over
// linalg ops (generic, named elementwise, reductions, softmax), tensor
// reshapes and TOSA ops, fused in many different ways. The matchers look at
// it through one abstraction, the `Term`: a scalar of an elementwise
// computation over the score domain [batch..., Lq, Lkv], reached either as
// an SSA value inside the body of an all-parallel linalg op or as an element
// of a tensor, each with an affine map from the score domain to the loops of
// that body or to the tensor's indices. Stepping from a tensor into the op
// that produced it, or through a reshape or transpose, only composes maps,
// so the same matcher accepts `exp` fused into a generic, a separate
// `linalg.exp` and a `tosa.exp`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISEMATCHERS_H
#define ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISEMATCHERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SetVector.h"

#include <optional>

namespace mlir {
namespace attn {
namespace raise {

/// A scalar of an elementwise computation over a domain: `value` is either a
/// tensor read at `map(domain index)` or a scalar inside the body of an
/// all-parallel linalg op evaluated at loop index `map(domain index)`.
struct Term {
  Value value;
  AffineMap map;

  bool isTensor() const;
  bool operator==(const Term &other) const {
    return value == other.value && map == other.map;
  }
  bool operator!=(const Term &other) const { return !(*this == other); }
};

/// Ops a match stepped through; all of them die when the match is replaced.
using OpChain = llvm::SetVector<Operation *>;

/// What a term computes, one operation deep.
enum class TermKind {
  Leaf,       // a tensor produced by something else (contraction, argument)
  Constant,   // a scalar or splat constant
  Index,      // linalg.index
  Add,
  Sub,
  Mul,
  Div,
  Exp,
  Max,
  Reciprocal,
  Select,     // operands: condition, true value, false value
  Cast,       // extf, truncf, int<->float, index casts
  Unknown
};

struct TermView {
  TermKind kind = TermKind::Unknown;
  SmallVector<Term, 3> operands;
  /// The value of a Constant.
  double constant = 0.0;
  /// The leaf itself (tensor term) for Leaf.
  Term leaf;
};

/// The all-parallel linalg op with pure tensor semantics that produced
/// `tensor`, when its result map is a permutation and its body does not read
/// the init; `resultNumber` is set to the result `tensor` is.
linalg::LinalgOp getElementwiseProducer(Value tensor, unsigned &resultNumber);

/// When `tensor` is a reshape, transpose, cast or static slice of another
/// tensor, returns that tensor and the map from `tensor`'s indices to its
/// indices.
std::optional<std::pair<Value, AffineMap>> getViewSource(Value tensor);

/// Replaces a term that is a body block argument by the tensor it reads,
/// repeatedly.
Term resolveArguments(Term t);

/// Looks one operation into `t`, stepping through body arguments, the
/// all-parallel linalg ops that produced a tensor, reshapes and casts of
/// tensors. Every op stepped into is added to `chain` when given.
TermView viewTerm(Term t, OpChain *chain);

/// The constant value of `t` if it is a scalar or splat constant, or a
/// computation of constants only (an f64 constant truncated to f32 in a body,
/// the square root of a constant tensor, `sitofp` of an integer constant).
std::optional<double> getConstant(Term t);

/// Steps through multiplications and divisions by the constant 1 inside a
/// body (torch-mlir's `alpha` operand of add/sub: `x + alpha * y`).
Term stripUnitFactors(Term t);

/// Returns the input of a row reduction (max or sum over the last of `rank`
/// domain dimensions) that `row` reads, as a term over the full domain.
/// Accepts linalg reductions (generic or linalg.reduce) whose init is the
/// reduction's neutral value and TOSA keep-dim reductions, read back through
/// broadcasts and unit-dim reshapes. Ops stepped through join `chain`.
enum class RowReduction { Max, Sum };
std::optional<Term> matchRowReduction(Term row, RowReduction kind,
                                      int64_t rank, OpChain &chain);

/// Returns the score term S such that `p = softmax(S)` over the last of
/// `rank` domain dimensions: `linalg.softmax`, or exp(S - rowmax(S)) (or
/// exp(S)) divided by, or multiplied by the reciprocal of, its row sum.
std::optional<Term> matchSoftmax(Term p, int64_t rank, OpChain &chain);

/// The pure data-movement ops (reshapes, transposes, broadcasts, copies,
/// casts of tensor types) that `t` reads through, outermost first: element
/// k+1 reads the same values as element k from the producer's operand.
SmallVector<Term> peelViews(Term t);

/// True when `map` computes the same index as `expected` at every point of
/// a domain of extents `sizes` (symbolically equal results, or exhaustive
/// evaluation of the results over the static dimensions they use).
bool mapsAgree(AffineMap map, AffineMap expected, ArrayRef<int64_t> sizes);

/// An evaluated scalar and the domain dimensions it depends on.
struct Scalar {
  bool isFloat = false;
  double f = 0.0;
  int64_t i = 0;
  uint64_t deps = 0;
  double asDouble() const { return isFloat ? f : static_cast<double>(i); }
};

/// Evaluates `t` at domain index `index` when it depends only on indices,
/// constants and constant tensors; `deps` of the result says which domain
/// dimensions the value read.
std::optional<Scalar> evaluateTerm(Term t, ArrayRef<int64_t> index);

} // namespace raise
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_DIALECT_ATTN_TRANSFORMS_RAISEMATCHERS_H
