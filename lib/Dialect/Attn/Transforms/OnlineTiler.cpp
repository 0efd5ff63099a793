//===- OnlineTiler.cpp - the tile body of -attn-tile ------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Lowers one attention tile (one batch, one query head, at most one query
// tile of rows, as AttnTile.cpp's tiling makes them) to the FlashAttention-2
// recurrence over its key tiles:
//
//     [kvLo, kvHi) = key range kept by the masks and lengths (KeyRange.h)
//     m, l, acc = init (the identity, the sink, or a partial state's inits)
//     scf.for k0 = kvLo to kvHi step Tk {
//       (skipped at run time when the document ranges are disjoint or the
//        mask summary says the block keeps nothing)
//       S = Q_tile . K_tile^T               (f32; transposed, K . Q_tile^T,
//                                            on padded tiles)
//       S = score(S) without / with masks   (scf.if on "tile is full")
//       m, l, acc = online update(S, V_tile)
//     }
//     O_tile = acc / l    (or the raw state of a partial tile)
//
// The tile body reads its operands with local indices and gives masks and
// regions global ones. The key range and the fullness test come from
// StructuredMaskAttrInterface, so they are symbolic in the sequence
// lengths. Tiles that meet usesPaddedTiles() are static and padded, with
// contractions that the target-specific -attn-register-block-contractions
// turns into register-blocked micro-kernels; all others use dynamically
// shaped linalg tiles.
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/CPUTarget.h"
#include "attn/Dialect/Attn/Utils/KeyRange.h"
#include "attn/Dialect/Attn/Utils/MaskAnalysis.h"
#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

/// Applies the score semantics to a tile of dot products whose element
/// (i, j) is the global (q0 + i, k0 + j), or (k0 + i, q0 + j) for a
/// `transposed` (keys x queries) tile; `k0` is a global key. With `kvEnd`
/// set the tile is padded: columns at or past `kvEnd` become -inf and
/// indices are clamped into the operands' bounds before any read (padded
/// rows are discarded by the caller).
Value OnlineTiler::scores(OpBuilder &nb, Value dot, Value k0, Value qLen,
                          Value kvLen, bool structured, Value kvEnd,
                          bool transposed) {
  AffineMap id2 = nb.getMultiDimIdentityMap(2);
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(nb, loc, dot);
  return generic(
      nb, {dot}, empty(nb, shape, f32), {id2, id2},
      {IterTy::parallel, IterTy::parallel},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        // Local (li, lj) index the tile's operands; global (gi, gj) are
        // what masks and regions see.
        Value li = linalg::IndexOp::create(bb, l, transposed ? 1 : 0);
        Value gjRaw = arith::AddIOp::create(
            bb, l, k0, linalg::IndexOp::create(bb, l, transposed ? 0 : 1));
        Value lj = arith::SubIOp::create(bb, l, gjRaw, kv0);
        Value inRange;
        if (kvEnd) {
          inRange = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt,
                                          gjRaw, kvEnd);
          Value one = arith::ConstantIndexOp::create(bb, l, 1);
          li = arith::MinSIOp::create(bb, l, li,
                                      arith::SubIOp::create(bb, l, tq, one));
          lj = arith::MinSIOp::create(bb, l, lj,
                                      arith::SubIOp::create(bb, l, lkvT, one));
        }
        Value gi = arith::AddIOp::create(bb, l, q0, li);
        Value gj =
            kvEnd ? arith::AddIOp::create(bb, l, kv0, lj).getResult() : gjRaw;
        SmallVector<Value> idx = {b0, h0, gi, gj};
        Value lzero = arith::ConstantIndexOp::create(bb, l, 0);
        SmallVector<Value> local = {lzero, lzero, li, lj};
        // Tiles proven full read no boolean mask: its block summary said
        // every element is true.
        ScoreOperands in =
            buildTileScoreOperands(bb, l, op, local, qLen, kvLen,
                                   /*readMask=*/structured || !maskAll);
        // Tiles that span query blocks test each score's key block against
        // its row's list (aligned tiles visit only listed blocks).
        if (op.hasKeyBlockLists() && !sizes.keyBlockAlignedTiles && structured)
          in.blockKeep = buildListedBlockKeep(bb, l, gi, gj);
        // (`structured` false: the tile is proven full, by the mask
        // analysis too when there is a mask_mod region.)
        Value v = buildScore(bb, l, op, args[0], scale, idx, in, structured,
                             /*applyMaskMod=*/structured);
        if (inRange)
          v = arith::SelectOp::create(bb, l, inRange, v, negInf(bb, l));
        return v;
      });
}

