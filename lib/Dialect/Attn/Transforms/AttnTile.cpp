//===- AttnTile.cpp - online-softmax tiling with tile skipping --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Tiles attn.attention with the upstream TilingInterface driver and lowers
// each tile to the FlashAttention-2 recurrence:
//
//   scf.forall (b, h, q0) = (0, 0, 0) to (B, Hq, Lq) step (1, 1, Tq) {
//     tile = attn.attention on the slices, offsets(b, h, q0, 0)
//   }                                         (scf::tileUsingSCF)
//
// and each tile becomes
//
//     [kvLo, kvHi) = key range kept by the masks and lengths (KeyRange.h)
//     m, l, acc = init (the identity, the sink, or a partial state's inits)
//     scf.for k0 = kvLo to kvHi step Tk {
//       (skipped at run time when the document ranges are disjoint or the
//        mask summary says the block keeps nothing)
//       S = Q_tile . K_tile^T               (f32; transposed, K . Q_tile^T,
//                                            in the micro-kernel path)
//       S = score(S) without / with masks   (scf.if on "tile is full")
//       m, l, acc = online update(S, V_tile)
//     }
//     O_tile = acc / l    (or the raw state of a partial tile)
//
// Split-KV tiles the key axis as a partial reduction first (an scf.forall
// over splits, merged by attn.merge_states). The tile body reads its
// operands with local indices and gives masks and regions global ones, so
// tiles from any upstream tiling lower the same way. The key range and the
// fullness test come from StructuredMaskAttrInterface, so they are
// symbolic in the sequence lengths. f32 tiles that meet useMicroKernels()
// are static, zero-padded and use the register-blocked AVX-512 kernels of
// OnlineTilerMicroKernels.cpp; all others use dynamically shaped linalg
// tiles.
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/KeyRange.h"
#include "attn/Dialect/Attn/Utils/MaskAnalysis.h"
#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

