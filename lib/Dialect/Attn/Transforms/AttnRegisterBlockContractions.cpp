//===- AttnRegisterBlockContractions.cpp - register-blocked contractions --===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The target-specific rewrite of small static contractions, such as the
// padded score and P.V tiles of -attn-tile's tile body:
//
//   C[m, n] = C[m, n] + sum_k ext(A[m, k] or A[k, m]) * ext(B[k, n])
//
// on a static f32 C whose rows are a multiple of the target's block rows and
// whose columns a multiple of its block vectors * lanes (Utils/CPUTarget.h)
// becomes loops over register blocks: each block of rows x vectors vector
// accumulators stays in registers across the reduction loop, which
// broadcasts one scalar of A per row and loads `vectors` vectors of B per
// step -- rows * vectors FMAs for rows + vectors loads, FMA-bound instead of
// load-bound. Operands:
//  - A read through a high `tensor.pad` of `ub.poison` reads the pad's source
//    with clamped indices (a padded element may be any value);
//  - a C that is a `linalg.fill` of 0 starts from zero vectors;
//  - a loop-invariant B of f16/bf16 elements is widened once, where it is
//    defined, rather than on every load.
// With `bf16-dot` on 512-bit targets, bf16 A and B with an even static
// reduction take the AVX512-BF16 dot product (`x86vector.avx512.dot`,
// vdpbf16ps) on B laid out as bf16 pairs along k (built once where B is
// defined).
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"
#include "attn/Dialect/Attn/Utils/CPUTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNREGISTERBLOCKCONTRACTIONSPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {
/// The accumulator block for the target's vector width: `rows` x `vectors`
/// vectors of `lanes` f32 lanes.
struct RegisterBlock {
  int64_t lanes, rows, vectors;
  int64_t cols() const { return vectors * lanes; }
};

/// A contraction the rewrite applies to, with its operands' roles.
struct BlockedContraction {
  linalg::GenericOp op;
  /// The broadcast operand: `a` as the op reads it, `aSource` what the
  /// kernel reads (the source of a poison pad of `a`, else `a`), and
  /// whether A is indexed (k, m).
  Value a, aSource;
  bool aTransposed = false;
  /// The vector operand B, indexed (k, n).
  Value b;
  /// The accumulator and whether it is a fill of zero.
  Value c;
  bool zeroInit = false;
  int64_t m = 0, n = 0;
};
} // namespace

static RegisterBlock getRegisterBlock(const CPUVectorTarget &t) {
  return {t.f32Lanes, t.blockRows, t.blockVectors};
}

/// `v` with an optional arith.extf to f32 looked through, if it is `arg`.
static bool isOperandOrExtOf(Value v, BlockArgument arg) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  return v == arg;
}

/// Whether the body yields out + x * y with {x, y} the (possibly widened)
/// block arguments of the two inputs.
static bool isMulAddBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  BlockArgument in0 = body.getArgument(0), in1 = body.getArgument(1),
                out = body.getArgument(2);
  Value prod = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  auto mul = prod.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  return (isOperandOrExtOf(mul.getLhs(), in0) &&
          isOperandOrExtOf(mul.getRhs(), in1)) ||
         (isOperandOrExtOf(mul.getLhs(), in1) &&
          isOperandOrExtOf(mul.getRhs(), in0));
}

/// The source of `a` when it is a high-only tensor.pad of ub.poison (the
/// kernel may read any value for padded elements: it clamps), else `a`.
static Value getPoisonPadSource(Value a) {
  auto pad = a.getDefiningOp<tensor::PadOp>();
  if (!pad || !pad.hasZeroLowPad())
    return a;
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue || !padValue.getDefiningOp<ub::PoisonOp>())
    return a;
  return pad.getSource();
}

