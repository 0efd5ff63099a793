//===- AttnAttrs.cpp - attn attributes --------------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnAttrs.h"
#include "attn/Dialect/Attn/IR/AttnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "attn/Dialect/Attn/IR/AttnEnums.cpp.inc"

#include "attn/Dialect/Attn/IR/AttnAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attn/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
}

/// Floor division for signed integers (rounds towards -inf).
static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// Verifies `value >= minimum` for the parameter described by `what`.
static LogicalResult verifyAtLeast(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t value, int64_t minimum,
                                   StringRef what) {
  if (value < minimum)
    return emitError() << "expects " << what << " of at least " << minimum
                       << ", got " << value;
  return success();
}

static Value cmp(OpBuilder &b, Location loc, arith::CmpIPredicate pred,
                 Value lhs, Value rhs) {
  return arith::CmpIOp::create(b, loc, pred, lhs, rhs);
}

static Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

static Value add(OpBuilder &b, Location loc, Value x, int64_t c) {
  return c == 0 ? x : arith::AddIOp::create(b, loc, x, cst(b, loc, c));
}

static Value boolCst(OpBuilder &b, Location loc, bool v) {
  return arith::ConstantIntOp::create(b, loc, b.getI1Type(), v);
}

//===----------------------------------------------------------------------===//
// CausalAttr
//===----------------------------------------------------------------------===//

Value CausalAttr::buildPredicate(OpBuilder &b, Location loc, Value alignedQ,
                                 Value kv) const {
  return cmp(b, loc, arith::CmpIPredicate::sle, kv, alignedQ);
}

bool CausalAttr::evaluate(int64_t alignedQ, int64_t kv) const {
  return kv <= alignedQ;
}

std::pair<Value, Value> CausalAttr::buildKeyRange(OpBuilder &b, Location loc,
                                                  Value qLo, Value qHi) const {
  return {Value(), add(b, loc, qHi, 1)};
}

Value CausalAttr::buildTileIsFull(OpBuilder &b, Location loc, Value qLo,
                                  Value qHi, Value kvLo, Value kvHi) const {
  return cmp(b, loc, arith::CmpIPredicate::sle, kvHi, qLo);
}

//===----------------------------------------------------------------------===//
// SlidingWindowAttr
//===----------------------------------------------------------------------===//

LogicalResult
SlidingWindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          int64_t left, int64_t right) {
  if (left < 0 || right < 0)
    return emitError() << "expects non-negative window sizes, got left = "
                       << left << ", right = " << right;
  return success();
}

Value SlidingWindowAttr::buildPredicate(OpBuilder &b, Location loc,
                                        Value alignedQ, Value kv) const {
  // q' - left <= kv  <=>  q' <= kv + left;  kv <= q' + right.
  Value lo = cmp(b, loc, arith::CmpIPredicate::sle, alignedQ,
                 arith::AddIOp::create(b, loc, kv, cst(b, loc, getLeft())));
  Value hi = cmp(b, loc, arith::CmpIPredicate::sle, kv,
                 arith::AddIOp::create(b, loc, alignedQ,
                                       cst(b, loc, getRight())));
  return arith::AndIOp::create(b, loc, lo, hi);
}

bool SlidingWindowAttr::evaluate(int64_t alignedQ, int64_t kv) const {
  return alignedQ - getLeft() <= kv && kv <= alignedQ + getRight();
}

std::pair<Value, Value>
SlidingWindowAttr::buildKeyRange(OpBuilder &b, Location loc, Value qLo,
                                 Value qHi) const {
  return {add(b, loc, qLo, -getLeft()), add(b, loc, qHi, getRight() + 1)};
}

Value SlidingWindowAttr::buildTileIsFull(OpBuilder &b, Location loc, Value qLo,
                                         Value qHi, Value kvLo,
                                         Value kvHi) const {
  Value lo = cmp(b, loc, arith::CmpIPredicate::sge, kvLo,
                 add(b, loc, qHi, -getLeft()));
  Value hi = cmp(b, loc, arith::CmpIPredicate::sle, kvHi,
                 add(b, loc, qLo, getRight()));
  return arith::AndIOp::create(b, loc, lo, hi);
}

