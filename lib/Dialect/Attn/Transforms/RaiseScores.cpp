//===- RaiseScores.cpp - the score chain of a raised attention --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The Q.K^T contraction, the walk from the softmax input down to it, and the
// recognition of structured masks by evaluating a mask term everywhere.
//
//===----------------------------------------------------------------------===//

#include "RaiseScores.h"

#include "attn/Dialect/Attn/IR/AttnAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

#include <limits>

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

std::optional<Contraction> raise::getContraction(Operation *op) {
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

AffineMap raise::swapLastTwo(int64_t rank, MLIRContext *ctx) {
  SmallVector<unsigned> perm;
  for (unsigned i = 0; i < rank; ++i)
    perm.push_back(i);
  std::swap(perm[rank - 2], perm[rank - 1]);
  return AffineMap::getPermutationMap(perm, ctx);
}

/// Whether the tensor term `r` over the score domain (extents `domain`)
/// reads the output of the Q·Kᵀ contraction: as it is, transposed (K·Qᵀ
/// then a transpose), or, for a [B, H, Lq, Lkv] domain, through the
/// expansion of a [B·H, ., .] contraction. Sets `chain.qk` on success.
static bool matchQK(Term r, ArrayRef<int64_t> domain, ScoreChain &chain) {
  if (!r.isTensor())
    return false;
  Operation *def = r.value.getDefiningOp();
  if (!def)
    return false;
  std::optional<Contraction> c = getContraction(def);
  if (!c)
    return false;
  MLIRContext *ctx = def->getContext();
  int64_t rank = domain.size();
  bool lifted = c->rank != rank;
  if (lifted && (c->rank != 3 || rank != 4 || ShapedType::isDynamic(domain[1])))
    return false;
  for (bool transposed : {false, true}) {
    AffineMap expected;
    if (!lifted) {
      expected = transposed ? swapLastTwo(rank, ctx)
                            : AffineMap::getMultiDimIdentityMap(rank, ctx);
    } else {
      AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
                 d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
      AffineExpr n = d0 * domain[1] + d1;
      expected = AffineMap::get(4, 0,
                                transposed ? ArrayRef<AffineExpr>{n, d3, d2}
                                           : ArrayRef<AffineExpr>{n, d2, d3},
                                ctx);
    }
    if (r.map == expected || mapsAgree(r.map, expected, domain)) {
      chain.qk = c;
      chain.transposed = transposed;
      chain.lifted = lifted;
      return true;
    }
  }
  return false;
}

static bool isMaskedConstant(Term t) {
  std::optional<double> c = getConstant(t);
  return c && *c <= kMaskedThreshold;
}

bool raise::matchScores(Term s, ArrayRef<int64_t> domain, ScoreChain &chain,
                        OpChain &ops, int depth) {
  if (depth > 16)
    return false;
  Term r = resolveArguments(s);
  if (matchQK(r, domain, chain)) {
    ops.insert(r.value.getDefiningOp());
    return true;
  }
  OpChain local = ops;
  TermView v = viewTerm(s, &local);
  // Walks on from `next` with `state`; keeps the state and the ops it
  // collects only when that reaches the contraction.
  auto tryBranch = [&](Term next, ScoreChain state) {
    OpChain set = local;
    if (!matchScores(next, domain, state, set, depth + 1))
      return false;
    chain = state;
    ops = set;
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
      // A factor of 1 (torch-mlir's `alpha`) does not order the masks.
      state.sawScale |= *c != 1.0;
      if (tryBranch(v.operands[i], state))
        return true;
    }
    return false;
  }
  case TermKind::Leaf: {
    // Reached through transposes and reshapes of the contraction.
    if (!matchQK(v.leaf, domain, chain))
      return false;
    local.insert(v.leaf.value.getDefiningOp());
    ops = local;
    return true;
  }
  case TermKind::Add: {
    for (int i = 0; i < 2; ++i) {
      ScoreChain state = chain;
      state.masks.push_back({stripUnitFactors(v.operands[1 - i]),
                             MaskPart::Additive, chain.sawScale});
      if (tryBranch(v.operands[i], state))
        return true;
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
    return tryBranch(next, state);
  }
  case TermKind::Cast: {
    if (!matchScores(v.operands[0], domain, chain, local, depth + 1))
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

bool raise::evaluateKeep(const MaskPart &part, ArrayRef<int64_t> domain,
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

std::optional<SmallVector<Attribute>>
raise::classifyKeep(MLIRContext *ctx, const std::vector<char> &keep,
                    int64_t lq, int64_t lkv) {
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
