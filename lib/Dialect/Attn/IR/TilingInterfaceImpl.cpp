//===- TilingInterfaceImpl.cpp - tiling of attn.attention -------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// TilingInterface and PartialReductionOpInterface of `attn.attention`. The
// iteration domain is (b, h, q, kv): the first three parallel, the key axis a
// reduction. A tile is an `attn.attention` on the operands' slices that
// carries its tile coordinates (offsets into the problem, the problem's Lq,
// Lkv and group size), so masks, regions, lengths and the GQA head mapping
// keep their global meaning. Tiling the key axis of a normalised op needs a
// partial state: `tileToPartialReduction` builds partial-form tiles whose
// states `mergeReductions` merges with `attn.merge_states` and finalises.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// True when `ofr` is provably a multiple of `p`: a constant, the induction
/// variable of a loop whose lower bound and step are, or an affine.apply /
/// min / max of such values whose every result is (the offsets and sizes
/// upstream tiling builds).
static bool isMultipleOfPage(OpFoldResult ofr, int64_t p, unsigned depth = 0) {
  if (std::optional<int64_t> c = getConstantIntValue(ofr))
    return *c % p == 0;
  auto v = dyn_cast<Value>(ofr);
  if (!v || depth > 8)
    return false;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *parent = arg.getOwner()->getParentOp();
    if (auto loop = dyn_cast<LoopLikeOpInterface>(parent)) {
      std::optional<SmallVector<Value>> ivs = loop.getLoopInductionVars();
      std::optional<SmallVector<OpFoldResult>> lbs = loop.getLoopLowerBounds(),
                                               steps = loop.getLoopSteps();
      if (!ivs || !lbs || !steps)
        return false;
      for (auto [iv, lb, step] : llvm::zip(*ivs, *lbs, *steps))
        if (iv == v)
          return isMultipleOfPage(lb, p, depth + 1) &&
                 isMultipleOfPage(step, p, depth + 1);
    }
    return false;
  }
  Operation *def = v.getDefiningOp();
  AffineMap map;
  if (auto apply = dyn_cast<affine::AffineApplyOp>(def))
    map = apply.getAffineMap();
  else if (auto mn = dyn_cast<affine::AffineMinOp>(def))
    map = mn.getAffineMap();
  else if (auto mx = dyn_cast<affine::AffineMaxOp>(def))
    map = mx.getAffineMap();
  else
    return false;
  // Operands that are multiples of p become p * (a fresh dim), then every
  // result must be a multiple of p.
  MLIRContext *ctx = def->getContext();
  unsigned nd = map.getNumDims(), n = def->getNumOperands();
  SmallVector<AffineExpr> dims, syms;
  for (unsigned i = 0; i < n; ++i) {
    AffineExpr fresh = getAffineDimExpr(i, ctx);
    if (isMultipleOfPage(def->getOperand(i), p, depth + 1))
      fresh = fresh * p;
    (i < nd ? dims : syms).push_back(fresh);
  }
  for (AffineExpr r : map.getResults())
    if (!r.replaceDimsAndSymbols(dims, syms).isMultipleOf(p))
      return false;
  return true;
}

/// True when `size` is the key length of `op`: the same constant, or the
/// same dynamic value (a `tensor.dim` of the key's axis 2 built by anyone).
static bool isKeyLength(AttentionOp op, OpFoldResult size) {
  int64_t lkv = op.getLogicalKVShape(op.getKey())[2];
  if (!ShapedType::isDynamic(lkv))
    return isConstantIntValue(size, lkv);
  auto v = dyn_cast<Value>(size);
  if (op.isPaged()) {
    // getMixedKVLength: max_pages * P, max_pages a dim of the table.
    // (For P = 1 the product folds to the dim itself.)
    if (auto apply = v ? v.getDefiningOp<affine::AffineApplyOp>()
                       : affine::AffineApplyOp()) {
      if (apply.getNumOperands() != 1 ||
          apply.getAffineMap().getResult(0) !=
              getAffineSymbolExpr(0, op.getContext()) * op.getPageSize())
        return false;
      v = apply.getOperand(0);
    } else if (op.getPageSize() != 1) {
      return false;
    }
    auto tdim = v ? v.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
    return tdim && tdim.getSource() == op.getPageTable() &&
           tdim.getConstantIndex() == std::optional<int64_t>(1);
  }
  auto dim = v ? v.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  if (!dim)
    return false;
  std::optional<int64_t> index = dim.getConstantIndex();
  if (!index || *index != 2)
    return false;
  // The key itself, or a tensor with the key's length (the value).
  return dim.getSource() == op.getKey() ||
         (dim.getSource() == op.getValue() &&
          op.getValueType().getDimSize(2) == lkv);
}

