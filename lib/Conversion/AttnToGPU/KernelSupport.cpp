//===- KernelSupport.cpp - What the GPU kernels take, and how ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The support checks of convert-attn-to-gpu (which ops a kernel computes and
// which one), the mma kind and chip options, the launch configuration of
// each kernel, and the mapping of operand dims onto the problem sizes. No
// IR is built here: the kernel builders and the host launch call these.
//
//===----------------------------------------------------------------------===//

#include "KernelSupport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/RegionUtils.h"

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
  // Dynamic Lq/Lkv are kernel arguments of either kernel
  // (checkGPUKernelSupport allows no other dynamic dim).
  return usesGPUTensorCoreKernelFor(elt.isF16() || elt.isBF16(),
                                    qT.getDimSize(3), vT.getDimSize(3));
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

/// The diagnostic of an op neither kernel computes: "cannot be lowered to
/// the GPU kernel: <what>", to which callers stream the details.
static InFlightDiagnostic unsupported(AttentionOp op, StringRef what) {
  return op.emitOpError("cannot be lowered to the GPU kernel: ") << what;
}

/// Element types of the operands and results.
static LogicalResult checkElementTypes(AttentionOp op) {
  RankedTensorType qT = op.getQueryType(), kT = op.getKeyType(),
                   vT = op.getValueType(), oT = op.getOutputType();
  Type elt = qT.getElementType();
  if (!elt.isF16() && !elt.isBF16() && !elt.isF32())
    return unsupported(op, "only f16, bf16 and f32 inputs are supported, got ")
           << elt;
  if (kT.getElementType() != elt || vT.getElementType() != elt)
    return unsupported(op, "query, key and value must share an element type");
  Type outElt = oT.getElementType();
  if (!outElt.isF16() && !outElt.isBF16() && !outElt.isF32())
    return unsupported(op,
                       "the output element type must be f16, bf16 or f32, got ")
           << outElt;
  for (Value t : {op.getMask(), op.getSinks()}) {
    if (!t)
      continue;
    Type tElt = getElementTypeOrSelf(t.getType());
    if (!isGPUScalarType(tElt))
      return unsupported(op, "mask and sink element types must be i1, f16, "
                             "bf16, f32 or f64, got ")
             << tElt;
  }
  return success();
}

/// Shapes: B, Lq and Lkv may be dynamic (Lq and Lkv passed as kernel
/// arguments, the grid computed on the host); heads and head dims may not,
/// no size may be 0, and head dims are at most kGPUGeneralMaxHeadDim.
static LogicalResult checkShapes(AttentionOp op) {
  for (Value t : getKernelTensors(op)) {
    auto tt = cast<RankedTensorType>(t.getType());
    // The kernels index the first element of each head dim and key tile.
    if (llvm::is_contained(tt.getShape(), 0))
      return unsupported(op, "zero-sized dimensions are not supported, got ")
             << tt;
    for (auto [size, dim] : llvm::zip(tt.getShape(), getProblemDims(op, t)))
      if (ShapedType::isDynamic(size) && dim == ProblemDim::None)
        return unsupported(op, "only the batch size and the query and key "
                               "lengths may be dynamic, got ")
               << tt;
  }
  // The general kernel keeps ceil(D / 32) f32 values of Q and of O per row
  // and lane in registers (4 rows per warp): 256 is the largest head dim
  // ptxas was shown to assemble without spills.
  int64_t dqk = op.getQueryType().getDimSize(3);
  int64_t dv = op.getValueType().getDimSize(3);
  if (dqk > kGPUGeneralMaxHeadDim || dv > kGPUGeneralMaxHeadDim)
    return unsupported(op, "head dims above ")
           << kGPUGeneralMaxHeadDim << " are not supported, got " << dqk
           << " and " << dv;
  return success();
}

/// Whether `inner`, an operation of a score_mod/mask_mod region, has a GPU
/// lowering; emits the diagnostic when it has none.
static LogicalResult checkRegionOp(AttentionOp op, Operation *inner) {
  for (Type t :
       llvm::concat<Type>(SmallVector<Type>(inner->getOperandTypes()),
                          SmallVector<Type>(inner->getResultTypes()))) {
    if (isGPUScalarType(getElementTypeOrSelf(t)))
      continue;
    return unsupported(op, "score_mod/mask_mod operation '")
           << inner->getName() << "' has an element type without a GPU "
           << "lowering: " << t;
  }
  bool scalar = llvm::none_of(inner->getResultTypes(),
                              [](Type t) { return isa<ShapedType>(t); });
  if (scalar && (isa<arith::ArithDialect>(inner->getDialect()) ||
                 isa<tensor::ExtractOp, YieldOp>(inner)))
    return success();
  if (isa<math::TanhOp, math::ExpOp, math::Exp2Op, math::LogOp, math::Log2Op,
          math::SqrtOp, math::RsqrtOp, math::AbsFOp>(inner)) {
    if (inner->getResult(0).getType().isF32())
      return success();
    return unsupported(op, "score_mod/mask_mod operation '")
           << inner->getName() << "' is lowered for f32 only, got "
           << inner->getResult(0).getType();
  }
  return unsupported(op, "score_mod/mask_mod operation '")
         << inner->getName() << "' has no GPU lowering";
}

