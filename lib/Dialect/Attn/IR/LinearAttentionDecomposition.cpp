//===- LinearAttentionDecomposition.cpp - linear attention oracle -*- C++
//-*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The building blocks shared by every form of `attn.linear_attention`
// (prepared operands, finalisation) and its reference decomposition: the
// parallel (quadratic) form, which materialises the [B, Hq, L, L] matrix of
// decayed, masked q.k products. It is the oracle the chunked and recurrent
// forms are checked against, so it favours the plainest formulas.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/LinearAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// LinalgBuilder
//===----------------------------------------------------------------------===//

Value LinalgBuilder::f32Const(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value LinalgBuilder::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value LinalgBuilder::empty(ArrayRef<OpFoldResult> sizes, Type elem) {
  return tensor::EmptyOp::create(b, loc, sizes, elem);
}

Value LinalgBuilder::filled(ArrayRef<OpFoldResult> sizes, double v) {
  return linalg::FillOp::create(b, loc, ValueRange{f32Const(v)},
                                ValueRange{empty(sizes, f32)})
      .getResult(0);
}

Value LinalgBuilder::generic(ValueRange ins, Value init,
                             ArrayRef<AffineMap> maps, ArrayRef<IterTy> its,
                             BodyFn body) {
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, ins,
                                   ValueRange{init}, maps, its, body)
      .getResult(0);
}

SmallVector<LinalgBuilder::IterTy> LinalgBuilder::iters(unsigned n,
                                                        unsigned r) {
  SmallVector<IterTy> its(n, IterTy::parallel);
  its.append(r, IterTy::reduction);
  return its;
}

static void yield(OpBuilder &b, Location loc, Value v) {
  linalg::YieldOp::create(b, loc, ValueRange{v});
}

//===----------------------------------------------------------------------===//
// Prepared operands and finalisation
//===----------------------------------------------------------------------===//

Value mlir::attn::buildFeatureMap(OpBuilder &b, Location loc, FeatureMap fm,
                                  Value x) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  switch (fm) {
  case FeatureMap::identity:
    return x;
  case FeatureMap::relu:
    return arith::MaximumFOp::create(b, loc, x, zero);
  case FeatureMap::elu1: {
    Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0));
    Value pos =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    // exp of min(x, 0): the unused branch never overflows.
    Value neg =
        math::ExpOp::create(b, loc, arith::MinimumFOp::create(b, loc, x, zero));
    Value p = arith::AddFOp::create(b, loc, x, one);
    return arith::SelectOp::create(b, loc, pos, p, neg);
  }
  }
  llvm_unreachable("unknown feature map");
}

bool mlir::attn::hasFeatureMap(LinearAttentionOp op, Region &mod) {
  return !mod.empty() || op.getFeatureMap() != FeatureMap::identity;
}

Value mlir::attn::applyFeatureMap(OpBuilder &b, Location loc,
                                  LinearAttentionOp op, Region &mod, Value x,
                                  function_ref<SmallVector<Value>()> indices) {
  if (mod.empty())
    return buildFeatureMap(b, loc, op.getFeatureMap(), x);
  SmallVector<Value> args = {x};
  llvm::append_range(args, indices());
  return inlineModRegion(b, mod, args);
}

std::optional<SmallVector<Value>>
mlir::attn::buildTrivialLinearAttention(OpBuilder &b, LinearAttentionOp op) {
  ArrayRef<int64_t> q = op.getQueryType().getShape();
  int64_t dv = op.getValueType().getDimSize(3);
  if (!(q[0] == 0 || q[1] == 0 || q[2] == 0 || q[3] == 0 ||
        (dv == 0 && !op.getNormalize())))
    return std::nullopt;
  // No token (the final states are the initial ones), no batch row or head,
  // or Dk = 0 (every q.S is 0). Slices of statically empty dimensions are
  // not even valid IR, so nothing below builds one.
  Location loc = op.getLoc();
  auto isEmpty = [](Value v) {
    return llvm::is_contained(cast<RankedTensorType>(v.getType()).getShape(),
                              0);
  };
  SmallVector<Value> results;
  for (auto [i, init] : llvm::enumerate(op.getInits())) {
    if (isEmpty(init)) {
      results.push_back(init);
      continue;
    }
    Value src = i == 1 ? op.getInitialS() : i == 2 ? op.getInitialZ() : Value();
    if (src) {
      results.push_back(linalg::CopyOp::create(b, loc, src, init).getResult(0));
      continue;
    }
    Type elem = cast<RankedTensorType>(init.getType()).getElementType();
    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(elem, 0.0));
    results.push_back(
        linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
            .getResult(0));
  }
  return results;
}

