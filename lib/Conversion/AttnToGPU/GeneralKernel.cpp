//===- GeneralKernel.cpp - attn.attention to a SIMT GPU kernel --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The correct, slower kernel for what the tensor-core kernel does not take
// (f32 inputs, any head dim up to 256, Dqk != Dv, mask tensors, lengths):
//
//   block (qt, h, b), 4 warps, warp w owns query rows q0 + 4w .. + 3
//   Q rows -> registers: lane l holds columns l, l + 32, ... (f32)
//   [tLo, tHi) = key tiles of 32 kept by the structured masks and lengths
//   for t in [tLo, tHi):
//     K, V tile -> shared memory (all threads); barrier
//     for j < 32: lane-partial dots of the 4 rows with key j, reduced
//                 with xor shuffles; lane j keeps them (one key per lane)
//     scores by buildScore (structured terms only on tiles not proven full)
//     m, l, O = online softmax        base 2, row max over the warp
//     for j < 32: O[:, lane + 32c] += p_j (idx shuffle) * V[j, lane + 32c]
//     barrier
//   O /= l (l summed over the lanes); store (and lse)
//
// Everything is plain f32 arithmetic on CUDA cores; K and V are read from
// global memory once per block and shared by its four warps.
//
//===----------------------------------------------------------------------===//

#include "GeneralKernel.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpukernel;

void mlir::attn::gpukernel::buildGeneralKernel(RewriterBase &rewriter,
                                               AttentionOp op,
                                               gpu::GPUFuncOp func) {
  GeneralKernelBuilder kb(op, rewriter, op.getLoc());
  kb.buildKernel(func, kGPUGeneralQueryTile);
  kb.finalizeInlined(func);
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value GeneralKernelBuilder::shuffleIdx(Value x, Value srcLane) {
  Value src = arith::IndexCastOp::create(b, loc, i32, srcLane);
  Value width = arith::ConstantIntOp::create(b, loc, i32, 32);
  return gpu::ShuffleOp::create(b, loc, x.getType(), b.getI1Type(), x, src,
                                width, gpu::ShuffleMode::IDX)
      .getShuffleResult();
}

void GeneralKernelBuilder::copyKeyTile(Value src, int64_t d, Value dst,
                                       Value k0) {
  constexpr int64_t kt = kGPUGeneralKeyTile;
  int64_t total = kt * d;
  int64_t steps = llvm::divideCeil(total, kGPUBlockThreads);
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(steps), idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  Value flat = add(tid, mul(loop.getInductionVar(), kGPUBlockThreads));
  auto body = [&]() {
    Value r = divu(flat, d);
    Value c = remu(flat, d);
    Value row = add(k0, r);
    // Rows past Lkv read the last key (finite data; their scores are -inf).
    if (lkvRagged(kt))
      row = minsi(row, sub(lkvV, 1));
    Value x = load(src, ValueRange{bi, hkv, row, c});
    memref::StoreOp::create(b, loc, x, dst, ValueRange{r, c});
  };
  if (total % kGPUBlockThreads == 0) {
    body();
    return;
  }
  Value inTile = cmpi(arith::CmpIPredicate::slt, flat, idx(total));
  auto ifOp = scf::IfOp::create(b, loc, inTile, /*withElseRegion=*/false);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  body();
}

std::pair<Value, Value> GeneralKernelBuilder::column(int64_t i, int64_t d) {
  Value col = add(lane, i * 32);
  if ((i + 1) * 32 <= d)
    return {col, Value()};
  return {minsi(col, idx(d - 1)), cmpi(arith::CmpIPredicate::slt, col, idx(d))};
}

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

SmallVector<Value> GeneralKernelBuilder::buildPrologue() {
  MLIRContext *ctx = b.getContext();
  constexpr int64_t qTile = kGPUGeneralQueryTile;
  // Shared memory: a K tile [32, Dqk] and a V tile [32, Dv] in the input
  // element type.
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Value smem = dynamicSharedMemory();
  auto view = [&](ArrayRef<int64_t> shape, int64_t offset) -> Value {
    auto ty = MemRefType::get(shape, elt, MemRefLayoutAttrInterface(), wg);
    return memref::ViewOp::create(b, loc, ty, smem, idx(offset), ValueRange{});
  };
  ks = view({kKeys, D}, 0);
  vs = view({kKeys, Dv}, kKeys * D * (elt.getIntOrFloatBitWidth() / 8));

  // Per-sequence lengths (Lq, Lkv without them).
  auto length = [&](Value lens) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      load(lens, ValueRange{bi}))
        .getResult();
  };
  qLen = qLengths ? length(qLengths) : lqV;
  kvLen = kvLengths ? length(kvLengths) : lkvV;

  // Key tiles this block needs: [0, min(Lkv, kvLen)) intersected with every
  // structured term's interval for the aligned rows of the block.
  Value off = arith::SubIOp::create(b, loc, kvLen, qLen);
  qLoA = add(q0, off);
  qHiA = add(minsi(add(q0, qTile - 1), sub(lqV, 1)), off);
  std::tie(tLo, tHi) =
      keyTileRange(qLoA, qHiA, kvLengths ? minsi(kvLen, lkvV) : lkvV, kKeys,
                   /*emptyPastQLength=*/false);
  terms = op.getMaskTerms();

  // Rows of the warp; reads use rows clamped into [0, Lq) (rows past Lq
  // are computed but never stored).
  Value rowBase = add(q0, mul(warp, kRows));
  for (int64_t r = 0; r < kRows; ++r) {
    rows.push_back(add(rowBase, r));
    rowRead.push_back(lqRagged(qTile) ? minsi(rows.back(), sub(lqV, 1))
                                      : rows.back());
  }
  zero = f32c(0.0);
  negInf = f32c(-std::numeric_limits<double>::infinity());

  // Q rows in registers (0 in the columns past Dqk).
  qReg.resize(kRows);
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t i = 0; i < nQ; ++i) {
      auto [col, inDim] = column(i, D);
      Value x = castToF32(b, loc, load(q, ValueRange{bi, hi, rowRead[r], col}));
      if (inDim)
        x = arith::SelectOp::create(b, loc, inDim, x, zero);
      qReg[r].push_back(x);
    }
  if (qSegIds)
    for (int64_t r = 0; r < kRows; ++r)
      qSeg[r] = load(qSegIds, ValueRange{bi, rowRead[r]});
  return buildInitialState();
}

