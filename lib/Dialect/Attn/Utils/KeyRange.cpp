//===- KeyRange.cpp - keys a block of query rows can keep -----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/KeyRange.h"
#include "attn/Dialect/Attn/Utils/MaskAnalysis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::attn;

KeyRange mlir::attn::buildKeyRange(OpBuilder &b, Location loc,
                                   ArrayRef<StructuredMaskAttrInterface> terms,
                                   Value qLoA, Value qHiA, Value kvEnd,
                                   Value anyRowValid,
                                   const MaskModRows &maskMod) {
  Value lo = arith::ConstantIndexOp::create(b, loc, 0), hi = kvEnd;
  for (StructuredMaskAttrInterface t : terms) {
    auto [termLo, termHi] = t.buildKeyRange(b, loc, qLoA, qHiA);
    if (termLo)
      lo = arith::MaxSIOp::create(b, loc, lo, termLo);
    if (termHi)
      hi = arith::MinSIOp::create(b, loc, hi, termHi);
  }
  if (maskMod.region && !maskMod.region->empty()) {
    MaskModBox box;
    box.batch = {maskMod.batch, maskMod.batch};
    box.head = {maskMod.head, maskMod.head};
    box.query = {maskMod.qLo, maskMod.qHi};
    auto [modLo, modHi] = buildMaskModKeyRange(b, loc, *maskMod.region, box,
                                               kvEnd, maskMod.readTensors);
    lo = arith::MaxSIOp::create(b, loc, lo, modLo);
    hi = arith::MinSIOp::create(b, loc, hi, modHi);
  }
  if (anyRowValid)
    hi = arith::SelectOp::create(b, loc, anyRowValid, hi, lo);
  return {lo, hi};
}

KeyRange mlir::attn::buildKeyTileRange(OpBuilder &b, Location loc,
                                       KeyRange range, int64_t keyTile) {
  Value size = arith::ConstantIndexOp::create(b, loc, keyTile);
  Value tLo = arith::DivSIOp::create(b, loc, range.lo, size);
  Value tHi = arith::CeilDivSIOp::create(b, loc, range.hi, size);
  return {tLo, arith::MaxSIOp::create(b, loc, tHi, tLo)};
}
