//===- MaskAnalysis.cpp - compile-time sparsity of mask_mod regions -------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/MaskAnalysis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Three-valued truth of an i1 over the box: `must` is true when the value
/// is true everywhere, `may` when it is true somewhere.
struct Truth {
  Value must, may;
};

/// A half-open key interval [lo, hi) (never null: unbounded sides are 0 and
/// kvEnd; empty when hi <= lo).
struct Keys {
  Value lo, hi;
};

/// Emits the interval and truth computations of a region over a box.
class Interpreter {
public:
  /// `readTensors`: summarise reads of captured tensors (at run time, over
  /// the box); `keyReads`: also those whose index depends on the key.
  Interpreter(OpBuilder &b, Location loc, Region &region,
              const MaskModBox &box, bool readTensors, bool keyReads)
      : b(b), loc(loc), region(region), readTensors(readTensors),
        keyReads(keyReads) {
    Block &body = region.front();
    const IndexInterval *args[4] = {&box.batch, &box.head, &box.query,
                                    &box.key};
    for (unsigned i = 0; i < 4 && i < body.getNumArguments(); ++i)
      intervals[body.getArgument(i)] = *args[i];
    if (body.getNumArguments() == 4) {
      keyArg = body.getArgument(3);
      keyDep.insert(keyArg);
    }
    for (Operation &op : body.without_terminator())
      visit(op);
  }

  /// The value the region yields (its keep predicate).
  Value yielded() { return region.front().getTerminator()->getOperand(0); }

