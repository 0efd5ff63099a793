//===- Pipelines.h - attn compilation pipelines -----------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Pass pipelines from `attn` IR to the LLVM dialect. The build functions are
// public so that a compiler embedding the dialect can append them to its own
// pass manager; attn-opt registers each of them under a name, so every stage
// replays from the command line.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "attn/Conversion/AttnToGPU/LaunchConfig.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace attn {

/// Options of the CPU pipeline.
struct AttnCPUPipelineOptions
    : public PassPipelineOptions<AttnCPUPipelineOptions> {
  PassOptions::Option<bool> reference{
      *this, "reference",
      llvm::cl::desc("Use the reference decomposition (materialised scores) "
                     "instead of the tiled online-softmax path"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> qTile{
      *this, "q-tile",
      llvm::cl::desc("Query rows per tile (tiled path; 0: from the shape)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvTile{
      *this, "kv-tile",
      llvm::cl::desc("Keys per tile (tiled path; 0: from the shape)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvSplits{
      *this, "kv-splits",
      llvm::cl::desc("Parallel splits of the key axis (tiled path; 0: "
                     "picked for small static work, 1: off)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Vector register width of the target CPU (512, 256 or "
                     "128), which sizes the register blocks of "
                     "attn-register-block-contractions and "
                     "attn-vectorize-linalg; 0: the compiling host's"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("bf16 Q.K^T with the AVX512-BF16 dot product "
                     "(vdpbf16ps; tiled path, padded tiles, in "
                     "attn-register-block-contractions; the target CPU "
                     "must have avx512_bf16)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> linearForm{
      *this, "linear-form",
      llvm::cl::desc("Form of attn.linear_attention (tiled path): auto, "
                     "parallel, chunked or recurrent "
                     "(-attn-lower-linear-attention)"),
      llvm::cl::init("auto")};
  PassOptions::Option<int64_t> linearChunk{
      *this, "linear-chunk",
      llvm::cl::desc("Tokens per chunk of the chunked linear attention "
                     "(0: from the shape)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse elementwise producers of Q/K/V and consumers of "
                     "the output into the attention tiles (-attn-tile's "
                     "fuse-elementwise)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorizeLinalg{
      *this, "vectorize-linalg",
      llvm::cl::desc("Tile and vectorise the linalg ops outside the "
                     "attention loops (-attn-vectorize-linalg): register-"
                     "tiled FMA matmuls, vectorised elementwise ops and "
                     "reductions; false lowers them to scalar loops"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the (batch, head, query tile) loop, and the "
                     "outer tiles of vectorised linalg ops, on OpenMP "
                     "threads (links against libomp)"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> numThreads{
      *this, "num-threads",
      llvm::cl::desc("OpenMP threads (0: the runtime's default); also the "
                     "thread count -attn-tile picks its automatic key-axis "
                     "splits for (0: the compiling host's threads)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Replace exp/log/tanh by vectorisable polynomial "
                     "approximations (attn-approximate-math)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> outParams{
      *this, "out-params",
      llvm::cl::desc("Turn memref results of functions into trailing output "
                     "arguments (simpler C interface)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("Emit _mlir_ciface_ wrappers for every function"),
      llvm::cl::init(true)};
};

/// attn on tensors -> linalg on buffers with explicit deallocation: the
/// tiled online-softmax lowering (or the reference decomposition), one-shot
/// bufferization across function
/// boundaries (identity layouts), optional out-params, buffer deallocation.
void buildAttnCPUBufferizePipeline(OpPassManager &pm,
                                   const AttnCPUPipelineOptions &options);

/// linalg on buffers -> LLVM dialect: loops, control flow, math (libm for
/// what LLVM has no intrinsic for), memref descriptors, C wrappers.
void buildAttnCPULowerToLLVMPipeline(OpPassManager &pm,
                                     const AttnCPUPipelineOptions &options);

/// The whole CPU pipeline: the two stages above.
void buildAttnCPUPipeline(OpPassManager &pm,
                          const AttnCPUPipelineOptions &options);

/// Registers `attn-cpu-pipeline`, `attn-cpu-bufferize` and
/// `attn-cpu-lower-to-llvm` with the global pipeline registry. Later calls
/// do nothing.
void registerAttnPipelines();

/// Options of the NVIDIA GPU pipeline.
struct AttnGPUPipelineOptions
    : public PassPipelineOptions<AttnGPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("Target chip (sm_80 or later)"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<GPUMmaKind> mma{
      *this, "mma",
      llvm::cl::desc("Matrix instructions of the tensor-core kernel"),
      llvm::cl::init(GPUMmaKind::Auto),
      llvm::cl::values(
          clEnumValN(GPUMmaKind::Auto, "auto", "wgmma on sm_90a, else "
                                               "mma.sync"),
          clEnumValN(GPUMmaKind::Sync, "sync",
                     "warp-level mma.sync (sm_80 and later)"),
          clEnumValN(GPUMmaKind::Wgmma, "wgmma",
                     "Hopper warpgroup wgmma.mma_async (sm_90a only)"))};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (empty: the PTX ISA version of the chip)"),
      llvm::cl::init("")};
  PassOptions::Option<unsigned> optLevel{
      *this, "opt-level", llvm::cl::desc("LLVM optimisation level for NVPTX"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu.binary contents: bin (cubin, ptxas), isa (PTX), "
                     "fatbin or llvm"),
      llvm::cl::init("bin")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit path holding bin/ptxas (empty: MLIR's "
                     "default lookup)"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> ptxasOptions{
      *this, "ptxas-options",
      llvm::cl::desc("Extra command-line options for ptxas"),
      llvm::cl::init("")};
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("Emit _mlir_ciface_ wrappers for host functions"),
      llvm::cl::init(true)};
};

/// attn on tensors -> gpu.module kernels + bufferized host functions that
/// gpu.alloc the results and gpu.launch_func the kernels.
void buildAttnGPUKernelPipeline(OpPassManager &pm,
                                const AttnGPUPipelineOptions &options);

/// Kernels -> NVVM -> gpu.binary (ptxas), host -> LLVM dialect.
void buildAttnGPULowerPipeline(OpPassManager &pm,
                               const AttnGPUPipelineOptions &options);

/// The whole GPU pipeline: the two stages above.
void buildAttnGPUPipeline(OpPassManager &pm,
                          const AttnGPUPipelineOptions &options);

/// Registers `attn-gpu-pipeline`, `attn-gpu-kernel` and `attn-gpu-lower`.
/// Later calls do nothing.
void registerAttnGPUPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTN_PIPELINES_PIPELINES_H