SmallVector<Value> GeneralKernelBuilder::buildInitialState() {
  // O accumulators [row][column block], then m and l per row (l is this
  // lane's partial sum, reduced over the warp at the end).
  SmallVector<Value> init(kRows * nV, zero);
  Value mInit = normInitMax(), lInit = zero;
  if (sinks) {
    // The sink joins each row as a logit of weight 0 in O: m starts at it
    // and l at exp2(0) = 1 in lane 0 (0 for a -inf sink).
    Value first = cmpi(arith::CmpIPredicate::eq, lane, idx(0));
    std::tie(mInit, lInit) = normSinkState(load(sinks, ValueRange{hi}), first);
  }
  init.append(kRows, mInit);
  init.append(kRows, lInit);
  return init;
}

void GeneralKernelBuilder::buildKeyLoop(scf::ForOp loop) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value t = loop.getInductionVar();
  ValueRange iter = loop.getRegionIterArgs();
  SmallVector<Value> acc(iter.take_front(kRows * nV));
  ValueRange mOld = iter.slice(kRows * nV, kRows);
  ValueRange lOld = iter.slice(kRows * nV + kRows, kRows);

  Value k0 = mul(t, kKeys);
  copyKeyTile(k, D, ks, k0);
  copyKeyTile(v, Dv, vs, k0);
  gpu::BarrierOp::create(b, loc);

  SmallVector<Value> dots = buildDots();
  SmallVector<Value> s = buildScores(k0, dots);
  SmallVector<Value> mNew(kRows), lNew(kRows);
  SmallVector<Value> p = buildOnlineSoftmax(s, mOld, lOld, mNew, lNew, acc);
  buildPV(p, acc);
  // The next iteration overwrites the tiles just read.
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> state(acc);
  state.append(mNew);
  state.append(lNew);
  scf::YieldOp::create(b, loc, state);
}

