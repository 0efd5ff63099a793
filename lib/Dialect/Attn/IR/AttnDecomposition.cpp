//===- AttnDecomposition.cpp - reference decomposition ----------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The reference semantics of `attn.attention`: a decomposition into
// linalg.generic ops on tensors that materialises the [B, Hq, Lq, Lkv] score
// tensor. It is the oracle every faster lowering is checked against, so it
// favours the plainest formulation of each formula in the op description.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Score semantics shared by every lowering
//===----------------------------------------------------------------------===//

Value mlir::attn::castToF32(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Type f = b.getF32Type();
  if (t == f)
    return x;
  if (t.getIntOrFloatBitWidth() < 32)
    return arith::ExtFOp::create(b, loc, f, x);
  return arith::TruncFOp::create(b, loc, f, x);
}

Value mlir::attn::buildScale(OpBuilder &b, Location loc, AttentionOp op,
                             Value dqk) {
  if (std::optional<double> st = op.getStaticScale())
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(*st));
  Value di = arith::IndexCastOp::create(b, loc, b.getI64Type(), dqk);
  Value df = arith::SIToFPOp::create(b, loc, b.getF32Type(), di);
  return math::RsqrtOp::create(b, loc, df);
}

Value mlir::attn::inlineModRegion(OpBuilder &b, Region &region,
                                  ValueRange args) {
  IRMapping mapping;
  Block &block = region.front();
  mapping.map(block.getArguments(), args);
  for (Operation &o : block.without_terminator())
    b.clone(o, mapping);
  auto yield = cast<YieldOp>(block.getTerminator());
  return mapping.lookupOrDefault(yield.getValues()[0]);
}

TileCoordinates mlir::attn::getTileCoordinates(OpBuilder &b, Location loc,
                                              AttentionOp op) {
  TileCoordinates c;
  if (op.hasTileCoordinates()) {
    c.isTile = true;
    c.b0 = op.getOffsets()[0];
    c.h0 = op.getOffsets()[1];
    c.q0 = op.getOffsets()[2];
    c.kv0 = op.getOffsets()[3];
    c.qLen = op.getExtents()[0];
    c.kvLen = op.getExtents()[1];
    c.group = op.getExtents()[2];
    return c;
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  c.b0 = c.h0 = c.q0 = c.kv0 = zero;
  c.qLen = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, op.getQuery(), 2));
  c.kvLen =
      getValueOrCreateConstantIndexOp(b, loc, op.getMixedKVLength(b, loc));
  if (std::optional<int64_t> g = op.getStaticGroupSize()) {
    c.group = arith::ConstantIndexOp::create(b, loc, *g);
  } else {
    Value hq = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, op.getQuery(), 1));
    Value hkv =
        getValueOrCreateConstantIndexOp(b, loc, op.getMixedKVHeads(b, loc));
    c.group = arith::DivUIOp::create(b, loc, hq, hkv);
  }
  return c;
}

SmallVector<Value> mlir::attn::buildGlobalIndices(OpBuilder &b, Location loc,
                                                  const TileCoordinates &c,
                                                  ValueRange local) {
  if (!c.isTile)
    return llvm::to_vector(local);
  SmallVector<Value> global;
  SmallVector<Value> offsets = {c.b0, c.h0, c.q0, c.kv0};
  for (auto [x, off] : llvm::zip(local, offsets))
    global.push_back(arith::AddIOp::create(b, loc, x, off));
  return global;
}

Value mlir::attn::buildLocalKVHead(OpBuilder &b, Location loc,
                                   const TileCoordinates &c, Value group,
                                   Value h) {
  if (!c.isTile)
    return arith::DivUIOp::create(b, loc, h, group);
  Value global = arith::AddIOp::create(b, loc, c.h0, h);
  Value kvGlobal = arith::DivUIOp::create(b, loc, global, group);
  Value kvOffset = arith::DivUIOp::create(b, loc, c.h0, group);
  return arith::SubIOp::create(b, loc, kvGlobal, kvOffset);
}

