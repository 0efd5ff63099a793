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
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/TilingInterface.h"
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
  Value blockKeep;            ///< i1: key j's block is listed (kv_blocks).
};

/// Where an op sits in the problem it is a tile of (docs/semantics.md, "Tile
/// coordinates"): the offsets of b, h, q and kv, the problem's Lq and Lkv and
/// its group size Hq / Hkv (all index values). For an op without tile
/// coordinates the offsets are 0 and the rest its own sizes.
struct TileCoordinates {
  bool isTile = false;
  Value b0, h0, q0, kv0;
  Value qLen, kvLen;
  Value group;
};

/// Builds (or reads) the tile coordinates of `op` at the insertion point.
TileCoordinates getTileCoordinates(OpBuilder &b, Location loc, AttentionOp op);

/// The global (b, h, q, kv) indices of the local indices `local` of a tile.
SmallVector<Value> buildGlobalIndices(OpBuilder &b, Location loc,
                                      const TileCoordinates &c,
                                      ValueRange local);

/// The local key/value head read by local query head `h`:
/// `(h0 + h) / group - h0 / group` (`h / group` outside a tile).
Value buildLocalKVHead(OpBuilder &b, Location loc, const TileCoordinates &c,
                       Value group, Value h);

/// Key-block lists (`kv_blocks`, docs/semantics.md "Key-block lists").
/// Verifies the operands and attributes of the lists.
LogicalResult verifyKeyBlockLists(AttentionOp op);

/// The row of the lists that query row `gi` of head `gh` in batch `gb`
/// (global indices) reads: (b, h, query block) indices into the counts.
struct KeyBlockListRow {
  Value b, h, q;
};
KeyBlockListRow buildKeyBlockListRow(OpBuilder &b, Location loc,
                                     AttentionOp op, Value gb, Value gh,
                                     Value gi, Value group);
/// The row's entry count clamped to [0, K] (index).
Value buildKeyBlockCount(OpBuilder &b, Location loc, AttentionOp op,
                         const KeyBlockListRow &row);
/// Entry `e` of the row (index; unchecked).
Value buildKeyBlockIndex(OpBuilder &b, Location loc, AttentionOp op,
                         const KeyBlockListRow &row, Value e);
/// The keep table of the lists, `[Bc, Hc, Nq, numKeyBlocks]` i1: whether
/// key block kb is listed for (b, h, q block).
Value buildKeyBlockKeepTable(OpBuilder &b, Location loc, AttentionOp op,
                             Value numKeyBlocks);

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
/// skipped (a tile proven full needs no check), with `applyMaskMod` false the
/// mask_mod region (a tile the mask analysis proved full); every other keep
/// condition is applied when its operand is present.
Value buildScore(OpBuilder &b, Location loc, AttentionOp op, Value dot,
                 Value scale, ValueRange idx, const ScoreOperands &operands,
                 bool applyStructuredMasks, bool applyMaskMod = true);

/// Names the results of a normalised `(out, lse)` or unnormalised `(acc,
/// max, sum)` attention state in printed IR.
void setStateResultNames(ValueRange results, bool unnormalized,
                         function_ref<void(Value, StringRef)> setNameFn);

/// Finalises the state `(acc [B, Hq, Lq, Dv], max, sum [B, Hq, Lq])` of
/// every row of `op` into its results (output, optional log-sum-exp) written
/// into the op's inits: NormalizerAlgebra's row finalisation with the op's
/// sinks. The generics it builds are appended to `created`.
SmallVector<Value> buildFinalizedResults(OpBuilder &b, Location loc,
                                         AttentionOp op, Value acc, Value max,
                                         Value sum,
                                         SmallVectorImpl<Operation *> &created);

/// For a paged `op`: builds the gathers of its K/V pools through the page
/// table into contiguous `[B, Hkv, max_pages * P, D]` tensors and a clone of
/// `op` in the contiguous layout that reads them (same attributes, regions,
/// inits). The gather clamps every table entry into the pool, so it never
/// reads out of bounds (entries of pages past a sequence's length may hold
/// anything). `op` itself is left unchanged. The semantics of a paged op are
/// those of the returned op (docs/semantics.md, "Paged KV").
AttentionOp buildGatheredAttention(OpBuilder &b, AttentionOp op);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_H
