//===- AttnFuseElementwise.cpp - fuse elementwise ops into attention tiles ===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Moves elementwise producers of the query/key/value tiles and elementwise
// consumers of the output into an scf.forall holding attention tiles, through
// the upstream TilingInterface machinery: a producer is recomputed for the
// tile that an extract_slice reads (tensor::replaceExtractSliceWithTiledProducer),
// a consumer is computed for the tile that the loop writes
// (scf::tileAndFuseConsumer).
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNFUSEELEMENTWISEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

bool mlir::attn::isFusibleElementwiseOp(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && isa<TilingInterface>(op) &&
         linalgOp.hasPureTensorSemantics() && op->getNumResults() == 1 &&
         linalgOp.getNumLoops() == linalgOp.getNumParallelLoops() &&
         llvm::all_of(linalgOp.getIndexingMapsArray(), [](AffineMap m) {
           // Tiles of other affine maps (e.g. `mod`) are not intervals.
           return m.isProjectedPermutation(/*allowZeroInResults=*/true);
         });
}

/// Replaces `slice`, a slice of a fusible producer's result, by the tiled
/// producer; returns the slices of the producer's operands that the tiled
/// producer reads, or failure when the producer does not tile.
static FailureOr<SmallVector<Operation *>>
fuseProducerIntoSlice(RewriterBase &rewriter, tensor::ExtractSliceOp slice) {
  auto producer = cast<OpResult>(slice.getSource());
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(slice);
  Location loc = slice.getLoc();
  // The TilingInterface produces full-rank tiles: tile a full-rank copy of
  // the slice, then drop the unit dimensions the original slice dropped.
  tensor::ExtractSliceOp fullRank = slice;
  bool rankReduced =
      slice.getType().getRank() != slice.getSourceType().getRank();
  if (rankReduced)
    fullRank = tensor::ExtractSliceOp::create(
        rewriter, loc, slice.getSource(), slice.getMixedOffsets(),
        slice.getMixedSizes(), slice.getMixedStrides());
  FailureOr<TilingResult> tiled =
      tensor::replaceExtractSliceWithTiledProducer(rewriter, fullRank,
                                                   producer);
  if (failed(tiled)) {
    if (rankReduced)
      rewriter.eraseOp(fullRank);
    return failure();
  }
  Value tile = tiled->tiledValues.front();
  if (rankReduced) {
    auto tileT = cast<RankedTensorType>(tile.getType());
    SmallVector<OpFoldResult> zeros(tileT.getRank(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(tileT.getRank(), rewriter.getIndexAttr(1));
    tile = tensor::ExtractSliceOp::create(rewriter, loc, slice.getType(), tile,
                                          zeros, slice.getMixedSizes(), ones);
    rewriter.eraseOp(fullRank);
  } else if (tile.getType() != slice.getType()) {
    tile = tensor::CastOp::create(rewriter, loc, slice.getType(), tile);
  }
  rewriter.replaceOp(slice, tile);
  return tiled->generatedSlices;
}

/// At most this many arith ops per element make a producer cheap enough to
/// recompute for every query tile that reads a key/value tile.
static constexpr int64_t kMaxRecomputedOps = 8;

/// True when recomputing `op` per tile costs a few vector instructions per
/// element: only arith ops (no math functions, no gathers through
/// tensor.extract), at most kMaxRecomputedOps of them.
static bool isCheapToRecompute(Operation *op) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  int64_t n = 0;
  for (Operation &o : linalgOp.getBlock()->without_terminator()) {
    if (!isa<arith::ArithDialect>(o.getDialect()) && !isa<linalg::IndexOp>(o))
      return false;
    ++n;
  }
  return n <= kMaxRecomputedOps;
}

/// True when the offsets of `slice` depend on every induction variable of
/// `loop`: then no two iterations read the same elements, and a producer
/// fused into the slice computes each element once.
static bool isReadOncePerElement(scf::ForallOp loop,
                                 tensor::ExtractSliceOp slice) {
  SetVector<Value> used;
  SmallVector<Value> worklist(slice.getOffsets().begin(),
                              slice.getOffsets().end());
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!used.insert(v))
      continue;
    if (Operation *def = v.getDefiningOp())
      if (loop->isAncestor(def))
        worklist.append(def->operand_begin(), def->operand_end());
  }
  return llvm::all_of(loop.getInductionVars(),
                      [&](Value iv) { return used.contains(iv); });
}

/// True when `slice` reads the result of a fusible op defined outside `loop`.
/// Slices read by several iterations (key/value tiles, read once per query
/// tile and per query head of a group) and slices inside the key loop only
/// take cheap producers: an expensive one (a rotary embedding with its
/// gathers) costs less computed once outside the loop.
static bool isFusibleProducerSlice(scf::ForallOp loop, Operation *op) {
  auto slice = dyn_cast<tensor::ExtractSliceOp>(op);
  if (!slice)
    return false;
  Operation *def = slice.getSource().getDefiningOp();
  if (!def || loop->isAncestor(def) || !isFusibleElementwiseOp(def))
    return false;
  bool once = slice->getParentOp() == loop.getOperation() &&
              isReadOncePerElement(loop, slice);
  return once || isCheapToRecompute(def);
}