ScoreOperands mlir::attn::detail::buildTileScoreOperands(
    OpBuilder &b, Location loc, AttentionOp op, ArrayRef<Value> local,
    Value qLen, Value kvLen, bool readMask) {
  ScoreOperands in;
  in.qLen = qLen;
  in.kvLen = kvLen;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  if (Value m = op.getMask(); m && readMask) {
    auto mT = cast<RankedTensorType>(m.getType());
    unsigned lead = 4 - mT.getRank();
    SmallVector<Value> mi;
    for (unsigned i = 0; i < mT.getRank(); ++i)
      mi.push_back(mT.getDimSize(i) == 1 ? zero : local[lead + i]);
    in.mask = tensor::ExtractOp::create(b, loc, m, mi);
  }
  if (Value qs = op.getQSegmentIds()) {
    in.qSegment =
        tensor::ExtractOp::create(b, loc, qs, ValueRange{zero, local[2]});
    in.kvSegment = tensor::ExtractOp::create(b, loc, op.getKvSegmentIds(),
                                             ValueRange{zero, local[3]});
  }
  return in;
}

/// The output (and log-sum-exp) from the final running state: `acc` has
/// shape [..., Dv], `sum` and `m` the same shape without Dv. out = acc / den
/// (0 where den == 0) converted to the output element type, with den = sum
/// (softmax), sum + 1e-6 * exp(-m) (softpick) or none (sigmoid); lse =
/// max(m) + log(sum).
SmallVector<Value> OnlineTiler::finalize(OpBuilder &nb, Value acc, Value sum,
                                         Value m) {
  // NormalizerAlgebra's row finalisation (the sink is already a key of the
  // state), then O = acc * outScale in the output element type.
  auto accT = cast<RankedTensorType>(acc.getType());
  unsigned r = accT.getRank();
  AffineMap idR = nb.getMultiDimIdentityMap(r);
  AffineMap idRow = nb.getMultiDimIdentityMap(r - 1);
  SmallVector<AffineExpr> rowRes;
  for (unsigned i = 0; i + 1 < r; ++i)
    rowRes.push_back(d(i));
  AffineMap rowOf = map(r, rowRes);
  SmallVector<IterTy> parR(r, IterTy::parallel),
      parRow(r - 1, IterTy::parallel);
  SmallVector<OpFoldResult> rowShape = tensor::getMixedSizes(nb, loc, sum);
  Type oElem = op.getOutputType().getElementType();
  Value rowInit = empty(nb, rowShape, f32);
  auto rows = linalg::GenericOp::create(
      nb, loc, TypeRange{rowInit.getType(), rowInit.getType()},
      ValueRange{m, sum}, ValueRange{rowInit, empty(nb, rowShape, f32)},
      {idRow, idRow, idRow, idRow}, parRow,
      [&](OpBuilder &bb, Location bl, ValueRange a) {
        RowFinalization f =
            buildRowFinalization(bb, bl, norm, a[0], a[1], /*sink=*/Value());
        Value lse = f.lse ? f.lse : a[3];
        linalg::YieldOp::create(bb, bl, ValueRange{f.outScale, lse});
      });
  SmallVector<Value> results;
  results.push_back(generic(
      nb, {acc, rows.getResult(0)},
      empty(nb, tensor::getMixedSizes(nb, loc, acc), oElem), {idR, rowOf, idR},
      parR, [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
        Value o = arith::MulFOp::create(bb, bl, a[0], a[1]);
        if (o.getType() != oElem)
          o = arith::TruncFOp::create(bb, bl, oElem, o);
        return o;
      }));
  if (op.getLse())
    results.push_back(rows.getResult(1));
  return results;
}

/// The running state (m, l, acc) before the first key tile, in the padded
/// row shape `rows`: the op's inits for a partial state (padding rows at
/// the identity), else the identity, with the sink as a first key of logit
/// sink_h and value 0.
SmallVector<Value> OnlineTiler::initialState(OpBuilder &nb, OpFoldResult rows) {
  SmallVector<OpFoldResult> rowShape = {rows};
  Value m0, l0;
  Value sinks = op.getSinks();
  if (norm == Normalizer::softmax && sinks) {
    Value s = castToF32(
        nb, loc, tensor::ExtractOp::create(nb, loc, sinks, ValueRange{zero}));
    m0 = linalg::FillOp::create(nb, loc, ValueRange{s},
                                ValueRange{empty(nb, rowShape, f32)})
             .getResult(0);
    l0 = filled(nb, rowShape, 1.0);
  } else {
    // Softpick's maximum starts at 0 (its state never has a smaller one);
    // sigmoid's stays at its identity 0.
    m0 = filled(nb, rowShape,
                norm == Normalizer::softpick ? 0.0 : getIdentityMax(norm));
    l0 = filled(nb, rowShape, 0.0);
  }
  Value acc0 = filled(nb, {rows, dvStatic}, 0.0);
  if (!op.getPartial())
    return {m0, l0, acc0};
  // Partial: continue from the state in the inits (acc, max, sum) of shape
  // [1, 1, tq(, Dv)], written over the first tq rows.
  auto rowsOf = [&](Value init, Value into, bool withDv) -> Value {
    auto one = nb.getIndexAttr(1), z = nb.getIndexAttr(0);
    SmallVector<OpFoldResult> offs(withDv ? 4 : 3, z), szs = {one, one, tq};
    if (withDv)
      szs.push_back(dvStatic);
    SmallVector<OpFoldResult> strides(offs.size(), one);
    auto initT = cast<RankedTensorType>(init.getType());
    RankedTensorType resT =
        tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
            withDv ? 2 : 1, initT, szs);
    Value part =
        tensor::ExtractSliceOp::create(nb, loc, resT, init, offs, szs, strides);
    SmallVector<OpFoldResult> dOffs(withDv ? 2 : 1, z),
        dSzs = withDv ? SmallVector<OpFoldResult>{tq, dvStatic}
                      : SmallVector<OpFoldResult>{tq};
    return tensor::InsertSliceOp::create(
        nb, loc, part, into, dOffs, dSzs,
        SmallVector<OpFoldResult>(dOffs.size(), one));
  };
  ValueRange inits = op.getDpsInits();
  return {rowsOf(inits[1], m0, false), rowsOf(inits[2], l0, false),
          rowsOf(inits[0], acc0, true)};
}

