//===- AttnVectorizeLinalg.cpp - tile and vectorise linalg for the CPU ----===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Tiles and vectorises the linalg ops on tensors that surround the
// attention (projections, MLPs, layer norms, activations, transposes) with
// the upstream machinery: TilingInterface tiling (scf::tileUsingSCF) into an
// scf.forall over the outer parallel loops and an scf.for nest of register
// or vector tiles, linalg::vectorize on each tile, loop-invariant subset
// hoisting (so that accumulators stay in registers across reduction loops),
// and the vector lowering patterns (contractions to outer products to FMAs,
// masks to masked transfers, transfers unrolled to rows).
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"
#include "attn/Dialect/Attn/Utils/CPUTarget.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNVECTORIZELINALGPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

/// Ops with fewer static iterations than this run on one thread: an OpenMP
/// parallel region costs a few microseconds, about the time of 16K f32
/// vector iterations.
static constexpr int64_t kMinParallelIterations = 1 << 14;

/// Target number of scf.forall tiles of an op that is not a contraction.
static constexpr int64_t kParallelChunks = 8;

/// Cache tile (per scf.forall iteration) of matmul-like contractions, in
/// rows x columns of the output: the B panel of a tile (K x 128 f32, 384 KiB
/// at K = 768) stays in L2 while the register tiles of the 64 rows reuse it.
static constexpr int64_t kCacheTileM = 64;
static constexpr int64_t kCacheTileN = 128;

static bool isInsideTiledAttention(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (isa<scf::ForallOp>(p) && p->hasAttr(kTiledAttentionAttrName))
      return true;
  return false;
}

/// The dimensions of a matmul-like contraction whose register tile can
/// vectorise along N: one or more M, N and K dimensions, float operands, and
/// the innermost N dimension innermost in the output (contiguous rows).
static std::optional<linalg::ContractionDimensions>
getRegisterTileableContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumDpsInputs() != 2 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  if (!llvm::all_of(op->getOperandTypes(), [](Type t) {
        return isa<FloatType>(getElementTypeOrSelf(t));
      }))
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!last || last.getPosition() != dims->n.back())
    return std::nullopt;
  return *dims;
}

/// True for the ops the generic (non-contraction) path tiles: every
/// indexing map a projected permutation (elementwise maps, broadcasts,
/// transposes, reductions), so that unit tiles of the outer loops and a
/// vector tile of the innermost loop are plain rectangular slices.
static bool hasProjectedPermutationMaps(linalg::LinalgOp op) {
  return llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) {
    return m.isProjectedPermutation(/*allowZeroInResults=*/true);
  });
}

/// True when a result holds elements narrower than a byte (i1): memory
/// keeps them one per byte, a vector of them is bit-packed, so a vector
/// store of such a buffer would write it wrongly. Sub-byte inputs are read
/// as vectors: attn-lower-i1-vector-memory (after bufferization) turns those
/// loads into byte loads.
static bool hasSubByteResults(linalg::LinalgOp op) {
  return llvm::any_of(op.getDpsInits(), [](Value v) {
    Type elem = getElementTypeOrSelf(v.getType());
    return elem.isIntOrFloat() && elem.getIntOrFloatBitWidth() < 8;
  });
}

