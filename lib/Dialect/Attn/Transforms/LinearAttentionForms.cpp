//===- LinearAttentionForms.cpp - forms of linear attention -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The algorithmic forms of `attn.linear_attention` besides the parallel one
// (the reference decomposition, LinearAttentionDecomposition.cpp): the
// recurrent form (one step per token, the decode form), the key-value-first
// order of the non-causal op and the choice of form; the chunked form is in
// LinearAttentionChunked.cpp. Every piece
// is linalg on tensors over (batch, head[, chunk]) loops, so the CPU
// pipeline tiles and vectorises its contractions like any other matmul.
//
//===----------------------------------------------------------------------===//

#include "LinearAttentionForms.h"

#include "attn/Dialect/Attn/IR/LinearAttention.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::linear_forms;

namespace mlir::attn::linear_forms {

void yield(OpBuilder &b, Location loc, Value v) {
  linalg::YieldOp::create(b, loc, ValueRange{v});
}

Value zeroF32(OpBuilder &b, Location loc) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
}

Value boolToF32(OpBuilder &b, Location loc, Value c) {
  return arith::UIToFPOp::create(b, loc, b.getF32Type(), c);
}

/// The static extent of `ofr` or ShapedType::kDynamic.
int64_t staticOr(OpFoldResult ofr) {
  return getConstantIntValue(ofr).value_or(ShapedType::kDynamic);
}

SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes) {
  return llvm::map_to_vector(sizes, staticOr);
}

/// The slice of `t` at position `pos` of dimension `dim` (size 1, kept:
/// with other unit sizes a dropped dimension would be ambiguous).
Value sliceAt(OpBuilder &b, Location loc, Value t, unsigned dim,
                     OpFoldResult pos) {
  auto tT = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> offsets(tT.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  SmallVector<OpFoldResult> strides(tT.getRank(), b.getIndexAttr(1));
  offsets[dim] = pos;
  sizes[dim] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(tT.getShape());
  shape[dim] = 1;
  auto rT = RankedTensorType::get(shape, tT.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, rT, t, offsets, sizes, strides);
}

/// Inserts `src` (a slice of size 1 along `dim`) into `dest` at `pos`.
Value insertAt(OpBuilder &b, Location loc, Value src, Value dest,
                      unsigned dim, OpFoldResult pos) {
  auto dT = cast<RankedTensorType>(dest.getType());
  SmallVector<OpFoldResult> offsets(dT.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, dest);
  SmallVector<OpFoldResult> strides(dT.getRank(), b.getIndexAttr(1));
  offsets[dim] = pos;
  sizes[dim] = b.getIndexAttr(1);
  return tensor::InsertSliceOp::create(b, loc, src, dest, offsets, sizes,
                                       strides);
}

/// Collapses the leading dimensions of `t` (all but the last two) into one.
SmallVector<ReassociationIndices> batchReassociation(unsigned rank) {
  ReassociationIndices lead;
  for (unsigned i = 0; i + 2 < rank; ++i)
    lead.push_back(i);
  return {lead, {rank - 2}, {rank - 1}};
}

/// `a [..., M, K] x b [..., K, N] + init [..., M, N]` as one
/// linalg.batch_matmul over the collapsed leading dimensions: the named op
/// is what the CPU pipeline register-tiles into FMAs.
Value batchMatmul(OpBuilder &b, Location loc, Value a, Value bm,
                         Value init) {
  auto iT = cast<RankedTensorType>(init.getType());
  unsigned r = iT.getRank();
  // Expanding a collapsed buffer with two dynamic sizes in one group
  // crashes the upstream expand-strided-metadata (LLVM 22): a generic
  // contraction then, on the vector path's reductions.
  if (llvm::count_if(iT.getShape().drop_back(2), ShapedType::isDynamic) > 1) {
    LinalgBuilder lb(b, loc);
    SmallVector<AffineExpr> batch;
    for (unsigned i = 0; i + 2 < r; ++i)
      batch.push_back(lb.d(i));
    auto withTail = [&](AffineExpr x, AffineExpr y) {
      SmallVector<AffineExpr> e(batch);
      e.append({x, y});
      return lb.map(r + 1, e);
    };
    AffineExpr m = lb.d(r - 2), n = lb.d(r - 1), k = lb.d(r);
    return lb.generic({a, bm}, init,
                      {withTail(m, k), withTail(k, n), withTail(m, n)},
                      LinalgBuilder::iters(r, 1),
                      [&](OpBuilder &nb, Location l, ValueRange x) {
                        Value p = arith::MulFOp::create(nb, l, x[0], x[1]);
                        yield(nb, l, arith::AddFOp::create(nb, l, x[2], p));
                      });
  }
  SmallVector<ReassociationIndices> re = batchReassociation(r);
  Value a3 = tensor::CollapseShapeOp::create(b, loc, a, re);
  Value b3 = tensor::CollapseShapeOp::create(b, loc, bm, re);
  Value c3 = tensor::CollapseShapeOp::create(b, loc, init, re);
  Value mm = linalg::BatchMatmulOp::create(b, loc, TypeRange{c3.getType()},
                                           ValueRange{a3, b3}, ValueRange{c3})
                 .getResult(0);
  return tensor::ExpandShapeOp::create(b, loc, iT, mm, re,
                                       tensor::getMixedSizes(b, loc, init));
}

/// `t [..., X, Y]` transposed to `[..., Y, X]`.
Value transposeLast(OpBuilder &b, Location loc, Value t) {
  LinalgBuilder lb(b, loc);
  auto tT = cast<RankedTensorType>(t.getType());
  unsigned r = tT.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  std::swap(sizes[r - 1], sizes[r - 2]);
  SmallVector<AffineExpr> in;
  for (unsigned i = 0; i + 2 < r; ++i)
    in.push_back(lb.d(i));
  in.append({lb.d(r - 1), lb.d(r - 2)});
  return lb.generic(
      {t}, lb.empty(sizes, tT.getElementType()), {lb.map(r, in), lb.id(r)},
      LinalgBuilder::iters(r),
      [&](OpBuilder &nb, Location l, ValueRange a) { yield(nb, l, a[0]); });
}

} // namespace mlir::attn::linear_forms

