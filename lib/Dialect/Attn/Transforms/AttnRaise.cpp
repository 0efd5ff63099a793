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
// grouped key/value heads without copies.
//
//===----------------------------------------------------------------------===//

#include "RaiseMatchers.h"

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

/// Values at or below this count as "masked" in additive mask constants
/// (-inf, the most negative float, -1e9).
static constexpr double kMaskedThreshold = -1e9;

/// Structured masks are recognised by evaluating the mask on every
/// (query, key) pair; larger masks stay tensors.
static constexpr int64_t kMaxEvaluatedPairs = int64_t(1) << 20;

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

namespace {
/// out[batch..., m, n] = sum_k lhs[batch..., m, k] * rhs[batch..., k, n]
/// (or rhs[batch..., n, k] when `rhsTransposed`), from a zero init.
struct Contraction {
  Operation *op = nullptr;
  Value lhs, rhs;
  bool rhsTransposed = false;
  int64_t rank = 0;
};
} // namespace

static bool isZero(Value v) {
  Attribute attr;
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    v = fill.getInputs()[0];
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValue().isZero();
  if (auto d = dyn_cast<DenseElementsAttr>(attr))
    return d.isSplat() && isa<FloatType>(d.getElementType()) &&
           d.getSplatValue<APFloat>().isZero();
  return false;
}

static std::optional<Contraction> getContraction(Operation *op) {
  MLIRContext *ctx = op->getContext();
  if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
    if (!isZero(mm.getAZp()) || !isZero(mm.getBZp()))
      return std::nullopt;
    return Contraction{op, mm.getA(), mm.getB(), false, 3};
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
      linalgOp.getNumDpsInputs() != 2 || linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getNumReductionLoops() != 1 ||
      !linalg::isaContractionOpInterface(linalgOp))
    return std::nullopt;
  if (!isZero(linalgOp.getDpsInitOperand(0)->get()))
    return std::nullopt;
  int64_t rank = linalgOp.getNumParallelLoops();
  if (rank < 2 || rank > 4)
    return std::nullopt;
  SmallVector<AffineMap> maps = linalgOp.getIndexingMapsArray();
  AffineMap out = maps[2];
  if (out.getNumResults() != rank || !out.isProjectedPermutation())
    return std::nullopt;
  // Output loops in order: batch..., m, n; the reduction loop k.
  SmallVector<unsigned> p;
  for (unsigned i = 0; i < rank; ++i)
    p.push_back(out.getDimPosition(i));
  unsigned k = linalgOp.getNumLoops();
  for (unsigned l = 0; l < linalgOp.getNumLoops(); ++l)
    if (!llvm::is_contained(p, l))
      k = l;
  auto mapOf = [&](ArrayRef<unsigned> dims) {
    SmallVector<AffineExpr> exprs;
    for (unsigned d : dims)
      exprs.push_back(getAffineDimExpr(d, ctx));
    return AffineMap::get(linalgOp.getNumLoops(), 0, exprs, ctx);
  };
  SmallVector<unsigned> batch(p.begin(), p.end() - 2);
  unsigned m = p[rank - 2], n = p[rank - 1];
  auto with = [&](std::initializer_list<unsigned> tail) {
    SmallVector<unsigned> dims = batch;
    dims.append(tail);
    return mapOf(dims);
  };
  if (maps[0] != with({m, k}))
    return std::nullopt;
  bool transposed;
  if (maps[1] == with({k, n}))
    transposed = false;
  else if (maps[1] == with({n, k}))
    transposed = true;
  else
    return std::nullopt;
  return Contraction{op, linalgOp.getDpsInputOperand(0)->get(),
                     linalgOp.getDpsInputOperand(1)->get(), transposed, rank};
}

//===----------------------------------------------------------------------===//
// Score chain
//===----------------------------------------------------------------------===//

namespace {
/// One mask term of the score chain.
struct MaskPart {
  enum Kind { Additive, KeepWhere, DropWhere };
  Term term;
  Kind kind;
  /// Applied before a scale factor (so the scale multiplies it too): met
  /// after a scale on the walk from the softmax inwards.
  bool insideScale;
};

struct ScoreChain {
  double scale = 1.0;
  bool sawScale = false;
  SmallVector<MaskPart> masks;
  std::optional<Contraction> qk;
};
} // namespace

