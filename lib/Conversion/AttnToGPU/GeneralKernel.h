//===- GeneralKernel.h - The general SIMT attention kernel ------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to the AttnToGPU conversion: the kernel for what the tensor-core
// kernel does not take (f32 inputs, any head dim up to 256, Dqk != Dv),
// built in stages in GeneralKernel.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_GENERALKERNEL_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_GENERALKERNEL_H

#include "KernelBuilder.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace attn {
namespace gpukernel {

/// Builds the general SIMT kernel of `op` into the empty body of `func`.
void buildGeneralKernel(RewriterBase &rewriter, AttentionOp op,
                        gpu::GPUFuncOp func);

/// Builds the body of the general SIMT kernel: any element type of
/// f32/f16/bf16, head dims up to 256 (Dqk != Dv allowed), mask tensors and
/// lengths, dynamic Lq/Lkv, by the same score semantics.
struct GeneralKernelBuilder : KernelBuilder {
  static constexpr int64_t kRows = kGPUGeneralRowsPerWarp;
  static constexpr int64_t kKeys = kGPUGeneralKeyTile;

  /// Head dim of V and O; `D` is the head dim of Q and K.
  int64_t Dv;
  /// Column blocks of 32 of Q/K and of V/O per lane.
  int64_t nQ, nV;
  /// The block's aligned rows and key tiles.
  Value qLoA, qHiA;
  SmallVector<StructuredMaskAttrInterface> terms;
  /// The warp's rows, and the same clamped into [0, Lq) for reads.
  SmallVector<Value> rows, rowRead;
  Value zero, negInf;
  /// Q rows in registers [row][column block], and their segment ids.
  SmallVector<SmallVector<Value>> qReg;
  Value qSeg[kRows];

  GeneralKernelBuilder(AttentionOp op, RewriterBase &b, Location loc)
      : KernelBuilder(op, b, loc) {
    Dv = op.getValueType().getDimSize(3);
    nQ = llvm::divideCeil(D, 32);
    nV = llvm::divideCeil(Dv, 32);
  }

  Value load(Value mem, ValueRange indices) {
    return memref::LoadOp::create(b, loc, mem, indices);
  }
  /// A shuffle of lane `srcLane` (an index) within the warp.
  Value shuffleIdx(Value x, Value srcLane);
  /// Copies rows [k0, k0 + 32) (clamped into [0, Lkv)) of head hkv of `src`
  /// (head dim `d`) into the shared tile `dst` [32, d], all threads.
  void copyKeyTile(Value src, int64_t d, Value dst, Value k0);
  /// Lane column `lane + 32 i` of a head dim `d`, clamped into [0, d) for
  /// reads, and whether it exists (null when always).
  std::pair<Value, Value> column(int64_t i, int64_t d);

  /// Shared tiles, lengths, key tiles, the warp's rows, Q in registers and
  /// the initial loop state.
  SmallVector<Value> buildPrologue() override;
  /// The initial loop state: O, then m and l per row.
  SmallVector<Value> buildInitialState();
  /// One key tile: copy, dots, scores, online softmax, P.V.
  void buildKeyLoop(scf::ForOp loop) override;
  /// Dots of the warp's rows with the tile's keys: lane j ends with key
  /// k0 + j's.
  SmallVector<Value> buildDots();
  /// Scores of this lane's key by the shared semantics (times log2(e)),
  /// the structured terms only on tiles not proven full.
  SmallVector<Value> buildScores(Value k0, ValueRange dots);
  /// Online normalisation per row; p (returned) stays in its key's lane.
  SmallVector<Value> buildOnlineSoftmax(ArrayRef<Value> s, ValueRange mOld,
                                        ValueRange lOld,
                                        MutableArrayRef<Value> mNew,
                                        MutableArrayRef<Value> lNew,
                                        MutableArrayRef<Value> acc);
  /// O += P . V: key j's p comes from lane j.
  void buildPV(ArrayRef<Value> p, SmallVector<Value> &acc);
  /// l summed over the warp, O / l, store (and lse).
  void buildEpilogue(ValueRange res) override;
};

} // namespace gpukernel
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_GENERALKERNEL_H