Value mlir::attn::buildScore(OpBuilder &b, Location loc, AttentionOp op,
                             Value dot, Value scale, ValueRange idx,
                             const ScoreOperands &in,
                             bool applyStructuredMasks, bool applyMaskMod) {
  Value v = arith::MulFOp::create(b, loc, dot, scale);
  if (FloatAttr capAttr = op.getSoftcapAttr()) {
    Value cap = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(capAttr.getValueAsDouble()));
    Value t =
        math::TanhOp::create(b, loc, arith::DivFOp::create(b, loc, v, cap));
    v = arith::MulFOp::create(b, loc, cap, t);
  }
  if (!op.getScoreMod().empty())
    v = inlineModRegion(b, op.getScoreMod(),
                        {v, idx[0], idx[1], idx[2], idx[3]});
  Value keep;
  auto andKeep = [&](Value c) {
    keep = keep ? arith::AndIOp::create(b, loc, keep, c).getResult() : c;
  };
  if (in.mask) {
    if (in.mask.getType().isInteger(1))
      andKeep(in.mask);
    else
      v = arith::AddFOp::create(b, loc, v, castToF32(b, loc, in.mask));
  }
  if (op.getQLengths())
    andKeep(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx[2],
                                  in.qLen));
  if (op.getKvLengths())
    andKeep(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx[3],
                                  in.kvLen));
  SmallVector<StructuredMaskAttrInterface> terms = op.getMaskTerms();
  if (applyStructuredMasks && !terms.empty()) {
    Value off = arith::SubIOp::create(b, loc, in.kvLen, in.qLen);
    Value aligned = arith::AddIOp::create(b, loc, idx[2], off);
    for (StructuredMaskAttrInterface t : terms)
      andKeep(t.buildPredicate(b, loc, aligned, idx[3]));
  }
  if (in.qSegment)
    andKeep(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                  in.qSegment, in.kvSegment));
  if (in.blockKeep)
    andKeep(in.blockKeep);
  if (applyMaskMod && !op.getMaskMod().empty())
    andKeep(inlineModRegion(b, op.getMaskMod(), idx));
  if (keep) {
    Value negInf = arith::ConstantOp::create(
        b, loc,
        b.getF32FloatAttr(-std::numeric_limits<double>::infinity()));
    v = arith::SelectOp::create(b, loc, keep, v, negInf);
  }
  return v;
}

//===----------------------------------------------------------------------===//
// Reference decomposition
//===----------------------------------------------------------------------===//

static void yieldValue(OpBuilder &b, Location loc, Value v) {
  linalg::YieldOp::create(b, loc, ValueRange{v});
}

namespace {
using IterTy = utils::IteratorType;
using BodyFn = function_ref<void(OpBuilder &, Location, ValueRange)>;

/// Small builder for the generics of the decomposition.
struct Decomposer {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  Type f32;
  // Sizes of the problem.
  OpFoldResult B, Hq, Lq, D, Lkv, Dv;
  /// Hq / Hkv: static when known (and the op has no tile coordinates),
  /// otherwise `groupVal` holds the group size of the whole problem.
  std::optional<int64_t> group;
  Value groupVal;
  /// Tile coordinates (docs/semantics.md): offsets of b, h, q, kv and the
  /// problem's Lq and Lkv; zeros and the op's own lengths without them.
  TileCoordinates coords;

  Decomposer(AttentionOp op, OpBuilder &b)
      : op(op), b(b), loc(op.getLoc()), ctx(op.getContext()),
        f32(b.getF32Type()) {}

  AffineExpr d(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> results) {
    return AffineMap::get(numDims, 0, results, ctx);
  }

  Value f32Const(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  static Value f32Const(OpBuilder &nb, Location l, double v) {
    return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
  }
  static Value negInf(OpBuilder &nb, Location l) {
    return f32Const(nb, l, -std::numeric_limits<double>::infinity());
  }

  Value empty(ArrayRef<OpFoldResult> sizes, Type elem) {
    return tensor::EmptyOp::create(b, loc, sizes, elem);
  }
  Value filled(ArrayRef<OpFoldResult> sizes, double v) {
    Value e = empty(sizes, f32);
    return linalg::FillOp::create(b, loc, ValueRange{f32Const(v)},
                                  ValueRange{e})
        .getResult(0);
  }

  Value generic(ValueRange ins, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<IterTy> iters, BodyFn body) {
    return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ins,
                                     ValueRange{init}, maps, iters, body)
        .getResult(0);
  }

