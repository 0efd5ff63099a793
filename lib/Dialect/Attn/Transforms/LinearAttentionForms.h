//===- LinearAttentionForms.h - shared pieces of the forms ------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Dialect/Attn/Transforms: the tensor helpers the forms of
// `attn.linear_attention` share (LinearAttentionForms.cpp: key-value first,
// recurrent, form selection; LinearAttentionChunked.cpp: the chunked form).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_TRANSFORMS_LINEARATTENTIONFORMS_H
#define ATTN_LIB_DIALECT_ATTN_TRANSFORMS_LINEARATTENTIONFORMS_H

#include "attn/Dialect/Attn/IR/LinearAttention.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace attn {
namespace linear_forms {

/// Terminates a linalg body with `v`.
void yield(OpBuilder &b, Location loc, Value v);
/// The f32 constant 0.
Value zeroF32(OpBuilder &b, Location loc);
/// 1.0 where the i1 `c` holds, else 0.0.
Value boolToF32(OpBuilder &b, Location loc, Value c);
/// The static extent of `ofr` or ShapedType::kDynamic.
int64_t staticOr(OpFoldResult ofr);
/// staticOr of each size.
SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes);
/// The slice of `t` at position `pos` of dimension `dim` (size 1, kept).
Value sliceAt(OpBuilder &b, Location loc, Value t, unsigned dim,
              OpFoldResult pos);
/// Inserts `src` (a slice of size 1 along `dim`) into `dest` at `pos`.
Value insertAt(OpBuilder &b, Location loc, Value src, Value dest,
               unsigned dim, OpFoldResult pos);
/// Collapses the leading dimensions (all but the last two) into one.
SmallVector<ReassociationIndices> batchReassociation(unsigned rank);
/// `a [..., M, K] x b [..., K, N] + init [..., M, N]` as one
/// linalg.batch_matmul over the collapsed leading dimensions.
Value batchMatmul(OpBuilder &b, Location loc, Value a, Value bm, Value init);
/// `t [..., X, Y]` transposed to `[..., Y, X]`.
Value transposeLast(OpBuilder &b, Location loc, Value t);

/// The chunked form with chunks of `C` tokens (LinearAttentionChunked.cpp).
SmallVector<Value> buildChunkedLinearAttention(OpBuilder &b,
                                               LinearAttentionOp op,
                                               const LinearAttentionInputs &in,
                                               int64_t C);

} // namespace linear_forms
} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_DIALECT_ATTN_TRANSFORMS_LINEARATTENTIONFORMS_H
