//===- OnlineTilerDecode.cpp - the decode tile body of -attn-tile -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Decode (a few query rows against a long KV cache) is bound by the bytes of
// K/V read. -attn-tile gives such an op (decodeGroupSize) tiles of one
// batch and one whole GQA group: g query heads x Lq rows, M = g * Lq rows in
// all, over one key/value head, so each K/V byte is read once per group;
// for NHD page pools, of all the KV heads of the batch, each register block
// of rows in one KV head's rows (OnlineTilerDecodeHeads.cpp).
// This file lowers such a tile to the FlashAttention-2 recurrence over its
// key tiles with (head, row) as the row dimension and matrix-vector
// micro-kernels:
//
//   Qp[Mp, D]  = the tile's queries, row m = (head m / Lq, query m mod Lq),
//                f32, zero rows up to Mp = M rounded up to the row block
//   scf.for k0 over the key range (KeyRange.h, for the tile's query rows):
//     S^T[Tk, Mp] : per key j, R row accumulators of vector<Lxf32> along D
//                   (K[j] read once per row block, widened in registers),
//                   one horizontal sum each
//     masks (scf.if on "tile is full"), online update (NormalizerAlgebra)
//     acc[Mp, Dv] += P^T . V   (register blocks of the target's accumulator
//                               budget along whole value rows, V widened)
//
// The lanes L and the accumulator budget come from the vector target
// (Utils/CPUTarget.h, `vector-bits`): 16 f32 lanes and 16 accumulators with
// AVX-512, 8 and 8 with AVX2, 4 and 8 with 128-bit vectors.
//
// and the number of key-axis splits of decode and non-decode ops alike
// (chooseKVSplits).
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/CPUTarget.h"
#include "attn/Dialect/Attn/Utils/KeyRange.h"
#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>
#include <thread>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

static constexpr int64_t kMaxRows = kDecodeBlockRows;
static constexpr int64_t kMaxDecodeRows = 16; // Largest Lq of the path.

/// The f32 lanes of the narrowest vector target: every Dv the predicate
/// accepts is a multiple of them, so a tile can always narrow its vectors
/// to whole value rows (decodeLanes).
static int64_t minDecodeLanes() { return getCPUVectorTarget(128).f32Lanes; }

/// The f32 lanes of a decode tile's vectors: the target's, halved until
/// they divide Dv (only when Dv is not a multiple of the target's lanes).
static int64_t decodeLanes(const CPUVectorTarget &target, int64_t dv) {
  int64_t lanes = target.f32Lanes;
  while (lanes > minDecodeLanes() && dv % lanes != 0)
    lanes /= 2;
  return lanes;
}

std::optional<int64_t> mlir::attn::detail::decodeGroupSize(AttentionOp op) {
  auto qT = op.getQueryType(), vT = op.getValueType();
  int64_t hq = qT.getDimSize(1), hkv = op.getLogicalKVShape(op.getKey())[1],
          lq = qT.getDimSize(2);
  int64_t d = qT.getDimSize(3), dv = vT.getDimSize(3);
  // Static group and row counts (the tile is one group of whole rows), a
  // static Dqk (unrolled along D) and a static Dv of whole vectors.
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv == 0 ||
      hq % hkv != 0 || ShapedType::isDynamic(lq) || lq < 1 ||
      lq > kMaxDecodeRows || ShapedType::isDynamic(d) || d < 1 ||
      ShapedType::isDynamic(dv) || dv % minDecodeLanes() != 0 || dv == 0)
    return std::nullopt;
  // An op that is already a tile may start inside a group.
  if (op.hasTileCoordinates())
    return std::nullopt;
  return hq / hkv;
}

int64_t mlir::attn::detail::chooseKVSplits(int64_t items, int64_t lkv,
                                           int64_t kvTile, int64_t threads) {
  if (threads <= 0)
    threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  // The splits are the only threads when there is more than one (each runs
  // every item), so `threads` splits balance exactly; split only when the
  // items alone leave threads idle and every split keeps 4 key tiles.
  if (items <= 0 || items >= threads || ShapedType::isDynamic(lkv) ||
      kvTile <= 0)
    return 1;
  return std::max<int64_t>(1, std::min<int64_t>(threads, lkv / (4 * kvTile)));
}

namespace {
/// Lowers one decode tile (see the file comment).
struct DecodeTiler : TilePlace {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  Type f32;
  Normalizer norm;
  /// The helper of the general tile body, for its builders and finalize().
  OnlineTiler ot;
  int64_t G, Lq, M, R, Mp, D, Dv, Tk;
  /// The KV heads of the tile (1, or all of an NHD paged op's: see
  /// OnlineTilerDecodeHeads.cpp) and the rows of each one's in Qp: with
  /// several, the row blocks divide them (Mp = M), so each block lies in
  /// one KV head's rows.
  int64_t KVH, Mk;
  /// Key rows read as one slice: the whole key tile, or for a paged op
  /// whose pages are shorter than the key tile, one page.
  int64_t chunk;
  /// f32 lanes of the tile's vectors, the accumulator budget of a P.V
  /// register block and the vector registers, from the vector target.
  int64_t lanes, accumulators, registers;
  Value lkvT, scale;

