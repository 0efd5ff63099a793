//===- AttnOps.h - attn operations ------------------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_H
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_H

#include "attn/Dialect/Attn/IR/AttnAttrs.h"
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.h.inc"

namespace mlir {
namespace attn {

//===----------------------------------------------------------------------===//
// Score semantics shared by every lowering of attn.attention
//===----------------------------------------------------------------------===//

/// Scalars the score of one (b, h, i, j) reads besides Q.K, fetched by the
/// caller (as linalg block arguments or tensor.extract). Null when absent.
struct ScoreOperands {
  Value mask;                 ///< mask[b,h,i,j]: i1 keep or additive float.
  Value qLen, kvLen;          ///< per-sequence lengths (index), always set.
  Value qSegment, kvSegment;  ///< segment ids of row i and key j.
};

/// Converts a floating-point scalar to f32.
Value castToF32(OpBuilder &b, Location loc, Value x);

/// The scale applied to Q.K^T as an f32 value: the attribute, 1/sqrt(Dqk)
/// folded for a static Dqk, or rsqrt(Dqk) computed from `dqk` otherwise.
Value buildScale(OpBuilder &b, Location loc, AttentionOp op, Value dqk);

/// Clones the single block of a score_mod/mask_mod `region` at the insertion
/// point with its arguments replaced by `args`; returns the yielded value.
Value inlineModRegion(OpBuilder &b, Region &region, ValueRange args);

/// Turns the dot product `dot` of (b, h, i, j) = `idx` (global index values)
/// into the final score of the op semantics (docs/semantics.md): scale,
/// softcap, score_mod, additive mask, then -inf where the keep predicate is
/// false. With `applyStructuredMasks` false the structured `masks` terms are
/// skipped (a tile proven full needs no check); every other keep condition is
/// applied when its operand is present.
Value buildScore(OpBuilder &b, Location loc, AttentionOp op, Value dot,
                 Value scale, ValueRange idx, const ScoreOperands &operands,
                 bool applyStructuredMasks);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_H