//===----------------------------------------------------------------------===//
// DilatedAttr
//===----------------------------------------------------------------------===//

LogicalResult DilatedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t dilation) {
  return verifyAtLeast(emitError, dilation, 1, "a dilation");
}

Value DilatedAttr::buildPredicate(OpBuilder &b, Location loc, Value alignedQ,
                                  Value kv) const {
  Value diff = arith::SubIOp::create(b, loc, alignedQ, kv);
  Value rem = arith::RemSIOp::create(b, loc, diff, cst(b, loc, getDilation()));
  return cmp(b, loc, arith::CmpIPredicate::eq, rem, cst(b, loc, 0));
}

bool DilatedAttr::evaluate(int64_t alignedQ, int64_t kv) const {
  return (alignedQ - kv) % getDilation() == 0;
}

std::pair<Value, Value> DilatedAttr::buildKeyRange(OpBuilder &b, Location loc,
                                                   Value qLo,
                                                   Value qHi) const {
  return {Value(), Value()};
}

Value DilatedAttr::buildTileIsFull(OpBuilder &b, Location loc, Value qLo,
                                   Value qHi, Value kvLo, Value kvHi) const {
  // Only a dilation of 1 keeps a whole tile (of more than one key).
  return boolCst(b, loc, getDilation() == 1);
}

//===----------------------------------------------------------------------===//
// ChunkedAttr
//===----------------------------------------------------------------------===//

LogicalResult ChunkedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t size) {
  return verifyAtLeast(emitError, size, 1, "a chunk size");
}

Value ChunkedAttr::buildPredicate(OpBuilder &b, Location loc, Value alignedQ,
                                  Value kv) const {
  Value size = cst(b, loc, getSize());
  Value qc = arith::FloorDivSIOp::create(b, loc, alignedQ, size);
  Value kc = arith::FloorDivSIOp::create(b, loc, kv, size);
  return cmp(b, loc, arith::CmpIPredicate::eq, qc, kc);
}

bool ChunkedAttr::evaluate(int64_t alignedQ, int64_t kv) const {
  return floorDiv(alignedQ, getSize()) == floorDiv(kv, getSize());
}

std::pair<Value, Value> ChunkedAttr::buildKeyRange(OpBuilder &b, Location loc,
                                                   Value qLo,
                                                   Value qHi) const {
  Value size = cst(b, loc, getSize());
  Value lo = arith::MulIOp::create(
      b, loc, arith::FloorDivSIOp::create(b, loc, qLo, size), size);
  Value hiChunk =
      add(b, loc, arith::FloorDivSIOp::create(b, loc, qHi, size), 1);
  return {lo, arith::MulIOp::create(b, loc, hiChunk, size)};
}

Value ChunkedAttr::buildTileIsFull(OpBuilder &b, Location loc, Value qLo,
                                   Value qHi, Value kvLo, Value kvHi) const {
  Value size = cst(b, loc, getSize());
  auto chunk = [&](Value x) -> Value {
    return arith::FloorDivSIOp::create(b, loc, x, size);
  };
  Value c = chunk(qLo);
  Value full = cmp(b, loc, arith::CmpIPredicate::eq, c, chunk(qHi));
  full = arith::AndIOp::create(
      b, loc, full, cmp(b, loc, arith::CmpIPredicate::eq, c, chunk(kvLo)));
  return arith::AndIOp::create(
      b, loc, full, cmp(b, loc, arith::CmpIPredicate::eq, c, chunk(kvHi)));
}

//===----------------------------------------------------------------------===//
// PrefixLMAttr
//===----------------------------------------------------------------------===//

LogicalResult PrefixLMAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t prefix) {
  if (prefix < 0)
    return emitError() << "expects a non-negative prefix length, got "
                       << prefix;
  return success();
}

Value PrefixLMAttr::buildPredicate(OpBuilder &b, Location loc, Value alignedQ,
                                   Value kv) const {
  Value inPrefix =
      cmp(b, loc, arith::CmpIPredicate::slt, kv, cst(b, loc, getPrefix()));
  Value causal = cmp(b, loc, arith::CmpIPredicate::sle, kv, alignedQ);
  return arith::OrIOp::create(b, loc, inPrefix, causal);
}

