//===- AttnNestedCSE.cpp - CSE inside each loop nest of a function --------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Upstream CSE applied to the regions of each top-level region-holding op of
// a function separately (see the pass description): linear in the number of
// loop nests, where upstream -cse on the whole function compares nests with
// equal operands pairwise.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNNESTEDCSEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;

namespace {
struct AttnNestedCSEPass final
    : attn::impl::AttnNestedCSEPassBase<AttnNestedCSEPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Operation *> nests;
    for (Block &block : func.getBody())
      for (Operation &op : block)
        if (op.getNumRegions() != 0)
          nests.push_back(&op);
    IRRewriter rewriter(&getContext());
    DominanceInfo &dom = getAnalysis<DominanceInfo>();
    bool changed = false;
    for (Operation *op : nests) {
      bool nestChanged = false;
      eliminateCommonSubExpressions(rewriter, dom, op, &nestChanged);
      changed |= nestChanged;
    }
    if (!changed)
      markAllAnalysesPreserved();
  }
};
} // namespace
