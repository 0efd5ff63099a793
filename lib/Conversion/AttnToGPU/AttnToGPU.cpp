//===- AttnToGPU.cpp - attn.attention to GPU kernels and launches ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The host side of convert-attn-to-gpu and the pass: one gpu.func per op
// (built by the tensor-core kernel, TensorCoreKernel.cpp, or the general
// kernel, GeneralKernel.cpp, as usesGPUTensorCoreKernel decides), and the
// op replaced by bufferization casts, a gpu.alloc per result and a
// gpu.launch_func on one stream with the launch configuration of
// KernelSupport.cpp.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"

#include "GeneralKernel.h"
#include "KernelSupport.h"
#include "TensorCoreKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

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
// Host launch
//===----------------------------------------------------------------------===//

namespace {
/// The buffers of one kernel in argument order (Q, K, V, the results, then
/// the read-only inputs: mask, lengths, segment ids, sinks, captured
/// tensors of score_mod/mask_mod), their host memref types, and the types
/// the kernel takes: the same static memrefs (bare pointers), or, with a
/// dynamic B, Lq or Lkv (either kernel), a flat memref<1 x elt> handle per
/// dynamically shaped buffer followed by Lq and Lkv as index arguments.
struct KernelSignature {
  SmallVector<Value> tensors;
  unsigned numOuts;
  SmallVector<Type> hostTypes, argTypes;
  bool dynamic;

  bool isResult(unsigned i) const { return i >= 3 && i < 3 + numOuts; }
};
} // namespace

static KernelSignature getKernelSignature(Builder &b, AttentionOp op) {
  KernelSignature sig;
  sig.tensors = getKernelTensors(op);
  sig.numOuts = op.getLse() ? 2 : 1;
  for (Value c : getGPUCapturedValues(op))
    if (!isClonedCapture(c))
      sig.tensors.push_back(c);
  sig.dynamic = hasDynamicShapes(op);
  for (Value t : sig.tensors) {
    auto tt = cast<RankedTensorType>(t.getType());
    auto ty = MemRefType::get(tt.getShape(), tt.getElementType());
    sig.hostTypes.push_back(ty);
    sig.argTypes.push_back(
        ty.hasStaticShape() ? ty : MemRefType::get({1}, ty.getElementType()));
  }
  if (sig.dynamic)
    sig.argTypes.append(2, b.getIndexType());
  return sig;
}

/// `name`, or `name` with the first free suffix `_<n>` in `kernels`.
static std::string getUniqueKernelName(gpu::GPUModuleOp kernels,
                                       StringRef name) {
  SymbolTable symbols(kernels);
  std::string unique = name.str();
  for (unsigned n = 0; symbols.lookup(unique); ++n)
    unique = (name + "_" + Twine(n)).str();
  return unique;
}

/// Creates the kernel of `op` at the end of `kernels` and builds its body.
static gpu::GPUFuncOp buildKernel(RewriterBase &rewriter, AttentionOp op,
                                  gpu::GPUModuleOp kernels, StringRef name,
                                  GPUMmaKind kind, const KernelSignature &sig) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToEnd(kernels.getBody());
  auto func = gpu::GPUFuncOp::create(
      rewriter, op.getLoc(), getUniqueKernelName(kernels, name),
      rewriter.getFunctionType(sig.argTypes, {}));
  rewriter.modifyOpInPlace(func, [&] {
    func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  rewriter.getUnitAttr());
    func.setKnownBlockSizeAttr(
        rewriter.getDenseI32ArrayAttr({kGPUBlockThreads, 1, 1}));
  });
  if (usesGPUTensorCoreKernel(op))
    buildTensorCoreKernel(rewriter, op, func, kind);
  else
    buildGeneralKernel(rewriter, op, func);
  return func;
}