  Truth truth(Value v);
  IndexInterval interval(Value v);
  /// The keys that can satisfy `p` (or its negation, `negated`) for some
  /// row of the box, within [0, kvEnd).
  Keys keysOf(Value p, bool negated, Value kvEnd);
  /// The keys of the yielded predicate, within [0, kvEnd) once clipped.
  Keys keys(Value kvEnd) {
    keyEnd = kvEnd;
    return keysOf(yielded(), /*negated=*/false, kvEnd);
  }

private:
  // Constant-folding builders.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value bit(bool v) {
    return arith::ConstantIntOp::create(b, loc, b.getI1Type(), v);
  }
  Value add(Value x, Value y) {
    return b.createOrFold<arith::AddIOp>(loc, x, y);
  }
  Value addc(Value x, int64_t c) { return c ? add(x, idx(c)) : x; }
  Value sub(Value x, Value y) {
    return b.createOrFold<arith::SubIOp>(loc, x, y);
  }
  Value mulc(Value x, int64_t c) {
    return c == 1 ? x : b.createOrFold<arith::MulIOp>(loc, x, idx(c));
  }
  Value minv(Value x, Value y) {
    return b.createOrFold<arith::MinSIOp>(loc, x, y);
  }
  Value maxv(Value x, Value y) {
    return b.createOrFold<arith::MaxSIOp>(loc, x, y);
  }
  Value sel(Value c, Value x, Value y) {
    return b.createOrFold<arith::SelectOp>(loc, c, x, y);
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return b.createOrFold<arith::CmpIOp>(loc, p, x, y);
  }
  Value andv(Value x, Value y) {
    return b.createOrFold<arith::AndIOp>(loc, x, y);
  }
  Value orv(Value x, Value y) {
    return b.createOrFold<arith::OrIOp>(loc, x, y);
  }
  Value notv(Value x) { return b.createOrFold<arith::XOrIOp>(loc, x, bit(1)); }
  // Null-aware interval arithmetic (null = unbounded).
  Value addN(Value x, Value y) { return x && y ? add(x, y) : Value(); }
  Value subN(Value x, Value y) { return x && y ? sub(x, y) : Value(); }
  /// min(x, y) of lower bounds: unbounded when either is.
  Value minLo(Value x, Value y) { return x && y ? minv(x, y) : Value(); }
  /// min(x, y) of upper bounds: the bounded one when the other is not.
  Value minHi(Value x, Value y) { return x && y ? minv(x, y) : x ? x : y; }
  Value maxLo(Value x, Value y) { return x && y ? maxv(x, y) : x ? x : y; }
  Value maxHi(Value x, Value y) { return x && y ? maxv(x, y) : Value(); }

  void visit(Operation &op);
  IndexInterval intervalOf(Operation &op);
  /// The run-time summary of a captured tensor read over the box: the
  /// (min, max) of integer elements or (all, any) of i1 ones; false when
  /// the read is not summarised.
  bool summarizeRead(tensor::ExtractOp op, Value &lo, Value &hi);
  Truth truthOf(Operation &op);
  Truth compare(arith::CmpIPredicate p, IndexInterval x, IndexInterval y);
  bool dependsOnKey(Value v) { return keyDep.contains(v); }
  std::optional<int64_t> constant(Value v);
  /// x when `v` is `x - floordiv(x, c) * c` (the floor modulo), with `c`.
  Value matchFloorMod(Value v, int64_t &c);

  // Key intervals: the keys for which `v >= lim` (atLeast) or `v <= lim`
  // (atMost) can hold for some row.
  Keys atLeast(Value v, Value lim, Value kvEnd);
  Keys atMost(Value v, Value lim, Value kvEnd);
  Keys bound(Value v, Value lim, bool lower, Value kvEnd) {
    return lower ? atLeast(v, lim, kvEnd) : atMost(v, lim, kvEnd);
  }
  Keys all(Value kvEnd) { return {idx(0), kvEnd}; }
  Keys none(Value kvEnd) { return {kvEnd, idx(0)}; }
  Keys gate(Value c, Keys k, Value kvEnd) {
    return {sel(c, k.lo, kvEnd), sel(c, k.hi, idx(0))};
  }
  Keys choose(Value c, Keys x, Keys y) {
    return {sel(c, x.lo, y.lo), sel(c, x.hi, y.hi)};
  }
  /// Whether `k` is every key ([0, kvEnd)).
  bool isAll(Keys k, Value kvEnd) {
    return constant(k.lo) == 0 && k.hi == kvEnd;
  }
  Keys meet(Keys x, Keys y) {
    if (isAll(x, keyEnd))
      return y;
    if (isAll(y, keyEnd))
      return x;
    return {maxv(x.lo, y.lo), minv(x.hi, y.hi)};
  }
  Keys join(Keys x, Keys y) {
    if (isAll(x, keyEnd) || isAll(y, keyEnd))
      return all(keyEnd);
    return {minv(x.lo, y.lo), maxv(x.hi, y.hi)};
  }
  Keys ofCompare(arith::CmpIPredicate p, Value x, Value y, Value kvEnd);

  OpBuilder &b;
  Location loc;
  Region &region;
  Value keyArg;
  bool readTensors, keyReads;
  /// Steps left to the (unmemoised) key-interval recursion: a region whose
  /// predicates share subterms could otherwise take exponential time; past
  /// the budget every key is kept (sound).
  unsigned budget = 2048;
  bool spend() { return budget > 0 && budget-- > 0; }
  /// The kvEnd of the current keysOf query (meet and join fold with it).
  Value keyEnd;
  llvm::DenseMap<Value, IndexInterval> intervals;
  llvm::DenseMap<Value, Truth> truths;
  llvm::DenseSet<Value> keyDep;
};
} // namespace

std::optional<int64_t> Interpreter::constant(Value v) {
  APInt c;
  if (!matchPattern(v, m_ConstantInt(&c)))
    return std::nullopt;
  return c.getBitWidth() == 1 ? int64_t(c.getBoolValue()) : c.getSExtValue();
}

static bool isI1(Type t) { return t.isInteger(1); }
static bool isInt(Type t) {
  return t.isIndex() || (t.isInteger() && !t.isInteger(1));
}

Truth Interpreter::truth(Value v) {
  auto it = truths.find(v);
  if (it != truths.end())
    return it->second;
  if (std::optional<int64_t> c = constant(v))
    return {bit(*c), bit(*c)};
  return {bit(0), bit(1)};
}

IndexInterval Interpreter::interval(Value v) {
  auto it = intervals.find(v);
  if (it != intervals.end())
    return it->second;
  if (std::optional<int64_t> c = constant(v)) {
    Value x = idx(*c);
    return {x, x};
  }
  return {};
}

