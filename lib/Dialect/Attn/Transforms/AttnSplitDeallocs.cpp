//===- AttnSplitDeallocs.cpp - split deallocs of distinct allocations -----===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Splits a `bufferization.dealloc` of many memrefs into deallocs of at most
// `max-memrefs` memrefs each when its memrefs are views of distinct
// allocations (see the pass description): upstream
// -buffer-deallocation-simplification compares the memrefs of one dealloc
// pairwise, so one dealloc of n buffers costs it O(n^2).
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNSPLITDEALLOCSPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;

/// The allocation `memref` is a view of (through view-like ops), or null when
/// it is not a view of a `memref.alloc` / `memref.alloca` result.
static Value getAllocationRoot(Value memref) {
  while (true) {
    Operation *def = memref.getDefiningOp();
    if (!def)
      return Value();
    if (isa<memref::AllocOp, memref::AllocaOp>(def))
      return memref;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view || view.getViewDest() != memref)
      return Value();
    memref = view.getViewSource();
  }
}

/// Splits `dealloc` into deallocs of at most `maxMemrefs` memrefs (all views
/// of one allocation stay in one dealloc), each with the whole retained
/// list; the updated conditions of the retained values are the `or` of
/// theirs. Views of distinct allocations never alias, so every memref is
/// freed exactly as by the original op. Returns failure (changing nothing)
/// when a memref is not a view of an allocation or no split is needed.
static LogicalResult splitDealloc(RewriterBase &rewriter,
                                  bufferization::DeallocOp dealloc,
                                  int64_t maxMemrefs) {
  // The memrefs grouped by allocation, in the op's order.
  llvm::MapVector<Value, SmallVector<unsigned>> groups;
  for (auto [i, memref] : llvm::enumerate(dealloc.getMemrefs())) {
    Value root = getAllocationRoot(memref);
    if (!root)
      return failure();
    groups[root].push_back(i);
  }
  SmallVector<SmallVector<unsigned>> chunks(1);
  for (auto &[root, indices] : groups) {
    if (!chunks.back().empty() &&
        static_cast<int64_t>(chunks.back().size() + indices.size()) >
            maxMemrefs)
      chunks.emplace_back();
    llvm::append_range(chunks.back(), indices);
  }
  if (chunks.size() < 2)
    return failure();

  rewriter.setInsertionPoint(dealloc);
  Location loc = dealloc.getLoc();
  SmallVector<Value> updated;
  for (ArrayRef<unsigned> chunk : chunks) {
    SmallVector<Value> memrefs, conditions;
    for (unsigned i : chunk) {
      memrefs.push_back(dealloc.getMemrefs()[i]);
      conditions.push_back(dealloc.getConditions()[i]);
    }
    auto part = bufferization::DeallocOp::create(
        rewriter, loc, memrefs, conditions, dealloc.getRetained());
    if (updated.empty()) {
      llvm::append_range(updated, part.getUpdatedConditions());
      continue;
    }
    for (auto [acc, next] :
         llvm::zip_equal(updated, part.getUpdatedConditions()))
      acc = arith::OrIOp::create(rewriter, loc, acc, next);
  }
  rewriter.replaceOp(dealloc, updated);
  return success();
}

namespace {
struct AttnSplitDeallocsPass final
    : attn::impl::AttnSplitDeallocsPassBase<AttnSplitDeallocsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (maxMemrefs < 1) {
      func.emitError("attn-split-deallocs: max-memrefs must be at least 1, "
                     "got ")
          << static_cast<int64_t>(maxMemrefs);
      return signalPassFailure();
    }
    SmallVector<bufferization::DeallocOp> deallocs;
    func.walk([&](bufferization::DeallocOp op) {
      if (static_cast<int64_t>(op.getMemrefs().size()) > maxMemrefs)
        deallocs.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    bool changed = false;
    for (bufferization::DeallocOp op : deallocs)
      changed |= succeeded(splitDealloc(rewriter, op, maxMemrefs));
    if (!changed)
      markAllAnalysesPreserved();
  }
};
} // namespace
