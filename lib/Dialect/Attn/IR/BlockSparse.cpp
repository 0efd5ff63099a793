//===- BlockSparse.cpp - attn.block_scores, attn.select_blocks --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Verifiers, result names and shapes of the content-based block-sparsity
// ops. Their reference decompositions are in BlockSparseDecomposition.cpp.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::verify;

/// ceil(a / b) of a static extent, dynamic stays dynamic.
static int64_t ceilDivDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? ShapedType::kDynamic : (a + b - 1) / b;
}

//===----------------------------------------------------------------------===//
// BlockScoresOp
//===----------------------------------------------------------------------===//

LogicalResult BlockScoresOp::verify() {
  // I64Attr getters are unsigned: compare as signed values.
  int64_t bk = getBlockSize(), bq = getQueryBlock();
  RankedTensorType qT = getQueryType(), kT = getKeyType();
  if (failed(verifyBHLDOperands(*this, {{"query", qT}, {"key", kT}})))
    return failure();
  ArrayRef<int64_t> q = qT.getShape(), k = kT.getShape();
  if (!compatible(q[0], k[0]))
    return emitOpError("expects query and key to share the batch size, got ")
           << q[0] << " and " << k[0];
  if (failed(verifyQKHeadDim(*this, q, k)))
    return failure();
  if (failed(verifyHeadGroups(*this, q[1], k[1], "key")))
    return failure();
  if (bk < 1)
    return emitOpError("expects a block_size >= 1, got ") << bk;
  if (bq < 1)
    return emitOpError("expects a query_block >= 1, got ") << bq;
  StringRef pooling = getPooling(), reduce = getReduce();
  if (pooling != "mean" && pooling != "max" && pooling != "none")
    return emitOpError("expects pooling \"mean\", \"max\" or \"none\", got \"")
           << pooling << "\"";
  if (reduce != "sum" && reduce != "max")
    return emitOpError("expects reduce \"sum\" or \"max\", got \"")
           << reduce << "\"";
  if (FloatAttr s = getScaleAttr())
    if (!std::isfinite(s.getValueAsDouble()))
      return emitOpError("expects a finite scale, got ")
             << s.getValueAsDouble();
  if (!getScaleAttr() && q[3] == 0)
    return emitOpError("expects an explicit scale when the head dimension "
                       "is 0");

  if (Value lse = getLse()) {
    if (!getNormalize())
      return emitOpError("expects 'normalize' with an lse operand");
    auto lT = cast<RankedTensorType>(lse.getType());
    if (!lT.getElementType().isF32())
      return emitOpError("expects an f32 lse, got ") << lT.getElementType();
    if (!shapeCompatible(lT.getShape(), {q[0], q[1], q[2]}))
      return emitOpError("expects an lse of shape ")
             << shapeStr({q[0], q[1], q[2]}) << " ([B, Hq, Lq]), got "
             << shapeStr(lT.getShape());
  }

  RankedTensorType rT = getResultType();
  if (rT != getInit().getType())
    return emitOpError("expects the result to have the type of its init, got ")
           << rT << " and " << getInit().getType();
  if (!rT.getElementType().isF32())
    return emitOpError("expects an f32 result, got ") << rT.getElementType();
  int64_t nk = isPooled() ? ceilDivDim(k[2], bk) : k[2];
  int64_t nq = ceilDivDim(q[2], bq);
  if (rT.getRank() != 4)
    return emitOpError("expects a result of rank 4 ([B, Hs, Nq, Nk]), got "
                       "rank ")
           << rT.getRank();
  ArrayRef<int64_t> r = rT.getShape();
  if (!shapeCompatible(r, {q[0], r[1], nq, nk}))
    return emitOpError("expects a result of shape ")
           << shapeStr({q[0], r[1], nq, nk})
           << " ([B, Hs, ceil(Lq / query_block), "
           << (isPooled() ? "ceil(Lk / block_size)" : "Lk") << "]), got "
           << shapeStr(r);
  if (!ShapedType::isDynamic(r[1]) && !compatible(r[1], q[1]) &&
      !compatible(r[1], k[1]))
    return emitOpError("expects the result's heads to be the query heads ")
           << "(" << q[1] << ") or the key heads (" << k[1] << "), got "
           << r[1];
  return success();
}

