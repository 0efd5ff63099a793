//===- BlockSparseDecomposition.cpp - block-sparsity oracles ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Reference decompositions of `attn.block_scores` and `attn.select_blocks`
// into linalg on tensors: the executable semantics of docs/semantics.md.
// They favour the plainest formulas: the top-k selection is a rank count
// (O(Nk^2) per row) rather than a sort, so that tie-breaking is explicit.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/LinearAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

using Pred = arith::CmpIPredicate;

static void yield(OpBuilder &b, Location loc, Value v) {
  linalg::YieldOp::create(b, loc, ValueRange{v});
}

static Value toIndex(OpBuilder &b, Location loc, OpFoldResult ofr) {
  return getValueOrCreateConstantIndexOp(b, loc, ofr);
}

static Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

static Value cmp(OpBuilder &b, Location loc, Pred p, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, p, x, y);
}

static Value mul(OpBuilder &b, Location loc, Value x, int64_t c) {
  return arith::MulIOp::create(b, loc, x, cst(b, loc, c));
}

static Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}

static Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::SubIOp::create(b, loc, x, y);
}

static Value andI(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}

static Value orI(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::OrIOp::create(b, loc, x, y);
}

static Value boolConst(OpBuilder &b, Location loc, bool v) {
  return arith::ConstantIntOp::create(b, loc, v ? 1 : 0, 1);
}

static Value negInf(OpBuilder &b, Location loc) {
  return arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
}

/// max(x, 1): a divisor that is never 0 (the loops it sizes are then empty).
static Value atLeastOne(OpBuilder &b, Location loc, Value x) {
  return arith::MaxUIOp::create(b, loc, x, cst(b, loc, 1));
}

