//===- AttnTile.cpp - online-softmax tiling with tile skipping --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Tiles attn.attention with the upstream TilingInterface driver and lowers
// each tile to the FlashAttention-2 recurrence:
//
//   scf.forall (b, h, q0) = (0, 0, 0) to (B, Hq, Lq) step (1, 1, Tq) {
//     tile = attn.attention on the slices, offsets(b, h, q0, 0)
//   }                                         (scf::tileUsingSCF)
//
// and each tile is lowered by the tile body of OnlineTiler.cpp (or, for
// decode shapes, OnlineTilerDecode.cpp) to the FlashAttention-2 recurrence
// over its key tiles. Split-KV tiles the key axis as a partial reduction
// first (an scf.forall over splits, merged by attn.merge_states). Tiles from
// any upstream tiling lower the same way.
//
//===----------------------------------------------------------------------===//

#include "OnlineTiler.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <numeric>
#include <thread>

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNTILEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

/// The tile sizes of `op` with every 0 resolved from its shape (see
/// AttentionTileSizes); `group` is the head tile of the decode path (0 when
/// the op does not take it: decodeHeadTile), whose tiles hold all Lq rows.
static AttentionTileSizes resolveTileSizes(AttentionOp op,
                                           AttentionTileSizes sizes,
                                           int64_t group) {
  auto qT = op.getQueryType();
  int64_t lq = qT.getDimSize(2), lkv = op.getLogicalKVShape(op.getKey())[2];
  if (group > 0) {
    sizes.qTile = lq;
  } else if (sizes.qTile == 0) {
    sizes.qTile = 128;
    if (!ShapedType::isDynamic(lq) && lq < 128)
      sizes.qTile = std::max<int64_t>(32, llvm::alignTo(lq, 32));
  }
  if (sizes.kvTile == 0)
    sizes.kvTile = 64;
  // Split-KV (decode): the static number of (batch, head tile, query tile)
  // items and the thread count decide (chooseKVSplits). Partial states and
  // tiles are already someone's split.
  if (sizes.kvSplits == 0) {
    sizes.kvSplits = 1;
    if (qT.hasStaticShape() && !op.getPartial() && !op.hasTileCoordinates() &&
        sizes.qTile > 0) {
      int64_t heads = group > 0 ? qT.getDimSize(1) / group : qT.getDimSize(1);
      int64_t items =
          qT.getDimSize(0) * heads * llvm::divideCeil(lq, sizes.qTile);
      sizes.kvSplits =
          chooseKVSplits(items, lkv, sizes.kvTile, sizes.numThreads);
    }
  }
  return sizes;
}

/// The threads that the tiles of `op` with head tile `group` keep busy:
/// the splits when there are several (they are the only threads), else the
/// static (batch, head tile) items, at most `threads`; `threads` when the
/// items are not static.
static int64_t busyThreads(AttentionOp op, const AttentionTileSizes &sizes,
                           int64_t group, int64_t threads) {
  auto qT = op.getQueryType();
  if (sizes.kvSplits > 1)
    return std::min(threads, sizes.kvSplits);
  if (!qT.hasStaticShape())
    return threads;
  return std::min(threads, qT.getDimSize(0) * (qT.getDimSize(1) / group));
}

/// The head tile of a decode op whose GQA groups have `group` heads: the
/// tiles of all KV heads that decodeHeadTile picks for NHD pools, unless
/// they keep fewer threads busy than group tiles would (fewer items: B
/// instead of B * Hkv, with too few keys to split into enough splits).
static int64_t chooseDecodeHeadTile(AttentionOp op,
                                    const AttentionTileSizes &requested,
                                    int64_t group) {
  int64_t all = decodeHeadTile(op, group);
  if (all == group)
    return group;
  int64_t threads =
      requested.numThreads > 0
          ? requested.numThreads
          : std::max<int64_t>(1, std::thread::hardware_concurrency());
  AttentionTileSizes perGroup = resolveTileSizes(op, requested, group);
  AttentionTileSizes perBatch = resolveTileSizes(op, requested, all);
  if (busyThreads(op, perBatch, all, threads) <
      busyThreads(op, perGroup, group, threads))
    return group;
  return all;
}