/// Writes the tile's results ([tq, Dv] and [tq] rows) into the op's inits.
SmallVector<Value> OnlineTiler::insertIntoInits(OpBuilder &nb,
                                                ValueRange tiles) {
  SmallVector<Value> results;
  auto one = nb.getIndexAttr(1), z = nb.getIndexAttr(0);
  for (auto [t, init] : llvm::zip(tiles, op.getDpsInits())) {
    bool withDv = cast<RankedTensorType>(t.getType()).getRank() == 2;
    SmallVector<OpFoldResult> offs(withDv ? 4 : 3, z), szs = {one, one, tq};
    if (withDv)
      szs.push_back(dvStatic);
    results.push_back(tensor::InsertSliceOp::create(
        nb, loc, t, init, offs, szs,
        SmallVector<OpFoldResult>(offs.size(), one)));
  }
  return results;
}

/// Whether the tile takes the static padded layout: static head dims, and a
/// Dv and tile sizes that are multiples of the target's register block
/// (Utils/CPUTarget.h), so -attn-register-block-contractions applies to
/// both contractions.
bool OnlineTiler::usesPaddedTiles() {
  CPUVectorTarget t = getCPUVectorTarget(sizes.vectorBits);
  int64_t cols = t.blockVectors * t.f32Lanes;
  int64_t d = op.getQueryType().getDimSize(3),
          dv = op.getValueType().getDimSize(3);
  return !ShapedType::isDynamic(d) && !ShapedType::isDynamic(dv) &&
         dv % cols == 0 && sizes.qTile % cols == 0 &&
         sizes.kvTile % t.blockRows == 0;
}

/// `t` ([r, c], r <= rows) padded at the end to `rows` rows of ub.poison:
/// values no score may depend on (their keys are masked).
Value OnlineTiler::padRowsWithPoison(OpBuilder &nb, Value t, int64_t rows) {
  auto tT = cast<RankedTensorType>(t.getType());
  auto resT =
      RankedTensorType::get({rows, tT.getDimSize(1)}, tT.getElementType());
  Value r = getValueOrCreateConstantIndexOp(
      nb, loc, tensor::getMixedSize(nb, loc, t, 0));
  OpFoldResult high =
      arith::SubIOp::create(nb, loc, cst(nb, rows), r).getResult();
  Value poison = ub::PoisonOp::create(nb, loc, tT.getElementType());
  return tensor::PadOp::create(
      nb, loc, resT, t,
      ArrayRef<OpFoldResult>{nb.getIndexAttr(0), nb.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{high, nb.getIndexAttr(0)}, poison);
}

/// Fast-math flags of the tile's sums and products, and of its maxima
/// (scores are never NaN: finite or -inf).
static arith::FastMathFlagsAttr sumFlags(MLIRContext *ctx) {
  return arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::reassoc |
                                                arith::FastMathFlags::contract);
}
static arith::FastMathFlagsAttr maxFlags(MLIRContext *ctx) {
  return arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::reassoc |
                                                arith::FastMathFlags::nnan |
                                                arith::FastMathFlags::nsz);
}

