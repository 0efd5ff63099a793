//===- NormalizerAlgebra.cpp - normaliser states, updates, combines -------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/NormalizerAlgebra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
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

Value mlir::attn::buildRescaleToShift(OpBuilder &b, Location loc, Value mOld,
                                      Value shift, LseBase base) {
  return buildExp(b, loc, arith::SubFOp::create(b, loc, mOld, shift), base);
}

Value mlir::attn::buildWeightOffset(OpBuilder &b, Location loc, Normalizer norm,
                                    Value shift, const NormalizerForm &form) {
  if (norm != Normalizer::softpick)
    return Value();
  return buildExp(b, loc, arith::NegFOp::create(b, loc, shift), form.base);
}

std::pair<Value, Value>
mlir::attn::buildWeight(OpBuilder &b, Location loc, Normalizer norm, Value s,
                        Value shift, std::optional<double> sigmoidBias) {
  return buildWeight(b, loc, norm, s, shift, sigmoidBias, NormalizerForm());
}

std::pair<Value, Value>
mlir::attn::buildWeight(OpBuilder &b, Location loc, Normalizer norm, Value s,
                        Value shift, std::optional<double> sigmoidBias,
                        const NormalizerForm &form, Value offset) {
  LseBase base = form.base;
  switch (norm) {
  case Normalizer::softmax: {
    Value p = buildExp(b, loc, arith::SubFOp::create(b, loc, s, shift), base);
    return {p, p};
  }
  case Normalizer::softpick: {
    // e^(s-m) - e^-m is (e^s - 1) in units of e^-m.
    Value e1 = buildExp(b, loc, arith::SubFOp::create(b, loc, s, shift), base);
    Value e0 = offset ? offset : buildWeightOffset(b, loc, norm, shift, form);
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
    if (sigmoidBias) {
      double bias = *sigmoidBias;
      if (base == LseBase::two)
        bias *= M_LOG2E;
      x = arith::AddFOp::create(b, loc, x, buildF32Constant(b, loc, bias));
    }
    Value one = buildF32Constant(b, loc, 1.0);
    Value e = buildExp(b, loc, arith::NegFOp::create(b, loc, x), base);
    Value den = arith::AddFOp::create(b, loc, one, e);
    Value p = form.weightReciprocal
                  ? form.weightReciprocal(b, loc, den)
                  : arith::DivFOp::create(b, loc, one, den).getResult();
    return {p, buildF32Constant(b, loc, 0.0)};
  }
  }
  llvm_unreachable("unknown normalizer");
}

SinkState mlir::attn::buildSinkState(OpBuilder &b, Location loc, Value sink) {
  Value isNegInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         sink, buildF32Constant(b, loc, -kInf));
  Value sum =
      arith::SelectOp::create(b, loc, isNegInf, buildF32Constant(b, loc, 0.0),
                              buildF32Constant(b, loc, 1.0));
  return {sink, sum};
}

/// 1 / den, or 0 when den == 0.
static Value buildSafeInverse(OpBuilder &b, Location loc, Value den) {
  Value zero = buildF32Constant(b, loc, 0.0);
  Value isZero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, den, zero);
  Value inv = arith::DivFOp::create(b, loc, buildF32Constant(b, loc, 1.0), den);
  return arith::SelectOp::create(b, loc, isZero, zero, inv);
}

namespace {
/// The finalisation of a softmax state: the output scale, the denominator
/// (the sink joined) and the shift of the log-sum-exp.
struct SoftmaxFinal {
  Value scale, den, shift;
};
} // namespace

/// The softmax finalisation; the shift of the state is built first when
/// `withShift` (the log-sum-exp needs it), else only with a sink.
static SoftmaxFinal buildSoftmaxFinal(OpBuilder &b, Location loc, Value m,
                                      Value sum, Value sink, LseBase base,
                                      bool withShift) {
  SoftmaxFinal f;
  f.den = sum;
  Value alpha;
  if (withShift)
    f.shift = buildSafeShift(b, loc, m);
  if (sink) {
    // Join the sink logit into the state: rescale to max(m, sink).
    Value mJoined = arith::MaximumFOp::create(b, loc, m, sink);
    alpha = buildRescale(b, loc, m, mJoined, base);
    Value sinkTerm =
        buildExp(b, loc, arith::SubFOp::create(b, loc, sink, mJoined), base);
    f.den = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, sum, alpha), sinkTerm);
    f.shift = mJoined;
  }
  f.scale = buildSafeInverse(b, loc, f.den);
  if (alpha)
    f.scale = arith::MulFOp::create(b, loc, f.scale, alpha);
  return f;
}

Value mlir::attn::buildOutputScale(OpBuilder &b, Location loc, Normalizer norm,
                                   Value m, Value sum, Value sink,
                                   const NormalizerForm &form) {
  switch (norm) {
  case Normalizer::softmax:
    return buildSoftmaxFinal(b, loc, m, sum, sink, form.base,
                             /*withShift=*/false)
        .scale;
  case Normalizer::softpick: {
    // eps in units of e^-m, like the state.
    Value shift = buildSafeShift(b, loc, m);
    Value eps = arith::MulFOp::create(
        b, loc, buildF32Constant(b, loc, kSoftpickEps),
        buildExp(b, loc, arith::NegFOp::create(b, loc, shift), form.base));
    Value den = arith::AddFOp::create(b, loc, sum, eps);
    return buildSafeInverse(b, loc, den);
  }
  case Normalizer::sigmoid:
    return buildF32Constant(b, loc, 1.0);
  }
  llvm_unreachable("unknown normalizer");
}

Value mlir::attn::buildLogSumExp(OpBuilder &b, Location loc, Value m, Value sum,
                                 const NormalizerForm &form) {
  Value shift = buildSafeShift(b, loc, m);
  if (form.base == LseBase::e)
    return arith::AddFOp::create(b, loc, shift,
                                 math::LogOp::create(b, loc, sum));
  Value lse2 =
      arith::AddFOp::create(b, loc, shift, math::Log2Op::create(b, loc, sum));
  return arith::MulFOp::create(b, loc, lse2, buildF32Constant(b, loc, M_LN2));
}

RowFinalization mlir::attn::buildRowFinalization(OpBuilder &b, Location loc,
                                                 Normalizer norm, Value m,
                                                 Value sum, Value sink) {
  if (norm != Normalizer::softmax)
    return {buildOutputScale(b, loc, norm, m, sum, sink, NormalizerForm()),
            Value()};
  SoftmaxFinal f = buildSoftmaxFinal(b, loc, m, sum, sink, LseBase::e,
                                     /*withShift=*/true);
  Value lse = arith::AddFOp::create(b, loc, f.shift,
                                    math::LogOp::create(b, loc, f.den));
  return {f.scale, lse};
}
