//===- KernelBuilder.h - Shared pieces of the GPU kernels -------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to the AttnToGPU conversion: the kernel builder both kernels
// derive from (TensorCoreKernel.h, GeneralKernel.h): problem sizes, kernel
// arguments and dynamic shapes, index and float helpers, PTX
// approximations, shuffles, the key-tile range (KeyRange.h), the shared
// score semantics (buildScore) and the normaliser hooks. Defined in
// KernelBuilder.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H

#include "KernelSupport.h"

#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir {
namespace attn {
namespace gpukernel {

/// Builds the body of one attention kernel.
struct KernelBuilder {
  AttentionOp op;
  /// Every op is created, and every IR change made, through the rewriter
  /// the conversion was given.
  RewriterBase &b;
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
  /// The key tiles of the block: [tLo, tHi).
  Value tLo, tHi;
  Value qs, ks, vs;

  Type f32, i32, i64;

  KernelBuilder(AttentionOp op, RewriterBase &b, Location loc)
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
  }

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
  // Normalisers (docs/semantics.md): NormalizerAlgebra.h in its base-2 form
  // (scores x = s * log2(e), exp2 as ex2.approx by finalizeInlined, the
  // sigmoid weight's reciprocal as rcp.approx), per row: a running maximum
  // m and a denominator l summed per lane; masked scores are -inf.
  //===--------------------------------------------------------------------===//

  /// The form the kernels hold states in.
  NormalizerForm normForm();

  /// The row's running maximum before any key (getIdentityMax).
  Value normInitMax();

  /// The state update of a row whose tile maximum (over the row, reduced
  /// across lanes) is `tileMax`.
  struct RowRescale {
    /// New running maximum; the shift the weights use (0 for an empty
    /// row); the factor on the old O and l (null: none, sigmoid); 2^-shift
    /// (softpick only).
    Value m, mUse, alpha, expNegM;
  };
  RowRescale normRescale(Value mOld, Value tileMax);

  /// (weight of the key in O, its term of l; null for sigmoid) for base-2
  /// score x.
  std::pair<Value, Value> normWeight(Value x, const RowRescale &r);

  /// The factor on a row's O at the end, from its denominator `l` (summed
  /// over the row's lanes) and running maximum `m`.
  Value normInverse(Value l, Value m);

  /// The natural log-sum-exp of a row (softmax) from `l` and `m`.
  Value normLogSumExp(Value l, Value m);

  /// The initial (m, l) of a row with sink logit `sinkLogit` (natural
  /// units): m = sink * log2(e), and l = 1 (0 for a -inf sink) in the lane
  /// where `first` holds, 0 in the others (l is summed over lanes).
  std::pair<Value, Value> normSinkState(Value sinkLogit, Value first);

  Value shuffleXor(Value x, int32_t offset) {
    return gpu::ShuffleOp::create(b, loc, x, offset, 32, gpu::ShuffleMode::XOR)
        .getShuffleResult();
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
  /// The captures of finalizeInlined.
  void finalizeCaptures(gpu::GPUFuncOp func);
  /// The f32 math functions other than tanh of finalizeInlined.
  void finalizeMath(gpu::GPUFuncOp func);
  /// The math.tanh of finalizeInlined.
  void finalizeTanh(gpu::GPUFuncOp func);

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
                                       int64_t keyTile, bool emptyPastQLength);

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

  /// Builds the kernel into the empty body of `func`, the frame both
  /// kernels share: arguments and lengths, the empty-query guard, shapes,
  /// block indices for `rowsPerBlock` query rows, then the stages of the
  /// kernel (buildPrologue, the loop over the key tiles [tLo, tHi) with
  /// buildKeyLoop, buildEpilogue on its results) and the gpu.return.
  void buildKernel(gpu::GPUFuncOp func, int64_t rowsPerBlock);
  /// Everything before the key loop; sets tLo and tHi and returns the
  /// loop's initial state.
  virtual SmallVector<Value> buildPrologue() = 0;
  /// The body of the loop over key tiles.
  virtual void buildKeyLoop(scf::ForOp loop) = 0;
  /// Everything after it, on the loop's results.
  virtual void buildEpilogue(ValueRange res) = 0;

  virtual ~KernelBuilder() = default;
};

} // namespace gpukernel
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_KERNELBUILDER_H
