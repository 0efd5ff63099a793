//===- AttnTile.cpp - online-softmax tiling with tile skipping --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Lowers attn.attention to the FlashAttention-2 recurrence:
//
//   scf.forall (b, h, qt) in (B, Hq, ceil(Lq / Tq)) {
//     [kvLo, kvHi) = key range kept by the masks and lengths for this tile
//     m, l, acc = init
//     scf.for k0 = kvLo to kvHi step Tk {
//       (skipped at run time when the document ranges are disjoint)
//       S = Q_tile . K_tile^T               (f32; transposed, K . Q_tile^T,
//                                            in the micro-kernel path)
//       S = score(S) without / with masks   (scf.if on "tile is full")
//       m, l, acc = online update(S, V_tile)
//     }
//     O_tile = acc / l
//   }
//
// The key range and the fullness test come from StructuredMaskAttrInterface,
// so they are symbolic in the sequence lengths. f32 tiles that meet
// useMicroKernels() are static, zero-padded and use register-blocked vector
// kernels; all others use dynamically shaped linalg tiles. With bf16-dot,
// bf16 micro-kernel tiles compute Q . K^T with the AVX512-BF16 dot product
// (x86vector.avx512.dot) from a pair-interleaved query tile.
//
//===----------------------------------------------------------------------===//

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

namespace {
using IterTy = utils::IteratorType;

/// Builds the tiled form of one attention op.
struct OnlineTiler {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  Type f32;
  AttentionTileSizes sizes;
  Normalizer norm;

  // Problem sizes (index values) and derived constants.
  Value B, Hq, Lq, D, Lkv, Dv, group, scale;
  OpFoldResult dStatic, dvStatic;
  /// Block summary of the mask tensor: per (query tile, key tile) block,
  /// whether any score is kept and (boolean masks) whether all are.
  Value maskAny, maskAll;
  /// Number of key splits (split-KV for decode), as a value and a size.
  int64_t splits = 1;
  OpFoldResult splitsOfr;

  OnlineTiler(AttentionOp op, OpBuilder &b, const AttentionTileSizes &sizes)
      : op(op), b(b), loc(op.getLoc()), ctx(op.getContext()),
        f32(b.getF32Type()), sizes(sizes), norm(op.getNormalizer()) {}

  Value cst(OpBuilder &nb, int64_t v) {
    return arith::ConstantIndexOp::create(nb, loc, v);
  }
  static Value f32Const(OpBuilder &nb, Location l, double v) {
    return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
  }
  static Value negInf(OpBuilder &nb, Location l) {
    return f32Const(nb, l, -std::numeric_limits<double>::infinity());
  }
  /// x when x > -inf, else 0: the stabiliser of a row with no kept score.
  static Value safeMax(OpBuilder &nb, Location l, Value x) {
    Value isInf =
        arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, x, negInf(nb, l));
    return arith::SelectOp::create(nb, l, isInf, f32Const(nb, l, 0.0), x);
  }
  AffineExpr d(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineMap map(unsigned n, ArrayRef<AffineExpr> r) {
    return AffineMap::get(n, 0, r, ctx);
  }

  Value empty(OpBuilder &nb, ArrayRef<OpFoldResult> shape, Type elem) {
    return tensor::EmptyOp::create(nb, loc, shape, elem);
  }
  Value filled(OpBuilder &nb, ArrayRef<OpFoldResult> shape, double v) {
    return linalg::FillOp::create(nb, loc, ValueRange{f32Const(nb, loc, v)},
                                  ValueRange{empty(nb, shape, f32)})
        .getResult(0);
  }
  Value generic(OpBuilder &nb, ValueRange ins, Value init,
                ArrayRef<AffineMap> maps, ArrayRef<IterTy> iters,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    return linalg::GenericOp::create(
               nb, loc, TypeRange{init.getType()}, ins, ValueRange{init},
               maps, iters,
               [&](OpBuilder &bb, Location l, ValueRange args) {
                 linalg::YieldOp::create(bb, l, ValueRange{body(bb, l, args)});
               })
        .getResult(0);
  }

  /// A 2-D slice [rows, cols] of the 4-D tensor `t` at (b, h, r0, 0).
  Value slice2D(OpBuilder &nb, Value t, Value bi, Value hi, Value r0,
                OpFoldResult rows, OpFoldResult cols) {
    auto tT = cast<RankedTensorType>(t.getType());
    SmallVector<OpFoldResult> offs = {bi, hi, r0, nb.getIndexAttr(0)};
    SmallVector<OpFoldResult> szs = {nb.getIndexAttr(1), nb.getIndexAttr(1),
                                     rows, cols};
    SmallVector<OpFoldResult> strides(4, nb.getIndexAttr(1));
    RankedTensorType resT =
        tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(2, tT,
                                                                    szs);
    return tensor::ExtractSliceOp::create(nb, loc, resT, t, offs, szs,
                                          strides);
  }

  FailureOr<SmallVector<Value>> run();
  bool useMicroKernels();
  bool useBF16Dot();
  Value forEachBlock(
      OpBuilder &nb, Value t, int64_t rows, int64_t cols,
      function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body);
  Value microDotT(OpBuilder &nb, Value kTile, Value qT, Value tk, Value init);
  Value microDotTBF16(OpBuilder &nb, Value kTile, Value qT2, Value tk,
                      Value init);
  Value microPV(OpBuilder &nb, Value p, Value vTile, Value acc, Value tk);
  std::pair<Value, Value> segmentRange(OpBuilder &nb, Value ids, Value bi,
                                       Value start, Value count);
  SmallVector<Value> finalize(OpBuilder &nb, Value acc, Value sum, Value m);
  void summarizeMask(OpBuilder &nb);
  Value maskBlockFlag(OpBuilder &nb, Value flags, Value bi, Value hi, Value qt,
                      Value kt);
  SmallVector<Value> mergeSplits(OpBuilder &nb, Value accP, Value mP,
                                 Value sumP);
  void buildTile(OpBuilder &nb, Value bi, Value hi, Value qt, Value split,
                 SmallVectorImpl<Value> &tiles, Value &q0Out, Value &tqOut);
  Value scores(OpBuilder &nb, Value dot, Value bi, Value hi, Value q0,
               Value k0, Value qLen, Value kvLen, bool structured,
               Value kvEnd, bool transposed);
};
} // namespace

