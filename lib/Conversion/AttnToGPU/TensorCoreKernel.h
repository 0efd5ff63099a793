//===- TensorCoreKernel.h - The tensor-core attention kernel ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to the AttnToGPU conversion: the FlashAttention-2 kernel on
// mma.sync (sm_80+) or Hopper wgmma (sm_90a) for f16/bf16 inputs with
// Dqk = Dv in {64, 96, 128}. The builder keeps the fragment helpers (cp.async
// tile copies, ldmatrix, mma.sync, wgmma descriptors and instructions) here
// and builds the kernel in stages (TensorCoreKernel.cpp): prologue, the key
// loop with Q.K^T, masks, online softmax and P.V per tile, and epilogue.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_TENSORCOREKERNEL_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_TENSORCOREKERNEL_H

#include "KernelBuilder.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir {
namespace attn {
namespace gpukernel {

/// Builds the tensor-core kernel of `op` (usesGPUTensorCoreKernel) into the
/// empty body of `func` with matrix instructions `kind`.
void buildTensorCoreKernel(RewriterBase &rewriter, AttentionOp op,
                           gpu::GPUFuncOp func, GPUMmaKind kind);

/// A 64-key tile's scores are kScoreBlocks blocks of 8 keys, each an m16n8
/// accumulator of 4 f32 registers per thread.
constexpr int64_t kScoreBlocks = kGPUKeyTile / 8;

/// The scores of one key tile in the thread's registers: s[n][r] is
/// register r of the m16n8 accumulator of key block n.
using TileScores = SmallVector<SmallVector<Value, 4>>;

struct TensorCoreKernelBuilder : KernelBuilder {
  /// wgmma variant: one flat view `tiles` of the Q | K0 K1 | V0 V1 tiles
  /// (64 x D elements each) in the swizzled K-major layout, starting at
  /// the 1024-byte aligned shared address `tilesAddr` (index).
  bool wgmma;
  int64_t swizzle;
  Value tiles, tilesAddr;

  //===--------------------------------------------------------------------===//
  // Block state shared by the stages
  //===--------------------------------------------------------------------===//

  /// Keys of the batch row: [0, kvEnd); `off` = kvLen - qLen aligns query
  /// rows with keys (bottom-right), [qLoA, qHiA] are the aligned rows of
  /// the block.
  Value kvEnd, off, qLoA, qHiA;
  SmallVector<StructuredMaskAttrInterface> terms;
  /// The thread's accumulator row within the warp's 16 and its first
  /// column within an 8-column block (mma.m16n8 layout).
  Value rowInWarp, colInQuad;
  /// The thread's two rows: aligned, raw, and raw clamped into [0, Lq) for
  /// reads (rows past Lq are computed but never stored).
  Value rowA[2], rowRaw[2], rowRead[2];
  /// Lane decompositions of the ldmatrix addressing.
  Value lane16, laneHi, lane8, lane8Hi;
  /// Q fragments of the warp's 16 rows (mma.sync): qFrag[kstep][0..3].
  SmallVector<SmallVector<Value, 4>> qFrag;
  /// Output accumulator blocks of 8 columns (D / 8).
  int64_t nOut;
  Value zero, negInf;
  /// Segment ids of the thread's rows, and the block's id range.
  Value qSeg[2], qSegLo, qSegHi;
  /// wgmma descriptors of Q and of both K and V buffers.
  Value qDesc, kDesc[2], vDesc[2];
  /// Run-time tile classification (document masks, boolean masks): the
  /// types of the loop-carried (keep[, mask bits, all kept]).
  bool classified;
  SmallVector<Type> classTypes;
  /// The tile being computed: its first key and k0 + colInQuad.
  Value k0, kBase;

  TensorCoreKernelBuilder(AttentionOp op, RewriterBase &b, Location loc,
                          GPUMmaKind kind)
      : KernelBuilder(op, b, loc) {
    wgmma = kind == GPUMmaKind::Wgmma;
    swizzle = wgmmaSwizzleBytes(D);
  }

  /// Elements of one 64-row tile.
  int64_t tileElems() const { return kGPUKeyTile * D; }

  //===--------------------------------------------------------------------===//
  // Stages (TensorCoreKernel.cpp)
  //===--------------------------------------------------------------------===//

  /// Views of the dynamic shared memory: Q | K0 K1 | V0 V1.
  void bindSharedTiles();
  /// Sequence lengths, the block's key tiles and the thread's rows.
  void bindRowsAndKeyRange();
  /// Prologue: bindSharedTiles, bindRowsAndKeyRange, buildCopiesAndState.
  SmallVector<Value> buildPrologue() override;
  /// Q and the first K/V tile in one cp.async group, the Q fragments, and
  /// the initial loop state (O, m, l, classification).
  SmallVector<Value> buildCopiesAndState();
  /// The initial O accumulators and (m0, m1, l0, l1), sinks included.
  SmallVector<Value> buildInitialState();
  /// The body of the loop over key tiles.
  void buildKeyLoop(scf::ForOp loop) override;
  /// One key tile's work on the loop state; returns the new state (acc...,
  /// m0, m1, l0, l1).
  SmallVector<Value> buildTile(ValueRange iterArgs, Value buf, Value maskBits,
                               Value maskAll);
  /// S = Q . K^T of the tile in buffer `buf`.
  TileScores buildScores(Value buf);
  /// The base-2 scores: scale (and log2(e)), or the score modifiers.
  void buildScoreModifiers(TileScores &s);
  /// The masks, only on tiles not proven full.
  void buildMasks(TileScores &s, Value maskBits, Value maskAll);
  /// The masked scores of the tile (and, with alwaysPartial, the whole
  /// score semantics, segment ids and mask_mod included), flattened.
  SmallVector<Value> buildMaskedScores(const TileScores &s, Value maskBits);
  /// Online normalisation of both thread rows: `s` becomes the weights P,
  /// `acc` is rescaled; returns (m0, m1, l0, l1).
  SmallVector<Value> buildOnlineSoftmax(TileScores &s, ValueRange mOld,
                                        ValueRange lOld,
                                        MutableArrayRef<Value> acc);
  /// O += P . V for the tile in buffer `buf`.
  void buildPV(const TileScores &p, Value buf, MutableArrayRef<Value> acc);
  /// Epilogue: the quad's partial sums, O / l, store (and lse).
  void buildEpilogue(ValueRange res) override;

  /// The tile classification of `tile` (keep[, mask bits, all kept]).
  SmallVector<Value> classifyTile(Value tile);
  /// classifyTile(tile) when `cond` holds, else all false (nothing read).
  SmallVector<Value> classifyTileIf(Value cond, Value tile);
  /// Builds `body` under `scf.if cond`.
  void buildIfThen(Value cond, llvm::function_ref<void()> body);
  /// Key of accumulator register r of block n of the current tile, and a
  /// key clamped into [0, Lkv) for reads.
  Value keyOf(int64_t n, int64_t r) { return add(kBase, n * 8 + r % 2); }
  Value keyRead(Value key) {
    return lkvRagged(kGPUKeyTile) ? minsi(key, sub(lkvV, 1)) : key;
  }

  //===--------------------------------------------------------------------===//
  // Fragments and copies
  //===--------------------------------------------------------------------===//

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
};

} // namespace gpukernel
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_TENSORCOREKERNEL_H
