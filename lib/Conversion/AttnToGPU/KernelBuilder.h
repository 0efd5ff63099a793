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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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

/// Bytes per row of the wgmma swizzle atom for head dim `d`: 128 (64
/// elements, Swizzle<3,4,3>) when `d` is a multiple of 64, else 64 (32
/// elements, Swizzle<2,4,3>; D = 96).
inline int64_t wgmmaSwizzleBytes(int64_t d) { return d % 64 == 0 ? 128 : 64; }

/// Alignment of the wgmma tiles in shared memory: the period of the 128-byte
/// swizzle pattern (8 rows of 128 bytes), so descriptors need no base offset.
constexpr int64_t kWgmmaTileAlign = 1024;

/// Whether an operand or result of `op` has a dynamic size: the kernel then
/// takes such buffers as flat handles and Lq, Lkv as trailing arguments.
inline bool hasDynamicShapes(AttentionOp op) {
  for (Value t :
       SmallVector<Value>{op.getQuery(), op.getKey(), op.getValue(), op.getOutput(), op.getLse(),
        op.getMask(), op.getQLengths(), op.getKvLengths(), op.getQSegmentIds(),
        op.getKvSegmentIds(), op.getSinks()})
    if (t && !cast<ShapedType>(t.getType()).hasStaticShape())
      return true;
  return false;
}

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
  /// The normaliser (softmax, sigmoid or softpick).
  Normalizer norm;

  // Kernel values.
  Value q, k, v, o, lse;
  Value mask;
  Value qLengths, kvLengths;
  /// This batch row's sequence lengths (index; Lq and Lkv without
  /// q_lengths/kv_lengths).
  Value qLen, kvLen;
  /// Lq and Lkv as values (kernel arguments when any size is dynamic, else
  /// constants; `Lq`/`Lkv` hold ShapedType::kDynamic when dynamic), and B
  /// (the grid's z size when dynamic).
  Value lqV, lkvV, bV;
  /// The Lq kernel argument (0 for an empty batch) when any size is dynamic.
  Value lqArg;
  Value qSegIds, kvSegIds, sinks;
  /// Kernel arguments of the captured non-constant tensors.
  IRMapping capturedArgs;
  Value tid, lane, warp, bi, hi, hkv, q0;
  Value qs, ks, vs;

  /// wgmma variant: one flat view `tiles` of the Q | K0 K1 | V0 V1 tiles
  /// (64 x D elements each) in the swizzled K-major layout, starting at
  /// the 1024-byte aligned shared address `tilesAddr` (index).
  bool wgmma;
  int64_t swizzle;
  Value tiles, tilesAddr;

  Type f32, i32, i64;

  KernelBuilder(AttentionOp op, OpBuilder &b, Location loc,
                GPUMmaKind kind = GPUMmaKind::Sync)
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
    norm = op.getNormalizer();
    f32 = b.getF32Type();
    i32 = b.getI32Type();
    i64 = b.getI64Type();
    wgmma = kind == GPUMmaKind::Wgmma;
    swizzle = wgmmaSwizzleBytes(D);
  }

  /// Elements of one 64-row tile.
  int64_t tileElems() const { return kGPUKeyTile * D; }

  bool lqDynamic() const { return ShapedType::isDynamic(Lq); }
  bool lkvDynamic() const { return ShapedType::isDynamic(Lkv); }
  bool bDynamic() const { return ShapedType::isDynamic(B); }
  /// Whether some buffers are passed as flat handles, followed by Lq and
  /// Lkv (any operand or result with a dynamic size).
  bool anyDynamic() const { return hasDynamicShapes(op); }
  /// Whether the last query block / key tile may be partial.
  bool lqRagged(int64_t tile) const { return lqDynamic() || Lq % tile != 0; }
  bool lkvRagged(int64_t tile) const { return lkvDynamic() || Lkv % tile != 0; }

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
  /// x - c, folded when x is a constant.
  Value sub(Value x, int64_t c) {
    if (std::optional<int64_t> cx = getConstantIntValue(x))
      return idx(*cx - c);
    return arith::SubIOp::create(b, loc, x, idx(c));
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

  //===--------------------------------------------------------------------===//
  // Normalisers (docs/semantics.md), on base-2 scores x = s * log2(e), per
  // row: a running maximum m (softmax, softpick) and a denominator l summed
  // per lane; masked scores are -inf.
  //===--------------------------------------------------------------------===//

  /// The row's running maximum before any key: -inf (softmax), 0
  /// (softpick: m = max(0, max_k s_k)); unused for sigmoid.
  Value normInitMax() {
    return norm == Normalizer::softpick
               ? f32c(0.0)
               : f32c(-std::numeric_limits<double>::infinity());
  }

  /// The state update of a row whose tile maximum (over the row, reduced
  /// across lanes) is `tileMax`.
  struct RowRescale {
    /// New running maximum; the shift the weights use (0 for an empty
    /// softmax row); the factor on the old O and l (null: none, sigmoid);
    /// 2^-m (softpick only).
    Value m, mUse, alpha, expNegM;
  };
  RowRescale normRescale(Value mOld, Value tileMax) {
    RowRescale r;
    if (norm == Normalizer::sigmoid) {
      r.m = mOld;
      return r;
    }
    r.m = fmax(mOld, tileMax);
    r.mUse = r.m;
    if (norm == Normalizer::softmax) {
      Value isEmpty = arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OEQ, r.m,
          f32c(-std::numeric_limits<double>::infinity()));
      r.mUse = arith::SelectOp::create(b, loc, isEmpty, f32c(0.0), r.m);
    } else {
      r.expNegM = exp2(arith::NegFOp::create(b, loc, r.m));
    }
    r.alpha = exp2(arith::SubFOp::create(b, loc, mOld, r.mUse));
    return r;
  }

  /// (weight of the key in O, its term of l) for base-2 score x:
  /// softmax 2^(x - m) twice; softpick t = 2^(x - m) - 2^-m (0 when
  /// masked): (relu(t), |t|); sigmoid 1 / (1 + 2^-(x + bias log2 e)) (0
  /// for -inf) and no l term.
  std::pair<Value, Value> normWeight(Value x, const RowRescale &r) {
    if (norm == Normalizer::sigmoid) {
      double bias = 0.0;
      if (FloatAttr a = op.getSigmoidBiasAttr())
        bias = a.getValueAsDouble();
      // -(x + bias log2(e)) in one operation.
      Value arg =
          bias == 0.0
              ? arith::NegFOp::create(b, loc, x).getResult()
              : arith::SubFOp::create(b, loc, f32c(-bias * M_LOG2E), x)
                    .getResult();
      Value den = arith::AddFOp::create(b, loc, exp2(arg), f32c(1.0));
      return {unaryPtx("rcp.approx.ftz.f32 $0, $1;", den), Value()};
    }
    Value e = exp2(arith::SubFOp::create(b, loc, x, r.mUse));
    if (norm == Normalizer::softmax)
      return {e, e};
    Value t = arith::SubFOp::create(b, loc, e, r.expNegM);
    Value kept = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGT, x,
        f32c(-std::numeric_limits<double>::infinity()));
    t = arith::SelectOp::create(b, loc, kept, t, f32c(0.0));
    // |t| as max(t, -t): math.absf would become a libdevice call.
    return {fmax(t, f32c(0.0)),
            fmax(t, arith::NegFOp::create(b, loc, t))};
  }

  /// The factor on a row's O at the end, from its denominator `l` (summed
  /// over the row's lanes) and running maximum `m`: 1 / l (0 for an empty
  /// softmax row), 1 / (l + 1e-6 2^-m) for softpick, 1 for sigmoid.
  Value normInverse(Value l, Value m) {
    Value one = f32c(1.0);
    if (norm == Normalizer::sigmoid)
      return one;
    if (norm == Normalizer::softpick) {
      Value eps = arith::MulFOp::create(
          b, loc, f32c(1e-6), exp2(arith::NegFOp::create(b, loc, m)));
      return arith::DivFOp::create(b, loc, one,
                                   arith::AddFOp::create(b, loc, l, eps));
    }
    Value isZero =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, l, f32c(0.0));
    return arith::SelectOp::create(b, loc, isZero, f32c(0.0),
                                   arith::DivFOp::create(b, loc, one, l));
  }

  Value shuffleXor(Value x, int32_t offset) {
    return gpu::ShuffleOp::create(b, loc, x, offset, 32, gpu::ShuffleMode::XOR)
        .getShuffleResult();
  }

  /// One 16-byte cp.async chunk per (thread, step) moves a 64-row tile of
  /// `src[bIdx, hIdx, row0 + r, :]` into `dst[dstPrefix..., r, :]`; rows at
  /// or past `rows` (> 0) are zero-filled (their source index is clamped).
  void copyTile(Value src, Value rows, Value hIdx, Value row0, Value dst,
                ValueRange dstPrefix) {
    int64_t chunksPerRow = D / 8;
    int64_t steps = kGPUKeyTile * chunksPerRow / kGPUBlockThreads;
    for (int64_t i = 0; i < steps; ++i) {
      Value c = add(tid, i * kGPUBlockThreads);
      Value r = divu(c, chunksPerRow);
      Value col = mul(remu(c, chunksPerRow), 8);
      Value row = add(row0, r);
      Value valid = cmpi(arith::CmpIPredicate::slt, row, rows);
      Value srcRow = minsi(row, sub(rows, 1));
      Value srcElems = arith::SelectOp::create(b, loc, valid, idx(8), idx(0));
      SmallVector<Value> dstIdx;
      if (wgmma) {
        dstIdx.push_back(
            add(dstPrefix[0], swizzledChunk(r, remu(c, chunksPerRow))));
      } else {
        dstIdx.append(dstPrefix.begin(), dstPrefix.end());
        dstIdx.append({r, col});
      }
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, dst, dstIdx, src, ValueRange{bi, hIdx, srcRow, col},
          b.getIndexAttr(8), srcElems, b.getUnitAttr());
    }
  }

  void copyKV(Value tile, Value buf) {
    Value row0 = mul(tile, kGPUKeyTile);
    if (wgmma) {
      // K buffer b is tile 1 + b, V buffer b tile 3 + b.
      Value kOff = mul(add(buf, 1), tileElems());
      copyTile(k, lkvV, hkv, row0, tiles, ValueRange{kOff});
      copyTile(v, lkvV, hkv, row0, tiles,
               ValueRange{add(kOff, 2 * tileElems())});
      return;
    }
    copyTile(k, lkvV, hkv, row0, ks, ValueRange{buf});
    copyTile(v, lkvV, hkv, row0, vs, ValueRange{buf});
  }

  //===--------------------------------------------------------------------===//
  // wgmma (sm_90a)
  //===--------------------------------------------------------------------===//
  //
  // A 64 x D tile is stored as D / W column blocks of 64 rows x W elements
  // (W = swizzle / 2), each row `swizzle` bytes: the K-major swizzle atoms of
  // 8 rows stacked along the rows (stride-dimension byte offset 8 * swizzle),
  // and, read with the rows as the reduction dimension (V), the MN-major
  // atoms with the column blocks `64 * swizzle` bytes apart (leading-
  // dimension byte offset). The 16-byte chunk c of row r within its block
  // sits at chunk c ^ ((r * swizzle / 128) mod (swizzle / 16)): the
  // hardware XORs address bits [4, 7) with bits [7, 10) (masked to the
  // swizzle width) of 1024-byte aligned atoms.

  /// Element offset within a tile of the 16-byte chunk `chunk` (of 8
  /// elements, counted along the row) of row `row`.
  Value swizzledChunk(Value row, Value chunk) {
    int64_t chunksPerBlock = swizzle / 16;
    Value blk = divu(chunk, chunksPerBlock);
    Value inRow = remu(chunk, chunksPerBlock);
    Value phase = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, mul(row, swizzle), idx(7)),
        idx(chunksPerBlock - 1));
    Value swz = arith::XOrIOp::create(b, loc, inRow, phase);
    return add(add(mul(blk, kGPUKeyTile * swizzle / 2), mul(row, swizzle / 2)),
               mul(swz, 8));
  }

  /// The 64-bit matrix descriptor of a K-major (`kMajor`) or MN-major
  /// operand at shared address `addr` (index) in the swizzled layout.
  Value descriptor(Value addr, bool kMajor) {
    Value a = arith::IndexCastOp::create(b, loc, i64, addr);
    a = arith::AndIOp::create(b, loc, a, i64c(0x3FFFF));
    a = arith::ShRUIOp::create(b, loc, a, i64c(4));
    // K-major swizzled layouts ignore the leading-dimension offset (1 by
    // convention); MN-major ones step between column blocks with it.
    uint64_t lbo = kMajor ? 16 : kGPUKeyTile * swizzle;
    uint64_t sbo = 8 * swizzle;
    uint64_t mode = swizzle == 128 ? 1 : swizzle == 64 ? 2 : 3;
    uint64_t fields =
        ((lbo >> 4) & 0x3FFF) << 16 | ((sbo >> 4) & 0x3FFF) << 32 | mode << 62;
    return arith::OrIOp::create(b, loc, a, i64c(static_cast<int64_t>(fields)));
  }

  /// `desc` advanced by `bytes` (a multiple of 16; stays in the 14-bit
  /// start-address field for shared addresses below 256 KiB).
  Value descAdd(Value desc, int64_t bytes) {
    if (bytes == 0)
      return desc;
    return arith::AddIOp::create(b, loc, desc, i64c(bytes >> 4));
  }

  Value i64c(int64_t v) { return arith::ConstantIntOp::create(b, loc, i64, v); }

  /// S = Q . K^T for the block's 64 rows and the 64 keys of a tile:
  /// wgmma m64n64k16, A = Q and B = K by K-major descriptors, D / 16
  /// k-steps into f32 accumulators; waits for completion. Returns the 32
  /// accumulators of the thread in the m16n8 order of each 8-column block
  /// (s[n][r] = result[4n + r]).
  SmallVector<Value> wgmmaScores(Value qDesc, Value kDesc) {
    MLIRContext *ctx = b.getContext();
    auto accTy =
        LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(32, f32));
    Value accum = LLVM::PoisonOp::create(b, loc, accTy);
    NVVM::WGMMATypes ty =
        elt.isF16() ? NVVM::WGMMATypes::f16 : NVVM::WGMMATypes::bf16;
    NVVM::WgmmaFenceAlignedOp::create(b, loc);
    for (int64_t kk = 0; kk < D / 16; ++kk) {
      // Elements 16kk.. of a row: column block 16kk / W, byte 32 (kk mod
      // W / 16) within its 128- or 64-byte row.
      int64_t w = swizzle / 2;
      int64_t off = (16 * kk / w) * kGPUKeyTile * swizzle + (16 * kk % w) * 2;
      accum = NVVM::WgmmaMmaAsyncOp::create(
          b, loc, accTy, accum, descAdd(qDesc, off), descAdd(kDesc, off),
          NVVM::MMAShapeAttr::get(ctx, 64, kGPUKeyTile, 16), ty, ty,
          NVVM::WGMMATypes::f32,
          kk == 0 ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
          NVVM::MMALayout::row, NVVM::MMALayout::col,
          NVVM::MMAIntOverflowAttr());
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
    NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
    SmallVector<Value> s;
    for (int64_t i = 0; i < 32; ++i)
      s.push_back(
          LLVM::ExtractValueOp::create(b, loc, accum, ArrayRef<int64_t>{i}));
    return s;
  }

  /// O += P . V: wgmma m64nDk16 with A = P from registers (the mma.sync A
  /// fragments, one k-step per 16 keys) and B = V by an MN-major
  /// descriptor (imm-trans-b = 1). NVVM's op takes descriptors only, so
  /// the instruction is inline PTX; waits for completion.
  void wgmmaPV(ArrayRef<SmallVector<Value, 4>> pFrag, Value vDesc,
               MutableArrayRef<Value> acc) {
    MLIRContext *ctx = b.getContext();
    int64_t n = acc.size();
    std::string t = elt.isF16() ? "f16" : "bf16";
    std::string ptx = "wgmma.mma_async.sync.aligned.m64n" + std::to_string(D) +
                      "k16.f32." + t + "." + t + " {";
    std::string cons;
    for (int64_t i = 0; i < n; ++i) {
      ptx += (i ? ", $" : "$") + std::to_string(i);
      cons += "=f,";
    }
    ptx += "}, {";
    for (int64_t i = 0; i < 4; ++i) {
      ptx += (i ? ", $" : "$") + std::to_string(n + i);
      cons += "r,";
    }
    // scale-d = 1 (accumulate), imm-scale-a = imm-scale-b = 1,
    // imm-trans-b = 1 (V is N-major).
    ptx += "}, $" + std::to_string(n + 4) + ", 1, 1, 1, 1;";
    cons += "l";
    for (int64_t i = 0; i < n; ++i)
      cons += "," + std::to_string(i);
    auto accTy =
        LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(n, f32));
    NVVM::WgmmaFenceAlignedOp::create(b, loc);
    for (auto [j, frag] : llvm::enumerate(pFrag)) {
      SmallVector<Value> operands;
      for (Value r : frag)
        operands.push_back(asI32(r));
      operands.push_back(descAdd(vDesc, 16 * j * swizzle));
      operands.append(acc.begin(), acc.end());
      auto asmOp = LLVM::InlineAsmOp::create(
          b, loc, accTy, operands, b.getStringAttr(ptx), b.getStringAttr(cons),
          /*has_side_effects=*/b.getUnitAttr(),
          /*is_align_stack=*/UnitAttr(),
          LLVM::TailCallKindAttr::get(ctx, LLVM::TailCallKind::None),
          LLVM::AsmDialectAttr::get(ctx, LLVM::AsmDialect::AD_ATT),
          /*operand_attrs=*/ArrayAttr());
      for (int64_t i = 0; i < n; ++i)
        acc[i] = LLVM::ExtractValueOp::create(b, loc, asmOp.getResult(0),
                                              ArrayRef<int64_t>{i});
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
    NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
  }

  /// Orders this thread's completed cp.async (generic proxy) writes before
  /// later wgmma reads of shared memory (async proxy); wgmma only.
  void asyncProxyFence() {
    if (!wgmma)
      return;
    NVVM::FenceProxyOp::create(
        b, loc, NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(b.getContext(),
                                   NVVM::SharedSpace::shared_cta));
  }

  /// A 2 x 16-bit operand register as i32 (f16 pairs are vector<2xf16>).
  Value asI32(Value pair) {
    if (pair.getType() == i32)
      return pair;
    Value asInt =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), pair);
    return vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
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
  std::pair<Value, Value> segmentRange(Value ids, Value start, Value len) {
    Value lo, hi;
    for (int64_t i = 0; i < kGPUKeyTile / 32; ++i) {
      Value pos = minsi(add(add(start, lane), i * 32), sub(len, 1));
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

  /// Binds the kernel arguments of `entry` in the ABI order (Q, K, V,
  /// O[, LSE][, mask][, q_lengths][, kv_lengths][, q_ids, kv_ids][, sinks]
  /// [, captured...]); returns the index of the first argument after them.
  unsigned bindArguments(Block &entry);

  /// Sets the thread and block indices (tid, lane, warp, the block's head
  /// `hi`, batch `bi`, K/V head `hkv` and first query row `q0`) for a grid
  /// (ceil(Lq / rowsPerBlock), Hq, B).
  void bindBlockIndices(int64_t rowsPerBlock);

  /// [tLo, tHi): the key tiles (of `keyTile` keys) a block needs, from
  /// [0, kvEnd) intersected with every structured term's key interval for
  /// the block's aligned rows [qLoA, qHiA]; with `emptyPastQLength`, empty
  /// when the block starts at or past q_lengths (needs q0 and qLen).
  std::pair<Value, Value> keyTileRange(Value qLoA, Value qHiA, Value kvEnd,
                                       int64_t keyTile,
                                       bool emptyPastQLength);

  /// Binds Lq and Lkv (`lqV`, `lkvV`): with any dynamic size, the index
  /// arguments at `nextArg` (`lqArg`; Lq is 0 for an empty batch) for the
  /// dynamic ones, else constants. Returns the index of the first argument
  /// after them.
  unsigned bindLengths(Block &entry, unsigned nextArg);

  /// Binds B (`bV`: the grid's z size when dynamic) and gives every buffer
  /// argument with a dynamic size (a flat memref<1 x elt> handle) its shape
  /// back (after guardEmptyQuery: an empty batch still has one block).
  void shapeBuffers();

  /// The kernel argument `arg` of operand/result `t` as a memref of t's
  /// shape: itself when static, else a reinterpret_cast of the flat handle
  /// (memref<1 x elt>) with the dynamic lengths filled in.
  Value shaped(Value arg, Value t);

  /// With a dynamic Lq or B, which may be 0 at run time (the host still
  /// launches one block: a grid of 0 blocks is a launch error; Lq is then
  /// passed as 0), moves the insertion point into an `scf.if Lq > 0` and
  /// returns it (null otherwise); the kernel's gpu.return goes after it.
  scf::IfOp guardEmptyQuery();

  /// The kernel's dynamic workgroup memory as bytes.
  Value dynamicSharedMemory();

  void build(gpu::GPUFuncOp func);
};

/// The problem size a dimension of an operand or result spans.
enum class ProblemDim { None, Batch, Query, Key };

/// For each dim of `t` (an operand or result of `op`): whether it spans B,
/// Lq, Lkv or none of them (heads, head dims, or anything else). Only the
/// Batch/Query/Key dims may be dynamic.
SmallVector<ProblemDim> getProblemDims(AttentionOp op, Value t);

/// Builds the body of the general SIMT kernel (GeneralKernel.cpp): any
/// element type of f32/f16/bf16, head dims up to 256 (Dqk != Dv allowed),
/// mask tensors and lengths, dynamic Lq/Lkv, by the same score semantics.
struct GeneralKernelBuilder : KernelBuilder {
  /// Head dim of V and O; `D` is the head dim of Q and K.
  int64_t Dv;

  GeneralKernelBuilder(AttentionOp op, OpBuilder &b, Location loc)
      : KernelBuilder(op, b, loc) {
    Dv = op.getValueType().getDimSize(3);
  }

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
