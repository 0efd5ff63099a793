/*===- GPU.h - C API of the attn GPU launch configuration ---------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
//
// How a kernel of convert-attn-to-gpu is launched (grid, block, dynamic
// shared memory), for hosts that launch the compiled kernels on their own
// device pointers. It is the pass's own definition
// (attn/Conversion/AttnToGPU/LaunchConfig.h), not a copy. Needs no MLIR
// context: libMLIRAttnCAPI.so exports it, and so does the CUDA runtime
// library (libattn_cuda_runtime.so), which is built without MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_C_GPU_H
#define ATTN_C_GPU_H

#include "mlir-c/Support.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The kernel convert-attn-to-gpu builds for an op: the tensor-core kernel
/// with mma.sync or with wgmma (chip sm_90a), or the general SIMT kernel.
typedef enum MlirAttnGPUKernelKind {
  MlirAttnGPUKernelTensorCoreSync = 0,
  MlirAttnGPUKernelTensorCoreWgmma = 1,
  MlirAttnGPUKernelGeneral = 2,
} MlirAttnGPUKernelKind;

/// A gpu.launch_func configuration: blocks, threads per block, bytes of
/// dynamic shared memory.
typedef struct MlirAttnGPULaunchConfig {
  int64_t grid[3];
  int64_t block[3];
  int64_t sharedMemoryBytes;
} MlirAttnGPULaunchConfig;

/// Whether convert-attn-to-gpu builds a tensor-core kernel (kind
/// TensorCoreSync or TensorCoreWgmma, by chip) rather than the general one
/// for Q/K/V elements of f16 or bf16 (`halfPrecision`) or another type and
/// head dims `headDim` (Q, K) and `vHeadDim` (V, O). The pass's own rule.
MLIR_CAPI_EXPORTED bool mlirAttnGPUUsesTensorCoreKernel(bool halfPrecision,
                                                        int64_t headDim,
                                                        int64_t vHeadDim);

/// The launch of a kernel of `kind` for batch size `batch`, `qHeads` query
/// heads, query length `qLen`, head dims `headDim` (Q, K) and `vHeadDim`
/// (V, O) and Q/K/V elements of `eltBytes` bytes: the configuration the pass
/// emits for these (static) sizes, at least one block in x and z.
MLIR_CAPI_EXPORTED MlirAttnGPULaunchConfig mlirAttnGPUGetLaunchConfig(
    MlirAttnGPUKernelKind kind, int64_t batch, int64_t qHeads, int64_t qLen,
    int64_t headDim, int64_t vHeadDim, int64_t eltBytes);

#ifdef __cplusplus
}
#endif

#endif // ATTN_C_GPU_H
