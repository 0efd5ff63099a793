//===- AttnRaise.cpp - raise attention subgraphs to attn ops ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Recognises softmax(scale * Q.K^T + mask).V in linalg-on-tensors and TOSA
// graphs and replaces it by `attn.attention`. The pattern is rooted at the
// P.V contraction and walks up: softmax, then the score chain (mask terms,
// scale), then the Q.K^T contraction; Q, K and V are then traced back
// through the reshapes, transposes and broadcasts that split heads and
// repeat key/value heads, so that the new op reads [B, H, L, D] tensors and
// grouped key/value heads without copies. The score chain and the mask
// recognition are in RaiseScores.cpp, the operand tracing in
// RaiseSources.cpp.
//
//===----------------------------------------------------------------------===//

#include "RaiseScores.h"
#include "RaiseSources.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNRAISEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;

//===----------------------------------------------------------------------===//
// Raising
//===----------------------------------------------------------------------===//

/// When P·V reads P as a [B·H, Lq, Lkv] collapse (tensor.collapse_shape or
/// tosa.reshape) of a [B, H, Lq, Lkv] tensor, that tensor: frontends split
/// heads for the softmax and mask and merge them for batch matmuls.
static Value getLiftedProbabilities(Value p) {
  Operation *def = p.getDefiningOp();
  if (!def || !isa<tensor::CollapseShapeOp, tosa::ReshapeOp>(def))
    return {};
  Value src = def->getOperand(0);
  auto srcType = dyn_cast<RankedTensorType>(src.getType());
  auto type = dyn_cast<RankedTensorType>(p.getType());
  if (!srcType || !type || srcType.getRank() != 4 || type.getRank() != 3 ||
      ShapedType::isDynamic(srcType.getDimSize(1)))
    return {};
  // Both ops reshape row-major, so the shapes decide: [B, H, Lq, Lkv] to
  // [B·H, Lq, Lkv]. (A reassociation would be ambiguous for H = 1, where
  // grouping the unit dim with Lq instead is the same reshape.)
  ArrayRef<int64_t> s = srcType.getShape(), t = type.getShape();
  if (ShapedType::isDynamic(s[2]) || ShapedType::isDynamic(s[3]) ||
      s[2] != t[1] || s[3] != t[2])
    return {};
  if (ShapedType::isDynamic(s[0]) != ShapedType::isDynamic(t[0]) ||
      (!ShapedType::isDynamic(s[0]) && s[0] * s[1] != t[0]))
    return {};
  return src;
}

/// Moves positive constant factors applied to an operand of Q·Kᵀ into
/// `scale` (frontends scale Q, or Q and K by D^-1/4, before the
/// contraction), when the ops that apply them have no other users.
static Term absorbScale(Term t, double &scale, OpChain &ops) {
  for (int guard = 0; guard < 4; ++guard) {
    OpChain probe = ops;
    TermView v = viewTerm(t, &probe);
    if (v.kind != TermKind::Mul && v.kind != TermKind::Div)
      return t;
    std::optional<Term> next;
    double factor = 1.0;
    for (int i = 0; i < 2 && !next; ++i) {
      if (v.kind == TermKind::Div && i == 1)
        break;
      std::optional<double> c = getConstant(v.operands[1 - i]);
      Term x = resolveArguments(v.operands[i]);
      if (!c || !std::isfinite(*c) || *c <= 0.0 || !x.isTensor() ||
          cast<RankedTensorType>(x.value.getType()).getElementType() !=
              cast<RankedTensorType>(t.value.getType()).getElementType())
        continue;
      next = x;
      factor = v.kind == TermKind::Div ? 1.0 / *c : *c;
    }
    if (!next)
      return t;
    for (Operation *op : probe) {
      if (ops.contains(op))
        continue;
      for (Operation *user : op->getUsers())
        if (!probe.contains(user))
          return t;
    }
    scale *= factor;
    ops = probe;
    t = *next;
  }
  return t;
}