//===----------------------------------------------------------------------===//
// Non-causal: key-value first, O = q (S0 + sum_s k_s v_s^T)
//===----------------------------------------------------------------------===//

static SmallVector<Value> buildKVFirst(OpBuilder &b, LinearAttentionOp op,
                                       const LinearAttentionInputs &in) {
  LinalgBuilder lb(b, op.getLoc());
  Location loc = op.getLoc();
  Value init =
      in.state0 ? in.state0 : lb.filled({in.B, in.H, in.Dk, in.DvAug}, 0.0);
  // S = S0 + k^T v, then O = q S.
  Value S = batchMatmul(b, loc, transposeLast(b, loc, in.k), in.v, init);
  Value O = batchMatmul(b, loc, in.q, S,
                        lb.filled({in.B, in.H, in.L, in.DvAug}, 0.0));
  return finalizeLinearAttention(b, op, in, O, S);
}

//===----------------------------------------------------------------------===//
// Recurrent form
//===----------------------------------------------------------------------===//

/// The multiplicative decay of the state at each token, [B, H, L(, Dk)]:
/// exp(log_decay) times 0 where a new sequence starts. Null when the state
/// never decays.
static Value buildStepDecay(LinalgBuilder &lb,
                            const LinearAttentionInputs &in) {
  if (!in.logDecay && !in.segments)
    return Value();
  auto d = [&](unsigned i) { return lb.d(i); };
  unsigned n = in.channel ? 4 : 3;
  SmallVector<OpFoldResult> sizes = {in.B, in.H, in.L};
  if (in.channel)
    sizes.push_back(in.Dk);
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  if (in.logDecay) {
    ins.push_back(in.logDecay);
    maps.push_back(lb.id(n));
  }
  if (in.segments) {
    ins.push_back(in.segments);
    maps.push_back(lb.map(n, {d(0), d(2)}));
  }
  maps.push_back(lb.id(n));
  Value seg = in.segments;
  bool hasDecay = static_cast<bool>(in.logDecay);
  return lb.generic(
      ins, lb.empty(sizes, lb.f32), maps, LinalgBuilder::iters(n),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r =
            hasDecay ? math::ExpOp::create(nb, l, a[0]).getResult()
                     : arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1.0))
                           .getResult();
        if (seg) {
          // Token t continues the sequence of t - 1 (t = 0: that of S0).
          Value bi = linalg::IndexOp::create(nb, l, 0);
          Value t = linalg::IndexOp::create(nb, l, 2);
          Value one = arith::ConstantIndexOp::create(nb, l, 1);
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          Value isFirst =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, t, zero);
          Value prevT = arith::SelectOp::create(
              nb, l, isFirst, zero, arith::SubIOp::create(nb, l, t, one));
          Value prev =
              tensor::ExtractOp::create(nb, l, seg, ValueRange{bi, prevT});
          Value same = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             a[hasDecay ? 1 : 0], prev);
          r = arith::MulFOp::create(nb, l, r, boolToF32(nb, l, same));
        }
        yield(nb, l, r);
      });
}