bool PrefixLMAttr::evaluate(int64_t alignedQ, int64_t kv) const {
  return kv < getPrefix() || kv <= alignedQ;
}

std::pair<Value, Value> PrefixLMAttr::buildKeyRange(OpBuilder &b, Location loc,
                                                    Value qLo,
                                                    Value qHi) const {
  return {Value(), arith::MaxSIOp::create(b, loc, cst(b, loc, getPrefix()),
                                          add(b, loc, qHi, 1))};
}

Value PrefixLMAttr::buildTileIsFull(OpBuilder &b, Location loc, Value qLo,
                                    Value qHi, Value kvLo, Value kvHi) const {
  Value inPrefix =
      cmp(b, loc, arith::CmpIPredicate::slt, kvHi, cst(b, loc, getPrefix()));
  Value causal = cmp(b, loc, arith::CmpIPredicate::sle, kvHi, qLo);
  return arith::OrIOp::create(b, loc, inPrefix, causal);
}

//===----------------------------------------------------------------------===//
// NeighborhoodAttr
//===----------------------------------------------------------------------===//

LogicalResult
NeighborhoodAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         ArrayRef<int64_t> grid, ArrayRef<int64_t> kernel,
                         ArrayRef<int64_t> dilation,
                         DenseBoolArrayAttr causal) {
  size_t r = grid.size();
  if (r < 1 || r > 3)
    return emitError() << "expects a grid of 1 to 3 dimensions, got " << r;
  if (kernel.size() != r)
    return emitError() << "expects one kernel size per grid dimension, got "
                       << kernel.size() << " for a rank-" << r << " grid";
  if (!dilation.empty() && dilation.size() != r)
    return emitError() << "expects one dilation per grid dimension, got "
                       << dilation.size() << " for a rank-" << r << " grid";
  if (causal && causal.size() != static_cast<int64_t>(r))
    return emitError() << "expects one causal flag per grid dimension, got "
                       << causal.size() << " for a rank-" << r << " grid";
  for (size_t a = 0; a < r; ++a) {
    int64_t d = dilation.empty() ? 1 : dilation[a];
    if (grid[a] < 1)
      return emitError() << "expects positive grid sizes, got " << grid[a]
                         << " along dimension " << a;
    if (kernel[a] < 1)
      return emitError() << "expects positive kernel sizes, got " << kernel[a]
                         << " along dimension " << a;
    if (d < 1)
      return emitError() << "expects positive dilations, got " << d
                         << " along dimension " << a;
    bool isCausal = causal && causal.asArrayRef()[a];
    if (!isCausal && kernel[a] % 2 == 0)
      return emitError() << "expects an odd kernel size along non-causal "
                            "dimension "
                         << a << ", got " << kernel[a];
    if (kernel[a] > grid[a])
      return emitError() << "expects a kernel of at most the grid size along "
                            "dimension "
                         << a << ", got kernel size " << kernel[a]
                         << " for grid size " << grid[a];
    if (kernel[a] * d > grid[a])
      return emitError() << "expects kernel size * dilation to fit in the "
                            "grid along dimension "
                         << a << ", got " << kernel[a] << " * " << d << " > "
                         << grid[a];
  }
  return success();
}

/// Parses `key = [elements]` for the keyword `key`.
static ParseResult parseKeyedList(AsmParser &p, StringRef key,
                                  function_ref<ParseResult()> element) {
  if (p.parseKeyword(key) || p.parseEqual())
    return failure();
  return p.parseCommaSeparatedList(AsmParser::Delimiter::Square, element);
}

