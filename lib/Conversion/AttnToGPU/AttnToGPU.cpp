//===- AttnToGPU.cpp - attn.attention to a tensor-core kernel ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Builds a FlashAttention-2 kernel for one attn.attention:
//
//   block (qt, h, b), 4 warps, warp w owns query rows q0 + 16w .. + 15
//   Q tile -> shared (cp.async) -> registers (ldmatrix, once)
//   [tLo, tHi) = key tiles kept by the structured masks (buildKeyRange)
//   prefetch K/V tile tLo
//   for t in [tLo, tHi):
//     prefetch K/V tile t + 1 into the other buffer (cp.async, one group)
//     wait for tile t; barrier
//     S = Q . K^T                     mma.sync m16n8k16, f32 accumulators
//     S = mask(S) unless the tile is proven full (buildTileIsFull)
//     m, l, O = online softmax(S)     base 2, quad shuffles, registers
//     O += P . V                      P converted in registers (A operand)
//     barrier
//   O /= l; store (and lse)
//
// The fragments follow the PTX layouts of mma.m16n8k16: a thread of lane l
// holds rows l/4 and l/4 + 8 of a 16x8 accumulator, columns 2(l%4) and
// 2(l%4) + 1, so a row of S lives in the four lanes of a quad.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Utils/KeyRange.h"
#include "KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>
#include <limits>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpukernel;

//===----------------------------------------------------------------------===//
// Support checks
//===----------------------------------------------------------------------===//

std::optional<int> mlir::attn::parseGPUChip(StringRef chip) {
  // Chips with mma.sync for f16/bf16 (Ampere and later) that the NVPTX
  // backend of LLVM 22 knows.
  static const int kKnown[] = {80, 86, 87, 89, 90, 100, 101, 103, 120, 121};
  if (!chip.consume_front("sm_"))
    return std::nullopt;
  // Architecture-specific ("a") and family ("f") variants.
  if (chip.ends_with("a") || chip.ends_with("f"))
    chip = chip.drop_back();
  int version;
  if (chip.getAsInteger(10, version))
    return std::nullopt;
  if (!llvm::is_contained(kKnown, version))
    return std::nullopt;
  return version;
}

SmallVector<Value> mlir::attn::getGPUCapturedValues(AttentionOp op) {
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op.getScoreMod(), captured);
  getUsedValuesDefinedAbove(op.getMaskMod(), captured);
  return captured.takeVector();
}

bool mlir::attn::usesGPUTensorCoreKernel(AttentionOp op) {
  RankedTensorType qT = op.getQueryType(), vT = op.getValueType();
  Type elt = qT.getElementType();
  int64_t dqk = qT.getDimSize(3), dv = vT.getDimSize(3);
  // Multiples of 32 (whole ldmatrix.x4 loads of K) up to 128: beyond,
  // the O accumulators, Q fragments and scores no longer fit in registers.
  // D = 32 assembles with a 4-byte ptxas spill (design.md), so it is left
  // to the general kernel too. Dynamic Lq/Lkv are kernel arguments of
  // either kernel (checkGPUKernelSupport allows no other dynamic dim).
  return (elt.isF16() || elt.isBF16()) && dqk == dv &&
         (dqk == 64 || dqk == 96 || dqk == 128);
}

/// True for the scalar types NVPTX code generation handles: index, integers
/// of at most 64 bits and f16, bf16, f32, f64 (no f80, f128, tf32 or 8-bit
/// floats, which stop instruction selection with an LLVM ERROR).
static bool isGPUScalarType(Type t) {
  if (t.isIndex())
    return true;
  if (auto it = dyn_cast<IntegerType>(t))
    return it.getWidth() <= 64;
  return t.isF16() || t.isBF16() || t.isF32() || t.isF64();
}