/// True when the body reads a tensor with tensor.extract (a gather, as the
/// reference decomposition builds for a dynamic or tiled GQA head mapping).
/// The upstream vectoriser's classification of such reads as contiguous
/// loads gives wrong results once outer loops are tiled to unit tiles
/// (test/Integration/CPU/tiling-interface.mlir), so these ops stay scalar.
static bool hasGatherInBody(linalg::LinalgOp op) {
  return op->walk([](tensor::ExtractOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

static int64_t staticIterations(ArrayRef<int64_t> ranges) {
  int64_t n = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return ShapedType::kDynamic;
    n *= r;
  }
  return n;
}

/// Tile sizes of the scf.forall level: for a contraction, kCacheTileM x
/// kCacheTileN output tiles (one batch element, one index of outer M/N
/// dimensions); otherwise about kParallelChunks chunks of the first
/// non-unit parallel loop (a multiple of the vector size when it is the
/// innermost loop). Empty when the op stays on one thread.
static SmallVector<int64_t>
getParallelTileSizes(linalg::LinalgOp op,
                     const std::optional<linalg::ContractionDimensions> &dims,
                     int64_t vectorSize) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t iterations = staticIterations(ranges);
  if (!ShapedType::isDynamic(iterations) &&
      iterations < kMinParallelIterations)
    return {};
  unsigned numLoops = ranges.size();
  SmallVector<int64_t> sizes(numLoops, 0);
  // A tile that covers a static loop leaves it untiled.
  auto tileIfLarger = [&](unsigned d, int64_t tile) {
    if (ShapedType::isDynamic(ranges[d]) || ranges[d] > tile)
      sizes[d] = tile;
  };
  if (dims) {
    for (unsigned d : dims->batch)
      tileIfLarger(d, 1);
    for (unsigned d : dims->m)
      tileIfLarger(d, d == dims->m.back() ? kCacheTileM : 1);
    for (unsigned d : dims->n)
      tileIfLarger(d, d == dims->n.back() ? kCacheTileN : 1);
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return {};
    return sizes;
  }
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < numLoops; ++d) {
    if (iters[d] != utils::IteratorType::parallel || ranges[d] == 1)
      continue;
    bool innermost = d + 1 == numLoops;
    int64_t chunk;
    if (ShapedType::isDynamic(ranges[d]))
      chunk = innermost ? 8 * vectorSize : 16;
    else
      chunk = llvm::divideCeil(ranges[d], kParallelChunks);
    if (innermost)
      chunk = llvm::alignTo(chunk, vectorSize);
    if (!ShapedType::isDynamic(ranges[d]) && chunk >= ranges[d])
      return {};
    sizes[d] = chunk;
    return sizes;
  }
  return {};
}

/// Register/vector tile sizes and the loop order of the scf.for level for
/// `op` (already tiled for threads). Contractions: a regTileM x regTileN
/// output tile over unit steps of K, loops ordered batch, outer M/N, N, M,
/// K. Other ops: unit tiles of every non-unit loop but the innermost, which
/// gets `vectorSize` elements (or its static size when smaller); parallel
/// loops before reduction loops, so that reductions are innermost.
static void getRegisterTileSizes(
    linalg::LinalgOp op,
    const std::optional<linalg::ContractionDimensions> &dims,
    const LinalgCPUVectorizeOptions &options, SmallVectorImpl<int64_t> &sizes,
    SmallVectorImpl<int64_t> &interchange) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned numLoops = ranges.size();
  sizes.assign(numLoops, 1);
  interchange.clear();
  auto clampTo = [&](unsigned d, int64_t size) {
    if (!ShapedType::isDynamic(ranges[d]) && ranges[d] <= size)
      return ranges[d];
    return size;
  };
  if (dims) {
    unsigned mDim = dims->m.back(), nDim = dims->n.back();
    sizes[mDim] = clampTo(mDim, options.registerTileM);
    sizes[nDim] = clampTo(nDim, options.registerTileN);
    for (unsigned d : dims->batch)
      interchange.push_back(d);
    for (unsigned d : dims->m)
      if (d != mDim)
        interchange.push_back(d);
    for (unsigned d : dims->n)
      if (d != nDim)
        interchange.push_back(d);
    interchange.push_back(nDim);
    interchange.push_back(mDim);
    for (unsigned d : dims->k)
      interchange.push_back(d);
  } else {
    sizes[numLoops - 1] = clampTo(numLoops - 1, options.vectorSize);
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    for (unsigned d = 0; d < numLoops; ++d)
      if (iters[d] == utils::IteratorType::parallel)
        interchange.push_back(d);
    for (unsigned d = 0; d < numLoops; ++d)
      if (iters[d] != utils::IteratorType::parallel)
        interchange.push_back(d);
  }
  // A tile size equal to a static loop size leaves that loop untiled.
  for (unsigned d = 0; d < numLoops; ++d)
    if (!ShapedType::isDynamic(ranges[d]) && sizes[d] == ranges[d])
      sizes[d] = 0;
}

