//===- VerifyUtils.cpp - checks shared by the attn op verifiers -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "VerifyUtils.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

bool verify::compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

bool verify::shapeCompatible(ArrayRef<int64_t> shape,
                             ArrayRef<int64_t> expected) {
  if (shape.size() != expected.size())
    return false;
  for (auto [a, b] : llvm::zip(shape, expected))
    if (!compatible(a, b))
      return false;
  return true;
}

bool verify::isSupportedFloat(Type t) {
  return isa<Float32Type, Float16Type, BFloat16Type>(t);
}

std::string verify::shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      ", ");
  os << "]";
  return s;
}

LogicalResult verify::verifyBHLDOperands(Operation *op,
                                         ArrayRef<NamedTensorType> operands) {
  for (auto [name, t] : operands) {
    if (t.getRank() != 4)
      return op->emitOpError("expects ")
             << name << " to have rank 4 ([B, H, L, D]), got rank "
             << t.getRank();
    if (!isSupportedFloat(t.getElementType()))
      return op->emitOpError("expects ")
             << name << " element type to be f32, f16 or bf16, got "
             << t.getElementType();
  }
  return success();
}

LogicalResult verify::verifyQKVBatchAndHeads(Operation *op, ArrayRef<int64_t> q,
                                             ArrayRef<int64_t> k,
                                             ArrayRef<int64_t> v) {
  if (!compatible(q[0], k[0]) || !compatible(q[0], v[0]))
    return op->emitOpError("expects query, key and value to share the batch "
                           "size, got ")
           << shapeStr(q) << ", " << shapeStr(k) << " and " << shapeStr(v);
  if (!compatible(k[1], v[1]))
    return op->emitOpError("expects key and value to share the number of "
                           "heads, got ")
           << k[1] << " and " << v[1];
  return success();
}

LogicalResult verify::verifyQKHeadDim(Operation *op, ArrayRef<int64_t> q,
                                      ArrayRef<int64_t> k) {
  if (!compatible(q[3], k[3]))
    return op->emitOpError("expects query and key to share the head "
                           "dimension, got ")
           << q[3] << " and " << k[3];
  return success();
}

LogicalResult verify::verifyHeadGroups(Operation *op, int64_t hq, int64_t hkv,
                                       StringRef kvName, bool checkGroups) {
  if (hkv == 0)
    return op->emitOpError("expects at least one ") << kvName << " head";
  if (checkGroups && !ShapedType::isDynamic(hq) &&
      !ShapedType::isDynamic(hkv) && hq % hkv != 0)
    return op->emitOpError("expects the number of query heads to be a "
                           "multiple of the number of ")
           << kvName << " heads, got " << hq << " and " << hkv;
  return success();
}

LogicalResult verify::verifyOneResultPerInit(Operation *op, unsigned numResults,
                                             unsigned numInits) {
  if (numResults != numInits)
    return op->emitOpError("expects one result per init, got ")
           << numResults << " results and " << numInits << " inits";
  return success();
}

std::optional<int64_t> verify::staticGroupSize(int64_t hq, int64_t hkv) {
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv == 0)
    return std::nullopt;
  return hq / hkv;
}

std::optional<double> verify::staticScale(FloatAttr scale, int64_t headDim) {
  if (scale)
    return scale.getValueAsDouble();
  if (ShapedType::isDynamic(headDim) || headDim <= 0)
    return std::nullopt;
  return 1.0 / std::sqrt(static_cast<double>(headDim));
}

/// Verifies a modifier region: its argument types and the single value it
/// yields.
LogicalResult verify::verifyModRegion(Operation *op, Region &region,
                                      StringRef name, TypeRange argTypes,
                                      Type yieldType) {
  if (region.empty())
    return success();
  Block &block = region.front();
  auto sig = [&]() {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "(";
    llvm::interleaveComma(argTypes, os);
    os << ")";
    return s;
  };
  if (block.getNumArguments() != argTypes.size() ||
      !llvm::equal(block.getArgumentTypes(), argTypes))
    return op->emitOpError("expects ")
           << name << " arguments " << sig() << ", got "
           << block.getNumArguments() << " argument(s)"
           << (block.getNumArguments() ? " of types (" : "")
           << block.getArgumentTypes() << (block.getNumArguments() ? ")" : "");
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield || yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != yieldType)
    return op->emitOpError("expects ")
           << name << " to end with 'attn.yield' of one " << yieldType
           << " value";
  return success();
}