//===----------------------------------------------------------------------===//
// BlockScoresOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Value>> BlockScoresOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  LinalgBuilder lb(b, loc);
  AffineExpr d0 = lb.d(0), d1 = lb.d(1), d2 = lb.d(2), d3 = lb.d(3),
             d4 = lb.d(4), d5 = lb.d(5);
  Value query = getQuery(), key = getKey(), init = getInit();
  SmallVector<OpFoldResult> qs = tensor::getMixedSizes(b, loc, query);
  SmallVector<OpFoldResult> ks = tensor::getMixedSizes(b, loc, key);
  SmallVector<OpFoldResult> rs = tensor::getMixedSizes(b, loc, init);
  int64_t bk = getBlockSize(), bq = getQueryBlock();
  bool pooled = isPooled(), causal = getCausal(), norm = getNormalize();
  bool sumReduce = getReduce() == "sum";
  Value lq = toIndex(b, loc, qs[2]), lk = toIndex(b, loc, ks[2]);
  Value nk = toIndex(b, loc, rs[3]);
  Value lkv = pooled ? lk : mul(b, loc, nk, bk);
  Value hq = toIndex(b, loc, qs[1]);
  Value g = arith::DivUIOp::create(b, loc, hq,
                                   atLeastOne(b, loc, toIndex(b, loc, ks[1])));
  Value groupOut = arith::DivUIOp::create(
      b, loc, hq, atLeastOne(b, loc, toIndex(b, loc, rs[1])));

  // visible(i, n): n * bk <= i + Lkv - Lq, as n * bk + Lq <= i + Lkv.
  auto visible = [&](OpBuilder &nb, Location l, Value i, Value n) -> Value {
    if (!causal)
      return boolConst(nb, l, true);
    return cmp(nb, l, Pred::ule, add(nb, l, mul(nb, l, n, bk), lq),
               add(nb, l, i, lkv));
  };

  // Pooled keys Kp [B, Hkv, Nk, D] f32 (the keys themselves when
  // compressed); loops (b, h, n, d, r) with r over the keys of a block.
  Value kp = key;
  if (pooled) {
    bool isMax = getPooling() == "max";
    Value lkLast = sub(b, loc, lk, cst(b, loc, 1));
    Value acc =
        lb.filled({qs[0], ks[1], rs[3], qs[3]},
                  isMax ? -std::numeric_limits<double>::infinity() : 0.0);
    kp = lb.generic(
        {lb.empty({b.getIndexAttr(bk)}, lb.f32)}, acc,
        {lb.map(5, {d4}), lb.map(5, {d0, d1, d2, d3})},
        LinalgBuilder::iters(4, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value bi = linalg::IndexOp::create(nb, l, 0);
          Value hi = linalg::IndexOp::create(nb, l, 1);
          Value ni = linalg::IndexOp::create(nb, l, 2);
          Value di = linalg::IndexOp::create(nb, l, 3);
          Value ri = linalg::IndexOp::create(nb, l, 4);
          Value j = add(nb, l, mul(nb, l, ni, bk), ri);
          Value in = cmp(nb, l, Pred::ult, j, lk);
          // Clamped so that the read stays in bounds; its value is unused
          // past the last key.
          Value jc = arith::MinUIOp::create(nb, l, j, lkLast);
          Value x = castToF32(nb, l,
                              tensor::ExtractOp::create(
                                  nb, l, key, ValueRange{bi, hi, jc, di}));
          Value r = isMax
                        ? arith::MaximumFOp::create(nb, l, a[1], x).getResult()
                        : arith::AddFOp::create(nb, l, a[1], x).getResult();
          yield(nb, l, arith::SelectOp::create(nb, l, in, r, a[1]));
        });
    if (!isMax) {
      // Mean over the keys present: min(bk, Lk - n bk) of them.
      kp = lb.generic(
          {kp}, lb.empty({qs[0], ks[1], rs[3], qs[3]}, lb.f32),
          {lb.id(4), lb.id(4)}, LinalgBuilder::iters(4),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value ni = linalg::IndexOp::create(nb, l, 2);
            Value left = sub(nb, l, lk, mul(nb, l, ni, bk));
            Value count = arith::MinUIOp::create(nb, l, left, cst(nb, l, bk));
            Value ci =
                arith::IndexCastOp::create(nb, l, nb.getI64Type(), count);
            Value cf = arith::SIToFPOp::create(nb, l, nb.getF32Type(), ci);
            yield(nb, l, arith::DivFOp::create(nb, l, a[0], cf));
          });
    }
  }

  // The scale: the attribute or 1/sqrt(D).
  Value scale;
  if (FloatAttr s = getScaleAttr()) {
    scale = lb.f32Const(s.getValueAsDouble());
  } else if (std::optional<int64_t> d = getConstantIntValue(qs[3])) {
    scale = lb.f32Const(1.0 / std::sqrt(static_cast<double>(*d)));
  } else {
    Value di = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                          toIndex(b, loc, qs[3]));
    scale = math::RsqrtOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), di));
  }

  auto qT = getQueryType();
  bool matmulForm = qT.hasStaticShape() && getKeyType().hasStaticShape() &&
                    getResultType().hasStaticShape() &&
                    qT.getElementType().isF32() &&
                    !llvm::is_contained(qT.getShape(), 0) &&
                    !llvm::is_contained(getKeyType().getShape(), 0) &&
                    !llvm::is_contained(getResultType().getShape(), 0);
  // Raw scores summed over the heads of a GQA group (Hs = Hkv, no
  // normalisation) are linear in Q: sum the group's query heads first, so
  // the scores and the reduction run on Hkv heads instead of Hq
  // (visibility depends on the row, not the head).
  if (matmulForm && !norm && sumReduce &&
      getResultType().getDimSize(1) == getKeyType().getDimSize(1) &&
      qT.getDimSize(1) > getKeyType().getDimSize(1)) {
    int64_t gs = qT.getDimSize(1) / getKeyType().getDimSize(1);
    // (The empty [g] operand gives the loop over the group its extent.)
    query = lb.generic(
        {query, lb.empty({b.getIndexAttr(gs)}, lb.f32)},
        lb.filled({qs[0], ks[1], qs[2], qs[3]}, 0.0),
        {lb.map(5, {d0, d1 * gs + d4, d2, d3}), lb.map(5, {d4}),
         lb.map(5, {d0, d1, d2, d3})},
        LinalgBuilder::iters(4, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          yield(nb, l, arith::AddFOp::create(nb, l, a[2], a[0]));
        });
    qT = cast<RankedTensorType>(query.getType());
    qs = tensor::getMixedSizes(b, loc, query);
    groupOut = cst(b, loc, 1);
  }

  // Scaled scores S [B, Hq, Lq, Nk]; loops (b, h, i, n, d). With a static
  // group size the pooled keys are read through an `h floordiv g` map (the
  // form attn-vectorize-linalg vectorises), otherwise gathered.
  SmallVector<OpFoldResult> sSizes = {qs[0], qs[1], qs[2], rs[3]};
  std::optional<int64_t> hqStatic = getConstantIntValue(qs[1]);
  std::optional<int64_t> hkvStatic = getConstantIntValue(ks[1]);
  Value s;
  if (matmulForm) {
    // One linalg.batch_matmul per (batch, key head) over the g heads of its
    // group: Q [B, Hkv, g Lq, D] x Kp^T [B, Hkv, D, Nk], reshapes only (the
    // named op is what attn-vectorize-linalg register-tiles).
    int64_t B = qT.getDimSize(0), Hq = qT.getDimSize(1), Lq = qT.getDimSize(2),
            D = qT.getDimSize(3);
    int64_t Hkv = getKeyType().getDimSize(1),
            Nk = getResultType().getDimSize(3), gs = Hq / Hkv;
    auto f32T = [&](ArrayRef<int64_t> shape) {
      return RankedTensorType::get(shape, lb.f32);
    };
    Value kpT = lb.generic({kp}, lb.empty({qs[0], ks[1], qs[3], rs[3]}, lb.f32),
                           {lb.map(4, {d0, d1, d3, d2}), lb.id(4)},
                           LinalgBuilder::iters(4),
                           [&](OpBuilder &nb, Location l, ValueRange a) {
                             yield(nb, l, castToF32(nb, l, a[0]));
                           });
    Value q5 = tensor::ExpandShapeOp::create(
        b, loc, f32T({B, Hkv, gs, Lq, D}), query,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    Value q3 = tensor::CollapseShapeOp::create(
        b, loc, q5, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}});
    Value k3 = tensor::CollapseShapeOp::create(
        b, loc, kpT, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
    Value c3 = lb.filled(
        {b.getIndexAttr(B * Hkv), b.getIndexAttr(gs * Lq), b.getIndexAttr(Nk)},
        0.0);
    Value mm = linalg::BatchMatmulOp::create(b, loc, TypeRange{c3.getType()},
                                             ValueRange{q3, k3}, ValueRange{c3})
                   .getResult(0);
    Value s5 = tensor::ExpandShapeOp::create(
        b, loc, f32T({B, Hkv, gs, Lq, Nk}), mm,
        ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}});
    s = tensor::CollapseShapeOp::create(
        b, loc, s5, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  } else if (hqStatic && hkvStatic && *hkvStatic > 0) {
    int64_t gs = *hqStatic / *hkvStatic;
    s = lb.generic(
        {query, kp}, lb.filled(sSizes, 0.0),
        {lb.map(5, {d0, d1, d2, d4}), lb.map(5, {d0, d1.floorDiv(gs), d3, d4}),
         lb.map(5, {d0, d1, d2, d3})},
        LinalgBuilder::iters(4, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value prod = arith::MulFOp::create(nb, l, castToF32(nb, l, a[0]),
                                             castToF32(nb, l, a[1]));
          yield(nb, l, arith::AddFOp::create(nb, l, a[2], prod));
        });
  } else {
    s = lb.generic(
        {query}, lb.filled(sSizes, 0.0),
        {lb.map(5, {d0, d1, d2, d4}), lb.map(5, {d0, d1, d2, d3})},
        LinalgBuilder::iters(4, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value bi = linalg::IndexOp::create(nb, l, 0);
          Value hi = linalg::IndexOp::create(nb, l, 1);
          Value ni = linalg::IndexOp::create(nb, l, 3);
          Value di = linalg::IndexOp::create(nb, l, 4);
          Value kh = arith::DivUIOp::create(nb, l, hi, g);
          Value kv = castToF32(
              nb, l,
              tensor::ExtractOp::create(nb, l, kp, ValueRange{bi, kh, ni, di}));
          Value prod = arith::MulFOp::create(nb, l, castToF32(nb, l, a[0]), kv);
          yield(nb, l, arith::AddFOp::create(nb, l, a[1], prod));
        });
  }
  s = lb.generic({s}, lb.empty(sSizes, lb.f32), {lb.id(4), lb.id(4)},
                 LinalgBuilder::iters(4),
                 [&](OpBuilder &nb, Location l, ValueRange a) {
                   yield(nb, l, arith::MulFOp::create(nb, l, a[0], scale));
                 });

  // Normalised: p = exp(s - lse) (0 when lse = -inf), lse the operand or
  // the log-sum-exp over the visible blocks.
  Value p = s;
  if (norm) {
    SmallVector<OpFoldResult> rowSizes = {qs[0], qs[1], qs[2]};
    AffineMap row = lb.map(4, {d0, d1, d2});
    Value lse = getLse();
    if (!lse) {
      Value m = lb.generic(
          {s}, lb.filled(rowSizes, -std::numeric_limits<double>::infinity()),
          {lb.id(4), row}, LinalgBuilder::iters(3, 1),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value vis = visible(nb, l, linalg::IndexOp::create(nb, l, 2),
                                linalg::IndexOp::create(nb, l, 3));
            Value mx = arith::MaximumFOp::create(nb, l, a[0], a[1]);
            yield(nb, l, arith::SelectOp::create(nb, l, vis, mx, a[1]));
          });
      // The row maximum with -inf replaced by 0: no (-inf) - (-inf).
      Value sum = lb.generic(
          {s, m}, lb.filled(rowSizes, 0.0), {lb.id(4), row, row},
          LinalgBuilder::iters(3, 1),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value vis = visible(nb, l, linalg::IndexOp::create(nb, l, 2),
                                linalg::IndexOp::create(nb, l, 3));
            Value isInf = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, a[1], negInf(nb, l));
            Value mm =
                arith::SelectOp::create(nb, l, isInf, lb.f32Const(0.0), a[1]);
            Value e = math::ExpOp::create(
                nb, l, arith::SubFOp::create(nb, l, a[0], mm));
            Value r = arith::AddFOp::create(nb, l, a[2], e);
            yield(nb, l, arith::SelectOp::create(nb, l, vis, r, a[2]));
          });
      lse = lb.generic(
          {m, sum}, lb.empty(rowSizes, lb.f32), {lb.id(3), lb.id(3), lb.id(3)},
          LinalgBuilder::iters(3),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value isInf = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, a[0], negInf(nb, l));
            Value v = arith::AddFOp::create(nb, l, a[0],
                                            math::LogOp::create(nb, l, a[1]));
            yield(nb, l,
                  arith::SelectOp::create(nb, l, isInf, negInf(nb, l), v));
          });
    }
    p = lb.generic(
        {s, lse}, lb.empty(sSizes, lb.f32), {lb.id(4), row, lb.id(4)},
        LinalgBuilder::iters(4), [&](OpBuilder &nb, Location l, ValueRange a) {
          Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                              a[1], negInf(nb, l));
          Value e = math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
          yield(nb, l,
                arith::SelectOp::create(nb, l, isInf, lb.f32Const(0.0), e));
        });
  }

  // Reduction over the members (head h = s G + gh, row i = qb bq + r) that
  // see block n; loops (b, s, qb, n, gh, r).
  Value lqLast = sub(b, loc, lq, cst(b, loc, 1));
  Value red = lb.generic(
      {lb.empty({groupOut, b.getIndexAttr(bq)}, lb.f32)},
      lb.filled(rs, sumReduce ? 0.0 : -std::numeric_limits<double>::infinity()),
      {lb.map(6, {d4, d5}), lb.map(6, {d0, d1, d2, d3})},
      LinalgBuilder::iters(4, 2), [&](OpBuilder &nb, Location l, ValueRange a) {
        Value bi = linalg::IndexOp::create(nb, l, 0);
        Value si = linalg::IndexOp::create(nb, l, 1);
        Value qb = linalg::IndexOp::create(nb, l, 2);
        Value ni = linalg::IndexOp::create(nb, l, 3);
        Value gh = linalg::IndexOp::create(nb, l, 4);
        Value ri = linalg::IndexOp::create(nb, l, 5);
        Value h = add(nb, l, arith::MulIOp::create(nb, l, si, groupOut), gh);
        Value i = add(nb, l, mul(nb, l, qb, bq), ri);
        Value valid =
            andI(nb, l, cmp(nb, l, Pred::ult, i, lq), visible(nb, l, i, ni));
        Value ic = arith::MinUIOp::create(nb, l, i, lqLast);
        Value x =
            tensor::ExtractOp::create(nb, l, p, ValueRange{bi, h, ic, ni});
        Value r = sumReduce
                      ? arith::AddFOp::create(nb, l, a[1], x).getResult()
                      : arith::MaximumFOp::create(nb, l, a[1], x).getResult();
        yield(nb, l, arith::SelectOp::create(nb, l, valid, r, a[1]));
      });

  // -inf for the blocks the query block's last row does not see.
  Value result = lb.generic(
      {red}, init, {lb.id(4), lb.id(4)}, LinalgBuilder::iters(4),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value qb = linalg::IndexOp::create(nb, l, 2);
        Value ni = linalg::IndexOp::create(nb, l, 3);
        Value last = arith::MinUIOp::create(
            nb, l, add(nb, l, mul(nb, l, qb, bq), cst(nb, l, bq - 1)), lqLast);
        yield(nb, l,
              arith::SelectOp::create(nb, l, visible(nb, l, last, ni), a[0],
                                      negInf(nb, l)));
      });
  return SmallVector<Value>{result};
}