TileFrame OnlineTiler::buildTileFrame(OpBuilder &nb) {
  TileFrame f;
  f.tq0 = cst(nb, sizes.qTile);
  f.tk0 = cst(nb, sizes.kvTile);
  auto lengthOf = [&](Value lengths, Value dflt) -> Value {
    if (!lengths)
      return dflt;
    Value e = tensor::ExtractOp::create(nb, loc, lengths, ValueRange{zero});
    return arith::IndexCastOp::create(nb, loc, nb.getIndexType(), e);
  };
  f.qLen = lengthOf(op.getQLengths(), lqP);
  f.kvLen = lengthOf(op.getKvLengths(), lkvP);

  // Aligned rows of the tile: q' = i + (kvLen - qLen).
  Value off = arith::SubIOp::create(nb, loc, f.kvLen, f.qLen);
  f.qLoA = arith::AddIOp::create(nb, loc, q0, off);
  f.qHiA = arith::AddIOp::create(
      nb, loc, arith::AddIOp::create(nb, loc, f.qLoA, tq), cst(nb, -1));

  // Key range: [0, min(Lkv, kvLen)) intersected with every term's interval;
  // rows at or past q_lengths keep nothing, so a tile made only of them is
  // empty.
  Value kvEnd = op.getKvLengths()
                    ? arith::MinSIOp::create(nb, loc, lkvP, f.kvLen).getResult()
                    : lkvP;
  Value anyRow;
  if (op.getQLengths()) {
    anyRow =
        arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, q0, f.qLen);
    f.rowsValid =
        arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::sle,
                              arith::AddIOp::create(nb, loc, q0, tq), f.qLen);
  }
  f.terms = op.getMaskTerms();
  // The mask_mod region's keys come from the mask analysis, for the raw
  // rows [q0, q0 + tq - 1].
  f.maskMod = op.getMaskMod().empty() ? nullptr : &op.getMaskMod();
  f.qHiRaw = arith::AddIOp::create(
      nb, loc, arith::AddIOp::create(nb, loc, q0, tq), cst(nb, -1));
  KeyRange range =
      buildKeyRange(nb, loc, f.terms, f.qLoA, f.qHiA, kvEnd, anyRow,
                    MaskModRows{f.maskMod, q0, f.qHiRaw, b0, h0,
                                /*readTensors=*/true});
  f.kvLo = range.lo;
  f.kvHi = range.hi;
  // A tile of the key axis (a split of a partial state) visits only its own
  // keys [kv0, kv0 + lkvT).
  if (op.getPartial()) {
    f.kvLo = arith::MaxSIOp::create(nb, loc, f.kvLo, kv0);
    f.kvHi = arith::MinSIOp::create(nb, loc, f.kvHi,
                                    arith::AddIOp::create(nb, loc, kv0, lkvT));
  }

  // Key tiles start on multiples of the tile size (from the tile's first
  // key) when the mask summary describes them (the extra keys are masked by
  // the partial-tile path). An empty range stays empty (its bounds may lie
  // past Lkv).
  // Key tiles of a paged op start on multiples of the tile size too, so
  // that none crosses a page (the tile size divides the page size).
  if (maskAny || op.isPaged()) {
    Value kvBase = summary ? summary->kv0 : kv0;
    Value aligned = arith::AddIOp::create(
        nb, loc, kvBase,
        arith::MulIOp::create(
            nb, loc,
            arith::DivUIOp::create(
                nb, loc, arith::SubIOp::create(nb, loc, f.kvLo, kvBase), f.tk0),
            f.tk0));
    Value nonEmpty = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt,
                                           f.kvLo, f.kvHi);
    f.kvHi = arith::SelectOp::create(nb, loc, nonEmpty, f.kvHi, aligned);
    f.kvLo = aligned;
  }

  // Padded tiles (usesPaddedTiles) are static, Tq x Tk, zero-padded along
  // the query rows, with the scores transposed (keys x queries) so that the
  // per-query softmax statistics are vectors along the tile's rows and no
  // key tile is ever transposed: their contractions are the static ones
  // -attn-register-block-contractions turns into register blocks. Other
  // tiles have the dynamic sizes tq x tk of the boundary.
  f.padded = usesPaddedTiles();
  f.rows =
      f.padded ? OpFoldResult(nb.getIndexAttr(sizes.qTile)) : OpFoldResult(tq);
  f.qTile = slice2D(nb, op.getQuery(), zero, zero, zero, tq, dStatic);
  if (f.padded)
    f.qT = buildTransposedQueryTile(nb, f);

  // Boolean mask tensors are summarised per block (maskAll); additive ones
  // always take the partial path. mask_mod regions are classified per tile
  // by the mask analysis. Padded tiles always need the "is this tile
  // full-size" test.
  f.alwaysPartial = (op.getMask() && !maskAll) || op.getQSegmentIds() ||
                    (op.hasKeyBlockLists() && !sizes.keyBlockAlignedTiles);
  f.needsCheck = f.padded || f.alwaysPartial || maskAll || !f.terms.empty() ||
                 op.getQLengths() || op.getKvLengths() || f.maskMod;
  if (op.getQSegmentIds())
    f.qSegRange = segmentRange(nb, op.getQSegmentIds(), zero, tq);
  return f;
}