#include <limits>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNTILEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

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
        Value gj = kvEnd ? arith::AddIOp::create(bb, l, kv0, lj).getResult()
                         : gjRaw;
        SmallVector<Value> idx = {b0, h0, gi, gj};
        Value lzero = arith::ConstantIndexOp::create(bb, l, 0);
        SmallVector<Value> local = {lzero, lzero, li, lj};
        ScoreOperands in;
        in.qLen = qLen;
        in.kvLen = kvLen;
        // Tiles proven full read no boolean mask: its block summary said
        // every element is true.
        Value m = op.getMask();
        if (m && (structured || !maskAll)) {
          auto mT = cast<RankedTensorType>(m.getType());
          unsigned lead = 4 - mT.getRank();
          SmallVector<Value> mi;
          for (unsigned i = 0; i < mT.getRank(); ++i)
            mi.push_back(mT.getDimSize(i) == 1 ? lzero : local[lead + i]);
          in.mask = tensor::ExtractOp::create(bb, l, m, mi);
        }
        if (Value qs = op.getQSegmentIds()) {
          in.qSegment =
              tensor::ExtractOp::create(bb, l, qs, ValueRange{lzero, li});
          in.kvSegment = tensor::ExtractOp::create(bb, l, op.getKvSegmentIds(),
                                                   ValueRange{lzero, lj});
        }
        // (`structured` false: the tile is proven full, by the mask
        // analysis too when there is a mask_mod region.)
        Value v = buildScore(bb, l, op, args[0], scale, idx, in, structured,
                             /*applyMaskMod=*/structured);
        if (inRange)
          v = arith::SelectOp::create(bb, l, inRange, v, negInf(bb, l));
        return v;
      });
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
  SmallVector<IterTy> parR(r, IterTy::parallel), parRow(r - 1,
                                                        IterTy::parallel);
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
      empty(nb, tensor::getMixedSizes(nb, loc, acc), oElem),
      {idR, rowOf, idR}, parR,
      [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
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
SmallVector<Value> OnlineTiler::initialState(OpBuilder &nb,
                                             OpFoldResult rows) {
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
    Value part = tensor::ExtractSliceOp::create(nb, loc, resT, init, offs, szs,
                                                strides);
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

SmallVector<Value> OnlineTiler::buildTile(OpBuilder &nb) {
  Value tq0 = cst(nb, sizes.qTile), tk0 = cst(nb, sizes.kvTile);
  auto lengthOf = [&](Value lengths, Value dflt) -> Value {
    if (!lengths)
      return dflt;
    Value e = tensor::ExtractOp::create(nb, loc, lengths, ValueRange{zero});
    return arith::IndexCastOp::create(nb, loc, nb.getIndexType(), e);
  };
  Value qLen = lengthOf(op.getQLengths(), lqP);
  Value kvLen = lengthOf(op.getKvLengths(), lkvP);

  // Aligned rows of the tile: q' = i + (kvLen - qLen).
  Value off = arith::SubIOp::create(nb, loc, kvLen, qLen);
  Value qLoA = arith::AddIOp::create(nb, loc, q0, off);
  Value qHiA = arith::AddIOp::create(
      nb, loc, arith::AddIOp::create(nb, loc, qLoA, tq), cst(nb, -1));

  // Key range: [0, min(Lkv, kvLen)) intersected with every term's interval;
  // rows at or past q_lengths keep nothing, so a tile made only of them is
  // empty.
  Value kvEnd = op.getKvLengths()
                    ? arith::MinSIOp::create(nb, loc, lkvP, kvLen).getResult()
                    : lkvP;
  Value anyRow, rowsValid;
  if (op.getQLengths()) {
    anyRow =
        arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, q0, qLen);
    rowsValid = arith::CmpIOp::create(
        nb, loc, arith::CmpIPredicate::sle,
        arith::AddIOp::create(nb, loc, q0, tq), qLen);
  }
  SmallVector<StructuredMaskAttrInterface> terms = op.getMaskTerms();
  // The mask_mod region's keys come from the mask analysis, for the raw
  // rows [q0, q0 + tq - 1].
  Region *maskMod = op.getMaskMod().empty() ? nullptr : &op.getMaskMod();
  Value qHiRaw =
      arith::AddIOp::create(nb, loc, arith::AddIOp::create(nb, loc, q0, tq),
                            cst(nb, -1));
  KeyRange range = buildKeyRange(nb, loc, terms, qLoA, qHiA, kvEnd, anyRow,
                                 MaskModRows{maskMod, q0, qHiRaw, b0, h0,
                                             /*readTensors=*/true});
  Value kvLo = range.lo, kvHi = range.hi;
  // A tile of the key axis (a split of a partial state) visits only its own
  // keys [kv0, kv0 + lkvT).
  if (op.getPartial()) {
    kvLo = arith::MaxSIOp::create(nb, loc, kvLo, kv0);
    kvHi = arith::MinSIOp::create(nb, loc, kvHi,
                                  arith::AddIOp::create(nb, loc, kv0, lkvT));
  }

  // Key tiles start on multiples of the tile size (from the tile's first
  // key) when the mask summary describes them (the extra keys are masked by
  // the partial-tile path). An empty range stays empty (its bounds may lie
  // past Lkv).
  if (maskAny) {
    Value kvBase = summary ? summary->kv0 : kv0;
    Value aligned = arith::AddIOp::create(
        nb, loc, kvBase,
        arith::MulIOp::create(
            nb, loc,
            arith::DivUIOp::create(
                nb, loc, arith::SubIOp::create(nb, loc, kvLo, kvBase), tk0),
            tk0));
    Value nonEmpty =
        arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, kvLo, kvHi);
    kvHi = arith::SelectOp::create(nb, loc, nonEmpty, kvHi, aligned);
    kvLo = aligned;
  }

  // Micro-kernel tiles are static and zero-padded to Tq x Tk; otherwise the
  // tiles have the dynamic sizes tq x tk of the boundary.
  bool micro = useMicroKernels();
  bool bf16Dot = useBF16Dot();
  OpFoldResult rows = micro ? OpFoldResult(nb.getIndexAttr(sizes.qTile))
                            : OpFoldResult(tq);
  SmallVector<OpFoldResult> rowShape = {rows};
  SmallVector<Value> state0 = initialState(nb, rows);
  Value m0 = state0[0], l0 = state0[1], acc0 = state0[2];
  Value qTile = slice2D(nb, op.getQuery(), zero, zero, zero, tq, dStatic);
  Value qT;
  if (bf16Dot) {
    // The query tile as bf16 pairs along D, zero-padded: [D/2, Tq, 2] with
    // element (p, i, j) = q[i, 2p + j], collapsed to [D/2, 2 * Tq] so that
    // one vector<32xbf16> read holds the pairs of 16 queries.
    Type bf16 = nb.getBF16Type();
    int64_t halfD = op.getQueryType().getDimSize(3) / 2;
    OpFoldResult halfDOfr = nb.getIndexAttr(halfD), two = nb.getIndexAttr(2);
    SmallVector<OpFoldResult> zero3(3, nb.getIndexAttr(0));
    SmallVector<OpFoldResult> one3(3, nb.getIndexAttr(1));
    Value zero = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(bf16, 0.0));
    Value padded = linalg::FillOp::create(
                       nb, loc, ValueRange{zero},
                       ValueRange{empty(nb, {halfDOfr, rows, two}, bf16)})
                       .getResult(0);
    SmallVector<OpFoldResult> partShape = {halfDOfr, tq, two};
    Value part =
        tensor::ExtractSliceOp::create(nb, loc, padded, zero3, partShape, one3);
    part = generic(
        nb, {qTile}, part,
        {map(3, {d(1), d(0) * 2 + d(2)}), map(3, {d(0), d(1), d(2)})},
        {IterTy::parallel, IterTy::parallel, IterTy::parallel},
        [&](OpBuilder &, Location, ValueRange a) -> Value { return a[0]; });
    padded = tensor::InsertSliceOp::create(nb, loc, part, padded, zero3,
                                           partShape, one3);
    qT = tensor::CollapseShapeOp::create(
        nb, loc, padded, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  } else if (micro) {
    // Zero-padded transposed query tile [D, Tq], built once per query tile:
    // the micro-kernel computes the scores transposed (keys x queries) so
    // that the per-query softmax statistics are vectors along the tile's
    // rows and no key tile is ever transposed.
    SmallVector<OpFoldResult> zero2 = {nb.getIndexAttr(0), nb.getIndexAttr(0)};
    SmallVector<OpFoldResult> one2 = {nb.getIndexAttr(1), nb.getIndexAttr(1)};
    qT = filled(nb, {dStatic, rows}, 0.0);
    Value part = tensor::ExtractSliceOp::create(
        nb, loc, qT, zero2, ArrayRef<OpFoldResult>{dStatic, tq}, one2);
    // qT[d, i] = f32(q[i, d]).
    part = generic(nb, {qTile}, part, {map(2, {d(1), d(0)}), map(2, {d(0), d(1)})},
                   {IterTy::parallel, IterTy::parallel},
                   [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                     return castToF32(bb, bl, a[0]);
                   });
    qT = tensor::InsertSliceOp::create(nb, loc, part, qT, zero2,
                                       ArrayRef<OpFoldResult>{dStatic, tq},
                                       one2);
  }

  // Boolean mask tensors are summarised per block (maskAll); additive ones
  // always take the partial path. mask_mod regions are classified per tile
  // by the mask analysis.
  bool alwaysPartial = (op.getMask() && !maskAll) || op.getQSegmentIds();
  // Padded micro-kernel tiles always need the "is this tile full-size" test.
  bool needsCheck = micro || alwaysPartial || maskAll || !terms.empty() ||
                    op.getQLengths() || op.getKvLengths() || maskMod;

  AffineMap id1 = nb.getMultiDimIdentityMap(1);
  AffineMap id2 = nb.getMultiDimIdentityMap(2);
  AffineMap row2 = map(2, {d(0)});
  SmallVector<IterTy> par2 = {IterTy::parallel, IterTy::parallel};
  // Score tiles are [rows = queries, cols = keys], or transposed [keys,
  // queries] with the micro-kernels: `qOf` maps a tile element to its
  // query's statistics and `keyRed` reduces over the key dimension.
  AffineMap qOf = micro ? map(2, {d(1)}) : row2;
  SmallVector<IterTy> keyRed =
      micro ? SmallVector<IterTy>{IterTy::reduction, IterTy::parallel}
            : SmallVector<IterTy>{IterTy::parallel, IterTy::reduction};
  auto fm = arith::FastMathFlagsAttr::get(
      ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  auto fmMax = arith::FastMathFlagsAttr::get(
      ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::nnan |
               arith::FastMathFlags::nsz);

  std::optional<std::pair<Value, Value>> qSegRange;
  if (op.getQSegmentIds())
    qSegRange = segmentRange(nb, op.getQSegmentIds(), zero, tq);
  auto loop = scf::ForOp::create(
      nb, loc, kvLo, kvHi, tk0, ValueRange{m0, l0, acc0},
      [&](OpBuilder &lb0, Location l, Value k0, ValueRange state) {
        Value tk = arith::MinSIOp::create(
            lb0, l, tk0, arith::SubIOp::create(lb0, l, kvHi, k0));
        // The tile's first key in the op's key operands.
        Value kl = arith::SubIOp::create(lb0, l, k0, kv0);
        // The mask analysis of the mask_mod region on this tile: full
        // tiles evaluate no region, tiles that keep nothing are skipped.
        MaskTileClass modClass;
        if (maskMod) {
          Value kHiTile = arith::AddIOp::create(
              lb0, l, arith::AddIOp::create(lb0, l, k0, tk), cst(lb0, -1));
          modClass = classifyMaskMod(
              lb0, l, *maskMod,
              {{b0, b0}, {h0, h0}, {q0, qHiRaw}, {k0, kHiTile}},
              /*readTensors=*/true);
        }
        // Structured terms whose keys are a union of intervals (the rows of
        // a neighbourhood) skip the tiles between the intervals too.
        for (StructuredMaskAttrInterface t : terms) {
          Value kHiTile = arith::AddIOp::create(
              lb0, l, arith::AddIOp::create(lb0, l, k0, tk), cst(lb0, -1));
          if (Value may = t.buildTileMayKeep(lb0, l, qLoA, qHiA, k0, kHiTile))
            modClass.mayKeep =
                modClass.mayKeep
                    ? arith::AndIOp::create(lb0, l, modClass.mayKeep, may)
                    : may;
        }
        // The online update of one key tile.
        auto body = [&](OpBuilder &lb, ValueRange st) -> SmallVector<Value> {
        Value m = st[0], sum = st[1], acc = st[2];
        Value kTile = slice2D(lb, op.getKey(), zero, zero, kl, tk, dStatic);
        Value vTile = slice2D(lb, op.getValue(), zero, zero, kl, tk, dvStatic);

        OpFoldResult cols = micro
                                ? OpFoldResult(lb.getIndexAttr(sizes.kvTile))
                                : OpFoldResult(tk);
        SmallVector<OpFoldResult> tileShape = {rows, cols};
        if (micro)
          tileShape = {cols, rows};
        // Padded micro-kernel tiles are unpadded only at full size.
        Value fullSize;
        if (micro)
          fullSize = arith::AndIOp::create(
              lb, l,
              arith::CmpIOp::create(lb, l, arith::CmpIPredicate::eq, tk, tk0),
              arith::CmpIOp::create(lb, l, arith::CmpIPredicate::eq, tq, tq0));

        // dot[i, j] = sum_d q[i, d] * k[j, d] (transposed with the
        // micro-kernel).
        Value dot;
        if (micro) {
          dot =
              bf16Dot
                  ? microDotTBF16(lb, kTile, qT, tk, empty(lb, tileShape, f32))
                  : microDotT(lb, kTile, qT, tk, empty(lb, tileShape, f32));
        } else {
          // Loops (i, j, d).
          dot = generic(
              lb, {qTile, kTile}, filled(lb, tileShape, 0.0),
              {map(3, {d(0), d(2)}), map(3, {d(1), d(2)}),
               map(3, {d(0), d(1)})},
              {IterTy::parallel, IterTy::parallel, IterTy::reduction},
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                Value p = arith::MulFOp::create(
                    bb, bl, castToF32(bb, bl, a[0]), castToF32(bb, bl, a[1]),
                    fm);
                return arith::AddFOp::create(bb, bl, a[2], p, fm);
              });
        }

        // Scores: the masks only on tiles not proven full.
        Value s;
        if (!needsCheck) {
          s = scores(lb, dot, k0, qLen, kvLen, false, Value(),
                     micro);
        } else {
          Value full;
          if (alwaysPartial) {
            full = arith::ConstantIntOp::create(lb, l, lb.getI1Type(), 0);
          } else {
            Value kHi = arith::AddIOp::create(
                lb, l, arith::AddIOp::create(lb, l, k0, tk), cst(lb, -1));
            full = micro ? fullSize
                         : arith::ConstantIntOp::create(lb, l, lb.getI1Type(),
                                                        1);
            for (StructuredMaskAttrInterface t : terms)
              full = arith::AndIOp::create(
                  lb, l, full,
                  t.buildTileIsFull(lb, l, qLoA, qHiA, k0, kHi));
            if (maskAll)
              full = arith::AndIOp::create(
                  lb, l, full,
                  maskBlockFlag(lb, maskAll, k0));
            if (rowsValid)
              full = arith::AndIOp::create(lb, l, full, rowsValid);
            if (modClass.full)
              full = arith::AndIOp::create(lb, l, full, modClass.full);
          }
          auto ifOp = scf::IfOp::create(
              lb, l, full,
              [&](OpBuilder &tb, Location tl) {
                scf::YieldOp::create(
                    tb, tl,
                    scores(tb, dot, k0, qLen, kvLen, false,
                           Value(), micro));
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(
                    eb, el,
                    scores(eb, dot, k0, qLen, kvLen, true,
                           micro ? kvHi : Value(), micro));
              });
          s = ifOp.getResult(0);
        }

        // Online update. p[i, j] is the weight of key j before the division
        // by the running denominator.
        Value p, alpha, mNew;
        if (norm == Normalizer::sigmoid) {
          double bias = 0.0;
          if (FloatAttr a = op.getSigmoidBiasAttr())
            bias = a.getValueAsDouble();
          p = generic(lb, {s}, empty(lb, tileShape, f32), {id2, id2}, par2,
                      [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                        return buildWeight(bb, bl, norm, a[0], Value(), bias)
                            .first;
                      });
          mNew = m;
        } else {
          // The tile's row max, then one generic that updates the running
          // max in place and yields alpha = exp(m - m_new), the rescaling of
          // the old state (0 while the row has seen no kept score).
          Value maxInit =
              filled(lb, rowShape, -std::numeric_limits<double>::infinity());
          Value tileMax = generic(
              lb, {s}, maxInit, {id2, qOf}, keyRed,
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                // Scores are never NaN (finite or -inf).
                return arith::MaxNumFOp::create(bb, bl, a[1], a[0], fmMax);
              });
          auto update = linalg::GenericOp::create(
              lb, l, TypeRange{m.getType(), m.getType()}, ValueRange{tileMax},
              ValueRange{m, empty(lb, rowShape, f32)}, {id1, id1, id1},
              {IterTy::parallel},
              [&](OpBuilder &bb, Location bl, ValueRange a) {
                // NormalizerAlgebra: the new maximum and the rescale of the
                // old state (0 while the row has seen no kept score).
                Value mOld = a[1];
                Value mN = buildMaxUpdate(bb, bl, norm, mOld, a[0]);
                Value al = buildRescale(bb, bl, mOld, mN);
                linalg::YieldOp::create(bb, bl, ValueRange{mN, al});
              });
          mNew = update.getResult(0);
          alpha = update.getResult(1);
          bool softpick = norm == Normalizer::softpick;
          // NormalizerAlgebra's weight and sum term of each score, shifted
          // by the new maximum.
          auto weight = [this](OpBuilder &bb, Location bl, Value x, Value mr,
                               bool absolute) -> Value {
            auto [w, t] = buildWeight(bb, bl, norm, x,
                                      buildSafeShift(bb, bl, mr), std::nullopt);
            return absolute ? t : w;
          };
          p = generic(lb, {s, mNew}, empty(lb, tileShape, f32),
                      {id2, qOf, id2}, par2,
                      [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                        return weight(bb, bl, a[0], a[1], false);
                      });
          Value weights = p;
          if (softpick)
            weights = generic(
                lb, {s, mNew}, empty(lb, tileShape, f32), {id2, qOf, id2},
                par2, [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                  return weight(bb, bl, a[0], a[1], true);
                });
          // sum_new = sum * alpha + sum_j weights and acc *= alpha, both in
          // place on the loop-carried tensors so that they bufferize to the
          // same buffers on every iteration.
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
        // acc[i, e] += sum_j p[i, j] * v[j, e].
        if (micro) {
          acc = microPV(lb, p, vTile, acc, tk);
        } else {
          // Loops (i, j, e), e innermost.
          acc = generic(
              lb, {p, vTile}, acc,
              {map(3, {d(0), d(1)}), map(3, {d(1), d(2)}),
               map(3, {d(0), d(2)})},
              {IterTy::parallel, IterTy::reduction, IterTy::parallel},
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                Value prod = arith::MulFOp::create(
                    bb, bl, a[0], castToF32(bb, bl, a[1]), fm);
                return arith::AddFOp::create(bb, bl, a[2], prod, fm);
              });
        }
        return {mNew, sum, acc};
        };
        if (!qSegRange && !maskAny && !modClass.mayKeep) {
          scf::YieldOp::create(lb0, l, body(lb0, state));
          return;
        }
        // Tiles proven empty at run time are skipped.
        Value visit = modClass.mayKeep;
        if (qSegRange) {
          // Document masks: a key tile whose segment ids lie outside the
          // [min, max] of the query tile's ids keeps no score (exact for any
          // ids, tight for packed sorted documents).
          auto [kMin, kMax] =
              segmentRange(lb0, op.getKvSegmentIds(), kl, tk);
          Value overlap = arith::AndIOp::create(
              lb0, l,
              arith::CmpIOp::create(lb0, l, arith::CmpIPredicate::sge, kMax,
                                    qSegRange->first),
              arith::CmpIOp::create(lb0, l, arith::CmpIPredicate::sle, kMin,
                                    qSegRange->second));
          visit = visit ? arith::AndIOp::create(lb0, l, visit, overlap)
                              .getResult()
                        : overlap;
        }
        if (maskAny) {
          // Mask tensors: blocks whose summary keeps nothing.
          Value any = maskBlockFlag(lb0, maskAny, k0);
          visit = visit ? arith::AndIOp::create(lb0, l, visit, any).getResult()
                        : any;
        }
        // A loop of 0 or 1 trips rather than an scf.if: its results stay
        // equivalent to the loop-carried buffers after bufferization.
        Value trips = arith::SelectOp::create(lb0, l, visit, cst(lb0, 1),
                                              cst(lb0, 0));
        auto skip = scf::ForOp::create(
            lb0, l, cst(lb0, 0), trips, cst(lb0, 1), state,
            [&](OpBuilder &tb, Location tl, Value, ValueRange inner) {
              scf::YieldOp::create(tb, tl, body(tb, inner));
            });
        scf::YieldOp::create(lb0, l, skip.getResults());
      });
  Value m = loop.getResult(0), sum = loop.getResult(1),
        acc = loop.getResult(2);

  SmallVector<Value> tiles;
  if (op.getPartial()) {
    // A partial state: hand back the raw state (acc, max, sum).
    tiles.append({acc, m, sum});
  } else {
    SmallVector<Value> fin = finalize(nb, acc, sum, m);
    tiles.append(fin.begin(), fin.end());
  }
  if (micro) {
    // Drop the padding rows: the first tile is [rows, Dv], the others
    // [rows].
    SmallVector<OpFoldResult> zero = {nb.getIndexAttr(0), nb.getIndexAttr(0)};
    SmallVector<OpFoldResult> one = {nb.getIndexAttr(1), nb.getIndexAttr(1)};
    tiles[0] = tensor::ExtractSliceOp::create(
        nb, loc, tiles[0], zero, ArrayRef<OpFoldResult>{tq, dvStatic}, one);
    for (size_t t = 1; t < tiles.size(); ++t)
      tiles[t] = tensor::ExtractSliceOp::create(
          nb, loc, tiles[t], ArrayRef<OpFoldResult>{nb.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{tq}, ArrayRef<OpFoldResult>{one[0]});
  }
  return tiles;
}