LinearAttentionInputs mlir::attn::prepareLinearAttention(OpBuilder &b,
                                                         LinearAttentionOp op) {
  Location loc = op.getLoc();
  LinalgBuilder lb(b, loc);
  LinearAttentionInputs in;
  SmallVector<OpFoldResult> qs = tensor::getMixedSizes(b, loc, op.getQuery());
  in.B = qs[0];
  in.H = qs[1];
  in.L = qs[2];
  in.Dk = qs[3];
  in.Dv = tensor::getMixedSize(b, loc, op.getValue(), 3);
  bool norm = op.getNormalize();
  in.DvAug = in.Dv;
  if (norm) {
    if (std::optional<int64_t> st = getConstantIntValue(in.Dv))
      in.DvAug = b.getIndexAttr(*st + 1);
    else
      in.DvAug = arith::AddIOp::create(
                     b, loc, getValueOrCreateConstantIndexOp(b, loc, in.Dv),
                     lb.index(1))
                     .getResult();
  }

  // The scale, applied to the output in finalizeLinearAttention (every
  // term of the output is linear in q).
  if (std::optional<double> st = op.getStaticScale()) {
    in.scale = lb.f32Const(*st);
  } else {
    Value dk = getValueOrCreateConstantIndexOp(b, loc, in.Dk);
    Value di = arith::IndexCastOp::create(b, loc, b.getI64Type(), dk);
    Value df = arith::SIToFPOp::create(b, loc, b.getF32Type(), di);
    in.scale = math::RsqrtOp::create(b, loc, df);
  }
  // An f32 operand that needs no feature map (and, for K and V, no head
  // broadcast) is used as it is: no copy.
  auto isPlain = [&](Value t, Region *phi) {
    return cast<RankedTensorType>(t.getType()).getElementType().isF32() &&
           (!phi || !hasFeatureMap(op, *phi));
  };
  // The linalg.index values of a [B, H, L, D] generic's body.
  auto indices = [](OpBuilder &nb, Location l) {
    SmallVector<Value> idx;
    for (unsigned i = 0; i < 4; ++i)
      idx.push_back(linalg::IndexOp::create(nb, l, i));
    return idx;
  };
  in.q = isPlain(op.getQuery(), &op.getQMod())
             ? op.getQuery()
             : lb.generic(
                   {op.getQuery()}, lb.empty({in.B, in.H, in.L, in.Dk}, lb.f32),
                   {lb.id(4), lb.id(4)}, LinalgBuilder::iters(4),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Value x = castToF32(nb, l, a[0]);
                     yield(nb, l,
                           applyFeatureMap(nb, l, op, op.getQMod(), x,
                                           [&] { return indices(nb, l); }));
                   });

  // K and V per query head: through a `h floordiv g` map for a static group
  // size, gathered with tensor.extract otherwise.
  std::optional<int64_t> g = op.getStaticGroupSize();
  Value group;
  if (!g) {
    Value hq = getValueOrCreateConstantIndexOp(b, loc, in.H);
    Value hkv = tensor::DimOp::create(b, loc, op.getKey(), 1);
    group = arith::DivUIOp::create(b, loc, hq, hkv);
  }
  // `phi`: the region of the feature map to apply (k_mod), null for none.
  auto perQueryHead = [&](Value t, OpFoldResult feat, Region *phi) {
    if (g == 1 && isPlain(t, phi))
      return t;
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    if (g) {
      ins.push_back(t);
      maps.push_back(
          lb.map(4, {lb.d(0), lb.d(1).floorDiv(*g), lb.d(2), lb.d(3)}));
    }
    maps.push_back(lb.id(4));
    return lb.generic(
        ins, lb.empty({in.B, in.H, in.L, feat}, lb.f32), maps,
        LinalgBuilder::iters(4), [&](OpBuilder &nb, Location l, ValueRange a) {
          // The coordinates of the element in `t`: the key/value head is
          // h / g.
          auto kvIndices = [&] {
            SmallVector<Value> idx = indices(nb, l);
            Value gv = g ? arith::ConstantIndexOp::create(nb, l, *g).getResult()
                         : group;
            idx[1] = arith::DivUIOp::create(nb, l, idx[1], gv);
            return idx;
          };
          Value x =
              g ? a[0]
                : tensor::ExtractOp::create(nb, l, t, kvIndices()).getResult();
          x = castToF32(nb, l, x);
          if (phi)
            x = applyFeatureMap(nb, l, op, *phi, x, kvIndices);
          yield(nb, l, x);
        });
  };
  in.k = perQueryHead(op.getKey(), in.Dk, &op.getKMod());
  in.v = perQueryHead(op.getValue(), in.Dv, /*phi=*/nullptr);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> ones4(4, one), zeros4(4, zero);
  // A statically empty Dv takes no slice of it (not valid IR).
  bool emptyDv = op.getValueType().getDimSize(3) == 0;
  if (norm) {
    // V' = [V, 1].
    Value aug = lb.filled({in.B, in.H, in.L, in.DvAug}, 1.0);
    in.v = emptyDv
               ? aug
               : tensor::InsertSliceOp::create(b, loc, in.v, aug, zeros4,
                                               {in.B, in.H, in.L, in.Dv}, ones4)
                     .getResult();
  }

  // The initial state, with z0 as its last column.
  if (Value s0 = op.getInitialS()) {
    in.state0 = s0;
    if (norm) {
      Value aug = lb.filled({in.B, in.H, in.Dk, in.DvAug}, 0.0);
      if (!emptyDv)
        aug = tensor::InsertSliceOp::create(b, loc, s0, aug, zeros4,
                                            {in.B, in.H, in.Dk, in.Dv}, ones4);
      // z0 as a [B, Hq, Dk, 1] column (no rank-reducing insertion: with
      // unit sizes the dropped dimension would be ambiguous).
      Value z0 = op.getInitialZ();
      SmallVector<int64_t> colShape(
          cast<RankedTensorType>(z0.getType()).getShape());
      colShape.push_back(1);
      Value col = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get(colShape, lb.f32), z0,
          SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}},
          SmallVector<OpFoldResult>{in.B, in.H, in.Dk, one});
      in.state0 = tensor::InsertSliceOp::create(
          b, loc, col, aug, {zero, zero, zero, in.Dv}, {in.B, in.H, in.Dk, one},
          ones4);
    }
  }

  // Log-decay in f32, per token.
  if (Value gd = op.getLogDecay()) {
    auto gT = cast<RankedTensorType>(gd.getType());
    in.channel = gT.getRank() == 4;
    SmallVector<OpFoldResult> sizes = {in.B, in.H, in.L};
    unsigned n = 3;
    AffineMap m = lb.id(3);
    if (in.channel) {
      sizes.push_back(in.Dk);
      n = 4;
      m = lb.id(4);
    } else if (gT.getRank() == 1) {
      m = lb.map(3, {lb.d(1)});
    }
    in.logDecay = lb.generic({gd}, lb.empty(sizes, lb.f32), {m, lb.id(n)},
                             LinalgBuilder::iters(n),
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               yield(nb, l, castToF32(nb, l, a[0]));
                             });
  }

  // Sequence ids, i64 [B, L].
  Type i64 = b.getI64Type();
  if (Value s = op.getSegmentIds()) {
    in.segments = lb.generic({s}, lb.empty({in.B, in.L}, i64),
                             {lb.id(2), lb.id(2)}, LinalgBuilder::iters(2),
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               Value x = a[0];
                               if (!x.getType().isInteger(64))
                                 x = arith::ExtSIOp::create(nb, l, i64, x);
                               yield(nb, l, x);
                             });
  } else if (Value cu = op.getCuSeqlens()) {
    // id[b, t] = #{n : cu_seqlens[n] <= t}.
    Value init = linalg::FillOp::create(b, loc,
                                        ValueRange{arith::ConstantOp::create(
                                            b, loc, b.getI64IntegerAttr(0))},
                                        ValueRange{lb.empty({in.B, in.L}, i64)})
                     .getResult(0);
    in.segments = lb.generic(
        {cu}, init, {lb.map(3, {lb.d(2)}), lb.map(3, {lb.d(0), lb.d(1)})},
        LinalgBuilder::iters(2, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value t = linalg::IndexOp::create(nb, l, 1);
          Value ti = arith::IndexCastOp::create(nb, l, i64, t);
          Value c = a[0];
          if (!c.getType().isInteger(64))
            c = arith::ExtSIOp::create(nb, l, i64, c);
          Value le =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, c, ti);
          Value inc = arith::ExtUIOp::create(nb, l, i64, le);
          yield(nb, l, arith::AddIOp::create(nb, l, a[1], inc));
        });
  }
  return in;
}

