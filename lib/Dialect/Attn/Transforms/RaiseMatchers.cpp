//===- RaiseMatchers.cpp - views of elementwise tensor graphs ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;

bool Term::isTensor() const { return isa<RankedTensorType>(value.getType()); }

//===----------------------------------------------------------------------===//
// Producers
//===----------------------------------------------------------------------===//

/// The all-parallel linalg op with pure tensor semantics that produced
/// `tensor`, when its result map is a permutation and its body does not read
/// the init.
static linalg::LinalgOp getElementwiseProducer(Value tensor,
                                               unsigned &resultNumber) {
  auto result = dyn_cast<OpResult>(tensor);
  if (!result)
    return {};
  auto op = dyn_cast<linalg::LinalgOp>(result.getOwner());
  if (!op || !op.hasPureTensorSemantics() ||
      op.getNumParallelLoops() != op.getNumLoops() || !op.getBlock())
    return {};
  OpOperand *init = op.getDpsInitOperand(result.getResultNumber());
  if (!op.getMatchingIndexingMap(init).isPermutation() ||
      op.payloadUsesValueFromOperand(init))
    return {};
  resultNumber = result.getResultNumber();
  return op;
}

/// Map from the result indices of a reshape to its source indices, or null
/// when a needed extent is dynamic. `reassociation` groups the dimensions of
/// the higher-rank side.
static AffineMap reshapeSourceMap(MLIRContext *ctx, RankedTensorType source,
                                  RankedTensorType result,
                                  ArrayRef<ReassociationIndices> groups) {
  SmallVector<AffineExpr> exprs;
  if (source.getRank() > result.getRank()) {
    // Collapse: source dims of group r are digits of result dim r.
    exprs.resize(source.getRank());
    for (auto [r, group] : llvm::enumerate(groups)) {
      AffineExpr d = getAffineDimExpr(r, ctx);
      int64_t stride = 1;
      for (int64_t k = group.size() - 1; k >= 0; --k) {
        int64_t size = source.getDimSize(group[k]);
        AffineExpr e = stride == 1 ? d : d.floorDiv(stride);
        if (k > 0) {
          if (ShapedType::isDynamic(size))
            return {};
          e = e % size;
          stride *= size;
        }
        exprs[group[k]] = e;
      }
    }
    return AffineMap::get(result.getRank(), 0, exprs, ctx);
  }
  // Expand: source dim s is the number written by the digits of its group.
  for (const ReassociationIndices &group : groups) {
    AffineExpr e = getAffineConstantExpr(0, ctx);
    int64_t stride = 1;
    for (int64_t k = group.size() - 1; k >= 0; --k) {
      e = e + getAffineDimExpr(group[k], ctx) * stride;
      if (k > 0) {
        int64_t size = result.getDimSize(group[k]);
        if (ShapedType::isDynamic(size))
          return {};
        stride *= size;
      }
    }
    exprs.push_back(e);
  }
  return AffineMap::get(result.getRank(), 0, exprs, ctx);
}