SmallVector<Value> GeneralKernelBuilder::buildDots() {
  SmallVector<Value> dInit(kRows, zero);
  auto jLoop = scf::ForOp::create(b, loc, idx(0), idx(kKeys), idx(1), dInit);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(jLoop.getBody());
  Value j = jLoop.getInductionVar();
  SmallVector<Value> kv;
  for (int64_t i = 0; i < nQ; ++i)
    kv.push_back(castToF32(b, loc, load(ks, {j, column(i, D).first})));
  Value mine = cmpi(arith::CmpIPredicate::eq, lane, j);
  SmallVector<Value> next;
  for (int64_t r = 0; r < kRows; ++r) {
    Value part = arith::MulFOp::create(b, loc, qReg[r][0], kv[0]);
    for (int64_t i = 1; i < nQ; ++i)
      part = arith::AddFOp::create(
          b, loc, part, arith::MulFOp::create(b, loc, qReg[r][i], kv[i]));
    for (int32_t offset = 16; offset >= 1; offset /= 2)
      part = arith::AddFOp::create(b, loc, part, shuffleXor(part, offset));
    next.push_back(arith::SelectOp::create(b, loc, mine, part,
                                           jLoop.getRegionIterArgs()[r]));
  }
  scf::YieldOp::create(b, loc, next);
  return SmallVector<Value>(jLoop.getResults());
}

SmallVector<Value> GeneralKernelBuilder::buildScores(Value k0,
                                                     ValueRange dots) {
  Value key = add(k0, lane);
  Value keyRead = lkvRagged(kKeys) ? minsi(key, sub(lkvV, 1)) : key;
  Value kvSeg;
  if (kvSegIds)
    kvSeg = load(kvSegIds, ValueRange{bi, keyRead});
  SmallVector<Value> maskVal(kRows);
  if (mask) {
    auto mT = cast<MemRefType>(mask.getType());
    int64_t rank = mT.getRank();
    for (int64_t r = 0; r < kRows; ++r) {
      Value full[4] = {bi, hi, rowRead[r], keyRead};
      SmallVector<Value> mIdx;
      // numpy broadcasting from the right; size-1 dims read index 0.
      for (int64_t d = 0; d < rank; ++d)
        mIdx.push_back(mT.getDimSize(d) == 1 ? idx(0) : full[4 - rank + d]);
      maskVal[r] = load(mask, mIdx);
    }
  }
  auto scores = [&](bool partial) {
    SmallVector<Value> s;
    for (int64_t r = 0; r < kRows; ++r) {
      ScoreOperands in;
      in.mask = maskVal[r];
      in.qLen = qLen;
      in.kvLen = kvLen;
      if (qSegIds) {
        in.qSegment = qSeg[r];
        in.kvSegment = kvSeg;
      }
      Value x =
          buildScore(b, loc, op, dots[r], f32c(*op.getStaticScale()),
                     ValueRange{bi, hi, rowRead[r], keyRead}, in, partial);
      if (partial && lkvRagged(kKeys))
        x = arith::SelectOp::create(
            b, loc, cmpi(arith::CmpIPredicate::slt, key, lkvV), x, negInf);
      s.push_back(arith::MulFOp::create(b, loc, x, f32c(M_LOG2E)));
    }
    return s;
  };
  if (terms.empty() && !lkvRagged(kKeys))
    return scores(/*partial=*/false);
  Value full = cmpi(arith::CmpIPredicate::sle, add(k0, kKeys), lkvV);
  for (StructuredMaskAttrInterface term : terms)
    full = arith::AndIOp::create(
        b, loc, full,
        term.buildTileIsFull(b, loc, qLoA, qHiA, k0, add(k0, kKeys - 1)));
  auto ifFull = scf::IfOp::create(b, loc, SmallVector<Type>(kRows, f32), full,
                                  /*withElseRegion=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifFull.thenBlock());
  scf::YieldOp::create(b, loc, scores(/*partial=*/false));
  b.setInsertionPointToStart(ifFull.elseBlock());
  scf::YieldOp::create(b, loc, scores(/*partial=*/true));
  return SmallVector<Value>(ifFull.getResults());
}

