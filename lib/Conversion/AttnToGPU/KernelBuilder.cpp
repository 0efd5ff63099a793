//===- KernelBuilder.cpp - Shared pieces of the GPU attention kernels -----===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The parts of KernelBuilder both kernels use: kernel arguments in the ABI
// order, block indices, dynamic shapes, the key-tile range, and the rewrite
// of what inlined score_mod/mask_mod regions leave in a kernel.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "attn/Dialect/Attn/Utils/KeyRange.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpukernel;

//===----------------------------------------------------------------------===//
// Arguments, indices and shapes
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

std::pair<Value, Value> KernelBuilder::keyTileRange(Value qLoA, Value qHiA,
                                                    Value kvEnd,
                                                    int64_t keyTile,
                                                    bool emptyPastQLength) {
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
  bV = bDynamic()
           ? gpu::GridDimOp::create(b, loc, gpu::Dimension::z).getResult()
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
  auto wg =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  return gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), wg));
}

void KernelBuilder::buildKernel(gpu::GPUFuncOp func, int64_t rowsPerBlock) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  // Arguments: (Q, K, V, O[, LSE][, mask][, q_lengths][, kv_lengths]
  // [, q_ids, kv_ids][, sinks][, captured...][, Lq, Lkv]).
  bindLengths(entry, bindArguments(entry));
  scf::IfOp nonEmpty = guardEmptyQuery();
  shapeBuffers();
  bindBlockIndices(rowsPerBlock);
  SmallVector<Value> init = buildPrologue();
  auto loop = scf::ForOp::create(b, loc, tLo, tHi, idx(1), init);
  buildKeyLoop(loop);
  buildEpilogue(loop.getResults());
  if (nonEmpty)
    b.setInsertionPointAfter(nonEmpty);
  gpu::ReturnOp::create(b, loc);
}

//===----------------------------------------------------------------------===//
// Normalisers (NormalizerAlgebra.h, base 2)
//===----------------------------------------------------------------------===//

NormalizerForm KernelBuilder::normForm() {
  NormalizerForm form;
  form.base = LseBase::two;
  form.weightReciprocal = [this](OpBuilder &, Location, Value x) {
    return unaryPtx("rcp.approx.ftz.f32 $0, $1;", x);
  };
  return form;
}

Value KernelBuilder::normInitMax() { return f32c(getIdentityMax(norm)); }

KernelBuilder::RowRescale KernelBuilder::normRescale(Value mOld,
                                                     Value tileMax) {
  RowRescale r;
  r.m = buildMaxUpdate(b, loc, norm, mOld, tileMax);
  if (norm == Normalizer::sigmoid)
    return r;
  r.mUse = buildSafeShift(b, loc, r.m);
  r.expNegM = buildWeightOffset(b, loc, norm, r.mUse, normForm());
  r.alpha = buildRescaleToShift(b, loc, mOld, r.mUse, LseBase::two);
  return r;
}

std::pair<Value, Value> KernelBuilder::normWeight(Value x,
                                                  const RowRescale &r) {
  std::optional<double> bias;
  if (FloatAttr a = op.getSigmoidBiasAttr())
    bias = a.getValueAsDouble();
  auto [weight, term] =
      buildWeight(b, loc, norm, x, r.mUse, bias, normForm(), r.expNegM);
  // Sigmoid keeps no denominator.
  if (norm == Normalizer::sigmoid)
    term = Value();
  return {weight, term};
}

Value KernelBuilder::normInverse(Value l, Value m) {
  return buildOutputScale(b, loc, norm, m, l, /*sink=*/Value(), normForm());
}

Value KernelBuilder::normLogSumExp(Value l, Value m) {
  return buildLogSumExp(b, loc, m, l, normForm());
}

std::pair<Value, Value> KernelBuilder::normSinkState(Value sinkLogit,
                                                     Value first) {
  Value sink = arith::MulFOp::create(b, loc, castToF32(b, loc, sinkLogit),
                                     f32c(M_LOG2E));
  SinkState state = buildSinkState(b, loc, sink);
  Value l =
      arith::SelectOp::create(b, loc, first, state.sum, f32c(0.0)).getResult();
  return {state.max, l};
}

//===----------------------------------------------------------------------===//
// Inlined regions
//===----------------------------------------------------------------------===//

void KernelBuilder::finalizeCaptures(gpu::GPUFuncOp func) {
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
        b.modifyOpInPlace(user, [&] { use.set(inKernel); });
        continue;
      }
      b.setInsertionPoint(extract);
      b.replaceOpWithNewOp<memref::LoadOp>(extract, inKernel,
                                           extract.getIndices());
    }
  }
}

void KernelBuilder::finalizeMath(gpu::GPUFuncOp func) {
  // The other math functions of the regions (f32, checked by
  // checkGPUKernelSupport) as PTX: exp and log through ex2/lg2 with the
  // base change, sqrt correctly rounded, rsqrt approximate, |x| as
  // max(x, -x).
  SmallVector<Operation *> mathOps;
  func.walk([&](Operation *m) {
    if (isa<math::ExpOp, math::Exp2Op, math::LogOp, math::Log2Op, math::SqrtOp,
            math::RsqrtOp, math::AbsFOp>(m))
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
    b.replaceOp(m, r);
  }
}

void KernelBuilder::finalizeTanh(gpu::GPUFuncOp func) {
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
    b.replaceOp(t, tanh);
    if (div && div->use_empty())
      b.eraseOp(div);
  }
}

void KernelBuilder::finalizeInlined(gpu::GPUFuncOp func) {
  finalizeCaptures(func);
  finalizeMath(func);
  finalizeTanh(func);
}
