//===- TensorCoreKernel.cpp - attn.attention on the tensor cores ----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Builds a FlashAttention-2 kernel for one attn.attention:
//
//   block (qt, h, b), 4 warps, warp w owns query rows q0 + 16w .. + 15
//   Q tile -> shared (cp.async) -> registers (ldmatrix, once)   prologue
//   [tLo, tHi) = key tiles kept by the structured masks (buildKeyRange)
//   prefetch K/V tile tLo
//   for t in [tLo, tHi):                                        key loop
//     prefetch K/V tile t + 1 into the other buffer (cp.async, one group)
//     wait for tile t; barrier
//     S = Q . K^T                     mma.sync m16n8k16 or wgmma m64n64k16
//     S = mask(S) unless the tile is proven full (buildTileIsFull)
//     m, l, O = online softmax(S)     base 2, quad shuffles, registers
//     O += P . V                      P converted in registers (A operand)
//     barrier
//   O /= l; store (and lse)                                     epilogue
//
// The fragments follow the PTX layouts of mma.m16n8k16: a thread of lane l
// holds rows l/4 and l/4 + 8 of a 16x8 accumulator, columns 2(l%4) and
// 2(l%4) + 1, so a row of S lives in the four lanes of a quad.
//
//===----------------------------------------------------------------------===//

#include "TensorCoreKernel.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpukernel;

void mlir::attn::gpukernel::buildTensorCoreKernel(RewriterBase &rewriter,
                                                  AttentionOp op,
                                                  gpu::GPUFuncOp func,
                                                  GPUMmaKind kind) {
  TensorCoreKernelBuilder kb(op, rewriter, op.getLoc(), kind);
  kb.buildKernel(func, kGPUQueryTile);
  kb.finalizeInlined(func);
}

//===----------------------------------------------------------------------===//
// Block set-up
//===----------------------------------------------------------------------===//

void TensorCoreKernelBuilder::bindSharedTiles() {
  MLIRContext *ctx = b.getContext();
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
}

void TensorCoreKernelBuilder::bindRowsAndKeyRange() {
  // Sequence lengths of this batch row (the static lengths without
  // q_lengths/kv_lengths; kv lengths past Lkv are clamped to it).
  auto lengthOf = [&](Value lengths) -> Value {
    Value e = memref::LoadOp::create(b, loc, lengths, ValueRange{bi});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
  };
  qLen = qLengths ? lengthOf(qLengths) : lqV;
  kvLen = kvLengths ? lengthOf(kvLengths) : lkvV;
  kvEnd = kvLengths ? minsi(kvLen, lkvV) : lkvV;

  // Key tiles this query tile needs: [0, kvEnd) intersected with every
  // structured term's interval for the aligned rows of the tile
  // (q' = i + kvLen - qLen).
  off = (qLengths || kvLengths || lqDynamic() || lkvDynamic())
            ? arith::SubIOp::create(b, loc, kvLen, qLen).getResult()
            : idx(Lkv - Lq);
  qLoA = add(q0, off);
  qHiA = add(minsi(add(q0, kGPUQueryTile - 1), sub(lqV, 1)), off);
  std::tie(tLo, tHi) = keyTileRange(qLoA, qHiA, kvEnd, kGPUKeyTile,
                                    /*emptyPastQLength=*/true);
  terms = op.getMaskTerms();

  // The thread's accumulator rows and columns (mma.m16n8 layout).
  rowInWarp = divu(lane, 4);
  colInQuad = mul(remu(lane, 4), 2);
  // Aligned query positions of the thread's two rows.
  Value rowA0 = add(add(add(q0, mul(warp, 16)), rowInWarp), off);
  rowA[0] = rowA0;
  rowA[1] = add(rowA0, 8);
  // Raw rows clamped into [0, Lq) for the reads of score_mod, mask_mod,
  // masks and segment ids (rows past Lq are computed but never stored).
  Value rowRaw0 = add(add(q0, mul(warp, 16)), rowInWarp);
  rowRaw[0] = rowRaw0;
  rowRaw[1] = add(rowRaw0, 8);
  rowRead[0] = rowRaw[0];
  rowRead[1] = rowRaw[1];
  if (lqRagged(kGPUQueryTile))
    for (Value &r : rowRead)
      r = minsi(r, sub(lqV, 1));
}

