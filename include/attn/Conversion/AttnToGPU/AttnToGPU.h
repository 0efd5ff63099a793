//===- AttnToGPU.h - attn to NVIDIA GPU kernels -----------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Lowering of attn.attention to a tensor-core (mma.sync or Hopper wgmma)
// FlashAttention-2 kernel in the gpu/nvgpu dialects, or to a general SIMT
// kernel for what the tensor cores do not take, launched with
// gpu.launch_func.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
#define ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir {
namespace attn {

/// Query rows per thread block (4 warps of 16 rows).
constexpr int64_t kGPUQueryTile = 64;
/// Keys per K/V tile staged in shared memory.
constexpr int64_t kGPUKeyTile = 64;
/// Threads per block.
constexpr int64_t kGPUBlockThreads = 128;

/// The general (SIMT) kernel: query rows per warp, query rows per block (4
/// warps) and keys per K/V tile (one per lane).
constexpr int64_t kGPUGeneralRowsPerWarp = 4;
constexpr int64_t kGPUGeneralQueryTile = 4 * kGPUGeneralRowsPerWarp;
constexpr int64_t kGPUGeneralKeyTile = 32;
/// Largest head dim (of query/key and of value) the general kernel takes.
constexpr int64_t kGPUGeneralMaxHeadDim = 256;

/// Matrix instructions of the kernel: warp-level `mma.sync` (sm_80+), or
/// Hopper warpgroup `wgmma.mma_async` with shared-memory operands given by
/// matrix descriptors (sm_90a only).
enum class GPUMmaKind { Sync, Wgmma };

/// Whether `chip` has the warpgroup MMA instructions: only the
/// architecture-specific Hopper target `sm_90a`.
bool gpuChipHasWgmma(StringRef chip);

/// Resolves the `mma` option ("auto", "sync" or "wgmma") for `chip`: auto
/// picks wgmma exactly when the chip has it. std::nullopt for another
/// spelling.
std::optional<GPUMmaKind> parseGPUMmaKind(StringRef mma, StringRef chip);

/// Returns the SM version (e.g. 90 for "sm_90" or "sm_90a") of a chip name
/// the GPU lowering accepts, std::nullopt for anything else.
std::optional<int> parseGPUChip(StringRef chip);

/// Emits a diagnostic on `op` and fails when neither GPU kernel can compute
/// it (element types, head dims, dynamic shapes, features).
LogicalResult checkGPUKernelSupport(AttentionOp op);

/// True when the tensor-core kernel computes `op` (which must pass
/// checkGPUKernelSupport); the general SIMT kernel takes the others.
bool usesGPUTensorCoreKernel(AttentionOp op);

/// Query rows per thread block of the kernel of `op` (the grid's x extent is
/// ceil(Lq / rows)).
int64_t getGPUKernelQueryTile(AttentionOp op);

/// Values defined above `op` that its score_mod and mask_mod regions read,
/// in first-use order. Non-constant ones (static tensors) become kernel
/// arguments after Q, K, V, O, [LSE], [mask], [q/kv lengths], [q/kv segment
/// ids], [sinks].
SmallVector<Value> getGPUCapturedValues(AttentionOp op);

/// Bytes of dynamic shared memory the kernel of `op` needs.
int64_t getGPUKernelSharedMemoryBytes(AttentionOp op,
                                      GPUMmaKind kind = GPUMmaKind::Sync);

/// Builds the kernel of `op` as a gpu.func named `name` in `kernels`, and
/// replaces `op` with bufferization casts, a gpu.alloc per result and a
/// gpu.launch_func of that kernel. `op` must pass checkGPUKernelSupport.
void lowerAttentionToGPU(RewriterBase &rewriter, AttentionOp op,
                         gpu::GPUModuleOp kernels, StringRef name,
                         GPUMmaKind kind = GPUMmaKind::Sync);

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