static bool isF32OrHalf(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

/// Matches `op` against the contraction form of the file comment for the
/// register block `blk`.
static FailureOr<BlockedContraction>
matchBlockedContraction(linalg::GenericOp op, const RegisterBlock &blk) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 3 ||
      op.getNumReductionLoops() != 1 || !isMulAddBody(op))
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation() || map.getNumResults() != 2)
      return failure();
  SmallVector<unsigned> red;
  op.getReductionDims(red);
  unsigned k = red.front();
  unsigned m = maps[2].getDimPosition(0), n = maps[2].getDimPosition(1);
  auto pos = [](AffineMap map, unsigned i, unsigned j) {
    return map.getDimPosition(0) == i && map.getDimPosition(1) == j;
  };
  BlockedContraction c;
  c.op = op;
  unsigned aIdx;
  if (pos(maps[1], k, n))
    aIdx = 0;
  else if (pos(maps[0], k, n))
    aIdx = 1;
  else
    return failure();
  if (pos(maps[aIdx], k, m))
    c.aTransposed = true;
  else if (!pos(maps[aIdx], m, k))
    return failure();
  c.a = op.getDpsInputOperand(aIdx)->get();
  c.b = op.getDpsInputOperand(1 - aIdx)->get();
  c.c = op.getDpsInitOperand(0)->get();
  auto cT = dyn_cast<RankedTensorType>(c.c.getType());
  auto aT = dyn_cast<RankedTensorType>(c.a.getType());
  auto bT = dyn_cast<RankedTensorType>(c.b.getType());
  if (!cT || !aT || !bT || !cT.hasStaticShape() ||
      !cT.getElementType().isF32() || !isF32OrHalf(aT.getElementType()) ||
      !isF32OrHalf(bT.getElementType()))
    return failure();
  c.m = cT.getDimSize(0);
  c.n = cT.getDimSize(1);
  if (c.m == 0 || c.n == 0 || c.m % blk.rows != 0 || c.n % blk.cols() != 0)
    return failure();
  c.aSource = getPoisonPadSource(c.a);
  if (auto fill = c.c.getDefiningOp<linalg::FillOp>())
    c.zeroInit = matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return c;
}

/// Whether `v` is defined outside every loop around `op` up to its closest
/// scf.for (so a copy of it made where it is defined is reused by every
/// iteration of that loop).
static bool isInvariantInEnclosingLoop(Value v, Operation *op) {
  auto loop = op->getParentOfType<scf::ForOp>();
  if (!loop)
    return false;
  Region *def = v.getParentRegion();
  return !loop.getRegion().isAncestor(def);
}

/// Builds, right after the definition of `b` (a [K, N] tensor), the
/// generic `init[...] = f(b)` with `inMap` reading b; returns its result.
static Value
buildBesideDefinition(RewriterBase &rewriter, Value b,
                      ArrayRef<OpFoldResult> shape, Type elem, AffineMap inMap,
                      unsigned rank,
                      function_ref<Value(OpBuilder &, Location, Value)> body) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfterValue(b);
  Location loc = b.getLoc();
  Value init = tensor::EmptyOp::create(rewriter, loc, shape, elem);
  SmallVector<AffineMap> maps = {inMap, rewriter.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{init.getType()}, ValueRange{b},
             ValueRange{init}, maps, iters,
             [&](OpBuilder &bb, Location l, ValueRange args) {
               linalg::YieldOp::create(bb, l, ValueRange{body(bb, l, args[0])});
             })
      .getResult(0);
}

namespace {
/// Yields the operand vector of block row or column `i` at reduction step k.
using BlockOperandFn =
    function_ref<Value(OpBuilder &, Location, int64_t, Value)>;
/// One accumulation step: (a, b, acc) -> acc'.
using BlockStepFn =
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)>;

/// The IR builder of one register-blocked contraction.
struct BlockedContractionBuilder {
  RewriterBase &rewriter;
  BlockedContraction c;
  RegisterBlock blk;
  Location loc;
  Type f32;

  BlockedContractionBuilder(RewriterBase &rewriter, BlockedContraction c,
                            RegisterBlock blk)
      : rewriter(rewriter), c(c), blk(blk), loc(c.op.getLoc()),
        f32(rewriter.getF32Type()) {}