static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// The shape rules of `attn.attention` on the operands the rewrite would
/// create, checked before creating any of them.
static bool operandsFit(RankedTensorType q, RankedTensorType k,
                        RankedTensorType v, RankedTensorType mask) {
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return false;
  ArrayRef<int64_t> qs = q.getShape(), ks = k.getShape(), vs = v.getShape();
  if (!compatibleDims(qs[0], ks[0]) || !compatibleDims(qs[0], vs[0]) ||
      !compatibleDims(ks[1], vs[1]) || !compatibleDims(ks[2], vs[2]) ||
      !compatibleDims(qs[3], ks[3]))
    return false;
  if (!ShapedType::isDynamic(ks[1]) &&
      (ks[1] == 0 || (!ShapedType::isDynamic(qs[1]) && qs[1] % ks[1] != 0)))
    return false;
  if (!mask)
    return true;
  if (mask.getRank() < 2 || mask.getRank() > 4)
    return false;
  SmallVector<int64_t> full = {qs[0], qs[1], qs[2], ks[2]};
  int64_t lead = 4 - mask.getRank();
  for (int64_t i = 0; i < mask.getRank(); ++i) {
    int64_t d = mask.getDimSize(i);
    if (d != 1 && !compatibleDims(d, full[lead + i]))
      return false;
  }
  return true;
}

/// `not mask` for an i1 tensor, as an elementwise generic.
static Value negateMask(RewriterBase &rewriter, Location loc, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, mask);
  Value init =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             rewriter, loc, type, ValueRange{mask}, ValueRange{init},
             ArrayRef<AffineMap>{id, id}, iterators,
             [](OpBuilder &b, Location l, ValueRange args) {
               Value one = arith::ConstantIntOp::create(b, l, 1, 1);
               Value r = arith::XOrIOp::create(b, l, args[0], one);
               linalg::YieldOp::create(b, l, r);
             })
      .getResult(0);
}

/// Creates the raised op; the one place attn-raise builds `attn.attention`.
static AttentionOp createAttention(RewriterBase &rewriter, Location loc,
                                   RankedTensorType outType, Value q, Value k,
                                   Value v, Value mask, double scale,
                                   ArrayRef<Attribute> structured) {
  ArrayAttr masksAttr =
      structured.empty() ? ArrayAttr() : rewriter.getArrayAttr(structured);
  // Destination: an empty output of the result's sizes (B, Hq, Lq from Q,
  // Dv from V).
  SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(rewriter, loc, q);
  outSizes[3] = tensor::getMixedSize(rewriter, loc, v, 3);
  Value outInit =
      tensor::EmptyOp::create(rewriter, loc, outSizes, outType.getElementType());
  if (outInit.getType() != outType)
    outInit = tensor::CastOp::create(rewriter, loc, outType, outInit);
  return AttentionOp::create(
      rewriter, loc, TypeRange{outType}, q, k, v, mask,
      /*q_lengths=*/Value(), /*kv_lengths=*/Value(),
      /*q_segment_ids=*/Value(), /*kv_segment_ids=*/Value(),
      /*sinks=*/Value(), /*page_table=*/Value(),
      /*kv_block_counts=*/Value(), /*kv_block_indices=*/Value(),
      /*offsets=*/ValueRange(),
      /*extents=*/ValueRange(),
      ValueRange{outInit}, rewriter.getF64FloatAttr(scale),
      /*softcap=*/FloatAttr(), masksAttr,
      NormalizerAttr::get(rewriter.getContext(), Normalizer::softmax),
      /*sigmoid_bias=*/FloatAttr(), /*partial=*/UnitAttr(),
      KvLayoutAttr::get(rewriter.getContext(), KvLayout::contiguous),
      /*q_block_size=*/IntegerAttr(), /*kv_block_size=*/IntegerAttr(),
      /*kv_blocks_per_group=*/UnitAttr());
}