FailureOr<SmallVector<Value>> OnlineTiler::run() {
  auto dimV = [&](Value t, unsigned i) -> Value {
    return getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, t, i));
  };
  TileCoordinates c = getTileCoordinates(b, loc, op);
  zero = cst(b, 0);
  b0 = c.b0;
  h0 = c.h0;
  q0 = c.q0;
  kv0 = c.kv0;
  lqP = c.qLen;
  lkvP = c.kvLen;
  tq = dimV(op.getQuery(), 2);
  lkvT = dimV(op.getKey(), 2);
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

/// The tile sizes of `op` with every 0 resolved from its shape (see
/// AttentionTileSizes); `group` is the head tile of the decode path (0 when
/// the op does not take it), whose tiles hold all Lq rows.
static AttentionTileSizes resolveTileSizes(AttentionOp op,
                                           AttentionTileSizes sizes,
                                           int64_t group) {
  auto qT = op.getQueryType();
  int64_t lq = qT.getDimSize(2), lkv = op.getKeyType().getDimSize(2);
  if (group > 0) {
    sizes.qTile = lq;
  } else if (sizes.qTile == 0) {
    sizes.qTile = 128;
    if (!ShapedType::isDynamic(lq) && lq < 128)
      sizes.qTile = std::max<int64_t>(32, llvm::alignTo(lq, 32));
  }
  if (sizes.kvTile == 0)
    sizes.kvTile = 64;
  // Split-KV (decode): the static number of (batch, head tile, query tile)
  // items and the thread count decide (chooseKVSplits). Partial states and
  // tiles are already someone's split.
  if (sizes.kvSplits == 0) {
    sizes.kvSplits = 1;
    if (qT.hasStaticShape() && !op.getPartial() && !op.hasTileCoordinates() &&
        sizes.qTile > 0) {
      int64_t heads = group > 0 ? qT.getDimSize(1) / group : qT.getDimSize(1);
      int64_t items =
          qT.getDimSize(0) * heads * llvm::divideCeil(lq, sizes.qTile);
      sizes.kvSplits =
          chooseKVSplits(items, lkv, sizes.kvTile, sizes.numThreads);
    }
  }
  return sizes;
}

