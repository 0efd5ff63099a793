//===- MergeStates.cpp - attn.merge_states ----------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Verifier, folder, canonicalisation and reference decomposition of
// `attn.merge_states`. The combine itself is NormalizerAlgebra's rescale: a
// state moved to the merged maximum is scaled by base^(m_s - m).
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

static constexpr double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

/// `shape` with an extra dynamic-or-any extent inserted at `dim`.
static bool matchesWithSplit(ArrayRef<int64_t> got, ArrayRef<int64_t> want,
                             std::optional<int64_t> dim) {
  SmallVector<int64_t> w(want);
  if (dim)
    w.insert(w.begin() + *dim, ShapedType::kDynamic);
  if (got.size() != w.size())
    return false;
  for (auto [g, e] : llvm::zip(got, w))
    if (!ShapedType::isDynamic(g) && !ShapedType::isDynamic(e) && g != e)
      return false;
  return true;
}

LogicalResult MergeStatesOp::verify() {
  unsigned n = getValues().size();
  bool unnorm = isUnnormalized();
  if (n == 0)
    return emitOpError("expects at least one state");
  if (getLses().size() != n || (unnorm && getSums().size() != n))
    return emitOpError("expects as many ")
           << (unnorm ? "maxima and sums" : "log-sum-exps")
           << " as values, got " << n << " values, " << getLses().size() << " "
           << (unnorm ? "maxima" : "log-sum-exps")
           << (unnorm ? " and " + std::to_string(getSums().size()) + " sums"
                      : std::string());
  unsigned numInits = unnorm ? 3 : 2;
  if (getInits().size() != numInits)
    return emitOpError("expects ")
           << numInits << " inits for "
           << (unnorm ? "(acc, max, sum)" : "(output, lse)") << " states, got "
           << getInits().size();
  if (getNumResults() != numInits)
    return emitOpError("expects one result per init");

  auto vT = cast<RankedTensorType>(getInits()[0].getType());
  if (vT.getRank() < 1)
    return emitOpError("expects values of rank at least 1");
  Type vElem = vT.getElementType();
  if (unnorm ? !vElem.isF32()
             : !isa<Float32Type, Float16Type, BFloat16Type>(vElem))
    return emitOpError(unnorm ? "expects f32 accumulators, got "
                              : "expects f32, f16 or bf16 values, got ")
           << vElem;
  SmallVector<int64_t> rowShape(vT.getShape().drop_back());
  for (unsigned i = 1; i < numInits; ++i) {
    auto t = cast<RankedTensorType>(getInits()[i].getType());
    if (!t.getElementType().isF32() ||
        !matchesWithSplit(t.getShape(), rowShape, std::nullopt))
      return emitOpError("expects f32 ")
             << (unnorm ? (i == 1 ? "maxima" : "sums") : "log-sum-exps")
             << " shaped like the values without their last dimension";
  }

  std::optional<int64_t> dim;
  if (std::optional<int64_t> d = getDimension()) {
    if (n != 1)
      return emitOpError("expects one state with 'dimension', got ") << n;
    if (*d < 0 || *d > static_cast<int64_t>(rowShape.size()))
      return emitOpError("expects 'dimension' in [0, ")
             << rowShape.size() << "], got " << *d;
    dim = *d;
  }
  for (unsigned s = 0; s < n; ++s) {
    auto v = cast<RankedTensorType>(getValues()[s].getType());
    Type e = v.getElementType();
    if (unnorm ? !e.isF32() : !isa<Float32Type, Float16Type, BFloat16Type>(e))
      return emitOpError("expects the values of state ")
             << s << " to be " << (unnorm ? "f32" : "f32, f16 or bf16")
             << ", got " << e;
    if (!matchesWithSplit(v.getShape(), vT.getShape(), dim))
      return emitOpError("expects the values of state ")
             << s << " to match the result shape"
             << (dim ? " with the split dimension" : "");
    SmallVector<Value> rows = {getLses()[s]};
    if (unnorm)
      rows.push_back(getSums()[s]);
    for (Value r : rows) {
      auto t = cast<RankedTensorType>(r.getType());
      if (!t.getElementType().isF32() ||
          !matchesWithSplit(t.getShape(), rowShape, dim))
        return emitOpError("expects the f32 row tensors of state ")
               << s << " to match the result's row shape"
               << (dim ? " with the split dimension" : "");
    }
  }
  return success();
}

