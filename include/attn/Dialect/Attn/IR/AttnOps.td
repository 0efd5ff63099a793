//===- AttnOps.td - attn operations ------------------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_TD

include "attn/Dialect/Attn/IR/AttnBase.td"
include "attn/Dialect/Attn/IR/AttnAttrs.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/TilingInterface.td"

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

def Attn_AttentionOp : Attn_Op<"attention", [
    AttrSizedOperandSegments,
    RecursiveMemoryEffects,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<TilingInterface,
        ["getIterationDomain", "getLoopIteratorTypes",
         "getTiledImplementation", "getResultTilePosition",
         "generateResultTileValue"]>,
    DeclareOpInterfaceMethods<PartialReductionOpInterface,
        ["generateInitialTensorForPartialReduction", "tileToPartialReduction",
         "mergeReductions", "getPartialResultTilePosition"]>]> {
  let summary = "scaled dot-product attention with masks, modifiers and normalisers";
  let description = [{
    Computes attention for query `Q: [B, Hq, Lq, Dqk]`, key `K: [B, Hkv, Lkv,
    Dqk]` and value `V: [B, Hkv, Lkv, Dv]`. `Hq` is a multiple of `Hkv`;
    query head `h` reads key/value head `h / (Hq / Hkv)` (MHA when equal,
    GQA/MQA otherwise). `Dqk` and `Dv` may differ (MLA). All arithmetic is
    done in f32 whatever the input element type (f32, f16, bf16).

    For every `b, h, i < Lq, j < Lkv` with `g = Hq / Hkv`:

    ```
    s      = scale * sum_d Q[b,h,i,d] * K[b,h/g,j,d]       scale default 1/sqrt(Dqk)
    s      = softcap * tanh(s / softcap)                  if softcap is set
    s      = score_mod(s, b, h, i, j)                     if the region is present
    s      = s + mask[b,h,i,j]                            if mask is floating point
    keep   = mask[b,h,i,j]                                if mask is i1
           & i < q_lengths[b] & j < kv_lengths[b]         if given
           & q_segment_ids[b,i] == kv_segment_ids[b,j]    if given
           & AND_t masks[t](i + kvlen_b - qlen_b, j)       structured terms
           & mask_mod(b, h, i, j)                         if the region is present
    s      = keep ? s : -inf
    ```

    where `qlen_b`/`kvlen_b` are `q_lengths[b]`/`kv_lengths[b]` when given
    and `Lq`/`Lkv` otherwise (so causal masks are bottom-right aligned per
    sequence). The mask tensor broadcasts numpy-style from the right against
    `[B, Hq, Lq, Lkv]`. Then, with `m_i = max_j s_ij`:

    * `softmax` (default): `p_ij = exp(s_ij) / (sum_j exp(s_ij) + exp(sink_h))`,
      the sink term present only with the `sinks` operand (one logit per
      query head); `lse_i = log(sum_j exp(s_ij) + exp(sink_h))`.
    * `sigmoid`: `p_ij = sigmoid(s_ij + sigmoid_bias)` (0 where masked), no
      normalisation.
    * `softpick`: `p_ij = relu(exp(s_ij) - 1) / (sum_j |exp(s_ij) - 1| + 1e-6)`,
      the sum over kept scores only.

    `O[b,h,i,e] = sum_j p_ij * V[b,h/g,j,e]`, converted to the result element
    type. A row with no kept score gives `O = 0` and `lse = -inf` (never NaN).
    The optional second result is the log-sum-exp `[B, Hq, Lq]` in f32; it
    exists only for `softmax`.

    The `score_mod` region takes `(f32 score, index b, index h, index q_idx,
    index kv_idx)` and yields the new f32 score; `mask_mod` takes the four
    indices and yields `i1` (true keeps). Both may read values defined above
    the op (ALiBi slopes, bias tables) and must be free of side effects.

    The op is in destination-passing style: `outs` holds one init per
    result. In the default (normalised) form the inits are the output and
    the optional log-sum-exp destinations; their contents are not read.

    **Partial form** (`partial` unit attribute): the op computes the
    unnormalised running state of its key range and combines it with the
    state held by its three inits `(acc [B, Hq, Lq, Dv], max [B, Hq, Lq],
    sum [B, Hq, Lq])`, all f32 (docs/semantics.md, "Partial states"):
    `acc = sum_j w_ij V[j] * e^(-max)`, `sum = sum_j |w_ij| * e^(-max)` in
    the normaliser's shifted units, combined with the init state as
    `attn.merge_states` combines two states. The identity state is
    `(0, -inf, 0)` (`(0, 0, 0)` for `sigmoid`, whose state carries no
    maximum). Sinks are applied when the state is finalised, so a partial
    op takes none. The partial form is what tiling the key axis produces
    (`PartialReductionOpInterface`, `tile_reduction_using_for/forall`).

    **Tile coordinates** (`offsets(%b0, %h0, %q0, %kv0) problem(%lq, %lkv,
    %g)`): the op is the tile at these offsets of a larger problem with
    `lq` query rows, `lkv` keys and `g` query heads per key/value head.
    Every index the semantics uses is global: `b + b0`, `h + h0`,
    `i + q0`, `j + kv0` in the regions, the length and structured-mask
    tests and the alignment (`qlen_b`/`kvlen_b` default to `lq`/`lkv`);
    local query head `h` reads local key/value head
    `(h0 + h) / g - h0 / g`. The tensor operands are the tile's slices.
    Tiling through `TilingInterface` produces this form.

    **Paged KV** (`page_table` operand, `kv_layout = #attn.kv_layout<paged_nhd>`
    or `<paged_hnd>`): `K` and `V` are page pools, `[pages, P, Hkv, D]`
    (NHD, vLLM/FlashInfer) or `[pages, Hkv, P, D]` (HND), with a static page
    size `P`, and `page_table: [B, max_pages]` (i32 or i64) lists each
    sequence's pages. The op computes the semantics above on the gathered
    contiguous `K[b, h, t, d] = pool[table[b, t floordiv P], t mod P, h, d]`
    (NHD; `pool[table[b, t floordiv P], h, t mod P, d]` for HND) with
    `Lkv = max_pages * P`; per-sequence lengths come from `kv_lengths`.
    Table entries of pages at or past `kv_lengths[b]` are never used to
    produce a result (their keys are masked) and may hold any value; the
    entries of used pages must lie in `[0, pages)`.

    **Key-block lists** (`kv_blocks(%counts, %indices)` with
    `q_block_size = Sq` and `kv_block_size = Skv`): per query block, the key
    blocks it attends to, in the "count + padded list" format of top-k
    block selection (`attn.select_blocks`). `counts: [Bc, Hc, Nq]` and
    `indices: [Bc, Hc, Nq, K]` are integer tensors with `Bc` 1 or B and
    `Nq = ceil(Lq / Sq)`; `Hc` is 1 (one list for all heads), Hq (a list
    per query head), or with `kv_blocks_per_group` Hkv (one list shared by
    the query heads of a GQA group, as NSA selects). Query `i` of head `h`
    keeps key `j` only if `j floordiv Skv` is one of `indices[b, hc, i
    floordiv Sq, e]` for `e < counts[b, hc, i floordiv Sq]` (`hc` = 0, `h`,
    or `h / (Hq / Hkv)` per group), in addition to every other mask. The list is a set:
    repeated entries and entries outside `[0, ceil(Lkv / Skv))` select
    nothing more; counts are clamped to `[0, K]`. Indices are global (the
    whole problem's blocks, also in a tile). The CPU path visits only the
    listed blocks.

    Example: causal GQA with ALiBi and the log-sum-exp.

    ```mlir
    %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x8x128x64xf32>,
                                  tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>)
        outs(%o_init, %lse_init : tensor<1x8x128x64xf32>, tensor<1x8x128xf32>)
        {masks = [#attn.causal]}
        -> tensor<1x8x128x64xf32>, tensor<1x8x128xf32>
        score_mod {
        ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
          %slope = tensor.extract %slopes[%h] : tensor<8xf32>
          %d = arith.subi %j, %i : index
          %di = arith.index_cast %d : index to i64
          %df = arith.sitofp %di : i64 to f32
          %bias = arith.mulf %slope, %df : f32
          %r = arith.addf %s, %bias : f32
          attn.yield %r : f32
        }
    ```
  }];

  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$mask,
    Optional<AnyRankedTensor>:$q_lengths,
    Optional<AnyRankedTensor>:$kv_lengths,
    Optional<AnyRankedTensor>:$q_segment_ids,
    Optional<AnyRankedTensor>:$kv_segment_ids,
    Optional<AnyRankedTensor>:$sinks,
    Optional<AnyRankedTensor>:$page_table,
    Optional<AnyRankedTensor>:$kv_block_counts,
    Optional<AnyRankedTensor>:$kv_block_indices,
    Variadic<Index>:$offsets,
    Variadic<Index>:$extents,
    Variadic<AnyRankedTensor>:$inits,
    OptionalAttr<F64Attr>:$scale,
    OptionalAttr<F64Attr>:$softcap,
    OptionalAttr<ArrayAttr>:$masks,
    DefaultValuedAttr<Attn_NormalizerAttr,
                      "::mlir::attn::Normalizer::softmax">:$normalizer,
    OptionalAttr<F64Attr>:$sigmoid_bias,
    UnitAttr:$partial,
    DefaultValuedAttr<Attn_KvLayoutAttr,
                      "::mlir::attn::KvLayout::contiguous">:$kv_layout,
    OptionalAttr<I64Attr>:$q_block_size,
    OptionalAttr<I64Attr>:$kv_block_size,
    UnitAttr:$kv_blocks_per_group
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region MaxSizedRegion<1>:$score_mod,
                        MaxSizedRegion<1>:$mask_mod);

  let assemblyFormat = [{
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
      type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`q_lengths` `(` $q_lengths^ `:` type($q_lengths) `)`)?
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    (`segment_ids` `(` $q_segment_ids^ `,` $kv_segment_ids `:`
      type($q_segment_ids) `,` type($kv_segment_ids) `)`)?
    (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
    (`page_table` `(` $page_table^ `:` type($page_table) `)`)?
    (`kv_blocks` `(` $kv_block_counts^ `,` $kv_block_indices `:`
      type($kv_block_counts) `,` type($kv_block_indices) `)`)?
    (`offsets` `(` $offsets^ `)` `problem` `(` $extents `)`)?
    `outs` `(` $inits `:` type($inits) `)`
    attr-dict `->` type($results)
    (`score_mod` $score_mod^)?
    (`mask_mod` $mask_mod^)?
  }];

  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;

  let extraClassDeclaration = [{
    /// The scale applied to Q.K^T when known at compile time: the `scale`
    /// attribute, or 1/sqrt(Dqk) for a static Dqk.
    std::optional<double> getStaticScale();
    /// Hq / Hkv when both are static, std::nullopt otherwise.
    std::optional<int64_t> getStaticGroupSize();
    /// The structured mask terms, in order.
    SmallVector<StructuredMaskAttrInterface> getMaskTerms();
    RankedTensorType getQueryType() {
      return cast<RankedTensorType>(getQuery().getType());
    }
    RankedTensorType getKeyType() {
      return cast<RankedTensorType>(getKey().getType());
    }
    RankedTensorType getValueType() {
      return cast<RankedTensorType>(getValue().getType());
    }
    RankedTensorType getOutputType() {
      return cast<RankedTensorType>(getOutput().getType());
    }
    /// The output (normalised form) or the accumulator (partial form).
    Value getOutput() { return getResult(0); }
    /// The log-sum-exp result of the normalised form, null when absent.
    Value getLse() {
      return !getPartial() && getNumResults() == 2 ? getResult(1) : Value();
    }
    /// The running maximum and sum results of the partial form.
    Value getPartialMax() { return getPartial() ? getResult(1) : Value(); }
    Value getPartialSum() { return getPartial() ? getResult(2) : Value(); }
    /// True when K and V are page pools read through `page_table`.
    bool isPaged() { return static_cast<bool>(getPageTable()); }
    /// The shape `[B, Hkv, Lkv, D]` of the contiguous key (or value) the
    /// op reads: the operand's shape, or for a paged op the gathered one.
    SmallVector<int64_t> getLogicalKVShape(Value keyOrValue);
    /// True when the key loop is restricted to per-query-block key-block
    /// lists (`kv_blocks`).
    bool hasKeyBlockLists() { return static_cast<bool>(getKvBlockIndices()); }
    /// The static page size of a paged op.
    int64_t getPageSize();
    /// The axis of K and V that holds the key/value heads: 1 in the
    /// contiguous layout and `paged_hnd`, 2 in `paged_nhd`.
    unsigned getKVHeadAxis();
    /// The logical key length (axis 2 of getLogicalKVShape: `max_pages * P`
    /// for a paged op) and the number of key/value heads, static or built
    /// at `b`'s insertion point.
    OpFoldResult getMixedKVLength(OpBuilder &b, Location loc);
    OpFoldResult getMixedKVHeads(OpBuilder &b, Location loc);
    /// True when the op carries tile coordinates.
    bool hasTileCoordinates() { return !getOffsets().empty(); }
    MutableOperandRange getDpsInitsMutable() { return getInitsMutable(); }
  }];
}