/// The loop of `op` whose tile is the vector lanes: the innermost N
/// dimension of a contraction, the innermost loop otherwise.
static unsigned
getLaneDim(linalg::LinalgOp op,
           const std::optional<linalg::ContractionDimensions> &dims) {
  return dims ? dims->n.back() : op.getNumLoops() - 1;
}

/// Splits `op` (upstream `linalg::splitOp`) so that no register tile of a
/// static loop is partial: a static loop of R iterations whose register tile
/// T does not divide R becomes a part of R - R mod T iterations and a
/// remainder; a remainder of the lane loop (`laneRemainder`) is split
/// further into power-of-two widths. Appends the parts to `parts`.
///
/// Partial tiles would otherwise be masked: masked stores of constant
/// masks, in the small static loops that LLVM fully unrolls, make the X86
/// DAG combiner superlinear in their number (a 2x3x49x49 linalg.fill
/// compiled for minutes). Lane widths that are not powers of two (24, 17)
/// make LLVM split the loop-carried accumulators of a register tile into
/// lane inserts and spills, slower than the masked tile they replace.
static LogicalResult
splitPartialTiles(RewriterBase &rewriter, linalg::LinalgOp op,
                  const std::optional<linalg::ContractionDimensions> &dims,
                  const LinalgCPUVectorizeOptions &options, bool laneRemainder,
                  SmallVectorImpl<linalg::LinalgOp> &parts) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> sizes, interchange;
  getRegisterTileSizes(op, dims, options, sizes, interchange);
  unsigned lane = getLaneDim(op, dims);
  for (unsigned d = 0, e = ranges.size(); d < e; ++d) {
    if (ShapedType::isDynamic(ranges[d]))
      continue;
    int64_t splitPoint = 0;
    if (sizes[d] != 0 && ranges[d] % sizes[d] != 0)
      splitPoint = ranges[d] - ranges[d] % sizes[d];
    else if (d == lane && laneRemainder && ranges[d] > 1 &&
             !llvm::isPowerOf2_64(ranges[d]))
      splitPoint = llvm::bit_floor(static_cast<uint64_t>(ranges[d]));
    if (splitPoint == 0)
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(op);
    // The tiled implementation of a linalg op on tensors (each part) does
    // not fail.
    auto [first, second] =
        linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()), d,
                        rewriter.getIndexAttr(splitPoint));
    auto firstOp = dyn_cast_if_present<linalg::LinalgOp>(first.getOperation());
    auto secondOp =
        dyn_cast_if_present<linalg::LinalgOp>(second.getOperation());
    if (!firstOp || !secondOp)
      return failure();
    if (failed(splitPartialTiles(rewriter, firstOp, dims, options,
                                 laneRemainder, parts)))
      return failure();
    return splitPartialTiles(rewriter, secondOp, dims, options,
                             laneRemainder || d == lane, parts);
  }
  parts.push_back(op);
  return success();
}

namespace {
/// Tiles and vectorises one op; reports the loops of its register tiles.
struct OpVectorizer {
  RewriterBase &rewriter;
  const LinalgCPUVectorizeOptions &options;

  /// Returns true when `op` was vectorised, with the scf.for loops of the
  /// register tiles of each of its parts (see splitPartialTiles) in
  /// `loopNests` (outermost first). An op whose tiles the vectoriser rejects
  /// stays tiled, as scalar linalg.
  bool run(linalg::LinalgOp op,
           SmallVectorImpl<SmallVector<LoopLikeOpInterface>> &loopNests) {
    auto dims = getRegisterTileableContraction(op);
    if ((!dims && !hasProjectedPermutationMaps(op)) || hasSubByteResults(op) ||
        hasGatherInBody(op))
      return false;
    // A static zero-trip loop: the op computes nothing (its loops lower to
    // empty loops), and a zero-sized vector type does not exist.
    if (llvm::is_contained(op.getStaticLoopRanges(), 0))
      return false;
    Operation *current = op;

    // Thread level.
    if (options.parallel) {
      SmallVector<int64_t> sizes =
          getParallelTileSizes(op, dims, options.vectorSize);
      if (!sizes.empty()) {
        FailureOr<Operation *> tiled = tile(
            current, sizes, {}, scf::SCFTilingOptions::LoopType::ForallOp);
        if (failed(tiled))
          return false;
        current = *tiled;
      }
    }

    // Parts without partial register tiles in their static loops.
    SmallVector<linalg::LinalgOp> parts;
    if (failed(splitPartialTiles(rewriter, cast<linalg::LinalgOp>(current),
                                 dims, options, /*laneRemainder=*/false,
                                 parts)))
      return false;

    bool vectorized = false;
    for (linalg::LinalgOp part : parts)
      vectorized |= vectorizePart(part, dims, loopNests);
    return vectorized;
  }