//===----------------------------------------------------------------------===//
// SelectBlocksOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Value>> SelectBlocksOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  LinalgBuilder lb(b, loc);
  AffineExpr d0 = lb.d(0), d1 = lb.d(1), d2 = lb.d(2), d3 = lb.d(3),
             d4 = lb.d(4);
  Value scores = getScores();
  SmallVector<OpFoldResult> ss = tensor::getMixedSizes(b, loc, scores);
  int64_t bk = getBlockSize(), bq = getQueryBlock(), k = getK();
  int64_t forcedFirst = getForcedFirst(), local = getLocal();
  bool causal = getCausal(), split = getSplit();
  Value nq = toIndex(b, loc, ss[2]), nk = toIndex(b, loc, ss[3]);
  Value lq = getLengths().empty() ? mul(b, loc, nq, bq) : getLengths()[0];
  Value lkv = getLengths().empty() ? mul(b, loc, nk, bk) : getLengths()[1];
  Value kEff = cst(b, loc, k);
  if (Value kd = getKDynamic()) {
    if (!kd.getType().isIndex())
      kd = arith::IndexCastOp::create(b, loc, b.getIndexType(), kd);
    kEff = arith::MaxSIOp::create(b, loc, cst(b, loc, 0),
                                  arith::MinSIOp::create(b, loc, kd, kEff));
  }
  Type i32 = b.getI32Type();

  // The aligned last row a(qb) = min((qb + 1) bq, Lq) - 1 + Lkv - Lq
  // (signed: negative when the block precedes every key).
  auto aligned = [&](OpBuilder &nb, Location l, Value qb) -> Value {
    Value end = arith::MinSIOp::create(
        nb, l, mul(nb, l, add(nb, l, qb, cst(nb, l, 1)), bq), lq);
    return sub(nb, l, add(nb, l, end, lkv), add(nb, l, lq, cst(nb, l, 1)));
  };
  auto visible = [&](OpBuilder &nb, Location l, Value a, Value n) -> Value {
    if (!causal)
      return boolConst(nb, l, true);
    return cmp(nb, l, Pred::sle, mul(nb, l, n, bk), a);
  };
  auto forced = [&](OpBuilder &nb, Location l, Value a, Value n) -> Value {
    Value f = cmp(nb, l, Pred::slt, n, cst(nb, l, forcedFirst));
    if (local > 0) {
      Value diag = arith::FloorDivSIOp::create(nb, l, a, cst(nb, l, bk));
      Value lo = sub(nb, l, diag, cst(nb, l, local));
      f = orI(nb, l, f,
              andI(nb, l, cmp(nb, l, Pred::sgt, n, lo),
                   cmp(nb, l, Pred::sle, n, diag)));
    }
    return f;
  };
  // Full: the causal mask keeps every key of block n for every row of qb.
  auto full = [&](OpBuilder &nb, Location l, Value qb, Value n) -> Value {
    if (!causal)
      return boolConst(nb, l, true);
    Value lastKey =
        sub(nb, l,
            arith::MinSIOp::create(
                nb, l, mul(nb, l, add(nb, l, n, cst(nb, l, 1)), bk), lkv),
            cst(nb, l, 1));
    Value first = sub(nb, l, add(nb, l, mul(nb, l, qb, bq), lkv), lq);
    return cmp(nb, l, Pred::sle, lastKey, first);
  };
  auto score = [&](OpBuilder &nb, Location l, Value x) -> Value {
    x = castToF32(nb, l, x);
    Value nan = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNO, x, x);
    return arith::SelectOp::create(nb, l, nan, negInf(nb, l), x);
  };
  auto i32Of = [&](OpBuilder &nb, Location l, Value v) -> Value {
    return arith::ExtUIOp::create(nb, l, i32, v);
  };
  auto zeros = [&](ArrayRef<OpFoldResult> sizes) {
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
    return linalg::FillOp::create(b, loc, ValueRange{zero},
                                  ValueRange{lb.empty(sizes, i32)})
        .getResult(0);
  };

  // rank[n] = #{visible m that precede n in the selection order}; loops
  // (b, h, qb, n, m).
  AffineMap atM = lb.map(5, {d0, d1, d2, d4}),
            atN = lb.map(5, {d0, d1, d2, d3});
  Value rank = lb.generic(
      {scores, scores}, zeros(ss), {atM, atN, atN}, LinalgBuilder::iters(4, 1),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value qb = linalg::IndexOp::create(nb, l, 2);
        Value n = linalg::IndexOp::create(nb, l, 3);
        Value m = linalg::IndexOp::create(nb, l, 4);
        Value al = aligned(nb, l, qb);
        Value sm = score(nb, l, a[0]), sn = score(nb, l, a[1]);
        Value fm = forced(nb, l, al, m), fn = forced(nb, l, al, n);
        Value higher =
            arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, sm, sn);
        Value tie = andI(
            nb, l,
            arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, sm, sn),
            cmp(nb, l, Pred::ult, m, n));
        Value sameForce = cmp(nb, l, Pred::eq, fm, fn);
        Value forceWins =
            andI(nb, l, fm,
                 arith::XOrIOp::create(nb, l, fn, boolConst(nb, l, true)));
        Value beats = orI(nb, l, forceWins,
                          andI(nb, l, sameForce, orI(nb, l, higher, tie)));
        Value c = andI(nb, l, visible(nb, l, al, m), beats);
        yield(nb, l, arith::AddIOp::create(nb, l, a[2], i32Of(nb, l, c)));
      });

  // With a threshold, an unforced block whose score is below the row's
  // visible maximum + t (or is -inf / NaN) gets rank k: never selected.
  // Passing blocks are a prefix of the unforced ones in the selection
  // order, so the ranks of the others stay as they are.
  if (FloatAttr t = getThresholdAttr()) {
    Type f32 = b.getF32Type();
    SmallVector<OpFoldResult> rowSizes(ss.begin(), ss.begin() + 3);
    Value rowMax = lb.generic(
        {scores},
        linalg::FillOp::create(b, loc, ValueRange{negInf(b, loc)},
                               ValueRange{lb.empty(rowSizes, f32)})
            .getResult(0),
        {lb.id(4), lb.map(4, {d0, d1, d2})}, LinalgBuilder::iters(3, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value qb = linalg::IndexOp::create(nb, l, 2);
          Value n = linalg::IndexOp::create(nb, l, 3);
          Value s = arith::SelectOp::create(
              nb, l, visible(nb, l, aligned(nb, l, qb), n), score(nb, l, a[0]),
              negInf(nb, l));
          yield(nb, l, arith::MaximumFOp::create(nb, l, a[1], s));
        });
    Value tv = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(static_cast<float>(t.getValueAsDouble())));
    Value never = arith::ConstantIntOp::create(b, loc, k, 32);
    rank = lb.generic(
        {scores, rowMax}, rank, {lb.id(4), lb.map(4, {d0, d1, d2}), lb.id(4)},
        LinalgBuilder::iters(4, 0),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value qb = linalg::IndexOp::create(nb, l, 2);
          Value n = linalg::IndexOp::create(nb, l, 3);
          Value s = score(nb, l, a[0]);
          Value bound = arith::AddFOp::create(nb, l, a[1], tv);
          Value pass = andI(
              nb, l,
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE, s, bound),
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, s,
                                    negInf(nb, l)));
          Value keep = orI(nb, l, forced(nb, l, aligned(nb, l, qb), n), pass);
          yield(nb, l, arith::SelectOp::create(nb, l, keep, a[2], never));
        });
  }

  // Selected and class (full or not, with `split`) of block n of row qb.
  auto selected = [&](OpBuilder &nb, Location l, Value qb, Value n,
                      Value r) -> Value {
    Value ri = arith::IndexCastOp::create(nb, l, nb.getIndexType(), r);
    return andI(nb, l, visible(nb, l, aligned(nb, l, qb), n),
                cmp(nb, l, Pred::slt, ri, kEff));
  };
  auto cls = [&](OpBuilder &nb, Location l, Value qb, Value n) -> Value {
    return split ? full(nb, l, qb, n) : boolConst(nb, l, false);
  };

  // pos[n] = #{selected m < n of the same class}; loops (b, h, qb, n, m).
  Value pos = lb.generic(
      {rank}, zeros(ss), {atM, atN}, LinalgBuilder::iters(4, 1),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value qb = linalg::IndexOp::create(nb, l, 2);
        Value n = linalg::IndexOp::create(nb, l, 3);
        Value m = linalg::IndexOp::create(nb, l, 4);
        Value c = andI(
            nb, l, cmp(nb, l, Pred::ult, m, n),
            andI(nb, l, selected(nb, l, qb, m, a[0]),
                 cmp(nb, l, Pred::eq, cls(nb, l, qb, m), cls(nb, l, qb, n))));
        yield(nb, l, arith::AddIOp::create(nb, l, a[1], i32Of(nb, l, c)));
      });

  // Counts and padded lists of one class.
  auto buildClass = [&](bool fullClass, Value countInit,
                        Value listInit) -> std::pair<Value, Value> {
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
    Value minusOne = arith::ConstantIntOp::create(b, loc, -1, 32);
    auto inClass = [&](OpBuilder &nb, Location l, Value qb, Value n,
                       Value r) -> Value {
      Value c = cls(nb, l, qb, n);
      if (!fullClass)
        c = arith::XOrIOp::create(nb, l, c, boolConst(nb, l, true));
      return andI(nb, l, selected(nb, l, qb, n, r), c);
    };
    Value counts = lb.generic(
        {rank},
        linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{countInit})
            .getResult(0),
        {lb.id(4), lb.map(4, {d0, d1, d2})}, LinalgBuilder::iters(3, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value c = inClass(nb, l, linalg::IndexOp::create(nb, l, 2),
                            linalg::IndexOp::create(nb, l, 3), a[0]);
          yield(nb, l, arith::AddIOp::create(nb, l, a[1], i32Of(nb, l, c)));
        });
    // Loops (b, h, qb, t, n).
    Value list = lb.generic(
        {rank, pos},
        linalg::FillOp::create(b, loc, ValueRange{minusOne},
                               ValueRange{listInit})
            .getResult(0),
        {atM, atM, atN}, LinalgBuilder::iters(4, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value qb = linalg::IndexOp::create(nb, l, 2);
          Value t = linalg::IndexOp::create(nb, l, 3);
          Value n = linalg::IndexOp::create(nb, l, 4);
          Value ti = arith::IndexCastOp::create(nb, l, i32, t);
          Value hit = andI(nb, l, inClass(nb, l, qb, n, a[0]),
                           cmp(nb, l, Pred::eq, a[1], ti));
          Value ni = arith::IndexCastOp::create(nb, l, i32, n);
          yield(nb, l, arith::SelectOp::create(nb, l, hit, ni, a[2]));
        });
    return {counts, list};
  };

  SmallVector<Value> results;
  auto [counts, list] = buildClass(false, getInits()[0], getInits()[1]);
  results.push_back(counts);
  results.push_back(list);
  if (split) {
    auto [fullCounts, fullList] =
        buildClass(true, getInits()[2], getInits()[3]);
    results.push_back(fullCounts);
    results.push_back(fullList);
  }
  return results;
}
