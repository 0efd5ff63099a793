//===- LinearAttentionChunked.cpp - chunked linear attention ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The chunked form of `attn.linear_attention`, built from three pieces on
// tensors: the chunk states, the scan of the states over chunks and the
// chunk outputs. Every piece is linalg on tensors over (batch, head, chunk)
// loops, so the CPU pipeline tiles and vectorises its contractions like any
// other matmul.
//
//===----------------------------------------------------------------------===//

#include "LinearAttentionForms.h"

#include "attn/Dialect/Attn/IR/LinearAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::linear_forms;

//===----------------------------------------------------------------------===//
// Chunked form
//===----------------------------------------------------------------------===//

namespace {
/// The operands of the chunked form viewed as [B, H, N, C, ...] chunks.
struct Chunks {
  int64_t C;
  OpFoldResult N;
  Value q, k, v;  ///< [B, H, N, C, Dk | Dv'].
  Value logDecay; ///< [B, H, N, C(, Dk)] or null.
  Value segments; ///< [B, N, C] i64 or null.
  Value segEnd;   ///< [B, N]: id of the chunk's last (real) token.
  Value segPrev;  ///< [B, N]: id of the token before the chunk (t = 0:
                  ///< that of token 0, the sequence of S0).
  Value G;        ///< In-chunk cumulative log-decay, like logDecay.
  Value Glast;    ///< Its total per chunk, [B, H, N(, Dk)].
};
} // namespace

/// Pads dimension `dim` of `t` to `size` with `pad` and splits it into
/// [N, C].
static Value padAndSplit(OpBuilder &b, Location loc, Value t, unsigned dim,
                         OpFoldResult L, OpFoldResult N, int64_t C, Value pad) {
  auto tT = cast<RankedTensorType>(t.getType());
  unsigned rank = tT.getRank();
  SmallVector<OpFoldResult> low(rank, b.getIndexAttr(0)),
      high(rank, b.getIndexAttr(0));
  OpFoldResult Lp;
  if (std::optional<int64_t> n = getConstantIntValue(N)) {
    Lp = b.getIndexAttr(*n * C);
  } else {
    Value nv = getValueOrCreateConstantIndexOp(b, loc, N);
    Lp = arith::MulIOp::create(b, loc, nv,
                               arith::ConstantIndexOp::create(b, loc, C))
             .getResult();
  }
  if (std::optional<int64_t> lp = getConstantIntValue(Lp);
      lp && getConstantIntValue(L)) {
    high[dim] = b.getIndexAttr(*lp - *getConstantIntValue(L));
  } else {
    high[dim] = arith::SubIOp::create(
                    b, loc, getValueOrCreateConstantIndexOp(b, loc, Lp),
                    getValueOrCreateConstantIndexOp(b, loc, L))
                    .getResult();
  }
  SmallVector<int64_t> padded(tT.getShape());
  padded[dim] = staticOr(Lp);
  auto pT = RankedTensorType::get(padded, tT.getElementType());
  // No padding (and no copy) when C statically divides L.
  std::optional<int64_t> highC = getConstantIntValue(high[dim]);
  Value p =
      highC && *highC == 0
          ? t
          : tensor::PadOp::create(b, loc, pT, t, low, high, pad).getResult();
  SmallVector<OpFoldResult> outShape = tensor::getMixedSizes(b, loc, p);
  outShape[dim] = N;
  outShape.insert(outShape.begin() + dim + 1, b.getIndexAttr(C));
  SmallVector<ReassociationIndices> reassoc;
  for (unsigned i = 0; i < rank; ++i) {
    if (i < dim)
      reassoc.push_back({i});
    else if (i == dim)
      reassoc.push_back({i, i + 1});
    else
      reassoc.push_back({i + 1});
  }
  auto eT = RankedTensorType::get(staticShape(outShape), tT.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, eT, p, reassoc, outShape);
}

