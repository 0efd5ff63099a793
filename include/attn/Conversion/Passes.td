//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// AttnToGPU
//===----------------------------------------------------------------------===//

def ConvertAttnToGPUPass : Pass<"convert-attn-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower attn.attention to GPU kernels (NVIDIA)";
  let description = [{
    Replaces every `attn.attention` with a `gpu.launch_func` of a kernel
    built in a `gpu.module @attn_kernels`. f16/bf16 inputs with
    Dqk = Dv in {64, 96, 128} get a FlashAttention-2 style tensor-core
    kernel:

    * one thread block of 4 warps per (query tile of 64 rows, query head,
      batch); each warp owns 16 query rows;
    * Q is staged once and kept in registers as `nvgpu.ldmatrix`
      fragments; K/V tiles of 64 keys go through padded workgroup memory
      with `nvgpu.device_async_copy` (cp.async, `nvgpu.device_async_create_group`
      / `nvgpu.device_async_wait`), double buffered;
    * S = Q·Kᵀ and O += P·V run on `nvvm.mma.sync` m16n8k16 (f16/bf16
      operands, f32 accumulators); P is converted in registers into the A
      operand of P·V;
    * the online softmax lives in registers, in base 2 (`log2(e)` folded
      into the scale; exponentials and logarithms are `ex2.approx` /
      `lg2.approx` in `llvm.inline_asm`, no libdevice), row statistics
      reduced across the four lanes of a quad with `gpu.shuffle xor`;
    * the key loop runs only over the tiles that
      `StructuredMaskAttrInterface::buildKeyRange` keeps, and the mask is
      evaluated only on tiles that `buildTileIsFull` cannot prove full;
    * GQA reads key/value head `h / (Hq / Hkv)`: K/V are never copied.

    Operands become buffers with `bufferization.to_buffer`; the output (and
    the log-sum-exp) is a `gpu.alloc`, so the host function's buffers must
    be device memory. The kernel takes bare pointers (`use-bare-ptr-call-conv`
    in the pipeline): `(Q, K, V, O[, LSE][, mask][, q_lengths][, kv_lengths]
    [, q_segment_ids, kv_segment_ids][, sinks][, captured tensors...])`,
    launched on a grid of `(ceil(Lq / 64), Hq, B)` blocks of 128 threads
    with `5 * 64 * (D + 8) * sizeof(elt)` bytes of dynamic shared memory.
    The launch configuration of every kernel is defined once
    (`attn/Conversion/AttnToGPU/LaunchConfig.h`) and exposed by the C API
    (`mlirAttnGPUGetLaunchConfig`, `attn-c/GPU.h`).

    With `mma=wgmma` (the default `mma=auto` picks it when `chip` is
    `sm_90a`, the only target with Hopper warpgroup MMA) the four warps are
    one warpgroup on the 64-row tile: the tiles are stored unpadded in the
    128-byte (D = 64, 128) or 64-byte (D = 96) swizzled layout of
    wgmma, starting at a 1024-byte aligned address (1024 bytes of slack
    are added to the dynamic shared memory); S = Q·Kᵀ is
    `nvvm.wgmma.mma_async` m64n64k16 with Q and K by matrix descriptors
    (between `nvvm.wgmma.fence.aligned`, `nvvm.wgmma.commit.group.sync.aligned`
    and `nvvm.wgmma.wait.group.sync.aligned`), and O += P·V is m64nDk16
    with P from registers and V by an N-major descriptor (`llvm.inline_asm`,
    which the NVVM op cannot express); each tile's cp.async writes are made
    visible to the wgmma reads with `nvvm.fence.proxy` (async shared).
    Asking for wgmma on another chip is diagnosed on each op.

    Softcap, `score_mod` (reading constants and static tensors captured from
    above, e.g. ALiBi slopes), `mask_mod`, segment ids (document masks;
    key tiles whose id range misses the query tile's are skipped) and sinks
    follow the shared score builder (`buildScore`) on the registers'
    element indices. `q_lengths`/`kv_lengths` bound the key loop (query
    tiles past the length do no key tile) and are checked only on tiles
    they cut. A boolean mask tensor is classified per key tile at run time
    (each thread reads the mask of its scores when the tile would be
    prefetched, a reducing `nvvm.barrier` ORs/ANDs them over the block):
    tiles it keeps nothing of are neither copied nor computed, tiles it
    keeps whole take the mask-free path. Additive (float) masks are added
    to every score. The normalisers (softmax, sigmoid with its bias,
    softpick) and sinks are NormalizerAlgebra's updates in base 2.

    Everything else (f32 inputs, any head dim up to 256, Dqk != Dv)
    gets the general SIMT kernel (which also takes mask
    tensors and lengths): one block of 4 warps per (16 query rows, query
    head, batch), each warp owning 4 rows; lane l holds columns l, l + 32,
    ... of its rows' Q (f32) and O; K/V tiles of 32 keys are staged in
    workgroup memory by all threads (`memref.load`/`memref.store`,
    `gpu.barrier`); each score is a lane-partial dot product reduced with
    `gpu.shuffle xor`, lane j keeping key j's, then the online softmax and
    O += p_j · V[j] with p_j broadcast by `gpu.shuffle idx`. Its arguments
    are those of the tensor-core kernel, launched on `(ceil(Lq / 16), Hq,
    B)` blocks of 128 threads with `32 * (Dqk + Dv) * sizeof(elt)` bytes of
    dynamic shared memory. In both kernels, with a dynamic batch size, Lq
    or Lkv (heads and head dims stay static) every dynamically shaped
    buffer is passed as a flat `memref<1 x elt>` handle (bare pointers need
    static memrefs) and `Lq, Lkv` follow as `index` arguments (Lq is passed
    as 0 for an empty batch); the host computes the grid and the result
    sizes from `tensor.dim`, and the kernel reads a dynamic batch size from
    `gpu.grid_dim`. Both kernels share the score semantics (`buildScore`),
    the normaliser algebra, key ranges and full-tile classification of the
    structured masks.

    Inputs neither kernel can handle (zero sizes, head dims above 256,
    dynamic head or head-dim sizes, a dynamic scale or GQA group, the
    partial form or tile coordinates, modifier regions using operations
    other than arith, tensor.extract and the f32 math functions tanh, exp,
    exp2, log, log2, sqrt, rsqrt and absf, which become PTX instructions)
    are reported with a diagnostic and the pass fails; so does an unknown
    `chip`, and the option parser rejects an unknown `mma`.
  }];
  let options = [
    Option<"chip", "chip", "std::string", [{"sm_90"}],
           "Target chip (sm_80 or later; mma.sync needs Ampere)">,
    Option<"mma", "mma", "::mlir::attn::GPUMmaKind",
           "::mlir::attn::GPUMmaKind::Auto",
           "Matrix instructions of the tensor-core kernel",
           [{::llvm::cl::values(
             clEnumValN(::mlir::attn::GPUMmaKind::Auto, "auto",
                        "wgmma on sm_90a, else mma.sync"),
             clEnumValN(::mlir::attn::GPUMmaKind::Sync, "sync",
                        "warp-level mma.sync (sm_80 and later)"),
             clEnumValN(::mlir::attn::GPUMmaKind::Wgmma, "wgmma",
                        "Hopper warpgroup wgmma.mma_async (sm_90a only)"))}]>
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // ATTN_CONVERSION_PASSES_TD