  DecodeTiler(AttentionOp op, OpBuilder &b, const AttentionTileSizes &sizes)
      : op(op), b(b), loc(op.getLoc()), f32(b.getF32Type()),
        norm(op.getNormalizer()), ot(op, b, sizes) {
    G = op.getQueryType().getDimSize(1);
    Lq = op.getQueryType().getDimSize(2);
    M = G * Lq;
    int64_t hkv = op.getLogicalKVShape(op.getKey())[1];
    KVH = !ShapedType::isDynamic(hkv) && hkv > 1 ? hkv : 1;
    if (KVH == 1) {
      R = std::min(kMaxRows, M);
      Mp = llvm::alignTo(M, R);
      Mk = Mp;
    } else {
      Mk = M / KVH;
      R = decodeRowBlock(Mk, kMaxRows);
      Mp = M;
    }
    D = op.getQueryType().getDimSize(3);
    Dv = op.getValueType().getDimSize(3);
    Tk = sizes.kvTile;
    chunk = op.isPaged() ? std::min(Tk, op.getPageSize()) : Tk;
    CPUVectorTarget target = getCPUVectorTarget(sizes.vectorBits);
    lanes = decodeLanes(target, Dv);
    accumulators = target.blockRows * target.blockVectors;
    registers = getVectorRegisters(target);
  }

  Value cst(OpBuilder &nb, int64_t v) { return ot.cst(nb, v); }
  Value readRows(OpBuilder &nb, Location l, Value kv, Value kl, Value rows,
                 OpFoldResult cols);
  Value headRows(OpBuilder &nb, Location l, Value tile, Value r0);
  FailureOr<SmallVector<Value>> run();
  Value paddedQueries(OpBuilder &nb);
  SmallVector<Value> initialState(OpBuilder &nb);
  Value rowsOf(OpBuilder &nb, Value t, bool withDv);
  Value unpad(OpBuilder &nb, Value t, Value init);
  using RowChunkBody = function_ref<SmallVector<Value>(
      OpBuilder &, Location, Value rows, Value first, Value count, ValueRange)>;
  SmallVector<Value> forEachRowChunk(OpBuilder &nb, Value kv, Value kl,
                                     Value tk, OpFoldResult cols,
                                     ValueRange init, RowChunkBody body);
  Value dotT(OpBuilder &nb, Value kl, Value qp, Value tk);
  Value accumulatePV(OpBuilder &nb, Value p, Value kl, Value acc, Value tk);
  Value scores(OpBuilder &nb, Value dot, Value k0, Value qLen, Value kvLen,
               bool structured, Value kvEnd);
};
} // namespace

/// The local head and query row of tile row `m` (clamped into the real
/// rows: padding rows repeat the last one and are discarded).
static std::pair<Value, Value> headAndRow(OpBuilder &b, Location loc, Value m,
                                          int64_t rows, int64_t lq) {
  Value last = arith::ConstantIndexOp::create(b, loc, rows - 1);
  Value lqV = arith::ConstantIndexOp::create(b, loc, lq);
  m = arith::MinSIOp::create(b, loc, m, last);
  return {arith::DivUIOp::create(b, loc, m, lqV),
          arith::RemUIOp::create(b, loc, m, lqV)};
}