void MergeStatesOp::getAsmResultNames(
    function_ref<void(Value, StringRef)> setNameFn) {
  setStateResultNames(getResults(), isUnnormalized(), setNameFn);
}

LogicalResult MergeStatesOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  for (Value init : getInits())
    reifiedReturnShapes.push_back(tensor::getMixedSizes(b, getLoc(), init));
  return success();
}

//===----------------------------------------------------------------------===//
// Folder and canonicalisation
//===----------------------------------------------------------------------===//

LogicalResult MergeStatesOp::fold(FoldAdaptor,
                                  SmallVectorImpl<OpFoldResult> &results) {
  // Merging one state is the identity.
  if (getNumStates() != 1 || getDimension())
    return failure();
  SmallVector<Value> state = {getValues()[0], getLses()[0]};
  if (isUnnormalized())
    state.push_back(getSums()[0]);
  for (auto [s, r] : llvm::zip(state, getResults()))
    if (s.getType() != r.getType())
      return failure();
  for (Value s : state)
    results.push_back(s);
  return success();
}

namespace {
/// Drops states whose log-sum-exp (maximum) is a splat -inf: the empty state
/// is the identity of the merge.
struct DropEmptyStates final : OpRewritePattern<MergeStatesOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MergeStatesOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getDimension())
      return rewriter.notifyMatchFailure(op, "split-dimension form");
    SmallVector<unsigned> keep;
    for (unsigned s = 0; s < op.getNumStates(); ++s) {
      DenseFPElementsAttr attr;
      bool empty = matchPattern(op.getLses()[s], m_Constant(&attr)) &&
                   attr.isSplat() &&
                   attr.getSplatValue<APFloat>().isNegInfinity();
      if (!empty)
        keep.push_back(s);
    }
    if (keep.size() == op.getNumStates() || keep.empty())
      return rewriter.notifyMatchFailure(op, "no removable empty state");
    SmallVector<Value> values, lses, sums;
    for (unsigned s : keep) {
      values.push_back(op.getValues()[s]);
      lses.push_back(op.getLses()[s]);
      if (op.isUnnormalized())
        sums.push_back(op.getSums()[s]);
    }
    rewriter.replaceOpWithNewOp<MergeStatesOp>(
        op, op.getResultTypes(), values, lses, sums, op.getInits(),
        op.getBaseAttr(), op.getDimensionAttr());
    return success();
  }
};
} // namespace

void MergeStatesOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                MLIRContext *context) {
  results.add<DropEmptyStates>(context);
}

//===----------------------------------------------------------------------===//
// Reference decomposition
//===----------------------------------------------------------------------===//

namespace {
using IterTy = utils::IteratorType;

/// Builds the linalg.generic ops of one merge.
struct StateMerger {
  MergeStatesOp op;
  OpBuilder &b;
  Location loc;
  LseBase base;
  unsigned rowRank;

  StateMerger(MergeStatesOp op, OpBuilder &b)
      : op(op), b(b), loc(op.getLoc()), base(op.getBase()),
        rowRank(cast<RankedTensorType>(op.getInits()[1].getType()).getRank()) {}

  Value f32(OpBuilder &nb, double v) { return buildF32Constant(nb, loc, v); }