/// The largest divisor of `n` that is at most `limit` (>= 1).
static int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, std::max<int64_t>(limit, 1)); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// Tile sizes for an op with key-block lists: query tiles that divide
/// q_block_size (so each lies in one query block and its key loop visits
/// that block's listed key blocks), key tiles that divide kv_block_size,
/// and no split of the key axis. An op that is already a tile may start
/// anywhere: its tiles test each score against the lists instead.
static AttentionTileSizes alignTilesToKeyBlocks(AttentionOp op,
                                                AttentionTileSizes sizes) {
  sizes.qTile = largestDivisorAtMost(*op.getQBlockSize(), sizes.qTile);
  sizes.kvTile = largestDivisorAtMost(*op.getKvBlockSize(), sizes.kvTile);
  sizes.kvSplits = 1;
  sizes.keyBlockAlignedTiles = !op.hasTileCoordinates();
  return sizes;
}

/// Lowers every attention tile in `loop` to the FlashAttention-2 recurrence
/// over its key tiles.
static LogicalResult lowerTilesIn(RewriterBase &rewriter, Operation *loop,
                                  const AttentionTileSizes &sizes,
                                  const MaskSummary *summary, bool decode) {
  SmallVector<AttentionOp> tiles;
  loop->walk([&](AttentionOp t) { tiles.push_back(t); });
  OpBuilder::InsertionGuard guard(rewriter);
  for (AttentionOp tile : tiles) {
    rewriter.setInsertionPoint(tile);
    FailureOr<SmallVector<Value>> body =
        decode ? lowerDecodeTile(rewriter, tile, sizes)
               : OnlineTiler(tile, rewriter, sizes, summary).run();
    if (failed(body))
      return failure();
    rewriter.replaceOp(tile, *body);
  }
  return success();
}

/// Normalises `loop` (zero-based, unit steps), the form of the loops of
/// upstream tile_using_forall, so a transform script reproduces the tiling.
/// Loops with dynamic bounds stay as they are: MLIR 22's normalizeForallOp
/// builds an ill-typed arith.ceildivsi for them.
static FailureOr<scf::ForallOp> normalizeStaticForall(RewriterBase &rewriter,
                                                      scf::ForallOp loop) {
  auto allConstant = [](ArrayRef<OpFoldResult> ofrs) {
    return llvm::all_of(ofrs, [](OpFoldResult o) {
      return getConstantIntValue(o).has_value();
    });
  };
  if (!allConstant(loop.getMixedLowerBound()) ||
      !allConstant(loop.getMixedUpperBound()) ||
      !allConstant(loop.getMixedStep()))
    return loop;
  return mlir::normalizeForallOp(rewriter, loop);
}

/// Fuses elementwise producers and consumers into `loop` (when `fuse`) while
/// it still holds attention tiles; returns the loop (consumer fusion
/// replaces it) and updates `replacements`, the loop's first results.
static FailureOr<scf::ForallOp>
fuseIntoTiledLoop(RewriterBase &rewriter, scf::ForallOp loop, bool fuse,
                  SmallVectorImpl<Value> &replacements) {
  if (!fuse)
    return loop;
  FailureOr<scf::ForallOp> fused =
      fuseElementwiseIntoAttentionLoop(rewriter, loop);
  if (failed(fused))
    return failure();
  for (auto [i, r] : llvm::enumerate(replacements))
    r = fused->getResult(i);
  return fused;
}