SmallVector<Value>
mlir::attn::finalizeLinearAttention(OpBuilder &b, LinearAttentionOp op,
                                    const LinearAttentionInputs &in, Value out,
                                    Value state, bool stateIsResult) {
  Location loc = op.getLoc();
  LinalgBuilder lb(b, loc);
  bool norm = op.getNormalize();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> zeros4(4, zero), ones4(4, one);
  Value outInit = op.getInits()[0];
  Type oElem = op.getOutputType().getElementType();
  auto toOut = [&](OpBuilder &nb, Location l, Value x) {
    return oElem == x.getType()
               ? x
               : arith::TruncFOp::create(nb, l, oElem, x).getResult();
  };
  SmallVector<Value> results;
  if (norm) {
    auto numT = RankedTensorType::get(op.getOutputType().getShape(), lb.f32);
    Value num = tensor::ExtractSliceOp::create(
        b, loc, numT, out, zeros4, {in.B, in.H, in.L, in.Dv}, ones4);
    SmallVector<int64_t> denShape(op.getOutputType().getShape().drop_back());
    denShape.push_back(1);
    Value den = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(denShape, lb.f32), out,
        {zero, zero, zero, in.Dv}, {in.B, in.H, in.L, one}, ones4);
    Value eps = lb.f32Const(op.getEpsValue());
    results.push_back(lb.generic(
        {num, den}, outInit,
        {lb.id(4), lb.map(4, {lb.d(0), lb.d(1), lb.d(2), lb.c(0)}), lb.id(4)},
        LinalgBuilder::iters(4), [&](OpBuilder &nb, Location l, ValueRange a) {
          // (scale n) / (scale d + eps).
          Value n = arith::MulFOp::create(nb, l, a[0], in.scale);
          Value dn = arith::MulFOp::create(nb, l, a[1], in.scale);
          dn = arith::AddFOp::create(nb, l, dn, eps);
          yield(nb, l, toOut(nb, l, arith::DivFOp::create(nb, l, n, dn)));
        }));
  } else {
    results.push_back(lb.generic(
        {out}, outInit, {lb.id(4), lb.id(4)}, LinalgBuilder::iters(4),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          yield(nb, l,
                toOut(nb, l, arith::MulFOp::create(nb, l, a[0], in.scale)));
        }));
  }
  if (!op.getFinalState())
    return results;
  if (stateIsResult && !norm) {
    results.push_back(state);
    return results;
  }
  Value s = state;
  if (norm) {
    auto sT = cast<RankedTensorType>(op.getFinalState().getType());
    s = tensor::ExtractSliceOp::create(b, loc, sT, state, zeros4,
                                       {in.B, in.H, in.Dk, in.Dv}, ones4);
  }
  results.push_back(
      linalg::CopyOp::create(b, loc, s, op.getInits()[1]).getResult(0));
  if (Value zr = op.getFinalNormalizer()) {
    auto zT = cast<RankedTensorType>(zr.getType());
    SmallVector<int64_t> colShape(zT.getShape());
    colShape.push_back(1);
    Value z = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(colShape, lb.f32), state,
        {zero, zero, zero, in.Dv}, {in.B, in.H, in.Dk, one}, ones4);
    results.push_back(lb.generic(
        {z}, op.getInits()[2],
        {lb.map(3, {lb.d(0), lb.d(1), lb.d(2), lb.c(0)}), lb.id(3)},
        LinalgBuilder::iters(3),
        [&](OpBuilder &nb, Location l, ValueRange a) { yield(nb, l, a[0]); }));
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Reference decomposition: the parallel form
//===----------------------------------------------------------------------===//