/// True when the key range of a tile is the op's whole key axis.
static bool coversKeys(AttentionOp op, OpFoldResult offset, OpFoldResult size) {
  return isZeroInteger(offset) && isKeyLength(op, size);
}

namespace {
/// The loops of the iteration domain.
enum Loop : unsigned { kB = 0, kH = 1, kQ = 2, kKV = 3 };

/// Builds the slices and the tile op of one (b, h, q, kv) tile.
struct TileBuilder {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  SmallVector<Operation *> slices;

  TileBuilder(AttentionOp op, OpBuilder &b) : op(op), b(b), loc(op.getLoc()) {}

  OpFoldResult zero() { return b.getIndexAttr(0); }
  OpFoldResult one() { return b.getIndexAttr(1); }

  Value slice(Value t, ArrayRef<OpFoldResult> offsets,
              ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(offsets.size(), one());
    auto s = tensor::ExtractSliceOp::create(b, loc, t, offsets, sizes, strides);
    slices.push_back(s);
    return s;
  }
  /// A slice of `t` without its unit dimension `dim` (dim > 0): a full-rank
  /// slice collapsed into the dimension before it. (A rank-reducing slice
  /// would be ambiguous when other sizes are 1 too, and MLIR 22's slice
  /// canonicalisations then drop the wrong unit dimension.)
  Value sliceDropping(Value t, ArrayRef<OpFoldResult> offsets,
                      ArrayRef<OpFoldResult> sizes, unsigned dim) {
    Value full = slice(t, offsets, sizes);
    SmallVector<ReassociationIndices> groups;
    for (unsigned i = 0, e = sizes.size(); i < e; ++i) {
      if (i == dim)
        groups.back().push_back(i);
      else
        groups.push_back({static_cast<int64_t>(i)});
    }
    return tensor::CollapseShapeOp::create(b, loc, full, groups);
  }

  OpFoldResult dim(Value t, int64_t d) {
    return tensor::getMixedSize(b, loc, t, d);
  }
  OpFoldResult add(OpFoldResult x, OpFoldResult y) {
    AffineExpr s0, s1;
    bindSymbols(b.getContext(), s0, s1);
    return affine::makeComposedFoldedAffineApply(b, loc, s0 + s1, {x, y});
  }
  /// floor(x / g): affine for a constant g, arith otherwise.
  OpFoldResult floorDiv(OpFoldResult x, OpFoldResult g) {
    if (std::optional<int64_t> c = getConstantIntValue(g)) {
      AffineExpr s0;
      bindSymbols(b.getContext(), s0);
      return affine::makeComposedFoldedAffineApply(b, loc, s0.floorDiv(*c),
                                                   {x});
    }
    return arith::DivUIOp::create(b, loc,
                                  getValueOrCreateConstantIndexOp(b, loc, x),
                                  getValueOrCreateConstantIndexOp(b, loc, g))
        .getResult();
  }

  /// The problem's group size as an index value.
  OpFoldResult problemGroup() {
    if (op.hasTileCoordinates())
      return op.getExtents()[2];
    if (std::optional<int64_t> g = op.getStaticGroupSize())
      return b.getIndexAttr(*g);
    return getTileCoordinates(b, loc, op).group;
  }

  /// The key/value head range [lo, lo + size) that query heads
  /// [h0, h0 + hs) of this op read.
  std::pair<OpFoldResult, OpFoldResult> kvHeads(OpFoldResult h0,
                                                OpFoldResult hs) {
    OpFoldResult hq = dim(op.getQuery(), 1);
    if (isZeroInteger(h0) && isEqualConstantIntOrValue(hs, hq))
      return {zero(), op.getMixedKVHeads(b, loc)};
    // Global head offsets: local h0 of a tile is globalH0 - tileH0.
    OpFoldResult g = problemGroup();
    OpFoldResult base =
        op.hasTileCoordinates() ? OpFoldResult(op.getOffsets()[1]) : zero();
    OpFoldResult gLo = add(base, h0);
    AffineExpr s0, s1;
    bindSymbols(b.getContext(), s0, s1);
    OpFoldResult lo = floorDiv(gLo, g);
    OpFoldResult baseKV = floorDiv(base, g);
    OpFoldResult localLo =
        affine::makeComposedFoldedAffineApply(b, loc, s0 - s1, {lo, baseKV});
    // Whole groups from a group boundary (the decode tiles of all heads):
    // hs / g heads, static where the floordivs below do not fold.
    std::optional<int64_t> gc = getConstantIntValue(g),
                           hsc = getConstantIntValue(hs);
    if (gc && hsc && *gc > 0 && *hsc % *gc == 0 && isMultipleOfPage(gLo, *gc))
      return {localLo, b.getIndexAttr(*hsc / *gc)};
    OpFoldResult gLast =
        affine::makeComposedFoldedAffineApply(b, loc, s0 + s1 - 1, {gLo, hs});
    OpFoldResult hiIncl = floorDiv(gLast, g);
    OpFoldResult size = affine::makeComposedFoldedAffineApply(
        b, loc, s0 - s1 + 1, {hiIncl, lo});
    return {localLo, size};
  }