/// Applies the score semantics to a tile of dot products whose element
/// (i, j) is the global (q0 + i, k0 + j), or (k0 + i, q0 + j) for a
/// `transposed` (keys x queries) tile. With `kvEnd` set the tile is
/// padded: columns at or past `kvEnd` become -inf and indices are clamped
/// into the operands' bounds before any read (padded rows are discarded by
/// the caller).
Value OnlineTiler::scores(OpBuilder &nb, Value dot, Value bi, Value hi,
                          Value q0, Value k0, Value qLen, Value kvLen,
                          bool structured, Value kvEnd, bool transposed) {
  AffineMap id2 = nb.getMultiDimIdentityMap(2);
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(nb, loc, dot);
  return generic(
      nb, {dot}, empty(nb, shape, f32), {id2, id2},
      {IterTy::parallel, IterTy::parallel},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        Value gi = arith::AddIOp::create(
            bb, l, q0, linalg::IndexOp::create(bb, l, transposed ? 1 : 0));
        Value gj = arith::AddIOp::create(
            bb, l, k0, linalg::IndexOp::create(bb, l, transposed ? 0 : 1));
        Value inRange;
        if (kvEnd) {
          inRange = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, gj,
                                          kvEnd);
          Value one = arith::ConstantIndexOp::create(bb, l, 1);
          gi = arith::MinSIOp::create(bb, l, gi,
                                      arith::SubIOp::create(bb, l, Lq, one));
          gj = arith::MinSIOp::create(bb, l, gj,
                                      arith::SubIOp::create(bb, l, Lkv, one));
        }
        SmallVector<Value> idx = {bi, hi, gi, gj};
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
          Value zero;
          for (unsigned i = 0; i < mT.getRank(); ++i) {
            if (mT.getDimSize(i) == 1) {
              if (!zero)
                zero = arith::ConstantIndexOp::create(bb, l, 0);
              mi.push_back(zero);
            } else {
              mi.push_back(idx[lead + i]);
            }
          }
          in.mask = tensor::ExtractOp::create(bb, l, m, mi);
        }
        if (Value qs = op.getQSegmentIds()) {
          in.qSegment = tensor::ExtractOp::create(bb, l, qs, ValueRange{bi, gi});
          in.kvSegment = tensor::ExtractOp::create(bb, l, op.getKvSegmentIds(),
                                                   ValueRange{bi, gj});
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

//===----------------------------------------------------------------------===//
// Register-blocked micro-kernels for static padded f32 tiles
//===----------------------------------------------------------------------===//
//
// Both products keep a kMR x (kNR * kLanes) block of the result in vector
// registers across their reduction loop, broadcasting one scalar of the left
// operand per row and loading kNR vectors of the right one per step: kMR*kNR
// FMAs for kNR + kMR loads, so the loop is FMA-bound instead of load-bound.

static constexpr int64_t kLanes = 16; // f32 lanes of an AVX-512 register.
static constexpr int64_t kMR = 8;     // Rows of the register block.
static constexpr int64_t kNR = 2;     // Vectors per row of the register block.

bool OnlineTiler::useMicroKernels() {
  auto qT = op.getQueryType();
  int64_t d = qT.getDimSize(3), dv = op.getValueType().getDimSize(3);
  return !ShapedType::isDynamic(d) &&
         !ShapedType::isDynamic(dv) && dv % (kNR * kLanes) == 0 &&
         sizes.qTile % (kNR * kLanes) == 0 && sizes.kvTile % kMR == 0;
}

/// bf16-dot applies: micro-kernel tiles, bf16 Q and K, an even Dqk.
bool OnlineTiler::useBF16Dot() {
  int64_t d = op.getQueryType().getDimSize(3);
  return sizes.bf16Dot && useMicroKernels() && d % 2 == 0 &&
         op.getQueryType().getElementType().isBF16() &&
         op.getKeyType().getElementType().isBF16();
}

/// Yields the operand vector of block row or column `i` at reduction step k.
using BlockOperandFn =
    function_ref<Value(OpBuilder &, Location, int64_t, Value)>;
/// One accumulation step: (a, b, acc) -> acc'.
using BlockStepFn =
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)>;

