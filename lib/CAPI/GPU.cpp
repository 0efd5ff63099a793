//===- GPU.cpp - C API of the attn GPU launch configuration ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// No MLIR here either (see LaunchConfig.cpp): runtime/cuda compiles this file
// and LaunchConfig.cpp into the CUDA runtime library.
//
//===----------------------------------------------------------------------===//

#include "attn-c/GPU.h"

#include "attn/Conversion/AttnToGPU/LaunchConfig.h"

using namespace mlir::attn;

static GPUKernelKind unwrap(MlirAttnGPUKernelKind kind) {
  switch (kind) {
  case MlirAttnGPUKernelTensorCoreSync:
    return GPUKernelKind::TensorCoreSync;
  case MlirAttnGPUKernelTensorCoreWgmma:
    return GPUKernelKind::TensorCoreWgmma;
  case MlirAttnGPUKernelGeneral:
    return GPUKernelKind::General;
  }
  return GPUKernelKind::General;
}

bool mlirAttnGPUUsesTensorCoreKernel(bool halfPrecision, int64_t headDim,
                                     int64_t vHeadDim) {
  return usesGPUTensorCoreKernelFor(halfPrecision, headDim, vHeadDim);
}

MlirAttnGPULaunchConfig
mlirAttnGPUGetLaunchConfig(MlirAttnGPUKernelKind kind, int64_t batch,
                           int64_t qHeads, int64_t qLen, int64_t headDim,
                           int64_t vHeadDim, int64_t eltBytes) {
  GPULaunchConfig config = getGPULaunchConfig(
      unwrap(kind), {batch, qHeads, qLen, headDim, vHeadDim, eltBytes});
  MlirAttnGPULaunchConfig result;
  for (int i = 0; i < 3; ++i) {
    result.grid[i] = config.grid[i];
    result.block[i] = config.block[i];
  }
  result.sharedMemoryBytes = config.sharedMemoryBytes;
  return result;
}
