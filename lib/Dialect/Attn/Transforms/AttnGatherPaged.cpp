//===- AttnGatherPaged.cpp - paged K/V into the contiguous layout -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNGATHERPAGEDPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {
struct GatherPagedAttention final : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.isPaged())
      return rewriter.notifyMatchFailure(op, "not paged");
    AttentionOp gathered = buildGatheredAttention(rewriter, op);
    rewriter.replaceOp(op, gathered->getResults());
    return success();
  }
};

struct AttnGatherPagedPass final
    : attn::impl::AttnGatherPagedPassBase<AttnGatherPagedPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnGatherPagedPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::attn::populateAttnGatherPagedPatterns(RewritePatternSet &patterns) {
  patterns.add<GatherPagedAttention>(patterns.getContext());
}
