//===- KernelSupport.h - What the GPU kernels take, and how -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to the AttnToGPU conversion: how the operands of an
// attn.attention map onto the problem sizes (for dynamic shapes and the
// ABI), which captures are cloned into a kernel, and the wgmma swizzle
// width. The support checks and the kernel choice are public (AttnToGPU.h),
// the launch configuration too (LaunchConfig.h); everything here is
// defined in KernelSupport.cpp or inline, and depends on no kernel builder.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELSUPPORT_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELSUPPORT_H

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "mlir/IR/Matchers.h"

namespace mlir {
namespace attn {
namespace gpukernel {

/// Captured values cloned into the kernel (scalar constants); every other
/// capture is a tensor passed as a kernel argument.
inline bool isClonedCapture(Value c) {
  return !isa<ShapedType>(c.getType()) && matchPattern(c, m_Constant());
}

/// Bytes per row of the wgmma swizzle atom for head dim `d`: 128 (64
/// elements, Swizzle<3,4,3>) when `d` is a multiple of 64, else 64 (32
/// elements, Swizzle<2,4,3>; D = 96).
inline int64_t wgmmaSwizzleBytes(int64_t d) { return d % 64 == 0 ? 128 : 64; }

/// The operands and results of `op` in kernel-argument order (Q, K, V, O
/// [, LSE][, mask][, q_lengths][, kv_lengths][, q_ids, kv_ids][, sinks]),
/// without the captured tensors.
SmallVector<Value> getKernelTensors(AttentionOp op);

/// Whether an operand or result of `op` has a dynamic size: the kernel then
/// takes such buffers as flat handles and Lq, Lkv as trailing arguments.
bool hasDynamicShapes(AttentionOp op);

/// The problem size a dimension of an operand or result spans.
enum class ProblemDim { None, Batch, Query, Key };

/// For each dim of `t` (an operand or result of `op`): whether it spans B,
/// Lq, Lkv or none of them (heads, head dims, or anything else). Only the
/// Batch/Query/Key dims may be dynamic.
SmallVector<ProblemDim> getProblemDims(AttentionOp op, Value t);

} // namespace gpukernel
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELSUPPORT_H