  /// Reads K or V for query head `h` of the loop nest (`dims` gives the loop
  /// dims of b, h, the sequence position and the feature). With a static group
  /// size the tensor is an input through a `h floordiv g` map; otherwise it is
  /// gathered in the body with tensor.extract.
  bool kvIsInput() const { return group.has_value(); }
  AffineMap kvMap(unsigned numDims, unsigned bd, unsigned hd, unsigned ld,
                  unsigned fd) {
    return map(numDims, {d(bd), d(hd).floorDiv(*group), d(ld), d(fd)});
  }
  static Value gatherKV(OpBuilder &nb, Location l, Value t,
                        const TileCoordinates &c, Value grp, unsigned bd,
                        unsigned hd, unsigned ld, unsigned fd) {
    Value bi = linalg::IndexOp::create(nb, l, bd);
    Value hi = linalg::IndexOp::create(nb, l, hd);
    Value li = linalg::IndexOp::create(nb, l, ld);
    Value fi = linalg::IndexOp::create(nb, l, fd);
    Value hk = buildLocalKVHead(nb, l, c, grp, hi);
    return tensor::ExtractOp::create(nb, l, t, ValueRange{bi, hk, li, fi});
  }

  FailureOr<SmallVector<Value>> run();
  Value scores();
  Value maskedScores(Value s);
  Value weightedValues(Value p);
};
} // namespace

/// S[b,h,i,j] = sum_d Q[b,h,i,d] * K[b,h/g,j,d], in f32.
Value Decomposer::scores() {
  Value q = op.getQuery(), k = op.getKey();
  SmallVector<AffineMap> maps = {map(5, {d(0), d(1), d(2), d(4)})};
  SmallVector<Value> ins = {q};
  if (kvIsInput()) {
    maps.push_back(kvMap(5, 0, 1, 3, 4));
    ins.push_back(k);
  }
  maps.push_back(map(5, {d(0), d(1), d(2), d(3)}));
  Value init = filled({B, Hq, Lq, Lkv}, 0.0);
  Value grp = groupVal;
  bool kIn = kvIsInput();
  return generic(
      ins, init, maps,
      {IterTy::parallel, IterTy::parallel, IterTy::parallel, IterTy::parallel,
       IterTy::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value kv = kIn ? args[1] : gatherKV(nb, l, k, coords, grp, 0, 1, 3, 4);
        Value prod = arith::MulFOp::create(nb, l, castToF32(nb, l, args[0]),
                                           castToF32(nb, l, kv));
        Value acc = arith::AddFOp::create(nb, l, args.back(), prod);
        yieldValue(nb, l, acc);
      });
}

