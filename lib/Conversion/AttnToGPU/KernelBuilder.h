//===- KernelBuilder.h - Shared pieces of the GPU attention kernels -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to the AttnToGPU conversion: the kernel builder (problem sizes,
// index and float helpers, PTX approximations, shuffles, the shared score
// semantics) that every kernel of the conversion is built with.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace mlir {
namespace attn {
namespace gpukernel {

/// Captured values cloned into the kernel (scalar constants); every other
/// capture is a tensor passed as a kernel argument.
inline bool isClonedCapture(Value c) {
  return !isa<ShapedType>(c.getType()) && matchPattern(c, m_Constant());
}

/// Elements of a padded shared-memory row: 8 extra elements (16 bytes) make
/// the eight 16-byte rows of every ldmatrix fall into distinct banks.
inline int64_t paddedRow(int64_t d) { return d + 8; }

/// Builds the body of one attention kernel.
struct KernelBuilder {
  AttentionOp op;
  OpBuilder &b;
  Location loc;

  // Problem.
  int64_t B, Hq, Hkv, Lq, Lkv, D, group;
  Type elt, outElt;
  bool withLse;
  double scaleLog2;
  /// Any score modifier (softcap, score_mod): scores then follow buildScore
  /// on the natural scale before the log2(e) factor.
  bool modScore;
  /// Keep conditions that no tile classification proves (segment ids,
  /// mask_mod): every tile takes the masked branch.
  bool alwaysPartial;
  /// A boolean mask tensor: classified per key tile (skip / full / partial).
  bool boolMask;

  // Kernel values.
  Value q, k, v, o, lse;
  Value mask;
  Value qLengths, kvLengths;
  /// This batch row's sequence lengths (index; Lq and Lkv without
  /// q_lengths/kv_lengths).
  Value qLen, kvLen;
  Value qSegIds, kvSegIds, sinks;
  /// Kernel arguments of the captured non-constant tensors.
  IRMapping capturedArgs;
  Value tid, lane, warp, bi, hi, hkv, q0;
  Value qs, ks, vs;

  Type f32, i32;

  KernelBuilder(AttentionOp op, OpBuilder &b, Location loc)
      : op(op), b(b), loc(loc) {
    RankedTensorType qT = op.getQueryType(), kT = op.getKeyType();
    B = qT.getDimSize(0);
    Hq = qT.getDimSize(1);
    Lq = qT.getDimSize(2);
    D = qT.getDimSize(3);
    Hkv = kT.getDimSize(1);
    Lkv = kT.getDimSize(2);
    group = *op.getStaticGroupSize();
    elt = qT.getElementType();
    outElt = op.getOutputType().getElementType();
    withLse = static_cast<bool>(op.getLse());
    scaleLog2 = *op.getStaticScale() * M_LOG2E;
    modScore = op.getSoftcap() || !op.getScoreMod().empty();
    boolMask = op.getMask() && cast<RankedTensorType>(op.getMask().getType())
                                   .getElementType()
                                   .isInteger(1);
    // Additive (float) masks change every score of every tile.
    alwaysPartial = static_cast<bool>(op.getQSegmentIds()) ||
                    !op.getMaskMod().empty() || (op.getMask() && !boolMask);
    f32 = b.getF32Type();
    i32 = b.getI32Type();
  }

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32c(double v) {
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                          APFloat(static_cast<float>(v)));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t c) { return add(x, idx(c)); }
  Value mul(Value x, int64_t c) { return mul(x, idx(c)); }
  Value divu(Value x, int64_t c) {
    return arith::DivUIOp::create(b, loc, x, idx(c));
  }
  Value remu(Value x, int64_t c) {
    return arith::RemUIOp::create(b, loc, x, idx(c));
  }
  Value minsi(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value fmax(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }

  /// 2^x with the PTX approximation (one MUFU.EX2); no libdevice needed.
  Value exp2(Value x) { return unaryPtx("ex2.approx.ftz.f32 $0, $1;", x); }
  /// log2(x) with the PTX approximation (lg2(0) = -inf).
  Value log2(Value x) { return unaryPtx("lg2.approx.ftz.f32 $0, $1;", x); }
  Value unaryPtx(StringRef ptx, Value x) {
    auto asmOp = LLVM::InlineAsmOp::create(
        b, loc, f32, ValueRange{x}, b.getStringAttr(ptx),
        b.getStringAttr("=f,f"), /*has_side_effects=*/UnitAttr(),
        /*is_align_stack=*/UnitAttr(),
        LLVM::TailCallKindAttr::get(b.getContext(), LLVM::TailCallKind::None),
        LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
        /*operand_attrs=*/ArrayAttr());
    return asmOp.getResult(0);
  }

  Value shuffleXor(Value x, int32_t offset) {
    return gpu::ShuffleOp::create(b, loc, x, offset, 32, gpu::ShuffleMode::XOR)
        .getShuffleResult();
  }

  /// One 16-byte cp.async chunk per (thread, step) moves a 64-row tile of
  /// `src[bIdx, hIdx, row0 + r, :]` into `dst[dstPrefix..., r, :]`; rows at
  /// or past `rows` are zero-filled (their source index is clamped).
  void copyTile(Value src, int64_t rows, Value hIdx, Value row0, Value dst,
                ValueRange dstPrefix) {
    int64_t chunksPerRow = D / 8;
    int64_t steps = kGPUKeyTile * chunksPerRow / kGPUBlockThreads;
    for (int64_t i = 0; i < steps; ++i) {
      Value c = add(tid, i * kGPUBlockThreads);
      Value r = divu(c, chunksPerRow);
      Value col = mul(remu(c, chunksPerRow), 8);
      Value row = add(row0, r);
      Value valid = cmpi(arith::CmpIPredicate::slt, row, idx(rows));
      Value srcRow = minsi(row, idx(rows - 1));
      Value srcElems = arith::SelectOp::create(b, loc, valid, idx(8), idx(0));
      SmallVector<Value> dstIdx(dstPrefix);
      dstIdx.append({r, col});
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, dst, dstIdx, src, ValueRange{bi, hIdx, srcRow, col},
          b.getIndexAttr(8), srcElems, b.getUnitAttr());
    }
  }

