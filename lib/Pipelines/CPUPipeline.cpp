//===- CPUPipeline.cpp - attn CPU pipeline ----------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines/Pipelines.h"

#include "PipelineUtils.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::buildAttnCPUBufferizePipeline(
    OpPassManager &pm, const AttnCPUPipelineOptions &options) {
  // KV appends first: in-place slab inserts into their pools on both paths.
  pm.addPass(createAttnLowerKVAppendPass());
  // Block scores and top-k selection (their reference decompositions) on
  // both paths, before the attention ops they feed are tiled.
  pm.addPass(createAttnLowerBlockSparsePass());
  if (options.reference) {
    pm.addPass(createAttnDecomposePass());
  } else {
    // attn.linear_attention in its chosen form (linalg on tensors), before
    // the softmax attention ops are tiled. (Paged ops are tiled in place:
    // their key loops read the pools through the page table.)
    AttnLowerLinearAttentionPassOptions linearOpts;
    linearOpts.form = options.linearForm;
    linearOpts.chunkSize = options.linearChunk;
    pm.addPass(createAttnLowerLinearAttentionPass(linearOpts));
    AttnTilePassOptions tileOpts;
    tileOpts.qTile = options.qTile;
    tileOpts.kvTile = options.kvTile;
    tileOpts.kvSplits = options.kvSplits;
    tileOpts.vectorBits = options.vectorBits;
    // The split count is chosen for the threads the code will run on.
    tileOpts.numThreads = options.numThreads;
    tileOpts.fuseElementwise = options.fuseElementwise;
    pm.addPass(createAttnTilePass(tileOpts));
  }
  // linalg.softmax (a front end's attention that was not raised to
  // attn.attention) has no loop lowering: expand it into linalg.generic.
  pm.addPass(createAttnDecomposeAggregatesPass());
  // Every other linalg op (projections, MLPs, norms, activations): register
  // tiles of FMAs and vectors, outer loops on threads. The attention loops
  // built by attn-tile are left alone.
  if (options.vectorizeLinalg) {
    AttnVectorizeLinalgPassOptions vecOpts;
    vecOpts.parallel = options.parallel;
    vecOpts.vectorBits = options.vectorBits;
    pm.addPass(createAttnVectorizeLinalgPass(vecOpts));
  }
  // The padded tiles' contractions (and any static contraction left):
  // register-blocked micro-kernels for the target.
  if (!options.reference) {
    AttnRegisterBlockContractionsPassOptions blockOpts;
    blockOpts.vectorBits = options.vectorBits;
    blockOpts.bf16Dot = options.bf16Dot;
    pm.addPass(createAttnRegisterBlockContractionsPass(blockOpts));
  }
  pm.addPass(createCanonicalizerPass());
  // CSE inside each loop nest: upstream -cse on a function of many
  // attention ops is quadratic (docs/design.md, Robustness 10).
  pm.addNestedPass<func::FuncOp>(createAttnNestedCSEPass());

  addFunctionBufferizationPass(pm);
  if (options.outParams) {
    bufferization::BufferResultsToOutParamsPassOptions outOpts;
    outOpts.modifyPublicFunctions = true;
    outOpts.hoistStaticAllocs = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outOpts));
  }
  addBufferDeallocationPasses(pm);
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::buildAttnCPULowerToLLVMPipeline(
    OpPassManager &pm, const AttnCPUPipelineOptions &options) {
  // The (batch, head, query tile) forall becomes an OpenMP work-sharing
  // loop, or a sequential loop nest.
  if (options.parallel)
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  else
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass());
  if (options.parallel) {
    ConvertSCFToOpenMPPassOptions ompOpts;
    ompOpts.numThreads = options.numThreads;
    pm.addPass(createConvertSCFToOpenMPPass(ompOpts));
    // Inlines the memref.alloca_scope the conversion wraps around each
    // iteration (the body allocates on the heap only), before scf-to-cf
    // splits its region into blocks.
    pm.addPass(createCanonicalizerPass());
  }
  if (options.approximateMath)
    pm.addPass(createAttnApproximateMathPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expandOpts;
  expandOpts.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expandOpts));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // Nested explicitly: a textual pipeline (`--pass-pipeline`, the C API, an
  // embedding pass manager) does not nest function passes implicitly.
  if (options.cInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  // Vector loads and stores of i1 memrefs (mask tensors read by vectorised
  // linalg ops) as bytes: the upstream lowering would bit-pack them.
  pm.addPass(createAttnLowerI1VectorMemoryPass());
  // x86vector.avx512.dot (bf16-dot) becomes an LLVM intrinsic call; the
  // legalization only touches X86Vector ops.
  ConvertVectorToLLVMPassOptions vecOpts;
  vecOpts.x86Vector = true;
  pm.addPass(createConvertVectorToLLVMPass(vecOpts));
  // aligned_alloc keeps the pointer provenance of each buffer (no integer
  // alignment arithmetic), so LLVM sees that buffers do not alias and can
  // keep reduction accumulators in registers.
  FinalizeMemRefToLLVMConversionPassOptions memrefOpts;
  memrefOpts.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOpts));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // ub.poison: the padding value of vectorised transfers.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::buildAttnCPUPipeline(OpPassManager &pm,
                                      const AttnCPUPipelineOptions &options) {
  buildAttnCPUBufferizePipeline(pm, options);
  buildAttnCPULowerToLLVMPipeline(pm, options);
}

void mlir::attn::registerAttnPipelines() {
  // The registry asserts that a name is registered once; the plugin and the
  // C API may both be asked to register.
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  registerStagedPipeline<AttnCPUPipelineOptions>(
      {"attn-cpu-pipeline",
       "Lower attn IR on tensors to the LLVM dialect for the CPU",
       buildAttnCPUPipeline},
      {"attn-cpu-bufferize",
       "First CPU stage: decompose attn ops and bufferize",
       buildAttnCPUBufferizePipeline},
      {"attn-cpu-lower-to-llvm",
       "Second CPU stage: lower linalg on buffers to the LLVM dialect",
       buildAttnCPULowerToLLVMPipeline});
}
