//===- KeyRange.h - keys a block of query rows can keep ---------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The one home of the key range of a block of query rows: the keys that the
// structured mask terms of an attention keep for rows [qLoA, qHiA] (aligned
// bottom-right: q' = q + kvLen - qLen), clipped to [0, kvEnd). Every tiled
// lowering (the CPU key loop, the GPU key-tile loop) bounds its key loop with
// it, so a key tile outside the range is never visited. Keys inside the range
// may still be masked; the tile body evaluates the mask.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_KEYRANGE_H
#define ATTN_DIALECT_ATTN_UTILS_KEYRANGE_H

#include "attn/Dialect/Attn/IR/AttnAttrs.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace attn {

/// A half-open range of keys [lo, hi); empty when hi <= lo.
struct KeyRange {
  Value lo, hi;
};

/// A mask_mod region and the block it is evaluated on: the raw (unaligned)
/// query rows [qLo, qHi] (inclusive) of batch `batch` and query head `head`
/// (null: any batch or head). `readTensors`: the region's captured tensors
/// may be read at the insertion point (MaskAnalysis.h).
struct MaskModRows {
  Region *region = nullptr;
  Value qLo, qHi, batch, head;
  bool readTensors = false;
};

/// Builds the keys kept by `terms` for the aligned query rows [qLoA, qHiA]
/// (index values, inclusive), intersected with [0, kvEnd) and, when
/// `maskMod` names a non-empty region, with the keys the mask analysis
/// (MaskAnalysis.h) proves the region can keep for its rows. When
/// `anyRowValid` is given (an i1), a block whose rows are all past their
/// sequence's query length keeps nothing: its range is made empty.
KeyRange buildKeyRange(OpBuilder &b, Location loc,
                       ArrayRef<StructuredMaskAttrInterface> terms, Value qLoA,
                       Value qHiA, Value kvEnd, Value anyRowValid = {},
                       const MaskModRows &maskMod = {});

/// The key tiles of size `keyTile` that cover `range`: tiles
/// [floor(lo / keyTile), max(ceil(hi / keyTile), that)).
KeyRange buildKeyTileRange(OpBuilder &b, Location loc, KeyRange range,
                           int64_t keyTile);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_UTILS_KEYRANGE_H