//===----------------------------------------------------------------------===//
// MergeStatesOp
//===----------------------------------------------------------------------===//

def Attn_MergeStatesOp : Attn_Op<"merge_states", [
    AttrSizedOperandSegments,
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "merges partial attention states over disjoint key sets";
  let description = [{
    Merges `N >= 1` attention states computed over disjoint sets of keys of
    the same query rows (split-KV, a shared prefix and per-sequence
    suffixes, other devices) into the state over their union. The merge is
    associative and commutative. With `base = #attn.lse_base<two>` every
    log-sum-exp and maximum is in base 2 (FlashInfer's convention);
    `exp_b` below is `e^x` or `2^x`.

    **Normalised states** `(O_s [..., D], lse_s [...])` (no `sums`):

    ```
    lse = log_b(sum_s exp_b(lse_s))
    O   = sum_s exp_b(lse_s - lse) * O_s
    ```

    **Unnormalised states** `(acc_s, max_s, sum_s)` (with `sums`): the
    state stands for `acc_s * exp_b(max_s)` and `sum_s * exp_b(max_s)`:

    ```
    max = max_s max_s
    acc = sum_s exp_b(max_s - max) * acc_s
    sum = sum_s exp_b(max_s - max) * sum_s
    ```

    A state whose `lse`/`max` is `-inf` is empty and contributes nothing;
    when every state is empty the result is `(0, -inf)` (`(0, -inf, 0)`),
    never NaN. The `lse`/`max`/`sum` tensors have the shape of the values
    without their last (feature) dimension and are f32; values are f32, f16
    or bf16 (unnormalised accumulators f32).

    With `dimension = d` there is one state whose tensors have an extra
    dimension inserted at position `d` of the result shapes, `d` at most the
    rank of the `lse` result (so the split axis comes before the feature
    dimension of the values): its slices along `d` are the states merged.
    This is the split axis of a split-KV partial result.

    ```mlir
    %o, %lse = attn.merge_states values(%o1, %o2 : tensor<1x8x1x128xf32>,
                                               tensor<1x8x1x128xf32>)
        lses(%l1, %l2 : tensor<1x8x1xf32>, tensor<1x8x1xf32>)
        outs(%oi, %li : tensor<1x8x1x128xf32>, tensor<1x8x1xf32>)
        -> tensor<1x8x1x128xf32>, tensor<1x8x1xf32>
    ```
  }];

  let arguments = (ins
    Variadic<AnyRankedTensor>:$values,
    Variadic<AnyRankedTensor>:$lses,
    Variadic<AnyRankedTensor>:$sums,
    Variadic<AnyRankedTensor>:$inits,
    DefaultValuedAttr<Attn_LseBaseAttr, "::mlir::attn::LseBase::e">:$base,
    OptionalAttr<I64Attr>:$dimension
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);

  let assemblyFormat = [{
    `values` `(` $values `:` type($values) `)`
    `lses` `(` $lses `:` type($lses) `)`
    (`sums` `(` $sums^ `:` type($sums) `)`)?
    `outs` `(` $inits `:` type($inits) `)`
    attr-dict `->` type($results)
  }];

  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;

  let extraClassDeclaration = [{
    /// True for the unnormalised (acc, max, sum) form.
    bool isUnnormalized() { return !getSums().empty(); }
    /// Number of merged states (slices along `dimension` count once).
    unsigned getNumStates() { return getValues().size(); }
    MutableOperandRange getDpsInitsMutable() { return getInitsMutable(); }
  }];
}

//===----------------------------------------------------------------------===//
// YieldOp
//===----------------------------------------------------------------------===//

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator,
    ParentOneOf<["AttentionOp", "LinearAttentionOp"]>]> {
  let summary = "terminates the modifier regions";
  let description = [{
    Yields the modified score (`f32`) of a `score_mod` region, the keep
    predicate (`i1`) of a `mask_mod` region, or the mapped element (`f32`)
    of a `q_mod`/`k_mod` feature-map region of `attn.linear_attention`.

    ```mlir
    attn.yield %s : f32
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

include "attn/Dialect/Attn/IR/LinearAttentionOps.td"
include "attn/Dialect/Attn/IR/BlockSparseOps.td"
include "attn/Dialect/Attn/IR/ServingOps.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_TD