  /// Register level of one part: tiles and vectorises it; reports the
  /// loops of its tiles.
  bool
  vectorizePart(linalg::LinalgOp part,
                const std::optional<linalg::ContractionDimensions> &dims,
                SmallVectorImpl<SmallVector<LoopLikeOpInterface>> &loopNests) {
    Operation *current = part;
    SmallVector<int64_t> sizes, interchange;
    getRegisterTileSizes(part, dims, options, sizes, interchange);
    SmallVector<LoopLikeOpInterface> loops;
    if (llvm::any_of(sizes, [](int64_t s) { return s != 0; })) {
      FailureOr<Operation *> tiled =
          tile(current, sizes, interchange,
               scf::SCFTilingOptions::LoopType::ForOp, &loops);
      if (failed(tiled))
        return false;
      current = *tiled;
    }

    // Vector sizes: the tile sizes, or the static size of untiled loops.
    auto tiledOp = cast<linalg::LinalgOp>(current);
    SmallVector<int64_t> ranges = tiledOp.getStaticLoopRanges();
    SmallVector<int64_t> vectorSizes;
    for (auto [size, range] : llvm::zip_equal(sizes, ranges)) {
      if (size == 0 && ShapedType::isDynamic(range))
        return false;
      vectorSizes.push_back(size == 0 ? range : size);
    }
    // Explicit "not scalable" flags: an empty list builds vector types that
    // print like, but are not, the ones every other vector op uses.
    SmallVector<bool> scalableDims(vectorSizes.size(), false);
    if (failed(linalg::vectorizeOpPrecondition(
            current, vectorSizes, scalableDims,
            /*vectorizeNDExtract=*/true)))
      return false;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(current);
    FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
        rewriter, current, vectorSizes, scalableDims,
        /*vectorizeNDExtract=*/true, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/dims.has_value());
    if (failed(result))
      return false;
    rewriter.replaceOp(current, result->replacements);
    loopNests.push_back(std::move(loops));
    return true;
  }

  FailureOr<Operation *>
  tile(Operation *op, ArrayRef<int64_t> sizes, ArrayRef<int64_t> interchange,
       scf::SCFTilingOptions::LoopType loopType,
       SmallVectorImpl<LoopLikeOpInterface> *loops = nullptr) {
    scf::SCFTilingOptions tilingOptions;
    tilingOptions.setLoopType(loopType);
    tilingOptions.setTileSizes(
        getAsIndexOpFoldResult(rewriter.getContext(), sizes));
    if (!interchange.empty())
      tilingOptions.setInterchange(interchange);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> result =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), tilingOptions);
    if (failed(result) || result->tiledOps.size() != 1 ||
        !isa<linalg::LinalgOp>(result->tiledOps.front()))
      return failure();
    rewriter.replaceOp(op, result->replacements);
    if (loops)
      loops->append(result->loops.begin(), result->loops.end());
    return result->tiledOps.front();
  }
};
} // namespace

