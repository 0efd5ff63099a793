//===- OnlineTilerMicroKernels.cpp - register-blocked tiles of -attn-tile ===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The target-specific part of the tile body: register-blocked vector
// kernels (sized for the target's vector registers) for Q.K^T and P.V on
// static, zero-padded f32 (or widened f16/bf16) tiles, and the AVX512-BF16 dot
// product of bf16-dot. The tile body asks useMicroKernels() whether a tile
// takes them; every other tile takes the target-independent linalg contractions
// of AttnTile.cpp.
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "attn/Dialect/Attn/Utils/CPUTarget.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

//===----------------------------------------------------------------------===//
// Register-blocked micro-kernels for static padded f32 tiles
//===----------------------------------------------------------------------===//
//
// Both products keep a rows x (vectors * lanes) block of the result in vector
// registers across their reduction loop, broadcasting one scalar of the left
// operand per row and loading `vectors` vectors of the right one per step:
// rows * vectors FMAs for rows + vectors loads, so the loop is FMA-bound
// instead of load-bound. The block is the target's (Utils/CPUTarget.h): 8 x 2
// vectors of 16 lanes with AVX-512, 4 x 2 of 8 lanes with AVX2.

namespace {
/// The accumulator block of the micro-kernels for the target's vector width
/// (Utils/CPUTarget.h): `rows` x `vectors` vectors of `lanes` f32 lanes.
struct RegisterBlock {
  int64_t lanes, rows, vectors;
};
} // namespace

static RegisterBlock getRegisterBlock(const AttentionTileSizes &sizes) {
  CPUVectorTarget t = getCPUVectorTarget(sizes.vectorBits);
  return {t.f32Lanes, t.blockRows, t.blockVectors};
}

bool OnlineTiler::useMicroKernels() {
  RegisterBlock blk = getRegisterBlock(sizes);
  auto qT = op.getQueryType();
  int64_t d = qT.getDimSize(3), dv = op.getValueType().getDimSize(3);
  return !ShapedType::isDynamic(d) && !ShapedType::isDynamic(dv) &&
         dv % (blk.vectors * blk.lanes) == 0 &&
         sizes.qTile % (blk.vectors * blk.lanes) == 0 &&
         sizes.kvTile % blk.rows == 0;
}

/// bf16-dot applies: micro-kernel tiles, bf16 Q and K, an even Dqk.
bool OnlineTiler::useBF16Dot() {
  int64_t d = op.getQueryType().getDimSize(3);
  // vdpbf16ps on 512-bit vectors: AVX512-BF16 implies AVX-512.
  return sizes.bf16Dot && useMicroKernels() && d % 2 == 0 &&
         getRegisterBlock(sizes).lanes == 16 &&
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
/// step(a(r, k), b(c, k), acc[r][c]) on a blk.rows x blk.vectors block of
/// vector accumulators starting from `init`, where `a` yields a vector
/// broadcast from row r's operand and `step` is an FMA (or a bf16 pair dot
/// product); returns the final block.
static SmallVector<Value> blockFMA(OpBuilder &b, Location loc,
                                   const RegisterBlock &blk, ValueRange init,
                                   Value ub, BlockOperandFn a,
                                   BlockOperandFn bvec, BlockStepFn step) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, c0, ub, c1, init,
      [&](OpBuilder &db, Location dl, Value k, ValueRange acc) {
        SmallVector<Value> bv;
        for (int64_t c = 0; c < blk.vectors; ++c)
          bv.push_back(bvec(db, dl, c, k));
        SmallVector<Value> next;
        for (int64_t r = 0; r < blk.rows; ++r) {
          Value av = a(db, dl, r, k);
          for (int64_t c = 0; c < blk.vectors; ++c)
            next.push_back(step(db, dl, av, bv[c], acc[r * blk.vectors + c]));
        }
        scf::YieldOp::create(db, dl, next);
      });
  return SmallVector<Value>(loop.getResults());
}

/// The f32 step of blockFMA: acc + a * b.
static Value fmaStep(OpBuilder &b, Location loc, Value a, Value bv, Value acc) {
  return vector::FMAOp::create(b, loc, a, bv, acc);
}

/// A vector<blk.lanes x f32> whose lanes all hold `x`.
static Value splatF32(OpBuilder &b, Location loc, const RegisterBlock &blk,
                      Value x) {
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({blk.lanes}, b.getF32Type()), x);
}

