//===- AttnLowerLinearAttention.cpp - linear attention forms ----*- C++ -*-===//
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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNLOWERLINEARATTENTIONPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

namespace {
struct AttnLowerLinearAttentionPass final
    : attn::impl::AttnLowerLinearAttentionPassBase<
          AttnLowerLinearAttentionPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void AttnLowerLinearAttentionPass::runOnOperation() {
  std::optional<LinearAttentionForm> form =
      llvm::StringSwitch<std::optional<LinearAttentionForm>>(this->form)
          .Case("auto", LinearAttentionForm::automatic)
          .Case("parallel", LinearAttentionForm::parallel)
          .Case("chunked", LinearAttentionForm::chunked)
          .Case("recurrent", LinearAttentionForm::recurrent)
          .Default(std::nullopt);
  if (!form) {
    getOperation()->emitError("attn-lower-linear-attention: unknown form '")
        << this->form << "' (expected auto, parallel, chunked or recurrent)";
    return signalPassFailure();
  }
  if (chunkSize < 0) {
    getOperation()->emitError(
        "attn-lower-linear-attention: expects a chunk size >= 0, got ")
        << chunkSize;
    return signalPassFailure();
  }
  LinearAttentionFormOptions options;
  options.form = *form;
  options.chunkSize = chunkSize;
  SmallVector<LinearAttentionOp> ops;
  getOperation()->walk([&](LinearAttentionOp op) { ops.push_back(op); });
  IRRewriter rewriter(&getContext());
  for (LinearAttentionOp op : ops)
    if (failed(lowerLinearAttention(rewriter, op, options)))
      return signalPassFailure();
}
