//===- OnlineTilerMaskSummary.cpp - run-time block summaries of -attn-tile ===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Run-time summaries that let the tile body skip key tiles: the (min, max)
// of segment ids over a run of rows or keys, and the per-block any/all
// flags of a mask tensor (docs/design.md, "CPU mask summary").
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

/// (min, max) of ids[0, start : start + count] (count >= 1; local keys).
std::pair<Value, Value> OnlineTiler::segmentRange(OpBuilder &nb, Value ids,
                                                  Value start, Value count) {
  Value bi = zero;
  Value first = tensor::ExtractOp::create(nb, loc, ids, ValueRange{bi, start});
  Value end = arith::AddIOp::create(nb, loc, start, count);
  auto loop = scf::ForOp::create(
      nb, loc, start, end, cst(nb, 1), ValueRange{first, first},
      [&](OpBuilder &b2, Location l, Value i, ValueRange mm) {
        Value x = tensor::ExtractOp::create(b2, l, ids, ValueRange{bi, i});
        scf::YieldOp::create(
            b2, l,
            ValueRange{arith::MinSIOp::create(b2, l, mm[0], x),
                       arith::MaxSIOp::create(b2, l, mm[1], x)});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

/// Runtime block summary of the mask tensor: per (query tile, key tile)
/// block of every mask dimension that is not broadcast, whether any score of
/// the block is kept (`maskAny`) and, for boolean masks, whether all are
/// (`maskAll`), as i8 flags (0 or 1). The key loop skips blocks that keep
/// nothing and evaluates no mask on boolean blocks that keep everything.
///
/// The summary reads the mask once, through `linalg.generic`s over the mask
/// reshaped to [..., blocks, block rows, ..., blocks, block keys]: the block
/// dimensions are parallel loops, the in-block ones reductions, and every
/// indexing map is a projected permutation, so the CPU pipeline tiles the
/// block loops onto threads and vectorises the in-block key loop. A tiled
/// dimension whose length is not a multiple of the tile is split into its
/// full blocks and one ragged last block (a separate generic for each
/// combination of parts); a dynamic length gets both parts. (Each reshaped
/// dimension pair has at most one dynamic size: expand-strided-metadata
/// cannot expand a dimension into two dynamic ones.)
void OnlineTiler::summarizeMask(OpBuilder &nb) {
  Value mask = op.getMask();
  auto mT = cast<RankedTensorType>(mask.getType());
  unsigned r = mT.getRank(), lead = 4 - r;
  bool boolean = mT.getElementType().isInteger(1);
  Type i8 = nb.getI8Type();

  /// A run of blocks of one mask dimension: `blocks` blocks of `blockSize`
  /// elements starting at block `blockOff` (element `blockOff * tile`).
  struct Part {
    OpFoldResult blockOff, blocks, elemOff, blockSize;
  };
  auto idx = [&](int64_t v) -> OpFoldResult { return nb.getIndexAttr(v); };
  SmallVector<OpFoldResult> flagShape;
  SmallVector<SmallVector<Part, 2>> parts(r);
  SmallVector<bool> tiled(r, false);
  for (unsigned i = 0; i < r; ++i) {
    unsigned g = lead + i;
    OpFoldResult size = tensor::getMixedSize(nb, loc, mask, i);
    int64_t tile = g == 2 ? sizes.qTile : g == 3 ? sizes.kvTile : 1;
    if (tile == 1 || mT.getDimSize(i) == 1) {
      flagShape.push_back(size);
      parts[i].push_back({idx(0), size, idx(0), idx(1)});
      continue;
    }
    tiled[i] = true;
    if (!mT.isDynamicDim(i)) {
      int64_t n = mT.getDimSize(i), full = n / tile, rem = n % tile;
      flagShape.push_back(idx(llvm::divideCeil(n, tile)));
      if (full > 0)
        parts[i].push_back({idx(0), idx(full), idx(0), idx(tile)});
      if (rem > 0)
        parts[i].push_back({idx(full), idx(1), idx(full * tile), idx(rem)});
      continue;
    }
    // Dynamic: the ragged block is always summarised, as 1 block of
    // n mod tile elements (possibly 0: its flags then land in one spare
    // block past the last one, which no key loop reads).
    Value n = getValueOrCreateConstantIndexOp(nb, loc, size);
    Value full = arith::DivUIOp::create(nb, loc, n, cst(nb, tile));
    Value fullElems = arith::MulIOp::create(nb, loc, full, cst(nb, tile));
    flagShape.push_back(
        arith::AddIOp::create(nb, loc, full, cst(nb, 1)).getResult());
    parts[i].push_back({idx(0), full, idx(0), idx(tile)});
    parts[i].push_back(
        {full, idx(1), fullElems,
         arith::SubIOp::create(nb, loc, n, fullElems).getResult()});
  }

  auto init = [&](int64_t v) {
    Value c = arith::ConstantIntOp::create(nb, loc, i8, v);
    return linalg::FillOp::create(nb, loc, ValueRange{c},
                                  ValueRange{empty(nb, flagShape, i8)})
        .getResult(0);
  };
  SmallVector<Value> flags = {init(0)};
  if (boolean)
    flags.push_back(init(1));

  // One generic per combination of parts (at most 2 x 2); none for an
  // empty mask.
  SmallVector<unsigned> choice(r, 0);
  bool more = llvm::none_of(parts, [](auto &ps) { return ps.empty(); });
  while (more) {
    SmallVector<OpFoldResult> offs, szs, flagOffs, flagSzs, expShape;
    SmallVector<ReassociationIndices> reassoc;
    SmallVector<AffineExpr> outExprs;
    SmallVector<IterTy> iters;
    unsigned loops = 0;
    for (unsigned i = 0; i < r; ++i) {
      const Part &p = parts[i][choice[i]];
      offs.push_back(p.elemOff);
      flagOffs.push_back(p.blockOff);
      flagSzs.push_back(p.blocks);
      if (!tiled[i]) {
        szs.push_back(p.blocks);
        expShape.push_back(p.blocks);
        reassoc.push_back({loops});
        outExprs.push_back(d(loops++));
        iters.push_back(IterTy::parallel);
        continue;
      }
      OpFoldResult elems;
      std::optional<int64_t> nB = getConstantIntValue(p.blocks),
                             nS = getConstantIntValue(p.blockSize);
      if (nB && nS)
        elems = idx(*nB * *nS);
      else
        elems = arith::MulIOp::create(
                    nb, loc, getValueOrCreateConstantIndexOp(nb, loc, p.blocks),
                    getValueOrCreateConstantIndexOp(nb, loc, p.blockSize))
                    .getResult();
      szs.push_back(elems);
      expShape.append({p.blocks, p.blockSize});
      reassoc.push_back({loops, loops + 1});
      outExprs.push_back(d(loops));
      iters.append({IterTy::parallel, IterTy::reduction});
      loops += 2;
    }
    SmallVector<OpFoldResult> ones(r, idx(1));
    Value part = tensor::ExtractSliceOp::create(nb, loc, mask, offs, szs, ones);
    SmallVector<int64_t> expStatic;
    for (OpFoldResult s : expShape)
      expStatic.push_back(
          getConstantIntValue(s).value_or(ShapedType::kDynamic));
    Value blocked = tensor::ExpandShapeOp::create(
        nb, loc, RankedTensorType::get(expStatic, mT.getElementType()), part,
        reassoc, expShape);
    SmallVector<Value> outs;
    for (Value f : flags)
      outs.push_back(
          tensor::ExtractSliceOp::create(nb, loc, f, flagOffs, flagSzs, ones));
    AffineMap in = nb.getMultiDimIdentityMap(loops), out = map(loops, outExprs);
    SmallVector<AffineMap> maps = {in};
    maps.append(outs.size(), out);
    // Every mask element of a block folds into the block's flags.
    auto summary = linalg::GenericOp::create(
        nb, loc, ValueRange(outs).getTypes(), ValueRange{blocked}, outs, maps,
        iters, [&](OpBuilder &bb, Location l, ValueRange a) {
          Value kept = a[0];
          if (!boolean)
            kept = arith::CmpFOp::create(
                bb, l, arith::CmpFPredicate::ONE, a[0],
                arith::ConstantOp::create(
                    bb, l,
                    bb.getFloatAttr(a[0].getType(),
                                    -std::numeric_limits<double>::infinity())));
          Value k8 = arith::ExtUIOp::create(bb, l, i8, kept);
          SmallVector<Value> res = {arith::OrIOp::create(bb, l, a[1], k8)};
          if (boolean)
            res.push_back(arith::AndIOp::create(bb, l, a[2], k8));
          linalg::YieldOp::create(bb, l, res);
        });
    for (unsigned f = 0; f < flags.size(); ++f)
      flags[f] = tensor::InsertSliceOp::create(
          nb, loc, summary.getResult(f), flags[f], flagOffs, flagSzs, ones);
    // Next combination.
    unsigned i = 0;
    while (i < r && ++choice[i] == parts[i].size())
      choice[i++] = 0;
    more = i < r;
  }
  maskAny = flags[0];
  if (boolean)
    maskAll = flags[1];
}

/// The summary flag (as an i1) of the block of this tile's key tile whose
/// first key is the global `k0`. A summary of this op has one block of
/// batch, head and query rows; one of the tiled op is indexed by the
/// tile's offsets in it.
Value OnlineTiler::maskBlockFlag(OpBuilder &nb, Value flags, Value k0) {
  auto fT = cast<RankedTensorType>(flags.getType());
  unsigned r = fT.getRank(), lead = 4 - r;
  Value base[4] = {b0, h0, q0, kv0};
  if (summary)
    base[0] = summary->b0, base[1] = summary->h0, base[2] = summary->q0,
    base[3] = summary->kv0;
  Value mine[4] = {b0, h0, q0, k0};
  int64_t tile[4] = {1, 1, sizes.qTile, sizes.kvTile};
  SmallVector<Value> idx;
  for (unsigned i = 0; i < r; ++i) {
    // One block (a broadcast dimension, or this tile's own batch, head or
    // query rows): block 0.
    unsigned g = lead + i;
    if (fT.getDimSize(i) == 1 || (!summary && g != 3)) {
      idx.push_back(cst(nb, 0));
      continue;
    }
    Value rel = arith::SubIOp::create(nb, loc, mine[g], base[g]);
    idx.push_back(tile[g] == 1
                      ? rel
                      : arith::DivUIOp::create(nb, loc, rel, cst(nb, tile[g]))
                            .getResult());
  }
  Value f = tensor::ExtractOp::create(nb, loc, flags, idx);
  return arith::TruncIOp::create(nb, loc, nb.getI1Type(), f);
}