/// The zero-padded transposed query tile [D, Tq] in Q's element type, built
/// once per query tile: qT[d, i] = q[i, d].
Value OnlineTiler::buildTransposedQueryTile(OpBuilder &nb, const TileFrame &f) {
  Type qElem = op.getQueryType().getElementType();
  SmallVector<OpFoldResult> zero2 = {nb.getIndexAttr(0), nb.getIndexAttr(0)};
  SmallVector<OpFoldResult> one2 = {nb.getIndexAttr(1), nb.getIndexAttr(1)};
  SmallVector<OpFoldResult> qTShape = {dStatic, f.rows};
  Value qT = linalg::FillOp::create(nb, loc,
                                    ValueRange{arith::ConstantOp::create(
                                        nb, loc, nb.getFloatAttr(qElem, 0.0))},
                                    ValueRange{empty(nb, qTShape, qElem)})
                 .getResult(0);
  Value part = tensor::ExtractSliceOp::create(
      nb, loc, qT, zero2, ArrayRef<OpFoldResult>{dStatic, tq}, one2);
  part = generic(
      nb, {f.qTile}, part, {map(2, {d(1), d(0)}), map(2, {d(0), d(1)})},
      {IterTy::parallel, IterTy::parallel},
      [&](OpBuilder &, Location, ValueRange a) -> Value { return a[0]; });
  return tensor::InsertSliceOp::create(
      nb, loc, part, qT, zero2, ArrayRef<OpFoldResult>{dStatic, tq}, one2);
}

/// The key tile at global key `k0` of a loop ending at `kHiEnd`: its real
/// width, its first key in the
/// operands and what the mask analysis and the structured terms know of it.
KeyTile OnlineTiler::classifyKeyTile(OpBuilder &b, Location l,
                                     const TileFrame &f, Value k0,
                                     Value kHiEnd) {
  KeyTile kt;
  kt.k0 = k0;
  kt.tk = arith::MinSIOp::create(b, l, f.tk0,
                                 arith::SubIOp::create(b, l, kHiEnd, k0));
  kt.kl = arith::SubIOp::create(b, l, k0, kv0);
  Value kHi = arith::AddIOp::create(
      b, l, arith::AddIOp::create(b, l, k0, kt.tk), cst(b, -1));
  // The mask analysis of the mask_mod region on this tile: full tiles
  // evaluate no region, tiles that keep nothing are skipped.
  if (f.maskMod)
    kt.cls = classifyMaskMod(b, l, *f.maskMod,
                             {{b0, b0}, {h0, h0}, {q0, f.qHiRaw}, {k0, kHi}},
                             /*readTensors=*/true);
  // Structured terms whose keys are a union of intervals (the rows of a
  // neighbourhood) skip the tiles between the intervals too.
  for (StructuredMaskAttrInterface t : f.terms)
    if (Value may = t.buildTileMayKeep(b, l, f.qLoA, f.qHiA, k0, kHi))
      kt.cls.mayKeep = kt.cls.mayKeep
                           ? arith::AndIOp::create(b, l, kt.cls.mayKeep, may)
                           : may;
  return kt;
}

/// Whether the key tile is proven to keep every score (no mask arithmetic
/// needed): full size for padded tiles, full under every structured term,
/// an all-true mask block, valid rows and a full mask_mod class.
Value OnlineTiler::buildTileIsFull(OpBuilder &lb, Location l,
                                   const TileFrame &f, const KeyTile &kt) {
  if (f.alwaysPartial)
    return arith::ConstantIntOp::create(lb, l, lb.getI1Type(), 0);
  Value kHi = arith::AddIOp::create(
      lb, l, arith::AddIOp::create(lb, l, kt.k0, kt.tk), cst(lb, -1));
  // Padded tiles are unpadded only at full size.
  Value full =
      f.padded
          ? arith::AndIOp::create(
                lb, l,
                arith::CmpIOp::create(lb, l, arith::CmpIPredicate::eq, kt.tk,
                                      f.tk0),
                arith::CmpIOp::create(lb, l, arith::CmpIPredicate::eq, tq,
                                      f.tq0))
                .getResult()
          : arith::ConstantIntOp::create(lb, l, lb.getI1Type(), 1).getResult();
  for (StructuredMaskAttrInterface t : f.terms)
    full = arith::AndIOp::create(
        lb, l, full, t.buildTileIsFull(lb, l, f.qLoA, f.qHiA, kt.k0, kHi));
  if (maskAll)
    full =
        arith::AndIOp::create(lb, l, full, maskBlockFlag(lb, maskAll, kt.k0));
  if (f.rowsValid)
    full = arith::AndIOp::create(lb, l, full, f.rowsValid);
  if (kt.cls.full)
    full = arith::AndIOp::create(lb, l, full, kt.cls.full);
  return full;
}