LogicalResult mlir::attn::checkGPUKernelSupport(AttentionOp op) {
  auto unsupported = [&](StringRef what) {
    return op.emitOpError("cannot be lowered to the GPU kernel: ") << what;
  };
  // Tiles and partial states come from upstream tiling; the kernels own their
  // tiling and compute whole normalised problems.
  if (op.getPartial())
    return unsupported("the partial form is not supported (decompose it)");
  if (op.hasTileCoordinates())
    return unsupported("ops with tile coordinates are not supported "
                       "(decompose them)");
  RankedTensorType qT = op.getQueryType(), kT = op.getKeyType(),
                   vT = op.getValueType(), oT = op.getOutputType();
  Type elt = qT.getElementType();
  if (!elt.isF16() && !elt.isBF16() && !elt.isF32())
    return unsupported("only f16, bf16 and f32 inputs are supported, got ")
           << elt;
  if (kT.getElementType() != elt || vT.getElementType() != elt)
    return unsupported("query, key and value must share an element type");
  Type outElt = oT.getElementType();
  if (!outElt.isF16() && !outElt.isBF16() && !outElt.isF32())
    return unsupported("the output element type must be f16, bf16 or f32, got ")
           << outElt;
  for (Value t : {op.getMask(), op.getSinks()}) {
    if (!t)
      continue;
    Type tElt = getElementTypeOrSelf(t.getType());
    if (!isGPUScalarType(tElt))
      return unsupported("mask and sink element types must be i1, f16, bf16, "
                         "f32 or f64, got ")
             << tElt;
  }
  // B, Lq and Lkv may be dynamic (Lq and Lkv passed as kernel arguments,
  // the grid computed on the host); heads and head dims may not.
  for (Value t :
       SmallVector<Value>{op.getQuery(), op.getKey(), op.getValue(), op.getOutput(), op.getLse(),
        op.getMask(), op.getQLengths(), op.getKvLengths(), op.getQSegmentIds(),
        op.getKvSegmentIds(), op.getSinks()}) {
    if (!t)
      continue;
    auto tt = cast<RankedTensorType>(t.getType());
    // The kernels index the first element of each head dim and key tile.
    if (llvm::is_contained(tt.getShape(), 0))
      return unsupported("zero-sized dimensions are not supported, got ")
             << tt;
    for (auto [size, dim] : llvm::zip(tt.getShape(), getProblemDims(op, t)))
      if (ShapedType::isDynamic(size) && dim == ProblemDim::None)
        return unsupported("only the batch size and the query and key "
                           "lengths may be dynamic, got ")
               << tt;
  }
  // The general kernel keeps ceil(D / 32) f32 values of Q and of O per row
  // and lane in registers (4 rows per warp): 256 is the largest head dim
  // ptxas was shown to assemble without spills.
  int64_t dqk = qT.getDimSize(3), dv = vT.getDimSize(3);
  if (dqk > kGPUGeneralMaxHeadDim || dv > kGPUGeneralMaxHeadDim)
    return unsupported("head dims above ")
           << kGPUGeneralMaxHeadDim << " are not supported, got " << dqk
           << " and " << dv;
  for (Region *region : {&op.getScoreMod(), &op.getMaskMod()}) {
    if (region->empty())
      continue;
    // The region is cloned into the kernel: it may read constants and
    // static tensors (through tensor.extract, which becomes a load of a
    // kernel argument), and compute with arith and the f32 math functions
    // that have PTX instructions (finalizeInlined; others would need
    // libdevice).
    WalkResult walk = region->walk([&](Operation *inner) {
      for (Type t : llvm::concat<Type>(
               SmallVector<Type>(inner->getOperandTypes()),
               SmallVector<Type>(inner->getResultTypes()))) {
        if (isGPUScalarType(getElementTypeOrSelf(t)))
          continue;
        InFlightDiagnostic diag =
            unsupported("score_mod/mask_mod operation '");
        diag << inner->getName() << "' has an element type without a GPU "
             << "lowering: " << t;
        return WalkResult::interrupt();
      }
      bool scalar = llvm::none_of(inner->getResultTypes(),
                                  [](Type t) { return isa<ShapedType>(t); });
      if (scalar && (isa<arith::ArithDialect>(inner->getDialect()) ||
                     isa<tensor::ExtractOp, YieldOp>(inner)))
        return WalkResult::advance();
      if (isa<math::TanhOp, math::ExpOp, math::Exp2Op, math::LogOp,
              math::Log2Op, math::SqrtOp, math::RsqrtOp, math::AbsFOp>(
              inner)) {
        if (inner->getResult(0).getType().isF32())
          return WalkResult::advance();
        InFlightDiagnostic diag = unsupported("score_mod/mask_mod operation '");
        diag << inner->getName() << "' is lowered for f32 only, got "
             << inner->getResult(0).getType();
        return WalkResult::interrupt();
      }
      InFlightDiagnostic diag = unsupported("score_mod/mask_mod operation '");
      diag << inner->getName() << "' has no GPU lowering";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return failure();
  }
  for (Value c : getGPUCapturedValues(op)) {
    if (isClonedCapture(c))
      continue;
    auto tt = dyn_cast<RankedTensorType>(c.getType());
    bool onlyExtracts = llvm::all_of(c.getUses(), [&](OpOperand &use) {
      return !op->isProperAncestor(use.getOwner()) ||
             isa<tensor::ExtractOp>(use.getOwner());
    });
    if (!tt || !tt.hasStaticShape() || !onlyExtracts)
      return unsupported("score_mod/mask_mod may only capture constants and "
                         "static tensors read with tensor.extract, got ")
             << c.getType();
  }
  if (!op.getStaticScale())
    return unsupported("the scale must be known at compile time");
  if (!op.getStaticGroupSize())
    return unsupported("the GQA group size must be static");
  return success();
}

int64_t mlir::attn::getGPUKernelQueryTile(AttentionOp op) {
  return usesGPUTensorCoreKernel(op) ? kGPUQueryTile : kGPUGeneralQueryTile;
}

int64_t mlir::attn::getGPUKernelSharedMemoryBytes(AttentionOp op,
                                                  GPUMmaKind kind) {
  if (!usesGPUTensorCoreKernel(op))
    return getGeneralKernelSharedMemoryBytes(op);
  int64_t d = op.getQueryType().getDimSize(3);
  int64_t eltBytes = op.getQueryType().getElementTypeBitWidth() / 8;
  // Q, two K buffers and two V buffers: padded rows for mma.sync, unpadded
  // swizzled rows plus alignment slack for wgmma.
  if (kind == GPUMmaKind::Wgmma)
    return 5 * kGPUKeyTile * d * eltBytes + kWgmmaTileAlign;
  return 5 * kGPUKeyTile * paddedRow(d) * eltBytes;
}

bool mlir::attn::gpuChipHasWgmma(StringRef chip) { return chip == "sm_90a"; }

std::optional<GPUMmaKind> mlir::attn::parseGPUMmaKind(StringRef mma,
                                                      StringRef chip) {
  if (mma == "sync")
    return GPUMmaKind::Sync;
  if (mma == "wgmma")
    return GPUMmaKind::Wgmma;
  if (mma == "auto")
    return gpuChipHasWgmma(chip) ? GPUMmaKind::Wgmma : GPUMmaKind::Sync;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

unsigned KernelBuilder::bindArguments(Block &entry) {
  q = entry.getArgument(0);
  k = entry.getArgument(1);
  v = entry.getArgument(2);
  o = entry.getArgument(3);
  unsigned nextArg = 4;
  if (withLse)
    lse = entry.getArgument(nextArg++);
  if (op.getMask())
    mask = entry.getArgument(nextArg++);
  if (op.getQLengths())
    qLengths = entry.getArgument(nextArg++);
  if (op.getKvLengths())
    kvLengths = entry.getArgument(nextArg++);
  if (op.getQSegmentIds()) {
    qSegIds = entry.getArgument(nextArg++);
    kvSegIds = entry.getArgument(nextArg++);
  }
  if (op.getSinks())
    sinks = entry.getArgument(nextArg++);
  for (Value c : getGPUCapturedValues(op))
    if (!isClonedCapture(c))
      capturedArgs.map(c, entry.getArgument(nextArg++));
  return nextArg;
}

void KernelBuilder::bindBlockIndices(int64_t rowsPerBlock) {
  tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  lane = remu(tid, 32);
  warp = divu(tid, 32);
  Value qt = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  bi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  hkv = group == 1 ? hi : divu(hi, group);
  q0 = mul(qt, rowsPerBlock);
}

std::pair<Value, Value>
KernelBuilder::keyTileRange(Value qLoA, Value qHiA, Value kvEnd,
                            int64_t keyTile, bool emptyPastQLength) {
  // Rows at or past q_lengths keep nothing: a block made only of them has
  // an empty key range.
  Value anyRow;
  if (emptyPastQLength && qLengths)
    anyRow = cmpi(arith::CmpIPredicate::slt, q0, qLen);
  // A mask_mod region is bounded by the mask analysis for the block's raw
  // rows [q0, q0 + (qHiA - qLoA)].
  MaskModRows maskMod;
  if (!op.getMaskMod().empty())
    maskMod = {&op.getMaskMod(), q0,
               add(q0, arith::SubIOp::create(b, loc, qHiA, qLoA)), bi, hi};
  KeyRange range = buildKeyRange(b, loc, op.getMaskTerms(), qLoA, qHiA, kvEnd,
                                 anyRow, maskMod);
  KeyRange tiles = buildKeyTileRange(b, loc, range, keyTile);
  return {tiles.lo, tiles.hi};
}

unsigned KernelBuilder::bindLengths(Block &entry, unsigned nextArg) {
  // (Static lengths stay constants even when the arguments exist.)
  Value lkvArg;
  if (anyDynamic()) {
    lqArg = entry.getArgument(nextArg++);
    lkvArg = entry.getArgument(nextArg++);
  }
  lqV = lqDynamic() ? lqArg : idx(Lq);
  lkvV = lkvDynamic() ? lkvArg : idx(Lkv);
  return nextArg;
}

void KernelBuilder::shapeBuffers() {
  bV = bDynamic() ? gpu::GridDimOp::create(b, loc, gpu::Dimension::z)
                        .getResult()
                  : idx(B);
  q = shaped(q, op.getQuery());
  k = shaped(k, op.getKey());
  v = shaped(v, op.getValue());
  o = shaped(o, op.getOutput());
  if (lse)
    lse = shaped(lse, op.getLse());
  if (mask)
    mask = shaped(mask, op.getMask());
  if (qLengths)
    qLengths = shaped(qLengths, op.getQLengths());
  if (kvLengths)
    kvLengths = shaped(kvLengths, op.getKvLengths());
  if (qSegIds) {
    qSegIds = shaped(qSegIds, op.getQSegmentIds());
    kvSegIds = shaped(kvSegIds, op.getKvSegmentIds());
  }
}

Value KernelBuilder::shaped(Value arg, Value t) {
  auto tt = cast<RankedTensorType>(t.getType());
  if (tt.hasStaticShape())
    return arg;
  SmallVector<ProblemDim> dims = getProblemDims(op, t);
  int64_t rank = tt.getRank();
  SmallVector<OpFoldResult> sizes(rank), strides(rank);
  OpFoldResult stride = b.getIndexAttr(1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    int64_t n = tt.getDimSize(d);
    Value size = dims[d] == ProblemDim::Batch   ? bV
                 : dims[d] == ProblemDim::Query ? lqV
                                                : lkvV;
    sizes[d] = ShapedType::isDynamic(n) ? OpFoldResult(size)
                                        : OpFoldResult(b.getIndexAttr(n));
    strides[d] = stride;
    auto sAttr = dyn_cast<Attribute>(stride);
    auto nAttr = dyn_cast<Attribute>(sizes[d]);
    if (sAttr && nAttr) {
      stride = b.getIndexAttr(cast<IntegerAttr>(sAttr).getInt() *
                              cast<IntegerAttr>(nAttr).getInt());
    } else {
      auto value = [&](OpFoldResult f) -> Value {
        if (auto a = dyn_cast<Attribute>(f))
          return idx(cast<IntegerAttr>(a).getInt());
        return cast<Value>(f);
      };
      stride = mul(value(stride), value(sizes[d]));
    }
  }
  auto type = MemRefType::get(tt.getShape(), tt.getElementType());
  return memref::ReinterpretCastOp::create(b, loc, type, arg, b.getIndexAttr(0),
                                           sizes, strides);
}

scf::IfOp KernelBuilder::guardEmptyQuery() {
  if (!lqDynamic() && !bDynamic())
    return nullptr;
  auto nonEmpty =
      scf::IfOp::create(b, loc, cmpi(arith::CmpIPredicate::sgt, lqArg, idx(0)),
                        /*withElseRegion=*/false);
  b.setInsertionPoint(nonEmpty.thenBlock()->getTerminator());
  return nonEmpty;
}

Value KernelBuilder::dynamicSharedMemory() {
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  return gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), wg));
}

