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
