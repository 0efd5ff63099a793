//===- OnlineTiler.h - the tile body of -attn-tile ---------------*- C++
//-*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The builder of one attention tile's FlashAttention-2 recurrence, shared by
// AttnTile.cpp (the tiling driver and the tile body), OnlineTilerMaskSummary
// .cpp (run-time block summaries of masks and segment ids).
// Private to lib/Dialect/Attn/Transforms.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_TRANSFORMS_ONLINETILER_H
#define ATTN_LIB_DIALECT_ATTN_TRANSFORMS_ONLINETILER_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"
#include "attn/Dialect/Attn/Utils/MaskAnalysis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>
#include <optional>

namespace mlir {
namespace attn {
namespace detail {
using IterTy = utils::IteratorType;

/// The run-time block summary of a mask tensor, built once for the op that
/// is tiled (outside its loops, where the vectoriser parallelises it): per
/// (query tile, key tile) block, whether any score is kept (`any`) and, for
/// boolean masks, whether all are (`all`); with the global offsets of that
/// op, from which a tile finds its blocks.
struct MaskSummary {
  Value any, all;
  Value b0, h0, q0, kv0;
};

/// The values of one tile that its key loop reads (OnlineTiler::buildTile),
/// built once per tile: the tile sizes, the sequence lengths, the tile's
/// aligned and raw rows, its key range, its layout and the query operand
/// tiles.
struct TileFrame {
  Value tq0, tk0;
  Value qLen, kvLen;
  /// Rows aligned to the keys (q' = i + kvLen - qLen) and the raw last row.
  Value qLoA, qHiA, qHiRaw;
  /// The key range the loop visits.
  Value kvLo, kvHi;
  /// Every row of the tile is below q_lengths (null without q_lengths).
  Value rowsValid;
  SmallVector<StructuredMaskAttrInterface> terms;
  Region *maskMod = nullptr;
  /// The static padded layout (usesPaddedTiles), the rows of the state
  /// tensors (Tq when padded, else tq), the query tile and, when padded, its
  /// zero-padded transpose.
  bool padded = false;
  OpFoldResult rows;
  Value qTile, qT;
  /// Every key tile takes the masked branch; some need the fullness test.
  bool alwaysPartial = false, needsCheck = false;
  /// The [min, max] segment id of the query rows (document masks).
  std::optional<std::pair<Value, Value>> qSegRange;
};

/// One key tile of the loop: its first global key, real width, first key
/// in the operands, and what the mask analysis knows of it.
struct KeyTile {
  Value k0, tk, kl;
  MaskTileClass cls;
};

/// The operands of the score semantics (docs/semantics.md) at the tile
/// element with local indices `local` = (b, h, i, j) into the tile's
/// operands: the sequence lengths, the mask tensor's element when
/// `readMask` (its size-1 dims read index 0) and the segment ids of row i
/// and key j. Shared by the tile bodies of OnlineTiler.cpp and
/// OnlineTilerDecode.cpp.
ScoreOperands buildTileScoreOperands(OpBuilder &b, Location loc,
                                     AttentionOp op, ArrayRef<Value> local,
                                     Value qLen, Value kvLen, bool readMask);

/// Where a tile sits in the problem, as the tile bodies index it (docs/
/// semantics.md, "Tile coordinates"): the global offsets of its batch,
/// head, first query row and first key, the problem's lengths and group
/// size (index values), and a constant 0.
struct TilePlace {
  Value zero, b0, h0, q0, kv0, lqP, lkvP, group;
  /// Reads the tile coordinates of `op` at the insertion point.
  void readTilePlace(OpBuilder &b, Location loc, AttentionOp op);
};

/// Lowers one attention tile -- one batch, one query head and at most one
/// query tile of rows, as the tiling driver in AttnTile.cpp makes them -- to
/// the FlashAttention-2 recurrence over its key tiles (run()). Also builds
/// the mask summary of a whole op (summarizeMask()) for its tiles to share.
struct OnlineTiler : TilePlace {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  Type f32;
  AttentionTileSizes sizes;
  Normalizer norm;

  // The tile's own rows and keys (TilePlace has where it sits). The
  // tile's operands are indexed locally (batch and head 0, row i, key j);
  // masks, regions and lengths see global indices.
  Value tq, lkvT;
  Value D, scale;
  OpFoldResult dStatic, dvStatic;
  /// Block summary of the mask tensor (see MaskSummary): of the tiled op
  /// when `summary` is given, else of this op.
  Value maskAny, maskAll;
  const MaskSummary *summary = nullptr;