SmallVector<Value> GeneralKernelBuilder::buildOnlineSoftmax(
    ArrayRef<Value> s, ValueRange mOld, ValueRange lOld,
    MutableArrayRef<Value> mNew, MutableArrayRef<Value> lNew,
    MutableArrayRef<Value> acc) {
  // Softmax and softpick; sigmoid has no state.
  SmallVector<Value> p(kRows);
  for (int64_t r = 0; r < kRows; ++r) {
    Value mx;
    if (norm != Normalizer::sigmoid) {
      mx = s[r];
      for (int32_t offset = 16; offset >= 1; offset /= 2)
        mx = fmax(mx, shuffleXor(mx, offset));
    }
    RowRescale rr = normRescale(mOld[r], mx);
    mNew[r] = rr.m;
    Value term;
    std::tie(p[r], term) = normWeight(s[r], rr);
    lNew[r] = lOld[r];
    if (!rr.alpha)
      continue;
    lNew[r] = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, lOld[r], rr.alpha), term);
    for (int64_t c = 0; c < nV; ++c) {
      Value &a = acc[r * nV + c];
      a = arith::MulFOp::create(b, loc, a, rr.alpha);
    }
  }
  return p;
}

void GeneralKernelBuilder::buildPV(ArrayRef<Value> p, SmallVector<Value> &acc) {
  auto jLoop = scf::ForOp::create(b, loc, idx(0), idx(kKeys), idx(1), acc);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(jLoop.getBody());
  Value j = jLoop.getInductionVar();
  ValueRange a = jLoop.getRegionIterArgs();
  SmallVector<Value> vv;
  for (int64_t c = 0; c < nV; ++c)
    vv.push_back(castToF32(b, loc, load(vs, {j, column(c, Dv).first})));
  SmallVector<Value> next;
  for (int64_t r = 0; r < kRows; ++r) {
    Value pj = shuffleIdx(p[r], j);
    for (int64_t c = 0; c < nV; ++c)
      next.push_back(arith::AddFOp::create(
          b, loc, a[r * nV + c], arith::MulFOp::create(b, loc, pj, vv[c])));
  }
  scf::YieldOp::create(b, loc, next);
  acc.assign(jLoop.getResults().begin(), jLoop.getResults().end());
}

void GeneralKernelBuilder::buildEpilogue(ValueRange res) {
  constexpr int64_t qTile = kGPUGeneralQueryTile;
  // l summed over the warp, O / l (0 for empty rows), store.
  for (int64_t r = 0; r < kRows; ++r) {
    Value l = res[kRows * nV + kRows + r];
    if (norm != Normalizer::sigmoid)
      for (int32_t offset = 16; offset >= 1; offset /= 2)
        l = arith::AddFOp::create(b, loc, l, shuffleXor(l, offset));
    Value inv = normInverse(l, res[kRows * nV + r]);
    auto store = [&]() {
      for (int64_t c = 0; c < nV; ++c) {
        Value col, inDim;
        std::tie(col, inDim) = column(c, Dv);
        Value x = arith::MulFOp::create(b, loc, res[r * nV + c], inv);
        if (outElt != f32)
          x = arith::TruncFOp::create(b, loc, outElt, x);
        auto st = [&]() {
          memref::StoreOp::create(b, loc, x, o,
                                  ValueRange{bi, hi, rows[r], col});
        };
        if (!inDim) {
          st();
          continue;
        }
        auto ifOp = scf::IfOp::create(b, loc, inDim, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
        st();
      }
      if (withLse) {
        Value val = normLogSumExp(l, res[kRows * nV + r]);
        Value first = cmpi(arith::CmpIPredicate::eq, lane, idx(0));
        auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
        memref::StoreOp::create(b, loc, val, lse, ValueRange{bi, hi, rows[r]});
      }
    };
    if (!lqRagged(qTile)) {
      store();
      continue;
    }
    Value inRange = cmpi(arith::CmpIPredicate::slt, rows[r], lqV);
    auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    store();
  }
}