/// Element (r0 + r, c0 + c * blk.lanes) of `t` for block position (r, c).
static SmallVector<Value> blockIndex(OpBuilder &b, Location loc,
                                     const RegisterBlock &blk, Value r0,
                                     Value c0, int64_t r, int64_t c) {
  return {
      arith::AddIOp::create(b, loc, r0,
                            arith::ConstantIndexOp::create(b, loc, r)),
      arith::AddIOp::create(
          b, loc, c0, arith::ConstantIndexOp::create(b, loc, c * blk.lanes))};
}

/// The key rows j0 .. j0 + blk.rows - 1 of a register block, clamped to
/// `lastRow` (rows past a ragged tile read the last real row; their scores
/// are masked by the caller).
static SmallVector<Value> clampedBlockRows(OpBuilder &b, Location loc,
                                           const RegisterBlock &blk, Value j0,
                                           Value lastRow) {
  SmallVector<Value> rows;
  for (int64_t r = 0; r < blk.rows; ++r)
    rows.push_back(arith::MinSIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, j0,
                              arith::ConstantIndexOp::create(b, loc, r)),
        lastRow));
  return rows;
}

/// Writes a blk.rows x blk.vectors block of vectors into `t` at rows r0..,
/// columns c0...
static Value storeBlock(OpBuilder &b, Location loc, const RegisterBlock &blk,
                        ValueRange block, Value t, Value r0, Value c0) {
  for (int64_t r = 0; r < blk.rows; ++r)
    for (int64_t c = 0; c < blk.vectors; ++c)
      t = vector::TransferWriteOp::create(b, loc, block[r * blk.vectors + c], t,
                                          blockIndex(b, loc, blk, r0, c0, r, c),
                                          ArrayRef<bool>{true})
              .getResult();
  return t;
}