void BlockScoresOp::getAsmResultNames(
    function_ref<void(Value, StringRef)> setNameFn) {
  setNameFn(getResult(), "scores");
}

LogicalResult BlockScoresOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  reifiedReturnShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// SelectBlocksOp
//===----------------------------------------------------------------------===//

LogicalResult SelectBlocksOp::verify() {
  RankedTensorType sT = getScoresType();
  if (sT.getRank() != 4)
    return emitOpError("expects scores of rank 4 ([B, H, Nq, Nk]), got rank ")
           << sT.getRank();
  if (!isa<FloatType>(sT.getElementType()))
    return emitOpError("expects floating-point scores, got ")
           << sT.getElementType();
  ArrayRef<int64_t> s = sT.getShape();
  // I64Attr getters are unsigned: compare as signed values.
  int64_t k = getK(), bk = getBlockSize(), bq = getQueryBlock();
  int64_t forcedFirst = getForcedFirst(), local = getLocal();
  if (k < 0)
    return emitOpError("expects k >= 0, got ") << k;
  if (!ShapedType::isDynamic(s[3]) && k > s[3])
    return emitOpError("expects k <= the number of key blocks, got k = ")
           << k << " with " << s[3] << " blocks";
  if (bk < 1)
    return emitOpError("expects a block_size >= 1, got ") << bk;
  if (bq < 1)
    return emitOpError("expects a query_block >= 1, got ") << bq;
  if (forcedFirst < 0 || local < 0)
    return emitOpError("expects forced_first and local >= 0, got ")
           << forcedFirst << " and " << local;
  if (forcedFirst + local > k)
    return emitOpError("expects forced_first + local <= k, got ")
           << forcedFirst << " + " << local << " > " << k;
  if (FloatAttr t = getThresholdAttr()) {
    double v = t.getValueAsDouble();
    if (!std::isfinite(v) || v > 0.0)
      return emitOpError("expects a finite threshold <= 0 (log lambda, "
                         "lambda in (0, 1]), got ")
             << v;
  }
  if (!getLengths().empty() && getLengths().size() != 2)
    return emitOpError("expects two lengths (Lq, Lkv), got ")
           << getLengths().size();

  unsigned numResults = getSplit() ? 4 : 2;
  if (getInits().size() != numResults)
    return emitOpError("expects ")
           << numResults << " inits ("
           << (getSplit() ? "counts, indices, full_counts, full_indices"
                          : "counts, indices")
           << "), got " << getInits().size();
  if (failed(verifyOneResultPerInit(*this, getNumResults(), getInits().size())))
    return failure();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getResults(), getInits()))) {
    auto [r, init] = pair;
    if (r.getType() != init.getType())
      return emitOpError("expects each result to have the type of its init, "
                         "got ")
             << r.getType() << " and " << init.getType();
    auto t = cast<RankedTensorType>(r.getType());
    if (!t.getElementType().isInteger(32))
      return emitOpError("expects i32 counts and indices, got ")
             << t.getElementType();
    bool isList = i % 2 == 1;
    SmallVector<int64_t> expected = {s[0], s[1], s[2]};
    if (isList)
      expected.push_back(k);
    if (!shapeCompatible(t.getShape(), expected))
      return emitOpError("expects ")
             << (isList ? "block indices" : "block counts") << " of shape "
             << shapeStr(expected)
             << (isList ? " ([B, H, Nq, k])" : " ([B, H, Nq])") << ", got "
             << shapeStr(t.getShape());
  }
  return success();
}

void SelectBlocksOp::getAsmResultNames(
    function_ref<void(Value, StringRef)> setNameFn) {
  static const char *names[] = {"counts", "indices", "full_counts",
                                "full_indices"};
  for (auto [i, r] : llvm::enumerate(getResults()))
    setNameFn(r, names[i]);
}

LogicalResult SelectBlocksOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  for (Value init : getInits())
    reifiedReturnShapes.push_back(tensor::getMixedSizes(b, getLoc(), init));
  return success();
}