//===----------------------------------------------------------------------===//
// Run-time tile classification
//===----------------------------------------------------------------------===//
//
// Decided when a tile would be prefetched (uniform over the block): whether
// it keeps anything (a tile that keeps nothing is neither copied nor
// computed) and, for a boolean mask, the thread's 32 mask bits of the tile
// (bit 4n + r for accumulator register r of key block n) and whether the
// mask keeps the whole tile.
//  * Document masks: the segment-id ranges of the query and key tiles.
//  * Boolean masks: every thread reads the mask of its own scores and the
//    block ORs/ANDs the results in a reducing barrier.

SmallVector<Value> TensorCoreKernelBuilder::classifyTile(Value tile) {
  SmallVector<Value> res;
  Value keep;
  if (qSegIds) {
    auto [kvLo, kvHi] = segmentRange(kvSegIds, mul(tile, kGPUKeyTile), lkvV);
    keep = arith::AndIOp::create(b, loc,
                                 cmpi(arith::CmpIPredicate::sle, kvLo, qSegHi),
                                 cmpi(arith::CmpIPredicate::sle, qSegLo, kvHi));
  }
  Value bits, all;
  if (boolMask) {
    Value tileBase = add(mul(tile, kGPUKeyTile), colInQuad);
    Value anyL, allL;
    bits = arith::ConstantIntOp::create(b, loc, i32, 0);
    for (int64_t n = 0; n < kScoreBlocks; ++n) {
      for (int64_t r = 0; r < 4; ++r) {
        Value key = add(tileBase, n * 8 + r % 2);
        // Keys past Lkv read the last key and keep nothing.
        Value m = loadMask(rowRead[r / 2], minsi(key, sub(lkvV, 1)));
        m = arith::AndIOp::create(b, loc, m,
                                  cmpi(arith::CmpIPredicate::slt, key, lkvV));
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
    keep = keep ? arith::AndIOp::create(b, loc, keep, anyB).getResult() : anyB;
  }
  if (keep)
    res.push_back(keep);
  if (boolMask)
    res.append({bits, all});
  return res;
}

SmallVector<Value> TensorCoreKernelBuilder::classifyTileIf(Value cond,
                                                           Value tile) {
  auto ifOp = scf::IfOp::create(b, loc, classTypes, cond, /*withElse=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, classifyTile(tile));
  b.setInsertionPointToStart(ifOp.elseBlock());
  SmallVector<Value> none;
  for (Type t : classTypes)
    none.push_back(arith::ConstantIntOp::create(b, loc, t, 0));
  scf::YieldOp::create(b, loc, none);
  return SmallVector<Value>(ifOp.getResults());
}

void TensorCoreKernelBuilder::buildIfThen(Value cond,
                                          llvm::function_ref<void()> body) {
  scf::IfOp::create(b, loc, cond, [&](OpBuilder &tb, Location) {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
    body();
    scf::YieldOp::create(b, loc);
  });
}

//===----------------------------------------------------------------------===//
// Prologue
//===----------------------------------------------------------------------===//

SmallVector<Value> TensorCoreKernelBuilder::buildPrologue() {
  bindSharedTiles();
  bindRowsAndKeyRange();
  return buildCopiesAndState();
}

SmallVector<Value> TensorCoreKernelBuilder::buildCopiesAndState() {
  MLIRContext *ctx = b.getContext();
  classified = qSegIds || boolMask;
  if (classified)
    classTypes.push_back(b.getI1Type());
  if (boolMask)
    classTypes.append({i32, b.getI1Type()});

  // Q and the first K/V tile in one group.
  Type tokenTy = nvgpu::DeviceAsyncTokenType::get(ctx);
  if (wgmma)
    copyTile(q, lqV, hi, q0, tiles, ValueRange{idx(0)});
  else
    copyTile(q, lqV, hi, q0, qs, ValueRange{});
  // The first tile (reads past Lkv, tLo = tHi at the end, are clamped; a
  // dynamic Lkv may be 0, so then nothing is read unless the range is
  // non-empty).
  Value anyTile =
      lkvDynamic() ? cmpi(arith::CmpIPredicate::slt, tLo, tHi) : Value();
  SmallVector<Value> classFirst;
  if (classified) {
    if (qSegIds)
      std::tie(qSegLo, qSegHi) = segmentRange(qSegIds, q0, lqV);
    classFirst = anyTile ? classifyTileIf(anyTile, tLo) : classifyTile(tLo);
    buildIfThen(classFirst[0], [&] { copyKV(tLo, idx(0)); });
  } else if (anyTile) {
    buildIfThen(anyTile, [&] { copyKV(tLo, idx(0)); });
  } else {
    copyKV(tLo, idx(0));
  }
  Value g0 =
      nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenTy, ValueRange{});
  nvgpu::DeviceAsyncWaitOp::create(b, loc, g0, b.getI32IntegerAttr(0));
  asyncProxyFence();
  gpu::BarrierOp::create(b, loc);

  // Q fragments of this warp's 16 rows, kept in registers: a[ks][0..3].
  lane16 = remu(lane, 16);
  laneHi = divu(lane, 16);
  lane8 = remu(lane, 8);
  lane8Hi = divu(lane, 8);
  Value qRow = add(mul(warp, 16), lane16);
  for (int64_t kstep = 0; kstep < (wgmma ? 0 : D / 16); ++kstep) {
    Value f = ldmatrix(qs, {qRow, add(mul(laneHi, 8), kstep * 16)}, false);
    SmallVector<Value, 4> regs;
    for (int64_t r = 0; r < 4; ++r)
      regs.push_back(mmaOperand(f, r));
    qFrag.push_back(regs);
  }

  SmallVector<Value> init = buildInitialState();
  if (qSegIds) {
    for (int64_t h = 0; h < 2; ++h)
      qSeg[h] =
          memref::LoadOp::create(b, loc, qSegIds, ValueRange{bi, rowRead[h]});
  }
  // The loop carries its current tile's classification.
  init.append(classFirst);

  // wgmma descriptors of Q and of both K and V buffers.
  if (wgmma) {
    int64_t tileBytes = tileElems() * (elt.getIntOrFloatBitWidth() / 8);
    qDesc = descriptor(tilesAddr, /*kMajor=*/true);
    for (int64_t i = 0; i < 2; ++i) {
      kDesc[i] = descriptor(add(tilesAddr, (1 + i) * tileBytes), true);
      vDesc[i] = descriptor(add(tilesAddr, (3 + i) * tileBytes), false);
    }
  }
  return init;
}

SmallVector<Value> TensorCoreKernelBuilder::buildInitialState() {
  // Loop state: O accumulators (D/8 blocks of 4 f32), then m and l for the
  // two rows of the thread.
  nOut = D / 8;
  zero = f32c(0.0);
  negInf = f32c(-std::numeric_limits<double>::infinity());
  SmallVector<Value> init(nOut * 4, zero);
  if (sinks) {
    // The sink joins the row as a logit of weight 0 in O: m starts at it
    // and l at exp2(0) = 1 in one lane of the quad (l is quad-summed at the
    // end), 0 for a -inf sink.
    Value first = cmpi(arith::CmpIPredicate::eq, remu(lane, 4), idx(0));
    auto [m0, l0] =
        normSinkState(memref::LoadOp::create(b, loc, sinks, hi), first);
    init.append({m0, m0, l0, l0});
  } else {
    Value m0 = normInitMax();
    init.append({m0, m0, zero, zero});
  }
  return init;
}

//===----------------------------------------------------------------------===//
// Key loop
//===----------------------------------------------------------------------===//

void TensorCoreKernelBuilder::buildKeyLoop(scf::ForOp loop) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value t = loop.getInductionVar();
  ValueRange iterArgs = loop.getRegionIterArgs();
  Value buf = remu(arith::SubIOp::create(b, loc, t, tLo), 2);

  // Prefetch tile t + 1 into the other buffer (unless a document mask
  // skips it); commit (possibly empty) and wait until only that group may
  // be pending.
  Value next = add(t, 1);
  Value hasNext = cmpi(arith::CmpIPredicate::slt, next, tHi);
  Value keepNext;
  SmallVector<Value> classNext;
  if (classified) {
    classNext = classifyTileIf(hasNext, next);
    keepNext = classNext[0];
  }
  // This tile's classification.
  ValueRange classCur = iterArgs.take_back(classTypes.size());
  Value maskBits = boolMask ? classCur[1] : Value();
  Value maskAll = boolMask ? classCur[2] : Value();
  buildIfThen(keepNext ? keepNext : hasNext, [&] {
    copyKV(next, arith::SubIOp::create(b, loc, idx(1), buf));
  });
  Type tokenTy = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  Value grp =
      nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenTy, ValueRange{});
  nvgpu::DeviceAsyncWaitOp::create(b, loc, grp, b.getI32IntegerAttr(1));
  asyncProxyFence();
  gpu::BarrierOp::create(b, loc);

  k0 = mul(t, kGPUKeyTile);
  SmallVector<Value> state;
  if (classified) {
    // A key tile that keeps nothing (document or boolean mask) is skipped
    // (decided when it was prefetched; uniform over the block, so the
    // barriers stay outside).
    ValueRange old = iterArgs.drop_back(classTypes.size());
    auto ifMeets = scf::IfOp::create(b, loc, TypeRange(old), classCur[0],
                                     /*withElse=*/true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(ifMeets.thenBlock());
      scf::YieldOp::create(b, loc, buildTile(iterArgs, buf, maskBits, maskAll));
      b.setInsertionPointToStart(ifMeets.elseBlock());
      scf::YieldOp::create(b, loc, old);
    }
    state.assign(ifMeets.getResults().begin(), ifMeets.getResults().end());
    state.append(classNext);
  } else {
    state = buildTile(iterArgs, buf, maskBits, maskAll);
  }
  // The next iteration prefetches into the buffer just read.
  gpu::BarrierOp::create(b, loc);
  scf::YieldOp::create(b, loc, state);
}