/// Makes every rank-reducing parallel_insert_slice of `loop` insert a
/// full-rank tile (an expand_shape of the tile), the form consumer fusion
/// maps back to the consumer's iteration space.
static void expandInsertedTiles(RewriterBase &rewriter, scf::ForallOp loop) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(loop.getTerminator());
  for (Operation &op : loop.getTerminator().getYieldingOps()) {
    auto insert = dyn_cast<tensor::ParallelInsertSliceOp>(&op);
    if (!insert ||
        insert.getSourceType().getRank() == insert.getDestType().getRank())
      continue;
    llvm::SmallBitVector dropped = insert.getDroppedDims();
    // Each dropped unit dimension joins the group of the next kept one;
    // trailing dropped dimensions join the last group.
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (unsigned i = 0, e = dropped.size(); i < e; ++i) {
      pending.push_back(i);
      if (!dropped[i]) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    if (groups.empty())
      continue;
    groups.back().append(pending.begin(), pending.end());
    auto fullT = RankedTensorType::get(insert.getStaticSizes(),
                                       insert.getSourceType().getElementType());
    Value full = tensor::ExpandShapeOp::create(rewriter, insert.getLoc(), fullT,
                                               insert.getSource(), groups);
    rewriter.modifyOpInPlace(
        insert, [&] { insert.getSourceMutable().assign(full); });
  }
}

FailureOr<scf::ForallOp>
mlir::attn::fuseElementwiseIntoAttentionLoop(RewriterBase &rewriter,
                                             scf::ForallOp loop,
                                             unsigned *numFused) {
  unsigned fused = 0;
  // Producers: every slice of a fusible result read in the loop, then the
  // slices the tiled producers read in turn (chains of elementwise ops).
  SmallVector<Operation *> worklist;
  loop.getBody()->walk([&](tensor::ExtractSliceOp s) {
    if (isFusibleProducerSlice(loop, s))
      worklist.push_back(s);
  });
  while (!worklist.empty()) {
    auto slice = cast<tensor::ExtractSliceOp>(worklist.pop_back_val());
    FailureOr<SmallVector<Operation *>> next =
        fuseProducerIntoSlice(rewriter, slice);
    if (failed(next))
      continue;
    ++fused;
    for (Operation *s : *next)
      if (isFusibleProducerSlice(loop, s))
        worklist.push_back(s);
  }

  // Consumers: an elementwise op reading a result of the loop is computed
  // for the tile the loop writes; its own consumers follow.
  expandInsertedTiles(rewriter, loop);
  bool changed = true;
  while (changed) {
    changed = false;
    for (OpResult r : loop->getResults()) {
      for (Operation *user : llvm::make_early_inc_range(r.getUsers())) {
        if (!isFusibleElementwiseOp(user) ||
            user->getBlock() != loop->getBlock())
          continue;
        SmallVector<LoopLikeOpInterface> loops = {
            cast<LoopLikeOpInterface>(loop.getOperation())};
        FailureOr<scf::SCFFuseConsumerOfSliceResult> res =
            scf::tileAndFuseConsumer(rewriter, user, loops);
        if (failed(res))
          continue;
        loop = cast<scf::ForallOp>(loops.front().getOperation());
        // The original consumer now reads nothing but its replacement.
        if (user->use_empty())
          rewriter.eraseOp(user);
        ++fused;
        changed = true;
        break;
      }
      if (changed)
        break;
    }
  }
  if (numFused)
    *numFused = fused;
  return loop;
}

namespace {
struct AttnFuseElementwisePass final
    : attn::impl::AttnFuseElementwisePassBase<AttnFuseElementwisePass> {
  void runOnOperation() override;
};
} // namespace

void AttnFuseElementwisePass::runOnOperation() {
  // The loops of an upstream tiling of attn.attention: an scf.forall whose
  // body holds attention tiles.
  SmallVector<scf::ForallOp> loops;
  getOperation()->walk([&](scf::ForallOp loop) {
    if (llvm::any_of(loop.getBody()->getOperations(), [](Operation &op) {
          auto a = dyn_cast<AttentionOp>(op);
          return a && a.hasTileCoordinates();
        }))
      loops.push_back(loop);
  });
  if (loops.empty())
    return;
  IRRewriter rewriter(&getContext());
  for (scf::ForallOp loop : loops)
    if (failed(fuseElementwiseIntoAttentionLoop(rewriter, loop)))
      return signalPassFailure();

  if (failed(cleanUpAfterFusion(getOperation())))
    return signalPassFailure();
}

LogicalResult mlir::attn::cleanUpAfterFusion(Operation *root) {
  // Slices of the producers' tensor.empty inits become smaller empties,
  // sizes read from fused producers' results are read from their inits,
  // loop results left without users (the unfused output once its consumer
  // moved inside) are dropped, and the unfused originals, now dead, go.
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  tensor::populateFoldTensorEmptyPatterns(patterns);
  tensor::DimOp::getCanonicalizationPatterns(patterns, ctx);
  tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
  scf::ForallOp::getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(root, std::move(patterns));
}
