//===- PagedKV.cpp - the paged KV layout of attn.attention ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The executable semantics of the paged layout: K/V gathered through the page
// table into the contiguous layout (docs/semantics.md, "Paged KV").
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;

/// `pool` gathered into `[B, Hkv, max_pages * P, D]`:
/// `out[b, h, t, d] = pool[clamp(table[b, t / P]), t % P, h, d]` (NHD) or
/// `pool[clamp(table[b, t / P]), h, t % P, d]` (HND).
static Value gatherPool(OpBuilder &b, Location loc, AttentionOp op,
                        Value pool) {
  Value table = op.getPageTable();
  bool hnd = op.getKvLayout() == KvLayout::paged_hnd;
  int64_t pageSize = op.getPageSize();
  auto poolT = cast<RankedTensorType>(pool.getType());
  SmallVector<int64_t> shape = op.getLogicalKVShape(pool);
  SmallVector<Value> dynSizes;
  auto idx = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, loc, c);
  };
  if (ShapedType::isDynamic(shape[0]))
    dynSizes.push_back(tensor::DimOp::create(b, loc, table, 0));
  if (ShapedType::isDynamic(shape[1]))
    dynSizes.push_back(tensor::DimOp::create(b, loc, pool, hnd ? 1 : 2));
  if (ShapedType::isDynamic(shape[2]))
    dynSizes.push_back(arith::MulIOp::create(
        b, loc, tensor::DimOp::create(b, loc, table, 1), idx(pageSize)));
  if (ShapedType::isDynamic(shape[3]))
    dynSizes.push_back(tensor::DimOp::create(b, loc, pool, 3));
  Value init =
      tensor::EmptyOp::create(b, loc, shape, poolT.getElementType(), dynSizes);
  Value lastPage = arith::SubIOp::create(
      b, loc, tensor::DimOp::create(b, loc, pool, 0), idx(1));
  auto gather = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(4)},
      SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange) {
        Value bi = linalg::IndexOp::create(nb, nl, 0);
        Value hi = linalg::IndexOp::create(nb, nl, 1);
        Value ti = linalg::IndexOp::create(nb, nl, 2);
        Value di = linalg::IndexOp::create(nb, nl, 3);
        Value p = arith::ConstantIndexOp::create(nb, nl, pageSize);
        Value slot = arith::DivUIOp::create(nb, nl, ti, p);
        Value row = arith::RemUIOp::create(nb, nl, ti, p);
        Value entry =
            tensor::ExtractOp::create(nb, nl, table, ValueRange{bi, slot});
        Value page =
            arith::IndexCastOp::create(nb, nl, nb.getIndexType(), entry);
        // Clamp into [0, pages): an entry past a sequence's length is never
        // used for a kept key but must not be read out of bounds.
        Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
        page = arith::MaxSIOp::create(nb, nl, page, zero);
        page = arith::MinSIOp::create(nb, nl, page, lastPage);
        SmallVector<Value> at = hnd ? SmallVector<Value>{page, hi, row, di}
                                    : SmallVector<Value>{page, row, hi, di};
        Value x = tensor::ExtractOp::create(nb, nl, pool, at);
        linalg::YieldOp::create(nb, nl, x);
      });
  return gather.getResult(0);
}

AttentionOp mlir::attn::buildGatheredAttention(OpBuilder &b, AttentionOp op) {
  Location loc = op.getLoc();
  Value k = gatherPool(b, loc, op, op.getKey());
  Value v = gatherPool(b, loc, op, op.getValue());
  auto gathered = AttentionOp::create(
      b, loc, op->getResultTypes(), op.getQuery(), k, v, op.getMask(),
      op.getQLengths(), op.getKvLengths(), op.getQSegmentIds(),
      op.getKvSegmentIds(), op.getSinks(), /*page_table=*/Value(),
      op.getKvBlockCounts(), op.getKvBlockIndices(), op.getOffsets(), op.getExtents(), op.getInits(), op.getScaleAttr(),
      op.getSoftcapAttr(), op.getMasksAttr(), op.getNormalizerAttr(),
      op.getSigmoidBiasAttr(), op.getPartialAttr(),
      KvLayoutAttr::get(b.getContext(), KvLayout::contiguous),
      op.getQBlockSizeAttr(), op.getKvBlockSizeAttr(),
      op.getKvBlocksPerGroupAttr());
  for (auto [from, to] : llvm::zip(op->getRegions(), gathered->getRegions()))
    if (!from.empty())
      b.cloneRegionBefore(from, to, to.end());
  return gathered;
}