void Interpreter::visit(Operation &op) {
  bool dep = op.getNumRegions() > 0 ||
             llvm::any_of(op.getOperands(),
                          [&](Value v) { return dependsOnKey(v); });
  for (Value r : op.getResults())
    if (dep)
      keyDep.insert(r);
  if (op.getNumResults() != 1 || op.getNumRegions() > 0)
    return;
  Value r = op.getResult(0);
  if (auto e = dyn_cast<tensor::ExtractOp>(op)) {
    Value lo, hi;
    if (!summarizeRead(e, lo, hi))
      return;
    if (isI1(r.getType()))
      truths[r] = {lo, hi};
    else
      intervals[r] = {lo, hi};
    return;
  }
  if (isI1(r.getType()))
    truths[r] = truthOf(op);
  else if (isInt(r.getType()))
    intervals[r] = intervalOf(op);
}

bool Interpreter::summarizeRead(tensor::ExtractOp op, Value &lo, Value &hi) {
  Value t = op.getTensor();
  Type elem = op.getType();
  if (!readTensors || (!keyReads && dependsOnKey(op.getResult())) ||
      region.isAncestor(t.getParentRegion()) || !(isI1(elem) || isInt(elem)))
    return false;
  // At most one index ranges over an interval; the others are points.
  SmallVector<Value> idxs;
  int varying = -1;
  IndexInterval range;
  for (auto [d, i] : llvm::enumerate(op.getIndices())) {
    IndexInterval iv = interval(i);
    if (!iv.lo || !iv.hi)
      return false;
    Value top = sub(b.createOrFold<tensor::DimOp>(loc, t, d), idx(1));
    // Clamped into the tensor: the region's own reads are in bounds.
    Value l = maxv(minv(iv.lo, top), idx(0)), h = maxv(minv(iv.hi, top), idx(0));
    if (iv.lo == iv.hi) {
      idxs.push_back(l);
      continue;
    }
    if (varying >= 0)
      return false;
    varying = d;
    range = {l, h};
    idxs.push_back(l);
  }
  bool boolean = isI1(elem);
  auto read = [&](OpBuilder &rb, ValueRange at) -> Value {
    Value e = tensor::ExtractOp::create(rb, loc, t, at);
    if (!boolean && !e.getType().isIndex())
      e = arith::IndexCastOp::create(rb, loc, rb.getIndexType(), e);
    return e;
  };
  if (varying < 0) {
    Value e = read(b, idxs);
    lo = hi = e;
    return true;
  }
  Value first = read(b, idxs);
  auto loop = scf::ForOp::create(
      b, loc, addc(range.lo, 1), addc(range.hi, 1), idx(1),
      ValueRange{first, first},
      [&](OpBuilder &lb, Location l, Value iv, ValueRange acc) {
        SmallVector<Value> at = idxs;
        at[varying] = iv;
        Value e = read(lb, at);
        Value a, c;
        if (boolean) {
          a = arith::AndIOp::create(lb, l, acc[0], e);
          c = arith::OrIOp::create(lb, l, acc[1], e);
        } else {
          a = arith::MinSIOp::create(lb, l, acc[0], e);
          c = arith::MaxSIOp::create(lb, l, acc[1], e);
        }
        scf::YieldOp::create(lb, l, ValueRange{a, c});
      });
  lo = loop.getResult(0);
  hi = loop.getResult(1);
  return true;
}

Value Interpreter::matchFloorMod(Value v, int64_t &c) {
  auto s = v.getDefiningOp<arith::SubIOp>();
  if (!s)
    return {};
  auto m = s.getRhs().getDefiningOp<arith::MulIOp>();
  if (!m)
    return {};
  for (unsigned i = 0; i < 2; ++i) {
    auto d = m->getOperand(i).getDefiningOp<arith::FloorDivSIOp>();
    std::optional<int64_t> k = constant(m->getOperand(1 - i));
    if (d && k && d.getLhs() == s.getLhs() && constant(d.getRhs()) == k &&
        *k > 0) {
      c = *k;
      return s.getLhs();
    }
  }
  return {};
}