/// The scores of the key tile `kTile`: dot[i, j] = sum_d q[i, d] * k[j, d]
/// (loops (i, j, d)); on padded tiles transposed, dotT[j, i] from the key
/// tile padded to Tk rows of unspecified values (ub.poison: their scores
/// are masked), loops (j, i, d). Then the score semantics, with the masks
/// only on tiles not proven full.
Value OnlineTiler::buildScoreTile(OpBuilder &lb, Location l, const TileFrame &f,
                                  const KeyTile &kt, Value kTile,
                                  ArrayRef<OpFoldResult> tileShape) {
  auto fm = sumFlags(ctx);
  Value lhs = f.padded ? padRowsWithPoison(lb, kTile, sizes.kvTile) : f.qTile;
  Value rhs = f.padded ? f.qT : kTile;
  AffineMap rhsMap = f.padded ? map(3, {d(2), d(1)}) : map(3, {d(1), d(2)});
  Value dot =
      generic(lb, {lhs, rhs}, filled(lb, tileShape, 0.0),
              {map(3, {d(0), d(2)}), rhsMap, map(3, {d(0), d(1)})},
              {IterTy::parallel, IterTy::parallel, IterTy::reduction},
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                Value p = arith::MulFOp::create(bb, bl, castToF32(bb, bl, a[0]),
                                                castToF32(bb, bl, a[1]), fm);
                return arith::AddFOp::create(bb, bl, a[2], p, fm);
              });
  if (!f.needsCheck)
    return scores(lb, dot, kt.k0, f.qLen, f.kvLen, false, Value(), f.padded);
  auto ifOp = scf::IfOp::create(
      lb, l, buildTileIsFull(lb, l, f, kt),
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(
            tb, tl,
            scores(tb, dot, kt.k0, f.qLen, f.kvLen, false, Value(), f.padded));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(eb, el,
                             scores(eb, dot, kt.k0, f.qLen, f.kvLen, true,
                                    f.padded ? f.kvHi : Value(), f.padded));
      });
  return ifOp.getResult(0);
}

