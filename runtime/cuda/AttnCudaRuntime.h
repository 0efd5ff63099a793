//===- AttnCudaRuntime.h - attn CUDA launch entry ---------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// C entry points for launching a kernel compiled by attn-gpu-pipeline on
// device pointers owned by a host framework (PyTorch, JAX, ...). The cubin
// is the payload of the gpu.binary (python/attn/gpu.py extracts it).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_ATTNCUDARUNTIME_H
#define ATTN_RUNTIME_CUDA_ATTNCUDARUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Launches `kernel` of the cubin/PTX image `image` (loaded once per context
/// and image address and cached: the image must stay alive and unchanged
/// for the rest of the process, since a new image at a freed image's address
/// would hit the stale module) on `stream` (a CUstream, null for the current
/// context's default stream) with the bare-pointer arguments `args`
/// (`numArgs` pointers to the argument values). Sets the dynamic shared
/// memory limit of the function when `sharedBytes` exceeds 48 KiB. Returns
/// 0 on success, the CUresult otherwise; attnCudaLastError() describes it.
int attnCudaLaunch(const void *image, const char *kernel, uint32_t gridX,
                   uint32_t gridY, uint32_t gridZ, uint32_t blockX,
                   uint32_t blockY, uint32_t blockZ, uint32_t sharedBytes,
                   void *stream, void **args, int numArgs);

/// Launches a tensor-core attention kernel of convert-attn-to-gpu with
/// static shapes (arguments Q, K, V, O and optionally LSE, all device
/// pointers) with the launch configuration of the pass, which the C API
/// gives (mlirAttnGPUGetLaunchConfig, attn-c/GPU.h, for the mma.sync kernel:
/// its shared memory also covers the wgmma kernel's).
int attnCudaLaunchAttention(const void *image, const char *kernel,
                            int64_t batch, int64_t qHeads, int64_t qLen,
                            int64_t headDim, int64_t eltBytes, void *q, void *k,
                            void *v, void *o, void *lse, void *stream);

/// The message of the last failing call of this thread ("" if none).
const char *attnCudaLastError(void);

#ifdef __cplusplus
}
#endif

#endif // ATTN_RUNTIME_CUDA_ATTNCUDARUNTIME_H