SmallVector<Value> TensorCoreKernelBuilder::buildTile(ValueRange iterArgs,
                                                      Value buf, Value maskBits,
                                                      Value maskAll) {
  SmallVector<Value> acc(iterArgs.take_front(nOut * 4));
  ValueRange mOld = iterArgs.slice(nOut * 4, 2);
  ValueRange lOld = iterArgs.slice(nOut * 4 + 2, 2);
  TileScores s = buildScores(buf);
  kBase = add(k0, colInQuad);
  buildScoreModifiers(s);
  buildMasks(s, maskBits, maskAll);
  SmallVector<Value> ml = buildOnlineSoftmax(s, mOld, lOld, acc);
  buildPV(s, buf, acc);
  SmallVector<Value> yields(acc);
  yields.append(ml);
  return yields;
}

TileScores TensorCoreKernelBuilder::buildScores(Value buf) {
  // S = Q . K^T: s[n][0..3] for the 8 key blocks of 8.
  TileScores s(kScoreBlocks, SmallVector<Value, 4>(4, zero));
  if (wgmma) {
    Value first = cmpi(arith::CmpIPredicate::eq, buf, idx(0));
    Value kd = arith::SelectOp::create(b, loc, first, kDesc[0], kDesc[1]);
    SmallVector<Value> flat = wgmmaScores(qDesc, kd);
    for (int64_t n = 0; n < kScoreBlocks; ++n)
      for (int64_t r = 0; r < 4; ++r)
        s[n][r] = flat[4 * n + r];
    return s;
  }
  for (int64_t n = 0; n < kScoreBlocks; ++n) {
    for (int64_t kp = 0; kp < D / 32; ++kp) {
      Value f = ldmatrix(
          ks, {buf, add(lane8, n * 8), add(mul(lane8Hi, 8), kp * 32)}, false);
      Value b0[2] = {mmaOperand(f, 0), mmaOperand(f, 1)};
      Value b1[2] = {mmaOperand(f, 2), mmaOperand(f, 3)};
      mma(qFrag[2 * kp], b0, s[n]);
      mma(qFrag[2 * kp + 1], b1, s[n]);
    }
  }
  return s;
}