/// Qp[Mp, D]: the f32 queries of the tile, row m = h * Lq + i, zero padded.
Value DecodeTiler::paddedQueries(OpBuilder &nb) {
  auto one = nb.getIndexAttr(1), z = nb.getIndexAttr(0);
  SmallVector<OpFoldResult> szs = {one, nb.getIndexAttr(G),
                                   nb.getIndexAttr(Lq), nb.getIndexAttr(D)};
  auto qT = op.getQueryType();
  auto q3T = RankedTensorType::get({G, Lq, D}, qT.getElementType());
  Value q3 = tensor::ExtractSliceOp::create(
      nb, loc, q3T, op.getQuery(), SmallVector<OpFoldResult>(4, z), szs,
      SmallVector<OpFoldResult>(4, one));
  Value qp = ot.filled(nb, {nb.getIndexAttr(Mp), nb.getIndexAttr(D)}, 0.0);
  SmallVector<OpFoldResult> z2(2, z), one2(2, one);
  SmallVector<OpFoldResult> part2 = {nb.getIndexAttr(M), nb.getIndexAttr(D)};
  Value part = tensor::ExtractSliceOp::create(nb, loc, qp, z2, part2, one2);
  Value part3 = tensor::ExpandShapeOp::create(
      nb, loc, RankedTensorType::get({G, Lq, D}, f32), part,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  AffineMap id3 = nb.getMultiDimIdentityMap(3);
  part3 = ot.generic(nb, {q3}, part3, {id3, id3},
                     SmallVector<IterTy>(3, IterTy::parallel),
                     [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                       return castToF32(bb, bl, a[0]);
                     });
  part = tensor::CollapseShapeOp::create(
      nb, loc, part3, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  return tensor::InsertSliceOp::create(nb, loc, part, qp, z2, part2, one2);
}

/// The rows [1, G, Lq(, Dv)] of a state init `t` as [M(, Dv)].
Value DecodeTiler::rowsOf(OpBuilder &nb, Value t, bool withDv) {
  auto one = nb.getIndexAttr(1), z = nb.getIndexAttr(0);
  unsigned rank = withDv ? 4 : 3;
  SmallVector<OpFoldResult> szs = {one, nb.getIndexAttr(G),
                                   nb.getIndexAttr(Lq)};
  SmallVector<int64_t> shape = {G, Lq};
  if (withDv) {
    szs.push_back(nb.getIndexAttr(Dv));
    shape.push_back(Dv);
  }
  auto tT = cast<RankedTensorType>(t.getType());
  Value s = tensor::ExtractSliceOp::create(
      nb, loc, RankedTensorType::get(shape, tT.getElementType()), t,
      SmallVector<OpFoldResult>(rank, z), szs,
      SmallVector<OpFoldResult>(rank, one));
  SmallVector<ReassociationIndices> re = {{0, 1}};
  if (withDv)
    re.push_back({2});
  return tensor::CollapseShapeOp::create(nb, loc, s, re);
}

/// Writes the first M rows of a padded [Mp(, Dv)] result into the op's init
/// [1, G, Lq(, Dv)].
Value DecodeTiler::unpad(OpBuilder &nb, Value t, Value init) {
  auto tT = cast<RankedTensorType>(t.getType());
  bool withDv = tT.getRank() == 2;
  auto one = nb.getIndexAttr(1), z = nb.getIndexAttr(0);
  SmallVector<OpFoldResult> szs = {nb.getIndexAttr(M)};
  SmallVector<int64_t> shape = {G, Lq};
  if (withDv) {
    szs.push_back(nb.getIndexAttr(Dv));
    shape.push_back(Dv);
  }
  Value rows = tensor::ExtractSliceOp::create(
      nb, loc, t, SmallVector<OpFoldResult>(szs.size(), z), szs,
      SmallVector<OpFoldResult>(szs.size(), one));
  SmallVector<ReassociationIndices> re = {{0, 1}};
  if (withDv)
    re.push_back({2});
  Value rows3 = tensor::ExpandShapeOp::create(
      nb, loc, RankedTensorType::get(shape, tT.getElementType()), rows, re);
  unsigned rank = withDv ? 4 : 3;
  SmallVector<OpFoldResult> dSzs = {one, nb.getIndexAttr(G),
                                    nb.getIndexAttr(Lq)};
  if (withDv)
    dSzs.push_back(nb.getIndexAttr(Dv));
  return tensor::InsertSliceOp::create(nb, loc, rows3, init,
                                       SmallVector<OpFoldResult>(rank, z),
                                       dSzs,
                                       SmallVector<OpFoldResult>(rank, one));
}

/// The running state (m, l, acc) before the first key tile, [Mp] and
/// [Mp, Dv]: a partial op's inits, else the identity, with the sink of each
/// row's head as a first key (logit sink_h, value 0).
SmallVector<Value> DecodeTiler::initialState(OpBuilder &nb) {
  SmallVector<OpFoldResult> rowShape = {nb.getIndexAttr(Mp)};
  Value m0, l0;
  Value sinks = op.getSinks();
  if (norm == Normalizer::softmax && sinks) {
    AffineMap id1 = nb.getMultiDimIdentityMap(1);
    m0 = ot.generic(nb, {}, ot.empty(nb, rowShape, f32), {id1},
                    {IterTy::parallel},
                    [&](OpBuilder &bb, Location bl, ValueRange) -> Value {
                      Value m = linalg::IndexOp::create(bb, bl, 0);
                      Value h = headAndRow(bb, bl, m, M, Lq).first;
                      return castToF32(
                          bb, bl,
                          tensor::ExtractOp::create(bb, bl, sinks,
                                                    ValueRange{h}));
                    });
    l0 = ot.filled(nb, rowShape, 1.0);
  } else {
    m0 = ot.filled(nb, rowShape,
                   norm == Normalizer::softpick ? 0.0 : getIdentityMax(norm));
    l0 = ot.filled(nb, rowShape, 0.0);
  }
  Value acc0 = ot.filled(nb, {nb.getIndexAttr(Mp), nb.getIndexAttr(Dv)}, 0.0);
  if (!op.getPartial())
    return {m0, l0, acc0};
  // Partial: continue from the state in the inits (acc, max, sum).
  auto into = [&](Value rows, Value dest, bool withDv) -> Value {
    auto one = nb.getIndexAttr(1), z = nb.getIndexAttr(0);
    SmallVector<OpFoldResult> szs = {nb.getIndexAttr(M)};
    if (withDv)
      szs.push_back(nb.getIndexAttr(Dv));
    return tensor::InsertSliceOp::create(
        nb, loc, rows, dest, SmallVector<OpFoldResult>(szs.size(), z), szs,
        SmallVector<OpFoldResult>(szs.size(), one));
  };
  ValueRange inits = op.getDpsInits();
  return {into(rowsOf(nb, inits[1], false), m0, false),
          into(rowsOf(nb, inits[2], false), l0, false),
          into(rowsOf(nb, inits[0], true), acc0, true)};
}

/// Rows [kl, kl + rows) of `kv`: as [rows, cols] for a tile of one KV head,
/// else of all its KV heads at once (readKVRows).
Value DecodeTiler::readRows(OpBuilder &nb, Location l, Value kv, Value kl,
                            Value rows, OpFoldResult cols) {
  return readKVRows(nb, l, op, kv, kl, rows, cols, /*allHeads=*/KVH != 1);
}

/// The [rows, cols] rows of the KV head of the row block at Qp row `r0` in
/// a readRows slice: the slice itself for a tile of one KV head.
Value DecodeTiler::headRows(OpBuilder &nb, Location l, Value tile, Value r0) {
  if (KVH == 1)
    return tile;
  return kvHeadRows(nb, l, op, tile,
                    arith::DivUIOp::create(nb, l, r0, cst(nb, Mk)));
}

/// The key rows [kl, kl + tk) of `kv` (the key or the value operand, `cols`
/// wide; of every KV head of the tile, see readRows) as slices of at most
/// `chunk` rows that each lie in one page: `body` gets a slice, its first row
/// in the key tile and its row count, and carries `init` through the chunks.
/// One slice when the tile is one chunk.
SmallVector<Value> DecodeTiler::forEachRowChunk(OpBuilder &nb, Value kv,
                                                Value kl, Value tk,
                                                OpFoldResult cols,
                                                ValueRange init,
                                                RowChunkBody body) {
  if (chunk >= Tk)
    return body(nb, loc, readRows(nb, loc, kv, kl, tk, cols), cst(nb, 0), tk,
                init);
  auto chunks = scf::ForOp::create(
      nb, loc, cst(nb, 0), tk, cst(nb, chunk), init,
      [&](OpBuilder &cb, Location cl, Value c0, ValueRange args) {
        Value n = arith::MinSIOp::create(cb, cl, cst(cb, chunk),
                                         arith::SubIOp::create(cb, cl, tk, c0));
        Value rows = readRows(cb, cl, kv, arith::AddIOp::create(cb, cl, kl, c0),
                              n, cols);
        scf::YieldOp::create(cb, cl, body(cb, cl, rows, c0, n, args));
      });
  return SmallVector<Value>(chunks.getResults());
}

/// S^T[Tk, Mp] with S^T[j, m] = K[j, :] . Qp[m, :] for keys j < tk (rows
/// past tk are left undefined; the caller masks them): per key and block of
/// R rows, R f32 vector accumulators of `lanes` along D, K[j] read once per
/// block and widened in registers, then one horizontal sum per row.
Value DecodeTiler::dotT(OpBuilder &nb, Value kl, Value qp, Value tk) {
  auto vecT = VectorType::get({lanes}, f32);
  Type kElem = op.getKeyType().getElementType();
  Value zeroVec = arith::ConstantOp::create(
      nb, loc, vecT, DenseElementsAttr::get(vecT, nb.getF32FloatAttr(0.0)));
  Value pad = OnlineTiler::f32Const(nb, loc, 0.0);
  Value kPad = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(kElem, 0.0));
  auto fm = arith::FastMathFlagsAttr::get(
      b.getContext(),
      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  Value out = ot.empty(nb, {nb.getIndexAttr(Tk), nb.getIndexAttr(Mp)}, f32);
  auto chunkBody = [&](OpBuilder &xb, Location xl, Value kTile, Value first,
                       Value count, ValueRange xArgs) -> SmallVector<Value> {
    auto keys = scf::ForOp::create(
        xb, xl, cst(xb, 0), count, cst(xb, 1), xArgs,
        [&](OpBuilder &jb, Location jl, Value j, ValueRange jArgs) {
          Value jt = arith::AddIOp::create(jb, jl, first, j);
          auto blocks = scf::ForOp::create(
              jb, jl, cst(jb, 0), cst(jb, Mp), cst(jb, R), jArgs,
              [&](OpBuilder &rb, Location rl, Value r0, ValueRange rArgs) {
                SmallVector<Value> acc(R, zeroVec);
                Value kRows = headRows(rb, rl, kTile, r0);
                SmallVector<Value> rowIdx;
                for (int64_t r = 0; r < R; ++r)
                  rowIdx.push_back(
                      arith::AddIOp::create(rb, rl, r0, cst(rb, r)));
                for (int64_t c = 0; c < D; c += lanes) {
                  // The D tail reads padding zeros (Qp's are zero too).
                  bool inBounds = c + lanes <= D;
                  Value dIdx = cst(rb, c);
                  Value kv = vector::TransferReadOp::create(
                      rb, rl, VectorType::get({lanes}, kElem), kRows,
                      ValueRange{j, dIdx}, kPad, ArrayRef<bool>{inBounds});
                  if (kElem != f32)
                    kv = arith::ExtFOp::create(rb, rl, vecT, kv);
                  for (int64_t r = 0; r < R; ++r) {
                    Value qv = vector::TransferReadOp::create(
                        rb, rl, vecT, qp, ValueRange{rowIdx[r], dIdx}, pad,
                        ArrayRef<bool>{inBounds});
                    acc[r] = vector::FMAOp::create(rb, rl, kv, qv, acc[r]);
                  }
                }
                SmallVector<Value> sums;
                for (int64_t r = 0; r < R; ++r)
                  sums.push_back(vector::ReductionOp::create(
                      rb, rl, vector::CombiningKind::ADD, acc[r],
                      fm.getValue()));
                Value row = vector::FromElementsOp::create(
                    rb, rl, VectorType::get({R}, f32), sums);
                Value t = vector::TransferWriteOp::create(rb, rl, row, rArgs[0],
                                                          ValueRange{jt, r0},
                                                          ArrayRef<bool>{true})
                              .getResult();
                scf::YieldOp::create(rb, rl, t);
              });
          scf::YieldOp::create(jb, jl, blocks.getResults());
        });
    return SmallVector<Value>(keys.getResults());
  };
  return forEachRowChunk(nb, op.getKey(), kl, tk, nb.getIndexAttr(D),
                         ValueRange{out}, chunkBody)[0];
}

/// acc[Mp, Dv] += P^T[0:tk, Mp]^T . V[0:tk, Dv] in RB x (C * lanes) register
/// blocks of at most `accumulators` vectors: per key, C vector loads of V
/// (widened) and RB broadcasts of P for RB * C FMAs. C covers as much of a
/// value row as it can (up to 8 vectors: all of a 128-wide row with AVX-512),
/// so the first row block streams V rows contiguously (a narrow column block
/// strides through V by rows and defeats the prefetchers); the other row blocks
/// find the tile in cache.
Value DecodeTiler::accumulatePV(OpBuilder &nb, Value p, Value kl, Value acc,
                                Value tk) {
  auto vecT = VectorType::get({lanes}, f32);
  Type vElem = op.getValueType().getElementType();
  Value pad = OnlineTiler::f32Const(nb, loc, 0.0);
  Value vPad = arith::ConstantOp::create(nb, loc, nb.getFloatAttr(vElem, 0.0));
  // A widened V vector needs a register of its own (an f32 one can be the
  // memory operand of its FMAs): the accumulators, C widened V vectors and
  // a broadcast must fit in the registers, or the key loop spills.
  bool widened = vElem != f32;
  int64_t C = std::min<int64_t>(8, accumulators);
  while (C > 1 && ((Dv / lanes) % C != 0 ||
                   (widened && accumulators + C + 1 > registers)))
    --C;
  // (Blocks of one KV head's rows: Mk divides Mp.)
  int64_t RB = std::min(Mk, std::max<int64_t>(1, accumulators / C));
  while (Mk % RB != 0)
    --RB;
  auto rowLoop = scf::ForOp::create(
      nb, loc, cst(nb, 0), cst(nb, Mp), cst(nb, RB), ValueRange{acc},
      [&](OpBuilder &rb, Location rl, Value r0, ValueRange rArgs) {
        auto colLoop = scf::ForOp::create(
            rb, rl, cst(rb, 0), cst(rb, Dv), cst(rb, C * lanes), rArgs,
            [&](OpBuilder &cb, Location cl, Value e0, ValueRange cArgs) {
              SmallVector<Value> rows, cols;
              for (int64_t r = 0; r < RB; ++r)
                rows.push_back(arith::AddIOp::create(cb, cl, r0, cst(cb, r)));
              for (int64_t c = 0; c < C; ++c)
                cols.push_back(
                    arith::AddIOp::create(cb, cl, e0, cst(cb, c * lanes)));
              SmallVector<Value> init;
              for (int64_t r = 0; r < RB; ++r)
                for (int64_t c = 0; c < C; ++c)
                  init.push_back(vector::TransferReadOp::create(
                      cb, cl, vecT, cArgs[0], ValueRange{rows[r], cols[c]},
                      pad, ArrayRef<bool>{true}));
              auto chunkBody = [&](OpBuilder &xb, Location xl, Value vTile,
                                   Value first, Value count,
                                   ValueRange xArgs) -> SmallVector<Value> {
                Value vRows = headRows(xb, xl, vTile, r0);
                auto keys = scf::ForOp::create(
                    xb, xl, cst(xb, 0), count, cst(xb, 1), xArgs,
                    [&](OpBuilder &kb, Location kloc, Value j, ValueRange a) {
                      SmallVector<Value> vv;
                      for (int64_t c = 0; c < C; ++c) {
                        Value x = vector::TransferReadOp::create(
                            kb, kloc, VectorType::get({lanes}, vElem), vRows,
                            ValueRange{j, cols[c]}, vPad, ArrayRef<bool>{true});
                        if (vElem != f32)
                          x = arith::ExtFOp::create(kb, kloc, vecT, x);
                        vv.push_back(x);
                      }
                      Value jt = arith::AddIOp::create(kb, kloc, first, j);
                      SmallVector<Value> next;
                      for (int64_t r = 0; r < RB; ++r) {
                        Value pr = vector::BroadcastOp::create(
                            kb, kloc, vecT,
                            tensor::ExtractOp::create(kb, kloc, p,
                                                      ValueRange{jt, rows[r]}));
                        for (int64_t c = 0; c < C; ++c)
                          next.push_back(vector::FMAOp::create(
                              kb, kloc, pr, vv[c], a[r * C + c]));
                      }
                      scf::YieldOp::create(kb, kloc, next);
                    });
                return SmallVector<Value>(keys.getResults());
              };
              SmallVector<Value> sums =
                  forEachRowChunk(cb, op.getValue(), kl, tk,
                                  cb.getIndexAttr(Dv), init, chunkBody);
              Value t = cArgs[0];
              for (int64_t r = 0; r < RB; ++r)
                for (int64_t c = 0; c < C; ++c)
                  t = vector::TransferWriteOp::create(
                          cb, cl, sums[r * C + c], t,
                          ValueRange{rows[r], cols[c]}, ArrayRef<bool>{true})
                          .getResult();
              scf::YieldOp::create(cb, cl, t);
            });
        scf::YieldOp::create(rb, rl, colLoop.getResults());
      });
  return rowLoop.getResult(0);
}

/// The score semantics on a transposed tile [Tk, Mp] of dot products whose
/// element (j, m) is key k0 + j (global) and tile row m = (head, row). With
/// `kvEnd` set, keys at or past it become -inf and indices are clamped into
/// the operands before any read.
Value DecodeTiler::scores(OpBuilder &nb, Value dot, Value k0, Value qLen,
                          Value kvLen, bool structured, Value kvEnd) {
  AffineMap id2 = nb.getMultiDimIdentityMap(2);
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(nb, loc, dot);
  return ot.generic(
      nb, {dot}, ot.empty(nb, shape, f32), {id2, id2},
      {IterTy::parallel, IterTy::parallel},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        auto [hl, il] = headAndRow(bb, l, linalg::IndexOp::create(bb, l, 1),
                                   M, Lq);
        Value gj = arith::AddIOp::create(bb, l, k0,
                                         linalg::IndexOp::create(bb, l, 0));
        Value lj = arith::SubIOp::create(bb, l, gj, kv0);
        Value inRange;
        if (kvEnd) {
          inRange = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, gj,
                                          kvEnd);
          lj = arith::MinSIOp::create(
              bb, l, lj, arith::SubIOp::create(bb, l, lkvT, cst(bb, 1)));
          gj = arith::AddIOp::create(bb, l, kv0, lj);
        }
        Value lzero = cst(bb, 0);
        SmallVector<Value> idx = {b0, arith::AddIOp::create(bb, l, h0, hl),
                                  arith::AddIOp::create(bb, l, q0, il), gj};
        SmallVector<Value> local = {lzero, hl, il, lj};
        ScoreOperands in = buildTileScoreOperands(bb, l, op, local, qLen,
                                                  kvLen, /*readMask=*/true);
        Value v = buildScore(bb, l, op, args[0], scale, idx, in, structured,
                             /*applyMaskMod=*/structured);
        if (inRange)
          v = arith::SelectOp::create(bb, l, inRange, v,
                                      OnlineTiler::negInf(bb, l));
        return v;
      });
}