/// When `tensor` is a reshape, transpose or cast of another tensor, returns
/// that tensor and the map from `tensor`'s indices to its indices.
static std::optional<std::pair<Value, AffineMap>> getViewSource(Value tensor) {
  Operation *op = tensor.getDefiningOp();
  if (!op)
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  auto resultType = dyn_cast<RankedTensorType>(tensor.getType());
  if (!resultType)
    return std::nullopt;
  auto reshape = [&](Value src) -> std::optional<std::pair<Value, AffineMap>> {
    auto srcType = dyn_cast<RankedTensorType>(src.getType());
    if (!srcType)
      return std::nullopt;
    std::optional<SmallVector<ReassociationIndices>> groups =
        getReassociationIndicesForReshape(srcType, resultType);
    if (!groups)
      return std::nullopt;
    AffineMap map = reshapeSourceMap(ctx, srcType, resultType, *groups);
    if (!map)
      return std::nullopt;
    return std::make_pair(src, map);
  };
  if (auto e = dyn_cast<tensor::ExpandShapeOp>(op))
    return reshape(e.getSrc());
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
    return reshape(c.getSrc());
  if (auto r = dyn_cast<tosa::ReshapeOp>(op))
    return reshape(r.getInput1());
  if (auto c = dyn_cast<tensor::CastOp>(op)) {
    auto srcType = dyn_cast<RankedTensorType>(c.getSource().getType());
    if (!srcType || srcType.getRank() != resultType.getRank())
      return std::nullopt;
    return std::make_pair(c.getSource(),
                          AffineMap::getMultiDimIdentityMap(
                              resultType.getRank(), ctx));
  }
  if (auto t = dyn_cast<tosa::TransposeOp>(op)) {
    // result[i] = input[perms[i]] positions: input dim perms[i] is result i.
    ArrayRef<int32_t> perms = t.getPerms();
    SmallVector<AffineExpr> exprs(perms.size());
    for (auto [i, p] : llvm::enumerate(perms))
      exprs[p] = getAffineDimExpr(i, ctx);
    return std::make_pair(t.getInput1(),
                          AffineMap::get(perms.size(), 0, exprs, ctx));
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Term views
//===----------------------------------------------------------------------===//

Term raise::resolveArguments(Term t) {
  for (int guard = 0; guard < 64; ++guard) {
    auto arg = dyn_cast<BlockArgument>(t.value);
    if (!arg)
      return t;
    auto op = dyn_cast_or_null<linalg::LinalgOp>(arg.getOwner()->getParentOp());
    if (!op || arg.getOwner() != op.getBlock())
      return t;
    OpOperand &operand = op->getOpOperand(arg.getArgNumber());
    AffineMap map = op.getMatchingIndexingMap(&operand);
    t = Term{operand.get(), map.compose(t.map)};
  }
  return t;
}

/// Binary TOSA elementwise ops broadcast size-1 dimensions of equal-rank
/// operands: the operand map reads index 0 there.
static std::optional<Term> tosaOperand(Value operand, RankedTensorType result,
                                       AffineMap map) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  if (!type || type.getRank() != result.getRank())
    return std::nullopt;
  MLIRContext *ctx = operand.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < type.getRank(); ++i)
    exprs.push_back(type.getDimSize(i) == 1 && result.getDimSize(i) != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(i, ctx));
  return Term{operand,
              AffineMap::get(type.getRank(), 0, exprs, ctx).compose(map)};
}

static TermView viewTosa(Operation *op, Term t, OpChain *chain) {
  TermView v;
  auto resultType = cast<RankedTensorType>(t.value.getType());
  auto addOperands = [&](ValueRange operands) -> bool {
    for (Value operand : operands) {
      std::optional<Term> o = tosaOperand(operand, resultType, t.map);
      if (!o)
        return false;
      v.operands.push_back(*o);
    }
    return true;
  };
  bool ok = true;
  if (auto a = dyn_cast<tosa::AddOp>(op)) {
    v.kind = TermKind::Add;
    ok = addOperands({a.getInput1(), a.getInput2()});
  } else if (auto s = dyn_cast<tosa::SubOp>(op)) {
    v.kind = TermKind::Sub;
    ok = addOperands({s.getInput1(), s.getInput2()});
  } else if (auto m = dyn_cast<tosa::MulOp>(op)) {
    v.kind = TermKind::Mul;
    ok = isa<FloatType>(resultType.getElementType()) &&
         addOperands({m.getInput1(), m.getInput2()});
  } else if (auto m = dyn_cast<tosa::MaximumOp>(op)) {
    v.kind = TermKind::Max;
    ok = addOperands({m.getInput1(), m.getInput2()});
  } else if (auto e = dyn_cast<tosa::ExpOp>(op)) {
    v.kind = TermKind::Exp;
    ok = addOperands({e.getInput1()});
  } else if (auto r = dyn_cast<tosa::ReciprocalOp>(op)) {
    v.kind = TermKind::Reciprocal;
    ok = addOperands({r.getInput1()});
  } else if (auto s = dyn_cast<tosa::SelectOp>(op)) {
    v.kind = TermKind::Select;
    ok = addOperands({s.getInput1(), s.getInput2(), s.getInput3()});
  } else if (auto c = dyn_cast<tosa::CastOp>(op)) {
    v.kind = TermKind::Cast;
    ok = addOperands({c.getInput()});
  } else {
    v.kind = TermKind::Leaf;
    v.leaf = t;
    return v;
  }
  if (!ok)
    return TermView{TermKind::Unknown, {}, 0.0, t};
  if (chain)
    chain->insert(op);
  return v;
}