IndexInterval Interpreter::intervalOf(Operation &op) {
  Value r = op.getResult(0);
  if (std::optional<int64_t> c = constant(r)) {
    Value x = idx(*c);
    return {x, x};
  }
  if (isa<arith::IndexCastOp, arith::ExtSIOp>(op) &&
      isInt(op.getOperand(0).getType()))
    return interval(op.getOperand(0));
  if (auto e = dyn_cast<arith::ExtUIOp>(op);
      e && isI1(e.getIn().getType())) {
    Truth t = truth(e.getIn());
    return {sel(t.must, idx(1), idx(0)), sel(t.may, idx(1), idx(0))};
  }
  if (auto s = dyn_cast<arith::SelectOp>(op)) {
    Truth t = truth(s.getCondition());
    IndexInterval x = interval(s.getTrueValue()),
                  y = interval(s.getFalseValue());
    auto pick = [&](Value xv, Value yv, Value both) -> Value {
      if (!xv || !yv)
        return {};
      return sel(t.must, xv, sel(t.may, both, yv));
    };
    return {pick(x.lo, y.lo, minLo(x.lo, y.lo)),
            pick(x.hi, y.hi, maxHi(x.hi, y.hi))};
  }
  if (op.getNumOperands() != 2)
    return {};
  Value lhs = op.getOperand(0), rhs = op.getOperand(1);
  IndexInterval x = interval(lhs), y = interval(rhs);
  if (isa<arith::AddIOp>(op))
    return {addN(x.lo, y.lo), addN(x.hi, y.hi)};
  if (isa<arith::SubIOp>(op)) {
    int64_t c;
    if (Value m = matchFloorMod(r, c)) {
      // x mod c, c > 0: exact while [lo, hi] lies in one period of c.
      IndexInterval xm = interval(m);
      if (!xm.lo || !xm.hi)
        return {idx(0), idx(c - 1)};
      Value qLo = b.createOrFold<arith::FloorDivSIOp>(loc, xm.lo, idx(c));
      Value qHi = b.createOrFold<arith::FloorDivSIOp>(loc, xm.hi, idx(c));
      Value same = cmp(arith::CmpIPredicate::eq, qLo, qHi);
      Value base = mulc(qLo, c);
      return {sel(same, sub(xm.lo, base), idx(0)),
              sel(same, sub(xm.hi, base), idx(c - 1))};
    }
    return {subN(x.lo, y.hi), subN(x.hi, y.lo)};
  }
  if (isa<arith::MinSIOp>(op))
    return {minLo(x.lo, y.lo), minHi(x.hi, y.hi)};
  if (isa<arith::MaxSIOp>(op))
    return {maxLo(x.lo, y.lo), maxHi(x.hi, y.hi)};
  if (isa<arith::MulIOp>(op)) {
    std::optional<int64_t> c = constant(rhs);
    IndexInterval v = x;
    if (!c) {
      c = constant(lhs);
      v = y;
    }
    if (c) {
      Value lo = v.lo ? mulc(v.lo, *c) : Value();
      Value hi = v.hi ? mulc(v.hi, *c) : Value();
      return *c >= 0 ? IndexInterval{lo, hi} : IndexInterval{hi, lo};
    }
    if (!x.lo || !x.hi || !y.lo || !y.hi)
      return {};
    Value p[4] = {b.createOrFold<arith::MulIOp>(loc, x.lo, y.lo),
                  b.createOrFold<arith::MulIOp>(loc, x.lo, y.hi),
                  b.createOrFold<arith::MulIOp>(loc, x.hi, y.lo),
                  b.createOrFold<arith::MulIOp>(loc, x.hi, y.hi)};
    return {minv(minv(p[0], p[1]), minv(p[2], p[3])),
            maxv(maxv(p[0], p[1]), maxv(p[2], p[3]))};
  }
  std::optional<int64_t> c = constant(rhs);
  if (!c || *c <= 0)
    return {};
  // Divisions by a positive constant are monotone.
  auto mono = [&](auto opTag) -> IndexInterval {
    using OpTy = decltype(opTag);
    auto f = [&](Value v) -> Value {
      return v ? b.createOrFold<OpTy>(loc, v, idx(*c)) : Value();
    };
    return {f(x.lo), f(x.hi)};
  };
  if (isa<arith::FloorDivSIOp>(op))
    return mono(arith::FloorDivSIOp());
  if (isa<arith::DivSIOp>(op))
    return mono(arith::DivSIOp());
  if (isa<arith::CeilDivSIOp>(op))
    return mono(arith::CeilDivSIOp());
  if (isa<arith::RemSIOp>(op)) {
    // The sign of the dividend; exact within one period of non-negative x.
    if (!x.lo)
      return {idx(1 - *c), idx(*c - 1)};
    Value nonNeg = cmp(arith::CmpIPredicate::sge, x.lo, idx(0));
    if (!x.hi)
      return {sel(nonNeg, idx(0), idx(1 - *c)), idx(*c - 1)};
    Value same = cmp(arith::CmpIPredicate::eq,
                     b.createOrFold<arith::DivSIOp>(loc, x.lo, idx(*c)),
                     b.createOrFold<arith::DivSIOp>(loc, x.hi, idx(*c)));
    Value exact = andv(nonNeg, same);
    return {sel(exact, b.createOrFold<arith::RemSIOp>(loc, x.lo, idx(*c)),
                sel(nonNeg, idx(0), idx(1 - *c))),
            sel(exact, b.createOrFold<arith::RemSIOp>(loc, x.hi, idx(*c)),
                idx(*c - 1))};
  }
  return {};
}