  void copyKV(Value tile, Value buf) {
    Value row0 = mul(tile, kGPUKeyTile);
    copyTile(k, Lkv, hkv, row0, ks, ValueRange{buf});
    copyTile(v, Lkv, hkv, row0, vs, ValueRange{buf});
  }

  /// Packs two 16-bit elements of an ldmatrix result row into the b32
  /// register an mma.sync operand takes (f16 operands stay vector<2xf16>).
  Value mmaOperand(Value frag, int64_t row) {
    Value pair =
        vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{row});
    if (elt.isF16())
      return pair;
    Value asInt =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), pair);
    return vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
  }

  Value ldmatrix(Value mem, ValueRange indices, bool transpose) {
    auto ty = VectorType::get({4, 2}, elt);
    return nvgpu::LdMatrixOp::create(b, loc, ty, mem, indices, transpose, 4);
  }

  /// acc (4 f32) += a (4 regs) * b (2 regs), m16n8k16.
  void mma(ArrayRef<Value> a, ArrayRef<Value> bOp, MutableArrayRef<Value> acc) {
    auto st =
        LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
    NVVM::MMATypes ty =
        elt.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
    auto r = NVVM::MmaOp::create(
        b, loc, st, a, bOp, ValueRange(acc), {16, 8, 16}, std::nullopt,
        std::nullopt, std::array<NVVM::MMATypes, 2>{ty, ty},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    for (int64_t i = 0; i < 4; ++i)
      acc[i] = LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{i});
  }

  /// Packs two f32 into the 2 x 16-bit register of an A operand.
  Value packPair(Value x, Value y) {
    Value pair = vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, f32), ValueRange{x, y});
    Value narrow =
        arith::TruncFOp::create(b, loc, VectorType::get({2}, elt), pair);
    if (elt.isF16())
      return narrow;
    Value asInt =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), narrow);
    return vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
  }

  /// (min, max) of the segment ids `ids[bi, start : min(start + 64, len)]`
  /// (start < len), the same in every thread: each warp reads the 64 ids
  /// two per lane (positions past the end clamped to the last id, which is
  /// in the range) and reduces them with five xor shuffles each.
  std::pair<Value, Value> segmentRange(Value ids, Value start, int64_t len) {
    Value lo, hi;
    for (int64_t i = 0; i < kGPUKeyTile / 32; ++i) {
      Value pos = minsi(add(add(start, lane), i * 32), idx(len - 1));
      Value x = memref::LoadOp::create(b, loc, ids, ValueRange{bi, pos});
      // Shuffles move 32 or 64 bits: narrower ids are sign-extended (the
      // ranges are only compared with each other).
      if (x.getType().getIntOrFloatBitWidth() < 32)
        x = arith::ExtSIOp::create(b, loc, i32, x);
      lo = lo ? arith::MinSIOp::create(b, loc, lo, x).getResult() : x;
      hi = hi ? arith::MaxSIOp::create(b, loc, hi, x).getResult() : x;
    }
    for (int32_t offset = 1; offset < 32; offset *= 2) {
      lo = arith::MinSIOp::create(b, loc, lo, shuffleXor(lo, offset));
      hi = arith::MaxSIOp::create(b, loc, hi, shuffleXor(hi, offset));
    }
    return {lo, hi};
  }

  /// mask[b, h, row, key] of the kernel's mask argument, broadcast from the
  /// right against [B, Hq, Lq, Lkv] as in the op semantics (indices in
  /// bounds).
  Value loadMask(Value row, Value key) {
    auto mT = cast<MemRefType>(mask.getType());
    Value full[4] = {bi, hi, row, key};
    int64_t lead = 4 - mT.getRank();
    SmallVector<Value> indices;
    for (int64_t i = 0; i < mT.getRank(); ++i)
      indices.push_back(mT.getDimSize(i) == 1 ? idx(0) : full[lead + i]);
    return memref::LoadOp::create(b, loc, mask, indices);
  }

  /// The score of dot product `dot` at raw (row, key) (in bounds) by the
  /// shared semantics (buildScore: scale, softcap, score_mod, additive mask
  /// `maskValue`, segment ids, mask_mod; structured terms are applied by the
  /// caller), times log2(e).
  Value score(Value dot, Value row, Value key, Value qSeg, Value kvSeg,
              Value maskValue = Value()) {
    ScoreOperands in;
    in.mask = maskValue;
    in.qLen = qLen;
    in.kvLen = kvLen;
    in.qSegment = qSeg;
    in.kvSegment = kvSeg;
    Value v = buildScore(b, loc, op, dot, f32c(*op.getStaticScale()),
                         ValueRange{bi, hi, row, key}, in,
                         /*applyStructuredMasks=*/false);
    return arith::MulFOp::create(b, loc, v, f32c(M_LOG2E));
  }

  /// Rewrites what inlined score_mod/mask_mod regions left in `func`:
  /// captured constants are cloned into the kernel, tensor.extract of a
  /// captured tensor becomes a load of its kernel argument, and math.tanh
  /// (softcap) becomes 1 - 2 / (2^(2 log2(e) x) + 1) with ex2.approx, so
  /// no libdevice call remains.
  void finalizeInlined(gpu::GPUFuncOp func);

  void build(gpu::GPUFuncOp func);
};

