//===- PipelineUtils.cpp - pieces shared by the attn pipelines --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "PipelineUtils.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

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

void mlir::attn::addBufferDeallocationPasses(OpPassManager &pm) {
  // Upstream's buildBufferDeallocationPipeline (MLIR 22), with
  // -attn-split-deallocs before the simplification, which is quadratic in
  // the memrefs of one dealloc (docs/design.md, Robustness 11).
  memref::ExpandReallocPassOptions reallocOpts;
  reallocOpts.emitDeallocs = false;
  pm.addPass(memref::createExpandReallocPass(reallocOpts));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createAttnSplitDeallocsPass());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}
