//===- GPUPipeline.cpp - attn NVIDIA GPU pipeline ---------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// attn on tensors -> tensor-core kernel (convert-attn-to-gpu) -> bufferized
// host code launching it -> NVVM -> PTX -> cubin (ptxas) in a gpu.binary,
// host code in the LLVM dialect calling the mgpu* runtime entry points.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "PipelineUtils.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::attn;

/// PTX ISA version features for a chip: the oldest PTX that knows it.
static std::string defaultPtxFeatures(StringRef chip) {
  std::optional<int> sm = parseGPUChip(chip);
  if (!sm)
    return "";
  if (*sm >= 120)
    return "+ptx87";
  if (*sm >= 100)
    return "+ptx86";
  if (*sm >= 90)
    return "+ptx80";
  if (*sm >= 89)
    return "+ptx78";
  return "+ptx70";
}

void mlir::attn::buildAttnGPUKernelPipeline(
    OpPassManager &pm, const AttnGPUPipelineOptions &options) {
  ConvertAttnToGPUPassOptions convOpts;
  convOpts.chip = options.chip;
  convOpts.mma = options.mma;
  pm.addPass(createConvertAttnToGPUPass(convOpts));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Host side: the operands' tensors become the function's buffers, which
  // hold device pointers; no deallocation runs (the only allocation is the
  // gpu.alloc of each result, owned by the caller).
  addFunctionBufferizationPass(pm);
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::buildAttnGPULowerPipeline(
    OpPassManager &pm, const AttnGPUPipelineOptions &options) {
  GpuNVVMAttachTargetOptions targetOpts;
  targetOpts.chip = options.chip;
  targetOpts.features = options.features.empty()
                            ? defaultPtxFeatures(options.chip)
                            : std::string(options.features);
  targetOpts.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(targetOpts));

  pm.addPass(createConvertNVGPUToNVVMPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());

  // Device code: bare pointers, so a host framework launches the kernel
  // with (Q, K, V, O[, LSE]) device pointers.
  OpPassManager &gpuPm = pm.nest<gpu::GPUModuleOp>();
  gpuPm.addPass(createConvertVectorToLLVMPass());
  ConvertGpuOpsToNVVMOpsOptions nvvmOpts;
  nvvmOpts.indexBitwidth = 64;
  nvvmOpts.useBarePtrCallConv = true;
  gpuPm.addPass(createConvertGpuOpsToNVVMOps(nvvmOpts));
  gpuPm.addPass(createCanonicalizerPass());
  gpuPm.addPass(createCSEPass());
  gpuPm.addPass(createReconcileUnrealizedCastsPass());

  // Host code.
  // Nested explicitly: the pass is restricted to func.func, and a textual
  // pipeline (`--pass-pipeline`, the C API, a plugin) does not nest it.
  if (options.cInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  GpuToLLVMConversionPassOptions hostOpts;
  hostOpts.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(hostOpts));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());

  GpuModuleToBinaryPassOptions binOpts;
  binOpts.toolkitPath = options.toolkit;
  binOpts.compilationTarget = options.format;
  binOpts.cmdOptions = options.ptxasOptions;
  pm.addPass(createGpuModuleToBinaryPass(binOpts));
}

void mlir::attn::buildAttnGPUPipeline(OpPassManager &pm,
                                      const AttnGPUPipelineOptions &options) {
  buildAttnGPUKernelPipeline(pm, options);
  buildAttnGPULowerPipeline(pm, options);
}

void mlir::attn::registerAttnGPUPipelines() {
  // The registry asserts that a name is registered once; attn-opt, the
  // plugin and the C API may each ask.
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  registerStagedPipeline<AttnGPUPipelineOptions>(
      {"attn-gpu-pipeline",
       "Lower attn IR on tensors to an NVIDIA tensor-core kernel in a "
       "gpu.binary and host code in the LLVM dialect",
       buildAttnGPUPipeline},
      {"attn-gpu-kernel",
       "First GPU stage: build the kernels and bufferize the host code",
       buildAttnGPUKernelPipeline},
      {"attn-gpu-lower",
       "Second GPU stage: NVVM, host LLVM and serialisation to a gpu.binary",
       buildAttnGPULowerPipeline});
}
