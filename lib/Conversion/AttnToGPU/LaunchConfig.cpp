//===- LaunchConfig.cpp - Launch configuration of the GPU kernels ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// No MLIR here: this file is also compiled into the C API's users that have
// no MLIR (runtime/cuda), see lib/CAPI/GPU.cpp.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/LaunchConfig.h"

using namespace mlir::attn;

bool mlir::attn::usesGPUTensorCoreKernelFor(bool halfPrecision,
                                            int64_t headDim,
                                            int64_t vHeadDim) {
  // Multiples of 32 (whole ldmatrix.x4 loads of K) up to 128: beyond,
  // the O accumulators, Q fragments and scores no longer fit in registers.
  // D = 32 assembles with a 4-byte ptxas spill (design.md), so it is left
  // to the general kernel too.
  return halfPrecision && headDim == vHeadDim &&
         (headDim == 64 || headDim == 96 || headDim == 128);
}

int64_t mlir::attn::getGPUKernelQueryTile(GPUKernelKind kind) {
  return kind == GPUKernelKind::General ? kGPUGeneralQueryTile : kGPUQueryTile;
}

int64_t mlir::attn::getGPUKernelSharedMemoryBytes(GPUKernelKind kind,
                                                  int64_t headDim,
                                                  int64_t vHeadDim,
                                                  int64_t eltBytes) {
  switch (kind) {
  case GPUKernelKind::TensorCoreSync:
    return 5 * kGPUKeyTile * paddedRow(headDim) * eltBytes;
  case GPUKernelKind::TensorCoreWgmma:
    return 5 * kGPUKeyTile * headDim * eltBytes + kWgmmaTileAlign;
  case GPUKernelKind::General:
    return kGPUGeneralKeyTile * (headDim + vHeadDim) * eltBytes;
  }
  return 0;
}

GPULaunchConfig mlir::attn::getGPULaunchConfig(GPUKernelKind kind,
                                               const GPUKernelShape &shape) {
  int64_t rows = getGPUKernelQueryTile(kind);
  auto atLeastOne = [](int64_t n) { return n < 1 ? 1 : n; };
  GPULaunchConfig config;
  config.grid[0] = atLeastOne((shape.qLen + rows - 1) / rows);
  config.grid[1] = shape.qHeads;
  config.grid[2] = atLeastOne(shape.batch);
  config.block[0] = kGPUBlockThreads;
  config.block[1] = 1;
  config.block[2] = 1;
  config.sharedMemoryBytes = getGPUKernelSharedMemoryBytes(
      kind, shape.headDim, shape.vHeadDim, shape.eltBytes);
  return config;
}
