//===- KeyBlockLists.cpp - per-query-block key-block lists ----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The `kv_blocks(%counts, %indices)` operands of attn.attention (docs/
// semantics.md, "Key-block lists"): their verifier, the row of the lists a
// query block reads, and the keep table of the reference decomposition.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::attn;

static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

/// The static content checks: listed entries (e < count) of constant lists
/// lie in [0, nkb).
static LogicalResult verifyConstantLists(AttentionOp op, int64_t nkb) {
  DenseIntElementsAttr counts, indices;
  if (!matchPattern(op.getKvBlockCounts(), m_Constant(&counts)) ||
      !matchPattern(op.getKvBlockIndices(), m_Constant(&indices)))
    return success();
  auto iT = cast<RankedTensorType>(indices.getType());
  int64_t k = iT.getDimSize(3);
  SmallVector<APInt> c(counts.getValues<APInt>());
  SmallVector<APInt> idx(indices.getValues<APInt>());
  for (auto [row, count] : llvm::enumerate(c)) {
    int64_t n = std::clamp<int64_t>(count.getSExtValue(), 0, k);
    for (int64_t e = 0; e < n; ++e) {
      int64_t v = idx[row * k + e].getSExtValue();
      if (v < 0 || v >= nkb)
        return op.emitOpError("expects listed kv_block_indices in [0, ")
               << nkb << "), got " << v << " at list " << row << ", entry "
               << e;
    }
  }
  return success();
}

LogicalResult mlir::attn::verifyKeyBlockLists(AttentionOp op) {
  bool lists = op.hasKeyBlockLists();
  bool sizes = op.getQBlockSizeAttr() || op.getKvBlockSizeAttr();
  if (!lists) {
    if (sizes || op.getKvBlocksPerGroup())
      return op.emitOpError("expects kv_blocks operands with q_block_size, "
                            "kv_block_size or kv_blocks_per_group");
    return success();
  }
  if (!op.getQBlockSizeAttr() || !op.getKvBlockSizeAttr())
    return op.emitOpError("expects q_block_size and kv_block_size with "
                          "kv_blocks");
  int64_t sq = *op.getQBlockSize(), skv = *op.getKvBlockSize();
  if (sq <= 0 || skv <= 0)
    return op.emitOpError("expects positive q_block_size and kv_block_size, "
                          "got ")
           << sq << " and " << skv;
  auto cT = cast<RankedTensorType>(op.getKvBlockCounts().getType());
  auto iT = cast<RankedTensorType>(op.getKvBlockIndices().getType());
  if (!cT.getElementType().isSignlessInteger() ||
      !iT.getElementType().isSignlessInteger() ||
      cT.getElementType().getIntOrFloatBitWidth() < 8 ||
      iT.getElementType().getIntOrFloatBitWidth() < 8)
    return op.emitOpError("expects kv_block_counts and kv_block_indices to "
                          "have signless integer element types, got ")
           << cT.getElementType() << " and " << iT.getElementType();
  if (cT.getRank() != 3)
    return op.emitOpError("expects kv_block_counts to have rank 3 ([B, H, "
                          "Nq]), got rank ")
           << cT.getRank();
  if (iT.getRank() != 4)
    return op.emitOpError("expects kv_block_indices to have rank 4 ([B, H, "
                          "Nq, K]), got rank ")
           << iT.getRank();
  for (unsigned i = 0; i < 3; ++i) {
    int64_t a = cT.getDimSize(i), b = iT.getDimSize(i);
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return op.emitOpError("expects kv_block_counts and the leading dims of "
                            "kv_block_indices to match, got dim ")
             << i << " of " << a << " and " << b;
  }
  if (cT.isDynamicDim(1))
    return op.emitOpError("expects a static head dim of kv_block_counts");
  // The problem's sizes; a tile's lists are the whole problem's, so only the
  // op that is not a tile knows them.
  if (op.hasTileCoordinates())
    return success();
  auto qT = op.getQueryType();
  SmallVector<int64_t> kv = op.getLogicalKVShape(op.getKey());
  int64_t bDim = cT.getDimSize(0), hDim = cT.getDimSize(1),
          nq = cT.getDimSize(2);
  if (!ShapedType::isDynamic(bDim) && bDim != 1 &&
      !ShapedType::isDynamic(qT.getDimSize(0)) && bDim != qT.getDimSize(0))
    return op.emitOpError("expects the batch dim of the key-block lists to "
                          "be 1 or B = ")
           << qT.getDimSize(0) << ", got " << bDim;
  bool perGroup = op.getKvBlocksPerGroup();
  int64_t heads = perGroup ? kv[1] : qT.getDimSize(1);
  if (hDim != 1 && !ShapedType::isDynamic(heads) && hDim != heads)
    return op.emitOpError("expects the head dim of the key-block lists to be "
                          "1 or ")
           << (perGroup ? "Hkv = " : "Hq = ") << heads << ", got " << hDim;
  int64_t lq = qT.getDimSize(2);
  if (!ShapedType::isDynamic(lq) && !ShapedType::isDynamic(nq) &&
      nq != llvm::divideCeil(lq, sq))
    return op.emitOpError("expects ceil(Lq / q_block_size) = ")
           << llvm::divideCeil(lq, sq)
           << " query blocks in the key-block lists, got " << dimStr(nq);
  if (!ShapedType::isDynamic(kv[2]))
    return verifyConstantLists(op, llvm::divideCeil(kv[2], skv));
  return success();
}

