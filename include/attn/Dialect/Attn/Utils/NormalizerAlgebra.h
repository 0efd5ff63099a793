//===- NormalizerAlgebra.h - normaliser states and updates ------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The one home of the normaliser algebra of attention (docs/semantics.md,
// "Partial states"). A normaliser's running state over a set of keys of one
// query row is `(acc, max, sum)`: `acc` and `sum` are held in units of
// `exp(-max)`, so two states over disjoint key sets combine by rescaling both
// to the larger maximum and adding. Every lowering builds its weights,
// rescales, combines and finalisations through these scalar builders; they
// build f32 arith/math ops at the insertion point.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_NORMALIZERALGEBRA_H
#define ATTN_DIALECT_ATTN_UTILS_NORMALIZERALGEBRA_H

#include "attn/Dialect/Attn/IR/AttnAttrs.h"
#include "mlir/IR/Builders.h"

#include <functional>
#include <optional>

namespace mlir {
namespace attn {

/// How a lowering holds scores and states. The reference decomposition and
/// the CPU tiler use the default: natural units, `math.exp`, exact
/// division. The GPU kernels hold base-2 scores (`base = two`: scores,
/// maxima and shifts prescaled by log2(e), exponentials `math.exp2`, the
/// sigmoid bias prescaled alike) and take the sigmoid weight's reciprocal
/// with their own approximation (`weightReciprocal`). Natural log-sum-exps
/// come out in natural units either way.
struct NormalizerForm {
  LseBase base = LseBase::e;
  /// 1 / x for the sigmoid weight; null: `arith.divf`.
  std::function<Value(OpBuilder &, Location, Value)> weightReciprocal;
};

/// The running maximum of an empty state: -inf, or 0 for `sigmoid`, whose
/// weights need no shift (its maximum never moves, so rescales are 1).
double getIdentityMax(Normalizer norm);

/// The maximum of a state after it absorbs scores whose largest value is
/// `tileMax`: max(mOld, tileMax) for softmax, max(mOld, tileMax, 0) for
/// softpick (its numerator is relu(e^s - 1)), mOld for sigmoid.
Value buildMaxUpdate(OpBuilder &b, Location loc, Normalizer norm, Value mOld,
                     Value tileMax);

/// The shift that exponentials subtract for a state maximum `m`: `m`, or 0
/// when `m` is -inf (so that exp never sees -inf - -inf).
Value buildSafeShift(OpBuilder &b, Location loc, Value m);

/// The factor `base^(mOld - mNew)` that rescales a state from maximum `mOld`
/// to `mNew >= mOld`; 0 when `mNew` is -inf (both states empty).
Value buildRescale(OpBuilder &b, Location loc, Value mOld, Value mNew,
                   LseBase base = LseBase::e);

/// The weight of one final score `s` (-inf where masked) in a state whose
/// safe shift is `shift`, and its term of the state's sum:
/// softmax (e^(s-m), e^(s-m)); softpick (relu(e^(s-m) - e^-m),
/// |e^(s-m) - e^-m|, both 0 where masked); sigmoid (sigmoid(s + bias), 0).
std::pair<Value, Value> buildWeight(OpBuilder &b, Location loc, Normalizer norm,
                                    Value s, Value shift,
                                    std::optional<double> sigmoidBias);

/// `base^(mOld - shift)` with `shift = buildSafeShift(mNew)`: the same
/// factor as buildRescale, without its select (both empty: base^-inf = 0).
Value buildRescaleToShift(OpBuilder &b, Location loc, Value mOld, Value shift,
                          LseBase base);

/// The part of a softpick weight that depends only on the row, `base^-shift`
/// (built once per row and tile, passed to buildWeight); null for the other
/// normalisers.
Value buildWeightOffset(OpBuilder &b, Location loc, Normalizer norm,
                        Value shift, const NormalizerForm &form);

/// buildWeight in `form`: scores `s` and `shift` in its units, the sigmoid
/// bias in natural units (prescaled here), `offset` from buildWeightOffset
/// (softpick; built here when null).
std::pair<Value, Value> buildWeight(OpBuilder &b, Location loc, Normalizer norm,
                                    Value s, Value shift,
                                    std::optional<double> sigmoidBias,
                                    const NormalizerForm &form,
                                    Value offset = Value());

/// The initial state of a row whose sink logit is `sink` (in the state's
/// units): the sink joins as a key of weight 0 in `acc`, so `max = sink` and
/// `sum = 1` (0 for a -inf sink, which drops nothing).
struct SinkState {
  Value max;
  Value sum;
};
SinkState buildSinkState(OpBuilder &b, Location loc, Value sink);

/// The factor `outScale` of buildRowFinalization alone, in `form`.
Value buildOutputScale(OpBuilder &b, Location loc, Normalizer norm, Value m,
                       Value sum, Value sink, const NormalizerForm &form);

/// The natural log-sum-exp of a softmax state `(m, sum)` without a sink, in
/// `form` (for base two, ln 2 * (m + log2 sum)); -inf for an empty row.
Value buildLogSumExp(OpBuilder &b, Location loc, Value m, Value sum,
                     const NormalizerForm &form);

/// How a final state `(acc, m, sum)` of one row becomes the op's results:
/// `O = acc * outScale` and, for softmax, the natural log-sum-exp `lse`.
/// `sink` (f32 logit, null when absent) joins the softmax denominator.
/// Rows that kept no score get `outScale = 0` and `lse = -inf`.
struct RowFinalization {
  Value outScale;
  Value lse;
};
RowFinalization buildRowFinalization(OpBuilder &b, Location loc,
                                     Normalizer norm, Value m, Value sum,
                                     Value sink);

/// An f32 constant.
Value buildF32Constant(OpBuilder &b, Location loc, double v);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_UTILS_NORMALIZERALGEBRA_H