/// The online update of the state `st` = (m, sum, acc) by one key tile:
/// p[i, j] is the weight of key j before the division by the running
/// denominator (NormalizerAlgebra), then acc += p . V.
SmallVector<Value> OnlineTiler::updateState(OpBuilder &lb, Location l,
                                            const TileFrame &f,
                                            const KeyTile &kt, ValueRange st) {
  Value m = st[0], sum = st[1], acc = st[2];
  Value kTile = readKeyRows(lb, l, op.getKey(), kt.kl, kt.tk, dStatic);
  Value vTile = readKeyRows(lb, l, op.getValue(), kt.kl, kt.tk, dvStatic);
  OpFoldResult cols = f.padded ? OpFoldResult(lb.getIndexAttr(sizes.kvTile))
                               : OpFoldResult(kt.tk);
  SmallVector<OpFoldResult> tileShape = {f.rows, cols};
  if (f.padded)
    tileShape = {cols, f.rows};
  SmallVector<OpFoldResult> rowShape = {f.rows};
  Value s = buildScoreTile(lb, l, f, kt, kTile, tileShape);

  AffineMap id1 = lb.getMultiDimIdentityMap(1);
  AffineMap id2 = lb.getMultiDimIdentityMap(2);
  AffineMap row2 = map(2, {d(0)});
  SmallVector<IterTy> par2 = {IterTy::parallel, IterTy::parallel};
  // Score tiles are [rows = queries, cols = keys], or transposed [keys,
  // queries] when padded: `qOf` maps a tile element to its query's
  // statistics and `keyRed` reduces over the key dimension.
  AffineMap qOf = f.padded ? map(2, {d(1)}) : row2;
  SmallVector<IterTy> keyRed =
      f.padded ? SmallVector<IterTy>{IterTy::reduction, IterTy::parallel}
               : SmallVector<IterTy>{IterTy::parallel, IterTy::reduction};
  auto fm = sumFlags(ctx);
  Value p, mNew;
  if (norm == Normalizer::sigmoid) {
    double bias = 0.0;
    if (FloatAttr a = op.getSigmoidBiasAttr())
      bias = a.getValueAsDouble();
    p = generic(lb, {s}, empty(lb, tileShape, f32), {id2, id2}, par2,
                [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                  return buildWeight(bb, bl, norm, a[0], Value(), bias).first;
                });
    mNew = m;
  } else {
    // The tile's row max, then one generic that updates the running max in
    // place and yields alpha = exp(m - m_new), the rescaling of the old
    // state (0 while the row has seen no kept score).
    Value maxInit =
        filled(lb, rowShape, -std::numeric_limits<double>::infinity());
    auto fmMax = maxFlags(ctx);
    Value tileMax =
        generic(lb, {s}, maxInit, {id2, qOf}, keyRed,
                [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                  return arith::MaxNumFOp::create(bb, bl, a[1], a[0], fmMax);
                });
    auto update = linalg::GenericOp::create(
        lb, l, TypeRange{m.getType(), m.getType()}, ValueRange{tileMax},
        ValueRange{m, empty(lb, rowShape, f32)}, {id1, id1, id1},
        {IterTy::parallel}, [&](OpBuilder &bb, Location bl, ValueRange a) {
          Value mOld = a[1];
          Value mN = buildMaxUpdate(bb, bl, norm, mOld, a[0]);
          Value al = buildRescale(bb, bl, mOld, mN);
          linalg::YieldOp::create(bb, bl, ValueRange{mN, al});
        });
    mNew = update.getResult(0);
    Value alpha = update.getResult(1);
    // NormalizerAlgebra's weight and sum term of each score, shifted by the
    // new maximum.
    auto weight = [this](OpBuilder &bb, Location bl, Value x, Value mr,
                         bool absolute) -> Value {
      auto [w, t] = buildWeight(bb, bl, norm, x, buildSafeShift(bb, bl, mr),
                                std::nullopt);
      return absolute ? t : w;
    };
    p = generic(lb, {s, mNew}, empty(lb, tileShape, f32), {id2, qOf, id2}, par2,
                [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                  return weight(bb, bl, a[0], a[1], false);
                });
    Value weights = p;
    if (norm == Normalizer::softpick)
      weights =
          generic(lb, {s, mNew}, empty(lb, tileShape, f32), {id2, qOf, id2},
                  par2, [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                    return weight(bb, bl, a[0], a[1], true);
                  });
    // sum_new = sum * alpha + sum_j weights and acc *= alpha, both in place
    // on the loop-carried tensors so that they bufferize to the same
    // buffers on every iteration.
    sum = generic(lb, {alpha}, sum, {id1, id1}, {IterTy::parallel},
                  [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                    return arith::MulFOp::create(bb, bl, a[1], a[0]);
                  });
    sum = generic(lb, {weights}, sum, {id2, qOf}, keyRed,
                  [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                    return arith::AddFOp::create(bb, bl, a[1], a[0], fm);
                  });
    acc = generic(lb, {alpha}, acc, {row2, id2}, par2,
                  [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                    return arith::MulFOp::create(bb, bl, a[1], a[0]);
                  });
  }
  // acc[i, e] += sum_j p[i, j] * v[j, e]: loops (i, j, e), e innermost; on
  // padded tiles p is transposed and only its first tk (real) keys enter.
  Value pIn = p;
  AffineMap pMap = map(3, {d(0), d(1)});
  if (f.padded) {
    SmallVector<OpFoldResult> z2 = {lb.getIndexAttr(0), lb.getIndexAttr(0)};
    SmallVector<OpFoldResult> o2 = {lb.getIndexAttr(1), lb.getIndexAttr(1)};
    pIn = tensor::ExtractSliceOp::create(
        lb, l, p, z2, ArrayRef<OpFoldResult>{kt.tk, f.rows}, o2);
    pMap = map(3, {d(1), d(0)});
  }
  acc = generic(
      lb, {pIn, vTile}, acc, {pMap, map(3, {d(1), d(2)}), map(3, {d(0), d(2)})},
      {IterTy::parallel, IterTy::reduction, IterTy::parallel},
      [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
        Value prod =
            arith::MulFOp::create(bb, bl, a[0], castToF32(bb, bl, a[1]), fm);
        return arith::AddFOp::create(bb, bl, a[2], prod, fm);
      });
  return {mNew, sum, acc};
}

/// Whether the key tile may keep a score, when that is only known at run
/// time (null otherwise): the mask_mod class and the structured terms'
/// intervals, the document ranges (a key tile whose segment ids lie outside
/// the [min, max] of the query tile's ids keeps no score: exact for any
/// ids, tight for packed sorted documents) and the mask summary.
Value OnlineTiler::buildVisitFlag(OpBuilder &b, Location l, const TileFrame &f,
                                  const KeyTile &kt) {
  Value visit = kt.cls.mayKeep;
  auto conj = [&](Value x) {
    visit = visit ? arith::AndIOp::create(b, l, visit, x).getResult() : x;
  };
  if (f.qSegRange) {
    auto [kMin, kMax] = segmentRange(b, op.getKvSegmentIds(), kt.kl, kt.tk);
    conj(arith::AndIOp::create(
        b, l,
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, kMax,
                              f.qSegRange->first),
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, kMin,
                              f.qSegRange->second)));
  }
  if (maskAny)
    conj(maskBlockFlag(b, maskAny, kt.k0));
  return visit;
}