namespace {
/// A masked float min/max `vector.reduction` as an unmasked reduction of the
/// vector with its masked-off lanes replaced by -inf (max) or +inf (min).
/// convert-vector-to-llvm of MLIR 22 lowers the masked form with the wrong
/// neutral values (the negative subnormal closest to 0 for maximumf, which
/// beats every negative lane; FLT_MAX for minimumf, which beats +inf;
/// fixed upstream by llvm/llvm-project#222275): a row maximum over a
/// partial vector tile of negative values came out as -0.
struct MaskedMinMaxReductionToSelect : OpRewritePattern<vector::MaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MaskOp mask,
                                PatternRewriter &rewriter) const override {
    auto red = dyn_cast_or_null<vector::ReductionOp>(mask.getMaskableOp());
    if (!red || mask.hasPassthru())
      return failure();
    vector::CombiningKind kind = red.getKind();
    bool isMax = kind == vector::CombiningKind::MAXIMUMF ||
                 kind == vector::CombiningKind::MAXNUMF;
    bool isMin = kind == vector::CombiningKind::MINIMUMF ||
                 kind == vector::CombiningKind::MINNUMF;
    auto elem = dyn_cast<FloatType>(red.getVector().getType().getElementType());
    if (!(isMax || isMin) || !elem)
      return failure();
    Location loc = red.getLoc();
    Value inf = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            red.getVector().getType(),
            rewriter.getFloatAttr(
                elem, APFloat::getInf(elem.getFloatSemantics(), isMax))));
    Value kept = arith::SelectOp::create(rewriter, loc, mask.getMask(),
                                         red.getVector(), inf);
    Value r = vector::ReductionOp::create(rewriter, loc, kind, kept,
                                          red.getAcc(), red.getFastmath());
    rewriter.replaceOp(mask, r);
    return success();
  }
};
} // namespace

void mlir::attn::populateAttnCPUVectorLoweringPatterns(
    RewritePatternSet &patterns) {
  // vector.mask around transfers -> masked transfers; contractions -> outer
  // products -> FMAs of rows; reductions -> vector.reduction (masked float
  // min/max ones as selects and unmasked reductions).
  vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
  patterns.add<MaskedMinMaxReductionToSelect>(patterns.getContext());
  vector::populateVectorContractLoweringPatterns(
      patterns, vector::VectorContractLowering::OuterProduct);
  vector::populateVectorMultiReductionLoweringPatterns(
      patterns, vector::VectorMultiReductionLowering::InnerReduction);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorTransposeLoweringPatterns(
      patterns, vector::VectorTransposeLowering::EltWise);
}

void mlir::attn::populateAttnCPUVectorUnrollPatterns(
    RewritePatternSet &patterns) {
  // n-D transfers -> one transfer per innermost row, so that the later
  // vector-to-scf lowering finds only 1-D transfers (no stack buffers).
  vector::UnrollVectorOptions unroll;
  // Masked transfers (partial tiles) are split below, with their masks.
  unroll.setFilterConstraint([](Operation *op) {
    auto xfer = dyn_cast<VectorTransferOpInterface>(op);
    return success(xfer && !xfer.getMask());
  });
  unroll.setNativeShapeFn(
      [](Operation *op) -> std::optional<SmallVector<int64_t>> {
        auto xfer = cast<VectorTransferOpInterface>(op);
        VectorType type = xfer.getVectorType();
        if (type.getRank() < 2 || type.isScalable() ||
            !xfer.getPermutationMap().isMinorIdentity())
          return std::nullopt;
        SmallVector<int64_t> shape(type.getRank(), 1);
        shape.back() = type.getShape().back();
        return shape;
      });
  vector::populateVectorUnrollPatterns(patterns, unroll);
  vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
}

/// Applies `patterns` to the vector ops nested under `root` outside the
/// attention loops (and to the ops they create).
static void applyToVectorOps(Operation *root, RewritePatternSet &&patterns) {
  SmallVector<Operation *> vectorOps;
  root->walk([&](Operation *op) {
    if (isa<vector::VectorDialect>(op->getDialect()) &&
        !isInsideTiledAttention(op))
      vectorOps.push_back(op);
  });
  (void)applyOpPatternsGreedily(
      vectorOps, std::move(patterns),
      GreedyRewriteConfig().setStrictness(
          GreedyRewriteStrictness::ExistingAndNewOps));
}