KeyBlockListRow mlir::attn::buildKeyBlockListRow(OpBuilder &b, Location loc,
                                                 AttentionOp op, Value gb,
                                                 Value gh, Value gi,
                                                 Value group) {
  auto cT = cast<RankedTensorType>(op.getKvBlockCounts().getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  KeyBlockListRow row;
  row.b = cT.getDimSize(0) == 1 ? zero : gb;
  if (cT.getDimSize(1) == 1)
    row.h = zero;
  else if (op.getKvBlocksPerGroup())
    row.h = arith::DivUIOp::create(b, loc, gh, group);
  else
    row.h = gh;
  // Rows past the lists' query blocks (a contract violation the verifier
  // cannot see with dynamic sizes) read the last list, never out of bounds.
  Value lastQ = arith::SubIOp::create(
      b, loc,
      getValueOrCreateConstantIndexOp(
          b, loc, tensor::getMixedSize(b, loc, op.getKvBlockCounts(), 2)),
      arith::ConstantIndexOp::create(b, loc, 1));
  row.q = arith::MinSIOp::create(
      b, loc,
      arith::DivUIOp::create(
          b, loc, gi,
          arith::ConstantIndexOp::create(b, loc, *op.getQBlockSize())),
      lastQ);
  return row;
}

Value mlir::attn::buildKeyBlockCount(OpBuilder &b, Location loc, AttentionOp op,
                                     const KeyBlockListRow &row) {
  Value c = tensor::ExtractOp::create(b, loc, op.getKvBlockCounts(),
                                      ValueRange{row.b, row.h, row.q});
  Value n = arith::IndexCastOp::create(b, loc, b.getIndexType(), c);
  Value k = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, op.getKvBlockIndices(), 3));
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, n, zero),
                                k);
}

Value mlir::attn::buildKeyBlockIndex(OpBuilder &b, Location loc, AttentionOp op,
                                     const KeyBlockListRow &row, Value e) {
  Value x = tensor::ExtractOp::create(b, loc, op.getKvBlockIndices(),
                                      ValueRange{row.b, row.h, row.q, e});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), x);
}

Value mlir::attn::buildKeyBlockKeepTable(OpBuilder &b, Location loc,
                                         AttentionOp op, Value numKeyBlocks) {
  Value counts = op.getKvBlockCounts(), indices = op.getKvBlockIndices();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, counts);
  shape.push_back(numKeyBlocks);
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getI1Type());
  Value no = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0);
  init = linalg::FillOp::create(b, loc, ValueRange{no}, ValueRange{init})
             .getResult(0);
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Loops (b, h, q, kb, e): keep[b, h, q, kb] |= e < count && idx[e] == kb.
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, {d(0), d(1), d(2)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  using IterTy = utils::IteratorType;
  SmallVector<IterTy> iters(4, IterTy::parallel);
  iters.push_back(IterTy::reduction);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{counts, indices},
             ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               auto toIndex = [&](Value x) -> Value {
                 return arith::IndexCastOp::create(nb, l, nb.getIndexType(), x);
               };
               Value kb = linalg::IndexOp::create(nb, l, 3);
               Value e = linalg::IndexOp::create(nb, l, 4);
               Value listed = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::slt, e, toIndex(args[0]));
               Value hit = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::eq, toIndex(args[1]), kb);
               Value keep = arith::OrIOp::create(
                   nb, l, args[2], arith::AndIOp::create(nb, l, listed, hit));
               linalg::YieldOp::create(nb, l, ValueRange{keep});
             })
      .getResult(0);
}