  Value emptyLike(Value init) {
    auto t = cast<RankedTensorType>(init.getType());
    return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, init),
                                   t.getElementType());
  }
  Value filledLike(Value init, double v) {
    return linalg::FillOp::create(b, loc, ValueRange{f32(b, v)},
                                  ValueRange{emptyLike(init)})
        .getResult(0);
  }

  /// A generic over the loops of `init` (plus the split loop at `dim`, a
  /// reduction, when set) that reads `ins` through `inMaps`.
  Value generic(ValueRange ins, ArrayRef<AffineMap> inMaps, Value init,
                unsigned numLoops, std::optional<int64_t> dim, AffineMap outMap,
                function_ref<Value(OpBuilder &, ValueRange)> body) {
    SmallVector<AffineMap> maps(inMaps);
    maps.push_back(outMap);
    SmallVector<IterTy> iters(numLoops, IterTy::parallel);
    if (dim)
      iters[*dim] = IterTy::reduction;
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
               iters,
               [&](OpBuilder &nb, Location, ValueRange args) {
                 linalg::YieldOp::create(nb, loc, body(nb, args));
               })
        .getResult(0);
  }

  /// The map of a tensor of `rank` loops-without-split, in a nest of
  /// `numLoops` loops with the split loop at `dim` (when set).
  AffineMap mapSkipping(unsigned numLoops, unsigned rank,
                        std::optional<int64_t> dim, bool withSplit) {
    SmallVector<AffineExpr> res;
    for (unsigned l = 0;
         l < numLoops && res.size() < rank + (withSplit ? 1 : 0); ++l) {
      if (dim && static_cast<int64_t>(l) == *dim && !withSplit)
        continue;
      res.push_back(b.getAffineDimExpr(l));
    }
    return AffineMap::get(numLoops, 0, res, b.getContext());
  }

  Value toF32(OpBuilder &nb, Value x) { return castToF32(nb, loc, x); }

  SmallVector<Value> run();
  SmallVector<Value> runList();
  SmallVector<Value> runSplit(int64_t dim);
};
} // namespace

/// Merges a list of states with elementwise generics.
SmallVector<Value> StateMerger::runList() {
  unsigned n = op.getNumStates();
  bool unnorm = op.isUnnormalized();
  ValueRange lses = op.getLses();
  Value rowInit = op.getInits()[1];
  AffineMap rowId = b.getMultiDimIdentityMap(rowRank);
  SmallVector<AffineMap> rowMaps(n, rowId);
  // The merged maximum (unnormalised) or log-sum-exp (normalised).
  Value top =
      generic(lses, rowMaps, rowInit, rowRank, std::nullopt, rowId,
              [&](OpBuilder &nb, ValueRange a) {
                Value m = a[0];
                for (unsigned s = 1; s < n; ++s)
                  m = arith::MaximumFOp::create(nb, loc, m, a[s]);
                if (unnorm)
                  return m;
                Value sum = f32(nb, 0.0);
                for (unsigned s = 0; s < n; ++s)
                  sum = arith::AddFOp::create(
                      nb, loc, sum, buildRescale(nb, loc, a[s], m, base));
                Value lg = base == LseBase::two
                               ? math::Log2Op::create(nb, loc, sum).getResult()
                               : math::LogOp::create(nb, loc, sum).getResult();
                return arith::AddFOp::create(nb, loc, m, lg).getResult();
              });
  // sum_s rescale(lse_s, top) * x_s over `xs` of rank `rank`.
  auto weightedSum = [&](ValueRange xs, Value init, unsigned rank) {
    AffineMap id = b.getMultiDimIdentityMap(rank);
    AffineMap row = AffineMap::getMultiDimIdentityMap(rank, b.getContext())
                        .getMajorSubMap(rowRank);
    SmallVector<Value> ins(xs);
    llvm::append_range(ins, lses);
    ins.push_back(top);
    SmallVector<AffineMap> maps(n, id);
    maps.append(n + 1, row);
    Type elem = cast<RankedTensorType>(init.getType()).getElementType();
    return generic(ins, maps, init, rank, std::nullopt, id,
                   [&](OpBuilder &nb, ValueRange a) {
                     Value acc = f32(nb, 0.0);
                     for (unsigned s = 0; s < n; ++s) {
                       Value w =
                           buildRescale(nb, loc, a[n + s], a[2 * n], base);
                       acc = arith::AddFOp::create(
                           nb, loc, acc,
                           arith::MulFOp::create(nb, loc, w, toF32(nb, a[s])));
                     }
                     if (elem != acc.getType())
                       acc = arith::TruncFOp::create(nb, loc, elem, acc);
                     return acc;
                   });
  };
  unsigned vRank = rowRank + 1;
  SmallVector<Value> results = {
      weightedSum(op.getValues(), op.getInits()[0], vRank), top};
  if (unnorm)
    results.push_back(weightedSum(op.getSums(), op.getInits()[2], rowRank));
  return results;
}

