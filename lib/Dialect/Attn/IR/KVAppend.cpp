//===- KVAppend.cpp - attn.kv_append --------------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The verifier and interfaces of attn.kv_append, which writes new K/V rows
// into a paged pool (docs/semantics.md, "KV append").
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::attn;

/// True when two extents may be equal (either is dynamic, or both agree).
static bool mayEqual(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Prints an extent, `?` when dynamic.
static std::string extentStr(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

static bool isIndexLike(Type t) { return t.isInteger(32) || t.isInteger(64); }

int64_t KVAppendOp::getPageSize() {
  auto poolT = cast<RankedTensorType>(getPool().getType());
  if (poolT.getRank() != 4)
    return ShapedType::kDynamic;
  return poolT.getDimSize(isHND() ? 2 : 1);
}

LogicalResult KVAppendOp::verify() {
  if (getKvLayout() == KvLayout::contiguous)
    return emitOpError("expects kv_layout paged_nhd or paged_hnd");
  auto newT = cast<RankedTensorType>(getNewRows().getType());
  auto posT = cast<RankedTensorType>(getPositions().getType());
  auto tableT = cast<RankedTensorType>(getPageTable().getType());
  auto poolT = cast<RankedTensorType>(getPool().getType());
  StringRef layoutStr = isHND() ? "[pages, Hkv, P, D]" : "[pages, P, Hkv, D]";
  if (newT.getRank() != 4)
    return emitOpError("expects new rows of rank 4 ([B, Hkv, Lnew, D]), got "
                       "rank ")
           << newT.getRank();
  if (poolT.getRank() != 4)
    return emitOpError("expects a pool of rank 4 (")
           << layoutStr << "), got rank " << poolT.getRank();
  if (posT.getRank() != 1)
    return emitOpError("expects positions of rank 1 ([B]), got rank ")
           << posT.getRank();
  if (tableT.getRank() != 2)
    return emitOpError("expects page_table of rank 2 ([B, max_pages]), got "
                       "rank ")
           << tableT.getRank();
  if (getResult().getType() != poolT)
    return emitOpError("expects the result type to be the pool type ")
           << poolT << ", got " << getResult().getType();
  if (newT.getElementType() != poolT.getElementType())
    return emitOpError("expects new rows and pool of the same element type, "
                       "got ")
           << newT.getElementType() << " and " << poolT.getElementType();
  if (!isIndexLike(posT.getElementType()))
    return emitOpError("expects positions of element type i32 or i64, got ")
           << posT.getElementType();
  if (!isIndexLike(tableT.getElementType()))
    return emitOpError("expects page_table of element type i32 or i64, got ")
           << tableT.getElementType();

  int64_t batch = newT.getDimSize(0);
  if (!mayEqual(batch, posT.getDimSize(0)) ||
      !mayEqual(batch, tableT.getDimSize(0)))
    return emitOpError("expects new rows, positions and page_table to share "
                       "the batch size, got ")
           << extentStr(batch) << ", " << extentStr(posT.getDimSize(0))
           << " and " << extentStr(tableT.getDimSize(0));
  int64_t heads = poolT.getDimSize(isHND() ? 1 : 2);
  if (!mayEqual(newT.getDimSize(1), heads) ||
      !mayEqual(newT.getDimSize(3), poolT.getDimSize(3)))
    return emitOpError("expects new rows [B, Hkv, Lnew, D] and pool ")
           << layoutStr << " to share Hkv and D, got Hkv "
           << extentStr(newT.getDimSize(1)) << " and " << extentStr(heads)
           << ", D " << extentStr(newT.getDimSize(3)) << " and "
           << extentStr(poolT.getDimSize(3));
  int64_t pageSize = getPageSize();
  if (ShapedType::isDynamic(pageSize) || pageSize <= 0)
    return emitOpError("expects a static, positive page size, got ")
           << extentStr(pageSize);

  // Static contents: table entries inside the pool, appended rows inside the
  // table's capacity.
  int64_t pages = poolT.getDimSize(0);
  DenseIntElementsAttr table;
  if (!ShapedType::isDynamic(pages) &&
      matchPattern(getPageTable(), m_Constant(&table)))
    for (auto [i, e] : llvm::enumerate(table.getValues<APInt>()))
      if (e.getSExtValue() < 0 || e.getSExtValue() >= pages)
        return emitOpError("expects page_table entries in [0, ")
               << pages << "), got " << e.getSExtValue() << " at flat index "
               << i;
  int64_t maxPages = tableT.getDimSize(1);
  int64_t lnew = newT.getDimSize(2);
  DenseIntElementsAttr positions;
  if (matchPattern(getPositions(), m_Constant(&positions)))
    for (auto [i, e] : llvm::enumerate(positions.getValues<APInt>())) {
      int64_t pos = e.getSExtValue();
      if (pos < 0)
        return emitOpError("expects non-negative positions, got ")
               << pos << " at index " << i;
      if (!ShapedType::isDynamic(maxPages) && !ShapedType::isDynamic(lnew) &&
          pos + lnew > maxPages * pageSize)
        return emitOpError("expects positions + Lnew at most max_pages * "
                           "page_size = ")
               << maxPages * pageSize << ", got " << pos << " + " << lnew
               << " at index " << i;
    }
  return success();
}

LogicalResult KVAppendOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  reifiedReturnShapes.push_back(tensor::getMixedSizes(b, getLoc(), getPool()));
  return success();
}