void TensorCoreKernelBuilder::buildScoreModifiers(TileScores &s) {
  if (!modScore && !alwaysPartial) {
    Value scale = f32c(scaleLog2);
    for (auto &blk : s)
      for (Value &x : blk)
        x = arith::MulFOp::create(b, loc, x, scale);
  } else if (!alwaysPartial) {
    // Score modifiers apply to every tile, full ones included.
    for (int64_t n = 0; n < kScoreBlocks; ++n)
      for (int64_t r = 0; r < 4; ++r)
        s[n][r] = score(s[n][r], rowRead[r / 2], keyRead(keyOf(n, r)), Value(),
                        Value());
  }
}

SmallVector<Value>
TensorCoreKernelBuilder::buildMaskedScores(const TileScores &s,
                                           Value maskBits) {
  SmallVector<Value> masked;
  Value kvSeg[kScoreBlocks][2];
  if (qSegIds)
    for (int64_t n = 0; n < kScoreBlocks; ++n)
      for (int64_t e = 0; e < 2; ++e)
        kvSeg[n][e] = memref::LoadOp::create(
            b, loc, kvSegIds, ValueRange{bi, keyRead(keyOf(n, e))});
  for (int64_t n = 0; n < kScoreBlocks; ++n) {
    for (int64_t r = 0; r < 4; ++r) {
      Value key = keyOf(n, r);
      Value val = s[n][r];
      if (alwaysPartial)
        val = score(val, rowRead[r / 2], keyRead(key),
                    qSegIds ? qSeg[r / 2] : Value(),
                    qSegIds ? kvSeg[n][r % 2] : Value(),
                    mask && !boolMask ? loadMask(rowRead[r / 2], keyRead(key))
                                      : Value());
      // Keys past Lkv exist only when Lkv is not a multiple of 64; with
      // lengths, keys past kv_lengths and rows past q_lengths.
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
        keep = keep ? arith::AndIOp::create(b, loc, keep, c).getResult() : c;
      };
      if (lkvRagged(kGPUKeyTile) || kvLengths)
        andKeep(cmpi(arith::CmpIPredicate::slt, key, kvEnd));
      if (qLengths)
        andKeep(cmpi(arith::CmpIPredicate::slt, rowRaw[r / 2], qLen));
      for (StructuredMaskAttrInterface term : terms)
        andKeep(term.buildPredicate(b, loc, rowA[r / 2], key));
      masked.push_back(
          keep ? arith::SelectOp::create(b, loc, keep, val, negInf).getResult()
               : val);
    }
  }
  return masked;
}