Truth Interpreter::compare(arith::CmpIPredicate p, IndexInterval x,
                           IndexInterval y) {
  using P = arith::CmpIPredicate;
  // Unknown bounds: must = false, may = true.
  auto lt = [&](Value a, Value c, bool strict, bool dflt) -> Value {
    if (!a || !c)
      return bit(dflt);
    return cmp(strict ? P::slt : P::sle, a, c);
  };
  switch (p) {
  case P::slt:
  case P::sle: {
    bool s = p == P::slt;
    return {lt(x.hi, y.lo, s, false), lt(x.lo, y.hi, s, true)};
  }
  case P::sgt:
  case P::sge: {
    bool s = p == P::sgt;
    return {lt(y.hi, x.lo, s, false), lt(y.lo, x.hi, s, true)};
  }
  case P::eq:
  case P::ne: {
    Value point = andv(andv(lt(x.hi, x.lo, false, false),
                            lt(y.hi, y.lo, false, false)),
                       andv(lt(x.lo, y.lo, false, false),
                            lt(y.lo, x.lo, false, false)));
    Value overlap =
        andv(lt(x.lo, y.hi, false, true), lt(y.lo, x.hi, false, true));
    if (p == P::eq)
      return {point, overlap};
    return {notv(overlap), notv(point)};
  }
  default: {
    // Unsigned: the signed truth when both sides are non-negative.
    Value nonNeg = andv(lt(idx(0), x.lo, false, false),
                        lt(idx(0), y.lo, false, false));
    P s = p == P::ult   ? P::slt
          : p == P::ule ? P::sle
          : p == P::ugt ? P::sgt
                        : P::sge;
    Truth t = compare(s, x, y);
    return {andv(nonNeg, t.must), orv(notv(nonNeg), t.may)};
  }
  }
}

Truth Interpreter::truthOf(Operation &op) {
  Value r = op.getResult(0);
  if (std::optional<int64_t> c = constant(r))
    return {bit(*c), bit(*c)};
  if (auto c = dyn_cast<arith::CmpIOp>(op))
    return compare(c.getPredicate(), interval(c.getLhs()),
                   interval(c.getRhs()));
  if (auto s = dyn_cast<arith::SelectOp>(op)) {
    Truth c = truth(s.getCondition()), x = truth(s.getTrueValue()),
          y = truth(s.getFalseValue());
    return {orv(orv(andv(c.must, x.must), andv(notv(c.may), y.must)),
                andv(x.must, y.must)),
            orv(andv(c.may, x.may), andv(notv(c.must), y.may))};
  }
  if (op.getNumOperands() != 2)
    return {bit(0), bit(1)};
  Truth x = truth(op.getOperand(0)), y = truth(op.getOperand(1));
  if (isa<arith::AndIOp>(op))
    return {andv(x.must, y.must), andv(x.may, y.may)};
  if (isa<arith::OrIOp>(op))
    return {orv(x.must, y.must), orv(x.may, y.may)};
  if (isa<arith::XOrIOp>(op))
    return {orv(andv(x.must, notv(y.may)), andv(notv(x.may), y.must)),
            orv(andv(x.may, notv(y.must)), andv(notv(x.must), y.may))};
  return {bit(0), bit(1)};
}