/// Applies scale, softcap, score_mod, the additive mask and every keep
/// predicate; masked scores become -inf.
Value Decomposer::maskedScores(Value s) {
  Value scale =
      buildScale(b, loc, op, getValueOrCreateConstantIndexOp(b, loc, D));
  Value lqVal = coords.qLen, lkvVal = coords.kvLen;

  AffineMap id4 = b.getMultiDimIdentityMap(4);
  SmallVector<Value> ins = {s};
  SmallVector<AffineMap> maps = {id4};
  int maskIdx = -1, qlIdx = -1, kvlIdx = -1, qsIdx = -1;
  if (Value m = op.getMask()) {
    auto mT = cast<RankedTensorType>(m.getType());
    unsigned lead = 4 - mT.getRank();
    SmallVector<AffineExpr> res;
    for (unsigned i = 0; i < mT.getRank(); ++i)
      res.push_back(mT.getDimSize(i) == 1 ? getAffineConstantExpr(0, ctx)
                                          : d(lead + i));
    maskIdx = ins.size();
    ins.push_back(m);
    maps.push_back(map(4, res));
  }
  if (Value ql = op.getQLengths()) {
    qlIdx = ins.size();
    ins.push_back(ql);
    maps.push_back(map(4, {d(0)}));
  }
  if (Value kl = op.getKvLengths()) {
    kvlIdx = ins.size();
    ins.push_back(kl);
    maps.push_back(map(4, {d(0)}));
  }
  if (Value qs = op.getQSegmentIds()) {
    qsIdx = ins.size();
    ins.push_back(qs);
    maps.push_back(map(4, {d(0), d(2)}));
    ins.push_back(op.getKvSegmentIds());
    maps.push_back(map(4, {d(0), d(3)}));
  }
  maps.push_back(id4);
  // Key-block lists: the keep table of the whole problem's blocks, read
  // with global indices.
  Value keepTable;
  if (op.hasKeyBlockLists()) {
    Value skv = arith::ConstantIndexOp::create(b, loc, *op.getKvBlockSize());
    keepTable = buildKeyBlockKeepTable(
        b, loc, op, arith::CeilDivUIOp::create(b, loc, coords.kvLen, skv));
  }
  Value init = empty({B, Hq, Lq, Lkv}, f32);
  return generic(
      ins, init, maps, SmallVector<IterTy>(4, IterTy::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> idx;
        for (unsigned i = 0; i < 4; ++i)
          idx.push_back(linalg::IndexOp::create(nb, l, i));
        idx = buildGlobalIndices(nb, l, coords, idx);
        auto toIndex = [&](Value x) -> Value {
          return arith::IndexCastOp::create(nb, l, nb.getIndexType(), x);
        };
        ScoreOperands in;
        if (maskIdx >= 0)
          in.mask = args[maskIdx];
        in.qLen = qlIdx >= 0 ? toIndex(args[qlIdx]) : lqVal;
        in.kvLen = kvlIdx >= 0 ? toIndex(args[kvlIdx]) : lkvVal;
        if (qsIdx >= 0) {
          in.qSegment = args[qsIdx];
          in.kvSegment = args[qsIdx + 1];
        }
        if (keepTable) {
          KeyBlockListRow row = buildKeyBlockListRow(
              nb, l, op, idx[0], idx[1], idx[2], coords.group);
          Value kb = arith::DivUIOp::create(
              nb, l, idx[3],
              arith::ConstantIndexOp::create(nb, l, *op.getKvBlockSize()));
          in.blockKeep = tensor::ExtractOp::create(
              nb, l, keepTable, ValueRange{row.b, row.h, row.q, kb});
        }
        yieldValue(nb, l,
                   buildScore(nb, l, op, args[0], scale, idx, in,
                              /*applyStructuredMasks=*/true));
      });
}

/// acc[b,h,i,e] = sum_j P[b,h,i,j] * V[b,kv(h),j,e]; loops (b,h,i,e,j).
Value Decomposer::weightedValues(Value p) {
  Value v = op.getValue();
  SmallVector<Value> ins = {p};
  SmallVector<AffineMap> maps = {map(5, {d(0), d(1), d(2), d(4)})};
  if (kvIsInput()) {
    ins.push_back(v);
    maps.push_back(kvMap(5, 0, 1, 4, 3));
  }
  maps.push_back(map(5, {d(0), d(1), d(2), d(3)}));
  Value grp = groupVal;
  bool vIn = kvIsInput();
  return generic(
      ins, filled({B, Hq, Lq, Dv}, 0.0), maps,
      {IterTy::parallel, IterTy::parallel, IterTy::parallel, IterTy::parallel,
       IterTy::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value vv = vIn ? args[1] : gatherKV(nb, l, v, coords, grp, 0, 1, 4, 3);
        Value prod =
            arith::MulFOp::create(nb, l, args[0], castToF32(nb, l, vv));
        yieldValue(nb, l, arith::AddFOp::create(nb, l, args.back(), prod));
      });
}