/// The kernel argument of host buffer `buf` (index `i` of the signature):
/// itself, or its flat handle.
static Value getKernelArgument(RewriterBase &rewriter, Location loc,
                               const KernelSignature &sig, unsigned i,
                               Value buf) {
  if (sig.argTypes[i] == sig.hostTypes[i])
    return buf;
  return memref::ReinterpretCastOp::create(
      rewriter, loc, cast<MemRefType>(sig.argTypes[i]), buf, /*offset=*/0,
      /*sizes=*/ArrayRef<int64_t>{1}, /*strides=*/ArrayRef<int64_t>{1});
}

/// The grid, block and dynamic shared memory of the launch of `op`'s kernel:
/// getGPULaunchConfig (LaunchConfig.cpp, the definition the C API exposes)
/// as constants, and, for a dynamic Lq or B, its grid formula on the host
/// values `lq` and `batch`.
static void buildLaunchConfig(RewriterBase &rewriter, AttentionOp op,
                              GPUMmaKind kind, Value batch, Value lq,
                              gpu::KernelDim3 &grid, gpu::KernelDim3 &block,
                              Value &smemBytes) {
  Location loc = op.getLoc();
  auto c = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };
  GPUKernelKind kernel = getGPUKernelKind(op, kind);
  GPUKernelShape shape = getGPUKernelShape(op);
  bool lqDynamic = ShapedType::isDynamic(shape.qLen);
  bool batchDynamic = ShapedType::isDynamic(shape.batch);
  // (The dynamic sizes are computed below.)
  if (lqDynamic)
    shape.qLen = 1;
  if (batchDynamic)
    shape.batch = 1;
  GPULaunchConfig config = getGPULaunchConfig(kernel, shape);
  // A dynamic Lq or B of 0 still launches one block (the kernel then does
  // nothing): a grid of 0 blocks is a launch error.
  int64_t rows = getGPUKernelQueryTile(kernel);
  Value gridX =
      lqDynamic
          ? arith::MaxUIOp::create(
                rewriter, loc,
                arith::CeilDivUIOp::create(rewriter, loc, lq, c(rows)), c(1))
                .getResult()
          : c(config.grid[0]);
  Value gridZ =
      batchDynamic
          ? arith::MaxUIOp::create(rewriter, loc, batch, c(1)).getResult()
          : c(config.grid[2]);
  grid = {gridX, c(config.grid[1]), gridZ};
  block = {c(config.block[0]), c(config.block[1]), c(config.block[2])};
  smemBytes = arith::ConstantIntOp::create(rewriter, loc, rewriter.getI32Type(),
                                           config.sharedMemoryBytes);
}

/// Replaces `op` by the launch of `func`: its operands as device buffers,
/// a gpu.alloc per result, the launch and the wait on one stream.
static void buildLaunch(RewriterBase &rewriter, AttentionOp op,
                        gpu::GPUFuncOp func, GPUMmaKind kind,
                        const KernelSignature &sig) {
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  auto size = [&](Value t, int64_t dim) -> Value {
    int64_t n = cast<RankedTensorType>(t.getType()).getDimSize(dim);
    if (!ShapedType::isDynamic(n))
      return arith::ConstantIndexOp::create(rewriter, loc, n);
    return tensor::DimOp::create(rewriter, loc, t, dim);
  };
  Value batch = size(op.getQuery(), 0);
  Value lq, lkv;
  if (sig.dynamic) {
    lq = size(op.getQuery(), 2);
    lkv = size(op.getKey(), 2);
  }
  SmallVector<Value> args(sig.tensors.size());
  for (unsigned i = 0; i < sig.tensors.size(); ++i) {
    if (sig.isResult(i))
      continue;
    Value buf = bufferization::ToBufferOp::create(
        rewriter, loc, sig.hostTypes[i], sig.tensors[i],
        rewriter.getUnitAttr());
    args[i] = getKernelArgument(rewriter, loc, sig, i, buf);
  }
  // One stream per launch: allocate the results, launch, synchronise.
  Type tokenTy = gpu::AsyncTokenType::get(rewriter.getContext());
  Value token =
      gpu::WaitOp::create(rewriter, loc, tokenTy, ValueRange{}).getAsyncToken();
  SmallVector<Value> outs;
  for (unsigned i = 3; i < 3 + sig.numOuts; ++i) {
    auto ty = cast<MemRefType>(sig.hostTypes[i]);
    // Results may be dynamic in B and Lq.
    SmallVector<ProblemDim> dims = getProblemDims(op, sig.tensors[i]);
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < ty.getRank(); ++d)
      if (ty.isDynamicDim(d))
        sizes.push_back(dims[d] == ProblemDim::Batch ? batch : lq);
    auto alloc =
        gpu::AllocOp::create(rewriter, loc, ty, tokenTy, ValueRange{token},
                             sizes, ValueRange{}, UnitAttr());
    token = alloc.getAsyncToken();
    outs.push_back(alloc.getMemref());
    args[i] = getKernelArgument(rewriter, loc, sig, i, alloc.getMemref());
  }
  if (sig.dynamic) {
    // An empty batch launches one block column too; Lq = 0 then makes the
    // kernel do nothing.
    Value lqArg = lq;
    if (ShapedType::isDynamic(op.getQueryType().getDimSize(0))) {
      Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
      lqArg = arith::SelectOp::create(
          rewriter, loc,
          arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, batch,
                                c0),
          arith::ConstantIndexOp::create(rewriter, loc, 0), lq);
    }
    args.append({lqArg, lkv});
  }
  gpu::KernelDim3 grid, block;
  Value smemBytes;
  buildLaunchConfig(rewriter, op, kind, batch, lq, grid, block, smemBytes);
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

