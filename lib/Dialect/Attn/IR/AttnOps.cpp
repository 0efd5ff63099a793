//===- AttnOps.cpp - attn operations ----------------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::verify;

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

std::optional<int64_t> AttentionOp::getStaticGroupSize() {
  // A tile's local head mapping is not h / g (see buildLocalKVHead).
  if (hasTileCoordinates())
    return std::nullopt;
  return staticGroupSize(getQueryType().getDimSize(1),
                         getLogicalKVShape(getKey())[1]);
}

std::optional<double> AttentionOp::getStaticScale() {
  return staticScale(getScaleAttr(), getQueryType().getDimSize(3));
}

SmallVector<StructuredMaskAttrInterface> AttentionOp::getMaskTerms() {
  SmallVector<StructuredMaskAttrInterface> terms;
  if (std::optional<ArrayAttr> masks = getMasks())
    for (Attribute a : *masks)
      if (auto t = dyn_cast<StructuredMaskAttrInterface>(a))
        terms.push_back(t);
  return terms;
}

/// Verifies that `operand` is a rank-`rank` tensor of integers whose shape is
/// compatible with `expected`.
static LogicalResult verifyIndexOperand(AttentionOp op, StringRef name,
                                        Value operand,
                                        ArrayRef<int64_t> expected,
                                        StringRef layout) {
  auto t = cast<RankedTensorType>(operand.getType());
  if (!t.getElementType().isSignlessInteger() ||
      t.getElementType().getIntOrFloatBitWidth() < 8)
    return op.emitOpError("expects ")
           << name << " to have a signless integer element type, got "
           << t.getElementType();
  if (t.getRank() != static_cast<int64_t>(expected.size()))
    return op.emitOpError("expects ")
           << name << " to have rank " << expected.size() << " (" << layout
           << "), got rank " << t.getRank();
  for (auto [got, want] : llvm::zip(t.getShape(), expected))
    if (!compatible(got, want))
      return op.emitOpError("expects ")
             << name << " of shape " << shapeStr(expected) << " " << layout
             << ", got " << shapeStr(t.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// Paged KV layout
//===----------------------------------------------------------------------===//

/// Axes of the page-size and head dimensions of a pool.
static std::pair<unsigned, unsigned> poolAxes(KvLayout layout) {
  return layout == KvLayout::paged_hnd ? std::make_pair(2u, 1u)
                                       : std::make_pair(1u, 2u);
}

int64_t AttentionOp::getPageSize() {
  return getKeyType().getDimSize(poolAxes(getKvLayout()).first);
}

unsigned AttentionOp::getKVHeadAxis() {
  return isPaged() ? poolAxes(getKvLayout()).second : 1;
}

OpFoldResult AttentionOp::getMixedKVLength(OpBuilder &b, Location loc) {
  if (!isPaged())
    return tensor::getMixedSize(b, loc, getKey(), 2);
  return affine::makeComposedFoldedAffineApply(
      b, loc, b.getAffineSymbolExpr(0) * getPageSize(),
      {tensor::getMixedSize(b, loc, getPageTable(), 1)});
}

OpFoldResult AttentionOp::getMixedKVHeads(OpBuilder &b, Location loc) {
  return tensor::getMixedSize(b, loc, getKey(), getKVHeadAxis());
}

SmallVector<int64_t> AttentionOp::getLogicalKVShape(Value keyOrValue) {
  auto t = cast<RankedTensorType>(keyOrValue.getType());
  if (!isPaged() || t.getRank() != 4)
    return llvm::to_vector(t.getShape());
  auto tableT = cast<RankedTensorType>(getPageTable().getType());
  auto [pageAxis, headAxis] = poolAxes(getKvLayout());
  int64_t b = tableT.getRank() == 2 ? tableT.getDimSize(0)
                                    : ShapedType::kDynamic;
  int64_t maxPages = tableT.getRank() == 2 ? tableT.getDimSize(1)
                                           : ShapedType::kDynamic;
  int64_t p = t.getDimSize(pageAxis);
  int64_t lkv = ShapedType::isDynamic(maxPages) || ShapedType::isDynamic(p)
                    ? ShapedType::kDynamic
                    : maxPages * p;
  return {b, t.getDimSize(headAxis), lkv, t.getDimSize(3)};
}

/// The pool, table and static-content checks of a paged op.
static LogicalResult verifyPagedLayout(AttentionOp op) {
  bool paged = op.getKvLayout() != KvLayout::contiguous;
  if (paged != op.isPaged())
    return op.emitOpError(paged ? "expects a page_table with a paged kv_layout"
                                : "expects kv_layout paged_nhd or paged_hnd "
                                  "with a page_table");
  if (!paged)
    return success();
  RankedTensorType kT = op.getKeyType(), vT = op.getValueType();
  auto [pageAxis, headAxis] = poolAxes(op.getKvLayout());
  StringRef layoutStr = op.getKvLayout() == KvLayout::paged_hnd
                            ? "([pages, Hkv, P, D])"
                            : "([pages, P, Hkv, D])";
  ArrayRef<int64_t> k = kT.getShape(), v = vT.getShape();
  if (!compatible(k[0], v[0]))
    return op.emitOpError("expects key and value pools with the same number "
                          "of pages ")
           << layoutStr << ", got " << k[0] << " and " << v[0];
  if (!compatible(k[pageAxis], v[pageAxis]))
    return op.emitOpError("expects key and value pools with the same page "
                          "size, got ")
           << k[pageAxis] << " and " << v[pageAxis];
  if (!compatible(k[headAxis], v[headAxis]))
    return op.emitOpError("expects key and value pools with the same number "
                          "of heads, got ")
           << k[headAxis] << " and " << v[headAxis];
  if (ShapedType::isDynamic(k[pageAxis]) || k[pageAxis] <= 0)
    return op.emitOpError("expects a static, positive page size, got ")
           << shapeStr(k[pageAxis]);
  auto tableT = cast<RankedTensorType>(op.getPageTable().getType());
  Type elt = tableT.getElementType();
  if (!elt.isSignlessInteger(32) && !elt.isSignlessInteger(64))
    return op.emitOpError("expects page_table to have element type i32 or "
                          "i64, got ")
           << elt;
  if (tableT.getRank() != 2)
    return op.emitOpError("expects page_table to have rank 2 "
                          "([B, max_pages]), got rank ")
           << tableT.getRank();
  int64_t pageSize = k[pageAxis];
  // A paged tile's keys are whole pages of the table's columns.
  if (op.hasTileCoordinates())
    if (std::optional<int64_t> kv0 = getConstantIntValue(op.getOffsets()[3]);
        kv0 && *kv0 % pageSize != 0)
      return op.emitOpError("expects the key offset of a paged tile to be a "
                            "multiple of the page size ")
             << pageSize << ", got " << *kv0;
  // Static contents: entries inside the pool, lengths inside the table.
  DenseIntElementsAttr table;
  if (!ShapedType::isDynamic(k[0]) &&
      matchPattern(op.getPageTable(), m_Constant(&table)))
    for (auto [i, e] : llvm::enumerate(table.getValues<APInt>()))
      if (e.getSExtValue() < 0 || e.getSExtValue() >= k[0])
        return op.emitOpError("expects page_table entries in [0, ")
               << k[0] << "), got " << e.getSExtValue() << " at flat index "
               << i;
  DenseIntElementsAttr lengths;
  int64_t maxPages = tableT.getDimSize(1);
  if (Value kl = op.getKvLengths())
    if (!ShapedType::isDynamic(maxPages) &&
        matchPattern(kl, m_Constant(&lengths)))
      for (auto [i, e] : llvm::enumerate(lengths.getValues<APInt>()))
        if (e.getSExtValue() > maxPages * pageSize)
          return op.emitOpError("expects kv_lengths at most max_pages * "
                                "page_size = ")
                 << maxPages * pageSize << ", got " << e.getSExtValue()
                 << " at index " << i;
  return success();
}

LogicalResult AttentionOp::verify() {
  RankedTensorType qT = getQueryType(), kT = getKeyType(), vT = getValueType();
  if (failed(verifyBHLDOperands(*this,
                                {{"query", qT}, {"key", kT}, {"value", vT}})))
    return failure();
  if (qT.getElementType() != kT.getElementType() ||
      qT.getElementType() != vT.getElementType())
    return emitOpError("expects query, key and value to share an element "
                       "type, got ")
           << qT.getElementType() << ", " << kT.getElementType() << " and "
           << vT.getElementType();

  if (failed(verifyPagedLayout(*this)) || failed(verifyKeyBlockLists(*this)))
    return failure();
  ArrayRef<int64_t> q = qT.getShape();
  SmallVector<int64_t> kLogical = getLogicalKVShape(getKey()),
                       vLogical = getLogicalKVShape(getValue());
  ArrayRef<int64_t> k = kLogical, v = vLogical;
  if (failed(verifyQKVBatchAndHeads(*this, q, k, v)))
    return failure();
  if (!compatible(k[2], v[2]))
    return emitOpError("expects key and value to share a sequence length, "
                       "got ")
           << k[2] << " and " << v[2];
  if (failed(verifyQKHeadDim(*this, q, k)))
    return failure();
  if (failed(verifyHeadGroups(*this, q[1], k[1], "key/value",
                              /*checkGroups=*/false)))
    return failure();
  // The default scale 1/sqrt(Dqk) is infinite at Dqk = 0 (scores 0 * inf).
  if (q[3] == 0 && !getScaleAttr())
    return emitOpError("expects an explicit scale when the query/key head "
                       "dimension is 0");
  if (getOffsets().empty() &&
      failed(verifyHeadGroups(*this, q[1], k[1], "key/value")))
    return failure();

  // Destinations and results (the DPS interface checks that they match).
  Normalizer norm = getNormalizer();
  unsigned numInits = getInits().size();
  if (getPartial() ? numInits != 3 : (numInits < 1 || numInits > 2))
    return emitOpError("expects ")
           << (getPartial() ? "three inits (acc, max, sum) in the partial form"
                            : "one or two inits (output and optional "
                              "log-sum-exp)")
           << ", got " << numInits;
  if (failed(verifyOneResultPerInit(*this, getNumResults(), numInits)))
    return failure();
  RankedTensorType oT = getOutputType();
  SmallVector<int64_t> oExpected = {q[0], q[1], q[2], v[3]};
  if (oT.getRank() != 4)
    return emitOpError("expects the output to have rank 4 ([B, Hq, Lq, Dv]), "
                       "got rank ")
           << oT.getRank();
  if (getPartial() ? !oT.getElementType().isF32()
                   : !isSupportedFloat(oT.getElementType()))
    return emitOpError(getPartial()
                           ? "expects an f32 accumulator in the partial form, "
                             "got "
                           : "expects the output element type to be f32, f16 "
                             "or bf16, got ")
           << oT.getElementType();
  for (auto [got, want] : llvm::zip(oT.getShape(), oExpected))
    if (!compatible(got, want))
      return emitOpError("expects the output of shape ")
             << shapeStr(oExpected) << " ([B, Hq, Lq, Dv]), got "
             << shapeStr(oT.getShape());

  // Row results: the log-sum-exp, or the partial form's max and sum.
  SmallVector<int64_t> rowExpected = {q[0], q[1], q[2]};
  auto verifyRow = [&](Value r, StringRef name) -> LogicalResult {
    auto lT = cast<RankedTensorType>(r.getType());
    if (!lT.getElementType().isF32())
      return emitOpError("expects the ")
             << name << " result to be f32, got " << lT.getElementType();
    if (lT.getRank() != 3 ||
        !llvm::all_of(llvm::zip(lT.getShape(), rowExpected), [](auto p) {
          return compatible(std::get<0>(p), std::get<1>(p));
        }))
      return emitOpError("expects the ")
             << name << " result of shape " << shapeStr(rowExpected)
             << " ([B, Hq, Lq]), got " << shapeStr(lT.getShape());
    return success();
  };
  if (getPartial()) {
    if (getSinks())
      return emitOpError("expects no sinks in the partial form: sink logits "
                         "join the state when it is finalised");
    if (failed(verifyRow(getPartialMax(), "running maximum")) ||
        failed(verifyRow(getPartialSum(), "running sum")))
      return failure();
  }
  if (Value lse = getLse()) {
    if (norm != Normalizer::softmax)
      return emitOpError("expects no log-sum-exp result with the '")
             << stringifyNormalizer(norm) << "' normalizer";
    if (failed(verifyRow(lse, "log-sum-exp")))
      return failure();
  }

  // Tile coordinates.
  if (getOffsets().empty() != getExtents().empty() ||
      (!getOffsets().empty() &&
       (getOffsets().size() != 4 || getExtents().size() != 3)))
    return emitOpError("expects tile coordinates as four offsets (b, h, q, "
                       "kv) and three problem extents (Lq, Lkv, group size), "
                       "got ")
           << getOffsets().size() << " and " << getExtents().size();

  // Scalar attributes.
  if (FloatAttr a = getScaleAttr()) {
    double s = a.getValueAsDouble();
    if (!std::isfinite(s) || s <= 0.0)
      return emitOpError("expects a positive finite scale, got ") << s;
  }
  if (FloatAttr a = getSoftcapAttr()) {
    double c = a.getValueAsDouble();
    if (!std::isfinite(c) || c <= 0.0)
      return emitOpError("expects a positive finite softcap, got ") << c;
  }
  if (FloatAttr a = getSigmoidBiasAttr()) {
    if (norm != Normalizer::sigmoid)
      return emitOpError("expects 'sigmoid_bias' only with the 'sigmoid' "
                         "normalizer");
    if (!std::isfinite(a.getValueAsDouble()))
      return emitOpError("expects a finite sigmoid_bias, got ")
             << a.getValueAsDouble();
  }

  // Mask tensor: numpy broadcasting from the right against [B, Hq, Lq, Lkv].
  if (Value mask = getMask()) {
    auto mT = cast<RankedTensorType>(mask.getType());
    Type e = mT.getElementType();
    if (!e.isInteger(1) && !isa<FloatType>(e))
      return emitOpError("expects a boolean (i1) or floating-point mask, got ")
             << e;
    if (mT.getRank() < 2 || mT.getRank() > 4)
      return emitOpError("expects a mask of rank 2 to 4 broadcastable to "
                         "[B, Hq, Lq, Lkv], got rank ")
             << mT.getRank();
    SmallVector<int64_t> full = {q[0], q[1], q[2], k[2]};
    int64_t lead = 4 - mT.getRank();
    for (int64_t i = 0; i < mT.getRank(); ++i) {
      int64_t d = mT.getDimSize(i);
      if (d != 1 && !compatible(d, full[lead + i]))
        return emitOpError("expects a mask broadcastable to ")
               << shapeStr(full) << " ([B, Hq, Lq, Lkv]), got "
               << shapeStr(mT.getShape());
    }
  }

  // Lengths and segment ids.
  if (Value ql = getQLengths())
    if (failed(verifyIndexOperand(*this, "q_lengths", ql, {q[0]}, "([B])")))
      return failure();
  if (Value kl = getKvLengths())
    if (failed(verifyIndexOperand(*this, "kv_lengths", kl, {q[0]}, "([B])")))
      return failure();
  if (static_cast<bool>(getQSegmentIds()) !=
      static_cast<bool>(getKvSegmentIds()))
    return emitOpError("expects q_segment_ids and kv_segment_ids together");
  if (Value qs = getQSegmentIds()) {
    if (failed(verifyIndexOperand(*this, "q_segment_ids", qs, {q[0], q[2]},
                                  "([B, Lq])")) ||
        failed(verifyIndexOperand(*this, "kv_segment_ids", getKvSegmentIds(),
                                  {q[0], k[2]}, "([B, Lkv])")))
      return failure();
    if (cast<RankedTensorType>(qs.getType()).getElementType() !=
        cast<RankedTensorType>(getKvSegmentIds().getType()).getElementType())
      return emitOpError("expects q_segment_ids and kv_segment_ids to share "
                         "an element type");
  }

  // Sinks.
  if (Value sinks = getSinks()) {
    if (norm != Normalizer::softmax)
      return emitOpError("expects sinks only with the 'softmax' normalizer");
    auto sT = cast<RankedTensorType>(sinks.getType());
    if (!isa<FloatType>(sT.getElementType()))
      return emitOpError("expects floating-point sink logits, got ")
             << sT.getElementType();
    if (sT.getRank() != 1 || !compatible(sT.getDimSize(0), q[1]))
      return emitOpError("expects one sink logit per query head ([")
             << (ShapedType::isDynamic(q[1]) ? std::string("?")
                                             : std::to_string(q[1]))
             << "]), got " << shapeStr(sT.getShape());
  }

  // Structured mask terms.
  if (std::optional<ArrayAttr> masks = getMasks()) {
    llvm::SmallPtrSet<TypeID, 4> seen;
    bool causal = false, prefix = false;
    std::optional<int64_t> windowRight;
    for (Attribute a : *masks) {
      if (!isa<StructuredMaskAttrInterface>(a))
        return emitOpError("expects structured mask attributes in 'masks', "
                           "got ")
               << a;
      if (!seen.insert(a.getTypeID()).second)
        return emitOpError("expects at most one mask term of each kind, got ")
               << a << " twice";
      causal |= isa<CausalAttr>(a);
      prefix |= isa<PrefixLMAttr>(a);
      if (auto w = dyn_cast<SlidingWindowAttr>(a))
        windowRight = w.getRight();
      int64_t lkv = getLogicalKVShape(getKey())[2];
      if (auto n = dyn_cast<NeighborhoodAttr>(a);
          n && !ShapedType::isDynamic(lkv) && lkv != n.getNumTokens())
        return emitOpError("expects as many keys as tokens of the "
                           "neighborhood grid, got ")
               << lkv << " keys for " << n.getNumTokens() << " tokens";
    }
    if (causal && prefix)
      return emitOpError("expects #attn.causal and #attn.prefix_lm not to be "
                         "combined: the causal term hides the bidirectional "
                         "prefix");
    if (causal && windowRight && *windowRight > 0)
      return emitOpError("expects a sliding window with right = 0 under "
                         "#attn.causal, got right = ")
             << *windowRight;
  }
  return success();
}

LogicalResult AttentionOp::verifyRegions() {
  Builder b(getContext());
  Type idx = b.getIndexType();
  if (failed(verifyModRegion(*this, getScoreMod(), "score_mod",
                             {b.getF32Type(), idx, idx, idx, idx},
                             b.getF32Type())))
    return failure();
  return verifyModRegion(*this, getMaskMod(), "mask_mod", {idx, idx, idx, idx},
                         b.getI1Type());
}

void mlir::attn::setStateResultNames(
    ValueRange results, bool unnormalized,
    function_ref<void(Value, StringRef)> setNameFn) {
  static constexpr StringRef normalised[] = {"out", "lse"};
  static constexpr StringRef state[] = {"acc", "max", "sum"};
  for (auto [i, r] : llvm::enumerate(results))
    if (i < (unnormalized ? 3u : 2u))
      setNameFn(r, unnormalized ? state[i] : normalised[i]);
}

void AttentionOp::getAsmResultNames(
    function_ref<void(Value, StringRef)> setNameFn) {
  setStateResultNames(getResults(), getPartial(), setNameFn);
}

LogicalResult AttentionOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> q = tensor::getMixedSizes(b, loc, getQuery());
  OpFoldResult dv = tensor::getMixedSize(b, loc, getValue(), 3);
  reifiedReturnShapes.push_back({q[0], q[1], q[2], dv});
  for (unsigned i = 1, e = getNumResults(); i < e; ++i)
    reifiedReturnShapes.push_back({q[0], q[1], q[2]});
  return success();
}

//===----------------------------------------------------------------------===//
// Canonicalization
//===----------------------------------------------------------------------===//

namespace {
/// Erases a score_mod region that yields its score argument unchanged.
struct EraseIdentityScoreMod final : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Region &r = op.getScoreMod();
    if (r.empty())
      return rewriter.notifyMatchFailure(op, "no score_mod");
    auto yield = cast<YieldOp>(r.front().getTerminator());
    if (yield.getValues()[0] != r.front().getArgument(0))
      return rewriter.notifyMatchFailure(op, "score_mod changes the score");
    rewriter.modifyOpInPlace(op, [&] { rewriter.eraseBlock(&r.front()); });
    return success();
  }
};