static std::optional<double> attrConstant(Attribute attr) {
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return static_cast<double>(i.getValue().getSExtValue());
  if (auto d = dyn_cast<DenseElementsAttr>(attr)) {
    if (!d.isSplat())
      return std::nullopt;
    if (isa<FloatType>(d.getElementType()))
      return d.getSplatValue<APFloat>().convertToDouble();
    if (d.getElementType().isIntOrIndex())
      return static_cast<double>(d.getSplatValue<APInt>().getSExtValue());
  }
  return std::nullopt;
}

TermView raise::viewTerm(Term t, OpChain *chain) {
  for (int guard = 0; guard < 64; ++guard) {
    t = resolveArguments(t);
    TermView v;
    Attribute attr;
    if (matchPattern(t.value, m_Constant(&attr))) {
      if (std::optional<double> c = attrConstant(attr)) {
        v.kind = TermKind::Constant;
        v.constant = *c;
        return v;
      }
      v.kind = TermKind::Leaf;
      v.leaf = t;
      return v;
    }
    if (t.isTensor()) {
      unsigned resultNumber = 0;
      if (linalg::LinalgOp op =
              getElementwiseProducer(t.value, resultNumber)) {
        AffineMap outMap =
            op.getMatchingIndexingMap(op.getDpsInitOperand(resultNumber));
        Value yielded =
            op.getBlock()->getTerminator()->getOperand(resultNumber);
        if (chain)
          chain->insert(op);
        t = Term{yielded, inversePermutation(outMap).compose(t.map)};
        continue;
      }
      if (std::optional<std::pair<Value, AffineMap>> src =
              getViewSource(t.value)) {
        if (chain)
          chain->insert(t.value.getDefiningOp());
        t = Term{src->first, src->second.compose(t.map)};
        continue;
      }
      Operation *def = t.value.getDefiningOp();
      if (def && def->getDialect() &&
          isa<tosa::TosaDialect>(def->getDialect()))
        return viewTosa(def, t, chain);
      v.kind = TermKind::Leaf;
      v.leaf = t;
      return v;
    }
    // A scalar inside a body (or captured from above it).
    Operation *def = t.value.getDefiningOp();
    if (!def)
      return v;
    auto operands = [&](std::initializer_list<Value> values) {
      for (Value operand : values)
        v.operands.push_back(Term{operand, t.map});
    };
    if (auto index = dyn_cast<linalg::IndexOp>(def)) {
      v.kind = TermKind::Index;
      v.operands.push_back(t);
      return v;
    }
    if (isa<arith::AddFOp, arith::AddIOp>(def))
      v.kind = TermKind::Add;
    else if (isa<arith::SubFOp, arith::SubIOp>(def))
      v.kind = TermKind::Sub;
    else if (isa<arith::MulFOp, arith::MulIOp>(def))
      v.kind = TermKind::Mul;
    else if (isa<arith::DivFOp>(def))
      v.kind = TermKind::Div;
    else if (isa<math::ExpOp>(def))
      v.kind = TermKind::Exp;
    else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(def))
      v.kind = TermKind::Max;
    else if (isa<arith::SelectOp>(def))
      v.kind = TermKind::Select;
    else if (isa<arith::ExtFOp, arith::TruncFOp>(def))
      v.kind = TermKind::Cast;
    else
      return v;
    for (Value operand : def->getOperands())
      operands({operand});
    return v;
  }
  return TermView{};
}

std::optional<double> raise::getConstant(Term t) {
  TermView v = viewTerm(t, nullptr);
  if (v.kind != TermKind::Constant)
    return std::nullopt;
  return v.constant;
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

/// The constant every element of `init` starts with.
static std::optional<double> getInitConstant(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
    Attribute attr;
    if (!matchPattern(fill.getInputs()[0], m_Constant(&attr)))
      return std::nullopt;
    return attrConstant(attr);
  }
  Attribute attr;
  if (matchPattern(init, m_Constant(&attr)))
    return attrConstant(attr);
  return std::nullopt;
}

/// True when the reduction body combines its input and accumulator with the
/// operation of `kind`.
static bool isReductionBody(linalg::LinalgOp op, RowReduction kind) {
  Block *body = op.getBlock();
  Value yielded = body->getTerminator()->getOperand(0);
  Operation *combiner = yielded.getDefiningOp();
  if (!combiner || combiner->getNumOperands() != 2 ||
      combiner->getBlock() != body)
    return false;
  bool ok = kind == RowReduction::Sum
                ? isa<arith::AddFOp>(combiner)
                : isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner);
  if (!ok)
    return false;
  Value in = body->getArgument(0), acc = body->getArgument(1);
  Value a = combiner->getOperand(0), b = combiner->getOperand(1);
  return (a == in && b == acc) || (a == acc && b == in);
}