FailureOr<SmallVector<Value>> Decomposer::run() {
  // A statically empty output (zero batch, query heads, query length or
  // value head dim) has nothing to compute: its destinations are the
  // results. The loops below would divide by a group size of 0 for Hq = 0.
  if (llvm::any_of(op->getResultTypes(), [](Type t) {
        return llvm::is_contained(cast<RankedTensorType>(t).getShape(), 0);
      }))
    return SmallVector<Value>(op.getInits());
  SmallVector<OpFoldResult> q = tensor::getMixedSizes(b, loc, op.getQuery());
  B = q[0];
  Hq = q[1];
  Lq = q[2];
  D = q[3];
  Lkv = tensor::getMixedSize(b, loc, op.getKey(), 2);
  Dv = tensor::getMixedSize(b, loc, op.getValue(), 3);
  coords = getTileCoordinates(b, loc, op);
  group = op.getStaticGroupSize();
  if (!group)
    groupVal = coords.group;

  Value s = maskedScores(scores());

  AffineMap id4 = b.getMultiDimIdentityMap(4);
  AffineMap row4 = map(4, {d(0), d(1), d(2)});
  AffineMap id3 = b.getMultiDimIdentityMap(3);
  SmallVector<IterTy> par3(3, IterTy::parallel), par4(4, IterTy::parallel);
  SmallVector<IterTy> rowRed = {IterTy::parallel, IterTy::parallel,
                                IterTy::parallel, IterTy::reduction};
  auto rowReduce = [&](Value x, double initV, bool isMax) {
    return generic({x}, filled({B, Hq, Lq}, initV), {id4, row4}, rowRed,
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     Value r =
                         isMax ? arith::MaximumFOp::create(nb, l, args[1],
                                                           args[0])
                                     .getResult()
                               : arith::AddFOp::create(nb, l, args[1], args[0])
                                     .getResult();
                     yieldValue(nb, l, r);
                   });
  };
  // A [B, Hq, Lq] map of the row tensors `rows`.
  auto rowMap = [&](ValueRange rows, Value init,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
    SmallVector<AffineMap> maps(rows.size() + 1, id3);
    return generic(rows, init ? init : empty({B, Hq, Lq}, f32), maps, par3,
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     yieldValue(nb, l, fn(nb, l, args.drop_back()));
                   });
  };

  Normalizer norm = op.getNormalizer();
  bool partial = op.getPartial();
  std::optional<double> bias;
  if (FloatAttr a = op.getSigmoidBiasAttr())
    bias = a.getValueAsDouble();

  // The state's maximum after this op's keys (NormalizerAlgebra.h).
  Value mRow = rowReduce(s, -std::numeric_limits<double>::infinity(), true);
  Value mNew =
      partial
          ? rowMap({op.getInits()[1], mRow}, op.getInits()[1],
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     return buildMaxUpdate(nb, l, norm, a[0], a[1]);
                   })
          : rowMap({mRow}, Value(), [&](OpBuilder &nb, Location l,
                                        ValueRange a) {
              Value identity = buildF32Constant(nb, l, getIdentityMax(norm));
              return buildMaxUpdate(nb, l, norm, identity, a[0]);
            });

  // Weights and their sum terms, shifted by the new maximum.
  Value wInit = empty({B, Hq, Lq, Lkv}, f32);
  auto weights = linalg::GenericOp::create(
      b, loc, TypeRange{wInit.getType(), wInit.getType()}, ValueRange{s, mNew},
      ValueRange{wInit, empty({B, Hq, Lq, Lkv}, f32)},
      ArrayRef<AffineMap>{id4, row4, id4, id4}, par4,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value shift = buildSafeShift(nb, l, args[1]);
        auto [w, t] = buildWeight(nb, l, norm, args[0], shift, bias);
        linalg::YieldOp::create(nb, l, ValueRange{w, t});
      });
  Value p = weights.getResult(0);
  Value sum = rowReduce(weights.getResult(1), 0.0, false);
  Value acc = weightedValues(p);

  if (partial) {
    // Combine with the init state: both rescaled to the new maximum.
    Value alpha = rowMap({op.getInits()[1], mNew}, Value(),
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return buildRescale(nb, l, a[0], a[1]);
                         });
    Value sumNew = rowMap({op.getInits()[2], alpha, sum}, op.getInits()[2],
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            Value r = arith::MulFOp::create(nb, l, a[0], a[1]);
                            return arith::AddFOp::create(nb, l, r, a[2])
                                .getResult();
                          });
    Value accNew = generic(
        {op.getInits()[0], alpha, acc}, op.getInits()[0], {id4, row4, id4, id4},
        par4, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value r = arith::MulFOp::create(nb, l, a[0], a[1]);
          yieldValue(nb, l, arith::AddFOp::create(nb, l, r, a[2]));
        });
    return SmallVector<Value>{accNew, mNew, sumNew};
  }

  SmallVector<Operation *> created;
  return buildFinalizedResults(b, loc, op, acc, mNew, sum, created);
}

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &b) {
  if (!isPaged())
    return Decomposer(*this, b).run();
  // Paged: gather K/V through the table, decompose the contiguous op that
  // reads them, then drop that intermediate op.
  AttentionOp gathered = buildGatheredAttention(b, *this);
  FailureOr<SmallVector<Value>> repl = Decomposer(gathered, b).run();
  if (auto *listener =
          dyn_cast_if_present<RewriterBase::Listener>(b.getListener()))
    listener->notifyOperationErased(gathered);
  gathered->erase();
  return repl;
}