static SmallVector<Value> buildRecurrent(OpBuilder &b, LinearAttentionOp op,
                                         const LinearAttentionInputs &in) {
  Location loc = op.getLoc();
  LinalgBuilder lb(b, loc);
  auto d = [&](unsigned i) { return lb.d(i); };
  Value lam = buildStepDecay(lb, in);
  bool channel = in.channel;
  // Without a normaliser column the state is updated in the final-state
  // destination (the state cache of a decode step: in place when it is the
  // initial state too).
  Value dest;
  if (!op.getNormalize() && op.getFinalState())
    dest = op.getInits()[1];
  Value S0;
  if (dest && in.state0)
    S0 = in.state0 == dest
             ? dest
             : linalg::CopyOp::create(b, loc, in.state0, dest).getResult(0);
  else if (dest)
    S0 = linalg::FillOp::create(b, loc, ValueRange{lb.f32Const(0.0)},
                                ValueRange{dest})
             .getResult(0);
  else
    S0 = in.state0 ? in.state0 : lb.filled({in.B, in.H, in.Dk, in.DvAug}, 0.0);
  Value O0 = lb.empty({in.B, in.H, in.L, in.DvAug}, lb.f32);
  Value lVal = getValueOrCreateConstantIndexOp(b, loc, in.L);
  auto loop = scf::ForOp::create(
      b, loc, lb.index(0), lVal, lb.index(1), ValueRange{S0, O0},
      [&](OpBuilder &nb, Location l, Value t, ValueRange iter) {
        LinalgBuilder sb(nb, l);
        Value qt = sliceAt(nb, l, in.q, 2, t);
        Value kt = sliceAt(nb, l, in.k, 2, t);
        Value vt = sliceAt(nb, l, in.v, 2, t);
        // S = lam_t (.) S + k_t v_t^T; loops (b, h, d, e).
        AffineExpr z = sb.c(0);
        SmallVector<Value> ins = {kt, vt};
        SmallVector<AffineMap> maps = {sb.map(4, {d(0), d(1), z, d(2)}),
                                       sb.map(4, {d(0), d(1), z, d(3)})};
        if (lam) {
          ins.push_back(sliceAt(nb, l, lam, 2, t));
          maps.push_back(channel ? sb.map(4, {d(0), d(1), z, d(2)})
                                 : sb.map(4, {d(0), d(1), z}));
        }
        maps.push_back(sb.id(4));
        bool hasLam = static_cast<bool>(lam);
        Value S =
            sb.generic(ins, iter[0], maps, LinalgBuilder::iters(4),
                       [&](OpBuilder &bb, Location ll, ValueRange a) {
                         Value s = a.back();
                         if (hasLam)
                           s = arith::MulFOp::create(bb, ll, s, a[2]);
                         Value p = arith::MulFOp::create(bb, ll, a[0], a[1]);
                         yield(bb, ll, arith::AddFOp::create(bb, ll, s, p));
                       });
        // o_t[e] = sum_d q_t[d] S[d, e]; loops (b, h, 1, e, d).
        Value ot = sb.generic(
            {qt, S}, sb.filled({in.B, in.H, nb.getIndexAttr(1), in.DvAug}, 0.0),
            {sb.map(5, {d(0), d(1), d(2), d(4)}),
             sb.map(5, {d(0), d(1), d(4), d(3)}),
             sb.map(5, {d(0), d(1), d(2), d(3)})},
            LinalgBuilder::iters(4, 1),
            [&](OpBuilder &bb, Location ll, ValueRange a) {
              Value p = arith::MulFOp::create(bb, ll, a[0], a[1]);
              yield(bb, ll, arith::AddFOp::create(bb, ll, a[2], p));
            });
        Value O = insertAt(nb, l, ot, iter[1], 2, t);
        scf::YieldOp::create(nb, l, ValueRange{S, O});
      });
  return finalizeLinearAttention(b, op, in, loop.getResult(1),
                                 loop.getResult(0),
                                 /*stateIsResult=*/static_cast<bool>(dest));
}