//===----------------------------------------------------------------------===//
// Key intervals
//===----------------------------------------------------------------------===//

Keys Interpreter::atLeast(Value v, Value lim, Value kvEnd) {
  if (!spend())
    return all(kvEnd);
  if (!dependsOnKey(v)) {
    // Holds for some row unless its upper bound is below the limit.
    Value hi = interval(v).hi;
    return hi ? gate(cmp(arith::CmpIPredicate::sge, hi, lim), all(kvEnd),
                     kvEnd)
              : all(kvEnd);
  }
  if (v == keyArg)
    return {lim, kvEnd};
  Operation *op = v.getDefiningOp();
  if (!op || op->getParentRegion() != &region)
    return all(kvEnd);
  if (isa<arith::IndexCastOp, arith::ExtSIOp>(op))
    return atLeast(op->getOperand(0), lim, kvEnd);
  if (auto s = dyn_cast<arith::SelectOp>(op))
    return join(meet(keysOf(s.getCondition(), false, kvEnd),
                     atLeast(s.getTrueValue(), lim, kvEnd)),
                meet(keysOf(s.getCondition(), true, kvEnd),
                     atLeast(s.getFalseValue(), lim, kvEnd)));
  if (op->getNumOperands() != 2)
    return all(kvEnd);
  Value x = op->getOperand(0), y = op->getOperand(1);
  bool dx = dependsOnKey(x), dy = dependsOnKey(y);
  if (isa<arith::MinSIOp>(op))
    return meet(atLeast(x, lim, kvEnd), atLeast(y, lim, kvEnd));
  if (isa<arith::MaxSIOp>(op))
    return join(atLeast(x, lim, kvEnd), atLeast(y, lim, kvEnd));
  if (dx && dy)
    return all(kvEnd);
  if (isa<arith::AddIOp>(op)) {
    // x + y >= L  =>  x >= L - max(y).
    Value k = dx ? x : y;
    Value hi = interval(dx ? y : x).hi;
    return hi ? atLeast(k, sub(lim, hi), kvEnd) : all(kvEnd);
  }
  if (isa<arith::SubIOp>(op)) {
    // x - y >= L  =>  x >= L + min(y)  or  y <= max(x) - L.
    if (dx) {
      Value lo = interval(y).lo;
      return lo ? atLeast(x, add(lim, lo), kvEnd) : all(kvEnd);
    }
    Value hi = interval(x).hi;
    return hi ? atMost(y, sub(hi, lim), kvEnd) : all(kvEnd);
  }
  std::optional<int64_t> c = constant(dx ? y : x);
  if (!c || *c == 0)
    return all(kvEnd);
  Value k = dx ? x : y;
  if (isa<arith::MulIOp>(op))
    // k * c >= L  =>  k >= ceil(L / c) (c > 0), k <= floor(L / c) (c < 0).
    return *c > 0 ? atLeast(k, b.createOrFold<arith::CeilDivSIOp>(
                                   loc, lim, idx(*c)),
                            kvEnd)
                  : atMost(k, b.createOrFold<arith::FloorDivSIOp>(
                                  loc, lim, idx(*c)),
                           kvEnd);
  if (!dx || *c < 0)
    return all(kvEnd);
  if (isa<arith::FloorDivSIOp>(op))
    return atLeast(k, mulc(lim, *c), kvEnd);
  if (isa<arith::CeilDivSIOp>(op))
    return atLeast(k, addc(mulc(lim, *c), 1 - *c), kvEnd);
  if (isa<arith::DivSIOp>(op)) {
    // Truncation: L > 0 needs k >= L * c, L <= 0 only k > (L - 1) * c.
    Value pos = cmp(arith::CmpIPredicate::sgt, lim, idx(0));
    return atLeast(k, sel(pos, mulc(lim, *c), addc(mulc(lim, *c), 1 - *c)),
                   kvEnd);
  }
  return all(kvEnd);
}