SmallVector<Value> mlir::attn::buildFinalizedResults(
    OpBuilder &b, Location loc, AttentionOp op, Value acc, Value max, Value sum,
    SmallVectorImpl<Operation *> &created) {
  MLIRContext *ctx = b.getContext();
  Normalizer norm = op.getNormalizer();
  Value sinks = op.getSinks();
  SmallVector<OpFoldResult> rowShape = tensor::getMixedSizes(b, loc, max);
  Type f32 = b.getF32Type();
  AffineMap id3 = b.getMultiDimIdentityMap(3), id4 = b.getMultiDimIdentityMap(4);
  AffineMap row4 = AffineMap::getMultiDimIdentityMap(4, ctx).getMajorSubMap(3);
  SmallVector<utils::IteratorType> par3(3, utils::IteratorType::parallel),
      par4(4, utils::IteratorType::parallel);

  // Per row: the output scale and, for softmax, the log-sum-exp.
  SmallVector<Value> ins = {max, sum};
  SmallVector<AffineMap> maps = {id3, id3};
  if (sinks) {
    ins.push_back(sinks);
    maps.push_back(AffineMap::get(3, 0, {b.getAffineDimExpr(1)}, ctx));
  }
  Value lseInit = op.getLse() ? op.getInits()[1]
                              : tensor::EmptyOp::create(b, loc, rowShape, f32)
                                    .getResult();
  maps.append({id3, id3});
  Value scaleInit = tensor::EmptyOp::create(b, loc, rowShape, f32);
  auto fin = linalg::GenericOp::create(
      b, loc, TypeRange{scaleInit.getType(), lseInit.getType()}, ins,
      ValueRange{scaleInit, lseInit}, maps, par3,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value sink = sinks ? castToF32(nb, l, args[2]) : Value();
        RowFinalization f =
            buildRowFinalization(nb, l, norm, args[0], args[1], sink);
        Value lse = f.lse ? f.lse : args.back();
        linalg::YieldOp::create(nb, l, ValueRange{f.outScale, lse});
      });
  created.push_back(fin);

  // O = acc * outScale in the output element type, into the output init.
  Value outInit = op.getInits()[0];
  Type oElem = cast<RankedTensorType>(outInit.getType()).getElementType();
  auto out = linalg::GenericOp::create(
      b, loc, TypeRange{outInit.getType()}, ValueRange{acc, fin.getResult(0)},
      ValueRange{outInit}, ArrayRef<AffineMap>{id4, row4, id4}, par4,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value o = arith::MulFOp::create(nb, l, args[0], args[1]);
        if (oElem != o.getType())
          o = arith::TruncFOp::create(nb, l, oElem, o);
        linalg::YieldOp::create(nb, l, ValueRange{o});
      });
  created.push_back(out);
  SmallVector<Value> results = {out.getResult(0)};
  if (op.getLse())
    results.push_back(fin.getResult(1));
  return results;
}