/// The score_mod and mask_mod regions are cloned into the kernel: they may
/// read constants and static tensors (through tensor.extract, which becomes
/// a load of a kernel argument), and compute with arith and the f32 math
/// functions that have PTX instructions (KernelBuilder::finalizeInlined;
/// others would need libdevice).
static LogicalResult checkRegions(AttentionOp op) {
  for (Region *region : {&op.getScoreMod(), &op.getMaskMod()}) {
    if (region->empty())
      continue;
    WalkResult walk = region->walk([&](Operation *inner) {
      return failed(checkRegionOp(op, inner)) ? WalkResult::interrupt()
                                              : WalkResult::advance();
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
      return unsupported(op, "score_mod/mask_mod may only capture constants "
                             "and static tensors read with tensor.extract, "
                             "got ")
             << c.getType();
  }
  return success();
}

LogicalResult mlir::attn::checkGPUKernelSupport(AttentionOp op) {
  // Tiles and partial states come from upstream tiling; the kernels own their
  // tiling and compute whole normalised problems.
  if (op.getPartial())
    return unsupported(op, "the partial form is not supported (decompose it)");
  if (op.hasTileCoordinates())
    return unsupported(op, "ops with tile coordinates are not supported "
                           "(decompose them)");
  if (op.isPaged())
    return unsupported(op, "the paged KV layout is not supported (run "
                           "attn-gather-paged first)");
  if (op.hasKeyBlockLists())
    return unsupported(op, "key-block lists (kv_blocks) are not supported");
  if (failed(checkElementTypes(op)) || failed(checkShapes(op)) ||
      failed(checkRegions(op)))
    return failure();
  if (!op.getStaticScale())
    return unsupported(op, "the scale must be known at compile time");
  if (!op.getStaticGroupSize())
    return unsupported(op, "the GQA group size must be static");
  return success();
}

//===----------------------------------------------------------------------===//
// Kernel choice and launch sizes (the configuration is LaunchConfig.cpp)
//===----------------------------------------------------------------------===//

GPUKernelKind mlir::attn::getGPUKernelKind(AttentionOp op, GPUMmaKind kind) {
  if (!usesGPUTensorCoreKernel(op))
    return GPUKernelKind::General;
  return kind == GPUMmaKind::Wgmma ? GPUKernelKind::TensorCoreWgmma
                                   : GPUKernelKind::TensorCoreSync;
}

GPUKernelShape mlir::attn::getGPUKernelShape(AttentionOp op) {
  RankedTensorType qT = op.getQueryType();
  return {qT.getDimSize(0),
          qT.getDimSize(1),
          qT.getDimSize(2),
          qT.getDimSize(3),
          op.getValueType().getDimSize(3),
          qT.getElementTypeBitWidth() / 8};
}

bool mlir::attn::gpuChipHasWgmma(StringRef chip) { return chip == "sm_90a"; }

GPUMmaKind mlir::attn::resolveGPUMmaKind(GPUMmaKind kind, StringRef chip) {
  if (kind != GPUMmaKind::Auto)
    return kind;
  return gpuChipHasWgmma(chip) ? GPUMmaKind::Wgmma : GPUMmaKind::Sync;
}

//===----------------------------------------------------------------------===//
// Operands and problem sizes
//===----------------------------------------------------------------------===//

SmallVector<ProblemDim> mlir::attn::gpukernel::getProblemDims(AttentionOp op,
                                                              Value t) {
  using P = ProblemDim;
  int64_t rank = cast<ShapedType>(t.getType()).getRank();
  if (t == op.getQuery() || t == op.getOutput())
    return {P::Batch, P::None, P::Query, P::None};
  if (t == op.getKey() || t == op.getValue())
    return {P::Batch, P::None, P::Key, P::None};
  if (t == op.getLse())
    return {P::Batch, P::None, P::Query};
  if (t == op.getMask()) {
    // Broadcast from the right against [B, Hq, Lq, Lkv].
    SmallVector<ProblemDim> full = {P::Batch, P::None, P::Query, P::Key};
    return SmallVector<ProblemDim>(ArrayRef(full).take_back(rank));
  }
  if (t == op.getQSegmentIds())
    return {P::Batch, P::Query};
  if (t == op.getKvSegmentIds())
    return {P::Batch, P::Key};
  if (t == op.getQLengths() || t == op.getKvLengths())
    return {P::Batch};
  return SmallVector<ProblemDim>(rank, P::None);
}

SmallVector<Value> mlir::attn::gpukernel::getKernelTensors(AttentionOp op) {
  SmallVector<Value> tensors;
  for (Value t : SmallVector<Value>{
           op.getQuery(), op.getKey(), op.getValue(), op.getOutput(),
           op.getLse(), op.getMask(), op.getQLengths(), op.getKvLengths(),
           op.getQSegmentIds(), op.getKvSegmentIds(), op.getSinks()})
    if (t)
      tensors.push_back(t);
  return tensors;
}

bool mlir::attn::gpukernel::hasDynamicShapes(AttentionOp op) {
  return llvm::any_of(getKernelTensors(op), [](Value t) {
    return !cast<ShapedType>(t.getType()).hasStaticShape();
  });
}
