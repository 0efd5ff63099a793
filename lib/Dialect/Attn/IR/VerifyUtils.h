//===- VerifyUtils.h - checks shared by the attn op verifiers ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Operand-shape checks that several op verifiers (attn.attention,
// attn.linear_attention, attn.block_scores, attn.select_blocks) make in the
// same words. Each helper emits its diagnostic on the op it is given, so a
// verifier that calls it reports exactly what it did when it spelled the
// check out itself. Also the static group size and scale that the ops
// derive from their shapes the same way. Private to the IR library.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_IR_VERIFYUTILS_H
#define ATTN_LIB_DIALECT_ATTN_IR_VERIFYUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>
#include <utility>

namespace mlir {
namespace attn {
namespace verify {

/// True when two extents may be equal (either is dynamic, or both agree).
bool compatible(int64_t a, int64_t b);

/// True when `shape` may equal `expected` (dynamic extents match anything).
bool shapeCompatible(ArrayRef<int64_t> shape, ArrayRef<int64_t> expected);

/// True for the element types the attention ops compute in: f32, f16, bf16.
bool isSupportedFloat(Type t);

/// `shape` as "[2, ?, 8]", for diagnostics.
std::string shapeStr(ArrayRef<int64_t> shape);

/// A named operand type, as `verifyBHLDOperands` takes them.
using NamedTensorType = std::pair<StringRef, RankedTensorType>;

/// Verifies that each operand is a rank-4 [B, H, L, D] tensor of f32, f16 or
/// bf16, in order.
LogicalResult verifyBHLDOperands(Operation *op,
                                 ArrayRef<NamedTensorType> operands);

/// Verifies that query, key and value (logical [B, H, L, D] shapes) share the
/// batch size and that key and value share the number of heads.
LogicalResult verifyQKVBatchAndHeads(Operation *op, ArrayRef<int64_t> q,
                                     ArrayRef<int64_t> k, ArrayRef<int64_t> v);

/// Verifies that query and key share the head dimension (axis 3).
LogicalResult verifyQKHeadDim(Operation *op, ArrayRef<int64_t> q,
                              ArrayRef<int64_t> k);

/// Verifies that there is at least one of the `kvName` heads (`hkv`) and,
/// with `checkGroups`, that the `hq` query heads are a whole number of groups
/// of them.
LogicalResult verifyHeadGroups(Operation *op, int64_t hq, int64_t hkv,
                               StringRef kvName, bool checkGroups = true);

/// The static number of query heads per key/value head, `hq / hkv`, or none
/// when either is dynamic or `hkv` is 0.
std::optional<int64_t> staticGroupSize(int64_t hq, int64_t hkv);

/// The static softmax scale: `scale` when given, else 1/sqrt(`headDim`), or
/// none when that is dynamic or not positive.
std::optional<double> staticScale(FloatAttr scale, int64_t headDim);

/// Verifies that there are as many results as inits.
LogicalResult verifyOneResultPerInit(Operation *op, unsigned numResults,
                                     unsigned numInits);

/// Verifies a modifier region (score_mod, mask_mod, q_mod, k_mod) of `op`
/// named `name`: when present, its block takes `argTypes` and ends with an
/// `attn.yield` of one `yieldType` value.
LogicalResult verifyModRegion(Operation *op, Region &region, StringRef name,
                              TypeRange argTypes, Type yieldType);

} // namespace verify
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_DIALECT_ATTN_IR_VERIFYUTILS_H