/// The common core of the micro-kernels: for k in [0, ub), acc[r][c] =
/// step(a(r, k), b(c, k), acc[r][c]) on a kMR x kNR block of vector
/// accumulators starting from `init`, where `a` yields a vector broadcast
/// from row r's operand and `step` is an FMA (or a bf16 pair dot product);
/// returns the final block.
static SmallVector<Value> blockFMA(OpBuilder &b, Location loc, ValueRange init,
                                   Value ub, BlockOperandFn a,
                                   BlockOperandFn bvec, BlockStepFn step) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, c0, ub, c1, init,
      [&](OpBuilder &db, Location dl, Value k, ValueRange acc) {
        SmallVector<Value> bv;
        for (int64_t c = 0; c < kNR; ++c)
          bv.push_back(bvec(db, dl, c, k));
        SmallVector<Value> next;
        for (int64_t r = 0; r < kMR; ++r) {
          Value av = a(db, dl, r, k);
          for (int64_t c = 0; c < kNR; ++c)
            next.push_back(step(db, dl, av, bv[c], acc[r * kNR + c]));
        }
        scf::YieldOp::create(db, dl, next);
      });
  return SmallVector<Value>(loop.getResults());
}

/// The f32 step of blockFMA: acc + a * b.
static Value fmaStep(OpBuilder &b, Location loc, Value a, Value bv, Value acc) {
  return vector::FMAOp::create(b, loc, a, bv, acc);
}

/// A vector<kLanes x f32> whose lanes all hold `x`.
static Value splatF32(OpBuilder &b, Location loc, Value x) {
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({kLanes}, b.getF32Type()), x);
}

/// Element (r0 + r, c0 + c * kLanes) of `t` for block position (r, c).
static SmallVector<Value> blockIndex(OpBuilder &b, Location loc, Value r0,
                                     Value c0, int64_t r, int64_t c) {
  return {arith::AddIOp::create(b, loc, r0,
                                arith::ConstantIndexOp::create(b, loc, r)),
          arith::AddIOp::create(
              b, loc, c0, arith::ConstantIndexOp::create(b, loc, c * kLanes))};
}

/// Writes a kMR x kNR block of vectors into `t` at rows r0.., columns c0...
static Value storeBlock(OpBuilder &b, Location loc, ValueRange block, Value t,
                        Value r0, Value c0) {
  for (int64_t r = 0; r < kMR; ++r)
    for (int64_t c = 0; c < kNR; ++c)
      t = vector::TransferWriteOp::create(b, loc, block[r * kNR + c], t,
                                          blockIndex(b, loc, r0, c0, r, c),
                                          ArrayRef<bool>{true})
              .getResult();
  return t;
}

/// Loops over the kMR x (kNR * kLanes) blocks of a [rows, cols] tile `t`,
/// calling `body(b, loc, r0, c0, t)` that returns the updated tile.
Value OnlineTiler::forEachBlock(
    OpBuilder &nb, Value t, int64_t rows, int64_t cols,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body) {
  auto rowLoop = scf::ForOp::create(
      nb, loc, cst(nb, 0), cst(nb, rows), cst(nb, kMR), ValueRange{t},
      [&](OpBuilder &rb, Location l, Value r0, ValueRange rArgs) {
        auto colLoop = scf::ForOp::create(
            rb, l, cst(rb, 0), cst(rb, cols), cst(rb, kNR * kLanes), rArgs,
            [&](OpBuilder &cb, Location cl, Value c0, ValueRange cArgs) {
              scf::YieldOp::create(cb, cl, body(cb, cl, r0, c0, cArgs[0]));
            });
        scf::YieldOp::create(rb, l, colLoop.getResults());
      });
  return rowLoop.getResult(0);
}