  Value cst(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  VectorType vecT() { return VectorType::get({blk.lanes}, f32); }
  Value zeroVec(OpBuilder &b) {
    return arith::ConstantOp::create(
        b, loc, vecT(), DenseElementsAttr::get(vecT(), b.getF32FloatAttr(0)));
  }

  /// Element (r0 + r, c0 + c * step) for block position (r, c).
  SmallVector<Value> blockIndex(OpBuilder &b, Location l, Value r0, Value c0,
                                int64_t r, int64_t c, int64_t step) {
    return {arith::AddIOp::create(b, l, r0, cst(b, r)),
            arith::AddIOp::create(b, l, c0, cst(b, c * step))};
  }

  /// Dimension `i` of `t`: from its producer's shape when that can say (a
  /// slice's size), else a tensor.dim.
  Value dimOf(OpBuilder &b, Value t, unsigned i) {
    if (auto res = dyn_cast<OpResult>(t)) {
      FailureOr<OpFoldResult> dim =
          reifyDimOfResult(b, res.getOwner(), res.getResultNumber(), i);
      if (succeeded(dim))
        return getValueOrCreateConstantIndexOp(b, loc, *dim);
    }
    return getValueOrCreateConstantIndexOp(b, loc,
                                           tensor::getMixedSize(b, loc, t, i));
  }

  /// The tensor the blocks are written into: C, or the destination of C's
  /// zero fill (every element is written).
  Value resultTensor() {
    return c.zeroInit ? c.c.getDefiningOp<linalg::FillOp>().getOutputs()[0]
                      : c.c;
  }

  /// The reduction's extent, from B's first dimension.
  Value reductionExtent(OpBuilder &b) { return dimOf(b, c.b, 0); }

  /// The rows of A's block for output rows r0.. (clamped into aSource when
  /// A is a poison pad along m), computed once per block.
  SmallVector<Value> aRows(OpBuilder &b, Location l, Value r0,
                           ArrayRef<Value> lastIndex) {
    Value last = lastIndex[c.aTransposed ? 1 : 0];
    SmallVector<Value> rows;
    for (int64_t r = 0; r < blk.rows; ++r) {
      Value row = arith::AddIOp::create(b, l, r0, cst(b, r));
      rows.push_back(last ? arith::MinSIOp::create(b, l, row, last).getResult()
                          : row);
    }
    return rows;
  }

  /// The indices of A's element in row `row` (from aRows) at reduction step
  /// `kk` (clamped when A is a poison pad along k).
  SmallVector<Value> aIndex(OpBuilder &b, Location l, Value row, Value kk,
                            ArrayRef<Value> lastIndex) {
    Value last = lastIndex[c.aTransposed ? 0 : 1];
    if (last)
      kk = arith::MinSIOp::create(b, l, kk, last);
    return c.aTransposed ? SmallVector<Value>{kk, row}
                         : SmallVector<Value>{row, kk};
  }

  /// The last index of each padded dimension of aSource (null if unpadded).
  SmallVector<Value> padClamps(OpBuilder &b) {
    SmallVector<Value> last(2);
    if (c.aSource == c.a)
      return last;
    auto pad = c.a.getDefiningOp<tensor::PadOp>();
    llvm::SmallBitVector padded = pad.getPaddedDims();
    for (unsigned i = 0; i < 2; ++i)
      if (padded.test(i))
        last[i] =
            arith::SubIOp::create(b, loc, dimOf(b, c.aSource, i), cst(b, 1));
    return last;
  }

  SmallVector<Value> blockFMA(OpBuilder &b, Location l, ValueRange init,
                              Value ub, BlockOperandFn a, BlockOperandFn bvec,
                              BlockStepFn step);
  Value forEachBlock(
      OpBuilder &b, Value t,
      function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body);
  /// A block's position: its first row r0 and column c0, A's (clamped)
  /// rows for it, and the tensor being written.
  struct BlockSite {
    Value r0, c0, t;
    SmallVector<Value> aRows;
  };
  Value forEachBlockOfResult(
      ArrayRef<Value> last,
      function_ref<Value(OpBuilder &, Location, const BlockSite &)> body);
  Value storeBlock(OpBuilder &b, Location l, ValueRange block, Value t,
                   Value r0, Value c0);
  SmallVector<Value> initialBlock(OpBuilder &b, Location l, Value out, Value r0,
                                  Value c0);
  Value buildFMA();
  Value buildBF16Dot();
};
} // namespace

