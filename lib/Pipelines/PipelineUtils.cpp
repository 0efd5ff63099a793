//===- PipelineUtils.cpp - pieces shared by the attn pipelines --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "PipelineUtils.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::addFunctionBufferizationPass(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufOpts;
  bufOpts.bufferizeFunctionBoundaries = true;
  bufOpts.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufOpts));
}
