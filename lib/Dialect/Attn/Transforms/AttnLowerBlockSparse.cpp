//===- AttnLowerBlockSparse.cpp - block-sparsity op lowering ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// `-attn-lower-block-sparse`: replaces `attn.block_scores` and
// `attn.select_blocks` by their reference decompositions (their
// AggregatedOpInterface implementations, BlockSparseDecomposition.cpp).
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
#define GEN_PASS_DEF_ATTNLOWERBLOCKSPARSEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

LogicalResult mlir::attn::lowerBlockSparseOps(RewriterBase &rewriter,
                                              Operation *root) {
  SmallVector<linalg::AggregatedOpInterface> ops;
  root->walk([&](Operation *op) {
    if (isa<BlockScoresOp, SelectBlocksOp>(op))
      ops.push_back(cast<linalg::AggregatedOpInterface>(op));
  });
  for (linalg::AggregatedOpInterface op : ops) {
    if (llvm::any_of(op->getOperandTypes(), llvm::IsaPred<BaseMemRefType>))
      return op->emitOpError("has buffer operands: lower the block-sparsity "
                             "ops before bufferization");
    if (failed(decomposeAggregatedOp(rewriter, op)))
      return failure();
  }
  return success();
}

namespace {
struct AttnLowerBlockSparsePass final
    : attn::impl::AttnLowerBlockSparsePassBase<AttnLowerBlockSparsePass> {
  void runOnOperation() override;
};
} // namespace

void AttnLowerBlockSparsePass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  if (failed(lowerBlockSparseOps(rewriter, getOperation())))
    signalPassFailure();
}