  FailureOr<TilingResult> build(ArrayRef<OpFoldResult> offsets,
                                ArrayRef<OpFoldResult> sizes, ValueRange inits,
                                bool partial);
};
} // namespace

FailureOr<TilingResult> TileBuilder::build(ArrayRef<OpFoldResult> offsets,
                                           ArrayRef<OpFoldResult> sizes,
                                           ValueRange inits, bool partial) {
  OpFoldResult b0 = offsets[kB], h0 = offsets[kH], q0 = offsets[kQ],
               kv0 = offsets[kKV];
  OpFoldResult bs = sizes[kB], hs = sizes[kH], qs = sizes[kQ], kvs = sizes[kKV];
  Value q = slice(op.getQuery(), {b0, h0, q0, zero()},
                  {bs, hs, qs, dim(op.getQuery(), 3)});
  auto [kvh0, kvhs] = kvHeads(h0, hs);
  Value k, v, table;
  if (op.isPaged()) {
    // The pools stay whole but for their head axis; the tile's keys are the
    // table's columns of its pages (docs/design.md, "Paged KV").
    int64_t p = op.getPageSize();
    if (!isMultipleOfPage(kv0, p) ||
        !(isMultipleOfPage(kvs, p) || coversKeys(op, kv0, kvs)))
      return op.emitOpError("expects the key tiles of a paged op to start "
                            "and end on page boundaries (page size ")
             << p << ")";
    unsigned headAxis = op.getKVHeadAxis();
    auto slicePool = [&](Value pool) {
      SmallVector<OpFoldResult> o(4, zero());
      SmallVector<OpFoldResult> s = tensor::getMixedSizes(b, loc, pool);
      o[headAxis] = kvh0;
      s[headAxis] = kvhs;
      return slice(pool, o, s);
    };
    k = slicePool(op.getKey());
    v = slicePool(op.getValue());
    OpFoldResult pages = coversKeys(op, kv0, kvs)
                             ? dim(op.getPageTable(), 1)
                             : floorDiv(kvs, b.getIndexAttr(p));
    table = slice(op.getPageTable(), {b0, floorDiv(kv0, b.getIndexAttr(p))},
                  {bs, pages});
  } else {
    k = slice(op.getKey(), {b0, kvh0, kv0, zero()},
              {bs, kvhs, kvs, dim(op.getKey(), 3)});
    v = slice(op.getValue(), {b0, kvh0, kv0, zero()},
              {bs, kvhs, kvs, dim(op.getValue(), 3)});
  }

  Value mask;
  if (Value m = op.getMask()) {
    // Broadcast (size-1) dims stay whole; the others follow the loops.
    auto mT = cast<RankedTensorType>(m.getType());
    unsigned lead = 4 - mT.getRank();
    SmallVector<OpFoldResult> mo, ms;
    for (unsigned i = 0; i < mT.getRank(); ++i) {
      if (mT.getDimSize(i) == 1) {
        mo.push_back(zero());
        ms.push_back(one());
        continue;
      }
      mo.push_back(offsets[lead + i]);
      ms.push_back(sizes[lead + i]);
    }
    mask = slice(m, mo, ms);
  }
  Value ql = op.getQLengths() ? slice(op.getQLengths(), {b0}, {bs}) : Value();
  Value kl = op.getKvLengths() ? slice(op.getKvLengths(), {b0}, {bs}) : Value();
  Value qsIds, kvIds;
  if (op.getQSegmentIds()) {
    qsIds = slice(op.getQSegmentIds(), {b0, q0}, {bs, qs});
    kvIds = slice(op.getKvSegmentIds(), {b0, kv0}, {bs, kvs});
  }
  Value sinks =
      !partial && op.getSinks() ? slice(op.getSinks(), {h0}, {hs}) : Value();

  // Tile coordinates, composed with the op's own.
  SmallVector<Value> newOffsets, newExtents;
  TileCoordinates c = getTileCoordinates(b, loc, op);
  SmallVector<Value> mineOffsets = {c.b0, c.h0, c.q0, c.kv0};
  for (auto [mine, off] : llvm::zip(mineOffsets, offsets))
    newOffsets.push_back(getValueOrCreateConstantIndexOp(
        b, loc, add(getAsOpFoldResult(mine), off)));
  newExtents = {c.qLen, c.kvLen, c.group};

  SmallVector<Type> resultTypes;
  for (Value init : inits)
    resultTypes.push_back(init.getType());
  auto tile = AttentionOp::create(
      b, loc, resultTypes, q, k, v, mask, ql, kl, qsIds, kvIds, sinks, table,
      op.getKvBlockCounts(), op.getKvBlockIndices(), newOffsets, newExtents,
      inits, op.getScaleAttr(), op.getSoftcapAttr(), op.getMasksAttr(),
      op.getNormalizerAttr(), op.getSigmoidBiasAttr(),
      partial ? b.getUnitAttr() : UnitAttr(), op.getKvLayoutAttr(),
      // Key-block lists stay whole: they are indexed with global
      // coordinates.
      op.getQBlockSizeAttr(), op.getKvBlockSizeAttr(),
      op.getKvBlocksPerGroupAttr());
  // An op without its own scale uses 1/sqrt(Dqk): the tile's Dqk is the
  // same, so nothing to pin.
  for (auto [from, to] : llvm::zip(op->getRegions(), tile->getRegions()))
    if (!from.empty())
      b.cloneRegionBefore(from, to, to.end());
  return TilingResult{
      {tile},
      llvm::map_to_vector(tile->getResults(),
                          [](OpResult r) -> Value { return r; }),
      slices};
}

