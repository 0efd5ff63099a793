//===- NormalizerAlgebra.cpp - normaliser states, updates, combines -------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

static constexpr double kInf = std::numeric_limits<double>::infinity();
/// Softpick's epsilon in its denominator.
static constexpr double kSoftpickEps = 1e-6;

Value mlir::attn::buildF32Constant(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

double mlir::attn::getIdentityMax(Normalizer norm) {
  return norm == Normalizer::sigmoid ? 0.0 : -kInf;
}

Value mlir::attn::buildMaxUpdate(OpBuilder &b, Location loc, Normalizer norm,
                                 Value mOld, Value tileMax) {
  switch (norm) {
  case Normalizer::softmax:
    return arith::MaximumFOp::create(b, loc, mOld, tileMax);
  case Normalizer::softpick: {
    Value m = arith::MaximumFOp::create(b, loc, mOld, tileMax);
    return arith::MaximumFOp::create(b, loc, m, buildF32Constant(b, loc, 0.0));
  }
  case Normalizer::sigmoid:
    return mOld;
  }
  llvm_unreachable("unknown normalizer");
}

Value mlir::attn::buildSafeShift(OpBuilder &b, Location loc, Value m) {
  Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m,
                                      buildF32Constant(b, loc, -kInf));
  return arith::SelectOp::create(b, loc, isInf, buildF32Constant(b, loc, 0.0),
                                 m);
}

/// base^x.
static Value buildExp(OpBuilder &b, Location loc, Value x, LseBase base) {
  if (base == LseBase::two)
    return math::Exp2Op::create(b, loc, x);
  return math::ExpOp::create(b, loc, x);
}

Value mlir::attn::buildRescale(OpBuilder &b, Location loc, Value mOld,
                               Value mNew, LseBase base) {
  Value e = buildExp(b, loc, arith::SubFOp::create(b, loc, mOld, mNew), base);
  Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew,
                                      buildF32Constant(b, loc, -kInf));
  return arith::SelectOp::create(b, loc, empty, buildF32Constant(b, loc, 0.0),
                                 e);
}

std::pair<Value, Value>
mlir::attn::buildWeight(OpBuilder &b, Location loc, Normalizer norm, Value s,
                        Value shift, std::optional<double> sigmoidBias) {
  switch (norm) {
  case Normalizer::softmax: {
    Value p =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, s, shift));
    return {p, p};
  }
  case Normalizer::softpick: {
    // e^(s-m) - e^-m is (e^s - 1) in units of e^-m.
    Value e1 =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, s, shift));
    Value e0 =
        math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, shift));
    Value e = arith::SubFOp::create(b, loc, e1, e0);
    Value zero = buildF32Constant(b, loc, 0.0);
    Value kept = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, s,
                                       buildF32Constant(b, loc, -kInf));
    Value relu = arith::MaximumFOp::create(b, loc, e, zero);
    Value mag = math::AbsFOp::create(b, loc, e);
    return {arith::SelectOp::create(b, loc, kept, relu, zero),
            arith::SelectOp::create(b, loc, kept, mag, zero)};
  }
  case Normalizer::sigmoid: {
    // sigmoid(-inf) == 0, so masked scores need no special case.
    Value x = s;
    if (sigmoidBias)
      x = arith::AddFOp::create(b, loc, x,
                                buildF32Constant(b, loc, *sigmoidBias));
    Value one = buildF32Constant(b, loc, 1.0);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    Value p = arith::DivFOp::create(b, loc, one,
                                    arith::AddFOp::create(b, loc, one, e));
    return {p, buildF32Constant(b, loc, 0.0)};
  }
  }
  llvm_unreachable("unknown normalizer");
}

/// 1 / den, or 0 when den == 0.
static Value buildSafeInverse(OpBuilder &b, Location loc, Value den) {
  Value zero = buildF32Constant(b, loc, 0.0);
  Value isZero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, den, zero);
  Value inv = arith::DivFOp::create(b, loc, buildF32Constant(b, loc, 1.0), den);
  return arith::SelectOp::create(b, loc, isZero, zero, inv);
}

RowFinalization mlir::attn::buildRowFinalization(OpBuilder &b, Location loc,
                                                 Normalizer norm, Value m,
                                                 Value sum, Value sink) {
  switch (norm) {
  case Normalizer::softmax: {
    Value den = sum, alpha, shift = buildSafeShift(b, loc, m);
    if (sink) {
      // Join the sink logit into the state: rescale to max(m, sink).
      Value mJoined = arith::MaximumFOp::create(b, loc, m, sink);
      alpha = buildRescale(b, loc, m, mJoined);
      Value sinkTerm = math::ExpOp::create(
          b, loc, arith::SubFOp::create(b, loc, sink, mJoined));
      den = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, sum, alpha), sinkTerm);
      shift = mJoined;
    }
    Value scale = buildSafeInverse(b, loc, den);
    if (alpha)
      scale = arith::MulFOp::create(b, loc, scale, alpha);
    Value lse =
        arith::AddFOp::create(b, loc, shift, math::LogOp::create(b, loc, den));
    return {scale, lse};
  }
  case Normalizer::softpick: {
    // eps in units of e^-m, like the state.
    Value shift = buildSafeShift(b, loc, m);
    Value eps = arith::MulFOp::create(
        b, loc, buildF32Constant(b, loc, kSoftpickEps),
        math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, shift)));
    Value den = arith::AddFOp::create(b, loc, sum, eps);
    return {buildSafeInverse(b, loc, den), Value()};
  }
  case Normalizer::sigmoid:
    return {buildF32Constant(b, loc, 1.0), Value()};
  }
  llvm_unreachable("unknown normalizer");
}