void KernelBuilder::build(gpu::GPUFuncOp func) {
  MLIRContext *ctx = b.getContext();
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  bindLengths(entry, bindArguments(entry));
  scf::IfOp nonEmpty = guardEmptyQuery();
  shapeBuffers();

  bindBlockIndices(kGPUQueryTile);

  // Shared memory: Q | K0 K1 | V0 V1, rows padded to D + 8 elements.
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  int64_t rowLen = paddedRow(D);
  int64_t tileBytes = kGPUKeyTile * rowLen * (elt.getIntOrFloatBitWidth() / 8);
  Value smem = dynamicSharedMemory();
  auto view = [&](ArrayRef<int64_t> shape, int64_t offset) -> Value {
    auto ty = MemRefType::get(shape, elt, MemRefLayoutAttrInterface(), wg);
    return memref::ViewOp::create(b, loc, ty, smem, idx(offset), ValueRange{});
  };
  if (wgmma) {
    // wgmma: the swizzled tiles start at the first 1024-byte aligned shared
    // address (the launch adds that much slack), so every swizzle atom is
    // aligned and the descriptors' base-offset field stays 0.
    Value raw = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, smem);
    tilesAddr = arith::AndIOp::create(b, loc, add(raw, kWgmmaTileAlign - 1),
                                      idx(-kWgmmaTileAlign));
    Value shift = arith::SubIOp::create(b, loc, tilesAddr, raw);
    auto ty = MemRefType::get({5 * tileElems()}, elt,
                              MemRefLayoutAttrInterface(), wg);
    tiles = memref::ViewOp::create(b, loc, ty, smem, shift, ValueRange{});
  } else {
    qs = view({kGPUQueryTile, rowLen}, 0);
    ks = view({2, kGPUKeyTile, rowLen}, tileBytes);
    vs = view({2, kGPUKeyTile, rowLen}, 3 * tileBytes);
  }

  // Sequence lengths of this batch row (the static lengths without
  // q_lengths/kv_lengths; kv lengths past Lkv are clamped to it).
  auto lengthOf = [&](Value lengths) -> Value {
    Value e = memref::LoadOp::create(b, loc, lengths, ValueRange{bi});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
  };
  qLen = qLengths ? lengthOf(qLengths) : lqV;
  kvLen = kvLengths ? lengthOf(kvLengths) : lkvV;
  Value kvEnd = kvLengths ? minsi(kvLen, lkvV) : lkvV;

  // Key tiles this query tile needs: [0, kvEnd) intersected with every
  // structured term's interval for the aligned rows of the tile
  // (q' = i + kvLen - qLen).
  Value off = (qLengths || kvLengths || lqDynamic() || lkvDynamic())
                  ? arith::SubIOp::create(b, loc, kvLen, qLen).getResult()
                  : idx(Lkv - Lq);
  Value qLoA = add(q0, off);
  Value qHiA = add(minsi(add(q0, kGPUQueryTile - 1), sub(lqV, 1)), off);
  Value tLo, tHi;
  std::tie(tLo, tHi) = keyTileRange(qLoA, qHiA, kvEnd, kGPUKeyTile,
                                    /*emptyPastQLength=*/true);
  SmallVector<StructuredMaskAttrInterface> terms = op.getMaskTerms();

  // The thread's accumulator rows and columns (mma.m16n8 layout).
  Value rowInWarp = divu(lane, 4);
  Value colInQuad = mul(remu(lane, 4), 2);
  // Aligned query positions of the thread's two rows.
  Value rowA0 = add(add(add(q0, mul(warp, 16)), rowInWarp), off);
  Value rowA[2] = {rowA0, add(rowA0, 8)};
  // Raw rows clamped into [0, Lq) for the reads of score_mod, mask_mod,
  // masks and segment ids (rows past Lq are computed but never stored).
  Value rowRaw0 = add(add(q0, mul(warp, 16)), rowInWarp);
  Value rowRaw[2] = {rowRaw0, add(rowRaw0, 8)};
  Value rowRead[2] = {rowRaw[0], rowRaw[1]};
  if (lqRagged(kGPUQueryTile))
    for (Value &r : rowRead)
      r = minsi(r, sub(lqV, 1));
  constexpr int64_t nS = kGPUKeyTile / 8;

  // Run-time tile classification, decided when a tile would be prefetched
  // (uniform over the block): whether it keeps anything (a tile that keeps
  // nothing is neither copied nor computed) and, for a boolean mask, the
  // thread's 32 mask bits of the tile (bit 4n + r for accumulator register
  // r of key block n) and whether the mask keeps the whole tile.
  //  * Document masks: the segment-id ranges of the query and key tiles.
  //  * Boolean masks: every thread reads the mask of its own scores and the
  //    block ORs/ANDs the results in a reducing barrier.
  Value qSegLo, qSegHi;
  bool classified = qSegIds || boolMask;
  SmallVector<Type> classTypes;
  if (classified)
    classTypes.push_back(b.getI1Type());
  if (boolMask)
    classTypes.append({i32, b.getI1Type()});
  auto classify = [&](Value tile) -> SmallVector<Value> {
    SmallVector<Value> res;
    Value keep;
    if (qSegIds) {
      auto [kvLo, kvHi] =
          segmentRange(kvSegIds, mul(tile, kGPUKeyTile), lkvV);
      keep = arith::AndIOp::create(
          b, loc, cmpi(arith::CmpIPredicate::sle, kvLo, qSegHi),
          cmpi(arith::CmpIPredicate::sle, qSegLo, kvHi));
    }
    Value bits, all;
    if (boolMask) {
      Value kBase = add(mul(tile, kGPUKeyTile), colInQuad);
      Value anyL, allL;
      bits = arith::ConstantIntOp::create(b, loc, i32, 0);
      for (int64_t n = 0; n < nS; ++n) {
        for (int64_t r = 0; r < 4; ++r) {
          Value key = add(kBase, n * 8 + r % 2);
          // Keys past Lkv read the last key and keep nothing.
          Value m = loadMask(rowRead[r / 2], minsi(key, sub(lkvV, 1)));
          m = arith::AndIOp::create(
              b, loc, m, cmpi(arith::CmpIPredicate::slt, key, lkvV));
          anyL = anyL ? arith::OrIOp::create(b, loc, anyL, m).getResult() : m;
          allL = allL ? arith::AndIOp::create(b, loc, allL, m).getResult() : m;
          Value bit = arith::ShLIOp::create(
              b, loc, arith::ExtUIOp::create(b, loc, i32, m),
              arith::ConstantIntOp::create(b, loc, i32, n * 4 + r));
          bits = arith::OrIOp::create(b, loc, bits, bit);
        }
      }
      auto blockReduce = [&](NVVM::BarrierReduction kind, Value pred) {
        Value r = NVVM::BarrierOp::create(
                      b, loc, i32, /*barrierId=*/Value(),
                      /*numberOfThreads=*/Value(),
                      NVVM::BarrierReductionAttr::get(b.getContext(), kind),
                      arith::ExtUIOp::create(b, loc, i32, pred))
                      .getResult(0);
        return cmpi(arith::CmpIPredicate::ne, r,
                    arith::ConstantIntOp::create(b, loc, i32, 0));
      };
      Value anyB = blockReduce(NVVM::BarrierReduction::OR, anyL);
      all = blockReduce(NVVM::BarrierReduction::AND, allL);
      keep = keep ? arith::AndIOp::create(b, loc, keep, anyB).getResult()
                  : anyB;
    }
    if (keep)
      res.push_back(keep);
    if (boolMask)
      res.append({bits, all});
    return res;
  };
  // The classification of `tile` when `cond` holds, else all false (no
  // tile: nothing is read).
  auto classifyIf = [&](Value cond, Value tile) -> SmallVector<Value> {
    auto ifOp = scf::IfOp::create(b, loc, classTypes, cond, /*withElse=*/true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, classify(tile));
    b.setInsertionPointToStart(ifOp.elseBlock());
    SmallVector<Value> none;
    for (Type t : classTypes)
      none.push_back(arith::ConstantIntOp::create(b, loc, t, 0));
    scf::YieldOp::create(b, loc, none);
    return SmallVector<Value>(ifOp.getResults());
  };
  auto ifThen = [&](Value cond, llvm::function_ref<void()> body) {
    scf::IfOp::create(b, loc, cond, [&](OpBuilder &tb, Location) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
      body();
      scf::YieldOp::create(b, loc);
    });
  };

  // Prologue: Q and the first K/V tile in one group.
  Type tokenTy = nvgpu::DeviceAsyncTokenType::get(ctx);
  if (wgmma)
    copyTile(q, lqV, hi, q0, tiles, ValueRange{idx(0)});
  else
    copyTile(q, lqV, hi, q0, qs, ValueRange{});
  // The first tile (reads past Lkv, tLo = tHi at the end, are clamped; a
  // dynamic Lkv may be 0, so then nothing is read unless the range is
  // non-empty).
  Value anyTile = lkvDynamic() ? cmpi(arith::CmpIPredicate::slt, tLo, tHi)
                               : Value();
  SmallVector<Value> classFirst;
  if (classified) {
    if (qSegIds)
      std::tie(qSegLo, qSegHi) = segmentRange(qSegIds, q0, lqV);
    classFirst = anyTile ? classifyIf(anyTile, tLo) : classify(tLo);
    ifThen(classFirst[0], [&] { copyKV(tLo, idx(0)); });
  } else if (anyTile) {
    ifThen(anyTile, [&] { copyKV(tLo, idx(0)); });
  } else {
    copyKV(tLo, idx(0));
  }
  Value g0 =
      nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenTy, ValueRange{});
  nvgpu::DeviceAsyncWaitOp::create(b, loc, g0, b.getI32IntegerAttr(0));
  asyncProxyFence();
  gpu::BarrierOp::create(b, loc);

  // Q fragments of this warp's 16 rows, kept in registers: a[ks][0..3].
  Value lane16 = remu(lane, 16), laneHi = divu(lane, 16);
  Value lane8 = remu(lane, 8), lane8Hi = divu(lane, 8);
  Value qRow = add(mul(warp, 16), lane16);
  SmallVector<SmallVector<Value, 4>> qFrag;
  for (int64_t kstep = 0; kstep < (wgmma ? 0 : D / 16); ++kstep) {
    Value f = ldmatrix(qs, {qRow, add(mul(laneHi, 8), kstep * 16)}, false);
    SmallVector<Value, 4> regs;
    for (int64_t r = 0; r < 4; ++r)
      regs.push_back(mmaOperand(f, r));
    qFrag.push_back(regs);
  }

  // Loop state: O accumulators (D/8 blocks of 4 f32), then m and l for the
  // two rows of the thread.
  int64_t nOut = D / 8;
  Value zero = f32c(0.0),
        negInf = f32c(-std::numeric_limits<double>::infinity());
  SmallVector<Value> init(nOut * 4, zero);
  if (sinks) {
    // The sink joins the row as a logit of weight 0 in O: m starts at it
    // and l at exp2(0) = 1 in one lane of the quad (l is quad-summed at the
    // end), 0 for a -inf sink.
    Value sinkL2 = arith::MulFOp::create(
        b, loc, castToF32(b, loc, memref::LoadOp::create(b, loc, sinks, hi)),
        f32c(M_LOG2E));
    Value isNegInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           sinkL2, negInf);
    Value first = cmpi(arith::CmpIPredicate::eq, remu(lane, 4), idx(0));
    Value one = arith::SelectOp::create(b, loc, isNegInf, zero, f32c(1.0));
    Value l0 = arith::SelectOp::create(b, loc, first, one, zero);
    init.append({sinkL2, sinkL2, l0, l0});
  } else {
    Value m0 = normInitMax();
    init.append({m0, m0, zero, zero});
  }

  Value qSeg[2];
  if (qSegIds) {
    for (int64_t h = 0; h < 2; ++h)
      qSeg[h] =
          memref::LoadOp::create(b, loc, qSegIds, ValueRange{bi, rowRead[h]});
  }
  // The loop carries its current tile's classification.
  init.append(classFirst);

  // wgmma descriptors of Q and of both K and V buffers.
  Value qDesc, kDesc[2], vDesc[2];
  if (wgmma) {
    int64_t tileBytes = tileElems() * (elt.getIntOrFloatBitWidth() / 8);
    qDesc = descriptor(tilesAddr, /*kMajor=*/true);
    for (int64_t i = 0; i < 2; ++i) {
      kDesc[i] = descriptor(add(tilesAddr, (1 + i) * tileBytes), true);
      vDesc[i] = descriptor(add(tilesAddr, (3 + i) * tileBytes), false);
    }
  }

  auto loop = scf::ForOp::create(b, loc, tLo, tHi, idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs().take_front(nOut * 4));
    Value mOld[2] = {loop.getRegionIterArgs()[nOut * 4],
                     loop.getRegionIterArgs()[nOut * 4 + 1]};
    Value lOld[2] = {loop.getRegionIterArgs()[nOut * 4 + 2],
                     loop.getRegionIterArgs()[nOut * 4 + 3]};
    Value buf = remu(arith::SubIOp::create(b, loc, t, tLo), 2);

    // Prefetch tile t + 1 into the other buffer (unless a document mask
    // skips it); commit (possibly empty) and wait until only that group may
    // be pending.
    Value next = add(t, 1);
    Value hasNext = cmpi(arith::CmpIPredicate::slt, next, tHi);
    Value keepNext;
    SmallVector<Value> classNext;
    if (classified) {
      classNext = classifyIf(hasNext, next);
      keepNext = classNext[0];
    }
    // This tile's classification.
    ValueRange classCur =
        loop.getRegionIterArgs().take_back(classTypes.size());
    Value maskBits = boolMask ? classCur[1] : Value();
    Value maskAll = boolMask ? classCur[2] : Value();
    ifThen(keepNext ? keepNext : hasNext, [&] {
      copyKV(next, arith::SubIOp::create(b, loc, idx(1), buf));
    });
    Value grp =
        nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenTy, ValueRange{});
    nvgpu::DeviceAsyncWaitOp::create(b, loc, grp, b.getI32IntegerAttr(1));
    asyncProxyFence();
    gpu::BarrierOp::create(b, loc);

    Value k0 = mul(t, kGPUKeyTile);
    // The tile's work: S, masks, online softmax, P.V; returns the new loop
    // state (acc..., m0, m1, l0, l1).
    auto tileBody = [&]() -> SmallVector<Value> {
      // S = Q . K^T: s[n][0..3] for the 8 key blocks of 8.
      SmallVector<SmallVector<Value, 4>> s(nS, SmallVector<Value, 4>(4, zero));
      if (wgmma) {
        Value first = cmpi(arith::CmpIPredicate::eq, buf, idx(0));
        Value kd = arith::SelectOp::create(b, loc, first, kDesc[0], kDesc[1]);
        SmallVector<Value> flat = wgmmaScores(qDesc, kd);
        for (int64_t n = 0; n < nS; ++n)
          for (int64_t r = 0; r < 4; ++r)
            s[n][r] = flat[4 * n + r];
      }
      for (int64_t n = 0; n < (wgmma ? 0 : nS); ++n) {
        for (int64_t kp = 0; kp < D / 32; ++kp) {
          Value f = ldmatrix(
              ks, {buf, add(lane8, n * 8), add(mul(lane8Hi, 8), kp * 32)},
              false);
          Value b0[2] = {mmaOperand(f, 0), mmaOperand(f, 1)};
          Value b1[2] = {mmaOperand(f, 2), mmaOperand(f, 3)};
          mma(qFrag[2 * kp], b0, s[n]);
          mma(qFrag[2 * kp + 1], b1, s[n]);
        }
      }
      Value kBase = add(k0, colInQuad);
      // Key of accumulator register r of block n, and the same clamped into
      // [0, Lkv) for reads.
      auto keyOf = [&](int64_t n, int64_t r) {
        return add(kBase, n * 8 + r % 2);
      };
      auto keyRead = [&](Value key) {
        return lkvRagged(kGPUKeyTile) ? minsi(key, sub(lkvV, 1)) : key;
      };
      if (!modScore && !alwaysPartial) {
        Value scale = f32c(scaleLog2);
        for (auto &blk : s)
          for (Value &x : blk)
            x = arith::MulFOp::create(b, loc, x, scale);
      } else if (!alwaysPartial) {
        // Score modifiers apply to every tile, full ones included.
        for (int64_t n = 0; n < nS; ++n)
          for (int64_t r = 0; r < 4; ++r)
            s[n][r] = score(s[n][r], rowRead[r / 2], keyRead(keyOf(n, r)),
                            Value(), Value());
      }

      // The masked scores of the tile (and, with alwaysPartial, the whole
      // score semantics, segment ids and mask_mod included).
      auto maskedScores = [&]() {
        SmallVector<Value> masked;
        Value kvSeg[nS][2];
        if (qSegIds)
          for (int64_t n = 0; n < nS; ++n)
            for (int64_t e = 0; e < 2; ++e)
              kvSeg[n][e] = memref::LoadOp::create(
                  b, loc, kvSegIds, ValueRange{bi, keyRead(keyOf(n, e))});
        for (int64_t n = 0; n < nS; ++n) {
          for (int64_t r = 0; r < 4; ++r) {
            Value key = keyOf(n, r);
            Value val = s[n][r];
            if (alwaysPartial)
              val = score(val, rowRead[r / 2], keyRead(key),
                          qSegIds ? qSeg[r / 2] : Value(),
                          qSegIds ? kvSeg[n][r % 2] : Value(),
                          mask && !boolMask
                              ? loadMask(rowRead[r / 2], keyRead(key))
                              : Value());
            // Keys past Lkv exist only when Lkv is not a multiple of 64;
            // with lengths, keys past kv_lengths and rows past q_lengths.
            Value keep;
            if (boolMask) {
              // The mask bit read when the tile was classified.
              Value bit = arith::AndIOp::create(
                  b, loc,
                  arith::ShRUIOp::create(
                      b, loc, maskBits,
                      arith::ConstantIntOp::create(b, loc, i32, n * 4 + r)),
                  arith::ConstantIntOp::create(b, loc, i32, 1));
              keep = cmpi(arith::CmpIPredicate::ne, bit,
                          arith::ConstantIntOp::create(b, loc, i32, 0));
            }
            auto andKeep = [&](Value c) {
              keep = keep ? arith::AndIOp::create(b, loc, keep, c).getResult()
                          : c;
            };
            if (lkvRagged(kGPUKeyTile) || kvLengths)
              andKeep(cmpi(arith::CmpIPredicate::slt, key, kvEnd));
            if (qLengths)
              andKeep(cmpi(arith::CmpIPredicate::slt, rowRaw[r / 2], qLen));
            for (StructuredMaskAttrInterface term : terms)
              andKeep(term.buildPredicate(b, loc, rowA[r / 2], key));
            masked.push_back(
                keep ? arith::SelectOp::create(b, loc, keep, val, negInf)
                           .getResult()
                     : val);
          }
        }
        return masked;
      };

      // Masks only on tiles not proven full.
      if (alwaysPartial) {
        SmallVector<Value> masked = maskedScores();
        for (int64_t n = 0; n < nS; ++n)
          for (int64_t r = 0; r < 4; ++r)
            s[n][r] = masked[n * 4 + r];
      } else {
        Value full =
            cmpi(arith::CmpIPredicate::sle, add(k0, kGPUKeyTile), kvEnd);
        if (qLengths)
          full = arith::AndIOp::create(
              b, loc, full,
              cmpi(arith::CmpIPredicate::sle, add(q0, kGPUQueryTile), qLen));
        if (boolMask)
          full = arith::AndIOp::create(b, loc, full, maskAll);
        for (StructuredMaskAttrInterface term : terms)
          full = arith::AndIOp::create(
              b, loc, full,
              term.buildTileIsFull(b, loc, qLoA, qHiA, k0,
                                   add(k0, kGPUKeyTile - 1)));
        SmallVector<Type> sTypes(nS * 4, f32);
        SmallVector<Value> flat;
        for (auto &blk : s)
          flat.append(blk.begin(), blk.end());
        auto ifFull = scf::IfOp::create(
            b, loc, full,
            [&](OpBuilder &tb, Location tl) {
              scf::YieldOp::create(tb, tl, flat);
            },
            [&](OpBuilder &eb, Location el) {
              OpBuilder::InsertionGuard g(b);
              b.setInsertionPoint(eb.getInsertionBlock(),
                                  eb.getInsertionPoint());
              scf::YieldOp::create(b, loc, maskedScores());
            });
        for (int64_t n = 0; n < nS; ++n)
          for (int64_t r = 0; r < 4; ++r)
            s[n][r] = ifFull.getResult(n * 4 + r);
      }

      // Online normalisation (softmax, softpick; sigmoid has no state),
      // per thread row h (registers 2h, 2h + 1 of a block).
      SmallVector<Value> yields(nOut * 4);
      Value mNew[2], lNew[2];
      for (int64_t h = 0; h < 2; ++h) {
        Value mx;
        if (norm != Normalizer::sigmoid) {
          mx = negInf;
          for (int64_t n = 0; n < nS; ++n)
            mx = fmax(mx, fmax(s[n][2 * h], s[n][2 * h + 1]));
          mx = fmax(mx, shuffleXor(mx, 1));
          mx = fmax(mx, shuffleXor(mx, 2));
        }
        RowRescale rr = normRescale(mOld[h], mx);
        mNew[h] = rr.m;
        Value sum = zero;
        for (int64_t n = 0; n < nS; ++n) {
          for (int64_t e = 0; e < 2; ++e) {
            Value &x = s[n][2 * h + e];
            auto [weight, term] = normWeight(x, rr);
            x = weight;
            if (term)
              sum = arith::AddFOp::create(b, loc, sum, term);
          }
        }
        lNew[h] = lOld[h];
        if (!rr.alpha)
          continue;
        lNew[h] = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, lOld[h], rr.alpha), sum);
        for (int64_t n = 0; n < nOut; ++n)
          for (int64_t e = 0; e < 2; ++e) {
            Value &a = acc[n * 4 + 2 * h + e];
            a = arith::MulFOp::create(b, loc, a, rr.alpha);
          }
      }

      // P as A operands: k-step j covers key blocks 2j and 2j + 1.
      SmallVector<SmallVector<Value, 4>> pFrag;
      for (int64_t j = 0; j < nS / 2; ++j) {
        pFrag.push_back({packPair(s[2 * j][0], s[2 * j][1]),
                         packPair(s[2 * j][2], s[2 * j][3]),
                         packPair(s[2 * j + 1][0], s[2 * j + 1][1]),
                         packPair(s[2 * j + 1][2], s[2 * j + 1][3])});
      }

      // O += P . V; V fragments through ldmatrix.trans (mma.sync) or V by
      // an N-major descriptor (wgmma).
      if (wgmma) {
        Value first = cmpi(arith::CmpIPredicate::eq, buf, idx(0));
        Value vd = arith::SelectOp::create(b, loc, first, vDesc[0], vDesc[1]);
        wgmmaPV(pFrag, vd, acc);
      }
      for (int64_t n2 = 0; n2 < (wgmma ? 0 : D / 16); ++n2) {
        for (int64_t j = 0; j < nS / 2; ++j) {
          Value row = add(add(lane8, mul(remu(lane8Hi, 2), 8)), j * 16);
          Value f =
              ldmatrix(vs, {buf, row, add(mul(laneHi, 8), n2 * 16)}, true);
          Value b0[2] = {mmaOperand(f, 0), mmaOperand(f, 1)};
          Value b1[2] = {mmaOperand(f, 2), mmaOperand(f, 3)};
          mma(pFrag[j], b0, MutableArrayRef<Value>(acc).slice(2 * n2 * 4, 4));
          mma(pFrag[j], b1,
              MutableArrayRef<Value>(acc).slice((2 * n2 + 1) * 4, 4));
        }
      }
      for (int64_t i = 0; i < nOut * 4; ++i)
        yields[i] = acc[i];
      yields.append({mNew[0], mNew[1], lNew[0], lNew[1]});
      return yields;
    };

    SmallVector<Value> state;
    if (classified) {
      // A key tile that keeps nothing (document or boolean mask) is skipped
      // (decided when it was prefetched; uniform over the block, so the
      // barriers stay outside).
      ValueRange old =
          loop.getRegionIterArgs().drop_back(classTypes.size());
      Value meets = classCur[0];
      auto ifMeets =
          scf::IfOp::create(b, loc, TypeRange(old), meets, /*withElse=*/true);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifMeets.thenBlock());
        scf::YieldOp::create(b, loc, tileBody());
        b.setInsertionPointToStart(ifMeets.elseBlock());
        scf::YieldOp::create(b, loc, old);
      }
      state.assign(ifMeets.getResults().begin(), ifMeets.getResults().end());
      state.append(classNext);
    } else {
      state = tileBody();
    }
    // The next iteration prefetches into the buffer just read.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, state);
  }

  // Epilogue: the quad's partial sums, O / l (0 for empty rows), store.
  ValueRange res = loop.getResults();
  for (int64_t h = 0; h < 2; ++h) {
    Value l = res[nOut * 4 + 2 + h];
    if (norm != Normalizer::sigmoid) {
      l = arith::AddFOp::create(b, loc, l, shuffleXor(l, 1));
      l = arith::AddFOp::create(b, loc, l, shuffleXor(l, 2));
    }
    Value inv = normInverse(l, res[nOut * 4 + h]);
    Value row = add(add(add(q0, mul(warp, 16)), rowInWarp), h * 8);
    auto store = [&](OpBuilder &, Location) {
      for (int64_t n = 0; n < nOut; ++n) {
        Value x0 = arith::MulFOp::create(b, loc, res[n * 4 + 2 * h], inv);
        Value x1 = arith::MulFOp::create(b, loc, res[n * 4 + 2 * h + 1], inv);
        Value pair = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, f32), ValueRange{x0, x1});
        if (outElt != f32)
          pair = arith::TruncFOp::create(b, loc, VectorType::get({2}, outElt),
                                         pair);
        vector::StoreOp::create(b, loc, pair, o,
                                ValueRange{bi, hi, row, add(colInQuad, n * 8)});
      }
      if (withLse) {
        Value m = res[nOut * 4 + h];
        Value isEmpty =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, negInf);
        Value mUse = arith::SelectOp::create(b, loc, isEmpty, zero, m);
        // lse = ln 2 * (m + log2 l), in natural-log units.
        Value lse2 = arith::AddFOp::create(b, loc, mUse, log2(l));
        Value val = arith::MulFOp::create(b, loc, lse2, f32c(M_LN2));
        Value first = cmpi(arith::CmpIPredicate::eq, remu(lane, 4), idx(0));
        scf::IfOp::create(b, loc, first, [&](OpBuilder &tb, Location) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
          memref::StoreOp::create(b, loc, val, lse, ValueRange{bi, hi, row});
          scf::YieldOp::create(b, loc);
        });
      }
    };
    if (!lqRagged(kGPUQueryTile)) {
      store(b, loc);
    } else {
      Value inRange = cmpi(arith::CmpIPredicate::slt, row, lqV);
      scf::IfOp::create(b, loc, inRange, [&](OpBuilder &tb, Location tl) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
        store(b, tl);
        scf::YieldOp::create(b, loc);
      });
    }
  }
  if (nonEmpty)
    b.setInsertionPointAfter(nonEmpty);
  gpu::ReturnOp::create(b, loc);
}

