//===- LaunchConfig.h - Launch configuration of the GPU kernels -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The one definition of how the kernels of convert-attn-to-gpu are launched:
// their tile sizes, block size, grid and dynamic shared memory per kernel
// kind. Plain C++ with no MLIR dependency (LaunchConfig.cpp), so that the
// pass (which emits it in gpu.launch_func), the C API (attn-c/GPU.h) and,
// through the C API, the CUDA runtime (runtime/cuda) and Python
// (attn.gpu.launch_config) all compute it with the same code.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_LAUNCHCONFIG_H
#define ATTN_CONVERSION_ATTNTOGPU_LAUNCHCONFIG_H

#include <cstdint>

namespace mlir {
namespace attn {

/// Query rows per thread block of the tensor-core kernel (4 warps of 16
/// rows).
constexpr int64_t kGPUQueryTile = 64;
/// Keys per K/V tile staged in shared memory.
constexpr int64_t kGPUKeyTile = 64;
/// Threads per block (both kernels).
constexpr int64_t kGPUBlockThreads = 128;

/// The general (SIMT) kernel: query rows per warp, query rows per block (4
/// warps) and keys per K/V tile (one per lane).
constexpr int64_t kGPUGeneralRowsPerWarp = 4;
constexpr int64_t kGPUGeneralQueryTile = 4 * kGPUGeneralRowsPerWarp;
constexpr int64_t kGPUGeneralKeyTile = 32;
/// Largest head dim (of query/key and of value) the general kernel takes.
constexpr int64_t kGPUGeneralMaxHeadDim = 256;

/// Elements of a padded shared-memory row of the mma.sync kernel: 8 extra
/// elements (16 bytes) make the eight 16-byte rows of every ldmatrix fall
/// into distinct banks.
constexpr int64_t paddedRow(int64_t d) { return d + 8; }

/// Alignment of the wgmma tiles in shared memory: the period of the 128-byte
/// swizzle pattern (8 rows of 128 bytes), so descriptors need no base
/// offset. The launch adds this much slack to the shared memory.
constexpr int64_t kWgmmaTileAlign = 1024;

/// Matrix instructions of the tensor-core kernel: warp-level `mma.sync`
/// (sm_80+), or Hopper warpgroup `wgmma.mma_async` with shared-memory
/// operands given by matrix descriptors (sm_90a only). `Auto` (the `mma`
/// option's default) is resolved per chip by resolveGPUMmaKind; the kernel
/// builders take only `Sync` or `Wgmma`.
enum class GPUMmaKind { Auto, Sync, Wgmma };

/// The kernel convert-attn-to-gpu builds for an op (getGPUKernelKind).
enum class GPUKernelKind { TensorCoreSync, TensorCoreWgmma, General };

/// The sizes a launch depends on. `eltBytes` is the size of a Q/K/V
/// element (2 for f16/bf16, 4 for f32).
struct GPUKernelShape {
  int64_t batch, qHeads, qLen, headDim, vHeadDim, eltBytes;
};

/// A gpu.launch_func configuration.
struct GPULaunchConfig {
  int64_t grid[3];
  int64_t block[3];
  int64_t sharedMemoryBytes;
};

/// Whether convert-attn-to-gpu builds the tensor-core kernel (else the
/// general SIMT kernel) for Q/K/V elements of f16/bf16 (`halfPrecision`)
/// or another type and head dims `headDim` (Q, K) and `vHeadDim` (V, O):
/// f16/bf16 with Dqk = Dv in {64, 96, 128}. Lq and Lkv, static or dynamic,
/// do not matter. The one home of the rule: usesGPUTensorCoreKernel (the
/// pass), mlirAttnGPUUsesTensorCoreKernel (C API) and Python call it.
bool usesGPUTensorCoreKernelFor(bool halfPrecision, int64_t headDim,
                                int64_t vHeadDim);

/// Query rows per thread block: the grid's x extent is ceil(Lq / rows).
int64_t getGPUKernelQueryTile(GPUKernelKind kind);

/// Bytes of dynamic shared memory: Q, two K and two V tiles of 64 rows
/// (padded rows for mma.sync; unpadded swizzled rows plus kWgmmaTileAlign
/// of alignment slack for wgmma), or a K tile [32, Dqk] and a V tile
/// [32, Dv] for the general kernel.
int64_t getGPUKernelSharedMemoryBytes(GPUKernelKind kind, int64_t headDim,
                                      int64_t vHeadDim, int64_t eltBytes);

/// The launch of a kernel of `kind` on `shape`: grid (ceil(Lq / rows), Hq,
/// B) with at least one block in x and z (a grid of 0 blocks is a launch
/// error; the kernel does nothing for Lq = 0 or B = 0), kGPUBlockThreads
/// threads, getGPUKernelSharedMemoryBytes.
GPULaunchConfig getGPULaunchConfig(GPUKernelKind kind,
                                   const GPUKernelShape &shape);

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOGPU_LAUNCHCONFIG_H
