//===- MaskAnalysis.h - compile-time sparsity of mask_mod regions -*- C++
//-*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Abstract interpretation of a `mask_mod` region (b, h, q_idx, kv_idx -> i1)
// over a box of index values: every block argument ranges over an interval
// [lo, hi] whose bounds are SSA values (so the result is symbolic in the
// sequence lengths), and the analysis emits, at the builder's insertion
// point, the IR that computes
//
//  * the interval of every integer value of the region (arith add/sub/mul,
//    floordiv/div/ceildiv/rem by constants, min/max, select, casts, and the
//    floor-modulo `x - floordiv(x, c) * c` the Python tracer prints);
//  * a three-valued truth of every i1 value: `must` (true on every point of
//    the box) and `may` (true on some point) through cmpi, and/or/xor/not
//    and select;
//  * the keys a block of query rows can keep: predicates are inverted
//    towards kv_idx (kv_idx <= f(q), floordiv(kv_idx, c) == g(q), ...), and
//    conjunctions intersect, disjunctions join the key intervals.
//
// Reads of captured tensors can be summarised at run time over the box
// (min/max of the elements the read can reach).
//
// Anything the analysis does not model is "unknown": an unbounded interval,
// (must, may) = (false, true), all keys. The results are therefore sound for
// any region; tight for the index arithmetic above. Integer overflow of the
// region's arithmetic is not modelled (index values of real sequence
// positions do not overflow).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_MASKANALYSIS_H
#define ATTN_DIALECT_ATTN_UTILS_MASKANALYSIS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Region.h"

namespace mlir {
namespace attn {

/// A closed interval [lo, hi] of index values; a null side is unbounded.
struct IndexInterval {
  Value lo, hi;
};

/// The box a mask_mod region is evaluated over: one interval per block
/// argument (b, h, q_idx, kv_idx), all of index type.
struct MaskModBox {
  IndexInterval batch, head, query, key;
};

/// The classification of a (query block, key block) pair: `full` (an i1,
/// true when the region keeps every score of the box) and `mayKeep` (false
/// when it keeps none).
struct MaskTileClass {
  Value full, mayKeep;
};

/// Builds the classification of the mask_mod `region` over `box`. With
/// `readTensors`, reads of captured integer or i1 tensors (document ids,
/// per-token positions) at indices of which at most one ranges over an
/// interval are summarised at run time (a loop over that interval computing
/// min/max, or all/any); the captured values must be usable at the
/// insertion point (not across an isolated-from-above kernel boundary).
MaskTileClass classifyMaskMod(OpBuilder &b, Location loc, Region &region,
                              const MaskModBox &box, bool readTensors = false);

/// Builds the half-open key interval [lo, hi) outside of which the mask_mod
/// `region` keeps no key in [0, kvEnd) for any row of `box` (whose `key`
/// interval is ignored: keys range over [0, kvEnd)). The bounds are not
/// clipped to [0, kvEnd); an empty interval has hi <= lo. `readTensors` as
/// for classifyMaskMod, for reads that do not depend on the key.
std::pair<Value, Value> buildMaskModKeyRange(OpBuilder &b, Location loc,
                                             Region &region,
                                             const MaskModBox &box, Value kvEnd,
                                             bool readTensors = false);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_UTILS_MASKANALYSIS_H
