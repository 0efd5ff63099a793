//===- RaiseEvaluate.cpp - compile-time evaluation of terms -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Evaluation of affine index maps and of index-and-constant computations
// (masks built from linalg.index comparisons, constant tensors, scale
// constants computed in the graph) at constant points of the score domain.
//
//===----------------------------------------------------------------------===//

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;

//===----------------------------------------------------------------------===//
// Affine maps
//===----------------------------------------------------------------------===//

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
  std::optional<Scalar> evalTosaBinary(Operation *def,
                                       ArrayRef<int64_t> index,
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
    int64_t i = elementType.isInteger(1)
                    ? static_cast<int64_t>(v.getZExtValue())
                    : v.getSExtValue();
    return makeInt(i, d);
  }
  return std::nullopt;
}

/// TOSA's elementwise add, sub and mul (shift 0) with its broadcasting
/// (operands of the result's rank, extent 1 where they broadcast), as
/// TF/Keras graphs build constant masks: `(1 - tril) * -1e9`.
std::optional<Scalar> Evaluator::evalTosaBinary(Operation *def,
                                                ArrayRef<int64_t> index,
                                                ArrayRef<uint64_t> deps,
                                                int depth) {
  if (auto mul = dyn_cast<tosa::MulOp>(def)) {
    Attribute shift;
    if (!matchPattern(mul.getShift(), m_Constant(&shift)))
      return std::nullopt;
    std::optional<Scalar> s = elementOf(shift, {0}, {0});
    if (!s || s->i != 0)
      return std::nullopt;
  }
  SmallVector<Scalar, 2> args;
  for (Value x : def->getOperands().take_front(2)) {
    auto t = dyn_cast<RankedTensorType>(x.getType());
    if (!t || t.getRank() != static_cast<int64_t>(index.size()))
      return std::nullopt;
    SmallVector<int64_t> at(index);
    SmallVector<uint64_t> atDeps(deps);
    for (int64_t k = 0; k < t.getRank(); ++k)
      if (t.getDimSize(k) == 1) {
        at[k] = 0;
        atDeps[k] = 0;
      }
    std::optional<Scalar> v = evalTensor(x, at, atDeps, depth + 1);
    if (!v)
      return std::nullopt;
    args.push_back(*v);
  }
  const Scalar &a = args[0], &b = args[1];
  if (a.isFloat != b.isFloat)
    return std::nullopt;
  uint64_t d = a.deps | b.deps;
  if (a.isFloat) {
    if (isa<tosa::AddOp>(def))
      return makeFloat(a.f + b.f, d);
    if (isa<tosa::SubOp>(def))
      return makeFloat(a.f - b.f, d);
    return makeFloat(a.f * b.f, d);
  }
  if (isa<tosa::AddOp>(def))
    return makeInt(a.i + b.i, d);
  if (isa<tosa::SubOp>(def))
    return makeInt(a.i - b.i, d);
  return makeInt(a.i * b.i, d);
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
  if (Operation *def = tensor.getDefiningOp();
      def && isa<tosa::AddOp, tosa::SubOp, tosa::MulOp>(def))
    return evalTosaBinary(def, index, deps, depth);
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
    if (isa<arith::ExtFOp>(def))
      return a;
    if (isa<arith::TruncFOp>(def)) {
      // Round as the graph does (an f64 scale truncated to f32).
      APFloat x(a->f);
      bool lost = false;
      x.convert(cast<FloatType>(t).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      return makeFloat(x.convertToDouble(), a->deps);
    }
    if (!a->isFloat && isa<math::SqrtOp, math::RsqrtOp, arith::NegFOp>(def))
      return std::nullopt;
    if (isa<arith::NegFOp>(def))
      return makeFloat(-a->f, a->deps);
    if (isa<math::SqrtOp>(def))
      return makeFloat(std::sqrt(a->f), a->deps);
    if (isa<math::RsqrtOp>(def))
      return makeFloat(1.0 / std::sqrt(a->f), a->deps);
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
  if (isa<arith::DivFOp>(def))
    return makeFloat(a->f / b->f, d);
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