/// Tiles `op` over (batch, head tile, query tile) with the upstream
/// TilingInterface driver -- an scf.forall (`threads`) or scf.for loops --
/// fuses elementwise producers and consumers into the forall (`fuse`) and
/// lowers each tile to the FlashAttention-2 recurrence over its key tiles.
/// The head tile is 1, or for the decode tile body (lowerDecodeTile) the
/// `group` heads of one GQA group or of all KV heads (decodeHeadTile). Returns
/// the values that replaced `op`.
static FailureOr<SmallVector<Value>>
tileAndLowerQueryTiles(RewriterBase &rewriter, AttentionOp op,
                       const AttentionTileSizes &sizes, bool threads,
                       bool fuse, const MaskSummary *summary, int64_t group) {
  OpBuilder::InsertionGuard guard(rewriter);
  bool decode = group > 0;
  SmallVector<OpFoldResult> tileSizes = {
      rewriter.getIndexAttr(1), rewriter.getIndexAttr(decode ? group : 1),
      rewriter.getIndexAttr(sizes.qTile), rewriter.getIndexAttr(0)};
  scf::SCFTilingOptions options;
  options.setLoopType(threads ? scf::SCFTilingOptions::LoopType::ForallOp
                              : scf::SCFTilingOptions::LoopType::ForOp);
  options.setTileSizes(tileSizes);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitOpError("could not be tiled over (batch, head, query tile)");
  SmallVector<Value> replacements = tiled->replacements;
  rewriter.replaceOp(op, replacements);
  if (tiled->loops.empty()) {
    // One tile covers the op: no loop.
    for (Operation *t : tiled->tiledOps)
      if (failed(lowerTilesIn(rewriter, t, sizes, summary, decode)))
        return failure();
    return replacements;
  }
  Operation *outer = tiled->loops.front();
  if (threads) {
    FailureOr<scf::ForallOp> normal =
        normalizeStaticForall(rewriter, cast<scf::ForallOp>(outer));
    if (failed(normal))
      return failure();
    FailureOr<scf::ForallOp> loop =
        fuseIntoTiledLoop(rewriter, *normal, fuse, replacements);
    if (failed(loop))
      return failure();
    outer = *loop;
    outer->setAttr(kTiledAttentionAttrName, rewriter.getUnitAttr());
  }
  if (failed(lowerTilesIn(rewriter, outer, sizes, summary, decode)))
    return failure();
  return replacements;
}