/// The tile's results from the final state (m, sum, acc): the raw state of
/// a partial tile or the finalised output (and LSE), without padding rows.
SmallVector<Value> OnlineTiler::finishTile(OpBuilder &nb, const TileFrame &f,
                                           ValueRange state) {
  Value m = state[0], sum = state[1], acc = state[2];
  SmallVector<Value> tiles;
  if (op.getPartial())
    tiles.append({acc, m, sum});
  else
    tiles = finalize(nb, acc, sum, m);
  if (!f.padded)
    return tiles;
  // Drop the padding rows: the first tile is [rows, Dv], the others [rows].
  SmallVector<OpFoldResult> zero2 = {nb.getIndexAttr(0), nb.getIndexAttr(0)};
  SmallVector<OpFoldResult> one2 = {nb.getIndexAttr(1), nb.getIndexAttr(1)};
  tiles[0] = tensor::ExtractSliceOp::create(
      nb, loc, tiles[0], zero2, ArrayRef<OpFoldResult>{tq, dvStatic}, one2);
  for (size_t t = 1; t < tiles.size(); ++t)
    tiles[t] = tensor::ExtractSliceOp::create(
        nb, loc, tiles[t], ArrayRef<OpFoldResult>{nb.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{tq}, ArrayRef<OpFoldResult>{one2[0]});
  return tiles;
}

/// One step of the key loop: the key tile at `k0` of a loop ending at
/// `kHiEnd`, skipped at run time when proven empty (a loop of 0 or 1 trips
/// rather than an scf.if, so its results stay equivalent to the
/// loop-carried buffers after bufferization).
SmallVector<Value> OnlineTiler::keyTileStep(OpBuilder &lb, Location l,
                                            const TileFrame &f, Value k0,
                                            Value kHiEnd, ValueRange state) {
  KeyTile kt = classifyKeyTile(lb, l, f, k0, kHiEnd);
  Value visit = buildVisitFlag(lb, l, f, kt);
  if (!visit)
    return updateState(lb, l, f, kt, state);
  Value trips = arith::SelectOp::create(lb, l, visit, cst(lb, 1), cst(lb, 0));
  auto skip = scf::ForOp::create(
      lb, l, cst(lb, 0), trips, cst(lb, 1), state,
      [&](OpBuilder &tb, Location tl, Value, ValueRange inner) {
        scf::YieldOp::create(tb, tl, updateState(tb, tl, f, kt, inner));
      });
  return SmallVector<Value>(skip.getResults());
}

SmallVector<Value> OnlineTiler::buildTile(OpBuilder &nb) {
  TileFrame f = buildTileFrame(nb);
  SmallVector<Value> state0 = initialState(nb, f.rows);
  if (op.hasKeyBlockLists() && sizes.keyBlockAlignedTiles)
    return finishTile(nb, f, buildListedBlockLoop(nb, f, state0));
  auto loop = scf::ForOp::create(
      nb, loc, f.kvLo, f.kvHi, f.tk0, state0,
      [&](OpBuilder &lb, Location l, Value k0, ValueRange state) {
        scf::YieldOp::create(lb, l, keyTileStep(lb, l, f, k0, f.kvHi, state));
      });
  return finishTile(nb, f, loop.getResults());
}

void TilePlace::readTilePlace(OpBuilder &b, Location loc, AttentionOp op) {
  TileCoordinates c = getTileCoordinates(b, loc, op);
  zero = arith::ConstantIndexOp::create(b, loc, 0);
  b0 = c.b0;
  h0 = c.h0;
  q0 = c.q0;
  kv0 = c.kv0;
  lqP = c.qLen;
  lkvP = c.kvLen;
  group = c.group;
}

Value OnlineTiler::readKeyRows(OpBuilder &nb, Location l, Value kv, Value kl,
                               OpFoldResult rows, OpFoldResult cols) {
  // (The decode tile body calls this without reading the tile place.)
  return readKVRows(nb, l, op, kv, kl, rows, cols, /*allHeads=*/false);
}

FailureOr<SmallVector<Value>> OnlineTiler::run() {
  auto dimV = [&](Value t, unsigned i) -> Value {
    return getValueOrCreateConstantIndexOp(b, loc,
                                           tensor::getMixedSize(b, loc, t, i));
  };
  readTilePlace(b, loc, op);
  tq = dimV(op.getQuery(), 2);
  lkvT = getValueOrCreateConstantIndexOp(b, loc, op.getMixedKVLength(b, loc));
  D = dimV(op.getQuery(), 3);
  dStatic = tensor::getMixedSize(b, loc, op.getQuery(), 3);
  dvStatic = tensor::getMixedSize(b, loc, op.getValue(), 3);
  scale = buildScale(b, loc, op, D);
  if (summary) {
    maskAny = summary->any;
    maskAll = summary->all;
  } else if (op.getMask()) {
    summarizeMask(b);
  }
  SmallVector<Value> tiles = buildTile(b);
  SmallVector<Value> results = insertIntoInits(b, tiles);
  for (auto [r, t] : llvm::zip(results, op->getResultTypes()))
    if (r.getType() != t)
      r = tensor::CastOp::create(b, loc, t, r);
  return results;
}