/// `<grid = [g...], kernel = [k...] (, dilation = [d...])?
///  (, causal = [true|false...])?>` (dilation and causal in any order).
Attribute NeighborhoodAttr::parse(AsmParser &p, Type) {
  SmallVector<int64_t> grid, kernel, dilation;
  SmallVector<bool> causal;
  bool hasCausal = false;
  auto intInto = [&](SmallVectorImpl<int64_t> &xs) {
    return [&]() -> ParseResult { return p.parseInteger(xs.emplace_back()); };
  };
  if (p.parseLess() || parseKeyedList(p, "grid", intInto(grid)) ||
      p.parseComma() || parseKeyedList(p, "kernel", intInto(kernel)))
    return {};
  while (succeeded(p.parseOptionalComma())) {
    if (succeeded(p.parseOptionalKeyword("causal"))) {
      hasCausal = true;
      if (p.parseEqual() ||
          p.parseCommaSeparatedList(
              AsmParser::Delimiter::Square, [&]() -> ParseResult {
                if (succeeded(p.parseOptionalKeyword("true")))
                  causal.push_back(true);
                else if (succeeded(p.parseOptionalKeyword("false")))
                  causal.push_back(false);
                else
                  return p.emitError(p.getCurrentLocation(),
                                     "expected 'true' or 'false'");
                return success();
              }))
        return {};
      continue;
    }
    if (parseKeyedList(p, "dilation", intInto(dilation)))
      return {};
  }
  if (p.parseGreater())
    return {};
  MLIRContext *ctx = p.getContext();
  DenseBoolArrayAttr causalAttr =
      hasCausal ? DenseBoolArrayAttr::get(ctx, causal) : DenseBoolArrayAttr();
  return p.getChecked<NeighborhoodAttr>(ctx, grid, kernel, dilation,
                                        causalAttr);
}

void NeighborhoodAttr::print(AsmPrinter &p) const {
  p << "<grid = [";
  llvm::interleaveComma(getGrid(), p);
  p << "], kernel = [";
  llvm::interleaveComma(getKernel(), p);
  p << "]";
  if (!getDilation().empty()) {
    p << ", dilation = [";
    llvm::interleaveComma(getDilation(), p);
    p << "]";
  }
  if (getCausal()) {
    p << ", causal = [";
    llvm::interleaveComma(getCausal().asArrayRef(), p,
                          [&](bool c) { p << (c ? "true" : "false"); });
    p << "]";
  }
  p << ">";
}

int64_t NeighborhoodAttr::getNumTokens() const {
  int64_t n = 1;
  for (int64_t g : getGrid())
    n *= g;
  return n;
}

int64_t NeighborhoodAttr::getDilationAt(unsigned axis) const {
  return getDilation().empty() ? 1 : getDilation()[axis];
}

bool NeighborhoodAttr::isCausalAt(unsigned axis) const {
  return getCausal() && getCausal().asArrayRef()[axis];
}