FailureOr<SmallVector<Value>>
mlir::attn::tileAttentionOnline(RewriterBase &rewriter, AttentionOp op,
                                const AttentionTileSizes &requested,
                                bool fuseElementwise) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  // Statically zero-sized dims (an empty output, or no Q.K^T reduction at
  // Dqk = 0): the reference decomposition is their lowering here (it
  // returns the destinations for empty outputs; tiles would slice zero-sized
  // dims out of bounds).
  auto hasZeroDim = [](Type t) {
    auto tt = dyn_cast<RankedTensorType>(t);
    return tt && llvm::is_contained(tt.getShape(), 0);
  };
  if (llvm::any_of(op->getOperandTypes(), hasZeroDim) ||
      llvm::any_of(op->getResultTypes(), hasZeroDim)) {
    FailureOr<SmallVector<Value>> repl = op.decomposeOperation(rewriter);
    if (failed(repl))
      return failure();
    rewriter.replaceOp(op, *repl);
    return repl;
  }
  // Negative requests are errors on every path (0 picks), also where the
  // path overrides the request (decode tiles hold all Lq rows).
  if (requested.qTile < 0 || requested.kvTile < 0 || requested.kvSplits < 0)
    return op.emitOpError("expects positive tile sizes, got q-tile = ")
           << requested.qTile << ", kv-tile = " << requested.kvTile
           << ", kv-splits = " << requested.kvSplits;
  // Decode shapes (decodeGroupSize) take tiles of one whole GQA group, or
  // of all the heads of NHD pools (decodeHeadTile).
  int64_t group = 0;
  if (requested.decode && !op.hasKeyBlockLists())
    group =
        chooseDecodeHeadTile(op, requested, decodeGroupSize(op).value_or(0));
  AttentionTileSizes sizes = resolveTileSizes(op, requested, group);
  if (op.hasKeyBlockLists())
    sizes = alignTilesToKeyBlocks(op, sizes);
  // Paged ops: key tiles within one page (a divisor of the page size), or
  // for the decode tile body, which reads a key tile page by page, whole
  // pages; splits of whole pages.
  if (op.isPaged()) {
    int64_t p = op.getPageSize();
    if (group > 0 && p < sizes.kvTile)
      sizes.kvTile = sizes.kvTile / p * p;
    else if (op.hasKeyBlockLists())
      sizes.kvTile = std::gcd(p, sizes.kvTile);
    else
      sizes.kvTile = largestDivisorAtMost(p, sizes.kvTile);
  }
  if (sizes.qTile < 1 || sizes.kvTile < 1 || sizes.kvSplits < 1)
    return op.emitOpError("expects positive tile sizes, got q-tile = ")
           << sizes.qTile << ", kv-tile = " << sizes.kvTile
           << ", kv-splits = " << sizes.kvSplits;

  // The mask tensor's block summary, once, ahead of the loops.
  std::optional<MaskSummary> summary;
  if (op.getMask() && group == 0) {
    OnlineTiler whole(op, rewriter, sizes);
    whole.summarizeMask(rewriter);
    TileCoordinates c = getTileCoordinates(rewriter, op.getLoc(), op);
    summary = MaskSummary{whole.maskAny, whole.maskAll, c.b0, c.h0, c.q0,
                          c.kv0};
  }
  const MaskSummary *summaryPtr = summary ? &*summary : nullptr;

  // Split-KV: upstream partial-reduction tiling of the key axis into an
  // scf.forall over splits of whole key tiles, whose partial states
  // mergeReductions combines with attn.merge_states; each split's partial
  // op is then tiled over (batch, head, query tile) by scf.for loops (one
  // level of threads). Otherwise an scf.forall over (batch, head, query
  // tile).
  if (sizes.kvSplits > 1) {
    int64_t lkv = op.getLogicalKVShape(op.getKey())[2];
    int64_t chunk =
        llvm::alignTo(llvm::divideCeil(lkv, sizes.kvSplits),
                      op.isPaged() ? op.getPageSize() : sizes.kvTile);
    SmallVector<OpFoldResult> splitSizes(3, rewriter.getIndexAttr(0));
    splitSizes.push_back(rewriter.getIndexAttr(chunk));
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterParallel);
    options.setReductionDims({3});
    options.setTileSizes(splitSizes);
    FailureOr<scf::SCFTilingResult> split = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(split))
      return op.emitOpError("could not be split along the key axis");
    SmallVector<Value> replacements = split->replacements;
    rewriter.replaceOp(op, replacements);
    // (The merge after the loop reads every split: consumers cannot fuse.)
    FailureOr<scf::ForallOp> normal = normalizeStaticForall(
        rewriter, cast<scf::ForallOp>(split->loops.front().getOperation()));
    if (failed(normal))
      return failure();
    SmallVector<Value> loopResults((*normal)->getResults());
    FailureOr<scf::ForallOp> loop =
        fuseIntoTiledLoop(rewriter, *normal, fuseElementwise, loopResults);
    if (failed(loop))
      return failure();
    (*loop)->setAttr(kTiledAttentionAttrName, rewriter.getUnitAttr());
    SmallVector<AttentionOp> partials;
    loop->walk([&](AttentionOp p) { partials.push_back(p); });
    for (AttentionOp partial : partials)
      if (failed(tileAndLowerQueryTiles(rewriter, partial, sizes,
                                        /*threads=*/false, /*fuse=*/false,
                                        summaryPtr, group)))
        return failure();
    return replacements;
  }
  return tileAndLowerQueryTiles(rewriter, op, sizes, /*threads=*/true,
                                fuseElementwise, summaryPtr, group);
}

namespace {
struct AttnTilePass final : attn::impl::AttnTilePassBase<AttnTilePass> {
  using AttnTilePassBase::AttnTilePassBase;
  void runOnOperation() override;
};
} // namespace

void AttnTilePass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  AttentionTileSizes tileSizes;
  tileSizes.qTile = qTile;
  tileSizes.kvTile = kvTile;
  tileSizes.kvSplits = kvSplits;
  tileSizes.vectorBits = vectorBits;
  tileSizes.numThreads = numThreads;
  tileSizes.decode = decode;
  bool fuse = fuseElementwise;
  SmallVector<AttentionOp> ops;
  getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
  for (AttentionOp op : ops)
    if (failed(tileAttentionOnline(rewriter, op, tileSizes, fuse)))
      return signalPassFailure();
  if (fuse && failed(cleanUpAfterFusion(getOperation())))
    return signalPassFailure();
}