//===----------------------------------------------------------------------===//
// TilingInterface
//===----------------------------------------------------------------------===//

SmallVector<Range> AttentionOp::getIterationDomain(OpBuilder &b) {
  Location loc = getLoc();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> q = tensor::getMixedSizes(b, loc, getQuery());
  OpFoldResult lkv = getMixedKVLength(b, loc);
  return {Range{zero, q[0], one}, Range{zero, q[1], one},
          Range{zero, q[2], one}, Range{zero, lkv, one}};
}

SmallVector<utils::IteratorType> AttentionOp::getLoopIteratorTypes() {
  return {utils::IteratorType::parallel, utils::IteratorType::parallel,
          utils::IteratorType::parallel, utils::IteratorType::reduction};
}

/// The slices of the op's inits for the (b, h, q) tile.
static SmallVector<Value> sliceInits(TileBuilder &tb,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  SmallVector<Value> inits;
  for (auto [i, init] : llvm::enumerate(tb.op.getInits())) {
    SmallVector<OpFoldResult> o(offsets.take_front(3)), s(sizes.take_front(3));
    if (i == 0) {
      o.push_back(tb.zero());
      s.push_back(tb.dim(init, 3));
    }
    inits.push_back(tb.slice(init, o, s));
  }
  return inits;
}

FailureOr<TilingResult>
AttentionOp::getTiledImplementation(OpBuilder &b,
                                    ArrayRef<OpFoldResult> offsets,
                                    ArrayRef<OpFoldResult> sizes) {
  // A normalised op cannot accumulate into its output: its key axis is tiled
  // through PartialReductionOpInterface.
  if (!getPartial() && !coversKeys(*this, offsets[kKV], sizes[kKV]))
    return emitOpError("cannot tile the key axis of a normalised attention "
                       "directly; tile it as a partial reduction");
  TileBuilder tb(*this, b);
  SmallVector<Value> inits = sliceInits(tb, offsets, sizes);
  return tb.build(offsets, sizes, inits, getPartial());
}

LogicalResult AttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.assign(offsets.begin(), offsets.begin() + 3);
  resultSizes.assign(sizes.begin(), sizes.begin() + 3);
  if (resultNumber == 0) {
    resultOffsets.push_back(b.getIndexAttr(0));
    resultSizes.push_back(tensor::getMixedSize(b, getLoc(), getInits()[0], 3));
  }
  return success();
}

FailureOr<TilingResult>
AttentionOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  if (resultNumber == 0 &&
      (!isZeroInteger(offsets[3]) ||
       !isEqualConstantIntOrValue(
           sizes[3], tensor::getMixedSize(b, getLoc(), getInits()[0], 3))))
    return failure();
  SmallVector<OpFoldResult> iterOffsets(offsets.take_front(3)),
      iterSizes(sizes.take_front(3));
  iterOffsets.push_back(b.getIndexAttr(0));
  iterSizes.push_back(getMixedKVLength(b, getLoc()));
  return getTiledImplementation(b, iterOffsets, iterSizes);
}