/// Erases a mask_mod region that yields a constant true.
struct EraseTrueMaskMod final : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Region &r = op.getMaskMod();
    if (r.empty())
      return rewriter.notifyMatchFailure(op, "no mask_mod");
    auto yield = cast<YieldOp>(r.front().getTerminator());
    if (!matchPattern(yield.getValues()[0], m_One()))
      return rewriter.notifyMatchFailure(op, "mask_mod is not constant true");
    rewriter.modifyOpInPlace(op, [&] { rewriter.eraseBlock(&r.front()); });
    return success();
  }
};

/// Drops a mask tensor that is a splat of `true` (boolean) or `0.0`
/// (additive): it keeps every score unchanged.
struct DropNeutralMaskTensor final : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    if (!mask)
      return rewriter.notifyMatchFailure(op, "no mask tensor");
    bool neutral = cast<ShapedType>(mask.getType()).getElementType().isInteger(1)
                       ? matchPattern(mask, m_One())
                       : matchPattern(mask, m_AnyZeroFloat());
    if (!neutral)
      return rewriter.notifyMatchFailure(op, "mask tensor is not neutral");
    rewriter.modifyOpInPlace(op, [&] { op.getMaskMutable().clear(); });
    return success();
  }
};

/// Folds `tensor.cast` producers that make an operand more static into the
/// op (the results are cast back). Upstream's generic DPS cast folding
/// clones the op with `cloneRegionBefore`, which does not support the empty
/// optional regions this op has; this pattern runs first (higher benefit)
/// and moves the regions instead of cloning them.
struct FoldTensorCastIntoAttention final : OpRewritePattern<AttentionOp> {
  FoldTensorCastIntoAttention(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!tensor::hasFoldableTensorCastOperand(op))
      return rewriter.notifyMatchFailure(op, "no foldable tensor.cast operand");
    SmallVector<Type> resultTypes(op->getResultTypes());
    SmallVector<Value> operands =
        tensor::getUpdatedOperandsAfterCastOpFolding(op, resultTypes);
    OperationState state(op.getLoc(), op->getName(), operands, resultTypes,
                         llvm::to_vector(op->getDiscardableAttrs()));
    state.useProperties(op.getProperties());
    for (unsigned i = 0, e = op->getNumRegions(); i < e; ++i)
      state.addRegion();
    Operation *newOp = rewriter.create(state);
    for (auto [from, to] : llvm::zip(op->getRegions(), newOp->getRegions()))
      rewriter.inlineRegionBefore(from, to, to.end());
    SmallVector<Value> replacements;
    for (auto [oldR, newR] : llvm::zip(op->getResults(), newOp->getResults()))
      replacements.push_back(
          oldR.getType() == newR.getType()
              ? Value(newR)
              : tensor::CastOp::create(rewriter, op.getLoc(), oldR.getType(),
                                       newR)
                    .getResult());
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

/// Drops an empty `masks` array.
struct DropEmptyMasks final : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<ArrayAttr> masks = op.getMasks();
    if (!masks || !masks->empty())
      return rewriter.notifyMatchFailure(op, "no empty masks array");
    rewriter.modifyOpInPlace(op, [&] { op.removeMasksAttr(); });
    return success();
  }
};
} // namespace

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<EraseIdentityScoreMod, EraseTrueMaskMod, DropNeutralMaskTensor,
              DropEmptyMasks, FoldTensorCastIntoAttention>(context);
}