void KernelBuilder::finalizeInlined(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  for (Value c : getGPUCapturedValues(op)) {
    Value inKernel = capturedArgs.lookupOrNull(c);
    if (!inKernel) {
      b.setInsertionPointToStart(&entry);
      inKernel = b.clone(*c.getDefiningOp())->getResult(0);
    }
    for (OpOperand &use : llvm::make_early_inc_range(c.getUses())) {
      Operation *user = use.getOwner();
      if (!func->isProperAncestor(user))
        continue;
      auto extract = dyn_cast<tensor::ExtractOp>(user);
      if (!extract || !isa<MemRefType>(inKernel.getType())) {
        use.set(inKernel);
        continue;
      }
      b.setInsertionPoint(extract);
      Value load = memref::LoadOp::create(b, extract.getLoc(), inKernel,
                                          extract.getIndices());
      extract.getResult().replaceAllUsesWith(load);
      extract.erase();
    }
  }
  // The other math functions of the regions (f32, checked by
  // checkGPUKernelSupport) as PTX: exp and log through ex2/lg2 with the
  // base change, sqrt correctly rounded, rsqrt approximate, |x| as
  // max(x, -x).
  SmallVector<Operation *> mathOps;
  func.walk([&](Operation *m) {
    if (isa<math::ExpOp, math::Exp2Op, math::LogOp, math::Log2Op,
            math::SqrtOp, math::RsqrtOp, math::AbsFOp>(m))
      mathOps.push_back(m);
  });
  for (Operation *m : mathOps) {
    b.setInsertionPoint(m);
    Value x = m->getOperand(0), r;
    if (isa<math::ExpOp>(m))
      r = exp2(arith::MulFOp::create(b, loc, x, f32c(M_LOG2E)));
    else if (isa<math::Exp2Op>(m))
      r = exp2(x);
    else if (isa<math::LogOp>(m))
      r = arith::MulFOp::create(b, loc, log2(x), f32c(M_LN2));
    else if (isa<math::Log2Op>(m))
      r = log2(x);
    else if (isa<math::SqrtOp>(m))
      r = unaryPtx("sqrt.rn.f32 $0, $1;", x);
    else if (isa<math::RsqrtOp>(m))
      r = unaryPtx("rsqrt.approx.ftz.f32 $0, $1;", x);
    else
      r = fmax(x, arith::NegFOp::create(b, loc, x));
    m->getResult(0).replaceAllUsesWith(r);
    m->erase();
  }

  SmallVector<math::TanhOp> tanhs;
  func.walk([&](math::TanhOp t) { tanhs.push_back(t); });
  for (math::TanhOp t : tanhs) {
    b.setInsertionPoint(t);
    // tanh(x / c) (softcap): the division by the constant folds into the
    // exponent's factor; 2^y = inf gives 1, 2^y = 0 gives -1.
    Value x = t.getOperand();
    double factor = 2.0 * M_LOG2E;
    auto div = x.getDefiningOp<arith::DivFOp>();
    FloatAttr cap;
    if (div && matchPattern(div.getRhs(), m_Constant(&cap))) {
      x = div.getLhs();
      factor /= cap.getValueAsDouble();
    }
    Value e = exp2(arith::MulFOp::create(b, loc, x, f32c(factor)));
    Value r = unaryPtx("rcp.approx.ftz.f32 $0, $1;",
                       arith::AddFOp::create(b, loc, e, f32c(1.0)));
    Value tanh = arith::SubFOp::create(
        b, loc, f32c(1.0), arith::MulFOp::create(b, loc, f32c(2.0), r));
    t.getResult().replaceAllUsesWith(tanh);
    t.erase();
    if (div && div->use_empty())
      div.erase();
  }
}