void TensorCoreKernelBuilder::buildMasks(TileScores &s, Value maskBits,
                                         Value maskAll) {
  if (alwaysPartial) {
    SmallVector<Value> masked = buildMaskedScores(s, maskBits);
    for (int64_t n = 0; n < kScoreBlocks; ++n)
      for (int64_t r = 0; r < 4; ++r)
        s[n][r] = masked[n * 4 + r];
    return;
  }
  Value full = cmpi(arith::CmpIPredicate::sle, add(k0, kGPUKeyTile), kvEnd);
  if (qLengths)
    full = arith::AndIOp::create(
        b, loc, full,
        cmpi(arith::CmpIPredicate::sle, add(q0, kGPUQueryTile), qLen));
  if (boolMask)
    full = arith::AndIOp::create(b, loc, full, maskAll);
  for (StructuredMaskAttrInterface term : terms)
    full = arith::AndIOp::create(
        b, loc, full,
        term.buildTileIsFull(b, loc, qLoA, qHiA, k0, add(k0, kGPUKeyTile - 1)));
  SmallVector<Value> flat;
  for (auto &blk : s)
    flat.append(blk.begin(), blk.end());
  auto ifFull = scf::IfOp::create(
      b, loc, full,
      [&](OpBuilder &tb, Location tl) { scf::YieldOp::create(tb, tl, flat); },
      [&](OpBuilder &eb, Location el) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(eb.getInsertionBlock(), eb.getInsertionPoint());
        scf::YieldOp::create(b, loc, buildMaskedScores(s, maskBits));
      });
  for (int64_t n = 0; n < kScoreBlocks; ++n)
    for (int64_t r = 0; r < 4; ++r)
      s[n][r] = ifFull.getResult(n * 4 + r);
}