/// Loops over the blk.rows x (blk.vectors * blk.lanes) blocks of a [rows, cols]
/// tile `t`, calling `body(b, loc, r0, c0, t)` that returns the updated tile.
Value OnlineTiler::forEachBlock(
    OpBuilder &nb, Value t, int64_t rows, int64_t cols,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body) {
  RegisterBlock blk = getRegisterBlock(sizes);
  auto rowLoop = scf::ForOp::create(
      nb, loc, cst(nb, 0), cst(nb, rows), cst(nb, blk.rows), ValueRange{t},
      [&](OpBuilder &rb, Location l, Value r0, ValueRange rArgs) {
        auto colLoop = scf::ForOp::create(
            rb, l, cst(rb, 0), cst(rb, cols), cst(rb, blk.vectors * blk.lanes),
            rArgs, [&](OpBuilder &cb, Location cl, Value c0, ValueRange cArgs) {
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
  RegisterBlock blk = getRegisterBlock(sizes);
  int64_t d = op.getQueryType().getDimSize(3);
  auto vecT = VectorType::get({blk.lanes}, f32);
  Value zeroVec = arith::ConstantOp::create(
      nb, loc, vecT, DenseElementsAttr::get(vecT, nb.getF32FloatAttr(0.0)));
  Value pad = f32Const(nb, loc, 0.0);
  Value lastRow = arith::SubIOp::create(nb, loc, tk, cst(nb, 1));
  return forEachBlock(
      nb, init, sizes.kvTile, sizes.qTile,
      [&](OpBuilder &b, Location l, Value j0, Value i0, Value out) {
        SmallVector<Value> kRows = clampedBlockRows(b, l, blk, j0, lastRow);
        SmallVector<Value> block = blockFMA(
            b, l, blk, SmallVector<Value>(blk.rows * blk.vectors, zeroVec),
            cst(b, d),
            [&](OpBuilder &bb, Location bl, int64_t r, Value dd) -> Value {
              return splatF32(
                  bb, bl, blk,
                  castToF32(bb, bl,
                            tensor::ExtractOp::create(
                                bb, bl, kTile, ValueRange{kRows[r], dd})));
            },
            [&](OpBuilder &bb, Location bl, int64_t c, Value dd) -> Value {
              return vector::TransferReadOp::create(
                  bb, bl, vecT, qT, blockIndex(bb, bl, blk, dd, i0, 0, c), pad,
                  ArrayRef<bool>{true});
            },
            fmaStep);
        return storeBlock(b, l, blk, block, out, j0, i0);
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
  RegisterBlock blk = getRegisterBlock(sizes);
  int64_t d = op.getQueryType().getDimSize(3);
  Type bf16 = nb.getBF16Type();
  Type i32 = nb.getI32Type();
  auto vecT = VectorType::get({blk.lanes}, f32);
  auto pairsT = VectorType::get({2 * blk.lanes}, bf16);
  Value zeroVec = arith::ConstantOp::create(
      nb, loc, vecT, DenseElementsAttr::get(vecT, nb.getF32FloatAttr(0.0)));
  Value pad = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(bf16, 0.0));
  Value lastRow = arith::SubIOp::create(nb, loc, tk, cst(nb, 1));
  return forEachBlock(
      nb, init, sizes.kvTile, sizes.qTile,
      [&](OpBuilder &b, Location l, Value j0, Value i0, Value out) {
        SmallVector<Value> kRows = clampedBlockRows(b, l, blk, j0, lastRow);
        // Column of query i0 in qT2.
        Value col0 = arith::MulIOp::create(b, l, i0, cst(b, 2));
        SmallVector<Value> block = blockFMA(
            b, l, blk, SmallVector<Value>(blk.rows * blk.vectors, zeroVec),
            cst(b, d / 2),
            [&](OpBuilder &bb, Location bl, int64_t r, Value p) -> Value {
              Value dd = arith::MulIOp::create(bb, bl, p, cst(bb, 2));
              Value pair = vector::TransferReadOp::create(
                  bb, bl, VectorType::get({2}, bf16), kTile,
                  ValueRange{kRows[r], dd}, pad, ArrayRef<bool>{true});
              Value bits = vector::BitCastOp::create(
                  bb, bl, VectorType::get({1}, i32), pair);
              Value splat = vector::BroadcastOp::create(
                  bb, bl, VectorType::get({blk.lanes}, i32), bits);
              return vector::BitCastOp::create(bb, bl, pairsT, splat);
            },
            [&](OpBuilder &bb, Location bl, int64_t c, Value p) -> Value {
              Value col = arith::AddIOp::create(bb, bl, col0,
                                                cst(bb, c * 2 * blk.lanes));
              return vector::TransferReadOp::create(bb, bl, pairsT, qT2,
                                                    ValueRange{p, col}, pad,
                                                    ArrayRef<bool>{true});
            },
            [&](OpBuilder &bb, Location bl, Value a, Value bv,
                Value acc) -> Value {
              return x86vector::DotBF16Op::create(bb, bl, vecT, acc, a, bv);
            });
        return storeBlock(b, l, blk, block, out, j0, i0);
      });
}

/// acc[Tq, Dv] += pT[0:tk, Tq]^T . v[0:tk, Dv]: pT is the static padded
/// transposed weight tile, v the unpadded value tile (stopping at tk reads
/// no padding).
Value OnlineTiler::microPV(OpBuilder &nb, Value p, Value vTile, Value acc,
                           Value tk) {
  RegisterBlock blk = getRegisterBlock(sizes);
  auto vecT = VectorType::get({blk.lanes}, f32);
  Value pad = f32Const(nb, loc, 0.0);
  Type vElem = cast<RankedTensorType>(vTile.getType()).getElementType();
  Value vPad = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(vElem, 0.0));
  return forEachBlock(
      nb, acc, sizes.qTile, op.getValueType().getDimSize(3),
      [&](OpBuilder &b, Location l, Value i0, Value e0, Value out) {
        SmallVector<Value> init;
        for (int64_t r = 0; r < blk.rows; ++r)
          for (int64_t c = 0; c < blk.vectors; ++c)
            init.push_back(vector::TransferReadOp::create(
                b, l, vecT, out, blockIndex(b, l, blk, i0, e0, r, c), pad,
                ArrayRef<bool>{true}));
        SmallVector<Value> block = blockFMA(
            b, l, blk, init, tk,
            [&](OpBuilder &bb, Location bl, int64_t r, Value j) -> Value {
              Value i = arith::AddIOp::create(bb, bl, i0, cst(bb, r));
              return splatF32(
                  bb, bl, blk,
                  tensor::ExtractOp::create(bb, bl, p, ValueRange{j, i}));
            },
            [&](OpBuilder &bb, Location bl, int64_t c, Value j) -> Value {
              // f16/bf16 values widen to f32 lanes after the load.
              Value x = vector::TransferReadOp::create(
                  bb, bl, VectorType::get({blk.lanes}, vElem), vTile,
                  blockIndex(bb, bl, blk, j, e0, 0, c), vPad,
                  ArrayRef<bool>{true});
              if (vElem != f32)
                x = arith::ExtFOp::create(bb, bl, vecT, x);
              return x;
            },
            fmaStep);
        return storeBlock(b, l, blk, block, out, i0, e0);
      });
}