unsigned mlir::attn::vectorizeLinalgForCPU(
    RewriterBase &rewriter, Operation *root,
    const LinalgCPUVectorizeOptions &options) {
  SmallVector<linalg::LinalgOp> candidates;
  root->walk([&](linalg::LinalgOp op) {
    if (op.hasPureTensorSemantics() && op.getNumLoops() > 0 &&
        isa<TilingInterface>(op.getOperation()) &&
        !isInsideTiledAttention(op))
      candidates.push_back(op);
  });
  unsigned numVectorized = 0;
  SmallVector<SmallVector<LoopLikeOpInterface>> loopNests;
  OpVectorizer vectorizer{rewriter, options};
  for (linalg::LinalgOp op : candidates)
    if (vectorizer.run(op, loopNests))
      ++numVectorized;
  if (numVectorized == 0)
    return 0;
  MLIRContext *ctx = root->getContext();

  // Canonical transfers (in_bounds inferred, unique constants as indices)
  // are what the subset hoisting matches. Accumulators (the output tile read
  // before and written after a reduction loop) then become loop-carried
  // vectors; innermost loop first.
  FrozenRewritePatternSet transferPatterns = [&] {
    RewritePatternSet patterns(ctx);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::InsertSliceOp::getCanonicalizationPatterns(patterns, ctx);
    return FrozenRewritePatternSet(std::move(patterns));
  }();
  for (ArrayRef<LoopLikeOpInterface> loops : loopNests) {
    if (loops.empty())
      continue;
    (void)applyPatternsGreedily(loops.front(), transferPatterns);
    for (LoopLikeOpInterface loop : llvm::reverse(loops))
      (void)hoistLoopInvariantSubsets(rewriter, loop);
  }

  RewritePatternSet lowering(ctx);
  populateAttnCPUVectorLoweringPatterns(lowering);
  applyToVectorOps(root, std::move(lowering));
  RewritePatternSet unroll(ctx);
  populateAttnCPUVectorUnrollPatterns(unroll);
  applyToVectorOps(root, std::move(unroll));

  // Masked n-D transfers (partial tiles): unrolled to 1-D masked transfers
  // here, on tensors, by the full-unroll vector-to-scf patterns. Left to
  // convert-vector-to-scf after bufferization they would get stack buffers
  // (memref.alloca), which inside an OpenMP loop keep the per-iteration
  // memref.alloca_scope from being inlined.
  SmallVector<Operation *> maskedTransfers;
  root->walk([&](VectorTransferOpInterface xfer) {
    if (xfer.getMask() && xfer.getVectorType().getRank() > 1 &&
        xfer.getPermutationMap().isMinorIdentity() &&
        !isInsideTiledAttention(xfer))
      maskedTransfers.push_back(xfer);
  });
  RewritePatternSet toSCF(ctx);
  populateVectorToSCFConversionPatterns(
      toSCF,
      VectorTransferToSCFOptions().enableFullUnroll().enableLowerTensors());
  (void)applyOpPatternsGreedily(
      maskedTransfers, std::move(toSCF),
      GreedyRewriteConfig().setStrictness(
          GreedyRewriteStrictness::ExistingAndNewOps));
  return numVectorized;
}

namespace {
struct AttnVectorizeLinalgPass final
    : attn::impl::AttnVectorizeLinalgPassBase<AttnVectorizeLinalgPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void AttnVectorizeLinalgPass::runOnOperation() {
  if (registerTileM < 0 || registerTileN < 0 || vectorSize < 0 ||
      vectorBits < 0) {
    getOperation()->emitError("attn-vectorize-linalg expects non-negative "
                              "register-tile-m, register-tile-n, "
                              "vector-size and vector-bits, got ")
        << static_cast<int64_t>(registerTileM) << ", "
        << static_cast<int64_t>(registerTileN) << ", "
        << static_cast<int64_t>(vectorSize) << " and "
        << static_cast<int64_t>(vectorBits);
    return signalPassFailure();
  }
  // Zero sizes are the target's (Utils/CPUTarget.h).
  CPUVectorTarget target = getCPUVectorTarget(vectorBits);
  LinalgCPUVectorizeOptions opts;
  opts.registerTileM = registerTileM ? registerTileM : target.contractionTileM;
  opts.registerTileN = registerTileN ? registerTileN : target.contractionTileN;
  opts.vectorSize = vectorSize ? vectorSize : target.vectorSize;
  opts.parallel = parallel;
  IRRewriter rewriter(&getContext());
  vectorizeLinalgForCPU(rewriter, getOperation(), opts);
}
