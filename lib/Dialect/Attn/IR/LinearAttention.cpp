//===- LinearAttention.cpp - attn.linear_attention --------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Verifier, result names and shapes of `attn.linear_attention`. Its
// reference decomposition is in LinearAttentionDecomposition.cpp.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::verify;

static bool isIndexLike(Type t) { return t.isInteger(32) || t.isInteger(64); }

std::optional<int64_t> LinearAttentionOp::getStaticGroupSize() {
  return staticGroupSize(getQueryType().getDimSize(1),
                         getKeyType().getDimSize(1));
}

std::optional<double> LinearAttentionOp::getStaticScale() {
  return staticScale(getScaleAttr(), getQueryType().getDimSize(3));
}

LogicalResult LinearAttentionOp::verify() {
  RankedTensorType qT = getQueryType(), kT = getKeyType(), vT = getValueType();
  if (failed(verifyBHLDOperands(*this,
                                {{"query", qT}, {"key", kT}, {"value", vT}})))
    return failure();
  ArrayRef<int64_t> q = qT.getShape(), k = kT.getShape(), v = vT.getShape();
  if (failed(verifyQKVBatchAndHeads(*this, q, k, v)))
    return failure();
  if (!compatible(q[2], k[2]) || !compatible(q[2], v[2]))
    return emitOpError("expects query, key and value to share a sequence "
                       "length, got ")
           << shapeStr(q) << ", " << shapeStr(k) << " and " << shapeStr(v);
  if (failed(verifyQKHeadDim(*this, q, k)))
    return failure();
  if (failed(verifyHeadGroups(*this, q[1], k[1], "key/value")))
    return failure();
  if (!getScaleAttr() && q[3] == 0)
    return emitOpError("expects an explicit scale when the query/key head "
                       "dimension is 0");
  if (FloatAttr s = getScaleAttr())
    if (!std::isfinite(s.getValueAsDouble()))
      return emitOpError("expects a finite scale, got ")
             << s.getValueAsDouble();

  int64_t B = q[0], H = q[1], L = q[2], Dk = q[3], Dv = v[3];
  bool norm = getNormalize();

  // Results and destinations.
  unsigned maxInits = norm ? 3 : 2;
  if (getInits().empty() || getInits().size() > maxInits)
    return emitOpError("expects 1 to ")
           << maxInits << " inits (output, final state"
           << (norm ? ", final normalizer state" : "") << "), got "
           << getInits().size();
  if (failed(verifyOneResultPerInit(*this, getNumResults(), getInits().size())))
    return failure();
  for (auto [r, init] : llvm::zip(getResults(), getInits()))
    if (r.getType() != init.getType())
      return emitOpError("expects each result to have the type of its init, "
                         "got ")
             << r.getType() << " and " << init.getType();
  if (norm && getInits().size() == 2)
    return emitOpError("expects the final normalizer state with the final "
                       "state of a normalized op");
  RankedTensorType oT = getOutputType();
  if (!isSupportedFloat(oT.getElementType()))
    return emitOpError("expects the output element type to be f32, f16 or "
                       "bf16, got ")
           << oT.getElementType();
  if (!shapeCompatible(oT.getShape(), {B, H, L, Dv}))
    return emitOpError("expects the output of shape ")
           << shapeStr({B, H, L, Dv}) << " ([B, Hq, L, Dv]), got "
           << shapeStr(oT.getShape());

  // States (initial and final): f32 [B, Hq, Dk, Dv] and [B, Hq, Dk].
  auto checkState = [&](Value s, StringRef what,
                        ArrayRef<int64_t> expected) -> LogicalResult {
    auto t = cast<RankedTensorType>(s.getType());
    if (!t.getElementType().isF32())
      return emitOpError("expects the ")
             << what << " element type to be f32, got " << t.getElementType();
    if (!shapeCompatible(t.getShape(), expected))
      return emitOpError("expects the ")
             << what << " of shape " << shapeStr(expected) << ", got "
             << shapeStr(t.getShape());
    return success();
  };
  SmallVector<int64_t> sShape = {B, H, Dk, Dv}, zShape = {B, H, Dk};
  if (Value s = getFinalState())
    if (failed(checkState(s, "final state", sShape)))
      return failure();
  if (Value z = getFinalNormalizer())
    if (failed(checkState(z, "final normalizer state", zShape)))
      return failure();
  unsigned numInitial = getInitialState().size();
  if (numInitial > 0 && numInitial != (norm ? 2u : 1u))
    return emitOpError("expects ")
           << (norm ? "two initial states (S0, z0)" : "one initial state (S0)")
           << (norm ? " with" : " without") << " 'normalize', got "
           << numInitial;
  if (Value s = getInitialS())
    if (failed(checkState(s, "initial state", sShape)))
      return failure();
  if (Value z = getInitialZ())
    if (failed(checkState(z, "initial normalizer state", zShape)))
      return failure();

  // Decay.
  if (Value g = getLogDecay()) {
    auto gT = cast<RankedTensorType>(g.getType());
    if (!isSupportedFloat(gT.getElementType()))
      return emitOpError("expects the log_decay element type to be f32, f16 "
                         "or bf16, got ")
             << gT.getElementType();
    SmallVector<int64_t> expected;
    if (gT.getRank() == 1)
      expected = {H};
    else if (gT.getRank() == 3)
      expected = {B, H, L};
    else if (gT.getRank() == 4)
      expected = {B, H, L, Dk};
    else
      return emitOpError("expects log_decay of rank 1 ([Hq]), 3 ([B, Hq, L]) "
                         "or 4 ([B, Hq, L, Dk]), got rank ")
             << gT.getRank();
    if (!shapeCompatible(gT.getShape(), expected))
      return emitOpError("expects log_decay of shape ")
             << shapeStr(expected) << ", got " << shapeStr(gT.getShape());
    if (!getCausal())
      return emitOpError("expects 'causal' with a log_decay: the non-causal "
                         "form has no decay");
  }

  // Packed sequences.
  if (getSegmentIds() && getCuSeqlens())
    return emitOpError("expects segment_ids or cu_seqlens, not both");
  if (Value s = getSegmentIds()) {
    auto sT = cast<RankedTensorType>(s.getType());
    if (!isIndexLike(sT.getElementType()))
      return emitOpError("expects i32 or i64 segment_ids, got ")
             << sT.getElementType();
    if (!shapeCompatible(sT.getShape(), {B, L}))
      return emitOpError("expects segment_ids of shape ")
             << shapeStr({B, L}) << " ([B, L]), got "
             << shapeStr(sT.getShape());
  }
  if (Value c = getCuSeqlens()) {
    auto cT = cast<RankedTensorType>(c.getType());
    if (!isIndexLike(cT.getElementType()))
      return emitOpError("expects i32 or i64 cu_seqlens, got ")
             << cT.getElementType();
    if (cT.getRank() != 1)
      return emitOpError("expects cu_seqlens of rank 1 ([N + 1]), got rank ")
             << cT.getRank();
  }

  if (getEpsAttr()) {
    if (!norm)
      return emitOpError("expects 'eps' only with 'normalize'");
    if (!std::isfinite(getEpsValue()) || getEpsValue() < 0)
      return emitOpError("expects a finite non-negative eps, got ")
             << getEpsValue();
  }
  return success();
}