/// The map of the first `k` of `n` loop dims.
static AffineMap leadingMap(OpBuilder &b, unsigned n, unsigned k) {
  return AffineMap::getMultiDimIdentityMap(n, b.getContext()).getMajorSubMap(k);
}

static Chunks buildChunks(OpBuilder &b, Location loc,
                          const LinearAttentionInputs &in, int64_t C) {
  LinalgBuilder lb(b, loc);
  auto d = [&](unsigned i) { return lb.d(i); };
  Chunks ch;
  ch.C = C;
  if (std::optional<int64_t> l = getConstantIntValue(in.L)) {
    ch.N = b.getIndexAttr((*l + C - 1) / C);
  } else {
    ch.N =
        arith::CeilDivUIOp::create(
            b, loc, getValueOrCreateConstantIndexOp(b, loc, in.L), lb.index(C))
            .getResult();
  }
  Value zf = lb.f32Const(0.0);
  ch.q = padAndSplit(b, loc, in.q, 2, in.L, ch.N, C, zf);
  ch.k = padAndSplit(b, loc, in.k, 2, in.L, ch.N, C, zf);
  ch.v = padAndSplit(b, loc, in.v, 2, in.L, ch.N, C, zf);
  if (in.logDecay)
    ch.logDecay = padAndSplit(b, loc, in.logDecay, 2, in.L, ch.N, C, zf);
  if (in.segments) {
    Value zi = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    ch.segments = padAndSplit(b, loc, in.segments, 1, in.L, ch.N, C, zi);
    // segEnd[b, n] = id[min((n + 1) C, L) - 1], segPrev[b, n] = id[max(n C
    // - 1, 0)]; executed only for existing chunks, so L >= 1.
    Value seg = in.segments;
    Value lVal = getValueOrCreateConstantIndexOp(b, loc, in.L);
    auto ends = linalg::GenericOp::create(
        b, loc,
        TypeRange{RankedTensorType::get({staticOr(in.B), staticOr(ch.N)},
                                        b.getI64Type()),
                  RankedTensorType::get({staticOr(in.B), staticOr(ch.N)},
                                        b.getI64Type())},
        ValueRange{},
        ValueRange{lb.empty({in.B, ch.N}, b.getI64Type()),
                   lb.empty({in.B, ch.N}, b.getI64Type())},
        ArrayRef<AffineMap>{lb.id(2), lb.id(2)}, LinalgBuilder::iters(2),
        [&](OpBuilder &nb, Location l, ValueRange) {
          Value bi = linalg::IndexOp::create(nb, l, 0);
          Value n = linalg::IndexOp::create(nb, l, 1);
          Value c = arith::ConstantIndexOp::create(nb, l, C);
          Value one = arith::ConstantIndexOp::create(nb, l, 1);
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          Value start = arith::MulIOp::create(nb, l, n, c);
          Value end = arith::MinUIOp::create(
              nb, l, arith::AddIOp::create(nb, l, start, c), lVal);
          end = arith::SubIOp::create(nb, l, end, one);
          Value isFirst =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, n, zero);
          Value prev = arith::SelectOp::create(
              nb, l, isFirst, zero, arith::SubIOp::create(nb, l, start, one));
          Value e = tensor::ExtractOp::create(nb, l, seg, ValueRange{bi, end});
          Value p = tensor::ExtractOp::create(nb, l, seg, ValueRange{bi, prev});
          linalg::YieldOp::create(nb, l, ValueRange{e, p});
        });
    ch.segEnd = ends.getResult(0);
    ch.segPrev = ends.getResult(1);
  }
  if (ch.logDecay) {
    // G[i] = sum_{j <= i} g[j] in the chunk; loops (b, h, n, i, [d], j).
    unsigned n = in.channel ? 5 : 4;
    SmallVector<OpFoldResult> sizes = {in.B, in.H, ch.N, b.getIndexAttr(C)};
    SmallVector<AffineExpr> gIn = {d(0), d(1), d(2), d(n)};
    if (in.channel) {
      sizes.push_back(in.Dk);
      gIn.push_back(d(4));
    }
    ch.G = lb.generic(
        {ch.logDecay}, lb.filled(sizes, 0.0),
        {lb.map(n + 1, gIn), leadingMap(b, n + 1, n)},
        LinalgBuilder::iters(n, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value i = linalg::IndexOp::create(nb, l, 3);
          Value j = linalg::IndexOp::create(nb, l, n);
          Value le =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, j, i);
          Value x = arith::SelectOp::create(nb, l, le, a[0], zeroF32(nb, l));
          yield(nb, l, arith::AddFOp::create(nb, l, a[1], x));
        });
    // Glast = sum_j g[j]; loops (b, h, n, [d], j).
    SmallVector<OpFoldResult> lsizes = {in.B, in.H, ch.N};
    SmallVector<AffineExpr> lIn = {d(0), d(1), d(2), d(n - 1)};
    if (in.channel) {
      lsizes.push_back(in.Dk);
      lIn = {d(0), d(1), d(2), d(4), d(3)};
    }
    ch.Glast =
        lb.generic({ch.logDecay}, lb.filled(lsizes, 0.0),
                   {lb.map(n, lIn), leadingMap(b, n, n - 1)},
                   LinalgBuilder::iters(n - 1, 1),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     yield(nb, l, arith::AddFOp::create(nb, l, a[1], a[0]));
                   });
  }
  return ch;
}