/// For k in [0, ub): acc[r][c] = step(a(r, k), b(c, k), acc[r][c]) on the
/// block of vector accumulators starting from `init`; returns the block.
SmallVector<Value>
BlockedContractionBuilder::blockFMA(OpBuilder &b, Location l, ValueRange init,
                                    Value ub, BlockOperandFn a,
                                    BlockOperandFn bvec, BlockStepFn step) {
  auto loop = scf::ForOp::create(
      b, l, cst(b, 0), ub, cst(b, 1), init,
      [&](OpBuilder &db, Location dl, Value k, ValueRange acc) {
        SmallVector<Value> bv;
        for (int64_t col = 0; col < blk.vectors; ++col)
          bv.push_back(bvec(db, dl, col, k));
        SmallVector<Value> next;
        for (int64_t r = 0; r < blk.rows; ++r) {
          Value av = a(db, dl, r, k);
          for (int64_t col = 0; col < blk.vectors; ++col)
            next.push_back(
                step(db, dl, av, bv[col], acc[r * blk.vectors + col]));
        }
        scf::YieldOp::create(db, dl, next);
      });
  return SmallVector<Value>(loop.getResults());
}

/// Loops over the blocks of the [m, n] tensor `t`, calling `body(b, loc, r0,
/// c0, t)` that returns the updated tensor.
Value BlockedContractionBuilder::forEachBlock(
    OpBuilder &b, Value t,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value)> body) {
  auto rowLoop = scf::ForOp::create(
      b, loc, cst(b, 0), cst(b, c.m), cst(b, blk.rows), ValueRange{t},
      [&](OpBuilder &rb, Location l, Value r0, ValueRange rArgs) {
        auto colLoop = scf::ForOp::create(
            rb, l, cst(rb, 0), cst(rb, c.n), cst(rb, blk.cols()), rArgs,
            [&](OpBuilder &cb, Location cl, Value c0, ValueRange cArgs) {
              scf::YieldOp::create(cb, cl, body(cb, cl, r0, c0, cArgs[0]));
            });
        scf::YieldOp::create(rb, l, colLoop.getResults());
      });
  return rowLoop.getResult(0);
}

/// Loops over the blocks of the result tensor, giving `body` each block's
/// site with A's rows (clamped by `last`, padClamps()).
Value BlockedContractionBuilder::forEachBlockOfResult(
    ArrayRef<Value> last,
    function_ref<Value(OpBuilder &, Location, const BlockSite &)> body) {
  return forEachBlock(
      rewriter, resultTensor(),
      [&](OpBuilder &b, Location l, Value r0, Value c0, Value t) {
        return body(b, l, BlockSite{r0, c0, t, aRows(b, l, r0, last)});
      });
}

/// Writes a block of vectors into `t` at rows r0.., columns c0...
Value BlockedContractionBuilder::storeBlock(OpBuilder &b, Location l,
                                            ValueRange block, Value t, Value r0,
                                            Value c0) {
  for (int64_t r = 0; r < blk.rows; ++r)
    for (int64_t col = 0; col < blk.vectors; ++col)
      t = vector::TransferWriteOp::create(
              b, l, block[r * blk.vectors + col], t,
              blockIndex(b, l, r0, c0, r, col, blk.lanes), ArrayRef<bool>{true})
              .getResult();
  return t;
}

/// The block's accumulators before the reduction: zero for a zero-filled C,
/// else C's block.
SmallVector<Value> BlockedContractionBuilder::initialBlock(OpBuilder &b,
                                                           Location l,
                                                           Value out, Value r0,
                                                           Value c0) {
  if (c.zeroInit)
    return SmallVector<Value>(blk.rows * blk.vectors, zeroVec(b));
  Value pad = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
  SmallVector<Value> init;
  for (int64_t r = 0; r < blk.rows; ++r)
    for (int64_t col = 0; col < blk.vectors; ++col)
      init.push_back(vector::TransferReadOp::create(
          b, l, vecT(), out, blockIndex(b, l, r0, c0, r, col, blk.lanes), pad,
          ArrayRef<bool>{true}));
  return init;
}

