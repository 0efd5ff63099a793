//===- PipelineUtils.cpp - pieces shared by the attn pipelines --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "PipelineUtils.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

void mlir::attn::addFunctionBufferizationPass(OpPassManager &pm) {
  // One-Shot Analysis is quadratic in the readers of one tensor value
  // (docs/design.md, Robustness 11): bound them first.
  pm.addNestedPass<func::FuncOp>(createAttnBoundTensorFanoutPass());
  bufferization::OneShotBufferizePassOptions bufOpts;
  bufOpts.bufferizeFunctionBoundaries = true;
  bufOpts.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufOpts));
}
