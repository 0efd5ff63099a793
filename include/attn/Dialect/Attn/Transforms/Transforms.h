//===- Transforms.h - attn transformations ----------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H
#define ATTN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
namespace linalg {
class AggregatedOpInterface;
class GenericOp;
} // namespace linalg
namespace scf {
class ForallOp;
} // namespace scf
namespace attn {
class AttentionOp;
class KVAppendOp;
class LinearAttentionOp;

/// Unit attribute that `tileAttentionOnline` puts on the scf.forall it
/// builds: a hint for -attn-vectorize-linalg, which leaves the tile bodies
/// inside alone (they are already register-tiled). Nothing depends on it for
/// correctness, so a canonicalisation that drops it costs speed only.
constexpr llvm::StringLiteral kTiledAttentionAttrName = "attn.tiled_attention";

/// Replaces `op` by its reference decomposition (linalg on tensors with
/// materialised scores) and returns the values that replaced its results.
FailureOr<SmallVector<Value>> decomposeAttention(RewriterBase &rewriter,
                                                 AttentionOp op);

/// Decomposes every `attn.attention` nested under `root`.
LogicalResult decomposeAllAttention(RewriterBase &rewriter, Operation *root);

/// Replaces `op` by its `linalg::AggregatedOpInterface` decomposition, built
/// in front of it, and returns the values that replaced its results. Fails,
/// with an error on the op, when the decomposition does.
FailureOr<SmallVector<Value>>
decomposeAggregatedOp(RewriterBase &rewriter, linalg::AggregatedOpInterface op);

/// Replaces every op nested under `root` that implements
/// `linalg::AggregatedOpInterface` (linalg.softmax, attn.attention) by its
/// decomposition. Fails, with an error on the op, on an aggregated op with
/// buffer operands (the upstream expansions build tensors) or one whose
/// decomposition fails.
LogicalResult decomposeAggregatedOps(RewriterBase &rewriter, Operation *root);

/// Tile sizes of the online-softmax lowering; 0 picks a size from the shape
/// (128 query rows, or the static query length rounded up to 32 when shorter;
/// 64 keys), which keeps the f32 score tile at 32 KiB, inside L1.
struct AttentionTileSizes {
  int64_t qTile = 0;
  int64_t kvTile = 0;
  /// Splits of the key axis run as separate parallel work items and merged
  /// through their running maxima (split-KV decode); 0 picks
  /// (chooseKVSplits): more than 1 only when static shapes give fewer
  /// parallel items than `numThreads` and at least 4 key tiles per split.
  int64_t kvSplits = 0;
  /// Threads the compiled code runs on, for the automatic split count
  /// (chooseKVSplits); 0: the compiling host's hardware threads.
  int64_t numThreads = 0;
  /// The decode path for ops with a few query rows (static Lq <= 16): tiles
  /// of one whole GQA group, (head, row) as the rows of matrix-vector
  /// micro-kernels.
  bool decode = true;
  /// Set by the tiling driver when the tiles it lowers lie within one query
  /// block of the op's key-block lists (the query tile divides q_block_size
  /// and starts at a multiple of it): their key loop then visits only the
  /// listed blocks. Other tiles (from foreign tilings) test each score's
  /// block against the list.
  bool keyBlockAlignedTiles = false;
  /// Vector register width of the target (Utils/CPUTarget.h), which sizes
  /// the micro-kernels' register blocks; 0: the compiling host's.
  int64_t vectorBits = 0;
};

/// Tiles `op` with the upstream TilingInterface driver into an scf.forall
/// over (batch, head, query tile) -- or, for split-KV, an scf.forall over
/// key splits merged by attn.merge_states -- fuses elementwise producers and
/// consumers into the forall (`fuseElementwise`, see
/// fuseElementwiseIntoAttentionLoop) and lowers each tile to the
/// FlashAttention-2 recurrence over the key tiles that the structured masks
/// and lengths may keep (see the `attn-tile` pass). Returns the replacement
/// values.
FailureOr<SmallVector<Value>>
tileAttentionOnline(RewriterBase &rewriter, AttentionOp op,
                    const AttentionTileSizes &sizes,
                    bool fuseElementwise = false);

/// True for ops the tiled attention may recompute per tile: linalg ops on
/// tensors with one result, only parallel loops and projected-permutation
/// indexing maps (casts, scaling, rotary embeddings, broadcasts, transposes,
/// gates, residual adds).
bool isFusibleElementwiseOp(Operation *op);

/// Rewrites `op`, a contraction C[m, n] += ext(A[m, k] or A[k, m]) *
/// ext(B[k, n]) with a static f32 C whose shape is a multiple of the register
/// block of the `vectorBits` target (Utils/CPUTarget.h; 0: the host), into
/// loops over register blocks of vector accumulators (the micro-kernels of
/// -attn-tile's padded tiles). A read through a high tensor.pad of
/// ub.poison reads the pad's source with clamped indices; with `bf16Dot` on
/// 512-bit targets, bf16 A and B take the AVX512-BF16 dot product. Returns
/// the value replacing `op`; fails (without creating IR) on other ops.
FailureOr<Value> registerBlockContraction(RewriterBase &rewriter,
                                          linalg::GenericOp op,
                                          int64_t vectorBits, bool bf16Dot);

/// The pattern applying registerBlockContraction to linalg.generic ops.
void populateRegisterBlockContractionPatterns(RewritePatternSet &patterns,
                                              int64_t vectorBits,
                                              bool bf16Dot);

/// Fuses into `loop` (an scf.forall holding attention tiles, from
/// tileAttentionOnline or any upstream tiling) the
/// elementwise producers of the tensors it slices (the query, key and value
/// tiles; chains of them) and the elementwise consumers of its results
/// (output casts, gates, residual adds; chains of them), through the
/// TilingInterface. Returns the loop, which consumer fusion replaces, and
/// the number of ops fused in `numFused`.
FailureOr<scf::ForallOp> fuseElementwiseIntoAttentionLoop(
    RewriterBase &rewriter, scf::ForallOp loop, unsigned *numFused = nullptr);

/// Cleans up `root` after fuseElementwiseIntoAttentionLoop: folds slices of
/// empty inits, drops loop results without users and erases the unfused
/// originals left dead.
LogicalResult cleanUpAfterFusion(Operation *root);

/// Tile and vector sizes of `vectorizeLinalgForCPU`.
struct LinalgCPUVectorizeOptions {
  /// Register tile of matmul-like contractions: output rows (M) x columns
  /// (N), accumulated in vector registers over unit steps of K.
  int64_t registerTileM = 8;
  int64_t registerTileN = 32;
  /// Elements per vector along the innermost loop of the other ops.
  int64_t vectorSize = 32;
  /// Distribute the outer parallel loops of ops with enough work over an
  /// scf.forall (OpenMP threads in the CPU pipeline).
  bool parallel = true;
};

/// Tiles and vectorises every linalg op on tensors nested under `root`,
/// except those inside an scf.forall marked `kTiledAttentionAttrName` (see
/// the `attn-vectorize-linalg` pass): matmul-like contractions into register
/// tiles of FMAs, ops whose indexing maps are projected permutations
/// (elementwise, broadcasts, transposes, reductions) into vectors along their
/// innermost loop. Then lowers the resulting vector ops (outside the
/// attention loops) with `populateAttnCPUVectorLoweringPatterns`. Ops the
/// vectoriser rejects stay scalar linalg (tiled, possibly). Returns the
/// number of ops vectorised.
unsigned vectorizeLinalgForCPU(RewriterBase &rewriter, Operation *root,
                               const LinalgCPUVectorizeOptions &options);

/// First vector lowering step of `vectorizeLinalgForCPU`: masked transfers,
/// vector.contract to outer products to FMAs, multi-reductions to
/// vector.reduction, transfer permutation maps, transposes.
void populateAttnCPUVectorLoweringPatterns(RewritePatternSet &patterns);

/// Second step: n-D transfers unrolled to innermost rows, leading unit
/// dimensions dropped, broadcasts and mask constructors lowered.
void populateAttnCPUVectorUnrollPatterns(RewritePatternSet &patterns);

/// Replaces `op` by an scf.for nest over (b, i) that inserts each new
/// `[Hkv, D]` slab into the pool iter_arg at its paged position, skipping
/// rows outside the table or the pool (docs/semantics.md, "KV append").
LogicalResult lowerKVAppend(RewriterBase &rewriter, KVAppendOp op);

/// Pattern rewriting a paged attn.attention into gathers of its pools and
/// the contiguous op (buildGatheredAttention).
void populateAttnGatherPagedPatterns(RewritePatternSet &patterns);

/// Patterns replacing f32 transcendental math ops (exp, log, tanh, ...) by
/// the upstream polynomial approximations, so that they vectorise.
void populateAttnMathApproximationPatterns(RewritePatternSet &patterns);

/// Lowers the vector loads and stores of i1 memrefs nested under `root` to
/// LLVM byte loads and stores (see the `attn-lower-i1-vector-memory` pass):
/// 1-D transfers become `vector.load`/`maskedload`/`store`/`maskedstore`,
/// which become `N`-byte accesses truncated to (or extended from) i1 lanes.
/// Fails, with a diagnostic, when a vector access of i1 memory is left that
/// it cannot lower.
LogicalResult lowerI1VectorMemoryToLLVM(Operation *root);

/// Replaces the attention subgraph that ends in the P.V contraction `root`
/// (a linalg contraction or tosa.matmul) by an `attn.attention`, reading Q,
/// K and V through the reshapes, transposes and head broadcasts that produce
/// them (see docs/raising.md). Fails, changing nothing, when `root` does not
/// end an attention the op can express or an intermediate value has other
/// users.
FailureOr<AttentionOp> raiseAttention(RewriterBase &rewriter, Operation *root);

/// Patterns raising linalg and TOSA attention subgraphs to `attn.attention`,
/// rooted at the final contraction (see `raiseAttention`).
void populateAttnRaisePatterns(RewritePatternSet &patterns);

/// Replaces every `attn.block_scores` and `attn.select_blocks` under `root`
/// by its reference decomposition (linalg on tensors).
LogicalResult lowerBlockSparseOps(RewriterBase &rewriter, Operation *root);

/// Algorithmic forms of `attn.linear_attention` (see the
/// `attn-lower-linear-attention` pass).
enum class LinearAttentionForm { automatic, parallel, chunked, recurrent };

struct LinearAttentionFormOptions {
  /// `automatic` picks from the shape (chooseLinearAttentionForm).
  LinearAttentionForm form = LinearAttentionForm::automatic;
  /// Tokens per chunk of the chunked form; 0 picks.
  int64_t chunkSize = 0;
};

/// The form `lowerLinearAttention` builds for `op`.
LinearAttentionForm
chooseLinearAttentionForm(LinearAttentionOp op,
                          const LinearAttentionFormOptions &options);

/// The chunk size of the chunked form of `op`.
int64_t getLinearAttentionChunkSize(LinearAttentionOp op,
                                    const LinearAttentionFormOptions &options);

/// Replaces `op` by linalg on tensors in the form chosen for it and returns
/// the replacement values.
FailureOr<SmallVector<Value>>
lowerLinearAttention(RewriterBase &rewriter, LinearAttentionOp op,
                     const LinearAttentionFormOptions &options);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H