void mlir::attn::lowerAttentionToGPU(RewriterBase &rewriter, AttentionOp op,
                                     gpu::GPUModuleOp kernels, StringRef name,
                                     GPUMmaKind kind) {
  Location loc = op.getLoc();
  auto memrefOf = [](Value t) {
    auto tt = cast<RankedTensorType>(t.getType());
    return MemRefType::get(tt.getShape(), tt.getElementType());
  };
  // Operands and results in kernel-argument order: Q, K, V, the results,
  // then read-only inputs (mask, lengths, segment ids, sinks, captured
  // tensors of score_mod/mask_mod).
  SmallVector<Value> tensors = {op.getQuery(), op.getKey(), op.getValue(),
                                op.getOutput()};
  if (op.getLse())
    tensors.push_back(op.getLse());
  unsigned numOuts = tensors.size() - 3;
  for (Value t : {op.getMask(), op.getQLengths(), op.getKvLengths()})
    if (t)
      tensors.push_back(t);
  if (op.getQSegmentIds())
    tensors.append({op.getQSegmentIds(), op.getKvSegmentIds()});
  if (op.getSinks())
    tensors.push_back(op.getSinks());
  for (Value c : getGPUCapturedValues(op))
    if (!isClonedCapture(c))
      tensors.push_back(c);
  // Host buffer types; the kernel takes the same static memrefs (bare
  // pointers), or, with a dynamic B, Lq or Lkv (either kernel), a flat
  // memref<1 x elt> handle per dynamically shaped buffer followed by Lq and
  // Lkv as index arguments.
  SmallVector<Type> hostTypes, argTypes;
  bool dynamic = hasDynamicShapes(op);
  for (Value t : tensors) {
    MemRefType ty = memrefOf(t);
    hostTypes.push_back(ty);
    argTypes.push_back(ty.hasStaticShape()
                           ? ty
                           : MemRefType::get({1}, ty.getElementType()));
  }
  if (dynamic)
    argTypes.append(2, rewriter.getIndexType());

  // The kernel.
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToEnd(kernels.getBody());
  auto func = gpu::GPUFuncOp::create(rewriter, loc, name,
                                     rewriter.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                rewriter.getUnitAttr());
  func.setKnownBlockSizeAttr(
      rewriter.getDenseI32ArrayAttr({kGPUBlockThreads, 1, 1}));
  SymbolTable(kernels).insert(func);
  if (usesGPUTensorCoreKernel(op)) {
    KernelBuilder kb(op, rewriter, loc, kind);
    kb.build(func);
    kb.finalizeInlined(func);
  } else {
    GeneralKernelBuilder kb(op, rewriter, loc);
    kb.build(func);
    kb.finalizeInlined(func);
  }

  // The launch.
  rewriter.setInsertionPoint(op);
  auto c = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };
  RankedTensorType qT = op.getQueryType();
  auto size = [&](Value t, int64_t dim) -> Value {
    int64_t n = cast<RankedTensorType>(t.getType()).getDimSize(dim);
    if (!ShapedType::isDynamic(n))
      return c(n);
    return tensor::DimOp::create(rewriter, loc, t, dim);
  };
  Value batch = size(op.getQuery(), 0);
  Value lq, lkv;
  if (dynamic) {
    lq = size(op.getQuery(), 2);
    lkv = size(op.getKey(), 2);
  }
  /// The kernel argument of buffer `buf` (index i of `tensors`).
  auto kernelArg = [&](unsigned i, Value buf) -> Value {
    if (argTypes[i] == hostTypes[i])
      return buf;
    return memref::ReinterpretCastOp::create(
        rewriter, loc, cast<MemRefType>(argTypes[i]), buf, /*offset=*/0,
        /*sizes=*/ArrayRef<int64_t>{1}, /*strides=*/ArrayRef<int64_t>{1});
  };
  SmallVector<Value> args(tensors.size());
  for (unsigned i = 0; i < tensors.size(); ++i) {
    if (i >= 3 && i < 3 + numOuts)
      continue;
    Value buf = bufferization::ToBufferOp::create(
        rewriter, loc, hostTypes[i], tensors[i], rewriter.getUnitAttr());
    args[i] = kernelArg(i, buf);
  }
  // One stream per launch: allocate the results, launch, synchronise.
  Type tokenTy = gpu::AsyncTokenType::get(rewriter.getContext());
  Value token =
      gpu::WaitOp::create(rewriter, loc, tokenTy, ValueRange{}).getAsyncToken();
  SmallVector<Value> outs;
  for (unsigned i = 3; i < 3 + numOuts; ++i) {
    auto ty = cast<MemRefType>(hostTypes[i]);
    // Results may be dynamic in B and Lq.
    SmallVector<ProblemDim> dims = getProblemDims(op, tensors[i]);
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < ty.getRank(); ++d)
      if (ty.isDynamicDim(d))
        sizes.push_back(dims[d] == ProblemDim::Batch ? batch : lq);
    auto alloc =
        gpu::AllocOp::create(rewriter, loc, ty, tokenTy, ValueRange{token},
                             sizes, ValueRange{}, UnitAttr());
    token = alloc.getAsyncToken();
    outs.push_back(alloc.getMemref());
    args[i] = kernelArg(i, alloc.getMemref());
  }
  if (dynamic) {
    // An empty batch launches one block column too; Lq = 0 then makes the
    // kernel do nothing.
    Value lqArg = lq;
    if (ShapedType::isDynamic(qT.getDimSize(0)))
      lqArg = arith::SelectOp::create(
          rewriter, loc,
          arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                batch, c(0)),
          c(0), lq);
    args.append({lqArg, lkv});
  }
  int64_t rows = getGPUKernelQueryTile(op);
  // A dynamic Lq of 0 still launches one block (the kernel then does
  // nothing): a grid of 0 blocks is a launch error.
  Value gridX =
      ShapedType::isDynamic(qT.getDimSize(2))
          ? arith::MaxUIOp::create(
                rewriter, loc,
                arith::CeilDivUIOp::create(rewriter, loc, lq, c(rows)), c(1))
                .getResult()
          : c(llvm::divideCeil(qT.getDimSize(2), rows));
  Value gridZ = ShapedType::isDynamic(qT.getDimSize(0))
                    ? arith::MaxUIOp::create(rewriter, loc, batch, c(1))
                          .getResult()
                    : batch;
  gpu::KernelDim3 grid{gridX, c(qT.getDimSize(1)), gridZ};
  gpu::KernelDim3 block{c(kGPUBlockThreads), c(1), c(1)};
  Value smemBytes =
      arith::ConstantIntOp::create(rewriter, loc, rewriter.getI32Type(),
                                   getGPUKernelSharedMemoryBytes(op, kind));
  auto launch =
      gpu::LaunchFuncOp::create(rewriter, loc, func, grid, block, smemBytes,
                                args, tokenTy, ValueRange{token});
  gpu::WaitOp::create(rewriter, loc, Type(),
                      ValueRange{launch.getAsyncToken()});
  SmallVector<Value> results;
  for (auto [buf, res] : llvm::zip(outs, op->getResults()))
    results.push_back(bufferization::ToTensorOp::create(
        rewriter, loc, res.getType(), buf, rewriter.getUnitAttr(),
        rewriter.getUnitAttr()));
  rewriter.replaceOp(op, results);
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct ConvertAttnToGPUPass final
    : attn::impl::ConvertAttnToGPUPassBase<ConvertAttnToGPUPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void ConvertAttnToGPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (!parseGPUChip(chip)) {
    module.emitError("unknown GPU chip '")
        << chip << "' (expected sm_80 or a later sm_XY[a|f] that LLVM knows)";
    return signalPassFailure();
  }
  std::optional<GPUMmaKind> kind = parseGPUMmaKind(mma, chip);
  if (!kind) {
    module.emitError("unknown mma kind '")
        << mma << "' (expected auto, sync or wgmma)";
    return signalPassFailure();
  }
  SmallVector<AttentionOp> ops;
  module.walk([&](AttentionOp op) { ops.push_back(op); });
  if (ops.empty())
    return;
  bool failed = false;
  for (AttentionOp op : ops) {
    failed |= mlir::failed(checkGPUKernelSupport(op));
    if (*kind == GPUMmaKind::Wgmma && !gpuChipHasWgmma(chip)) {
      op.emitOpError("cannot use wgmma on chip '")
          << chip << "': warpgroup MMA needs the arch-specific target sm_90a";
      failed = true;
    }
  }
  if (failed)
    return signalPassFailure();

  IRRewriter rewriter(&getContext());
  rewriter.setInsertionPointToEnd(module.getBody());
  SymbolTable symbols(module);
  auto kernels =
      dyn_cast_or_null<gpu::GPUModuleOp>(symbols.lookup("attn_kernels"));
  if (!kernels) {
    kernels =
        gpu::GPUModuleOp::create(rewriter, module.getLoc(), "attn_kernels");
    symbols.insert(kernels);
  }
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  rewriter.getUnitAttr());
  llvm::StringMap<unsigned> counts;
  for (AttentionOp op : ops) {
    auto parent = op->getParentOfType<FunctionOpInterface>();
    std::string base =
        (parent ? parent.getName().str() : std::string("attention")) + "_attn";
    std::string name = base + "_" + std::to_string(counts[base]++);
    lowerAttentionToGPU(rewriter, op, kernels, name, *kind);
  }
}