/// dotT[Tk, Tq] = k[0:tk, D] . qT[D, Tq]: the scores transposed (keys x
/// queries), from the unpadded key tile and the zero-padded transposed query
/// tile (built once per query tile). Key rows at or past `tk` read the last
/// real row (clamped index); the caller masks those scores.
Value OnlineTiler::microDotT(OpBuilder &nb, Value kTile, Value qT, Value tk,
                             Value init) {
  int64_t d = op.getQueryType().getDimSize(3);
  auto vecT = VectorType::get({kLanes}, f32);
  Value zeroVec = arith::ConstantOp::create(
      nb, loc, vecT, DenseElementsAttr::get(vecT, nb.getF32FloatAttr(0.0)));
  Value pad = f32Const(nb, loc, 0.0);
  Value lastRow = arith::SubIOp::create(nb, loc, tk, cst(nb, 1));
  return forEachBlock(
      nb, init, sizes.kvTile, sizes.qTile,
      [&](OpBuilder &b, Location l, Value j0, Value i0, Value out) {
        SmallVector<Value> kRows;
        for (int64_t r = 0; r < kMR; ++r)
          kRows.push_back(arith::MinSIOp::create(
              b, l, arith::AddIOp::create(b, l, j0, cst(b, r)), lastRow));
        SmallVector<Value> block = blockFMA(
            b, l, SmallVector<Value>(kMR * kNR, zeroVec), cst(b, d),
            [&](OpBuilder &bb, Location bl, int64_t r, Value dd) -> Value {
              return splatF32(
                  bb, bl,
                  castToF32(bb, bl,
                            tensor::ExtractOp::create(
                                bb, bl, kTile, ValueRange{kRows[r], dd})));
            },
            [&](OpBuilder &bb, Location bl, int64_t c, Value dd) -> Value {
              return vector::TransferReadOp::create(
                  bb, bl, vecT, qT, blockIndex(bb, bl, dd, i0, 0, c), pad,
                  ArrayRef<bool>{true});
            },
            fmaStep);
        return storeBlock(b, l, block, out, j0, i0);
      });
}

/// microDotT for bf16 Q and K with AVX512-BF16: `qT2` is the zero-padded
/// query tile as bf16 pairs along D, [D/2, 2 * Tq] with qT2[p, 2i + j] =
/// q[i, 2p + j]. Each step of the reduction over the D/2 pairs broadcasts
/// the 32-bit pair (k[r, 2p], k[r, 2p + 1]) of a key row and runs
/// `x86vector.avx512.dot` (vdpbf16ps): lane i accumulates, in f32,
/// k[r, 2p] * q[i, 2p] + k[r, 2p + 1] * q[i, 2p + 1].
Value OnlineTiler::microDotTBF16(OpBuilder &nb, Value kTile, Value qT2,
                                 Value tk, Value init) {
  int64_t d = op.getQueryType().getDimSize(3);
  Type bf16 = nb.getBF16Type();
  Type i32 = nb.getI32Type();
  auto vecT = VectorType::get({kLanes}, f32);
  auto pairsT = VectorType::get({2 * kLanes}, bf16);
  Value zeroVec = arith::ConstantOp::create(
      nb, loc, vecT, DenseElementsAttr::get(vecT, nb.getF32FloatAttr(0.0)));
  Value pad = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(bf16, 0.0));
  Value lastRow = arith::SubIOp::create(nb, loc, tk, cst(nb, 1));
  return forEachBlock(
      nb, init, sizes.kvTile, sizes.qTile,
      [&](OpBuilder &b, Location l, Value j0, Value i0, Value out) {
        SmallVector<Value> kRows;
        for (int64_t r = 0; r < kMR; ++r)
          kRows.push_back(arith::MinSIOp::create(
              b, l, arith::AddIOp::create(b, l, j0, cst(b, r)), lastRow));
        // Column of query i0 in qT2.
        Value col0 = arith::MulIOp::create(b, l, i0, cst(b, 2));
        SmallVector<Value> block = blockFMA(
            b, l, SmallVector<Value>(kMR * kNR, zeroVec), cst(b, d / 2),
            [&](OpBuilder &bb, Location bl, int64_t r, Value p) -> Value {
              Value dd = arith::MulIOp::create(bb, bl, p, cst(bb, 2));
              Value pair = vector::TransferReadOp::create(
                  bb, bl, VectorType::get({2}, bf16), kTile,
                  ValueRange{kRows[r], dd}, pad, ArrayRef<bool>{true});
              Value bits = vector::BitCastOp::create(
                  bb, bl, VectorType::get({1}, i32), pair);
              Value splat = vector::BroadcastOp::create(
                  bb, bl, VectorType::get({kLanes}, i32), bits);
              return vector::BitCastOp::create(bb, bl, pairsT, splat);
            },
            [&](OpBuilder &bb, Location bl, int64_t c, Value p) -> Value {
              Value col =
                  arith::AddIOp::create(bb, bl, col0, cst(bb, c * 2 * kLanes));
              return vector::TransferReadOp::create(bb, bl, pairsT, qT2,
                                                    ValueRange{p, col}, pad,
                                                    ArrayRef<bool>{true});
            },
            [&](OpBuilder &bb, Location bl, Value a, Value bv,
                Value acc) -> Value {
              return x86vector::DotBF16Op::create(bb, bl, vecT, acc, a, bv);
            });
        return storeBlock(b, l, block, out, j0, i0);
      });
}