/// Lowers every attention tile in `loop` to the FlashAttention-2 recurrence
/// over its key tiles.
static LogicalResult lowerTilesIn(RewriterBase &rewriter, Operation *loop,
                                  const AttentionTileSizes &sizes,
                                  const MaskSummary *summary, bool decode) {
  SmallVector<AttentionOp> tiles;
  loop->walk([&](AttentionOp t) { tiles.push_back(t); });
  OpBuilder::InsertionGuard guard(rewriter);
  for (AttentionOp tile : tiles) {
    rewriter.setInsertionPoint(tile);
    FailureOr<SmallVector<Value>> body =
        decode ? lowerDecodeTile(rewriter, tile, sizes)
               : OnlineTiler(tile, rewriter, sizes, summary).run();
    if (failed(body))
      return failure();
    rewriter.replaceOp(tile, *body);
  }
  return success();
}

/// Normalises `loop` (zero-based, unit steps), the form of the loops of
/// upstream tile_using_forall, so a transform script reproduces the tiling.
/// Loops with dynamic bounds stay as they are: MLIR 22's normalizeForallOp
/// builds an ill-typed arith.ceildivsi for them.
static FailureOr<scf::ForallOp> normalizeStaticForall(RewriterBase &rewriter,
                                                      scf::ForallOp loop) {
  auto allConstant = [](ArrayRef<OpFoldResult> ofrs) {
    return llvm::all_of(ofrs, [](OpFoldResult o) {
      return getConstantIntValue(o).has_value();
    });
  };
  if (!allConstant(loop.getMixedLowerBound()) ||
      !allConstant(loop.getMixedUpperBound()) ||
      !allConstant(loop.getMixedStep()))
    return loop;
  return mlir::normalizeForallOp(rewriter, loop);
}

