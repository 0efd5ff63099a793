//===- AttnDecompose.cpp - reference decomposition pass ---------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNDECOMPOSEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

FailureOr<SmallVector<Value>>
mlir::attn::decomposeAttention(RewriterBase &rewriter, AttentionOp op) {
  return decomposeAggregatedOp(
      rewriter, cast<linalg::AggregatedOpInterface>(op.getOperation()));
}

LogicalResult mlir::attn::decomposeAllAttention(RewriterBase &rewriter,
                                                Operation *root) {
  // The block-sparsity ops first (their results feed attention masks), then
  // attn.attention ops (tiled ones feed attn.merge_states), then the merges.
  if (failed(lowerBlockSparseOps(rewriter, root)))
    return failure();
  SmallVector<AttentionOp> ops;
  SmallVector<MergeStatesOp> merges;
  SmallVector<LinearAttentionOp> linear;
  root->walk([&](Operation *op) {
    if (auto a = dyn_cast<AttentionOp>(op))
      ops.push_back(a);
    else if (auto la = dyn_cast<LinearAttentionOp>(op))
      linear.push_back(la);
    else if (auto m = dyn_cast<MergeStatesOp>(op))
      merges.push_back(m);
  });
  for (AttentionOp op : ops)
    if (failed(decomposeAttention(rewriter, op)))
      return failure();
  // attn.linear_attention (its parallel form) and attn.merge_states: their
  // AggregatedOpInterface decompositions.
  for (LinearAttentionOp op : linear)
    if (failed(decomposeAggregatedOp(rewriter, op)))
      return failure();
  for (MergeStatesOp op : merges)
    if (failed(decomposeAggregatedOp(rewriter, op)))
      return failure();
  return success();
}

namespace {
struct AttnDecomposePass final
    : attn::impl::AttnDecomposePassBase<AttnDecomposePass> {
  void runOnOperation() override;
};
} // namespace

void AttnDecomposePass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  if (failed(decomposeAllAttention(rewriter, getOperation())))
    signalPassFailure();
}
