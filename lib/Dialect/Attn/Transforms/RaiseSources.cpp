//===- RaiseSources.cpp - the tensors a raised attention reads --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Finds the [B, H, L, D] tensors behind the Q, K and V operands of the two
// contractions of an attention subgraph (through head splits, transposes and
// repeated key/value heads), and the mask tensor behind a mask term.
//
//===----------------------------------------------------------------------===//

#include "RaiseSources.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

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
std::optional<Term> raise::getMaskTensor(Term t, int64_t rank, Type element) {
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
std::optional<Sources> raise::findSources(Term q, Term k, Term v,
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
            AffineMap map =
                AffineMap::get(view.map.getNumDims(), 0, exprs, ctx);
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
                       {qSource, {}},
                       kSource,
                       vSource};
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
Value raise::materialize(RewriterBase &rewriter, Location loc,
                         const Source &source) {
  if (source.transpose.empty())
    return source.value;
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : source.transpose)
    sizes.push_back(tensor::getMixedSize(rewriter, loc, source.value, p));
  auto type = cast<RankedTensorType>(source.value.getType());
  Value init =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, source.value, init,
                                     source.transpose)
      ->getResult(0);
}

/// Reshapes a rank-2/3 tensor to rank 4 by prepending unit dims.
Value raise::prependUnitDims(RewriterBase &rewriter, Location loc,
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
  return tensor::ExpandShapeOp::create(rewriter, loc, resultType, value, groups,
                                       outputShape);
}

/// The type of `source` once materialised in order (and, with `prepend`,
/// expanded to rank 4).
RankedTensorType raise::sourceType(const Source &source, bool prepend) {
  auto type = cast<RankedTensorType>(source.value.getType());
  SmallVector<int64_t> shape;
  if (source.transpose.empty())
    llvm::append_range(shape, type.getShape());
  else
    for (int64_t p : source.transpose)
      shape.push_back(type.getDimSize(p));
  if (prepend && shape.size() < 4)
    shape.insert(shape.begin(), 4 - shape.size(), 1);
  return RankedTensorType::get(shape, type.getElementType());
}