//===- LinearAttention.h - linear attention building blocks -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The pieces every form of `attn.linear_attention` is built from (reference
// parallel form, chunked form, recurrent form): the prepared f32 operands
// and the finalisation into the op's destinations, so that the forms differ
// only in how they evaluate the recurrence (docs/semantics.md, "Linear
// attention").
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_LINEARATTENTION_H
#define ATTN_DIALECT_ATTN_IR_LINEARATTENTION_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace attn {

/// Small builder of the linalg.generic ops of the linear attention forms.
struct LinalgBuilder {
  using IterTy = utils::IteratorType;
  using BodyFn = function_ref<void(OpBuilder &, Location, ValueRange)>;

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  Type f32;

  LinalgBuilder(OpBuilder &b, Location loc)
      : b(b), loc(loc), ctx(b.getContext()), f32(b.getF32Type()) {}

  AffineExpr d(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineExpr c(int64_t v) { return getAffineConstantExpr(v, ctx); }
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> results) {
    return AffineMap::get(numDims, 0, results, ctx);
  }
  AffineMap id(unsigned n) { return b.getMultiDimIdentityMap(n); }
  Value f32Const(double v);
  Value index(int64_t v);
  Value empty(ArrayRef<OpFoldResult> sizes, Type elem);
  Value filled(ArrayRef<OpFoldResult> sizes, double v);
  Value generic(ValueRange ins, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<IterTy> iters, BodyFn body);
  /// `n` parallel iterators followed by `r` reductions.
  static SmallVector<IterTy> iters(unsigned n, unsigned r = 0);
};

/// The operands of an `attn.linear_attention` in the form every lowering
/// uses: f32, one slice per query head (K and V broadcast over the head
/// group), the feature map applied, the normaliser folded into V.
struct LinearAttentionInputs {
  /// phi(Q), [B, Hq, L, Dk] (the query itself when f32 with the identity
  /// map); the scale is applied to the output by finalizeLinearAttention.
  Value q;
  /// The f32 scale.
  Value scale;
  /// phi(K) for every query head, [B, Hq, L, Dk] (K itself when f32, with
  /// the identity map and Hq = Hkv; likewise V).
  Value k;
  /// V for every query head, [B, Hq, L, Dv'] where Dv' = Dv + 1 with
  /// `normalize`: the last column is 1, so that the last column of the state
  /// is z and the last column of the output is the denominator.
  Value v;
  /// The log-decay per token, [B, Hq, L] or [B, Hq, L, Dk] (`channel`);
  /// null without decay. A per-head constant is broadcast over B and L.
  Value logDecay;
  bool channel = false;
  /// Sequence ids of packed sequences, [B, L] i64; null without.
  Value segments;
  /// The initial state [B, Hq, Dk, Dv'] (z0 in the last column with
  /// `normalize`); null without.
  Value state0;
  OpFoldResult B, H, L, Dk, Dv, DvAug;
};

/// Builds the prepared operands of `op` at the insertion point.
LinearAttentionInputs prepareLinearAttention(OpBuilder &b,
                                             LinearAttentionOp op);

/// Writes the results of `op` into its inits: `out` [B, Hq, L, Dv'] gives
/// the output (divided by its last column plus eps with `normalize`),
/// `state` [B, Hq, Dk, Dv'] the final state and normaliser state (may be
/// null when the op has no final-state result).
/// With `stateIsResult` (no `normalize`) `state` was computed in the
/// final-state destination and is the final-state result as it is.
SmallVector<Value> finalizeLinearAttention(OpBuilder &b, LinearAttentionOp op,
                                           const LinearAttentionInputs &in,
                                           Value out, Value state,
                                           bool stateIsResult = false);

/// The results of `op` when a static size leaves nothing to compute (zero
/// B, Hq, L or Dk; zero Dv without `normalize`): empty inits, the initial
/// states copied, zeros. std::nullopt otherwise.
std::optional<SmallVector<Value>>
buildTrivialLinearAttention(OpBuilder &b, LinearAttentionOp op);

/// The feature map `fm` applied to the f32 scalar `x`.
Value buildFeatureMap(OpBuilder &b, Location loc, FeatureMap fm, Value x);

/// Whether `op` maps the operand whose user region is `mod` (q_mod or
/// k_mod): a region or a non-identity `feature_map`.
bool hasFeatureMap(LinearAttentionOp op, Region &mod);

/// The feature map of the operand whose user region is `mod` (q_mod or
/// k_mod) applied to its f32 element `x`: the region inlined with `x` and
/// the element's (b, h, t, d) coordinates, which `indices` builds only then,
/// or else the `feature_map` attribute. The one place phi is applied.
Value applyFeatureMap(OpBuilder &b, Location loc, LinearAttentionOp op,
                      Region &mod, Value x,
                      function_ref<SmallVector<Value>()> indices);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_IR_LINEARATTENTION_H