/// The f32 value 1 or 0 of an i1.
static Value toF32(OpBuilder &b, Location loc, Value c) {
  return arith::UIToFPOp::create(b, loc, b.getF32Type(), c);
}

FailureOr<SmallVector<Value>>
LinearAttentionOp::decomposeOperation(OpBuilder &b) {
  if (std::optional<SmallVector<Value>> r =
          buildTrivialLinearAttention(b, *this))
    return *r;
  Location loc = getLoc();
  LinalgBuilder lb(b, loc);
  LinearAttentionInputs in = prepareLinearAttention(b, *this);
  bool causal = getCausal(), channel = in.channel;
  Value gd = in.logDecay, seg = in.segments;
  auto d = [&](unsigned i) { return lb.d(i); };
  // acc[b, h, i, j] + sum_r lhs[b, h, i, r] * rhs[b, h, r, j] (lhs[b, h, r, i]
  // when `lhsTransposed`), loops (b, h, i, j, r).
  auto contractInto = [&](Value lhs, Value rhs, Value acc, bool lhsTransposed) {
    AffineMap lhsMap = lhsTransposed ? lb.map(5, {d(0), d(1), d(4), d(2)})
                                     : lb.map(5, {d(0), d(1), d(2), d(4)});
    return lb.generic({lhs, rhs}, acc,
                      {lhsMap, lb.map(5, {d(0), d(1), d(4), d(3)}),
                       lb.map(5, {d(0), d(1), d(2), d(3)})},
                      LinalgBuilder::iters(4, 1),
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        Value prod = arith::MulFOp::create(nb, l, a[0], a[1]);
                        yield(nb, l, arith::AddFOp::create(nb, l, a[2], prod));
                      });
  };

  // Cumulative log-decay G[t] = sum_{u <= t} g[u] and its total.
  Value G, Gend;
  if (gd) {
    SmallVector<OpFoldResult> sizes = {in.B, in.H, in.L};
    unsigned n = 3;
    if (channel) {
      sizes.push_back(in.Dk);
      n = 4;
    }
    // Loops (b, h, t, [d], u).
    SmallVector<AffineExpr> gIn = {d(0), d(1), d(n)}, out = {d(0), d(1), d(2)};
    if (channel) {
      gIn.push_back(d(3));
      out.push_back(d(3));
    }
    G = lb.generic(
        {gd}, lb.filled(sizes, 0.0), {lb.map(n + 1, gIn), lb.map(n + 1, out)},
        LinalgBuilder::iters(n, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value t = linalg::IndexOp::create(nb, l, 2);
          Value u = linalg::IndexOp::create(nb, l, n);
          Value le =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, u, t);
          Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0));
          Value x = arith::SelectOp::create(nb, l, le, a[0], z);
          yield(nb, l, arith::AddFOp::create(nb, l, a[1], x));
        });
    // Loops (b, h, [d], u).
    SmallVector<OpFoldResult> endSizes = {in.B, in.H};
    SmallVector<AffineExpr> eIn = {d(0), d(1), d(n - 1)}, eOut = {d(0), d(1)};
    if (channel) {
      endSizes.push_back(in.Dk);
      eIn = {d(0), d(1), d(3), d(2)};
      eOut.push_back(d(2));
    }
    Gend = lb.generic({gd}, lb.filled(endSizes, 0.0),
                      {lb.map(n, eIn), lb.map(n, eOut)},
                      LinalgBuilder::iters(n - 1, 1),
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        yield(nb, l, arith::AddFOp::create(nb, l, a[1], a[0]));
                      });
  }

  // P[t, s] = q_t . (lambda_{s+1..t} (.) k_s), loops (b, h, t, s, d).
  Value P;
  {
    SmallVector<Value> ins = {in.q, in.k};
    SmallVector<AffineMap> maps = {lb.map(5, {d(0), d(1), d(2), d(4)}),
                                   lb.map(5, {d(0), d(1), d(3), d(4)})};
    if (channel) {
      ins.append({G, G});
      maps.append({lb.map(5, {d(0), d(1), d(2), d(4)}),
                   lb.map(5, {d(0), d(1), d(3), d(4)})});
    }
    maps.push_back(lb.map(5, {d(0), d(1), d(2), d(3)}));
    P = lb.generic(
        ins, lb.filled({in.B, in.H, in.L, in.L}, 0.0), maps,
        LinalgBuilder::iters(4, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value prod = arith::MulFOp::create(nb, l, a[0], a[1]);
          if (channel) {
            // exp(G_t - G_s) only where s <= t: never overflows.
            Value t = linalg::IndexOp::create(nb, l, 2);
            Value s = linalg::IndexOp::create(nb, l, 3);
            Value le =
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, s, t);
            Value diff = arith::SubFOp::create(nb, l, a[2], a[3]);
            Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0));
            diff = arith::SelectOp::create(nb, l, le, diff, z);
            prod = arith::MulFOp::create(nb, l, prod,
                                         math::ExpOp::create(nb, l, diff));
          }
          yield(nb, l, arith::AddFOp::create(nb, l, a.back(), prod));
        });
  }

  // A[t, s] = P[t, s] * exp(G_t - G_s) (scalar decay), 0 unless s <= t
  // (causal) and t and s are in the same sequence.
  bool scalarDecay = gd && !channel;
  if (causal || scalarDecay || seg) {
    SmallVector<Value> ins = {P};
    SmallVector<AffineMap> maps = {lb.id(4)};
    if (scalarDecay) {
      ins.append({G, G});
      maps.append(
          {lb.map(4, {d(0), d(1), d(2)}), lb.map(4, {d(0), d(1), d(3)})});
    }
    if (seg) {
      ins.append({seg, seg});
      maps.append({lb.map(4, {d(0), d(2)}), lb.map(4, {d(0), d(3)})});
    }
    maps.push_back(lb.id(4));
    P = lb.generic(
        ins, lb.empty({in.B, in.H, in.L, in.L}, lb.f32), maps,
        LinalgBuilder::iters(4), [&](OpBuilder &nb, Location l, ValueRange a) {
          Value x = a[0];
          Value keep;
          auto andKeep = [&](Value c) {
            keep = keep ? arith::AndIOp::create(nb, l, keep, c).getResult() : c;
          };
          Value t = linalg::IndexOp::create(nb, l, 2);
          Value s = linalg::IndexOp::create(nb, l, 3);
          Value le =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, s, t);
          if (causal)
            andKeep(le);
          unsigned next = 1;
          if (scalarDecay) {
            Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0));
            Value diff = arith::SubFOp::create(nb, l, a[1], a[2]);
            diff = arith::SelectOp::create(nb, l, le, diff, z);
            x = arith::MulFOp::create(nb, l, x,
                                      math::ExpOp::create(nb, l, diff));
            next = 3;
          }
          if (seg)
            andKeep(arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                          a[next], a[next + 1]));
          Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0));
          yield(nb, l, arith::SelectOp::create(nb, l, keep, x, z));
        });
  }

  // O[t, e] = sum_s A[t, s] v[s, e], loops (b, h, t, e, s).
  Value O = contractInto(P, in.v, lb.filled({in.B, in.H, in.L, in.DvAug}, 0.0),
                         /*lhsTransposed=*/false);

  // Per-token factor of a state entering at the sequence start: exp(G_t) and
  // (t in the first sequence) for the initial state; exp(Gend - G_s) and (s
  // in the last sequence) for the final state. `first`: loops (b, h, t, d).
  auto stateFactor = [&](Value x, bool first) {
    SmallVector<Value> ins = {x};
    SmallVector<AffineMap> maps = {lb.id(4)};
    if (gd) {
      ins.push_back(G);
      maps.push_back(channel ? lb.id(4) : lb.map(4, {d(0), d(1), d(2)}));
      if (!first) {
        ins.push_back(Gend);
        maps.push_back(channel ? lb.map(4, {d(0), d(1), d(3)})
                               : lb.map(4, {d(0), d(1)}));
      }
    }
    if (seg) {
      ins.push_back(seg);
      maps.push_back(lb.map(4, {d(0), d(2)}));
    }
    maps.push_back(lb.id(4));
    Value lVal = getValueOrCreateConstantIndexOp(b, loc, in.L);
    return lb.generic(
        ins, lb.empty({in.B, in.H, in.L, in.Dk}, lb.f32), maps,
        LinalgBuilder::iters(4), [&](OpBuilder &nb, Location l, ValueRange a) {
          Value r = a[0];
          unsigned next = 1;
          if (gd) {
            Value e =
                first ? a[1]
                      : arith::SubFOp::create(nb, l, a[2], a[1]).getResult();
            r = arith::MulFOp::create(nb, l, r, math::ExpOp::create(nb, l, e));
            next = first ? 2 : 3;
          }
          if (seg) {
            // Executed only inside the token loop, so L >= 1.
            Value bi = linalg::IndexOp::create(nb, l, 0);
            Value ti =
                first
                    ? arith::ConstantIndexOp::create(nb, l, 0).getResult()
                    : arith::SubIOp::create(
                          nb, l, lVal, arith::ConstantIndexOp::create(nb, l, 1))
                          .getResult();
            Value ref =
                tensor::ExtractOp::create(nb, l, seg, ValueRange{bi, ti});
            Value same = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                               a[next], ref);
            r = arith::MulFOp::create(nb, l, r, toF32(nb, l, same));
          }
          yield(nb, l, r);
        });
  };

  // Initial state: O[t] += (exp(G_t) (.) q_t)^T S0 for t in the first
  // sequence; loops (b, h, t, e, d).
  if (in.state0) {
    Value qd = stateFactor(in.q, /*first=*/true);
    O = contractInto(qd, in.state0, O, /*lhsTransposed=*/false);
  }

  // Final state: S = keep0 exp(Gend) (.) S0 + sum_s (exp(Gend - G_s) (.)
  // k_s) v_s^T over the last sequence; keep0 when one sequence spans all.
  Value S;
  if (getFinalState()) {
    Value init = lb.filled({in.B, in.H, in.Dk, in.DvAug}, 0.0);
    if (in.state0) {
      Value keep0;
      if (seg) {
        // keep0[b] = AND_t (id[b, t] == id[b, 0]); loops (b, t).
        keep0 = lb.generic(
            {seg}, lb.filled({in.B}, 1.0), {lb.id(2), lb.map(2, {d(0)})},
            LinalgBuilder::iters(1, 1),
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value bi = linalg::IndexOp::create(nb, l, 0);
              Value zi = arith::ConstantIndexOp::create(nb, l, 0);
              Value ref =
                  tensor::ExtractOp::create(nb, l, seg, ValueRange{bi, zi});
              Value same = arith::CmpIOp::create(
                  nb, l, arith::CmpIPredicate::eq, a[0], ref);
              yield(nb, l,
                    arith::MulFOp::create(nb, l, a[1], toF32(nb, l, same)));
            });
      }
      SmallVector<Value> ins = {in.state0};
      SmallVector<AffineMap> maps = {lb.id(4)};
      if (gd) {
        ins.push_back(Gend);
        maps.push_back(channel ? lb.map(4, {d(0), d(1), d(2)})
                               : lb.map(4, {d(0), d(1)}));
      }
      if (keep0) {
        ins.push_back(keep0);
        maps.push_back(lb.map(4, {d(0)}));
      }
      maps.push_back(lb.id(4));
      init = lb.generic(ins, init, maps, LinalgBuilder::iters(4),
                        [&](OpBuilder &nb, Location l, ValueRange a) {
                          Value r = a[0];
                          if (gd)
                            r = arith::MulFOp::create(
                                nb, l, r, math::ExpOp::create(nb, l, a[1]));
                          if (keep0)
                            r = arith::MulFOp::create(nb, l, r, a[gd ? 2 : 1]);
                          yield(nb, l, r);
                        });
    }
    Value kd = stateFactor(in.k, /*first=*/false);
    // Loops (b, h, d, e, s).
    S = contractInto(kd, in.v, init, /*lhsTransposed=*/true);
  }
  return finalizeLinearAttention(b, *this, in, O, S);
}