void mlir::attn::lowerAttentionToGPU(RewriterBase &rewriter, AttentionOp op,
                                     gpu::GPUModuleOp kernels, StringRef name,
                                     GPUMmaKind kind) {
  assert(kind != GPUMmaKind::Auto && "resolve the mma kind for the chip");
  KernelSignature sig = getKernelSignature(rewriter, op);
  gpu::GPUFuncOp func = buildKernel(rewriter, op, kernels, name, kind, sig);
  buildLaunch(rewriter, op, func, kind, sig);
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
  // (The option parser rejects spellings other than auto, sync and wgmma.)
  GPUMmaKind kind = resolveGPUMmaKind(mma, chip);
  SmallVector<AttentionOp> ops;
  module.walk([&](AttentionOp op) { ops.push_back(op); });
  if (ops.empty())
    return;
  bool failed = false;
  for (AttentionOp op : ops) {
    failed |= mlir::failed(checkGPUKernelSupport(op));
    if (kind == GPUMmaKind::Wgmma && !gpuChipHasWgmma(chip)) {
      op.emitOpError("cannot use wgmma on chip '")
          << chip << "': warpgroup MMA needs the arch-specific target sm_90a";
      failed = true;
    }
  }
  if (failed)
    return signalPassFailure();

  SymbolTable symbols(module);
  Operation *existing = symbols.lookup("attn_kernels");
  if (existing && !isa<gpu::GPUModuleOp>(existing)) {
    existing->emitOpError("is named attn_kernels, the symbol of the GPU "
                          "kernels of convert-attn-to-gpu");
    return signalPassFailure();
  }

  IRRewriter rewriter(&getContext());
  rewriter.setInsertionPointToEnd(module.getBody());
  auto kernels = cast_or_null<gpu::GPUModuleOp>(existing);
  if (!kernels)
    kernels =
        gpu::GPUModuleOp::create(rewriter, module.getLoc(), "attn_kernels");
  rewriter.modifyOpInPlace(module, [&] {
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    rewriter.getUnitAttr());
  });
  llvm::StringMap<unsigned> counts;
  for (AttentionOp op : ops) {
    auto parent = op->getParentOfType<FunctionOpInterface>();
    std::string base =
        (parent ? parent.getName().str() : std::string("attention")) + "_attn";
    std::string name = base + "_" + std::to_string(counts[base]++);
    lowerAttentionToGPU(rewriter, op, kernels, name, kind);
  }
}