/// Fuses elementwise producers and consumers into `loop` (when `fuse`) while
/// it still holds attention tiles; returns the loop (consumer fusion
/// replaces it) and updates `replacements`, the loop's first results.
static FailureOr<scf::ForallOp>
fuseIntoTiledLoop(RewriterBase &rewriter, scf::ForallOp loop, bool fuse,
                  SmallVectorImpl<Value> &replacements) {
  if (!fuse)
    return loop;
  FailureOr<scf::ForallOp> fused =
      fuseElementwiseIntoAttentionLoop(rewriter, loop);
  if (failed(fused))
    return failure();
  for (auto [i, r] : llvm::enumerate(replacements))
    r = fused->getResult(i);
  return fused;
}

/// Tiles `op` over (batch, head tile, query tile) with the upstream
/// TilingInterface driver -- an scf.forall (`threads`) or scf.for loops --
/// fuses elementwise producers and consumers into the forall (`fuse`) and
/// lowers each tile to the FlashAttention-2 recurrence over its key tiles.
/// The head tile is 1, or a whole GQA group of `group` heads for the decode
/// tile body (lowerDecodeTile). Returns the values that replaced `op`.
static FailureOr<SmallVector<Value>>
tileAndLowerQueryTiles(RewriterBase &rewriter, AttentionOp op,
                       const AttentionTileSizes &sizes, bool threads,
                       bool fuse, const MaskSummary *summary, int64_t group) {
  OpBuilder::InsertionGuard guard(rewriter);
  bool decode = group > 0;
  SmallVector<OpFoldResult> tileSizes = {
      rewriter.getIndexAttr(1), rewriter.getIndexAttr(decode ? group : 1),
      rewriter.getIndexAttr(sizes.qTile), rewriter.getIndexAttr(0)};
  scf::SCFTilingOptions options;
  options.setLoopType(threads ? scf::SCFTilingOptions::LoopType::ForallOp
                              : scf::SCFTilingOptions::LoopType::ForOp);
  options.setTileSizes(tileSizes);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitOpError("could not be tiled over (batch, head, query tile)");
  SmallVector<Value> replacements = tiled->replacements;
  rewriter.replaceOp(op, replacements);
  if (tiled->loops.empty()) {
    // One tile covers the op: no loop.
    for (Operation *t : tiled->tiledOps)
      if (failed(lowerTilesIn(rewriter, t, sizes, summary, decode)))
        return failure();
    return replacements;
  }
  Operation *outer = tiled->loops.front();
  if (threads) {
    FailureOr<scf::ForallOp> normal =
        normalizeStaticForall(rewriter, cast<scf::ForallOp>(outer));
    if (failed(normal))
      return failure();
    FailureOr<scf::ForallOp> loop =
        fuseIntoTiledLoop(rewriter, *normal, fuse, replacements);
    if (failed(loop))
      return failure();
    outer = *loop;
    outer->setAttr(kTiledAttentionAttrName, rewriter.getUnitAttr());
  }
  if (failed(lowerTilesIn(rewriter, outer, sizes, summary, decode)))
    return failure();
  return replacements;
}

