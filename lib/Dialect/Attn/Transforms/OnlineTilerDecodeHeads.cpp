//===- OnlineTilerDecodeHeads.cpp - decode tiles of all heads --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The decode tile body (OnlineTilerDecode.cpp) normally gets tiles of one
// GQA group: g query heads over one KV head. In an NHD page pool
// ([pages, P, Hkv, D]) a token row of a page is Hkv * D contiguous
// elements, so a tile of one KV head reads D of every Hkv * D, and the Hkv
// tiles of a batch sweep the same pages at different times (docs/
// performance.md, "Paged KV in place"). For such ops -attn-tile makes decode
// tiles of all the KV heads of one batch instead (decodeHeadTile): Hq query
// heads x Lq rows, row m = h * Lq + i, so the g * Lq rows of each KV head
// are consecutive. Each key tile reads its page as one 3-D slice
// [rows, Hkv, D] (readKVRows: one table load, contiguous bytes),
// and each register block of rows, which lies in one KV head's rows, takes
// its head's [rows, D] part of it (kvHeadRows).
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

int64_t mlir::attn::detail::decodeRowBlock(int64_t rowsPerKVHead,
                                           int64_t maxRows) {
  for (int64_t r = std::min(rowsPerKVHead, maxRows); r > 1; --r)
    if (rowsPerKVHead % r == 0)
      return r;
  return 1;
}

int64_t mlir::attn::detail::decodeHeadTile(AttentionOp op, int64_t group) {
  if (group <= 0 || op.getKvLayout() != KvLayout::paged_nhd)
    return group;
  int64_t hq = op.getQueryType().getDimSize(1);
  int64_t lq = op.getQueryType().getDimSize(2);
  if (hq == group) // One KV head: the group is all the heads already.
    return group;
  // The tile's state (S^T [Tk, M], acc [M, Dv], f32) grows with its rows,
  // Hkv times a group tile's: up to 512 rows (Hq = 32, Lq = 16) the tile
  // ran as fast as group tiles or faster (docs/performance.md, "NHD decode
  // tiles of all KV heads"); beyond, unmeasured, the state would outgrow L2.
  if (hq * lq > kMaxAllHeadsRows)
    return group;
  // The register blocks of rows may not straddle two KV heads, so they
  // divide g * Lq; keep the all-heads tile only while they stay at least
  // half as tall as the group tile's (which pads its rows instead).
  int64_t rows = group * lq;
  if (2 * decodeRowBlock(rows) < std::min(rows, kDecodeBlockRows))
    return group;
  return hq;
}

Value mlir::attn::detail::readKVRows(OpBuilder &b, Location l, AttentionOp op,
                                     Value kv, Value kl, OpFoldResult rows,
                                     OpFoldResult cols, bool allHeads) {
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, l, v);
  };
  auto kvT = cast<RankedTensorType>(kv.getType());
  OpFoldResult one = b.getIndexAttr(1), z = b.getIndexAttr(0);
  OpFoldResult heads =
      allHeads ? tensor::getMixedSize(b, l, kv, op.getKVHeadAxis()) : one;
  SmallVector<OpFoldResult> offs = {z, z, kl, z},
                            szs = {one, heads, rows, cols};
  if (op.isPaged()) {
    Value zero = cst(0), p = cst(op.getPageSize());
    Value entry = tensor::ExtractOp::create(
        b, l, op.getPageTable(),
        ValueRange{zero, arith::DivUIOp::create(b, l, kl, p)});
    Value page = arith::IndexCastOp::create(b, l, b.getIndexType(), entry);
    // Clamped into the pool, as the gather of the semantics does: entries
    // past a sequence's length are read for masked keys only.
    Value last =
        arith::SubIOp::create(b, l, tensor::DimOp::create(b, l, kv, 0), cst(1));
    page = arith::MinSIOp::create(
        b, l, arith::MaxSIOp::create(b, l, page, zero), last);
    Value row = arith::RemUIOp::create(b, l, kl, p);
    offs = {page, z, row, z};
    if (op.getKvLayout() == KvLayout::paged_nhd) {
      offs = {page, row, z, z};
      szs = {one, rows, heads, cols};
    }
  }
  RankedTensorType resT =
      tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
          allHeads ? 3 : 2, kvT, szs);
  return tensor::ExtractSliceOp::create(b, l, resT, kv, offs, szs,
                                        SmallVector<OpFoldResult>(4, one));
}

Value mlir::attn::detail::kvHeadRows(OpBuilder &b, Location l, AttentionOp op,
                                     Value slice, Value kvHead) {
  auto sT = cast<RankedTensorType>(slice.getType());
  // The head axis of readKVRows' all-heads slice: 1 for NHD pools, else 0.
  unsigned axis = op.getKvLayout() == KvLayout::paged_nhd ? 1 : 0;
  OpFoldResult one = b.getIndexAttr(1), z = b.getIndexAttr(0);
  SmallVector<OpFoldResult> offs(3, z),
      szs = tensor::getMixedSizes(b, l, slice);
  offs[axis] = kvHead;
  szs[axis] = one;
  RankedTensorType resT =
      tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(2, sT, szs);
  return tensor::ExtractSliceOp::create(b, l, resT, slice, offs, szs,
                                        SmallVector<OpFoldResult>(3, one));
}