static bool isMaskedConstant(Term t) {
  std::optional<double> c = getConstant(t);
  return c && *c <= kMaskedThreshold;
}

/// Walks from the softmax input down to the Q.K^T contraction.
static bool matchScores(Term s, int64_t rank, ScoreChain &chain,
                        OpChain &ops, int depth) {
  if (depth > 16)
    return false;
  MLIRContext *ctx = s.value.getContext();
  Term r = resolveArguments(s);
  if (r.isTensor() && r.map == AffineMap::getMultiDimIdentityMap(rank, ctx)) {
    if (Operation *def = r.value.getDefiningOp()) {
      if (std::optional<Contraction> c = getContraction(def);
          c && c->rank == rank) {
        ops.insert(def);
        chain.qk = c;
        return true;
      }
    }
  }
  OpChain local = ops;
  TermView v = viewTerm(s, &local);
  auto recurse = [&](Term next, ScoreChain &state, OpChain &set) {
    if (!matchScores(next, rank, state, set, depth + 1))
      return false;
    return true;
  };
  switch (v.kind) {
  case TermKind::Mul:
  case TermKind::Div: {
    for (int i = 0; i < 2; ++i) {
      if (v.kind == TermKind::Div && i == 1)
        break;
      std::optional<double> c = getConstant(v.operands[1 - i]);
      if (!c)
        continue;
      ScoreChain state = chain;
      state.scale *= v.kind == TermKind::Div ? 1.0 / *c : *c;
      state.sawScale = true;
      OpChain set = local;
      if (recurse(v.operands[i], state, set)) {
        chain = state;
        ops = set;
        return true;
      }
    }
    return false;
  }
  case TermKind::Add: {
    for (int i = 0; i < 2; ++i) {
      ScoreChain state = chain;
      state.masks.push_back(
          {v.operands[1 - i], MaskPart::Additive, chain.sawScale});
      OpChain set = local;
      if (recurse(v.operands[i], state, set)) {
        chain = state;
        ops = set;
        return true;
      }
    }
    return false;
  }
  case TermKind::Select: {
    MaskPart::Kind kind;
    Term next;
    if (isMaskedConstant(v.operands[2])) {
      kind = MaskPart::KeepWhere;
      next = v.operands[1];
    } else if (isMaskedConstant(v.operands[1])) {
      kind = MaskPart::DropWhere;
      next = v.operands[2];
    } else {
      return false;
    }
    ScoreChain state = chain;
    state.masks.push_back({v.operands[0], kind, chain.sawScale});
    OpChain set = local;
    if (!recurse(next, state, set))
      return false;
    chain = state;
    ops = set;
    return true;
  }
  case TermKind::Cast: {
    if (!recurse(v.operands[0], chain, local))
      return false;
    ops = local;
    return true;
  }
  default:
    return false;
  }
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

/// Evaluates a mask part over every (i, j) of a static score domain into a
/// keep matrix. Fails when the part reads a batch or head index of extent
/// > 1, is not computable at compile time, or takes values other than
/// "keep" (0 / true) and "masked" (<= -1e9 / false).
static bool evaluateKeep(const MaskPart &part, ArrayRef<int64_t> domain,
                         std::vector<char> &keep) {
  int64_t rank = domain.size();
  int64_t lq = domain[rank - 2], lkv = domain[rank - 1];
  if (ShapedType::isDynamic(lq) || ShapedType::isDynamic(lkv) ||
      lq * lkv > kMaxEvaluatedPairs || lq * lkv == 0)
    return false;
  uint64_t batchMask = 0;
  for (int64_t d = 0; d + 2 < rank; ++d)
    if (domain[d] != 1)
      batchMask |= uint64_t(1) << d;
  keep.assign(lq * lkv, 0);
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < lq; ++i) {
    for (int64_t j = 0; j < lkv; ++j) {
      index[rank - 2] = i;
      index[rank - 1] = j;
      std::optional<Scalar> v = evaluateTerm(part.term, index);
      if (!v || (v->deps & batchMask))
        return false;
      bool k;
      if (part.kind == MaskPart::Additive) {
        double x = v->asDouble();
        if (x == 0.0)
          k = true;
        else if (x <= kMaskedThreshold)
          k = false;
        else
          return false;
      } else {
        if (v->isFloat)
          return false;
        k = (v->i != 0) == (part.kind == MaskPart::KeepWhere);
      }
      keep[i * lkv + j] = k;
    }
  }
  return true;
}

