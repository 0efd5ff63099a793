//===- OnlineTilerKeyBlocks.cpp - key-block lists in the tile body --------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The key loop of -attn-tile for ops with key-block lists (kv_blocks): the
// listed blocks of a tile within one query block, and the per-score list
// test of tiles that span query blocks (docs/design.md, "CPU tiling").
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

/// The key loop of a tile within one query block of the op's key-block
/// lists: for each listed entry that is in range and not a repeat of an
/// earlier one, the key tiles of its block within [kvLo, kvHi).
SmallVector<Value> OnlineTiler::buildListedBlockLoop(OpBuilder &nb,
                                                     const TileFrame &f,
                                                     ValueRange state0) {
  KeyBlockListRow row = buildKeyBlockListRow(nb, loc, op, b0, h0, q0, group);
  Value count = buildKeyBlockCount(nb, loc, op, row);
  Value skv = cst(nb, *op.getKvBlockSize());
  Value numBlocks = arith::CeilDivUIOp::create(nb, loc, lkvP, skv);
  Type i1 = nb.getI1Type();
  auto outer = scf::ForOp::create(
      nb, loc, zero, count, cst(nb, 1), state0,
      [&](OpBuilder &ob, Location l, Value e, ValueRange state) {
        Value blk = buildKeyBlockIndex(ob, l, op, row, e);
        // A repeat of an earlier entry selects nothing more.
        auto dup = scf::ForOp::create(
            ob, l, zero, e, cst(ob, 1),
            ValueRange{arith::ConstantIntOp::create(ob, l, i1, 0)},
            [&](OpBuilder &db, Location dl, Value e2, ValueRange seen) {
              Value same = arith::CmpIOp::create(
                  db, dl, arith::CmpIPredicate::eq,
                  buildKeyBlockIndex(db, dl, op, row, e2), blk);
              scf::YieldOp::create(
                  db, dl,
                  ValueRange{arith::OrIOp::create(db, dl, seen[0], same)});
            });
        Value valid = arith::AndIOp::create(
            ob, l,
            arith::AndIOp::create(
                ob, l,
                arith::CmpIOp::create(ob, l, arith::CmpIPredicate::sge, blk,
                                      zero),
                arith::CmpIOp::create(ob, l, arith::CmpIPredicate::slt, blk,
                                      numBlocks)),
            arith::XOrIOp::create(ob, l, dup.getResult(0),
                                  arith::ConstantIntOp::create(ob, l, i1, 1)));
        Value start = arith::MulIOp::create(ob, l, blk, skv);
        Value lo = arith::MaxSIOp::create(ob, l, start, f.kvLo);
        Value hi = arith::MinSIOp::create(
            ob, l, arith::AddIOp::create(ob, l, start, skv), f.kvHi);
        // Entries that select nothing run no key tile.
        hi = arith::SelectOp::create(ob, l, valid, hi, lo);
        auto inner = scf::ForOp::create(
            ob, l, lo, hi, f.tk0, state,
            [&](OpBuilder &lb, Location il, Value k0, ValueRange st) {
              scf::YieldOp::create(lb, il, keyTileStep(lb, il, f, k0, hi, st));
            });
        scf::YieldOp::create(ob, l, inner.getResults());
      });
  return SmallVector<Value>(outer.getResults());
}

/// Whether the block of global key `gj` is listed for global query row
/// `gi`: a scan of the row's list (tiles that span query blocks).
Value OnlineTiler::buildListedBlockKeep(OpBuilder &b, Location l, Value gi,
                                        Value gj) {
  KeyBlockListRow row = buildKeyBlockListRow(b, l, op, b0, h0, gi, group);
  Value count = buildKeyBlockCount(b, l, op, row);
  Value kb = arith::DivUIOp::create(
      b, l, gj, arith::ConstantIndexOp::create(b, l, *op.getKvBlockSize()));
  Value c0 = arith::ConstantIndexOp::create(b, l, 0);
  Value c1 = arith::ConstantIndexOp::create(b, l, 1);
  auto scan = scf::ForOp::create(
      b, l, c0, count, c1,
      ValueRange{arith::ConstantIntOp::create(b, l, b.getI1Type(), 0)},
      [&](OpBuilder &sb, Location sl, Value e, ValueRange found) {
        Value hit =
            arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::eq,
                                  buildKeyBlockIndex(sb, sl, op, row, e), kb);
        scf::YieldOp::create(
            sb, sl, ValueRange{arith::OrIOp::create(sb, sl, found[0], hit)});
      });
  return scan.getResult(0);
}