//===----------------------------------------------------------------------===//
// PartialReductionOpInterface
//===----------------------------------------------------------------------===//

/// Partial states carry one lane per split of the key axis, after q:
/// acc [B, Hq, Lq, S, Dv], max and sum [B, Hq, Lq, S].
static constexpr unsigned kLaneDim = 3;

FailureOr<SmallVector<Value>>
AttentionOp::generateInitialTensorForPartialReduction(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
    const SetVector<unsigned> &reductionDims) {
  if (getPartial() || reductionDims.size() != 1 || reductionDims.front() != kKV)
    return failure();
  SmallVector<OpFoldResult> rows(sizes.take_front(3));
  rows.push_back(sizes[kKV]);
  SmallVector<OpFoldResult> accShape(rows);
  accShape.push_back(tensor::getMixedSize(b, loc, getValue(), 3));
  auto filled = [&](ArrayRef<OpFoldResult> shape, double v) {
    Value e = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
    return linalg::FillOp::create(
               b, loc, ValueRange{buildF32Constant(b, loc, v)}, ValueRange{e})
        .getResult(0);
  };
  return SmallVector<Value>{filled(accShape, 0.0),
                            filled(rows, getIdentityMax(getNormalizer())),
                            filled(rows, 0.0)};
}

/// The lane of the partial state a tile accumulates into: its split for
/// split-KV (outer parallel), lane 0 when one loop carries the state.
static OpFoldResult getLane(OpBuilder &b, ReductionTilingStrategy strategy,
                            ArrayRef<OpFoldResult> splitReductionIvs) {
  if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel)
    return splitReductionIvs.front();
  return b.getIndexAttr(0);
}

LogicalResult AttentionOp::getPartialResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ReductionTilingStrategy strategy,
    ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
    const SetVector<unsigned> &reductionDims,
    ArrayRef<OpFoldResult> splitReductionIvs,
    SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.assign(offsets.begin(), offsets.begin() + 3);
  resultSizes.assign(sizes.begin(), sizes.begin() + 3);
  resultOffsets.push_back(getLane(b, strategy, splitReductionIvs));
  resultSizes.push_back(b.getIndexAttr(1));
  if (resultNumber == 0) {
    resultOffsets.push_back(b.getIndexAttr(0));
    resultSizes.push_back(tensor::getMixedSize(b, getLoc(), getValue(), 3));
  }
  return success();
}

FailureOr<TilingResult> AttentionOp::tileToPartialReduction(
    OpBuilder &b, Location loc, ReductionTilingStrategy strategy,
    ValueRange init, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, const SetVector<unsigned> &reductionDims,
    ArrayRef<OpFoldResult> splitReductionIvs) {
  if (getPartial() || init.size() != 3)
    return failure();
  TileBuilder tb(*this, b);
  SmallVector<Value> inits;
  for (auto [i, partialInit] : llvm::enumerate(init)) {
    SmallVector<OpFoldResult> o, s;
    if (failed(getPartialResultTilePosition(b, i, strategy, offsets, sizes,
                                            reductionDims, splitReductionIvs, o,
                                            s)))
      return failure();
    inits.push_back(tb.sliceDropping(partialInit, o, s, kLaneDim));
  }
  return tb.build(offsets, sizes, inits, /*partial=*/true);
}

FailureOr<MergeResult>
AttentionOp::mergeReductions(OpBuilder &b, Location loc,
                             ValueRange partialReduce,
                             const SetVector<unsigned> &reductionDims) {
  if (partialReduce.size() != 3)
    return failure();
  // Merge the lanes, then finalise the merged state into the op's inits.
  SmallVector<Value> stateInits;
  for (Value p : partialReduce) {
    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, p);
    shape.erase(shape.begin() + kLaneDim);
    stateInits.push_back(
        tensor::EmptyOp::create(b, loc, shape, b.getF32Type()));
  }
  auto merge = MergeStatesOp::create(
      b, loc, ValueRange(stateInits).getTypes(), partialReduce.take_front(1),
      partialReduce.slice(1, 1), partialReduce.slice(2, 1), stateInits,
      LseBaseAttr::get(b.getContext(), LseBase::e),
      b.getI64IntegerAttr(kLaneDim));
  SmallVector<Operation *> ops = {merge};
  SmallVector<Value> results =
      buildFinalizedResults(b, loc, *this, merge.getResult(0),
                            merge.getResult(1), merge.getResult(2), ops);
  return MergeResult{ops, results};
}