static AffineMap leading(LinalgBuilder &lb, unsigned n, unsigned k) {
  return leadingMap(lb.b, n, k);
}

namespace {
/// The chunk state piece: per chunk, its contribution to the state at its
/// end and the decay of the state entering it.
struct ChunkState {
  Value B;      ///< [B, H, N, Dk, Dv']: sum_j exp(Glast - G_j) k_j v_j^T.
  Value Lambda; ///< [B, H, N(, Dk)]: exp(Glast), 0 when a sequence starts
                ///< in the chunk; null when the state never decays.
};
} // namespace

/// The chunk state piece; parallel over (b, h, n).
static ChunkState buildChunkState(OpBuilder &b, Location loc,
                                  const LinearAttentionInputs &in,
                                  const Chunks &ch) {
  LinalgBuilder lb(b, loc);
  auto d = [&](unsigned i) { return lb.d(i); };
  bool channel = in.channel;
  OpFoldResult C = b.getIndexAttr(ch.C);
  ChunkState cs;
  // kdT[d, j] = k[j, d] exp(Glast_d - G_jd) (id_j == segEnd), transposed
  // for the matmul; loops (b, h, n, d, j).
  SmallVector<Value> ins = {ch.k};
  SmallVector<AffineMap> maps = {lb.map(5, {d(0), d(1), d(2), d(4), d(3)})};
  if (ch.G) {
    ins.append({ch.G, ch.Glast});
    maps.push_back(channel ? lb.map(5, {d(0), d(1), d(2), d(4), d(3)})
                           : lb.map(5, {d(0), d(1), d(2), d(4)}));
    maps.push_back(channel ? leading(lb, 5, 4) : leading(lb, 5, 3));
  }
  if (ch.segments) {
    ins.append({ch.segments, ch.segEnd});
    maps.push_back(lb.map(5, {d(0), d(2), d(4)}));
    maps.push_back(lb.map(5, {d(0), d(2)}));
  }
  maps.push_back(lb.id(5));
  bool hasG = static_cast<bool>(ch.G), hasSeg = static_cast<bool>(ch.segments);
  Value kdT = lb.generic(
      ins, lb.empty({in.B, in.H, ch.N, in.Dk, C}, lb.f32), maps,
      LinalgBuilder::iters(5), [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r = a[0];
        unsigned next = 1;
        if (hasG) {
          Value e = arith::SubFOp::create(nb, l, a[2], a[1]);
          r = arith::MulFOp::create(nb, l, r, math::ExpOp::create(nb, l, e));
          next = 3;
        }
        if (hasSeg) {
          Value same = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             a[next], a[next + 1]);
          r = arith::MulFOp::create(nb, l, r, boolToF32(nb, l, same));
        }
        yield(nb, l, r);
      });
  // B[n] = kdT[n] v[n].
  cs.B = batchMatmul(b, loc, kdT, ch.v,
                     lb.filled({in.B, in.H, ch.N, in.Dk, in.DvAug}, 0.0));
  if (!ch.G && !ch.segments)
    return cs;
  unsigned n = channel ? 4 : 3;
  SmallVector<OpFoldResult> sizes = {in.B, in.H, ch.N};
  if (channel)
    sizes.push_back(in.Dk);
  ins.clear();
  maps.clear();
  if (ch.G) {
    ins.push_back(ch.Glast);
    maps.push_back(lb.id(n));
  }
  if (ch.segments) {
    ins.append({ch.segEnd, ch.segPrev});
    maps.append({lb.map(n, {d(0), d(2)}), lb.map(n, {d(0), d(2)})});
  }
  maps.push_back(lb.id(n));
  cs.Lambda = lb.generic(
      ins, lb.empty(sizes, lb.f32), maps, LinalgBuilder::iters(n),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r =
            hasG ? math::ExpOp::create(nb, l, a[0]).getResult()
                 : arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1.0))
                       .getResult();
        if (hasSeg) {
          Value same = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             a[hasG ? 1 : 0], a[hasG ? 2 : 1]);
          r = arith::MulFOp::create(nb, l, r, boolToF32(nb, l, same));
        }
        yield(nb, l, r);
      });
  return cs;
}