SmallVector<Value>
TensorCoreKernelBuilder::buildOnlineSoftmax(TileScores &s, ValueRange mOld,
                                            ValueRange lOld,
                                            MutableArrayRef<Value> acc) {
  // Online normalisation (softmax, softpick; sigmoid has no state), per
  // thread row h (registers 2h, 2h + 1 of a block).
  Value mNew[2], lNew[2];
  for (int64_t h = 0; h < 2; ++h) {
    Value mx;
    if (norm != Normalizer::sigmoid) {
      mx = negInf;
      for (int64_t n = 0; n < kScoreBlocks; ++n)
        mx = fmax(mx, fmax(s[n][2 * h], s[n][2 * h + 1]));
      mx = fmax(mx, shuffleXor(mx, 1));
      mx = fmax(mx, shuffleXor(mx, 2));
    }
    RowRescale rr = normRescale(mOld[h], mx);
    mNew[h] = rr.m;
    Value sum = zero;
    for (int64_t n = 0; n < kScoreBlocks; ++n) {
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
  return {mNew[0], mNew[1], lNew[0], lNew[1]};
}

void TensorCoreKernelBuilder::buildPV(const TileScores &p, Value buf,
                                      MutableArrayRef<Value> acc) {
  // P as A operands: k-step j covers key blocks 2j and 2j + 1.
  SmallVector<SmallVector<Value, 4>> pFrag;
  for (int64_t j = 0; j < kScoreBlocks / 2; ++j) {
    pFrag.push_back({packPair(p[2 * j][0], p[2 * j][1]),
                     packPair(p[2 * j][2], p[2 * j][3]),
                     packPair(p[2 * j + 1][0], p[2 * j + 1][1]),
                     packPair(p[2 * j + 1][2], p[2 * j + 1][3])});
  }

  // O += P . V; V fragments through ldmatrix.trans (mma.sync) or V by an
  // N-major descriptor (wgmma).
  if (wgmma) {
    Value first = cmpi(arith::CmpIPredicate::eq, buf, idx(0));
    Value vd = arith::SelectOp::create(b, loc, first, vDesc[0], vDesc[1]);
    wgmmaPV(pFrag, vd, acc);
    return;
  }
  for (int64_t n2 = 0; n2 < D / 16; ++n2) {
    for (int64_t j = 0; j < kScoreBlocks / 2; ++j) {
      Value row = add(add(lane8, mul(remu(lane8Hi, 2), 8)), j * 16);
      Value f = ldmatrix(vs, {buf, row, add(mul(laneHi, 8), n2 * 16)}, true);
      Value b0[2] = {mmaOperand(f, 0), mmaOperand(f, 1)};
      Value b1[2] = {mmaOperand(f, 2), mmaOperand(f, 3)};
      mma(pFrag[j], b0, acc.slice(2 * n2 * 4, 4));
      mma(pFrag[j], b1, acc.slice((2 * n2 + 1) * 4, 4));
    }
  }
}

//===----------------------------------------------------------------------===//
// Epilogue
//===----------------------------------------------------------------------===//

void TensorCoreKernelBuilder::buildEpilogue(ValueRange res) {
  // The quad's partial sums, O / l (0 for empty rows), store.
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
        Value val = normLogSumExp(l, res[nOut * 4 + h]);
        Value first = cmpi(arith::CmpIPredicate::eq, remu(lane, 4), idx(0));
        buildIfThen(first, [&] {
          memref::StoreOp::create(b, loc, val, lse, ValueRange{bi, hi, row});
        });
      }
    };
    if (!lqRagged(kGPUQueryTile)) {
      store(b, loc);
    } else {
      Value inRange = cmpi(arith::CmpIPredicate::slt, row, lqV);
      buildIfThen(inRange, [&] { store(b, loc); });
    }
  }
}