//===----------------------------------------------------------------------===//
// Form selection
//===----------------------------------------------------------------------===//

LinearAttentionForm
mlir::attn::chooseLinearAttentionForm(LinearAttentionOp op,
                                      const LinearAttentionFormOptions &opts) {
  bool seg = op.getSegmentIds() || op.getCuSeqlens();
  if (!op.getCausal()) {
    // The parallel form is the only one that handles packed non-causal
    // sequences; the others become the key-value-first order.
    if (seg || opts.form == LinearAttentionForm::parallel)
      return LinearAttentionForm::parallel;
    return LinearAttentionForm::chunked;
  }
  int64_t L = op.getQueryType().getDimSize(2);
  if (opts.form != LinearAttentionForm::automatic)
    return opts.form;
  if (L == 1)
    return LinearAttentionForm::recurrent;
  if (!ShapedType::isDynamic(L) && L <= getLinearAttentionChunkSize(op, opts))
    return LinearAttentionForm::parallel;
  return LinearAttentionForm::chunked;
}

int64_t mlir::attn::getLinearAttentionChunkSize(
    LinearAttentionOp op, const LinearAttentionFormOptions &opts) {
  if (opts.chunkSize > 0)
    return opts.chunkSize;
  // The intra-chunk part costs ~2 C (Dk + Dv) flops per token, the state
  // parts 4 Dk Dv: 64 for head dims up to 64, 128 from 128 on (measured
  // faster at L = 4096, D = 128; docs/design.md). A channel gate
  // evaluates C^2 Dk exponentials per chunk: 32.
  if (op.hasChannelDecay())
    return 32;
  int64_t dk = op.getQueryType().getDimSize(3);
  int64_t dv = op.getValueType().getDimSize(3);
  if (!ShapedType::isDynamic(dk) && !ShapedType::isDynamic(dv) &&
      std::max(dk, dv) >= 128)
    return 128;
  return 64;
}

FailureOr<SmallVector<Value>>
mlir::attn::lowerLinearAttention(RewriterBase &rewriter, LinearAttentionOp op,
                                 const LinearAttentionFormOptions &opts) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  LinearAttentionForm form = chooseLinearAttentionForm(op, opts);
  SmallVector<Value> repl;
  if (std::optional<SmallVector<Value>> r =
          buildTrivialLinearAttention(rewriter, op)) {
    repl = *r;
  } else if (form == LinearAttentionForm::parallel) {
    FailureOr<SmallVector<Value>> r = op.decomposeOperation(rewriter);
    if (failed(r))
      return op.emitOpError("failed to decompose");
    repl = *r;
  } else {
    LinearAttentionInputs in = prepareLinearAttention(rewriter, op);
    if (!op.getCausal())
      repl = buildKVFirst(rewriter, op, in);
    else if (form == LinearAttentionForm::recurrent)
      repl = buildRecurrent(rewriter, op, in);
    else
      repl = buildChunkedLinearAttention(
          rewriter, op, in, getLinearAttentionChunkSize(op, opts));
  }
  rewriter.replaceOp(op, repl);
  return repl;
}