/// The state scan piece: the scan of the (Lambda_n, B_n) pairs under
/// (L1, B1) . (L2, B2) = (L1 L2, L2 (.) B1 + B2), evaluated left to right
/// from S0. Returns the state entering each chunk [B, H, N, Dk, Dv'] and
/// the final state.
static std::pair<Value, Value> buildStateScan(OpBuilder &b, Location loc,
                                              const LinearAttentionInputs &in,
                                              const Chunks &ch,
                                              const ChunkState &cs) {
  LinalgBuilder lb(b, loc);
  bool channel = in.channel;
  // The state as [B, H, 1, Dk, Dv'], a slice of the per-chunk states.
  OpFoldResult one = b.getIndexAttr(1);
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}, {3}, {4}};
  SmallVector<OpFoldResult> sizes = {in.B, in.H, one, in.Dk, in.DvAug};
  auto sT = RankedTensorType::get(staticShape(sizes), lb.f32);
  Value S0 = in.state0 ? tensor::ExpandShapeOp::create(b, loc, sT, in.state0,
                                                       reassoc, sizes)
                             .getResult()
                       : lb.filled(sizes, 0.0);
  // The states entering the chunks overwrite the chunk contributions in
  // place (slot n holds B_n until step n reads it): one [B, H, N, Dk, Dv']
  // buffer, not two.
  Value nVal = getValueOrCreateConstantIndexOp(b, loc, ch.N);
  auto loop = scf::ForOp::create(
      b, loc, lb.index(0), nVal, lb.index(1), ValueRange{S0, cs.B},
      [&](OpBuilder &nb, Location l, Value n, ValueRange iter) {
        LinalgBuilder sb(nb, l);
        Value bn = sliceAt(nb, l, iter[1], 2, n);
        Value prev = insertAt(nb, l, iter[0], iter[1], 2, n);
        SmallVector<Value> ins = {bn};
        SmallVector<AffineMap> maps = {sb.id(5)};
        if (cs.Lambda) {
          ins.push_back(sliceAt(nb, l, cs.Lambda, 2, n));
          maps.push_back(channel ? leading(sb, 5, 4) : leading(sb, 5, 3));
        }
        maps.push_back(sb.id(5));
        bool hasL = static_cast<bool>(cs.Lambda);
        Value S =
            sb.generic(ins, iter[0], maps, LinalgBuilder::iters(5),
                       [&](OpBuilder &bb, Location ll, ValueRange a) {
                         Value s = a.back();
                         if (hasL)
                           s = arith::MulFOp::create(bb, ll, s, a[1]);
                         yield(bb, ll, arith::AddFOp::create(bb, ll, s, a[0]));
                       });
        scf::YieldOp::create(nb, l, ValueRange{S, prev});
      });
  Value S = tensor::CollapseShapeOp::create(b, loc, loop.getResult(0), reassoc);
  return {loop.getResult(1), S};
}

