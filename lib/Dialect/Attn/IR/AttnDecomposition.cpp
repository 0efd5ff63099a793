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

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

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

Value mlir::attn::buildScore(OpBuilder &b, Location loc, AttentionOp op,
                             Value dot, Value scale, ValueRange idx,
                             const ScoreOperands &in,
                             bool applyStructuredMasks) {
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
  if (!op.getMaskMod().empty())
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
  /// Hq / Hkv: static when known, otherwise `groupVal` holds it.
  std::optional<int64_t> group;
  Value groupVal;

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
  static Value gatherKV(OpBuilder &nb, Location l, Value t, Value grp,
                        unsigned bd, unsigned hd, unsigned ld, unsigned fd) {
    Value bi = linalg::IndexOp::create(nb, l, bd);
    Value hi = linalg::IndexOp::create(nb, l, hd);
    Value li = linalg::IndexOp::create(nb, l, ld);
    Value fi = linalg::IndexOp::create(nb, l, fd);
    Value hk = arith::DivUIOp::create(nb, l, hi, grp);
    return tensor::ExtractOp::create(nb, l, t, ValueRange{bi, hk, li, fi});
  }

  FailureOr<SmallVector<Value>> run();
  Value scores();
  Value maskedScores(Value s);
  Value mapToOutput(Value acc, Value den);
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
        Value kv = kIn ? args[1] : gatherKV(nb, l, k, grp, 0, 1, 3, 4);
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
  Value lqVal = getValueOrCreateConstantIndexOp(b, loc, Lq);
  Value lkvVal = getValueOrCreateConstantIndexOp(b, loc, Lkv);

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
  Value init = empty({B, Hq, Lq, Lkv}, f32);
  return generic(
      ins, init, maps, SmallVector<IterTy>(4, IterTy::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> idx;
        for (unsigned i = 0; i < 4; ++i)
          idx.push_back(linalg::IndexOp::create(nb, l, i));
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
        yieldValue(nb, l,
                   buildScore(nb, l, op, args[0], scale, idx, in,
                              /*applyStructuredMasks=*/true));
      });
}

/// O[b,h,i,e] = acc[b,h,i,e] / den[b,h,i] (0 where den == 0), or acc alone
/// without a denominator, converted to the output element type.
Value Decomposer::mapToOutput(Value acc, Value den) {
  RankedTensorType oT = op.getOutputType();
  Type oElem = oT.getElementType();
  AffineMap id4 = b.getMultiDimIdentityMap(4);
  SmallVector<Value> ins = {acc};
  SmallVector<AffineMap> maps = {id4};
  if (den) {
    ins.push_back(den);
    maps.push_back(map(4, {d(0), d(1), d(2)}));
  }
  maps.push_back(id4);
  Value init = empty({B, Hq, Lq, Dv}, oElem);
  return generic(ins, init, maps, SmallVector<IterTy>(4, IterTy::parallel),
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   Value o = args[0];
                   if (den) {
                     Value zero = f32Const(nb, l, 0.0);
                     Value isZero = arith::CmpFOp::create(
                         nb, l, arith::CmpFPredicate::OEQ, args[1], zero);
                     Value q = arith::DivFOp::create(nb, l, o, args[1]);
                     o = arith::SelectOp::create(nb, l, isZero, zero, q);
                   }
                   if (oElem != o.getType())
                     o = arith::TruncFOp::create(nb, l, oElem, o);
                   yieldValue(nb, l, o);
                 });
}

