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

#include "attn/Conversion/AttnToGPU/LaunchConfig.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir {
namespace attn {

/// Whether `chip` has the warpgroup MMA instructions: only the
/// architecture-specific Hopper target `sm_90a`.
bool gpuChipHasWgmma(StringRef chip);

/// Resolves the `mma` option for `chip`: `Auto` picks `Wgmma` exactly when
/// the chip has it; `Sync` and `Wgmma` stay as they are.
GPUMmaKind resolveGPUMmaKind(GPUMmaKind kind, StringRef chip);

/// Returns the SM version (e.g. 90 for "sm_90" or "sm_90a") of a chip name
/// the GPU lowering accepts, std::nullopt for anything else.
std::optional<int> parseGPUChip(StringRef chip);

/// Emits a diagnostic on `op` and fails when neither GPU kernel can compute
/// it (element types, head dims, dynamic shapes, features).
LogicalResult checkGPUKernelSupport(AttentionOp op);

/// True when the tensor-core kernel computes `op` (which must pass
/// checkGPUKernelSupport); the general SIMT kernel takes the others.
bool usesGPUTensorCoreKernel(AttentionOp op);

/// The kernel convert-attn-to-gpu builds for `op` (which must pass
/// checkGPUKernelSupport) with matrix instructions `kind` (Sync or Wgmma).
GPUKernelKind getGPUKernelKind(AttentionOp op, GPUMmaKind kind);

/// The launch sizes of `op` (static dims; dynamic ones are read as
/// ShapedType::kDynamic and must be replaced by the caller).
GPUKernelShape getGPUKernelShape(AttentionOp op);

/// Values defined above `op` that its score_mod and mask_mod regions read,
/// in first-use order. Non-constant ones (static tensors) become kernel
/// arguments after Q, K, V, O, [LSE], [mask], [q/kv lengths], [q/kv segment
/// ids], [sinks].
SmallVector<Value> getGPUCapturedValues(AttentionOp op);

/// Builds the kernel of `op` as a gpu.func named `name` (or `name_<n>`
/// when taken) in `kernels`, and replaces `op` with bufferization casts, a
/// gpu.alloc per result and a gpu.launch_func of that kernel, all through
/// `rewriter`. `op` must pass checkGPUKernelSupport; `kind` is `Sync` or
/// `Wgmma` (resolveGPUMmaKind).
void lowerAttentionToGPU(RewriterBase &rewriter, AttentionOp op,
                         gpu::GPUModuleOp kernels, StringRef name,
                         GPUMmaKind kind = GPUMmaKind::Sync);

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