/// The f32 FMA kernel: A broadcast (widened) per row, B loaded per vector.
Value BlockedContractionBuilder::buildFMA() {
  Value bOperand = c.b;
  Type bElem = cast<RankedTensorType>(c.b.getType()).getElementType();
  if (bElem != f32 && isInvariantInEnclosingLoop(c.b, c.op)) {
    // Widen B once where it is defined.
    bOperand = buildBesideDefinition(
        rewriter, c.b, tensor::getMixedSizes(rewriter, c.b.getLoc(), c.b), f32,
        rewriter.getMultiDimIdentityMap(2), 2,
        [](OpBuilder &bb, Location l, Value x) { return castToF32(bb, l, x); });
    bElem = f32;
  }
  Value ub = reductionExtent(rewriter);
  SmallVector<Value> last = padClamps(rewriter);
  Value bPad =
      arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(bElem, 0));
  return forEachBlockOfResult(
      last, [&](OpBuilder &b, Location l, const BlockSite &site) {
        Value c0 = site.c0;
        ArrayRef<Value> rowsIdx = site.aRows;
        SmallVector<Value> block = blockFMA(
            b, l, initialBlock(b, l, site.t, site.r0, c0), ub,
            [&](OpBuilder &bb, Location bl, int64_t r, Value kk) -> Value {
              Value x = tensor::ExtractOp::create(
                  bb, bl, c.aSource, aIndex(bb, bl, rowsIdx[r], kk, last));
              return vector::BroadcastOp::create(bb, bl, vecT(),
                                                 castToF32(bb, bl, x));
            },
            [&](OpBuilder &bb, Location bl, int64_t col, Value kk) -> Value {
              Value x = vector::TransferReadOp::create(
                  bb, bl, VectorType::get({blk.lanes}, bElem), bOperand,
                  blockIndex(bb, bl, kk, c0, 0, col, blk.lanes), bPad,
                  ArrayRef<bool>{true});
              if (bElem != f32)
                x = arith::ExtFOp::create(bb, bl, vecT(), x);
              return x;
            },
            [](OpBuilder &bb, Location bl, Value a, Value bv, Value acc) {
              return vector::FMAOp::create(bb, bl, a, bv, acc).getResult();
            });
        return storeBlock(b, l, block, site.t, site.r0, site.c0);
      });
}

/// The AVX512-BF16 kernel: B as bf16 pairs along k, [K/2, 2N] with
/// pairs[p, 2i + j] = B[2p + j, i] (built once where B is defined); each
/// step over the K/2 pairs broadcasts A's 32-bit pair (A[r, 2p], A[r, 2p +
/// 1]) and runs vdpbf16ps: lane i accumulates, in f32, A[r, 2p] * B[2p, i] +
/// A[r, 2p + 1] * B[2p + 1, i].
Value BlockedContractionBuilder::buildBF16Dot() {
  Type bf16 = rewriter.getBF16Type(), i32 = rewriter.getI32Type();
  int64_t kSize = cast<RankedTensorType>(c.b.getType()).getDimSize(0);
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr p = getAffineDimExpr(0, ctx), i = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx);
  Value pairs = buildBesideDefinition(
      rewriter, c.b,
      {rewriter.getIndexAttr(kSize / 2), rewriter.getIndexAttr(c.n),
       rewriter.getIndexAttr(2)},
      bf16, AffineMap::get(3, 0, {p * 2 + j, i}, ctx), 3,
      [](OpBuilder &, Location, Value x) { return x; });
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(pairs);
    pairs = tensor::CollapseShapeOp::create(
        rewriter, c.b.getLoc(), pairs,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }
  auto pairsT = VectorType::get({2 * blk.lanes}, bf16);
  SmallVector<Value> last = padClamps(rewriter);
  Value pad =
      arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(bf16, 0));
  return forEachBlockOfResult(last, [&](OpBuilder &b, Location l,
                                        const BlockSite &site) {
    ArrayRef<Value> rowsIdx = site.aRows;
    // Column of output column c0 in the pair layout.
    Value col0 = arith::MulIOp::create(b, l, site.c0, cst(b, 2));
    SmallVector<Value> block = blockFMA(
        b, l, initialBlock(b, l, site.t, site.r0, site.c0), cst(b, kSize / 2),
        [&](OpBuilder &bb, Location bl, int64_t r, Value pp) -> Value {
          Value kk = arith::MulIOp::create(bb, bl, pp, cst(bb, 2));
          Value pair = vector::TransferReadOp::create(
              bb, bl, VectorType::get({2}, bf16), c.aSource,
              aIndex(bb, bl, rowsIdx[r], kk, last), pad, ArrayRef<bool>{true});
          Value bits = vector::BitCastOp::create(
              bb, bl, VectorType::get({1}, i32), pair);
          Value splat = vector::BroadcastOp::create(
              bb, bl, VectorType::get({blk.lanes}, i32), bits);
          return vector::BitCastOp::create(bb, bl, pairsT, splat);
        },
        [&](OpBuilder &bb, Location bl, int64_t col, Value pp) -> Value {
          Value cc =
              arith::AddIOp::create(bb, bl, col0, cst(bb, col * 2 * blk.lanes));
          return vector::TransferReadOp::create(bb, bl, pairsT, pairs,
                                                ValueRange{pp, cc}, pad,
                                                ArrayRef<bool>{true});
        },
        [&](OpBuilder &bb, Location bl, Value a, Value bv, Value acc) {
          return x86vector::DotBF16Op::create(bb, bl, vecT(), acc, a, bv)
              .getResult();
        });
    return storeBlock(b, l, block, site.t, site.r0, site.c0);
  });
}

