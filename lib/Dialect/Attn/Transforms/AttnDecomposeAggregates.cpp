//===- AttnDecomposeAggregates.cpp - decompose aggregated ops ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Expands ops implementing linalg::AggregatedOpInterface (linalg.softmax in
// the graphs a front end hands over) into linalg.generic ops, which the CPU
// pipeline lowers to loops.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNDECOMPOSEAGGREGATESPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

FailureOr<SmallVector<Value>>
mlir::attn::decomposeAggregatedOp(RewriterBase &rewriter,
                                  linalg::AggregatedOpInterface op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  FailureOr<SmallVector<Value>> repl = op.decomposeOperation(rewriter);
  if (failed(repl))
    return op->emitOpError("failed to decompose");
  rewriter.replaceOp(op, *repl);
  return repl;
}

LogicalResult mlir::attn::decomposeAggregatedOps(RewriterBase &rewriter,
                                                 Operation *root) {
  SmallVector<linalg::AggregatedOpInterface> ops;
  root->walk([&](linalg::AggregatedOpInterface op) { ops.push_back(op); });
  for (linalg::AggregatedOpInterface op : ops) {
    if (llvm::any_of(op->getOperandTypes(), llvm::IsaPred<BaseMemRefType>))
      return op->emitOpError(
          "has buffer operands: decompose aggregated ops before "
          "bufferization");
    // The upstream expansions (max, exp, sum, div; Winograd transforms)
    // build floating-point arithmetic and assert on other element types.
    for (Type t : op->getOperandTypes()) {
      Type elt = getElementTypeOrSelf(t);
      if (!isa<FloatType>(elt))
        return op->emitOpError(
                   "expects floating-point element types to decompose, got ")
               << elt;
    }
    if (failed(decomposeAggregatedOp(rewriter, op)))
      return failure();
  }
  return success();
}

namespace {
struct AttnDecomposeAggregatesPass final
    : attn::impl::AttnDecomposeAggregatesPassBase<
          AttnDecomposeAggregatesPass> {
  void runOnOperation() override;
};
} // namespace

void AttnDecomposeAggregatesPass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  if (failed(decomposeAggregatedOps(rewriter, getOperation())))
    signalPassFailure();
}