FailureOr<SmallVector<Value>> DecodeTiler::run() {
  readTilePlace(b, loc, op);
  lkvT = getValueOrCreateConstantIndexOp(b, loc, op.getMixedKVLength(b, loc));
  scale = buildScale(b, loc, op, cst(b, D));

  auto lengthOf = [&](Value lengths, Value dflt) -> Value {
    if (!lengths)
      return dflt;
    Value e = tensor::ExtractOp::create(b, loc, lengths, ValueRange{zero});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
  };
  Value qLen = lengthOf(op.getQLengths(), lqP);
  Value kvLen = lengthOf(op.getKvLengths(), lkvP);
  // The tile's rows q0 .. q0 + Lq - 1, aligned: q' = i + (kvLen - qLen).
  Value off = arith::SubIOp::create(b, loc, kvLen, qLen);
  Value qLoA = arith::AddIOp::create(b, loc, q0, off);
  Value qHiA = arith::AddIOp::create(b, loc, qLoA, cst(b, Lq - 1));
  Value kvEnd = op.getKvLengths()
                    ? arith::MinSIOp::create(b, loc, lkvP, kvLen).getResult()
                    : lkvP;
  Value anyRow, rowsValid;
  if (op.getQLengths()) {
    anyRow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, q0, qLen);
    rowsValid = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::sle,
        arith::AddIOp::create(b, loc, q0, cst(b, Lq)), qLen);
  }
  // The structured terms bound the keys of the tile's rows (the same for
  // every head); mask_mod, mask tensors and segment ids are evaluated per
  // score on every tile.
  SmallVector<StructuredMaskAttrInterface> terms = op.getMaskTerms();
  KeyRange range = buildKeyRange(b, loc, terms, qLoA, qHiA, kvEnd, anyRow);
  Value kvLo = range.lo, kvHi = range.hi;
  if (op.getPartial()) {
    kvLo = arith::MaxSIOp::create(b, loc, kvLo, kv0);
    kvHi = arith::MinSIOp::create(b, loc, kvHi,
                                  arith::AddIOp::create(b, loc, kv0, lkvT));
  }
  // Key tiles of a paged op start on multiples of the tile size, which
  // divides the page size, so that none crosses a page; the keys below the
  // range's start are masked by the partial path (the terms that bound the
  // range do not find such tiles full). An empty range stays empty.
  if (op.isPaged()) {
    Value aligned = arith::AddIOp::create(
        b, loc, kv0,
        arith::MulIOp::create(
            b, loc,
            arith::DivUIOp::create(
                b, loc, arith::SubIOp::create(b, loc, kvLo, kv0), cst(b, Tk)),
            cst(b, Tk)));
    Value nonEmpty =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, kvLo, kvHi);
    kvHi = arith::SelectOp::create(b, loc, nonEmpty, kvHi, aligned);
    kvLo = aligned;
  }
  bool alwaysPartial = op.getMask() || op.getQSegmentIds() ||
                       !op.getMaskMod().empty();

  SmallVector<Value> state0 = initialState(b);
  Value qp = paddedQueries(b);
  Value tk0 = cst(b, Tk);
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap id2 = b.getMultiDimIdentityMap(2);
  AffineMap qOf = AffineMap::get(2, 0, {d(1)}, ctx);
  AffineMap row2 = AffineMap::get(2, 0, {d(0)}, ctx);
  SmallVector<IterTy> par2 = {IterTy::parallel, IterTy::parallel};
  SmallVector<IterTy> keyRed = {IterTy::reduction, IterTy::parallel};
  auto fm = arith::FastMathFlagsAttr::get(
      ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  auto fmMax = arith::FastMathFlagsAttr::get(
      ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::nnan |
               arith::FastMathFlags::nsz);
  SmallVector<OpFoldResult> rowShape = {b.getIndexAttr(Mp)};
  SmallVector<OpFoldResult> tileShape = {b.getIndexAttr(Tk),
                                         b.getIndexAttr(Mp)};

  auto loop = scf::ForOp::create(
      b, loc, kvLo, kvHi, tk0, ValueRange(state0),
      [&](OpBuilder &lb, Location l, Value k0, ValueRange st) {
        Value m = st[0], sum = st[1], acc = st[2];
        Value tk = arith::MinSIOp::create(
            lb, l, tk0, arith::SubIOp::create(lb, l, kvHi, k0));
        Value kl = arith::SubIOp::create(lb, l, k0, kv0);
        Value dot = dotT(lb, kl, qp, tk);

        // Scores: the masks only on tiles not proven full.
        Value full =
            arith::CmpIOp::create(lb, l, arith::CmpIPredicate::eq, tk, tk0);
        if (alwaysPartial)
          full = arith::ConstantIntOp::create(lb, l, lb.getI1Type(), 0);
        Value kHi = arith::AddIOp::create(
            lb, l, arith::AddIOp::create(lb, l, k0, tk), cst(lb, -1));
        for (StructuredMaskAttrInterface t : terms)
          full = arith::AndIOp::create(
              lb, l, full, t.buildTileIsFull(lb, l, qLoA, qHiA, k0, kHi));
        if (rowsValid)
          full = arith::AndIOp::create(lb, l, full, rowsValid);
        auto ifOp = scf::IfOp::create(
            lb, l, full,
            [&](OpBuilder &tb, Location tl) {
              scf::YieldOp::create(
                  tb, tl, scores(tb, dot, k0, qLen, kvLen, false, Value()));
            },
            [&](OpBuilder &eb, Location el) {
              scf::YieldOp::create(
                  eb, el, scores(eb, dot, k0, qLen, kvLen, true, kvHi));
            });
        Value s = ifOp.getResult(0);

        // Online update (NormalizerAlgebra), as in the general tile body.
        Value p, mNew = m;
        if (norm == Normalizer::sigmoid) {
          double bias = 0.0;
          if (FloatAttr a = op.getSigmoidBiasAttr())
            bias = a.getValueAsDouble();
          p = ot.generic(lb, {s}, ot.empty(lb, tileShape, f32), {id2, id2},
                         par2,
                         [&](OpBuilder &bb, Location bl, ValueRange a) {
                           return buildWeight(bb, bl, norm, a[0], Value(), bias)
                               .first;
                         });
        } else {
          Value tileMax = ot.generic(
              lb, {s},
              ot.filled(lb, rowShape, -std::numeric_limits<double>::infinity()),
              {id2, qOf}, keyRed,
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                return arith::MaxNumFOp::create(bb, bl, a[1], a[0], fmMax);
              });
          auto update = linalg::GenericOp::create(
              lb, l, TypeRange{m.getType(), m.getType()}, ValueRange{tileMax},
              ValueRange{m, ot.empty(lb, rowShape, f32)}, {id1, id1, id1},
              {IterTy::parallel}, [&](OpBuilder &bb, Location bl, ValueRange a) {
                Value mN = buildMaxUpdate(bb, bl, norm, a[1], a[0]);
                Value al = buildRescale(bb, bl, a[1], mN);
                linalg::YieldOp::create(bb, bl, ValueRange{mN, al});
              });
          mNew = update.getResult(0);
          Value alpha = update.getResult(1);
          auto weight = [&](bool absolute) {
            return ot.generic(
                lb, {s, mNew}, ot.empty(lb, tileShape, f32), {id2, qOf, id2},
                par2, [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                  auto [w, t] = buildWeight(bb, bl, norm, a[0],
                                            buildSafeShift(bb, bl, a[1]),
                                            std::nullopt);
                  return absolute ? t : w;
                });
          };
          p = weight(false);
          Value weights = norm == Normalizer::softpick ? weight(true) : p;
          sum = ot.generic(lb, {alpha}, sum, {id1, id1}, {IterTy::parallel},
                           [&](OpBuilder &bb, Location bl, ValueRange a) {
                             return arith::MulFOp::create(bb, bl, a[1], a[0]);
                           });
          sum = ot.generic(lb, {weights}, sum, {id2, qOf}, keyRed,
                           [&](OpBuilder &bb, Location bl, ValueRange a) {
                             return arith::AddFOp::create(bb, bl, a[1], a[0],
                                                          fm);
                           });
          acc = ot.generic(lb, {alpha}, acc, {row2, id2}, par2,
                           [&](OpBuilder &bb, Location bl, ValueRange a) {
                             return arith::MulFOp::create(bb, bl, a[1], a[0]);
                           });
        }
        acc = accumulatePV(lb, p, kl, acc, tk);
        scf::YieldOp::create(lb, l, ValueRange{mNew, sum, acc});
      });
  Value m = loop.getResult(0), sum = loop.getResult(1), acc = loop.getResult(2);

  SmallVector<Value> tiles;
  if (op.getPartial())
    tiles = {acc, m, sum};
  else
    tiles = ot.finalize(b, acc, sum, m);
  SmallVector<Value> results;
  for (auto [t, init] : llvm::zip(tiles, op.getDpsInits()))
    results.push_back(unpad(b, t, init));
  for (auto [r, t] : llvm::zip(results, op->getResultTypes()))
    if (r.getType() != t)
      r = tensor::CastOp::create(b, loc, t, r);
  return results;
}

FailureOr<SmallVector<Value>>
mlir::attn::detail::lowerDecodeTile(OpBuilder &b, AttentionOp tile,
                                    const AttentionTileSizes &sizes) {
  // Tiles of several KV heads hold whole groups of each (a static count).
  int64_t hq = tile.getQueryType().getDimSize(1),
          hkv = tile.getLogicalKVShape(tile.getKey())[1];
  if (ShapedType::isDynamic(hkv) || (hkv > 1 && hq % hkv != 0))
    return tile.emitOpError("expects a decode tile of whole GQA groups over "
                            "a static number of KV heads, got ")
           << hq << " query heads over "
           << (ShapedType::isDynamic(hkv) ? std::string("?")
                                          : std::to_string(hkv))
           << " KV heads";
  return DecodeTiler(tile, b, sizes).run();
}