FailureOr<AttentionOp> mlir::attn::raiseAttention(RewriterBase &rewriter,
                                                  Operation *root) {
  std::optional<Contraction> pv = getContraction(root);
  if (!pv || root->getNumResults() != 1)
    return failure();
  MLIRContext *ctx = root->getContext();
  int64_t pvRank = pv->rank;
  AffineMap pvIdentity = AffineMap::getMultiDimIdentityMap(pvRank, ctx);
  AffineMap pvSwap = swapLastTwo(pvRank, ctx);

  // P = softmax(S) over the contracted key axis, on the domain of P: the
  // [B, H, Lq, Lkv] tensor a [B·H, Lq, Lkv] P is a collapse of, or P.
  OpChain ops;
  Value p = pv->lhs;
  bool lifted = false;
  if (Value src = getLiftedProbabilities(p)) {
    ops.insert(p.getDefiningOp());
    p = src;
    lifted = true;
  }
  SmallVector<int64_t> domain(cast<RankedTensorType>(p.getType()).getShape());
  int64_t rank = domain.size();
  std::optional<Term> scores = matchSoftmax(
      Term{p, AffineMap::getMultiDimIdentityMap(rank, ctx)}, rank, ops);
  if (!scores)
    return failure();
  ScoreChain chain;
  if (!matchScores(*scores, domain, chain, ops, 0) || !chain.qk ||
      chain.qk->rank != pvRank)
    return failure();

  // Operands in logical layout: Q [.., Lq, D], K [.., Lkv, D], V [.., Lkv, Dv]
  // (for transposed scores the contraction computed K·Qᵀ).
  Term lhs{chain.qk->lhs, pvIdentity};
  Term rhs{chain.qk->rhs, chain.qk->rhsTransposed ? pvIdentity : pvSwap};
  Term q = chain.transposed ? rhs : lhs, k = chain.transposed ? lhs : rhs;
  Term v{pv->rhs, pv->rhsTransposed ? pvSwap : pvIdentity};
  // Constant factors on Q or K move into the scale, unless the tensors
  // before them have no [B, H, L, D] view (TF scales Q before splitting
  // heads): Q is then the scaled tensor, which is still exact.
  double scale = chain.scale;
  OpChain absorbedOps = ops;
  double absorbedScale = scale;
  Term qa = absorbScale(q, absorbedScale, absorbedOps);
  Term ka = absorbScale(k, absorbedScale, absorbedOps);
  std::optional<Sources> sources;
  if (qa != q || ka != k) {
    sources = findSources(qa, ka, v, pvRank);
    if (sources) {
      scale = absorbedScale;
      ops = absorbedOps;
    }
  }
  if (!sources)
    sources = findSources(q, k, v, pvRank);
  if (!sources || !std::isfinite(scale) || scale <= 0.0)
    return failure();

  // Every intermediate value must die with the match.
  for (Operation *op : ops)
    for (Operation *user : op->getUsers())
      if (user != root && !ops.contains(user))
        return failure();
  auto qType = cast<RankedTensorType>(sources->q.value.getType());
  Type element = qType.getElementType();
  if (cast<RankedTensorType>(sources->k.value.getType()).getElementType() !=
          element ||
      cast<RankedTensorType>(sources->v.value.getType()).getElementType() !=
          element ||
      !isa<Float32Type, Float16Type, BFloat16Type>(element))
    return failure();
  auto rootType = cast<RankedTensorType>(root->getResult(0).getType());
  if (!isa<Float32Type, Float16Type, BFloat16Type>(rootType.getElementType()))
    return failure();
  // A lifted domain is the op's [B, H, Lq, Lkv]: the heads must be those the
  // sources split.
  if (lifted && (sources->kind != ViewKind::SplitHeads ||
                 qType.getDimSize(0) != domain[0] ||
                 qType.getDimSize(1) != domain[1]))
    return failure();

  // Masks: structured where the keep pattern matches one, else a tensor.
  std::vector<char> keepAll, keep;
  bool anyEvaluated = false;
  std::optional<MaskPart> tensorPart;
  SmallVector<MaskPart> evaluatedParts;
  for (const MaskPart &part : chain.masks) {
    if (evaluateKeep(part, domain, keep)) {
      if (!anyEvaluated)
        keepAll = keep;
      else
        for (size_t i = 0; i < keep.size(); ++i)
          keepAll[i] = keepAll[i] && keep[i];
      anyEvaluated = true;
      evaluatedParts.push_back(part);
      continue;
    }
    if (tensorPart || (part.kind == MaskPart::Additive && part.insideScale))
      return failure();
    tensorPart = part;
  }
  SmallVector<Attribute> structured;
  if (anyEvaluated) {
    std::optional<SmallVector<Attribute>> terms = classifyKeep(
        ctx, keepAll, domain[rank - 2], domain[rank - 1]);
    if (terms) {
      structured = *terms;
    } else {
      // One unstructured constant mask may still be passed as a tensor.
      if (tensorPart || evaluatedParts.size() != 1 ||
          evaluatedParts[0].kind == MaskPart::DropWhere)
        return failure();
      tensorPart = evaluatedParts[0];
    }
  }
  std::optional<Term> maskTerm;
  RankedTensorType maskType;
  bool expandMask = false;
  if (tensorPart) {
    Type maskElement;
    if (tensorPart->kind == MaskPart::Additive) {
      Term leaf = resolveArguments(tensorPart->term);
      if (!leaf.isTensor())
        return failure();
      maskElement = cast<RankedTensorType>(leaf.value.getType())
                        .getElementType();
      if (!isa<FloatType>(maskElement))
        return failure();
    } else {
      maskElement = IntegerType::get(ctx, 1);
    }
    maskTerm = getMaskTensor(tensorPart->term, rank, maskElement);
    if (!maskTerm)
      return failure();
    maskType = cast<RankedTensorType>(maskTerm->value.getType());
    if (sources->kind == ViewKind::SplitHeads && !lifted &&
        maskType.getRank() == 3 && maskType.getDimSize(0) != 1) {
      // [B*H, Lq, Lkv] -> [B, H, Lq, Lkv].
      int64_t b = qType.getDimSize(0), h = qType.getDimSize(1);
      if (ShapedType::isDynamic(b) || ShapedType::isDynamic(h) ||
          !maskType.hasStaticShape() || maskType.getDimSize(0) != b * h)
        return failure();
      maskType = RankedTensorType::get(
          {b, h, maskType.getDimSize(1), maskType.getDimSize(2)},
          maskType.getElementType());
      expandMask = true;
    }
  }

  // Types of everything the rewrite creates, checked before creating it.
  bool prepend = sources->kind == ViewKind::Prepend;
  RankedTensorType qt = sourceType(sources->q, prepend),
                   kt = sourceType(sources->k, prepend),
                   vt = sourceType(sources->v, prepend);
  if (!operandsFit(qt, kt, vt, maskType))
    return failure();
  auto outType = RankedTensorType::get(
      {qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2), vt.getDimSize(3)},
      rootType.getElementType());
  SmallVector<ReassociationIndices> groups;
  if (sources->kind != ViewKind::Direct)
    groups = pvRank == 3
                 ? SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}}
                 : SmallVector<ReassociationIndices>{{0, 1, 2}, {3}};
  RankedTensorType resultType =
      groups.empty() ? outType
                     : tensor::CollapseShapeOp::inferCollapsedType(outType,
                                                                   groups);
  if (resultType.getRank() != rootType.getRank() ||
      !llvm::all_of(llvm::zip(resultType.getShape(), rootType.getShape()),
                    [](auto d) {
                      return compatibleDims(std::get<0>(d), std::get<1>(d));
                    }))
    return failure();

  // Build.
  Location loc = root->getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(root);
  Value qv = materialize(rewriter, loc, sources->q),
        kv = materialize(rewriter, loc, sources->k),
        vv = materialize(rewriter, loc, sources->v), mask;
  if (prepend) {
    qv = prependUnitDims(rewriter, loc, qv);
    kv = prependUnitDims(rewriter, loc, kv);
    vv = prependUnitDims(rewriter, loc, vv);
  }
  if (maskTerm) {
    mask = maskTerm->value;
    // A drop-where condition (torch's masked_fill) becomes a keep mask.
    if (tensorPart->kind == MaskPart::DropWhere)
      mask = negateMask(rewriter, loc, mask);
    if (expandMask)
      mask = tensor::ExpandShapeOp::create(
          rewriter, loc, maskType, mask,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
  }
  AttentionOp op = createAttention(rewriter, loc, outType, qv, kv, vv, mask,
                                   scale, structured);
  Value result = op.getOutput();
  if (!groups.empty())
    result = tensor::CollapseShapeOp::create(rewriter, loc, result, groups);
  if (result.getType() != rootType)
    result = tensor::CastOp::create(rewriter, loc, rootType, result);
  rewriter.replaceOp(root, result);
  return op;
}