/// The chunk output piece: the intra-chunk quadratic part plus the state
/// entering the chunk; parallel over (b, h, n). Returns [B, H, N, C, Dv'].
static Value buildChunkOutput(OpBuilder &b, Location loc,
                              const LinearAttentionInputs &in, const Chunks &ch,
                              Value Sprev) {
  LinalgBuilder lb(b, loc);
  auto d = [&](unsigned i) { return lb.d(i); };
  bool channel = in.channel;
  OpFoldResult C = b.getIndexAttr(ch.C);
  // P[i, j] = sum_d q[i, d] k[j, d] (x exp(G_id - G_jd), j <= i, with a
  // channel gate: then a generic, loops (b, h, n, i, j, d)).
  Value P;
  if (!channel) {
    P = batchMatmul(b, loc, ch.q, transposeLast(b, loc, ch.k),
                    lb.filled({in.B, in.H, ch.N, C, C}, 0.0));
  } else {
    SmallVector<Value> ins = {ch.q, ch.k, ch.G, ch.G};
    SmallVector<AffineMap> maps = {lb.map(6, {d(0), d(1), d(2), d(3), d(5)}),
                                   lb.map(6, {d(0), d(1), d(2), d(4), d(5)}),
                                   lb.map(6, {d(0), d(1), d(2), d(3), d(5)}),
                                   lb.map(6, {d(0), d(1), d(2), d(4), d(5)})};
    maps.push_back(leading(lb, 6, 5));
    P = lb.generic(
        ins, lb.filled({in.B, in.H, ch.N, C, C}, 0.0), maps,
        LinalgBuilder::iters(5, 1),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          // exp(G_id - G_jd) only where j <= i: never overflows.
          Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
          Value i = linalg::IndexOp::create(nb, l, 3);
          Value j = linalg::IndexOp::create(nb, l, 4);
          Value le =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, j, i);
          Value e = arith::SubFOp::create(nb, l, a[2], a[3]);
          e = arith::SelectOp::create(nb, l, le, e, zeroF32(nb, l));
          p = arith::MulFOp::create(nb, l, p, math::ExpOp::create(nb, l, e));
          yield(nb, l, arith::AddFOp::create(nb, l, a.back(), p));
        });
  }
  // A[i, j] = P[i, j] exp(G_i - G_j) (scalar decay), 0 unless j <= i and
  // both are in one sequence; loops (b, h, n, i, j).
  {
    bool scalar = ch.G && !channel, hasSeg = static_cast<bool>(ch.segments);
    // In place: P is the destination.
    SmallVector<Value> mIns;
    SmallVector<AffineMap> mMaps;
    if (scalar) {
      mIns.append({ch.G, ch.G});
      mMaps.append({leading(lb, 5, 4), lb.map(5, {d(0), d(1), d(2), d(4)})});
    }
    if (hasSeg) {
      mIns.append({ch.segments, ch.segments});
      mMaps.append(
          {lb.map(5, {d(0), d(2), d(3)}), lb.map(5, {d(0), d(2), d(4)})});
    }
    mMaps.push_back(lb.id(5));
    P = lb.generic(
        mIns, P, mMaps, LinalgBuilder::iters(5),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value i = linalg::IndexOp::create(nb, l, 3);
          Value j = linalg::IndexOp::create(nb, l, 4);
          Value keep =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, j, i);
          Value x = a.back();
          unsigned next = 0;
          if (scalar) {
            Value e = arith::SubFOp::create(nb, l, a[0], a[1]);
            e = arith::SelectOp::create(nb, l, keep, e, zeroF32(nb, l));
            x = arith::MulFOp::create(nb, l, x, math::ExpOp::create(nb, l, e));
            next = 2;
          }
          if (hasSeg)
            keep = arith::AndIOp::create(
                nb, l, keep,
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a[next],
                                      a[next + 1]));
          yield(nb, l, arith::SelectOp::create(nb, l, keep, x, zeroF32(nb, l)));
        });
  }
  // O = A v.
  Value O = batchMatmul(b, loc, P, ch.v,
                        lb.filled({in.B, in.H, ch.N, C, in.DvAug}, 0.0));
  // qd[i, d] = q[i, d] exp(G_id) (id_i == segPrev); loops (b, h, n, i, d).
  Value qd = ch.q;
  if (ch.G || ch.segments) {
    SmallVector<Value> qIns = {ch.q};
    SmallVector<AffineMap> qMaps = {lb.id(5)};
    if (ch.G) {
      qIns.push_back(ch.G);
      qMaps.push_back(channel ? lb.id(5) : leading(lb, 5, 4));
    }
    if (ch.segments) {
      qIns.append({ch.segments, ch.segPrev});
      qMaps.append({lb.map(5, {d(0), d(2), d(3)}), lb.map(5, {d(0), d(2)})});
    }
    qMaps.push_back(lb.id(5));
    bool hasG = static_cast<bool>(ch.G),
         hasSeg = static_cast<bool>(ch.segments);
    qd = lb.generic(
        qIns, lb.empty({in.B, in.H, ch.N, C, in.Dk}, lb.f32), qMaps,
        LinalgBuilder::iters(5), [&](OpBuilder &nb, Location l, ValueRange a) {
          Value r = a[0];
          unsigned next = 1;
          if (hasG) {
            r = arith::MulFOp::create(nb, l, r,
                                      math::ExpOp::create(nb, l, a[1]));
            next = 2;
          }
          if (hasSeg) {
            Value same = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                               a[next], a[next + 1]);
            r = arith::MulFOp::create(nb, l, r, boolToF32(nb, l, same));
          }
          yield(nb, l, r);
        });
  }
  // O += qd Sprev.
  return batchMatmul(b, loc, qd, Sprev, O);
}

SmallVector<Value>
mlir::attn::linear_forms::buildChunkedLinearAttention(
    OpBuilder &b, LinearAttentionOp op, const LinearAttentionInputs &in,
    int64_t C) {
  Location loc = op.getLoc();
  Chunks ch = buildChunks(b, loc, in, C);
  ChunkState cs = buildChunkState(b, loc, in, ch);
  auto [Sprev, S] = buildStateScan(b, loc, in, ch, cs);
  Value O = buildChunkOutput(b, loc, in, ch, Sprev);
  // [B, H, N, C, Dv'] -> [B, H, N C, Dv'] -> the first L rows.
  SmallVector<ReassociationIndices> reassoc = {{0}, {1}, {2, 3}, {4}};
  Value flat = tensor::CollapseShapeOp::create(b, loc, O, reassoc);
  SmallVector<OpFoldResult> sizes = {in.B, in.H, in.L, in.DvAug};
  auto rT = RankedTensorType::get(staticShape(sizes), b.getF32Type());
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
      ones(4, b.getIndexAttr(1));
  Value out =
      tensor::ExtractSliceOp::create(b, loc, rT, flat, zeros, sizes, ones);
  return finalizeLinearAttention(b, op, in, out, S);
}