/// acc[Tq, Dv] += pT[0:tk, Tq]^T . v[0:tk, Dv]: pT is the static padded
/// transposed weight tile, v the unpadded value tile (stopping at tk reads
/// no padding).
Value OnlineTiler::microPV(OpBuilder &nb, Value p, Value vTile, Value acc,
                           Value tk) {
  auto vecT = VectorType::get({kLanes}, f32);
  Value pad = f32Const(nb, loc, 0.0);
  Type vElem = cast<RankedTensorType>(vTile.getType()).getElementType();
  Value vPad = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(vElem, 0.0));
  return forEachBlock(
      nb, acc, sizes.qTile, op.getValueType().getDimSize(3),
      [&](OpBuilder &b, Location l, Value i0, Value e0, Value out) {
        SmallVector<Value> init;
        for (int64_t r = 0; r < kMR; ++r)
          for (int64_t c = 0; c < kNR; ++c)
            init.push_back(vector::TransferReadOp::create(
                b, l, vecT, out, blockIndex(b, l, i0, e0, r, c), pad,
                ArrayRef<bool>{true}));
        SmallVector<Value> block = blockFMA(
            b, l, init, tk,
            [&](OpBuilder &bb, Location bl, int64_t r, Value j) -> Value {
              Value i = arith::AddIOp::create(bb, bl, i0, cst(bb, r));
              return splatF32(
                  bb, bl,
                  tensor::ExtractOp::create(bb, bl, p, ValueRange{j, i}));
            },
            [&](OpBuilder &bb, Location bl, int64_t c, Value j) -> Value {
              // f16/bf16 values widen to f32 lanes after the load.
              Value x = vector::TransferReadOp::create(
                  bb, bl, VectorType::get({kLanes}, vElem), vTile,
                  blockIndex(bb, bl, j, e0, 0, c), vPad,
                  ArrayRef<bool>{true});
              if (vElem != f32)
                x = arith::ExtFOp::create(bb, bl, vecT, x);
              return x;
            },
            fmaStep);
        return storeBlock(b, l, block, out, i0, e0);
      });
}

/// (min, max) of ids[bi, start : start + count] (count >= 1).
std::pair<Value, Value> OnlineTiler::segmentRange(OpBuilder &nb, Value ids,
                                                  Value bi, Value start,
                                                  Value count) {
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
                    bb.getFloatAttr(
                        a[0].getType(),
                        -std::numeric_limits<double>::infinity())));
          Value k8 = arith::ExtUIOp::create(bb, l, i8, kept);
          SmallVector<Value> res = {arith::OrIOp::create(bb, l, a[1], k8)};
          if (boolean)
            res.push_back(arith::AndIOp::create(bb, l, a[2], k8));
          linalg::YieldOp::create(bb, l, res);
        });
    for (unsigned f = 0; f < flags.size(); ++f)
      flags[f] = tensor::InsertSliceOp::create(nb, loc, summary.getResult(f),
                                               flags[f], flagOffs, flagSzs,
                                               ones);
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