namespace {
/// One axis of a neighbourhood: grid size, kernel size, dilation,
/// causality and stride (tokens per step along the axis).
struct NbAxis {
  int64_t size, kernel, dilation, stride;
  bool causal;
};

/// Builds the neighbourhood's index arithmetic (all index values).
struct NbBuilder {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return cst(b, loc, v); }
  Value addv(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value subv(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t k) {
    return k == 1 ? x : arith::MulIOp::create(b, loc, x, c(k)).getResult();
  }
  Value div(Value x, int64_t k) {
    return k == 1 ? x : arith::DivSIOp::create(b, loc, x, c(k)).getResult();
  }
  Value rem(Value x, int64_t k) { return arith::RemSIOp::create(b, loc, x, c(k)); }
  Value minv(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxv(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value andv(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value sel(Value p, Value x, Value y) {
    return arith::SelectOp::create(b, loc, p, x, y);
  }
  Value le(Value x, Value y) {
    return cmp(b, loc, arith::CmpIPredicate::sle, x, y);
  }
  Value eq(Value x, Value y) {
    return cmp(b, loc, arith::CmpIPredicate::eq, x, y);
  }
  /// The coordinate along `x` of token `t` (in [0, N)).
  Value coord(const NbAxis &x, Value t) { return rem(div(t, x.stride), x.size); }

  /// Whether key coordinate `k` is in the window of query coordinate `q`.
  Value keeps(const NbAxis &x, Value q, Value k) {
    int64_t d = x.dilation;
    Value same, p = q, pk = k, n = c(x.size);
    if (d > 1) {
      Value gq = rem(q, d);
      same = eq(gq, rem(k, d));
      p = div(q, d);
      pk = div(k, d);
      n = div(subv(c(x.size + d - 1), gq), d);
    }
    Value in;
    if (x.causal) {
      in = andv(le(pk, p), le(subv(p, c(x.kernel - 1)), pk));
    } else {
      Value s = maxv(c(0), minv(subv(p, c(x.kernel / 2)),
                                subv(n, c(x.kernel))));
      in = andv(le(s, pk), le(pk, addv(s, c(x.kernel - 1))));
    }
    return same ? andv(same, in) : in;
  }
  /// A lower bound of the key coordinates kept by query coordinates >= q.
  Value lowerCoord(const NbAxis &x, Value q) {
    int64_t d = x.dilation, k = x.kernel;
    if (x.causal)
      return maxv(c(0), subv(q, c((k - 1) * d)));
    return maxv(c(0), minv(subv(q, c((k / 2) * d)), c(x.size - k * d)));
  }
  /// An upper bound of the key coordinates kept by query coordinates <= q.
  Value upperCoord(const NbAxis &x, Value q) {
    int64_t d = x.dilation, k = x.kernel;
    if (x.causal)
      return q;
    return maxv(c(k * d - 1),
                minv(addv(q, c((k - 1 - k / 2) * d)), c(x.size - 1)));
  }
  /// The coordinate ranges along every axis of the tokens [lo, hi] (in
  /// [0, N)): `same[a]` says whether the tokens share their coordinates
  /// along the axes before `a`, so that [lo[a], hi[a]] is their range
  /// along `a` (otherwise they cover the whole axis).
  void ranges(ArrayRef<NbAxis> axes, Value lo, Value hi,
              SmallVectorImpl<Value> &same, SmallVectorImpl<Value> &los,
              SmallVectorImpl<Value> &his) {
    Value s = boolCst(b, loc, true);
    for (auto [a, x] : llvm::enumerate(axes)) {
      if (a > 0)
        s = andv(s, eq(div(lo, axes[a - 1].stride),
                       div(hi, axes[a - 1].stride)));
      same.push_back(s);
      los.push_back(coord(x, lo));
      his.push_back(coord(x, hi));
    }
  }
};
} // namespace

static SmallVector<NbAxis> axesOf(NeighborhoodAttr attr) {
  SmallVector<NbAxis> axes;
  int64_t stride = attr.getNumTokens();
  for (auto [a, g] : llvm::enumerate(attr.getGrid())) {
    stride /= g;
    axes.push_back({g, attr.getKernel()[a], attr.getDilationAt(a), stride,
                    attr.isCausalAt(a)});
  }
  return axes;
}

Value NeighborhoodAttr::buildPredicate(OpBuilder &b, Location loc,
                                       Value alignedQ, Value kv) const {
  NbBuilder nb{b, loc};
  Value last = cst(b, loc, getNumTokens() - 1);
  Value keep = nb.andv(
      nb.andv(nb.le(cst(b, loc, 0), alignedQ), nb.le(alignedQ, last)),
      nb.andv(nb.le(cst(b, loc, 0), kv), nb.le(kv, last)));
  for (const NbAxis &x : axesOf(*this))
    keep = nb.andv(keep, nb.keeps(x, nb.coord(x, alignedQ), nb.coord(x, kv)));
  return keep;
}

bool NeighborhoodAttr::evaluate(int64_t alignedQ, int64_t kv) const {
  int64_t n = getNumTokens();
  if (alignedQ < 0 || alignedQ >= n || kv < 0 || kv >= n)
    return false;
  for (const NbAxis &x : axesOf(*this)) {
    int64_t q = (alignedQ / x.stride) % x.size, k = (kv / x.stride) % x.size;
    int64_t d = x.dilation;
    if (q % d != k % d)
      return false;
    int64_t p = q / d, pk = k / d;
    if (x.causal) {
      if (pk > p || p - pk >= x.kernel)
        return false;
      continue;
    }
    int64_t groupSize = (x.size - q % d + d - 1) / d;
    int64_t s = std::max<int64_t>(
        0, std::min(p - x.kernel / 2, groupSize - x.kernel));
    if (pk < s || pk >= s + x.kernel)
      return false;
  }
  return true;
}

std::pair<Value, Value>
NeighborhoodAttr::buildKeyRange(OpBuilder &b, Location loc, Value qLo,
                                Value qHi) const {
  // Along each axis the kept key coordinates of the rows lie in
  // [lowerCoord(first), upperCoord(last)] (both monotone); the key range is
  // the hull of the rows' windows.
  NbBuilder nb{b, loc};
  SmallVector<NbAxis> axes = axesOf(*this);
  Value lo = nb.maxv(qLo, cst(b, loc, 0));
  Value hi = nb.minv(qHi, cst(b, loc, getNumTokens() - 1));
  Value valid = nb.le(lo, hi);
  SmallVector<Value> same, los, his;
  nb.ranges(axes, lo, hi, same, los, his);
  Value kLo = cst(b, loc, 0), kHi = cst(b, loc, 1);
  for (auto [a, x] : llvm::enumerate(axes)) {
    Value l = nb.sel(same[a], nb.lowerCoord(x, los[a]), cst(b, loc, 0));
    Value h =
        nb.sel(same[a], nb.upperCoord(x, his[a]), cst(b, loc, x.size - 1));
    kLo = nb.addv(kLo, nb.mul(l, x.stride));
    kHi = nb.addv(kHi, nb.mul(h, x.stride));
  }
  Value zero = cst(b, loc, 0);
  return {nb.sel(valid, kLo, zero), nb.sel(valid, kHi, zero)};
}

Value NeighborhoodAttr::buildTileIsFull(OpBuilder &b, Location loc, Value qLo,
                                        Value qHi, Value kvLo,
                                        Value kvHi) const {
  // Only a kernel that covers the whole grid keeps whole tiles (of tokens
  // inside the grid).
  bool dense = true;
  for (const NbAxis &x : axesOf(*this))
    dense &= !x.causal && x.kernel == x.size;
  if (!dense)
    return boolCst(b, loc, false);
  NbBuilder nb{b, loc};
  Value zero = cst(b, loc, 0), last = cst(b, loc, getNumTokens() - 1);
  return nb.andv(nb.andv(nb.le(zero, qLo), nb.le(qHi, last)),
                 nb.andv(nb.le(zero, kvLo), nb.le(kvHi, last)));
}

Value NeighborhoodAttr::buildTileMayKeep(OpBuilder &b, Location loc, Value qLo,
                                         Value qHi, Value kvLo,
                                         Value kvHi) const {
  // Per axis, the key coordinates of the tile must meet the window hull of
  // the query rows.
  NbBuilder nb{b, loc};
  SmallVector<NbAxis> axes = axesOf(*this);
  Value zero = cst(b, loc, 0), last = cst(b, loc, getNumTokens() - 1);
  Value q0 = nb.maxv(qLo, zero), q1 = nb.minv(qHi, last);
  Value k0 = nb.maxv(kvLo, zero), k1 = nb.minv(kvHi, last);
  Value may = nb.andv(nb.le(q0, q1), nb.le(k0, k1));
  SmallVector<Value> qSame, qLos, qHis, kSame, kLos, kHis;
  nb.ranges(axes, q0, q1, qSame, qLos, qHis);
  nb.ranges(axes, k0, k1, kSame, kLos, kHis);
  for (auto [a, x] : llvm::enumerate(axes)) {
    Value top = cst(b, loc, x.size - 1);
    Value wLo = nb.sel(qSame[a], nb.lowerCoord(x, qLos[a]), zero);
    Value wHi = nb.sel(qSame[a], nb.upperCoord(x, qHis[a]), top);
    Value tLo = nb.sel(kSame[a], kLos[a], zero);
    Value tHi = nb.sel(kSame[a], kHis[a], top);
    may = nb.andv(may, nb.andv(nb.le(tLo, wHi), nb.le(wLo, tHi)));
  }
  return may;
}