/// The sequence length a dimension of an operand or result spans.
enum class LengthDim { None, Query, Key };

/// For each dim of `t` (an operand or result of `op`): whether it spans Lq,
/// Lkv or neither (batch, heads, head dims, or anything else). Only the
/// Query/Key dims may be dynamic (general kernel).
SmallVector<LengthDim> getLengthDims(AttentionOp op, Value t);

/// Builds the body of the general SIMT kernel (GeneralKernel.cpp): any
/// element type of f32/f16/bf16, head dims up to 256 (Dqk != Dv allowed),
/// mask tensors and lengths, dynamic Lq/Lkv, by the same score semantics.
struct GeneralKernelBuilder : KernelBuilder {
  /// Head dim of V and O; `D` is the head dim of Q and K.
  int64_t Dv;
  /// Lq and Lkv as values (kernel arguments when dynamic, else constants);
  /// `Lq`/`Lkv` hold ShapedType::kDynamic then.
  Value lqV, lkvV;

  GeneralKernelBuilder(AttentionOp op, OpBuilder &b, Location loc)
      : KernelBuilder(op, b, loc) {
    Dv = op.getValueType().getDimSize(3);
  }

  bool lqDynamic() const { return ShapedType::isDynamic(Lq); }
  bool lkvDynamic() const { return ShapedType::isDynamic(Lkv); }
  /// Whether the last query block / key tile may be partial.
  bool lqRagged(int64_t tile) const { return lqDynamic() || Lq % tile != 0; }
  bool lkvRagged(int64_t tile) const { return lkvDynamic() || Lkv % tile != 0; }
  Value sub(Value x, int64_t c) {
    return arith::SubIOp::create(b, loc, x, idx(c));
  }
  /// The kernel argument `arg` of operand/result `t` as a memref of t's
  /// shape: itself when static, else a reinterpret_cast of the flat handle
  /// (memref<1 x elt>) with the dynamic lengths filled in.
  Value shaped(Value arg, Value t);

  Value load(Value mem, ValueRange indices) {
    return memref::LoadOp::create(b, loc, mem, indices);
  }
  /// A shuffle of lane `srcLane` (an index) within the warp.
  Value shuffleIdx(Value x, Value srcLane);
  /// Copies rows [k0, k0 + 32) (clamped into [0, Lkv)) of head hkv of `src`
  /// (head dim `d`) into the shared tile `dst` [32, d], all threads.
  void copyKeyTile(Value src, int64_t d, Value dst, Value k0);

  void build(gpu::GPUFuncOp func);
};

/// Bytes of dynamic shared memory of the general kernel (a K and a V tile).
int64_t getGeneralKernelSharedMemoryBytes(AttentionOp op);


} // namespace gpukernel
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H