FailureOr<SmallVector<Value>>
mlir::attn::tileAttentionOnline(RewriterBase &rewriter, AttentionOp op,
                                const AttentionTileSizes &requested,
                                bool fuseElementwise) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  // Statically zero-sized dims (an empty output, or no Q.K^T reduction at
  // Dqk = 0): the reference decomposition is their lowering here (it
  // returns the destinations for empty outputs; tiles would slice zero-sized
  // dims out of bounds).
  auto hasZeroDim = [](Type t) {
    auto tt = dyn_cast<RankedTensorType>(t);
    return tt && llvm::is_contained(tt.getShape(), 0);
  };
  if (llvm::any_of(op->getOperandTypes(), hasZeroDim) ||
      llvm::any_of(op->getResultTypes(), hasZeroDim)) {
    FailureOr<SmallVector<Value>> repl = op.decomposeOperation(rewriter);
    if (failed(repl))
      return failure();
    rewriter.replaceOp(op, *repl);
    return repl;
  }
  // Decode shapes (decodeGroupSize) take tiles of one whole GQA group.
  int64_t group = 0;
  if (requested.decode)
    group = decodeGroupSize(op).value_or(0);
  AttentionTileSizes sizes = resolveTileSizes(op, requested, group);
  if (sizes.qTile < 1 || sizes.kvTile < 1 || sizes.kvSplits < 1)
    return op.emitOpError("expects positive tile sizes, got q-tile = ")
           << sizes.qTile << ", kv-tile = " << sizes.kvTile
           << ", kv-splits = " << sizes.kvSplits;

  // The mask tensor's block summary, once, ahead of the loops.
  std::optional<MaskSummary> summary;
  if (op.getMask() && group == 0) {
    OnlineTiler whole(op, rewriter, sizes);
    whole.summarizeMask(rewriter);
    TileCoordinates c = getTileCoordinates(rewriter, op.getLoc(), op);
    summary = MaskSummary{whole.maskAny, whole.maskAll, c.b0, c.h0, c.q0,
                          c.kv0};
  }
  const MaskSummary *summaryPtr = summary ? &*summary : nullptr;

  // Split-KV: upstream partial-reduction tiling of the key axis into an
  // scf.forall over splits of whole key tiles, whose partial states
  // mergeReductions combines with attn.merge_states; each split's partial
  // op is then tiled over (batch, head, query tile) by scf.for loops (one
  // level of threads). Otherwise an scf.forall over (batch, head, query
  // tile).
  if (sizes.kvSplits > 1) {
    int64_t lkv = op.getKeyType().getDimSize(2);
    int64_t chunk = llvm::alignTo(llvm::divideCeil(lkv, sizes.kvSplits),
                                  sizes.kvTile);
    SmallVector<OpFoldResult> splitSizes(3, rewriter.getIndexAttr(0));
    splitSizes.push_back(rewriter.getIndexAttr(chunk));
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterParallel);
    options.setReductionDims({3});
    options.setTileSizes(splitSizes);
    FailureOr<scf::SCFTilingResult> split = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(split))
      return op.emitOpError("could not be split along the key axis");
    SmallVector<Value> replacements = split->replacements;
    rewriter.replaceOp(op, replacements);
    // (The merge after the loop reads every split: consumers cannot fuse.)
    FailureOr<scf::ForallOp> normal = normalizeStaticForall(
        rewriter, cast<scf::ForallOp>(split->loops.front().getOperation()));
    if (failed(normal))
      return failure();
    SmallVector<Value> loopResults((*normal)->getResults());
    FailureOr<scf::ForallOp> loop =
        fuseIntoTiledLoop(rewriter, *normal, fuseElementwise, loopResults);
    if (failed(loop))
      return failure();
    (*loop)->setAttr(kTiledAttentionAttrName, rewriter.getUnitAttr());
    SmallVector<AttentionOp> partials;
    loop->walk([&](AttentionOp p) { partials.push_back(p); });
    for (AttentionOp partial : partials)
      if (failed(tileAndLowerQueryTiles(rewriter, partial, sizes,
                                        /*threads=*/false, /*fuse=*/false,
                                        summaryPtr, group)))
        return failure();
    return replacements;
  }
  return tileAndLowerQueryTiles(rewriter, op, sizes, /*threads=*/true,
                                fuseElementwise, summaryPtr, group);
}

namespace {
struct AttnTilePass final : attn::impl::AttnTilePassBase<AttnTilePass> {
  using AttnTilePassBase::AttnTilePassBase;
  void runOnOperation() override;
};
} // namespace

void AttnTilePass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  AttentionTileSizes tileSizes;
  tileSizes.qTile = qTile;
  tileSizes.kvTile = kvTile;
  tileSizes.kvSplits = kvSplits;
  tileSizes.bf16Dot = bf16Dot;
  tileSizes.vectorBits = vectorBits;
  tileSizes.numThreads = numThreads;
  tileSizes.decode = decode;
  bool fuse = fuseElementwise;
  SmallVector<AttentionOp> ops;
  getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
  for (AttentionOp op : ops)
    if (failed(tileAttentionOnline(rewriter, op, tileSizes, fuse)))
      return signalPassFailure();
  if (fuse && failed(cleanUpAfterFusion(getOperation())))
    return signalPassFailure();
}