std::optional<Term> raise::matchRowReduction(Term row, RowReduction kind,
                                             int64_t rank, OpChain &chain) {
  MLIRContext *ctx = row.value.getContext();
  // Step through broadcasts of the row and unit-dim reshapes.
  OpChain local = chain;
  Term t = resolveArguments(row);
  for (int guard = 0; guard < 16 && t.isTensor(); ++guard) {
    unsigned resultNumber = 0;
    if (linalg::LinalgOp op = getElementwiseProducer(t.value, resultNumber)) {
      Term yielded{op.getBlock()->getTerminator()->getOperand(resultNumber),
                   inversePermutation(op.getMatchingIndexingMap(
                                          op.getDpsInitOperand(resultNumber)))
                       .compose(t.map)};
      Term next = resolveArguments(yielded);
      if (!next.isTensor())
        break;
      local.insert(op);
      t = next;
      continue;
    }
    if (std::optional<std::pair<Value, AffineMap>> src =
            getViewSource(t.value)) {
      local.insert(t.value.getDefiningOp());
      t = Term{src->first, src->second.compose(t.map)};
      continue;
    }
    break;
  }
  if (!t.isTensor())
    return std::nullopt;

  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  Operation *def = t.value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto op = dyn_cast<linalg::LinalgOp>(def)) {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() != rank ||
        op.getNumReductionLoops() != 1 || !op.getBlock())
      return std::nullopt;
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    if (iters.back() != utils::IteratorType::reduction)
      return std::nullopt;
    OpOperand *input = op.getDpsInputOperand(0);
    OpOperand *init = op.getDpsInitOperand(0);
    if (op.getMatchingIndexingMap(input) != identity ||
        op.getMatchingIndexingMap(init) != t.map ||
        !isReductionBody(op, kind))
      return std::nullopt;
    std::optional<double> start = getInitConstant(init->get());
    if (!start)
      return std::nullopt;
    // A max starts at -inf (or any value at or below -1e30), or at NaN,
    // which maxnumf ignores.
    bool maxNum = isa<arith::MaxNumFOp>(
        op.getBlock()->getTerminator()->getOperand(0).getDefiningOp());
    bool okStart = kind == RowReduction::Sum
                       ? *start == 0.0
                       : (*start <= -1e30 || (std::isnan(*start) && maxNum));
    if (!okStart)
      return std::nullopt;
    local.insert(op);
    chain = local;
    return Term{input->get(), identity};
  }
  auto keepDimMap = [&]() {
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i + 1 < rank; ++i)
      exprs.push_back(getAffineDimExpr(i, ctx));
    exprs.push_back(getAffineConstantExpr(0, ctx));
    return AffineMap::get(rank, 0, exprs, ctx);
  };
  Value input;
  int64_t axis = -1;
  if (auto m = dyn_cast<tosa::ReduceMaxOp>(def);
      m && kind == RowReduction::Max) {
    input = m.getInput();
    axis = m.getAxis();
  } else if (auto s = dyn_cast<tosa::ReduceSumOp>(def);
             s && kind == RowReduction::Sum) {
    input = s.getInput();
    axis = s.getAxis();
  }
  if (!input || axis != rank - 1 ||
      cast<RankedTensorType>(input.getType()).getRank() != rank)
    return std::nullopt;
  // A size-1 dimension may be read at index 0 or through its dim.
  AffineMap keepDim = keepDimMap();
  if (t.map != keepDim && t.map != identity)
    return std::nullopt;
  local.insert(def);
  chain = local;
  return Term{input, identity};
}