/// The summary flag (as an i1) of the block (query tile `qt`, key tile
/// `kt`) for query head `hi` of batch `bi`.
Value OnlineTiler::maskBlockFlag(OpBuilder &nb, Value flags, Value bi,
                                 Value hi, Value qt, Value kt) {
  auto fT = cast<RankedTensorType>(flags.getType());
  auto mT = cast<RankedTensorType>(op.getMask().getType());
  unsigned r = fT.getRank(), lead = 4 - r;
  Value global[4] = {bi, hi, qt, kt};
  SmallVector<Value> idx;
  for (unsigned i = 0; i < r; ++i)
    idx.push_back(mT.getDimSize(i) == 1 ? cst(nb, 0) : global[lead + i]);
  Value f = tensor::ExtractOp::create(nb, loc, flags, idx);
  return arith::TruncIOp::create(nb, loc, nb.getI1Type(), f);
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

/// Merges the per-split states [B, Hq, Lq, S, ...] with attn.merge_states
/// along the split dimension, then finalize().
SmallVector<Value> OnlineTiler::mergeSplits(OpBuilder &nb, Value accP,
                                            Value mP, Value sumP) {
  SmallVector<OpFoldResult> rowShape = {B, Hq, Lq};
  Value accInit = empty(nb, {B, Hq, Lq, dvStatic}, f32);
  Value rowInit = empty(nb, rowShape, f32);
  auto merge = MergeStatesOp::create(
      nb, loc, TypeRange{accInit.getType(), rowInit.getType(), rowInit.getType()},
      ValueRange{accP}, ValueRange{mP}, ValueRange{sumP},
      ValueRange{accInit, rowInit, rowInit}, LseBase::e,
      nb.getI64IntegerAttr(3));
  return finalize(nb, merge.getResult(0), merge.getResult(2),
                  merge.getResult(1));
}

void OnlineTiler::buildTile(OpBuilder &nb, Value bi, Value hi, Value qt,
                            Value split, SmallVectorImpl<Value> &tiles,
                            Value &q0Out, Value &tqOut) {
  Value tq0 = cst(nb, sizes.qTile), tk0 = cst(nb, sizes.kvTile);
  Value q0 = arith::MulIOp::create(nb, loc, qt, tq0);
  Value tq = arith::MinSIOp::create(
      nb, loc, tq0, arith::SubIOp::create(nb, loc, Lq, q0));
  Value hk = arith::DivUIOp::create(nb, loc, hi, group);
  auto lengthOf = [&](Value lengths, Value dflt) -> Value {
    if (!lengths)
      return dflt;
    Value e = tensor::ExtractOp::create(nb, loc, lengths, ValueRange{bi});
    return arith::IndexCastOp::create(nb, loc, nb.getIndexType(), e);
  };
  Value qLen = lengthOf(op.getQLengths(), Lq);
  Value kvLen = lengthOf(op.getKvLengths(), Lkv);

  // Aligned rows of the tile: q' = i + (kvLen - qLen).
  Value off = arith::SubIOp::create(nb, loc, kvLen, qLen);
  Value qLoA = arith::AddIOp::create(nb, loc, q0, off);
  Value qHiA = arith::AddIOp::create(
      nb, loc, arith::AddIOp::create(nb, loc, qLoA, tq), cst(nb, -1));

  // Key range: [0, min(Lkv, kvLen)) intersected with every term's interval;
  // rows at or past q_lengths keep nothing, so a tile made only of them is
  // empty.
  Value kvEnd = op.getKvLengths()
                    ? arith::MinSIOp::create(nb, loc, Lkv, kvLen).getResult()
                    : Lkv;
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
                                 MaskModRows{maskMod, q0, qHiRaw, bi, hi,
                                             /*readTensors=*/true});
  Value kvLo = range.lo, kvHi = range.hi;

  // Key tiles start on multiples of the tile size when the mask summary
  // describes them (the extra keys are masked by the partial-tile path).
  // An empty range stays empty (its bounds may lie past Lkv).
  if (maskAny) {
    Value aligned = arith::MulIOp::create(
        nb, loc, arith::DivUIOp::create(nb, loc, kvLo, tk0), tk0);
    Value nonEmpty =
        arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, kvLo, kvHi);
    kvHi = arith::SelectOp::create(nb, loc, nonEmpty, kvHi, aligned);
    kvLo = aligned;
  }

  // Split-KV: this work item covers only its share of [kvLo, kvHi), in
  // whole key tiles.
  if (split) {
    Value span = arith::MaxSIOp::create(
        nb, loc, arith::SubIOp::create(nb, loc, kvHi, kvLo), cst(nb, 0));
    Value perSplit =
        arith::CeilDivUIOp::create(nb, loc, span, cst(nb, splits));
    Value chunk = arith::MulIOp::create(
        nb, loc,
        arith::CeilDivUIOp::create(nb, loc, perSplit, tk0), tk0);
    Value lo = arith::AddIOp::create(
        nb, loc, kvLo, arith::MulIOp::create(nb, loc, split, chunk));
    kvHi = arith::MinSIOp::create(nb, loc, kvHi,
                                  arith::AddIOp::create(nb, loc, lo, chunk));
    kvLo = lo;
  }

  // Running state.
  Value sinks = op.getSinks();
  Value m0, l0;
  // Micro-kernel tiles are static and zero-padded to Tq x Tk; otherwise the
  // tiles have the dynamic sizes tq x tk of the boundary.
  bool micro = useMicroKernels();
  bool bf16Dot = useBF16Dot();
  OpFoldResult rows = micro ? OpFoldResult(nb.getIndexAttr(sizes.qTile))
                            : OpFoldResult(tq);
  SmallVector<OpFoldResult> rowShape = {rows};
  if (norm == Normalizer::softmax && sinks) {
    // The sink is an extra key of logit sink_h and value 0.
    Value s = castToF32(nb, loc,
                        tensor::ExtractOp::create(nb, loc, sinks, ValueRange{hi}));
    Value one = f32Const(nb, loc, 1.0);
    if (split) {
      // Only the first key split carries the sink.
      Value first = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq,
                                          split, cst(nb, 0));
      s = arith::SelectOp::create(nb, loc, first, s, negInf(nb, loc));
      one = arith::SelectOp::create(nb, loc, first, one,
                                    f32Const(nb, loc, 0.0));
    }
    m0 = linalg::FillOp::create(nb, loc, ValueRange{s},
                                ValueRange{empty(nb, rowShape, f32)})
             .getResult(0);
    l0 = linalg::FillOp::create(nb, loc, ValueRange{one},
                                ValueRange{empty(nb, rowShape, f32)})
             .getResult(0);
  } else {
    // Softpick's maximum starts at 0 (its state never has a smaller one);
    // sigmoid's stays at its identity 0, so split states merge with unit
    // weights.
    m0 = filled(nb, rowShape,
                norm == Normalizer::softpick ? 0.0 : getIdentityMax(norm));
    l0 = filled(nb, rowShape, 0.0);
  }
  Value acc0 = filled(nb, {rows, dvStatic}, 0.0);
  Value qTile = slice2D(nb, op.getQuery(), bi, hi, q0, tq, dStatic);
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
    qSegRange = segmentRange(nb, op.getQSegmentIds(), bi, q0, tq);
  auto loop = scf::ForOp::create(
      nb, loc, kvLo, kvHi, tk0, ValueRange{m0, l0, acc0},
      [&](OpBuilder &lb0, Location l, Value k0, ValueRange state) {
        Value tk = arith::MinSIOp::create(
            lb0, l, tk0, arith::SubIOp::create(lb0, l, kvHi, k0));
        // The mask analysis of the mask_mod region on this tile: full
        // tiles evaluate no region, tiles that keep nothing are skipped.
        MaskTileClass modClass;
        if (maskMod) {
          Value kHiTile = arith::AddIOp::create(
              lb0, l, arith::AddIOp::create(lb0, l, k0, tk), cst(lb0, -1));
          modClass = classifyMaskMod(
              lb0, l, *maskMod,
              {{bi, bi}, {hi, hi}, {q0, qHiRaw}, {k0, kHiTile}},
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
        Value kTile = slice2D(lb, op.getKey(), bi, hk, k0, tk, dStatic);
        Value vTile = slice2D(lb, op.getValue(), bi, hk, k0, tk, dvStatic);

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
          s = scores(lb, dot, bi, hi, q0, k0, qLen, kvLen, false, Value(),
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
                  maskBlockFlag(lb, maskAll, bi, hi, qt,
                                arith::DivUIOp::create(lb, l, k0, tk0)));
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
                    scores(tb, dot, bi, hi, q0, k0, qLen, kvLen, false,
                           Value(), micro));
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(
                    eb, el,
                    scores(eb, dot, bi, hi, q0, k0, qLen, kvLen, true,
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
              segmentRange(lb0, op.getKvSegmentIds(), bi, k0, tk);
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
          Value any = maskBlockFlag(lb0, maskAny, bi, hi, qt,
                                    arith::DivUIOp::create(lb0, l, k0, tk0));
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

  if (split) {
    // Split keys: hand back the raw state; run() merges the splits.
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
  q0Out = q0;
  tqOut = tq;
}

FailureOr<SmallVector<Value>> OnlineTiler::run() {
  if (sizes.qTile == 0) {
    int64_t lq = op.getQueryType().getDimSize(2);
    sizes.qTile = 128;
    if (!ShapedType::isDynamic(lq) && lq < 128)
      sizes.qTile = std::max<int64_t>(32, llvm::alignTo(lq, 32));
  }
  if (sizes.kvTile == 0)
    sizes.kvTile = 64;
  if (sizes.qTile < 1 || sizes.kvTile < 1)
    return op.emitOpError("expects positive tile sizes, got q-tile = ")
           << sizes.qTile << ", kv-tile = " << sizes.kvTile;
  auto dimV = [&](Value t, unsigned i) -> Value {
    return getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, t, i));
  };
  B = dimV(op.getQuery(), 0);
  Hq = dimV(op.getQuery(), 1);
  Lq = dimV(op.getQuery(), 2);
  D = dimV(op.getQuery(), 3);
  Lkv = dimV(op.getKey(), 2);
  Dv = dimV(op.getValue(), 3);
  dStatic = tensor::getMixedSize(b, loc, op.getQuery(), 3);
  dvStatic = tensor::getMixedSize(b, loc, op.getValue(), 3);
  if (std::optional<int64_t> g = op.getStaticGroupSize())
    group = cst(b, *g);
  else
    group = arith::DivUIOp::create(b, loc, Hq, dimV(op.getKey(), 1));
  scale = buildScale(b, loc, op, D);

  Value numQT = arith::CeilDivUIOp::create(b, loc, Lq, cst(b, sizes.qTile));

  // Split-KV (decode): 0 picks a split count when the static (batch, head,
  // query tile) work is too small to occupy 8 threads and the keys are long.
  splits = sizes.kvSplits;
  if (splits == 0) {
    splits = 1;
    auto qT = op.getQueryType();
    int64_t lkv = op.getKeyType().getDimSize(2);
    if (qT.hasStaticShape() && !ShapedType::isDynamic(lkv)) {
      int64_t items = qT.getDimSize(0) * qT.getDimSize(1) *
                      llvm::divideCeil(qT.getDimSize(2), sizes.qTile);
      // Zero items (an empty batch, head or query axis): nothing to split.
      if (items > 0 && items < 8)
        splits = std::max<int64_t>(
            1, std::min<int64_t>(llvm::divideCeil(8, items),
                                 lkv / (4 * sizes.kvTile)));
    }
  }
  splitsOfr = b.getIndexAttr(splits);
  bool split = splits > 1;

  if (op.getMask())
    summarizeMask(b);

  // Static sizes stay static in the loop's results, so that consumers can
  // fuse into it without a cast in between.
  OpFoldResult bS = tensor::getMixedSize(b, loc, op.getQuery(), 0);
  OpFoldResult hS = tensor::getMixedSize(b, loc, op.getQuery(), 1);
  OpFoldResult lqS = tensor::getMixedSize(b, loc, op.getQuery(), 2);
  SmallVector<Value> outs;
  if (split) {
    outs.push_back(empty(b, {bS, hS, lqS, splitsOfr, dvStatic}, f32));
    outs.push_back(empty(b, {bS, hS, lqS, splitsOfr}, f32));
    outs.push_back(empty(b, {bS, hS, lqS, splitsOfr}, f32));
  } else {
    outs.push_back(
        empty(b, {bS, hS, lqS, dvStatic}, op.getOutputType().getElementType()));
    if (op.getLse())
      outs.push_back(empty(b, {bS, hS, lqS}, f32));
  }

  SmallVector<OpFoldResult> lbs(3, b.getIndexAttr(0)), ubs = {B, Hq, numQT},
                                                       steps(3,
                                                             b.getIndexAttr(1));
  if (split) {
    lbs.push_back(b.getIndexAttr(0));
    ubs.push_back(splitsOfr);
    steps.push_back(b.getIndexAttr(1));
  }
  auto forall =
      scf::ForallOp::create(b, loc, lbs, ubs, steps, outs, std::nullopt);
  forall->setAttr(kTiledAttentionAttrName, b.getUnitAttr());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  SmallVector<Value> ivs(forall.getInductionVars());
  SmallVector<Value> tiles;
  Value q0, tq;
  buildTile(b, ivs[0], ivs[1], ivs[2], split ? ivs[3] : Value(), tiles, q0,
            tq);

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  ValueRange shared = forall.getRegionIterArgs();
  // Tile 0 is [tq, Dv]; the others are [tq] rows.
  for (auto [t, dest] : llvm::enumerate(shared)) {
    SmallVector<OpFoldResult> offs = {ivs[0], ivs[1], q0};
    SmallVector<OpFoldResult> szs = {one, one, tq};
    if (split) {
      offs.push_back(ivs[3]);
      szs.push_back(one);
    }
    if (t == 0) {
      offs.push_back(zero);
      szs.push_back(dvStatic);
    }
    tensor::ParallelInsertSliceOp::create(
        b, loc, tiles[t], dest, offs, szs,
        SmallVector<OpFoldResult>(offs.size(), one));
  }

  b.setInsertionPointAfter(forall);
  SmallVector<Value> results(forall.getResults());
  if (split)
    results = mergeSplits(b, results[0], results[1], results[2]);
  for (auto [r, t] : llvm::zip(results, op->getResultTypes()))
    if (r.getType() != t)
      r = tensor::CastOp::create(b, loc, t, r);
  return results;
}

FailureOr<SmallVector<Value>>
mlir::attn::tileAttentionOnline(RewriterBase &rewriter, AttentionOp op,
                                const AttentionTileSizes &sizes) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  // Statically zero-sized dims (an empty output, or no Q.K^T reduction at
  // Dqk = 0), tiles of an upstream tiling and partial states: the reference
  // decomposition is their lowering here (it returns the destinations for
  // empty outputs; the tiles would slice zero-sized dims out of bounds, and
  // tiles and partial states are already tiled).
  auto hasZeroDim = [](Type t) {
    auto tt = dyn_cast<RankedTensorType>(t);
    return tt && llvm::is_contained(tt.getShape(), 0);
  };
  bool decompose = op.getPartial() || op.hasTileCoordinates() ||
                   llvm::any_of(op->getOperandTypes(), hasZeroDim) ||
                   llvm::any_of(op->getResultTypes(), hasZeroDim);
  FailureOr<SmallVector<Value>> repl =
      decompose ? op.decomposeOperation(rewriter)
                : OnlineTiler(op, rewriter, sizes).run();
  if (failed(repl))
    return failure();
  rewriter.replaceOp(op, *repl);
  return repl;
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
  SmallVector<AttentionOp> ops;
  getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
  for (AttentionOp op : ops)
    if (failed(tileAttentionOnline(rewriter, op, tileSizes)))
      return signalPassFailure();
}
