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

linalg::LinalgOp raise::getElementwiseProducer(Value tensor,
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

std::optional<std::pair<Value, AffineMap>> raise::getViewSource(Value tensor) {
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
  if (auto s = dyn_cast<tensor::ExtractSliceOp>(op)) {
    // A static slice (HF GPT-2 reads its causal mask as a slice of a
    // [1, 1, N, N] buffer): source index offset + stride * i, dropped unit
    // dims at their offset.
    if (ShapedType::isDynamicShape(s.getStaticOffsets()) ||
        ShapedType::isDynamicShape(s.getStaticStrides()))
      return std::nullopt;
    llvm::SmallBitVector dropped = s.getDroppedDims();
    SmallVector<AffineExpr> exprs;
    unsigned r = 0;
    for (auto [i, offset] : llvm::enumerate(s.getStaticOffsets())) {
      AffineExpr e = getAffineConstantExpr(offset, ctx);
      if (!dropped.test(i))
        e = e + getAffineDimExpr(r++, ctx) * s.getStaticStrides()[i];
      exprs.push_back(e);
    }
    if (r != resultType.getRank())
      return std::nullopt;
    return std::make_pair(s.getSource(),
                          AffineMap::get(r, 0, exprs, ctx));
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
  if (v.kind == TermKind::Constant)
    return v.constant;
  if (v.kind == TermKind::Index)
    return std::nullopt;
  // A computation of constants: evaluated at the origin, it must not read
  // any index of the domain.
  SmallVector<int64_t> origin(t.map.getNumDims(), 0);
  std::optional<Scalar> c = evaluateTerm(t, origin);
  if (!c || c->deps)
    return std::nullopt;
  return c->asDouble();
}

Term raise::stripUnitFactors(Term t) {
  for (int guard = 0; guard < 8; ++guard) {
    Term r = resolveArguments(t);
    if (r.isTensor())
      return r;
    Operation *def = r.value.getDefiningOp();
    if (!def || !isa<arith::MulFOp, arith::DivFOp>(def))
      return r;
    auto isOne = [&](Value v) {
      return getConstant(Term{v, r.map}) == std::optional<double>(1.0);
    };
    if (isOne(def->getOperand(1)))
      t = Term{def->getOperand(0), r.map};
    else if (isa<arith::MulFOp>(def) && isOne(def->getOperand(0)))
      t = Term{def->getOperand(1), r.map};
    else
      return r;
  }
  return resolveArguments(t);
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

/// True when the reduction body combines its input and the accumulator of
/// result `result` with the operation of `kind`.
static bool isReductionBody(linalg::LinalgOp op, unsigned result,
                            RowReduction kind) {
  Block *body = op.getBlock();
  Value yielded = body->getTerminator()->getOperand(result);
  Operation *combiner = yielded.getDefiningOp();
  if (!combiner || combiner->getNumOperands() != 2 ||
      combiner->getBlock() != body)
    return false;
  bool ok = kind == RowReduction::Sum
                ? isa<arith::AddFOp>(combiner)
                : isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner);
  if (!ok)
    return false;
  Value in = body->getArgument(0), acc = body->getArgument(1 + result);
  Value a = combiner->getOperand(0), b = combiner->getOperand(1);
  return (a == in && b == acc) || (a == acc && b == in);
}

/// True when `a` and `b` read the same element of a tensor of type `type`
/// at every point: equal results, or either a dim or 0 where the extent is 1.
static bool sameOnUnitDims(AffineMap a, AffineMap b, RankedTensorType type) {
  if (a == b)
    return true;
  if (a.getNumDims() != b.getNumDims() ||
      a.getNumResults() != b.getNumResults() ||
      a.getNumResults() != type.getRank())
    return false;
  for (unsigned r = 0; r < a.getNumResults(); ++r)
    if (a.getResult(r) != b.getResult(r) && type.getDimSize(r) != 1)
      return false;
  return true;
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
    // Further results (the argmax of torch's `max.dim`, computed in the same
    // reduction) must be unused.
    unsigned result = cast<OpResult>(t.value).getResultNumber();
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumLoops() != rank || op.getNumReductionLoops() != 1 ||
        !op.getBlock())
      return std::nullopt;
    for (OpResult other : op->getResults())
      if (other.getResultNumber() != result && !other.use_empty())
        return std::nullopt;
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    if (iters.back() != utils::IteratorType::reduction)
      return std::nullopt;
    OpOperand *input = op.getDpsInputOperand(0);
    OpOperand *init = op.getDpsInitOperand(result);
    if (op.getMatchingIndexingMap(input) != identity ||
        !sameOnUnitDims(op.getMatchingIndexingMap(init), t.map,
                        cast<RankedTensorType>(t.value.getType())) ||
        !isReductionBody(op, result, kind))
      return std::nullopt;
    std::optional<double> start = getInitConstant(init->get());
    if (!start)
      return std::nullopt;
    // A max starts at -inf (or any value at or below -1e30), or at NaN,
    // which maxnumf ignores.
    bool maxNum = isa<arith::MaxNumFOp>(
        op.getBlock()->getTerminator()->getOperand(result).getDefiningOp());
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
  std::optional<Term> maxed = matchRowReduction(
      stripUnitFactors(x.operands[1]), RowReduction::Max, rank, probe);
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