  OnlineTiler(AttentionOp op, OpBuilder &b, const AttentionTileSizes &sizes,
              const MaskSummary *summary = nullptr)
      : op(op), b(b), loc(op.getLoc()), ctx(op.getContext()),
        f32(b.getF32Type()), sizes(sizes), norm(op.getNormalizer()),
        summary(summary) {}

  Value cst(OpBuilder &nb, int64_t v) {
    return arith::ConstantIndexOp::create(nb, loc, v);
  }
  static Value f32Const(OpBuilder &nb, Location l, double v) {
    return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
  }
  static Value negInf(OpBuilder &nb, Location l) {
    return f32Const(nb, l, -std::numeric_limits<double>::infinity());
  }
  AffineExpr d(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineMap map(unsigned n, ArrayRef<AffineExpr> r) {
    return AffineMap::get(n, 0, r, ctx);
  }

  Value empty(OpBuilder &nb, ArrayRef<OpFoldResult> shape, Type elem) {
    return tensor::EmptyOp::create(nb, loc, shape, elem);
  }
  Value filled(OpBuilder &nb, ArrayRef<OpFoldResult> shape, double v) {
    return linalg::FillOp::create(nb, loc, ValueRange{f32Const(nb, loc, v)},
                                  ValueRange{empty(nb, shape, f32)})
        .getResult(0);
  }
  Value generic(OpBuilder &nb, ValueRange ins, Value init,
                ArrayRef<AffineMap> maps, ArrayRef<IterTy> iters,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    return linalg::GenericOp::create(
               nb, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
               iters,
               [&](OpBuilder &bb, Location l, ValueRange args) {
                 linalg::YieldOp::create(bb, l, ValueRange{body(bb, l, args)});
               })
        .getResult(0);
  }

  /// A 2-D slice [rows, cols] of the 4-D tensor `t` at (b, h, r0, 0).
  Value slice2D(OpBuilder &nb, Value t, Value bi, Value hi, Value r0,
                OpFoldResult rows, OpFoldResult cols) {
    auto tT = cast<RankedTensorType>(t.getType());
    SmallVector<OpFoldResult> offs = {bi, hi, r0, nb.getIndexAttr(0)};
    SmallVector<OpFoldResult> szs = {nb.getIndexAttr(1), nb.getIndexAttr(1),
                                     rows, cols};
    SmallVector<OpFoldResult> strides(4, nb.getIndexAttr(1));
    RankedTensorType resT =
        tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(2, tT, szs);
    return tensor::ExtractSliceOp::create(nb, loc, resT, t, offs, szs, strides);
  }

  /// Rows [kl, kl + rows) of the tile's key (or value) operand `kv` as a
  /// 2-D [rows, cols] tensor (readKVRows of one KV head).
  Value readKeyRows(OpBuilder &nb, Location l, Value kv, Value kl,
                    OpFoldResult rows, OpFoldResult cols);

  FailureOr<SmallVector<Value>> run();
  SmallVector<Value> initialState(OpBuilder &nb, OpFoldResult rows);
  SmallVector<Value> insertIntoInits(OpBuilder &nb, ValueRange tiles);
  bool usesPaddedTiles();
  Value padRowsWithPoison(OpBuilder &nb, Value t, int64_t rows);
  std::pair<Value, Value> segmentRange(OpBuilder &nb, Value ids, Value start,
                                       Value count);
  SmallVector<Value> finalize(OpBuilder &nb, Value acc, Value sum, Value m);
  void summarizeMask(OpBuilder &nb);
  Value maskBlockFlag(OpBuilder &nb, Value flags, Value k0);
  SmallVector<Value> buildTile(OpBuilder &nb);
  TileFrame buildTileFrame(OpBuilder &nb);
  Value buildTransposedQueryTile(OpBuilder &nb, const TileFrame &f);
  KeyTile classifyKeyTile(OpBuilder &b, Location l, const TileFrame &f,
                          Value k0, Value kHiEnd);
  SmallVector<Value> keyTileStep(OpBuilder &b, Location l, const TileFrame &f,
                                 Value k0, Value kHiEnd, ValueRange state);
  SmallVector<Value> buildListedBlockLoop(OpBuilder &nb, const TileFrame &f,
                                          ValueRange state0);
  Value buildListedBlockKeep(OpBuilder &b, Location l, Value gi, Value gj);
  Value buildTileIsFull(OpBuilder &b, Location l, const TileFrame &f,
                        const KeyTile &kt);
  Value buildScoreTile(OpBuilder &b, Location l, const TileFrame &f,
                       const KeyTile &kt, Value kTile,
                       ArrayRef<OpFoldResult> tileShape);
  SmallVector<Value> updateState(OpBuilder &b, Location l, const TileFrame &f,
                                 const KeyTile &kt, ValueRange st);
  Value buildVisitFlag(OpBuilder &b, Location l, const TileFrame &f,
                       const KeyTile &kt);
  SmallVector<Value> finishTile(OpBuilder &nb, const TileFrame &f,
                                ValueRange state);
  Value scores(OpBuilder &nb, Value dot, Value k0, Value qLen, Value kvLen,
               bool structured, Value kvEnd, bool transposed);
};

//===----------------------------------------------------------------------===//
// Decode (OnlineTilerDecode.cpp)
//===----------------------------------------------------------------------===//

/// The decode predicate, the one place that says whether `op` takes the decode
/// path of -attn-tile: tiles of one batch and one whole GQA group (g query
/// heads x all Lq rows) lowered by lowerDecodeTile. Returns g when the op
/// qualifies: a static Lq in [1, 16], static head counts, a static Dqk, a
/// static Dv that is a multiple of 4 (the f32 lanes of the narrowest vector
/// target, so the predicate does not depend on `vector-bits`: the tile narrows
/// its vectors when Dv is not a multiple of the target's), and not already a
/// tile (a tile may start inside a group). Every mask, region, length, sink and
/// normaliser is handled by the decode tile body.
std::optional<int64_t> decodeGroupSize(AttentionOp op);

/// The most rows of a Q.K^T register block of a decode tile.
constexpr int64_t kDecodeBlockRows = 8;

/// The most rows (Hq * Lq) of a decode tile of all KV heads.
constexpr int64_t kMaxAllHeadsRows = 512;

/// The head tile of a decode op whose GQA groups have `group` heads
/// (decodeGroupSize; <= 0: not decode, returned as is): all Hq heads for an
/// NHD paged op with more than one KV head, whose tiles then read each page
/// row of all heads at once (OnlineTilerDecodeHeads.cpp), unless that tile
/// would have more than kMaxAllHeadsRows rows or its row blocks
/// (decodeRowBlock of g * Lq rows) would be under half as tall as a group
/// tile's; else the group.
int64_t decodeHeadTile(AttentionOp op, int64_t group);

/// The rows of a register block of a decode tile of several KV heads: the
/// largest divisor of `rowsPerKVHead` (g * Lq) that is at most `maxRows`, so
/// that no block straddles two KV heads.
int64_t decodeRowBlock(int64_t rowsPerKVHead,
                       int64_t maxRows = kDecodeBlockRows);

/// Rows [kl, kl + rows) of a tile's key (or value) operand `kv`, the one home
/// of the logical key row -> storage mapping of the tile bodies: a slice of
/// the contiguous operand, or of the one page that holds the rows in a paged
/// tile (one page-table load, the entry clamped into the pool; key tiles of
/// a paged op never cross a page). With `allHeads` false the tile has one KV
/// head and the slice is 2-D [rows, cols]; with `allHeads` true it is one
/// 3-D slice of every KV head: [rows, Hkv, cols] for NHD pools,
/// [Hkv, rows, cols] for HND pools and contiguous operands.
Value readKVRows(OpBuilder &b, Location l, AttentionOp op, Value kv, Value kl,
                 OpFoldResult rows, OpFoldResult cols, bool allHeads);

/// The [rows, cols] part of KV head `kvHead` of an all-heads readKVRows
/// slice.
Value kvHeadRows(OpBuilder &b, Location l, AttentionOp op, Value slice,
                 Value kvHead);

/// The number of key-axis splits (split-KV, merged by attn.merge_states) of
/// an op whose tiling has `items` parallel work items (static; <= 0 when
/// unknown), `lkv` keys and key tiles of `kvTile`, for code that runs on
/// `threads` threads (<= 0: this host's hardware threads). The one home of
/// the split count, for the decode and the general path.
int64_t chooseKVSplits(int64_t items, int64_t lkv, int64_t kvTile,
                       int64_t threads);

/// Lowers a decode tile (one batch, the g heads of one group or, for NHD
/// pools, the Hq heads of all KV heads (decodeHeadTile), all Lq rows, as
/// -attn-tile makes them for ops that decodeGroupSize accepts) to the
/// online-softmax recurrence with (head, row) as the row dimension and
/// matrix-vector micro-kernels. Returns the values replacing the tile.
FailureOr<SmallVector<Value>> lowerDecodeTile(OpBuilder &b, AttentionOp tile,
                                              const AttentionTileSizes &sizes);

} // namespace detail
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_DIALECT_ATTN_TRANSFORMS_ONLINETILER_H