/// Merges the slices of one state along `dim` with reduction generics.
SmallVector<Value> StateMerger::runSplit(int64_t dim) {
  bool unnorm = op.isUnnormalized();
  Value lse = op.getLses()[0];
  Value rowInit = op.getInits()[1];
  unsigned rowLoops = rowRank + 1, vLoops = rowRank + 2;
  AffineMap rowIn = mapSkipping(rowLoops, rowRank, dim, true);
  AffineMap rowOut = mapSkipping(rowLoops, rowRank, dim, false);
  Value m = generic(
      {lse}, {rowIn}, filledLike(rowInit, -kInf), rowLoops, dim, rowOut,
      [&](OpBuilder &nb, ValueRange a) {
        return arith::MaximumFOp::create(nb, loc, a[1], a[0]).getResult();
      });
  // sum over the split of rescale(lse_s, ref) * x_s.
  auto weightedSum = [&](Value x, Value ref, Value init, unsigned loops,
                         unsigned rank) {
    AffineMap xIn = mapSkipping(loops, rank, dim, true);
    AffineMap out = mapSkipping(loops, rank, dim, false);
    AffineMap rowS = mapSkipping(loops, rowRank, dim, true);
    AffineMap rowR = mapSkipping(loops, rowRank, dim, false);
    Type elem = cast<RankedTensorType>(init.getType()).getElementType();
    // Accumulate in f32, then convert.
    Value accInit = init;
    if (!elem.isF32())
      accInit = tensor::EmptyOp::create(
          b, loc, tensor::getMixedSizes(b, loc, init), b.getF32Type());
    accInit = linalg::FillOp::create(b, loc, ValueRange{f32(b, 0.0)},
                                     ValueRange{accInit})
                  .getResult(0);
    Value acc =
        generic({x, lse, ref}, {xIn, rowS, rowR}, accInit, loops, dim, out,
                [&](OpBuilder &nb, ValueRange a) {
                  Value w = buildRescale(nb, loc, a[1], a[2], base);
                  Value t = arith::MulFOp::create(nb, loc, w, toF32(nb, a[0]));
                  return arith::AddFOp::create(nb, loc, a[3], t).getResult();
                });
    if (elem.isF32())
      return acc;
    AffineMap id = b.getMultiDimIdentityMap(rank);
    return generic(
        {acc}, {id}, init, rank, std::nullopt, id,
        [&](OpBuilder &nb, ValueRange a) {
          return arith::TruncFOp::create(nb, loc, elem, a[0]).getResult();
        });
  };
  Value top;
  if (!unnorm) {
    // lse = m + log_b(sum_s base^(lse_s - m)).
    AffineMap rowS = mapSkipping(rowLoops, rowRank, dim, true);
    Value sumW =
        generic({lse, m}, {rowS, rowOut}, filledLike(rowInit, 0.0), rowLoops,
                dim, rowOut, [&](OpBuilder &nb, ValueRange a) {
                  Value w = buildRescale(nb, loc, a[0], a[1], base);
                  return arith::AddFOp::create(nb, loc, a[2], w).getResult();
                });
    AffineMap id = b.getMultiDimIdentityMap(rowRank);
    top = generic({m, sumW}, {id, id}, rowInit, rowRank, std::nullopt, id,
                  [&](OpBuilder &nb, ValueRange a) {
                    Value lg =
                        base == LseBase::two
                            ? math::Log2Op::create(nb, loc, a[1]).getResult()
                            : math::LogOp::create(nb, loc, a[1]).getResult();
                    return arith::AddFOp::create(nb, loc, a[0], lg).getResult();
                  });
  } else {
    top = m;
  }
  SmallVector<Value> results = {weightedSum(op.getValues()[0], top,
                                            op.getInits()[0], vLoops,
                                            rowRank + 1),
                                top};
  if (unnorm)
    results.push_back(
        weightedSum(op.getSums()[0], top, op.getInits()[2], rowLoops, rowRank));
  return results;
}

SmallVector<Value> StateMerger::run() {
  if (std::optional<int64_t> d = op.getDimension())
    return runSplit(*d);
  return runList();
}

FailureOr<SmallVector<Value>> MergeStatesOp::decomposeOperation(OpBuilder &b) {
  return StateMerger(*this, b).run();
}
