//===- AttnBoundTensorFanout.cpp - bound the readers of a tensor value ----===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Splits the readers of a tensor value with many uses into groups that read
// their own copy (see the pass description): upstream One-Shot Analysis
// walks every use of an alias set once per analysed operand of the set, so a
// value read by U ops costs it O(U^2); with groups of at most `max-uses` it
// costs O(U * max-uses).
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNBOUNDTENSORFANOUTPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;

/// The uses of `value` that may read a copy instead: not terminators (a
/// returned or yielded value keeps its identity for the buffer results of the
/// enclosing op) and no bufferization op but the copies themselves (their
/// semantics name buffers).
static SmallVector<OpOperand *> getMovableUses(Value value) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (user->hasTrait<OpTrait::IsTerminator>() ||
        (isa<bufferization::BufferizationDialect>(user->getDialect()) &&
         !isa<bufferization::AllocTensorOp>(user)))
      continue;
    uses.push_back(&use);
  }
  return uses;
}

/// Sorts `uses` by program order of their users' ancestors in `block`, the
/// block that defines the value (every use lies in it or below it).
static void sortByProgramOrder(SmallVector<OpOperand *> &uses, Block *block) {
  auto ancestor = [&](OpOperand *use) {
    return block->findAncestorOpInBlock(*use->getOwner());
  };
  llvm::stable_sort(uses, [&](OpOperand *a, OpOperand *b) {
    Operation *opA = ancestor(a), *opB = ancestor(b);
    if (!opA || !opB || opA == opB)
      return false;
    return opA->isBeforeInBlock(opB);
  });
}

/// Moves the movable uses of `value` beyond the first `maxUses` onto copies
/// of `value`, built right after its definition, in groups of `maxUses` in
/// program order. When the copies fit next to the readers `value` keeps,
/// `value` ends with at most `maxUses` uses: it keeps its first
/// `maxUses - c` readers and c = ceil((U - maxUses) / (maxUses - 1)) copies
/// take the other ones. Otherwise every group reads a copy and `value` is
/// left with one use per copy, fewer than before, to be split again.
/// Returns whether `value` needs another split.
static bool splitReaders(RewriterBase &rewriter, Value value, int64_t maxUses) {
  SmallVector<OpOperand *> uses = getMovableUses(value);
  int64_t numUses = uses.size();
  if (numUses <= maxUses)
    return false;
  sortByProgramOrder(uses, value.getParentBlock());

  int64_t numCopies = llvm::divideCeil(numUses - maxUses, maxUses - 1);
  int64_t kept = numCopies <= maxUses ? maxUses - numCopies : 0;
  auto type = cast<RankedTensorType>(value.getType());
  rewriter.setInsertionPointAfterValue(value);
  for (int64_t start = kept; start < numUses; start += maxUses) {
    Value copy = bufferization::AllocTensorOp::create(
        rewriter, value.getLoc(), type, /*dynamicSizes=*/ValueRange(),
        /*copy=*/value);
    int64_t end = std::min(numUses, start + maxUses);
    for (OpOperand *use : ArrayRef(uses).slice(start, end - start))
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(copy); });
  }
  return kept == 0;
}

namespace {
struct AttnBoundTensorFanoutPass final
    : attn::impl::AttnBoundTensorFanoutPassBase<AttnBoundTensorFanoutPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (maxUses < 2) {
      func.emitError("attn-bound-tensor-fanout: max-uses must be at least 2, "
                     "got ")
          << static_cast<int64_t>(maxUses);
      return signalPassFailure();
    }
    // Values defined at the top level of the function: a copy there runs
    // once per call (copies of values inside loops would run per iteration).
    SmallVector<Value> worklist;
    for (Block &block : func.getBody()) {
      llvm::append_range(worklist, block.getArguments());
      for (Operation &op : block)
        llvm::append_range(worklist, op.getResults());
    }
    IRRewriter rewriter(&getContext());
    bool changed = false;
    // A value split into more than `maxUses` copies is split again: its
    // readers are now the copies, grouped under copies of their own.
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type || type.getEncoding())
        continue;
      if (getMovableUses(value).size() <= static_cast<uint64_t>(maxUses))
        continue;
      changed = true;
      if (splitReaders(rewriter, value, maxUses))
        worklist.push_back(value);
    }
    if (!changed)
      markAllAnalysesPreserved();
  }
};
} // namespace
