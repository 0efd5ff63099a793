//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnDecomposePass : Pass<"attn-decompose"> {
  let summary = "Decompose attn ops into linalg on tensors (reference semantics)";
  let description = [{
    Replaces every `attn.attention` with its reference decomposition:
    `linalg.generic` ops on tensors that materialise the `[B, Hq, Lq, Lkv]`
    score tensor, apply scale, softcap, `score_mod`, every mask and the
    normaliser, and contract with V. The output is the semantic oracle for
    every faster lowering; it uses O(B*Hq*Lq*Lkv) memory.

    Example:

    ```mlir
    %o = attn.attention ins(%q, %k, %v : tensor<1x1x4x8xf32>,
        tensor<1x1x6x8xf32>, tensor<1x1x6x8xf32>) {masks = [#attn.causal]}
        -> tensor<1x1x4x8xf32>
    ```

    becomes a chain of `linalg.fill`/`linalg.generic` ops ending in the
    division by the softmax denominator.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnTilePass : Pass<"attn-tile"> {
  let summary = "Tile attn ops into FlashAttention-2 online softmax with tile skipping";
  let description = [{
    Tiles every `attn.attention` with the upstream TilingInterface driver
    (`scf::tileUsingSCF`) into an `scf.forall` over (batch, query head,
    query tile) of attention tiles, then lowers each tile to the
    FlashAttention-2 recurrence (running row max, running sum, rescaled
    accumulator) over key/value tiles in an `scf.for`. An op that is already
    a tile (from a transform script) or a partial state is tiled and lowered
    the same way. Memory stays O(L): no [Lq, Lkv] buffer exists.

    Tile skipping: for every query tile the key loop runs only over the
    intersection of the key intervals of the structured mask terms
    (`StructuredMaskAttrInterface::buildKeyRange`), the per-sequence
    lengths and `[0, Lkv)`, computed symbolically from the (possibly
    dynamic) lengths, so empty tiles are never visited and a new shape needs
    no recompile. Inside the loop a tile proven full by every term
    (`buildTileIsFull`) and by the lengths takes a branch without any mask
    arithmetic; only partial tiles evaluate the keep predicate. Mask
    tensors, segment ids and `mask_mod` are evaluated on every visited
    tile. `score_mod`/`mask_mod` bodies are inlined into the tile body.

    Tile sizes default (option 0) to 128 query rows x 64 keys: the f32 score
    tile (32 KiB) stays in a 48 KiB L1 data cache and each transposed query
    tile is reused by every key tile; a static query length under 128
    shrinks the row tile to the length rounded up to 32. With a static Dqk,
    and a static Dv and tile sizes that are multiples of the target's
    register block (Dv and the query tile of 32 and the key tile of 8 with
    512-bit vectors, 16 and 4 with 256-bit ones; `vector-bits`), the tiles
    are static and padded: the scores are computed transposed (keys x
    queries) from a zero-padded transposed query tile built once per query
    tile and a key tile padded with `ub.poison` rows (their scores are
    masked), so both products are static linalg contractions that the
    target-specific `-attn-register-block-contractions` (next in the CPU
    pipeline) turns into register-blocked micro-kernels. This pass emits no
    target-specific operations.

    Split-KV: with `kv-splits` > 1 the key axis is tiled as a partial
    reduction (`PartialReductionOuterParallel`): an `scf.forall` over splits
    of whole key tiles, each a partial state (`partial`) tiled over (batch,
    head, query tile) by `scf.for` loops; `attn.merge_states` merges the
    splits (rescaling by exp(m_s - max m)) before the final division (decode
    shapes, Lq = 1, otherwise leave most threads idle). With `kv-splits` =
    0 the count comes from the static shape and `num-threads`: splits only
    when the parallel items are fewer than the threads, then `num-threads`
    splits of at least 4 key tiles each.

    Decode: an op with a static Lq <= 16, static head counts, a static Dqk
    and a static Dv that is a multiple of 16 (and `decode`) is tiled over
    (batch, GQA group) -- head tiles of g = Hq / Hkv heads, all Lq rows --
    so each key/value byte is read once per group; the tile body treats
    the g * Lq (head, row) pairs as its rows: Q.K^T with one vector
    accumulator per row along Dqk (K read once per key and row block,
    bf16/f16 widened in registers), P.V in a register block, the same
    masks, lengths, regions, sinks and normalisers.

    Key-block lists (`kv_blocks`): query tiles divide `q_block_size` so
    each lies in one query block, key tiles divide `kv_block_size`, and the
    key loop runs over the block's list -- per entry that is in range and
    not a repeat, the key tiles of that block within the masks' key range --
    so unlisted blocks cost nothing (no split-KV, no decode path). Tiles of
    a foreign tiling, which may span query blocks, visit every key tile and
    test each score's block against its row's list.

    Sinks enter as an extra key with logit `sink_h` and value 0 (initial
    running max `sink_h`, running sum 1). Softpick runs the same recurrence
    with the running max clamped at 0; sigmoid needs no running state.

    Example: causal attention, 128x64 tiles.

    ```mlir
    %o = attn.attention ins(%q, %k, %v : tensor<1x8x1024x64xf32>,
        tensor<1x8x1024x64xf32>, tensor<1x8x1024x64xf32>)
        {masks = [#attn.causal]} -> tensor<1x8x1024x64xf32>
    ```

    becomes a `scf.forall (%h, %q0) = (0, 0) to (8, 1024) step (1, 128)`
    whose key loop is `scf.for %k0 = %c0 to min(1024, %q0 + 128) step %c64`.
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t", /*default=*/"0",
           "Query rows per tile (parallel work item); 0 picks it from the "
           "shape (see AttentionTileSizes)">,
    Option<"kvTile", "kv-tile", "int64_t", /*default=*/"0",
           "Keys per tile of the online-softmax loop; 0 picks it">,
    Option<"kvSplits", "kv-splits", "int64_t", /*default=*/"0",
           "Parallel splits of the key axis merged through their maxima "
           "(split-KV decode); 0 picks (more than 1 only for small static "
           "work), 1 disables">,
    Option<"numThreads", "num-threads", "int64_t", /*default=*/"0",
           "Threads the compiled code runs on, for the automatic kv-splits "
           "(split only when the parallel items leave threads idle); 0: the "
           "compiling host's hardware threads">,
    Option<"decode", "decode", "bool", /*default=*/"true",
           "Decode path for a static Lq <= 16: tiles of one whole GQA group "
           "with (head, row) as the rows of matrix-vector micro-kernels">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"0",
           "Vector register width of the target CPU (512, 256 or 128), "
           "whose register block decides which tiles take the padded "
           "layout; 0: the compiling host's">,
    Option<"fuseElementwise", "fuse-elementwise", "bool", /*default=*/"false",
           "Fuse elementwise producers of Q/K/V and consumers of the output "
           "into the tiled loop before the tiles are lowered (see "
           "-attn-fuse-elementwise)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnFuseElementwisePass : Pass<"attn-fuse-elementwise"> {
  let summary = "Fuse elementwise producers and consumers into tiled attention";
  let description = [{
    For every `scf.forall` that holds attention tiles (from an upstream
    tiling, e.g. `transform.structured.tile_using_forall`; `-attn-tile`
    does the same with `fuse-elementwise` before it lowers its tiles),
    recomputes inside the loop, per tile, the
    elementwise producers of the query, key and value tiles it reads and
    the elementwise consumers of its outputs, instead of round-tripping
    them through memory: casts, scaling, rotary embeddings, broadcasts and
    transposes of Q/K/V; output casts, gates such as `sigmoid(G) * O`,
    residual adds and head-merging transposes of the output. Chains of such
    ops fuse one after the other.

    Fusible ops are linalg ops on tensors with one result and only parallel
    loops. Producers go through
    `tensor::replaceExtractSliceWithTiledProducer`, consumers through
    `scf::tileAndFuseConsumer` (both TilingInterface based). A producer
    whose slice several iterations read (the key and value tiles, read by
    every query tile and every query head of a GQA group) fuses only when it
    is a few arith ops: recomputed per query tile, that is small next to the
    2 * Tq flops per key element of the tile's dot products.

    ```mlir
    %q = linalg.generic ... ins(%x : tensor<1x8x1024x64xbf16>) { arith.extf }
    %o = attn.attention ins(%q, %k, %v : ...) -> tensor<1x8x1024x64xf32>
    %r = linalg.generic ... ins(%g, %o : ...) { sigmoid(g) * o }
    ```

    after `transform.structured.tile_using_forall` and
    `-attn-fuse-elementwise` (or `-attn-tile{fuse-elementwise}`) the cast
    runs on each query tile and the gate on each output tile, inside the
    forall; `%q` and `%o` no longer exist as whole tensors.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnGatherPagedPass : Pass<"attn-gather-paged"> {
  let summary = "Gather paged K/V pools into the contiguous layout";
  let description = [{
    Rewrites every `attn.attention` in a paged KV layout (`page_table`
    operand) into two `linalg.generic` gathers of its K and V pools through
    the page table, `[B, Hkv, max_pages * P, D]`, and the same op in the
    contiguous layout reading them: the op's semantics (docs/semantics.md,
    "Paged KV"), so every later lowering handles paged ops correctly. The
    gathers clamp table entries into the pool (entries past a sequence's
    length are never read out of bounds). The CPU pipeline runs it before
    `attn-tile`; a tiled path that reads pages in place replaces the copy
    later (docs/design.md, "Paged KV").

    ```mlir
    %o = attn.attention ins(%q, %kp, %vp : tensor<2x4x1x64xf32>,
        tensor<32x16x4x64xf32>, tensor<32x16x4x64xf32>)
        kv_lengths(%len : tensor<2xi32>)
        page_table(%table : tensor<2x8xi32>)
        outs(%init : tensor<2x4x1x64xf32>)
        {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<2x4x1x64xf32>
    ```

    becomes two `tensor<2x4x128x64xf32>` gathers and a contiguous op.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnLowerKVAppendPass : Pass<"attn-lower-kv-append"> {
  let summary = "Lower attn.kv_append to a loop of in-place slab inserts";
  let description = [{
    Replaces every `attn.kv_append` by an `scf.for` nest over the sequences
    `b` and new rows `i` whose iter_arg is the pool: each step computes the
    position `t = pos[b] + i`, its page `table[b, t floordiv P]` and row
    `t mod P`, and (inside `scf.if`s that skip rows outside the table or
    the pool, docs/semantics.md, "KV append") `tensor.insert_slice`s the
    `[Hkv, D]` slab `new[b, :, i, :]` into the pool. One-shot bufferization
    makes every insert write the pool buffer in place: no pool copy. The
    CPU pipeline runs it first.

    ```mlir
    %p = attn.kv_append ins(%k_new : tensor<2x4x1x64xf32>)
        positions(%len : tensor<2xi32>) page_table(%t : tensor<2x8xi32>)
        outs(%pool : tensor<32x16x4x64xf32>)
        {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<32x16x4x64xf32>
    ```

    becomes two nested `scf.for` (2 x 1 iterations) of
    `tensor.insert_slice ... [1, 1, 4, 64]` into the pool.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnBoundTensorFanoutPass : Pass<"attn-bound-tensor-fanout", "func::FuncOp"> {
  let summary = "Give each group of a tensor's many readers its own copy, so One-Shot Analysis stays linear";
  let description = [{
    A generic pass, not specific to attn ops, run right before One-Shot
    Bufferize. For every ranked tensor value defined at the top level of a
    function (a block argument of the function body or a result of an op
    directly in it) that has more than `max-uses` uses other than
    terminators and bufferization ops, the uses are split, in program
    order: `%v` keeps its first readers and the others read copies
    `bufferization.alloc_tensor() copy(%v)`, built right after `%v`, in
    groups of `max-uses`, so that `%v` and each copy end with at most
    `max-uses` uses. When the copies alone would be more than `max-uses`,
    every group reads a copy and the copies are split again (a tree). Replacing a use by a copy of the
    same tensor is always valid under value semantics.

    Reason: upstream One-Shot Analysis walks every use of a value's whole
    alias set once per analysed operand of that set, so a tensor read by U
    operations costs O(U^2) (4000 `tensor.extract` of one function argument
    took 1.8 s, 1000 took 0.1 s); a function whose attention ops all read
    the same K and V is quadratic in its number of ops
    (docs/design.md, Robustness 11). With groups of at most `max-uses`
    readers the analysis costs O(U * max-uses); the price is one copy of
    the tensor per `max-uses` readers (each of which reads it whole at
    least once in the attention case).

    ```mlir
    // max-uses = 2: three readers of %k; %k keeps one and one copy.
    %k1 = bufferization.alloc_tensor() copy(%k) : tensor<8xf32>
    %a = tensor.extract %k[%c0] : tensor<8xf32>
    %b = tensor.extract %k1[%c1] : tensor<8xf32>
    %c = tensor.extract %k1[%c2] : tensor<8xf32>
    ```
  }];
  let options = [
    Option<"maxUses", "max-uses", "int64_t", /*default=*/"256",
           "Most readers of one tensor value before its readers are split "
           "into groups that read copies (at least 2)">
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def AttnSplitDeallocsPass : Pass<"attn-split-deallocs", "func::FuncOp"> {
  let summary = "Split deallocs of many distinct allocations, so dealloc simplification stays linear";
  let description = [{
    A generic pass, not specific to attn ops, run between
    `-ownership-based-buffer-deallocation` and
    `-buffer-deallocation-simplification`. A `bufferization.dealloc` of more
    than `max-memrefs` memrefs, each of them a view (through view-like ops)
    of a `memref.alloc` or `memref.alloca` result, becomes several deallocs
    of at most `max-memrefs` memrefs each, all views of one allocation in
    the same one, each with the whole retained list; the updated conditions
    of the retained values are the `arith.ori` of the parts'. Views of
    distinct allocations never alias, so every buffer is freed exactly as
    before (the simplification makes the same split itself, for memrefs it
    proves not to alias, by pairwise queries). A dealloc with a memref of
    unknown origin is left alone.

    Reason: ownership-based deallocation frees a block's buffers at its end,
    so a function of n chained attention ops ends in one dealloc of n output
    buffers, and the simplification compares them pairwise
    (`BufferOriginAnalysis::isSameAllocation`): quadratic in the number of
    ops (docs/design.md, Robustness 11).
  }];
  let options = [
    Option<"maxMemrefs", "max-memrefs", "int64_t", /*default=*/"16",
           "Most memrefs of one dealloc after the split (at least 1)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def AttnNestedCSEPass : Pass<"attn-nested-cse", "func::FuncOp"> {
  let summary = "Common-subexpression elimination inside each loop nest of a function, in linear time";
  let description = [{
    A generic pass, not specific to attn ops: upstream CSE applied to the
    regions of every top-level op of a function that has regions (the
    `scf.forall` nests that `-attn-tile` and `-attn-vectorize-linalg`
    build), one nest at a time; the top-level ops themselves are not merged
    with each other.

    Reason: upstream `-cse` hashes an op by name, attributes, operands and
    result types but not by its regions, so the loop nests of a function
    with many attention ops (each nest's only operand is its destination,
    typically the same empty tensor) share one hash bucket and CSE compares
    their bodies pairwise: quadratic in the number of ops of one function
    (docs/design.md, Robustness 10). Inside each nest CSE works as before,
    which is where the tile bodies need it. The CPU pipeline runs this pass
    where it used to run `-cse`.
  }];
}

def AttnApproximateMathPass : Pass<"attn-approximate-math"> {
  let summary = "Replace f32 transcendental math ops by polynomial approximations";
  let description = [{
    A generic pass, not specific to attn ops: it rewrites `math` ops
    anywhere. It lives with the attn transforms because the attn CPU
    pipeline is its user and needs it shipped in `attn-opt`, the plugin and
    the C API; upstream has the patterns but registers no pass that applies
    them.

    Applies the upstream math polynomial approximations (exp, log, tanh,
    ...) and f32 expansions to every op nested under the root, so that the
    softmax exponentials become plain arithmetic that LLVM vectorises,
    instead of one libm call per score. The approximations are accurate to
    a few ULP in f32, inside the 1e-5 relative tolerance of the numeric
    check.

    ```mlir
    %e = math.exp %x : f32
    ```

    becomes a range reduction and a polynomial in `arith` ops.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnRegisterBlockContractionsPass
    : Pass<"attn-register-block-contractions"> {
  let summary = "Rewrite small static contractions into register-blocked vector loops for the CPU";
  let description = [{
    The target-specific half of `-attn-tile`'s padded tiles, usable on any
    linalg: every `linalg.generic` of the form

      C[m, n] = C[m, n] + ext(A[m, k] or A[k, m]) * ext(B[k, n])

    with a static f32 C whose rows are a multiple of the target's block rows
    and whose columns a multiple of its block vectors x lanes (8 x 2 vectors
    of 16 lanes with 512-bit vectors, 4 x 2 of 8 with 256-bit ones) becomes
    loops over register blocks: each block of vector accumulators stays in
    registers across the reduction loop, which broadcasts one scalar of A
    per row and loads the vectors of B (FMA-bound rather than load-bound).
    A and B may be f32, f16 or bf16 (widened in registers; a B defined
    outside the contraction's loop is widened once where it is defined).
    An A that is a high-only `tensor.pad` of `ub.poison` is read from the
    pad's source with clamped indices, so no padded copy exists (the values
    of padded rows are unspecified: -attn-tile masks their scores). A C
    that is a `linalg.fill` of 0 starts from zero registers.

    With `bf16-dot` and 512-bit vectors, bf16 A (indexed (m, k)) and B with
    an even static reduction use AVX512-BF16 `x86vector.avx512.dot`
    (vdpbf16ps, two bf16 products per f32 lane) on B laid out as bf16 pairs
    along k, built once where B is defined; the lowering must then enable
    the X86Vector dialect and the target CPU must have avx512_bf16.

    The pass applies to the whole input: outside the attention loops it
    also register-blocks contractions that `-attn-vectorize-linalg` left,
    without cache tiling.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"0",
           "Vector register width of the target CPU (512, 256 or 128), "
           "which sizes the register blocks; 0: the compiling host's">,
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "bf16 contractions with AVX512-BF16 `x86vector.avx512.dot` "
           "(vdpbf16ps, f32 accumulation); the target must have "
           "avx512_bf16">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect"
  ];
}

def AttnVectorizeLinalgPass : Pass<"attn-vectorize-linalg"> {
  let summary = "Tile and vectorise the linalg ops outside the attention loops for the CPU";
  let description = [{
    A generic CPU pass over linalg ops, not specific to attn ops (its only
    attn-specific rule is to leave the loops `-attn-tile` built alone). It
    lives with the attn transforms because the attn CPU pipeline is its
    user and it is shipped in `attn-opt`, the plugin and the C API.

    Tiles and vectorises the linalg ops on tensors around the attention
    (projections, MLPs, layer norms, activations, transposes), with the
    upstream TilingInterface tiling (`scf::tileUsingSCF`) and linalg
    vectoriser. Ops inside an `scf.forall` marked `attn.tiled_attention`
    (built by `-attn-tile`) are left alone.

    * Matmul-like contractions (`linalg.matmul`, `linalg.batch_matmul`,
      contraction `linalg.generic`s; float operands, the innermost N
      dimension innermost in the output): an `scf.forall` over 64 x 128
      output tiles (one per batch element), then `scf.for` loops over
      `register-tile-m` x `register-tile-n` register tiles and unit steps of
      K. Each tile becomes a `vector.contract`, lowered to outer products and
      `vector.fma` on rows of B; the output tile is read before the K loop
      and written after it (loop-invariant subset hoisting), so the
      accumulators stay in registers.
    * Ops whose indexing maps are projected permutations (elementwise maps,
      broadcasts, transposes, reductions, `linalg.fill`): an `scf.forall` of
      about 8 chunks of the first non-unit parallel loop, then unit tiles of
      every loop but the innermost, which gets `vector-size` elements;
      reduction loops run innermost with hoisted accumulators.

    Ops with fewer than 16384 static iterations get no `scf.forall`
    (`parallel=false`: none do). Static loops get no partial register
    tiles: the op (inside its `scf.forall`) is split with the upstream
    `linalg::splitOp` into a part of whole tiles and a remainder, the
    remainder of the vector lane loop into power-of-two widths, and each
    part is vectorised without masks. (Masked stores of constant masks, in
    the small static loops that LLVM fully unrolls, make the X86 DAG
    combiner superlinear in their number; lanes that are not a power of
    two spill loop-carried accumulators.) Partial tiles of dynamic sizes
    are vectorised with masks. Ops the vectoriser
    rejects (e.g. convolutions, non-permutation maps) and ops with `i1`
    results stay scalar; `i1` inputs (mask tensors) are read as
    `vector<N x i1>`, which `attn-lower-i1-vector-memory` later loads as
    bytes. The vector ops are then lowered: masked transfers, contractions to FMAs,
    multi-reductions to `vector.reduction`, transposes, broadcasts, and n-D
    transfers unrolled to rows.

    Example:

    ```mlir
    %r = linalg.matmul ins(%a, %b : tensor<128x768xf32>, tensor<768x3072xf32>)
        outs(%c : tensor<128x3072xf32>) -> tensor<128x3072xf32>
    ```

    becomes `scf.forall (%i, %j) in (2, 24)` around
    `scf.for` loops over 8 x 32 tiles whose K loop carries a
    `vector<8x32xf32>` accumulator updated by eight `vector.fma` of
    `vector<32xf32>` per step.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"0",
           "Vector register width of the target CPU (512, 256 or 128), "
           "which gives the defaults of the three sizes below; 0: the "
           "compiling host's">,
    Option<"registerTileM", "register-tile-m", "int64_t", /*default=*/"0",
           "Output rows of the register tile of contractions; 0: the "
           "target's (8 for 512-bit vectors, 4 for 256 and 128)">,
    Option<"registerTileN", "register-tile-n", "int64_t", /*default=*/"0",
           "Output columns (vector lanes) of the register tile of "
           "contractions; 0: the target's (32, 16, 8)">,
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"0",
           "Vector length along the innermost loop of other ops; 0: the "
           "target's (32, 16, 8)">,
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Distribute the outer parallel loops over an scf.forall">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnDecomposeAggregatesPass : Pass<"attn-decompose-aggregates"> {
  let summary = "Decompose aggregated linalg ops (linalg.softmax) into linalg.generic";
  let description = [{
    A generic pass, not specific to attn ops: upstream has no pass that
    applies `AggregatedOpInterface::decomposeOperation`, and the attn CPU
    pipeline needs one for the `linalg.softmax` of graphs that were not
    raised, so it lives with the attn transforms.

    Replaces every op on tensors that implements
    `linalg::AggregatedOpInterface` by its `decomposeOperation` expansion.
    Upstream this covers `linalg.softmax` (row max, `exp(x - max)`, row sum,
    division, as `linalg.generic` ops), which `convert-linalg-to-loops`
    cannot lower; it also covers `attn.attention`, which gets its reference
    decomposition (the CPU pipeline runs this pass after `attn-tile`, so
    only the attention subgraphs that were not raised to `attn.attention`
    are left for it). Ops on buffers are rejected: the upstream expansions
    build tensors, so the pass must run before bufferization.

    Example:

    ```mlir
    %p = linalg.softmax dimension(2) ins(%s : tensor<12x128x128xf32>)
        outs(%e : tensor<12x128x128xf32>) -> tensor<12x128x128xf32>
    ```

    becomes a max reduction, an `exp(x - max)` map, a sum reduction and a
    division, each a `linalg.generic` on tensors.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnRaisePass : Pass<"attn-raise", "func::FuncOp"> {
  let summary = "Raise linalg and TOSA attention subgraphs to attn.attention";
  let description = [{
    Recognises `softmax(scale * Q.K^T + mask) . V` spelled in linalg on
    tensors (named matmuls, `linalg.generic` contractions, `linalg.softmax`
    or its decomposition into max/sub/exp/sum/div ops, mask adds or selects)
    or in TOSA (`tosa.matmul`, `tosa.transpose`, `tosa.mul`, `tosa.add`,
    `tosa.reduce_max`, `tosa.sub`, `tosa.exp`, `tosa.reduce_sum`,
    `tosa.reciprocal`) and replaces it by one `attn.attention`, leaving the
    rest of the function as it is. Patterns are rooted at the final P.V
    contraction.

    * Q, K and V are traced back through reshapes, transposes and
      broadcasts to `[B, H, L, D]` tensors: a `[B*H, L, D]` batch_matmul
      attention reads the head-split tensors, and key/value heads repeated
      for grouped-query attention (broadcast + collapse) are read un-repeated
      (`Hkv < Hq`).
    * Constant scale factors (multiplications or divisions of the scores)
      become the `scale` attribute.
    * Mask terms that are compile-time functions of the query and key
      positions (constant tensors, `linalg.index` comparisons) become
      `#attn.causal` or `#attn.sliding_window` when their keep pattern is
      exactly one of these (bottom-right aligned); other masks become the
      `mask` operand.
    * Nothing is raised when an intermediate value (scores, exponentials,
      probabilities) has another user, when the softmax runs over another
      axis than the one contracted with V, or when a scale is applied after
      the softmax.

    See docs/raising.md for every recognised form. Example:

    ```mlir
    %s = linalg.batch_matmul indexing_maps = [
           affine_map<(b, m, n, k) -> (b, m, k)>,
           affine_map<(b, m, n, k) -> (b, n, k)>,
           affine_map<(b, m, n, k) -> (b, m, n)>]
         ins(%q, %k : tensor<8x16x64xf32>, tensor<8x16x64xf32>)
         outs(%zero : tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
    %p = linalg.softmax dimension(2) ins(%s : tensor<8x16x16xf32>)
         outs(%e : tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
    %o = linalg.batch_matmul ins(%p, %v : tensor<8x16x16xf32>,
         tensor<8x16x64xf32>) outs(%zero2 : tensor<8x16x64xf32>)
         -> tensor<8x16x64xf32>
    ```

    becomes `attn.attention` with `scale = 1.0` on `[1, 8, 16, 64]`
    expansions of Q, K and V, its result collapsed back to `8x16x64`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::attn::AttnDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnLowerI1VectorMemoryPass : Pass<"attn-lower-i1-vector-memory"> {
  let summary = "Lower vector loads and stores of i1 memrefs to byte accesses";
  let description = [{
    A generic lowering, not specific to attn ops: it applies to any vector
    access of an `i1` memref. It lives with the attn transforms because the
    attn CPU pipeline (mask tensors are `i1`) is its user.

    A `memref` of `i1` keeps one element per byte (as the LLVM lowering of
    `memref.load`/`memref.store` and PyTorch's and numpy's bool tensors
    do), but LLVM lays a `vector<N x i1>` out bit-packed in memory, so the
    upstream lowering of a vector load or store of such a memref reads or
    writes the wrong bits. This pass lowers the 1-D vector transfers on
    `i1` memrefs to `vector.load`/`vector.maskedload`/`vector.store`/
    `vector.maskedstore` (materialising masks for out-of-bounds
    transfers) and converts those to LLVM: a load of `N` bytes truncated
    to `i1` lanes, a store of the lanes zero-extended to bytes. The memref
    operands are cast to their LLVM descriptors
    (`builtin.unrealized_conversion_cast`, resolved by the later memref
    lowering). A vector access of `i1` memory that is left in another form
    (an n-D transfer, a transfer on a memref whose innermost stride is not
    1) is an error rather than a silent misread. Run it after
    `convert-vector-to-scf` and before `convert-vector-to-llvm`; the CPU
    pipeline does.

    Example:

    ```mlir
    %v = vector.transfer_read %m[%i], %false {in_bounds = [true]}
        : memref<64xi1>, vector<32xi1>
    ```

    becomes a GEP to element `%i`, `llvm.load ... : vector<32xi8>` and
    `llvm.trunc ... : vector<32xi8> to vector<32xi1>`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnLowerBlockSparsePass : Pass<"attn-lower-block-sparse"> {
  let summary = "Lower attn.block_scores and attn.select_blocks to linalg";
  let description = [{
    Replaces every `attn.block_scores` and `attn.select_blocks` by its
    reference decomposition in linalg on tensors (docs/semantics.md,
    "Semantics of the block-sparsity ops"): pooled keys, scores, the
    optional block softmax and the reduction over a GQA group and query
    block; the top-k selection as a rank count with explicit tie-breaking
    and the counts and padded block lists. The CPU pipeline runs it first,
    on both of its paths. `-attn-decompose` lowers the same ops.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def AttnLowerLinearAttentionPass : Pass<"attn-lower-linear-attention"> {
  let summary = "Lower attn.linear_attention in the algorithmic form chosen for its shape";
  let description = [{
    Replaces every `attn.linear_attention` by linalg on tensors (and an
    `scf.for` over chunks or tokens) in one of its forms (docs/semantics.md,
    "Linear attention"; docs/design.md, "Linear attention forms"):

    * `parallel`: the reference decomposition, the [B, Hq, L, L] matrix of
      decayed, masked products (O(L^2) work and memory);
    * `chunked`: chunks of `C` tokens (the sequence padded to a multiple of
      `C`): the chunk state piece (each chunk's contribution to the state
      and its decay), the state scan (a left-to-right scan of the
      (decay, state) pairs from the initial state), the chunk output piece
      (intra-chunk quadratic part plus the state entering the chunk);
    * `recurrent`: one state update and one output row per token (the
      decode form: `L = 1` with a state cache).

    `auto` picks `recurrent` for a static `L = 1`, `parallel` for a static
    `L <= C`, `chunked` otherwise. A non-causal op has one state per
    sequence: its `chunked` and `recurrent` forms both evaluate
    `phi(Q) (S0 + phi(K)^T V)` (key-value first); with packed sequences it
    always takes the parallel form.
  }];
  let options = [
    Option<"form", "form", "std::string", /*default=*/"\"auto\"",
           "Form to use: auto, parallel, chunked or recurrent">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"0",
           "Tokens per chunk of the chunked form; 0 picks it (64, 128 for "
           "static head dims of 128 or more, 32 with a per-channel gate)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