/// The structured terms that keep exactly `keep` ([Lq, Lkv], bottom-right
/// aligned as the op's masks are), an empty list when every pair is kept,
/// or std::nullopt when no structured form matches.
static std::optional<SmallVector<Attribute>>
classifyKeep(MLIRContext *ctx, const std::vector<char> &keep, int64_t lq,
             int64_t lkv) {
  if (llvm::all_of(keep, [](char k) { return k; }))
    return SmallVector<Attribute>{};
  int64_t offset = lkv - lq;
  // Every row must keep one contiguous, non-empty range of keys.
  SmallVector<int64_t> lo(lq), hi(lq);
  for (int64_t i = 0; i < lq; ++i) {
    int64_t first = -1, last = -1;
    for (int64_t j = 0; j < lkv; ++j) {
      if (!keep[i * lkv + j])
        continue;
      if (first < 0)
        first = j;
      else if (last != j - 1)
        return std::nullopt;
      last = j;
    }
    if (first < 0)
      return std::nullopt;
    lo[i] = first;
    hi[i] = last;
  }
  int64_t left = 0, right = std::numeric_limits<int64_t>::min();
  bool causal = true;
  for (int64_t i = 0; i < lq; ++i) {
    int64_t q = i + offset;
    if (lo[i] != 0 || hi[i] != std::min(q, lkv - 1) || q < 0)
      causal = false;
    left = std::max(left, q - lo[i]);
    right = std::max(right, hi[i] - q);
  }
  if (causal)
    return SmallVector<Attribute>{CausalAttr::get(ctx)};
  if (right < 0)
    return std::nullopt;
  for (int64_t i = 0; i < lq; ++i) {
    int64_t q = i + offset;
    if (lo[i] != std::max<int64_t>(0, q - left) ||
        hi[i] != std::min<int64_t>(lkv - 1, q + right))
      return std::nullopt;
  }
  return SmallVector<Attribute>{SlidingWindowAttr::get(ctx, left, right)};
}

namespace {
/// How the 4-D operands of the new op relate to the score domain.
enum class ViewKind {
  /// The domain is [B, H, Lq, Lkv]: operands are used as they are.
  Direct,
  /// The domain is [B*H, Lq, Lkv] and Q/K/V were traced back to [B, H, L, D].
  SplitHeads,
  /// The domain has rank 2 or 3: unit dims are prepended ([1, N, L, D]).
  Prepend
};
} // namespace

/// Whether `t` reads a tensor that broadcasts from the right against the
/// score domain (each tensor dim is the matching trailing domain dim, or a
/// unit dim read at 0).
static bool isRightAligned(Term t, int64_t rank) {
  if (!t.isTensor())
    return false;
  auto type = cast<RankedTensorType>(t.value.getType());
  int64_t r = type.getRank();
  if (r < 2 || r > rank)
    return false;
  for (int64_t i = 0; i < r; ++i) {
    AffineExpr e = t.map.getResult(i);
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0 || type.getDimSize(i) != 1)
        return false;
      continue;
    }
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d || d.getPosition() != rank - r + i)
      return false;
  }
  return true;
}