Keys Interpreter::atMost(Value v, Value lim, Value kvEnd) {
  if (!spend())
    return all(kvEnd);
  if (!dependsOnKey(v)) {
    Value lo = interval(v).lo;
    return lo ? gate(cmp(arith::CmpIPredicate::sle, lo, lim), all(kvEnd),
                     kvEnd)
              : all(kvEnd);
  }
  if (v == keyArg)
    return {idx(0), addc(lim, 1)};
  Operation *op = v.getDefiningOp();
  if (!op || op->getParentRegion() != &region)
    return all(kvEnd);
  if (isa<arith::IndexCastOp, arith::ExtSIOp>(op))
    return atMost(op->getOperand(0), lim, kvEnd);
  if (auto s = dyn_cast<arith::SelectOp>(op))
    return join(meet(keysOf(s.getCondition(), false, kvEnd),
                     atMost(s.getTrueValue(), lim, kvEnd)),
                meet(keysOf(s.getCondition(), true, kvEnd),
                     atMost(s.getFalseValue(), lim, kvEnd)));
  if (op->getNumOperands() != 2)
    return all(kvEnd);
  Value x = op->getOperand(0), y = op->getOperand(1);
  bool dx = dependsOnKey(x), dy = dependsOnKey(y);
  if (isa<arith::MinSIOp>(op))
    return join(atMost(x, lim, kvEnd), atMost(y, lim, kvEnd));
  if (isa<arith::MaxSIOp>(op))
    return meet(atMost(x, lim, kvEnd), atMost(y, lim, kvEnd));
  if (dx && dy)
    return all(kvEnd);
  if (isa<arith::AddIOp>(op)) {
    Value k = dx ? x : y;
    Value lo = interval(dx ? y : x).lo;
    return lo ? atMost(k, sub(lim, lo), kvEnd) : all(kvEnd);
  }
  if (isa<arith::SubIOp>(op)) {
    // x - y <= H  =>  x <= H + max(y)  or  y >= min(x) - H.
    if (dx) {
      Value hi = interval(y).hi;
      return hi ? atMost(x, add(lim, hi), kvEnd) : all(kvEnd);
    }
    Value lo = interval(x).lo;
    return lo ? atLeast(y, sub(lo, lim), kvEnd) : all(kvEnd);
  }
  std::optional<int64_t> c = constant(dx ? y : x);
  if (!c || *c == 0)
    return all(kvEnd);
  Value k = dx ? x : y;
  if (isa<arith::MulIOp>(op))
    return *c > 0 ? atMost(k, b.createOrFold<arith::FloorDivSIOp>(
                                  loc, lim, idx(*c)),
                           kvEnd)
                  : atLeast(k, b.createOrFold<arith::CeilDivSIOp>(
                                   loc, lim, idx(*c)),
                            kvEnd);
  if (!dx || *c < 0)
    return all(kvEnd);
  if (isa<arith::FloorDivSIOp>(op))
    return atMost(k, addc(mulc(lim, *c), *c - 1), kvEnd);
  if (isa<arith::CeilDivSIOp>(op))
    return atMost(k, mulc(lim, *c), kvEnd);
  if (isa<arith::DivSIOp>(op)) {
    Value nonNeg = cmp(arith::CmpIPredicate::sge, lim, idx(0));
    return atMost(k, sel(nonNeg, addc(mulc(lim, *c), *c - 1), mulc(lim, *c)),
                  kvEnd);
  }
  return all(kvEnd);
}