FailureOr<SmallVector<Value>> Decomposer::run() {
  // A statically empty output (zero batch, query heads, query length or
  // value head dim) has nothing to compute: empty tensors of the result
  // types. The loops below would divide by a group size of 0 for Hq = 0.
  if (llvm::any_of(op->getResultTypes(), [](Type t) {
        return llvm::is_contained(cast<RankedTensorType>(t).getShape(), 0);
      })) {
    SmallVector<Value> results;
    for (Value r : op->getResults()) {
      auto t = cast<RankedTensorType>(r.getType());
      SmallVector<Value> dyn;
      for (auto [i, size] : llvm::enumerate(t.getShape()))
        if (ShapedType::isDynamic(size))
          dyn.push_back(getValueOrCreateConstantIndexOp(
              b, loc, i < 3 ? tensor::getMixedSize(b, loc, op.getQuery(), i)
                            : tensor::getMixedSize(b, loc, op.getValue(), 3)));
      results.push_back(tensor::EmptyOp::create(b, loc, t, dyn));
    }
    return results;
  }
  SmallVector<OpFoldResult> q = tensor::getMixedSizes(b, loc, op.getQuery());
  B = q[0];
  Hq = q[1];
  Lq = q[2];
  D = q[3];
  Lkv = tensor::getMixedSize(b, loc, op.getKey(), 2);
  Dv = tensor::getMixedSize(b, loc, op.getValue(), 3);
  group = op.getStaticGroupSize();
  if (!group) {
    Value hq = getValueOrCreateConstantIndexOp(b, loc, Hq);
    Value hkv = tensor::DimOp::create(b, loc, op.getKey(), 1);
    groupVal = arith::DivUIOp::create(b, loc, hq, hkv);
  }

  Value s = maskedScores(scores());

  AffineMap id4 = b.getMultiDimIdentityMap(4);
  AffineMap row4 = map(4, {d(0), d(1), d(2)});
  AffineMap id3 = b.getMultiDimIdentityMap(3);
  SmallVector<IterTy> par3(3, IterTy::parallel), par4(4, IterTy::parallel);
  SmallVector<IterTy> rowRed = {IterTy::parallel, IterTy::parallel,
                                IterTy::parallel, IterTy::reduction};
  auto rowReduce = [&](Value x, ValueRange extra, double initV,
                       ArrayRef<AffineMap> extraMaps,
                       function_ref<Value(OpBuilder &, Location, ValueRange,
                                          Value)>
                           combine) {
    SmallVector<Value> ins = {x};
    llvm::append_range(ins, extra);
    SmallVector<AffineMap> maps = {id4};
    llvm::append_range(maps, extraMaps);
    maps.push_back(row4);
    return generic(ins, filled({B, Hq, Lq}, initV), maps, rowRed,
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     Value r = combine(nb, l, args.drop_back(), args.back());
                     yieldValue(nb, l, r);
                   });
  };
  auto rowMax = [&](Value x) {
    return rowReduce(
        x, {}, -std::numeric_limits<double>::infinity(), {},
        [](OpBuilder &nb, Location l, ValueRange a, Value acc) -> Value {
          return arith::MaximumFOp::create(nb, l, acc, a[0]);
        });
  };
  // Elementwise map over [B, Hq, Lq, Lkv] reading a per-row value.
  auto mapWithRow = [&](Value x, Value row,
                        function_ref<Value(OpBuilder &, Location, Value, Value)>
                            fn) {
    return generic({x, row}, empty({B, Hq, Lq, Lkv}, f32), {id4, row4, id4},
                   par4, [&](OpBuilder &nb, Location l, ValueRange args) {
                     yieldValue(nb, l,
                                             fn(nb, l, args[0], args[1]));
                   });
  };

  Value p, den, lse;
  Normalizer norm = op.getNormalizer();
  Value sinks = op.getSinks();
  switch (norm) {
  case Normalizer::softmax: {
    Value m = rowMax(s);
    // Stabiliser: the row max (joined with the sink logit), 0 for rows whose
    // scores are all -inf so that exp() never sees -inf - -inf.
    SmallVector<Value> ins = {m};
    SmallVector<AffineMap> maps = {id3};
    if (sinks) {
      ins.push_back(sinks);
      maps.push_back(map(3, {d(1)}));
    }
    maps.push_back(id3);
    Value mSafe = generic(
        ins, empty({B, Hq, Lq}, f32), maps, par3,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value v = args[0];
          if (sinks)
            v = arith::MaximumFOp::create(nb, l, v, castToF32(nb, l, args[1]));
          Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                              v, negInf(nb, l));
          v = arith::SelectOp::create(nb, l, isInf, f32Const(nb, l, 0.0), v);
          yieldValue(nb, l, v);
        });
    p = mapWithRow(s, mSafe, [](OpBuilder &nb, Location l, Value x, Value mr) {
      return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, x, mr));
    });
    Value sum = rowReduce(
        p, {}, 0.0, {},
        [](OpBuilder &nb, Location l, ValueRange a, Value acc) -> Value {
          return arith::AddFOp::create(nb, l, acc, a[0]);
        });
    // den = sum + exp(sink - mSafe); lse = mSafe + log(den).
    ins = {sum, mSafe};
    maps = {id3, id3};
    if (sinks) {
      ins.push_back(sinks);
      maps.push_back(map(3, {d(1)}));
    }
    maps.push_back(id3);
    den = generic(ins, empty({B, Hq, Lq}, f32), maps, par3,
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    Value v = args[0];
                    if (sinks) {
                      Value e = math::ExpOp::create(
                          nb, l,
                          arith::SubFOp::create(nb, l, castToF32(nb, l, args[2]),
                                                args[1]));
                      v = arith::AddFOp::create(nb, l, v, e);
                    }
                    yieldValue(nb, l, v);
                  });
    if (op.getLse())
      lse = generic({den, mSafe}, empty({B, Hq, Lq}, f32), {id3, id3, id3},
                    par3, [&](OpBuilder &nb, Location l, ValueRange args) {
                      Value lg = math::LogOp::create(nb, l, args[0]);
                      yieldValue(
                          nb, l, arith::AddFOp::create(nb, l, args[1], lg));
                    });
    break;
  }
  case Normalizer::sigmoid: {
    double bias = 0.0;
    if (FloatAttr a = op.getSigmoidBiasAttr())
      bias = a.getValueAsDouble();
    // sigmoid(-inf) == 0, so masked scores need no special case.
    p = generic({s}, empty({B, Hq, Lq, Lkv}, f32), {id4, id4}, par4,
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value x = arith::AddFOp::create(nb, l, args[0],
                                                  f32Const(nb, l, bias));
                  Value e = math::ExpOp::create(
                      nb, l, arith::NegFOp::create(nb, l, x));
                  Value one = f32Const(nb, l, 1.0);
                  Value r = arith::DivFOp::create(
                      nb, l, one, arith::AddFOp::create(nb, l, one, e));
                  yieldValue(nb, l, r);
                });
    break;
  }
  case Normalizer::softpick: {
    // With m = max(rowmax, 0), both sides of relu(e^s - 1) / sum|e^s - 1|
    // are multiplied by e^-m: e_j = e^(s_j - m) - e^-m, eps scaled alike.
    Value m = rowMax(s);
    Value mPos = generic({m}, empty({B, Hq, Lq}, f32), {id3, id3}, par3,
                         [&](OpBuilder &nb, Location l, ValueRange args) {
                           yieldValue(
                               nb, l,
                               arith::MaximumFOp::create(
                                   nb, l, args[0], f32Const(nb, l, 0.0)));
                         });
    // Shifted e_j for kept scores, 0 for masked ones; `absolute` selects
    // |e_j| (denominator) or relu(e_j) (numerator).
    auto shifted = [](bool absolute) {
      return [absolute](OpBuilder &nb, Location l, Value x, Value mr) {
        Value kept = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, x,
                                           negInf(nb, l));
        Value e1 =
            math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, x, mr));
        Value e0 = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, mr));
        Value e = arith::SubFOp::create(nb, l, e1, e0);
        Value zero = f32Const(nb, l, 0.0);
        Value r = absolute
                      ? math::AbsFOp::create(nb, l, e).getResult()
                      : arith::MaximumFOp::create(nb, l, e, zero).getResult();
        return arith::SelectOp::create(nb, l, kept, r, zero).getResult();
      };
    };
    p = mapWithRow(s, mPos, shifted(false));
    Value absE = mapWithRow(s, mPos, shifted(true));
    Value sum = rowReduce(
        absE, {}, 0.0, {},
        [](OpBuilder &nb, Location l, ValueRange a, Value acc) -> Value {
          return arith::AddFOp::create(nb, l, acc, a[0]);
        });
    den = generic({sum, mPos}, empty({B, Hq, Lq}, f32), {id3, id3, id3}, par3,
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    Value eps = arith::MulFOp::create(
                        nb, l, f32Const(nb, l, 1e-6),
                        math::ExpOp::create(
                            nb, l, arith::NegFOp::create(nb, l, args[1])));
                    yieldValue(
                        nb, l, arith::AddFOp::create(nb, l, args[0], eps));
                  });
    break;
  }
  }

  // acc[b,h,i,e] = sum_j P[b,h,i,j] * V[b,h/g,j,e]; loops (b,h,i,e,j).
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
  Value acc = generic(
      ins, filled({B, Hq, Lq, Dv}, 0.0), maps,
      {IterTy::parallel, IterTy::parallel, IterTy::parallel, IterTy::parallel,
       IterTy::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value vv = vIn ? args[1] : gatherKV(nb, l, v, grp, 0, 1, 4, 3);
        Value prod =
            arith::MulFOp::create(nb, l, args[0], castToF32(nb, l, vv));
        yieldValue(nb, l,
                                arith::AddFOp::create(nb, l, args.back(), prod));
      });

  SmallVector<Value> results = {mapToOutput(acc, den)};
  if (op.getLse())
    results.push_back(lse);
  // Keep the declared result types (a static result may refine a dynamic
  // operand shape).
  for (auto [r, t] : llvm::zip(results, op->getResultTypes()))
    if (r.getType() != t)
      r = tensor::CastOp::create(b, loc, t, r);
  return results;
}

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &b) {
  return Decomposer(*this, b).run();
}