std::optional<Term> raise::matchSoftmax(Term p, int64_t rank,
                                        OpChain &chain) {
  MLIRContext *ctx = p.value.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  OpChain local = chain;

  // Casts of the probabilities (bf16 graphs round P before P.V).
  Term cur = p;
  for (int guard = 0; guard < 4; ++guard) {
    OpChain probe = local;
    TermView v = viewTerm(cur, &probe);
    if (v.kind != TermKind::Cast)
      break;
    local = probe;
    cur = v.operands[0];
  }

  Term r = resolveArguments(cur);
  if (r.isTensor() && r.map == identity) {
    if (auto softmax = r.value.getDefiningOp<linalg::SoftmaxOp>()) {
      auto inputType = dyn_cast<RankedTensorType>(softmax.getInput().getType());
      if (!softmax.hasPureTensorSemantics() || !inputType ||
          inputType.getRank() != rank ||
          static_cast<int64_t>(softmax.getDimension()) != rank - 1)
        return std::nullopt;
      local.insert(softmax);
      chain = local;
      return Term{softmax.getInput(), identity};
    }
  }

  TermView v = viewTerm(cur, &local);
  Term numerator, denominator;
  if (v.kind == TermKind::Div) {
    numerator = v.operands[0];
    denominator = v.operands[1];
  } else if (v.kind == TermKind::Mul) {
    bool found = false;
    for (int i = 0; i < 2 && !found; ++i) {
      OpChain probe = local;
      TermView w = viewTerm(v.operands[1 - i], &probe);
      if (w.kind == TermKind::Reciprocal) {
        denominator = w.operands[0];
      } else if (w.kind == TermKind::Div &&
                 getConstant(w.operands[0]) == std::optional<double>(1.0)) {
        denominator = w.operands[1];
      } else {
        continue;
      }
      numerator = v.operands[i];
      local = probe;
      found = true;
    }
    if (!found)
      return std::nullopt;
  } else {
    return std::nullopt;
  }

  std::optional<Term> summed =
      matchRowReduction(denominator, RowReduction::Sum, rank, local);
  if (!summed || resolveArguments(*summed) != resolveArguments(numerator))
    return std::nullopt;

  TermView e = viewTerm(numerator, &local);
  if (e.kind != TermKind::Exp)
    return std::nullopt;
  OpChain probe = local;
  TermView x = viewTerm(e.operands[0], &probe);
  if (x.kind != TermKind::Sub) {
    // exp(S) / sum exp(S): the unstabilised spelling.
    chain = local;
    return e.operands[0];
  }
  std::optional<Term> maxed =
      matchRowReduction(x.operands[1], RowReduction::Max, rank, probe);
  if (!maxed || resolveArguments(*maxed) != resolveArguments(x.operands[0]))
    return std::nullopt;
  chain = probe;
  return x.operands[0];
}

//===----------------------------------------------------------------------===//
// Views of Q, K, V
//===----------------------------------------------------------------------===//

SmallVector<Term> raise::peelViews(Term t) {
  SmallVector<Term> views = {t};
  for (int guard = 0; guard < 16; ++guard) {
    Term cur = views.back();
    if (std::optional<std::pair<Value, AffineMap>> src =
            getViewSource(cur.value)) {
      views.push_back(Term{src->first, src->second.compose(cur.map)});
      continue;
    }
    unsigned resultNumber = 0;
    linalg::LinalgOp op = getElementwiseProducer(cur.value, resultNumber);
    if (!op)
      break;
    Term next = resolveArguments(
        Term{op.getBlock()->getTerminator()->getOperand(resultNumber),
             inversePermutation(op.getMatchingIndexingMap(
                                    op.getDpsInitOperand(resultNumber)))
                 .compose(cur.map)});
    if (!next.isTensor() ||
        cast<RankedTensorType>(next.value.getType()).getElementType() !=
            cast<RankedTensorType>(cur.value.getType()).getElementType())
      break;
    views.push_back(next);
  }
  return views;
}

/// Evaluates an affine expression at a constant point.
static int64_t evalAffine(AffineExpr e, ArrayRef<int64_t> dims,
                          uint64_t *deps = nullptr,
                          ArrayRef<uint64_t> dimDeps = {}) {
  switch (e.getKind()) {
  case AffineExprKind::Constant:
    return cast<AffineConstantExpr>(e).getValue();
  case AffineExprKind::DimId: {
    unsigned p = cast<AffineDimExpr>(e).getPosition();
    if (deps)
      *deps |= dimDeps[p];
    return dims[p];
  }
  default:
    break;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return 0; // Symbols do not occur in linalg indexing maps.
  int64_t l = evalAffine(bin.getLHS(), dims, deps, dimDeps);
  int64_t r = evalAffine(bin.getRHS(), dims, deps, dimDeps);
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return l + r;
  case AffineExprKind::Mul:
    return l * r;
  case AffineExprKind::FloorDiv:
    return r == 0 ? 0 : llvm::divideFloorSigned(l, r);
  case AffineExprKind::CeilDiv:
    return r == 0 ? 0 : llvm::divideCeilSigned(l, r);
  case AffineExprKind::Mod: {
    if (r == 0)
      return 0;
    int64_t m = l % r;
    return m < 0 ? m + r : m;
  }
  default:
    return 0;
  }
}