/// Whether the bf16 pair kernel applies: 512-bit vectors, bf16 A (indexed
/// (m, k)) and B, an even static reduction.
static bool usesBF16Dot(const BlockedContraction &c, const RegisterBlock &blk,
                        bool bf16Dot) {
  auto aT = cast<RankedTensorType>(c.aSource.getType());
  auto bT = cast<RankedTensorType>(c.b.getType());
  return bf16Dot && blk.lanes == 16 && !c.aTransposed &&
         aT.getElementType().isBF16() && bT.getElementType().isBF16() &&
         !bT.isDynamicDim(0) && bT.getDimSize(0) % 2 == 0 &&
         !bT.isDynamicDim(1);
}

FailureOr<Value> mlir::attn::registerBlockContraction(RewriterBase &rewriter,
                                                      linalg::GenericOp op,
                                                      int64_t vectorBits,
                                                      bool bf16Dot) {
  RegisterBlock blk = getRegisterBlock(getCPUVectorTarget(vectorBits));
  FailureOr<BlockedContraction> c = matchBlockedContraction(op, blk);
  if (failed(c))
    return rewriter.notifyMatchFailure(
        op, "not a static f32 contraction in register blocks");
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  BlockedContractionBuilder builder(rewriter, *c, blk);
  Value result = usesBF16Dot(*c, blk, bf16Dot) ? builder.buildBF16Dot()
                                               : builder.buildFMA();
  rewriter.replaceOp(op, result);
  return result;
}

namespace {
struct RegisterBlockContraction final : OpRewritePattern<linalg::GenericOp> {
  RegisterBlockContraction(MLIRContext *ctx, int64_t vectorBits, bool bf16Dot)
      : OpRewritePattern(ctx), vectorBits(vectorBits), bf16Dot(bf16Dot) {}
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    return registerBlockContraction(rewriter, op, vectorBits, bf16Dot);
  }
  int64_t vectorBits;
  bool bf16Dot;
};

struct AttnRegisterBlockContractionsPass final
    : attn::impl::AttnRegisterBlockContractionsPassBase<
          AttnRegisterBlockContractionsPass> {
  using AttnRegisterBlockContractionsPassBase::
      AttnRegisterBlockContractionsPassBase;
  void runOnOperation() override {
    if (vectorBits < 0) {
      getOperation()->emitError("attn-register-block-contractions expects "
                                "non-negative vector-bits, got ")
          << static_cast<int64_t>(vectorBits);
      return signalPassFailure();
    }
    // Each contraction is rewritten once; nothing else is touched (no
    // folding of the surrounding IR).
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk(
        [&](linalg::GenericOp op) { candidates.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates)
      (void)registerBlockContraction(rewriter, op, vectorBits, bf16Dot);
  }
};
} // namespace

void mlir::attn::populateRegisterBlockContractionPatterns(
    RewritePatternSet &patterns, int64_t vectorBits, bool bf16Dot) {
  patterns.add<RegisterBlockContraction>(patterns.getContext(), vectorBits,
                                         bf16Dot);
}
