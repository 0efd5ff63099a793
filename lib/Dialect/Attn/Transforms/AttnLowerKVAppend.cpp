//===- AttnLowerKVAppend.cpp - attn.kv_append to slab inserts ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Lowers attn.kv_append to an scf.for nest over (sequence, new row) that
// inserts each [Hkv, D] slab into the pool iter_arg, so that one-shot
// bufferization writes the pool in place (docs/semantics.md, "KV append").
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNLOWERKVAPPENDPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

/// `lo <= x < hi` on signed index values.
static Value buildInRange(OpBuilder &b, Location loc, Value x, Value lo,
                          Value hi) {
  Value geLo = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, lo);
  Value ltHi = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, hi);
  return arith::AndIOp::create(b, loc, geLo, ltHi);
}

/// Extracts element `idx` of an i32/i64 tensor as a (sign-extended) index.
static Value extractIndex(OpBuilder &b, Location loc, Value tensor,
                          ValueRange idx) {
  Value e = tensor::ExtractOp::create(b, loc, tensor, idx);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

/// Inserts slab `new[b, :, i, :]` into `pool` at (`page`, `row`).
static Value buildSlabInsert(OpBuilder &b, Location loc, KVAppendOp op,
                             Value pool, Value bi, Value i, Value page,
                             Value row) {
  Value rows = op.getNewRows();
  auto newT = cast<RankedTensorType>(rows.getType());
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  OpFoldResult heads = tensor::getMixedSize(b, loc, rows, 1);
  OpFoldResult dim = tensor::getMixedSize(b, loc, rows, 3);
  auto slabT = RankedTensorType::get({newT.getDimSize(1), newT.getDimSize(3)},
                                     newT.getElementType());
  SmallVector<OpFoldResult> unit(4, one);
  Value slab = tensor::ExtractSliceOp::create(
      b, loc, slabT, rows, SmallVector<OpFoldResult>{bi, zero, i, zero},
      SmallVector<OpFoldResult>{one, heads, one, dim}, unit);
  SmallVector<OpFoldResult> offsets, sizes;
  if (op.isHND()) {
    offsets = {page, zero, row, zero};
    sizes = {one, heads, one, dim};
  } else {
    offsets = {page, row, zero, zero};
    sizes = {one, one, heads, dim};
  }
  return tensor::InsertSliceOp::create(b, loc, slab, pool, offsets, sizes,
                                       unit);
}

LogicalResult mlir::attn::lowerKVAppend(RewriterBase &rewriter, KVAppendOp op) {
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  auto idx = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, c);
  };
  Value rows = op.getNewRows(), table = op.getPageTable();
  Value zero = idx(0), one = idx(1), pageSize = idx(op.getPageSize());
  Value batch = tensor::DimOp::create(rewriter, loc, rows, 0);
  Value numNew = tensor::DimOp::create(rewriter, loc, rows, 2);
  Value pages = tensor::DimOp::create(rewriter, loc, op.getPool(), 0);
  Value capacity = arith::MulIOp::create(
      rewriter, loc, tensor::DimOp::create(rewriter, loc, table, 1), pageSize);

  auto outer = scf::ForOp::create(
      rewriter, loc, zero, batch, one, ValueRange{op.getPool()},
      [&](OpBuilder &b, Location l, Value bi, ValueRange outerArgs) {
        Value pos = extractIndex(b, l, op.getPositions(), bi);
        auto inner = scf::ForOp::create(
            b, l, zero, numNew, one, outerArgs,
            [&](OpBuilder &b, Location l, Value i, ValueRange innerArgs) {
              Value pool = innerArgs[0];
              Value t = arith::AddIOp::create(b, l, pos, i);
              // Rows outside the table or the pool are not written.
              auto inTable = scf::IfOp::create(
                  b, l, buildInRange(b, l, t, zero, capacity),
                  [&](OpBuilder &b, Location l) {
                    Value slot = arith::DivUIOp::create(b, l, t, pageSize);
                    Value row = arith::RemUIOp::create(b, l, t, pageSize);
                    Value page = extractIndex(b, l, table, {bi, slot});
                    auto inPool = scf::IfOp::create(
                        b, l, buildInRange(b, l, page, zero, pages),
                        [&](OpBuilder &b, Location l) {
                          Value written =
                              buildSlabInsert(b, l, op, pool, bi, i, page, row);
                          scf::YieldOp::create(b, l, written);
                        },
                        [&](OpBuilder &b, Location l) {
                          scf::YieldOp::create(b, l, pool);
                        });
                    scf::YieldOp::create(b, l, inPool.getResults());
                  },
                  [&](OpBuilder &b, Location l) {
                    scf::YieldOp::create(b, l, pool);
                  });
              scf::YieldOp::create(b, l, inTable.getResults());
            });
        scf::YieldOp::create(b, l, inner.getResults());
      });
  rewriter.replaceOp(op, outer.getResults());
  return success();
}

namespace {
struct AttnLowerKVAppendPass final
    : attn::impl::AttnLowerKVAppendPassBase<AttnLowerKVAppendPass> {
  void runOnOperation() override;
};
} // namespace

void AttnLowerKVAppendPass::runOnOperation() {
  SmallVector<KVAppendOp> ops;
  getOperation()->walk([&](KVAppendOp op) { ops.push_back(op); });
  IRRewriter rewriter(&getContext());
  for (KVAppendOp op : ops)
    if (failed(lowerKVAppend(rewriter, op)))
      return signalPassFailure();
}