/// A mask tensor for the new op: the deepest right-aligned view of `t`.
static std::optional<Term> getMaskTensor(Term t, int64_t rank, Type element) {
  std::optional<Term> best;
  for (Term view : peelViews(resolveArguments(t))) {
    if (!isRightAligned(view, rank))
      continue;
    if (cast<RankedTensorType>(view.value.getType()).getElementType() !=
        element)
      continue;
    best = view;
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Q, K, V sources
//===----------------------------------------------------------------------===//

namespace {
/// A tensor the op reads, and the permutation that puts it in
/// [batch..., L, D] order first (empty when it already is).
struct Source {
  Value value;
  SmallVector<int64_t> transpose;
};
struct Sources {
  ViewKind kind;
  Source q, k, v;
};
} // namespace

static SmallVector<int64_t> shapeOfTerm(Term t) {
  // The logical domain of an operand term is given by the map's dim count;
  // its extents follow from the tensor it reads at depth 0.
  return SmallVector<int64_t>(
      cast<RankedTensorType>(t.value.getType()).getShape());
}

/// Expected map from the logical operand domain ([batch..., L, D]) to a
/// [B, H', L, D] source whose head h' serves query heads h' * g ... (h'+1) *
/// g - 1. With `splitHeads` the domain batch dim n is b * hq + h.
static AffineMap expectedSourceMap(MLIRContext *ctx, bool splitHeads,
                                   int64_t hq, int64_t group) {
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
  if (!splitHeads)
    return AffineMap::get(4, 0, {d0, d1.floorDiv(group), d2, d3}, ctx);
  return AffineMap::get(
      3, 0, {d0.floorDiv(hq), (d0 % hq).floorDiv(group), d1, d2}, ctx);
}

/// Finds the [B, H, L, D] tensors behind the logical operand terms.
static std::optional<Sources> findSources(Term q, Term k, Term v,
                                          int64_t rank) {
  MLIRContext *ctx = q.value.getContext();
  SmallVector<int64_t> qShape = shapeOfTerm(q);
  auto kvDomain = [](Term t) {
    // The logical [batch..., L, D] extents of a key/value term.
    auto type = cast<RankedTensorType>(t.value.getType());
    SmallVector<int64_t> sizes(t.map.getNumDims(), ShapedType::kDynamic);
    for (unsigned r = 0; r < t.map.getNumResults(); ++r)
      if (auto d = dyn_cast<AffineDimExpr>(t.map.getResult(r)))
        sizes[d.getPosition()] = type.getDimSize(r);
    return sizes;
  };

  if (rank == 4 || rank == 3) {
    bool split = rank == 3;
    // Query: the first view that is a [B, H, Lq, D] tensor in order.
    Value qSource;
    int64_t hq = ShapedType::kDynamic;
    for (Term t : peelViews(q)) {
      auto type = cast<RankedTensorType>(t.value.getType());
      if (type.getRank() != 4)
        continue;
      int64_t h = type.getDimSize(1);
      if (!split) {
        if (t.map.isIdentity()) {
          qSource = t.value;
          hq = h;
          break;
        }
        continue;
      }
      if (ShapedType::isDynamic(h) || h == 0)
        continue;
      if (mapsAgree(t.map, expectedSourceMap(ctx, true, h, 1), qShape)) {
        qSource = t.value;
        hq = h;
        break;
      }
    }
    if (qSource) {
      // Key/value: the deepest view in [B, Hkv, L, D] order (grouped heads
      // read un-repeated); failing that, the first view that is a
      // transpose of that order, transposed back.
      auto findKV = [&](Term t) -> Source {
        SmallVector<int64_t> domain = kvDomain(t);
        Source found;
        bool inOrder = false;
        SmallVector<int64_t> perm = {0, 1, 2, 3};
        for (Term view : peelViews(t)) {
          auto type = cast<RankedTensorType>(view.value.getType());
          if (type.getRank() != 4)
            continue;
          std::sort(perm.begin(), perm.end());
          do {
            bool identity = llvm::equal(perm, ArrayRef<int64_t>{0, 1, 2, 3});
            if (!identity && (inOrder || found.value))
              break;
            // The transposed tensor T'[x] = view[y], y[perm[i]] = x[i].
            SmallVector<AffineExpr> exprs;
            for (int64_t i = 0; i < 4; ++i)
              exprs.push_back(view.map.getResult(perm[i]));
            AffineMap map = AffineMap::get(view.map.getNumDims(), 0, exprs,
                                           ctx);
            int64_t hkv = type.getDimSize(perm[1]);
            bool ok = false;
            if (identity && map.isIdentity() && !split)
              ok = true;
            else if (!ShapedType::isDynamic(hkv) &&
                     !ShapedType::isDynamic(hq) && hkv != 0 && hq % hkv == 0)
              ok = mapsAgree(map, expectedSourceMap(ctx, split, hq, hq / hkv),
                             domain);
            if (!ok)
              continue;
            found = identity ? Source{view.value, {}}
                             : Source{view.value, SmallVector<int64_t>(perm)};
            inOrder |= identity;
            break;
          } while (std::next_permutation(perm.begin(), perm.end()));
        }
        return found;
      };
      Source kSource = findKV(k), vSource = findKV(v);
      if (kSource.value && vSource.value)
        return Sources{split ? ViewKind::SplitHeads : ViewKind::Direct,
                       {qSource, {}}, kSource, vSource};
    }
  }
  // The operands as the contractions read them, in order (prepending unit
  // dims below rank 4); an operand only read transposed (e.g. Kᵀ from a
  // transpose of a [B, H, D, L] tensor) is transposed back.
  auto inOrder = [&](Term t) -> std::optional<Source> {
    SmallVector<Term> views = peelViews(t);
    for (Term view : views)
      if (view.map.isIdentity() &&
          cast<RankedTensorType>(view.value.getType()).getRank() == rank)
        return Source{view.value, {}};
    if (!t.map.isPermutation())
      return std::nullopt;
    SmallVector<int64_t> perm(rank);
    for (unsigned r = 0; r < rank; ++r)
      perm[t.map.getDimPosition(r)] = r;
    return Source{t.value, perm};
  };
  std::optional<Source> qs = inOrder(q), ks = inOrder(k), vs = inOrder(v);
  if (!qs || !ks || !vs)
    return std::nullopt;
  return Sources{rank == 4 ? ViewKind::Direct : ViewKind::Prepend, *qs, *ks,
                 *vs};
}

/// Materialises a source in [batch..., L, D] order.
static Value materialize(RewriterBase &rewriter, Location loc,
                         const Source &source) {
  if (source.transpose.empty())
    return source.value;
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : source.transpose)
    sizes.push_back(tensor::getMixedSize(rewriter, loc, source.value, p));
  auto type = cast<RankedTensorType>(source.value.getType());
  Value init = tensor::EmptyOp::create(rewriter, loc, sizes,
                                       type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, source.value, init,
                                     source.transpose)
      ->getResult(0);
}

/// Reshapes a rank-2/3 tensor to rank 4 by prepending unit dims.
static Value prependUnitDims(RewriterBase &rewriter, Location loc,
                             Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(4 - rank, 1);
  llvm::append_range(shape, type.getShape());
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices first;
  for (int64_t i = 0; i <= 4 - rank; ++i)
    first.push_back(i);
  groups.push_back(first);
  for (int64_t i = 5 - rank; i < 4; ++i)
    groups.push_back({i});
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> outputShape;
  for (int64_t i = 0; i < 4; ++i) {
    if (!ShapedType::isDynamic(shape[i])) {
      outputShape.push_back(rewriter.getIndexAttr(shape[i]));
      continue;
    }
    outputShape.push_back(
        tensor::DimOp::create(rewriter, loc, value, i - (4 - rank))
            .getResult());
  }
  return tensor::ExpandShapeOp::create(rewriter, loc, resultType, value,
                                       groups, outputShape);
}

//===----------------------------------------------------------------------===//
// Raising
//===----------------------------------------------------------------------===//

FailureOr<AttentionOp> mlir::attn::raiseAttention(RewriterBase &rewriter,
                                                  Operation *root) {
  std::optional<Contraction> pv = getContraction(root);
  if (!pv || root->getNumResults() != 1)
    return failure();
  MLIRContext *ctx = root->getContext();
  int64_t rank = pv->rank;
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap swap = identity;
  {
    SmallVector<unsigned> perm;
    for (unsigned i = 0; i < rank; ++i)
      perm.push_back(i);
    std::swap(perm[rank - 2], perm[rank - 1]);
    swap = AffineMap::getPermutationMap(perm, ctx);
  }

  // P = softmax(S) over the contracted key axis.
  OpChain ops;
  std::optional<Term> scores =
      matchSoftmax(Term{pv->lhs, identity}, rank, ops);
  if (!scores)
    return failure();
  ScoreChain chain;
  if (!matchScores(*scores, rank, chain, ops, 0) || !chain.qk)
    return failure();
  if (!std::isfinite(chain.scale) || chain.scale <= 0.0)
    return failure();

  // Every intermediate value must die with the match.
  for (Operation *op : ops)
    for (Operation *user : op->getUsers())
      if (user != root && !ops.contains(user))
        return failure();

  // Operands in logical layout: Q [.., Lq, D], K [.., Lkv, D], V [.., Lkv, Dv].
  Term q{chain.qk->lhs, identity};
  Term k{chain.qk->rhs, chain.qk->rhsTransposed ? identity : swap};
  Term v{pv->rhs, pv->rhsTransposed ? swap : identity};
  std::optional<Sources> sources = findSources(q, k, v, rank);
  if (!sources)
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

  // Masks: structured where the keep pattern matches one, else a tensor.
  auto scoreType = cast<RankedTensorType>(chain.qk->op->getResult(0).getType());
  SmallVector<int64_t> domain(scoreType.getShape());
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
    if (tensorPart || part.kind == MaskPart::DropWhere ||
        (part.kind == MaskPart::Additive && part.insideScale))
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
  }

  // Build the op.
  Location loc = root->getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(root);
  // Everything built goes right before root: on a late failure, the ops
  // after `before` are erased again so that a failed match changes nothing.
  Operation *before = root->getPrevNode();
  auto undo = [&]() {
    while (root->getPrevNode() != before)
      rewriter.eraseOp(root->getPrevNode());
    return failure();
  };
  Value qv = materialize(rewriter, loc, sources->q),
        kv = materialize(rewriter, loc, sources->k),
        vv = materialize(rewriter, loc, sources->v), mask;
  if (sources->kind == ViewKind::Prepend) {
    qv = prependUnitDims(rewriter, loc, qv);
    kv = prependUnitDims(rewriter, loc, kv);
    vv = prependUnitDims(rewriter, loc, vv);
  }
  if (maskTerm) {
    mask = maskTerm->value;
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (sources->kind == ViewKind::SplitHeads && maskType.getRank() == 3 &&
        maskType.getDimSize(0) != 1) {
      // [B*H, Lq, Lkv] -> [B, H, Lq, Lkv].
      int64_t b = qType.getDimSize(0), h = qType.getDimSize(1);
      if (ShapedType::isDynamic(b) || ShapedType::isDynamic(h) ||
          !maskType.hasStaticShape())
        return undo();
      auto type = RankedTensorType::get(
          {b, h, maskType.getDimSize(1), maskType.getDimSize(2)},
          maskType.getElementType());
      mask = tensor::ExpandShapeOp::create(
          rewriter, loc, type, mask,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    }
  }
  auto qt = cast<RankedTensorType>(qv.getType());
  auto vt = cast<RankedTensorType>(vv.getType());
  auto outType = RankedTensorType::get(
      {qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2), vt.getDimSize(3)},
      rootType.getElementType());
  ArrayAttr masksAttr =
      structured.empty() ? ArrayAttr() : rewriter.getArrayAttr(structured);
  SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(rewriter, loc, qv);
  outSizes[3] = tensor::getMixedSize(rewriter, loc, vv, 3);
  Value outInit = tensor::EmptyOp::create(rewriter, loc, outSizes,
                                          rootType.getElementType());
  if (outInit.getType() != outType)
    outInit = tensor::CastOp::create(rewriter, loc, outType, outInit);
  auto op = AttentionOp::create(
      rewriter, loc, TypeRange{outType}, qv, kv, vv, mask,
      /*q_lengths=*/Value(), /*kv_lengths=*/Value(),
      /*q_segment_ids=*/Value(), /*kv_segment_ids=*/Value(),
      /*sinks=*/Value(), /*offsets=*/ValueRange(), /*extents=*/ValueRange(),
      ValueRange{outInit}, rewriter.getF64FloatAttr(chain.scale),
      /*softcap=*/FloatAttr(), masksAttr, Normalizer::softmax,
      /*sigmoid_bias=*/FloatAttr());
  {
    // Shapes the matcher cannot see (dynamic extents) are left to the
    // verifier; a failure here means no raise, not an error.
    ScopedDiagnosticHandler silence(ctx, [](Diagnostic &) { return success(); });
    if (failed(op.verify()))
      return undo();
  }
  Value result = op.getOutput();
  if (sources->kind != ViewKind::Direct) {
    SmallVector<ReassociationIndices> groups;
    if (rank == 3)
      groups = {{0, 1}, {2}, {3}};
    else
      groups = {{0, 1, 2}, {3}};
    result = tensor::CollapseShapeOp::create(rewriter, loc, result, groups);
  }
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