bool raise::mapsAgree(AffineMap map, AffineMap expected,
                      ArrayRef<int64_t> sizes) {
  if (map.getNumResults() != expected.getNumResults() ||
      map.getNumDims() != expected.getNumDims() ||
      map.getNumDims() != sizes.size())
    return false;
  for (unsigned r = 0; r < map.getNumResults(); ++r) {
    AffineExpr a = simplifyAffineExpr(map.getResult(r), map.getNumDims(), 0);
    AffineExpr b =
        simplifyAffineExpr(expected.getResult(r), map.getNumDims(), 0);
    if (a == b)
      continue;
    // Enumerate the dimensions either expression uses.
    SmallVector<unsigned> used;
    int64_t points = 1;
    for (unsigned d = 0; d < sizes.size(); ++d) {
      if (!a.isFunctionOfDim(d) && !b.isFunctionOfDim(d))
        continue;
      if (ShapedType::isDynamic(sizes[d]))
        return false;
      used.push_back(d);
      points *= std::max<int64_t>(sizes[d], 1);
      if (points > (1 << 20))
        return false;
    }
    SmallVector<int64_t> point(sizes.size(), 0);
    for (int64_t n = 0; n < points; ++n) {
      int64_t rest = n;
      for (unsigned d : used) {
        point[d] = rest % std::max<int64_t>(sizes[d], 1);
        rest /= std::max<int64_t>(sizes[d], 1);
      }
      if (evalAffine(a, point) != evalAffine(b, point))
        return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

namespace {
/// Evaluates index-and-constant computations, tracking which domain
/// dimensions every value depends on.
struct Evaluator {
  /// `index` holds values, `deps` the domain dimensions behind each.
  std::optional<Scalar> evalTensor(Value tensor, ArrayRef<int64_t> index,
                                   ArrayRef<uint64_t> deps, int depth);
  std::optional<Scalar> evalScalar(Value v, ArrayRef<int64_t> loops,
                                   ArrayRef<uint64_t> deps, int depth);
};
} // namespace

static Scalar makeFloat(double f, uint64_t deps) {
  Scalar s;
  s.isFloat = true;
  s.f = f;
  s.deps = deps;
  return s;
}

static Scalar makeInt(int64_t i, uint64_t deps) {
  Scalar s;
  s.i = i;
  s.deps = deps;
  return s;
}

/// Applies `map` to `index`, tracking dependences.
static void applyMap(AffineMap map, ArrayRef<int64_t> index,
                     ArrayRef<uint64_t> deps, SmallVectorImpl<int64_t> &out,
                     SmallVectorImpl<uint64_t> &outDeps) {
  out.clear();
  outDeps.clear();
  for (AffineExpr e : map.getResults()) {
    uint64_t d = 0;
    out.push_back(evalAffine(e, index, &d, deps));
    outDeps.push_back(d);
  }
}

static std::optional<Scalar> elementOf(Attribute attr, ArrayRef<int64_t> index,
                                       ArrayRef<uint64_t> deps) {
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  Type elementType = dense.getElementType();
  uint64_t d = 0;
  int64_t flat = 0;
  if (!dense.isSplat()) {
    ArrayRef<int64_t> shape = dense.getType().getShape();
    for (auto [i, extent] : llvm::enumerate(shape)) {
      if (index[i] < 0 || index[i] >= extent)
        return std::nullopt;
      flat = flat * extent + index[i];
      d |= deps[i];
    }
  }
  if (isa<FloatType>(elementType)) {
    APFloat v = dense.isSplat() ? dense.getSplatValue<APFloat>()
                                : dense.getValues<APFloat>()[flat];
    return makeFloat(v.convertToDouble(), d);
  }
  if (elementType.isIntOrIndex()) {
    APInt v = dense.isSplat() ? dense.getSplatValue<APInt>()
                              : dense.getValues<APInt>()[flat];
    int64_t i = elementType.isInteger(1) ? static_cast<int64_t>(v.getZExtValue())
                                         : v.getSExtValue();
    return makeInt(i, d);
  }
  return std::nullopt;
}

std::optional<Scalar> Evaluator::evalTensor(Value tensor,
                                            ArrayRef<int64_t> index,
                                            ArrayRef<uint64_t> deps,
                                            int depth) {
  if (depth > 64)
    return std::nullopt;
  Attribute attr;
  if (matchPattern(tensor, m_Constant(&attr)))
    return elementOf(attr, index, deps);
  unsigned resultNumber = 0;
  if (linalg::LinalgOp op = getElementwiseProducer(tensor, resultNumber)) {
    AffineMap outMap =
        op.getMatchingIndexingMap(op.getDpsInitOperand(resultNumber));
    SmallVector<int64_t> loops(op.getNumLoops(), 0);
    SmallVector<uint64_t> loopDeps(op.getNumLoops(), 0);
    for (unsigned k = 0; k < outMap.getNumResults(); ++k) {
      loops[outMap.getDimPosition(k)] = index[k];
      loopDeps[outMap.getDimPosition(k)] = deps[k];
    }
    return evalScalar(op.getBlock()->getTerminator()->getOperand(resultNumber),
                      loops, loopDeps, depth + 1);
  }
  if (std::optional<std::pair<Value, AffineMap>> src = getViewSource(tensor)) {
    SmallVector<int64_t> srcIndex;
    SmallVector<uint64_t> srcDeps;
    applyMap(src->second, index, deps, srcIndex, srcDeps);
    return evalTensor(src->first, srcIndex, srcDeps, depth + 1);
  }
  return std::nullopt;
}

std::optional<Scalar> Evaluator::evalScalar(Value v, ArrayRef<int64_t> loops,
                                            ArrayRef<uint64_t> deps,
                                            int depth) {
  if (depth > 64)
    return std::nullopt;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto op = dyn_cast_or_null<linalg::LinalgOp>(arg.getOwner()->getParentOp());
    if (!op || arg.getOwner() != op.getBlock())
      return std::nullopt;
    OpOperand &operand = op->getOpOperand(arg.getArgNumber());
    if (!isa<RankedTensorType>(operand.get().getType()))
      return evalScalar(operand.get(), {}, {}, depth + 1);
    SmallVector<int64_t> index;
    SmallVector<uint64_t> indexDeps;
    applyMap(op.getMatchingIndexingMap(&operand), loops, deps, index,
             indexDeps);
    return evalTensor(operand.get(), index, indexDeps, depth + 1);
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  Attribute attr;
  if (matchPattern(v, m_Constant(&attr))) {
    if (auto f = dyn_cast<FloatAttr>(attr))
      return makeFloat(f.getValueAsDouble(), 0);
    if (auto i = dyn_cast<IntegerAttr>(attr))
      return makeInt(i.getType().isInteger(1)
                         ? static_cast<int64_t>(i.getValue().getZExtValue())
                         : i.getValue().getSExtValue(),
                     0);
    return std::nullopt;
  }
  if (auto index = dyn_cast<linalg::IndexOp>(def)) {
    uint64_t dim = index.getDim();
    if (dim >= loops.size())
      return std::nullopt;
    return makeInt(loops[dim], deps[dim]);
  }
  auto operand = [&](unsigned i) {
    return evalScalar(def->getOperand(i), loops, deps, depth + 1);
  };
  if (auto select = dyn_cast<arith::SelectOp>(def)) {
    std::optional<Scalar> c = operand(0);
    if (!c)
      return std::nullopt;
    std::optional<Scalar> chosen = operand(c->i ? 1 : 2);
    if (!chosen)
      return std::nullopt;
    chosen->deps |= c->deps;
    return chosen;
  }
  if (def->getNumOperands() == 1) {
    std::optional<Scalar> a = operand(0);
    if (!a)
      return std::nullopt;
    Type t = v.getType();
    if (isa<arith::ExtFOp, arith::TruncFOp>(def))
      return a;
    if (isa<arith::NegFOp>(def))
      return makeFloat(-a->f, a->deps);
    if (isa<arith::SIToFPOp, arith::UIToFPOp>(def))
      return makeFloat(static_cast<double>(a->i), a->deps);
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
            arith::ExtUIOp>(def))
      return a;
    if (isa<arith::TruncIOp>(def)) {
      unsigned width = t.getIntOrFloatBitWidth();
      if (width == 1)
        return makeInt(a->i & 1, a->deps);
      return a;
    }
    return std::nullopt;
  }
  if (def->getNumOperands() != 2)
    return std::nullopt;
  std::optional<Scalar> a = operand(0), b = operand(1);
  if (!a || !b)
    return std::nullopt;
  uint64_t d = a->deps | b->deps;
  if (auto cmp = dyn_cast<arith::CmpIOp>(def)) {
    int64_t x = a->i, y = b->i;
    bool r;
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      r = x == y;
      break;
    case arith::CmpIPredicate::ne:
      r = x != y;
      break;
    case arith::CmpIPredicate::slt:
    case arith::CmpIPredicate::ult:
      r = x < y;
      break;
    case arith::CmpIPredicate::sle:
    case arith::CmpIPredicate::ule:
      r = x <= y;
      break;
    case arith::CmpIPredicate::sgt:
    case arith::CmpIPredicate::ugt:
      r = x > y;
      break;
    case arith::CmpIPredicate::sge:
    case arith::CmpIPredicate::uge:
      r = x >= y;
      break;
    }
    // Unsigned predicates on negative values are not modelled.
    bool isUnsigned = llvm::is_contained(
        {arith::CmpIPredicate::ult, arith::CmpIPredicate::ule,
         arith::CmpIPredicate::ugt, arith::CmpIPredicate::uge},
        cmp.getPredicate());
    if ((x < 0 || y < 0) && isUnsigned)
      return std::nullopt;
    return makeInt(r, d);
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(def)) {
    double x = a->f, y = b->f;
    bool r;
    switch (cmp.getPredicate()) {
    case arith::CmpFPredicate::OEQ:
      r = x == y;
      break;
    case arith::CmpFPredicate::ONE:
      r = x != y;
      break;
    case arith::CmpFPredicate::OLT:
      r = x < y;
      break;
    case arith::CmpFPredicate::OLE:
      r = x <= y;
      break;
    case arith::CmpFPredicate::OGT:
      r = x > y;
      break;
    case arith::CmpFPredicate::OGE:
      r = x >= y;
      break;
    default:
      return std::nullopt;
    }
    return makeInt(r, d);
  }
  if (isa<arith::AddIOp>(def))
    return makeInt(a->i + b->i, d);
  if (isa<arith::SubIOp>(def))
    return makeInt(a->i - b->i, d);
  if (isa<arith::MulIOp>(def))
    return makeInt(a->i * b->i, d);
  if (isa<arith::AndIOp>(def))
    return makeInt(a->i & b->i, d);
  if (isa<arith::OrIOp>(def))
    return makeInt(a->i | b->i, d);
  if (isa<arith::XOrIOp>(def))
    return makeInt(a->i ^ b->i, d);
  if (isa<arith::FloorDivSIOp>(def) && b->i != 0)
    return makeInt(llvm::divideFloorSigned(a->i, b->i), d);
  if (isa<arith::DivSIOp>(def) && b->i != 0)
    return makeInt(a->i / b->i, d);
  if (isa<arith::RemSIOp>(def) && b->i != 0)
    return makeInt(a->i % b->i, d);
  if (isa<arith::AddFOp>(def))
    return makeFloat(a->f + b->f, d);
  if (isa<arith::SubFOp>(def))
    return makeFloat(a->f - b->f, d);
  if (isa<arith::MulFOp>(def))
    return makeFloat(a->f * b->f, d);
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(def))
    return makeFloat(std::max(a->f, b->f), d);
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(def))
    return makeFloat(std::min(a->f, b->f), d);
  return std::nullopt;
}

std::optional<Scalar> raise::evaluateTerm(Term t, ArrayRef<int64_t> index) {
  SmallVector<uint64_t> dimDeps;
  for (unsigned d = 0; d < index.size(); ++d)
    dimDeps.push_back(uint64_t(1) << d);
  SmallVector<int64_t> local;
  SmallVector<uint64_t> localDeps;
  applyMap(t.map, index, dimDeps, local, localDeps);
  Evaluator e;
  if (t.isTensor())
    return e.evalTensor(t.value, local, localDeps, 0);
  return e.evalScalar(t.value, local, localDeps, 0);
}