/// The block argument types of a q_mod/k_mod region: (x, b, h, t, d).
static SmallVector<Type> featureModArgTypes(MLIRContext *ctx) {
  Builder b(ctx);
  Type idx = b.getIndexType();
  return {b.getF32Type(), idx, idx, idx, idx};
}

LogicalResult LinearAttentionOp::verifyRegions() {
  SmallVector<Type> args = featureModArgTypes(getContext());
  Type f32 = Float32Type::get(getContext());
  for (auto [region, name] :
       {std::pair{&getQMod(), "q_mod"}, std::pair{&getKMod(), "k_mod"}}) {
    if (region->empty())
      continue;
    if (failed(verifyModRegion(*this, *region, name, args, f32)))
      return failure();
    if (getFeatureMap() != FeatureMap::identity)
      return emitOpError("expects the identity feature_map with a ")
             << name << " region (the region is the feature map), got "
             << stringifyFeatureMap(getFeatureMap());
    // The op is Pure: what it runs must be.
    for (Operation &o : region->front().without_terminator())
      if (!isMemoryEffectFree(&o))
        return emitOpError("expects ")
               << name << " to be free of side effects, got '" << o.getName()
               << "'";
  }
  return success();
}

namespace {
/// Erases a q_mod/k_mod region that yields its element unchanged (the
/// identity map, which is the default).
struct EraseIdentityFeatureMod final : OpRewritePattern<LinearAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearAttentionOp op,
                                PatternRewriter &rewriter) const override {
    for (Region *r : {&op.getQMod(), &op.getKMod()}) {
      if (r->empty())
        continue;
      auto yield = cast<YieldOp>(r->front().getTerminator());
      if (yield.getValues()[0] != r->front().getArgument(0))
        continue;
      rewriter.modifyOpInPlace(op, [&] { rewriter.eraseBlock(&r->front()); });
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no identity q_mod/k_mod");
  }
};
} // namespace

void LinearAttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                    MLIRContext *context) {
  results.add<EraseIdentityFeatureMod>(context);
}

void LinearAttentionOp::getAsmResultNames(
    function_ref<void(Value, StringRef)> setNameFn) {
  static const char *names[] = {"out", "state", "norm"};
  for (auto [i, r] : llvm::enumerate(getResults()))
    setNameFn(r, names[i]);
}

LogicalResult LinearAttentionOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  for (Value init : getInits())
    reifiedReturnShapes.push_back(tensor::getMixedSizes(b, getLoc(), init));
  return success();
}