Keys Interpreter::ofCompare(arith::CmpIPredicate p, Value x, Value y,
                            Value kvEnd) {
  using P = arith::CmpIPredicate;
  if (!dependsOnKey(x) && dependsOnKey(y)) {
    // Put the key side on the left.
    std::swap(x, y);
    switch (p) {
    case P::slt: p = P::sgt; break;
    case P::sle: p = P::sge; break;
    case P::sgt: p = P::slt; break;
    case P::sge: p = P::sle; break;
    case P::ult: p = P::ugt; break;
    case P::ule: p = P::uge; break;
    case P::ugt: p = P::ult; break;
    case P::uge: p = P::ule; break;
    default: break;
    }
  }
  if (!dependsOnKey(x) || dependsOnKey(y))
    return all(kvEnd);
  IndexInterval r = interval(y);
  auto upTo = [&](int64_t d) {
    return r.hi ? atMost(x, addc(r.hi, d), kvEnd) : all(kvEnd);
  };
  auto from = [&](int64_t d) {
    return r.lo ? atLeast(x, addc(r.lo, d), kvEnd) : all(kvEnd);
  };
  switch (p) {
  case P::slt: return upTo(-1);
  case P::sle: return upTo(0);
  case P::sgt: return from(1);
  case P::sge: return from(0);
  case P::eq: return meet(from(0), upTo(0));
  case P::ne: return all(kvEnd);
  default: break;
  }
  // Unsigned: the signed interval when both sides are non-negative.
  Value xLo = interval(x).lo;
  if (!xLo || !r.lo)
    return all(kvEnd);
  Value nonNeg = andv(cmp(P::sge, xLo, idx(0)), cmp(P::sge, r.lo, idx(0)));
  Keys s = p == P::ult   ? upTo(-1)
           : p == P::ule ? upTo(0)
           : p == P::ugt ? from(1)
                         : from(0);
  return choose(nonNeg, s, all(kvEnd));
}

Keys Interpreter::keysOf(Value p, bool negated, Value kvEnd) {
  if (!spend())
    return all(kvEnd);
  if (!dependsOnKey(p)) {
    Truth t = truth(p);
    return gate(negated ? notv(t.must) : t.may, all(kvEnd), kvEnd);
  }
  Operation *op = p.getDefiningOp();
  if (!op || op->getParentRegion() != &region)
    return all(kvEnd);
  if (auto c = dyn_cast<arith::CmpIOp>(op)) {
    arith::CmpIPredicate pred = c.getPredicate();
    if (negated)
      pred = arith::invertPredicate(pred);
    return ofCompare(pred, c.getLhs(), c.getRhs(), kvEnd);
  }
  if (auto s = dyn_cast<arith::SelectOp>(op))
    return join(meet(keysOf(s.getCondition(), false, kvEnd),
                     keysOf(s.getTrueValue(), negated, kvEnd)),
                meet(keysOf(s.getCondition(), true, kvEnd),
                     keysOf(s.getFalseValue(), negated, kvEnd)));
  if (op->getNumOperands() != 2)
    return all(kvEnd);
  Value x = op->getOperand(0), y = op->getOperand(1);
  // De Morgan: a negated conjunction is a disjunction of negations.
  if (isa<arith::AndIOp>(op))
    return negated ? join(keysOf(x, true, kvEnd), keysOf(y, true, kvEnd))
                   : meet(keysOf(x, false, kvEnd), keysOf(y, false, kvEnd));
  if (isa<arith::OrIOp>(op))
    return negated ? meet(keysOf(x, true, kvEnd), keysOf(y, true, kvEnd))
                   : join(keysOf(x, false, kvEnd), keysOf(y, false, kvEnd));
  if (isa<arith::XOrIOp>(op)) {
    // xor with a constant is a negation or the identity.
    for (unsigned i = 0; i < 2; ++i)
      if (std::optional<int64_t> c = constant(op->getOperand(i)))
        return keysOf(op->getOperand(1 - i), negated != bool(*c), kvEnd);
  }
  return all(kvEnd);
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

MaskTileClass mlir::attn::classifyMaskMod(OpBuilder &b, Location loc,
                                          Region &region,
                                          const MaskModBox &box,
                                          bool readTensors) {
  Interpreter in(b, loc, region, box, readTensors, /*keyReads=*/true);
  Truth t = in.truth(in.yielded());
  return {t.must, t.may};
}

std::pair<Value, Value>
mlir::attn::buildMaskModKeyRange(OpBuilder &b, Location loc, Region &region,
                                 const MaskModBox &box, Value kvEnd,
                                 bool readTensors) {
  MaskModBox keys = box;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  keys.key = {zero, b.createOrFold<arith::SubIOp>(
                        loc, kvEnd, arith::ConstantIndexOp::create(b, loc, 1))};
  // (Reads indexed by the key would scan every key: not summarised.)
  Interpreter in(b, loc, region, keys, readTensors, /*keyReads=*/false);
  Keys k = in.keys(kvEnd);
  return {k.lo, k.hi};
}