//===----------------------------------------------------------------------===//
// Patterns and pass
//===----------------------------------------------------------------------===//

namespace {
/// Raises the attention that ends in a linalg contraction.
struct RaiseLinalgAttention final
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!getContraction(op))
      return rewriter.notifyMatchFailure(op, "not a contraction");
    if (failed(raiseAttention(rewriter, op)))
      return rewriter.notifyMatchFailure(op, "not the end of an attention");
    return success();
  }
};

/// Raises the attention that ends in a tosa.matmul.
struct RaiseTosaAttention final : OpRewritePattern<tosa::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(raiseAttention(rewriter, op)))
      return rewriter.notifyMatchFailure(op, "not the end of an attention");
    return success();
  }
};

struct AttnRaisePass final : attn::impl::AttnRaisePassBase<AttnRaisePass> {
  void runOnOperation() override;
};
} // namespace

void mlir::attn::populateAttnRaisePatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseLinalgAttention, RaiseTosaAttention>(
      patterns.getContext());
}

void AttnRaisePass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  populateAttnRaisePatterns(patterns);
  // Only the matched subgraphs change: no folding, constant CSE or region
  // simplification of the rest of the function.
  GreedyRewriteConfig config;
  config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
      GreedySimplifyRegionLevel::Disabled);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                   config)))
    signalPassFailure();
}
