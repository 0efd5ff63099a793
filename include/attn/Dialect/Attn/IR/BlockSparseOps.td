//===- BlockSparseOps.td - content-based block sparsity ----*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Included by AttnOps.td: the ops that score key blocks against queries and
// select the top-k blocks per query (block), the first stages of
// content-based sparse attention (NSA, MoBA, SeerAttention).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_BLOCKSPARSEOPS_TD
#define ATTN_DIALECT_ATTN_IR_BLOCKSPARSEOPS_TD

//===----------------------------------------------------------------------===//
// BlockScoresOp
//===----------------------------------------------------------------------===//

def Attn_BlockScoresOp : Attn_Op<"block_scores", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "scores of queries against pooled or compressed key blocks";
  let description = [{
    Scores every key block against the queries: query `Q: [B, Hq, Lq, D]`
    and `key: [B, Hkv, Lk, D]` (f32, f16 or bf16), `Hq` a multiple of `Hkv`,
    query head `h` reading key head `h / (Hq / Hkv)`. With `pooling = "mean"`
    or `"max"` the key blocks are the runs of `block_size` (`bk`) keys,
    `Nk = ceil(Lk / bk)` of them (the last one holds the keys that are
    left), pooled per channel into one key `Kp[n]`; with `pooling = "none"`
    the keys are already one per block (NSA's compressed keys), `Nk = Lk`,
    and block `n` stands for keys `[n bk, (n + 1) bk)` of a sequence of
    `Lkv = Nk bk` keys. With pooled keys `Lkv = Lk`.

    Per query row and block (all f32):

    ```
    s[h, i, n] = scale * Q[h, i] . Kp[h / g, n]             scale defaults to 1/sqrt(D)
    visible(i, n) = !causal or n * bk <= i + Lkv - Lq         (bottom-right aligned)
    normalize:  p[h, i, n] = exp(s[h, i, n] - lse[h, i])      (0 when lse = -inf)
                lse = the `lse` operand, or log sum_{visible n} exp(s[h, i, n])
    otherwise:  p[h, i, n] = s[h, i, n]
    ```

    The result `[B, Hs, Nq, Nk]` (f32) reduces `p` (`reduce = "sum"` or
    `"max"`) over the members of its row that see the block: the query
    heads of the row (`Hs = Hq`: one head; `Hs = Hkv`: the `g` heads of a
    GQA group, NSA's shared selection) times the rows of query block `qb`
    (`query_block = bq` rows, `Nq = ceil(Lq / bq)`; 1 = per token). A block
    no member sees gives `-inf`: a block is visible to a query block when
    it is visible to its last row.

    ```mlir
    %s = attn.block_scores ins(%q, %k : tensor<1x8x256x64xf32>,
                                        tensor<1x2x256x64xf32>)
        outs(%init : tensor<1x2x256x4xf32>)
        {block_size = 64, pooling = "mean", reduce = "sum", causal}
        -> tensor<1x2x256x4xf32>
    ```
  }];

  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    Optional<AnyRankedTensor>:$lse,
    AnyRankedTensor:$init,
    I64Attr:$block_size,
    DefaultValuedAttr<I64Attr, "1">:$query_block,
    DefaultValuedAttr<StrAttr, "\"mean\"">:$pooling,
    DefaultValuedAttr<StrAttr, "\"sum\"">:$reduce,
    UnitAttr:$causal,
    UnitAttr:$normalize,
    OptionalAttr<F64Attr>:$scale
  );
  let results = (outs AnyRankedTensor:$result);

  let assemblyFormat = [{
    `ins` `(` $query `,` $key `:` type($query) `,` type($key) `)`
    (`lse` `(` $lse^ `:` type($lse) `)`)?
    `outs` `(` $init `:` type($init) `)`
    attr-dict `->` type($result)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    RankedTensorType getQueryType() {
      return cast<RankedTensorType>(getQuery().getType());
    }
    RankedTensorType getKeyType() {
      return cast<RankedTensorType>(getKey().getType());
    }
    RankedTensorType getResultType() {
      return cast<RankedTensorType>(getResult().getType());
    }
    /// True when the keys are pooled by the op (`mean` or `max`).
    bool isPooled() { return getPooling() != "none"; }
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];
}

//===----------------------------------------------------------------------===//
// SelectBlocksOp
//===----------------------------------------------------------------------===//

def Attn_SelectBlocksOp : Attn_Op<"select_blocks", [
    AttrSizedOperandSegments,
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "top-k key blocks per query block as counts and padded lists";
  let description = [{
    Selects, per row `(b, h, qb)` of `scores: [B, H, Nq, Nk]` (any float
    type; query blocks of `query_block = bq` rows, key blocks of
    `block_size = bk` keys), at most `k` key blocks, and returns them in the
    FlexAttention / FlashAttention-4 block-list format: `counts [B, H, Nq]`
    (i32) and `indices [B, H, Nq, k]` (i32), the selected block indices in
    ascending order in `indices[.., 0 .. count)`, the rest `-1`.

    The sequence lengths are `lengths(%lq, %lkv)` or `Lq = Nq bq`,
    `Lkv = Nk bk`. With `last(qb) = min((qb + 1) bq, Lq) - 1` and the
    bottom-right aligned row `a(qb) = last(qb) + Lkv - Lq`:

    * block `n` is *visible* when `!causal` or `n bk <= a(qb)`; invisible
      blocks are never selected;
    * *forced* blocks: `n < forced_first`, and the `local` blocks ending
      with the diagonal block `floor(a(qb) / bk)`;
    * the selection is the `min(k_eff, #visible)` visible blocks first in
      the order (forced first, then higher score, then lower index): ties
      go to the lowest block index, NaN scores rank as `-inf`;
      `k_eff = clamp(k_dynamic, 0, k)` with a `k(%kd)` operand, `k`
      otherwise;
    * with `threshold = t` (BLASST's `log lambda`, `t <= 0`), only forced
      blocks and the visible blocks whose score is at least the row's
      maximum plus `t` are candidates: block `n` passes when
      `s[n] >= max_{visible m} s[m] + t` (in f32; a `-inf` or NaN score
      never passes), and the selection is the first
      `min(k_eff, #forced visible + #passing)` visible blocks in the order
      above (the passing blocks are a prefix of the unforced ones); `k` is
      then the static cap of the list.

    With `split` the op has four results, `counts, indices, full_counts,
    full_indices`: the first pair lists the selected *partial* blocks, the
    second the *full* ones, whose every key the causal mask keeps for every
    row of the query block (`min((n + 1) bk, Lkv) - 1 <= qb bq + Lkv - Lq`;
    every block is full without `causal`), both padded to `k` with `-1`.

    ```mlir
    %c, %i = attn.select_blocks ins(%s : tensor<1x2x256x4xf32>)
        outs(%ci, %ii : tensor<1x2x256xi32>, tensor<1x2x256x2xi32>)
        {k = 2, block_size = 64, causal, local = 1}
        -> tensor<1x2x256xi32>, tensor<1x2x256x2xi32>
    ```

    Every block within `log 0.5` of the row's best, at most 4, the
    diagonal block always:

    ```mlir
    %c, %i = attn.select_blocks ins(%s : tensor<1x2x256x4xf32>)
        outs(%ci, %ii : tensor<1x2x256xi32>, tensor<1x2x256x4xi32>)
        {k = 4, block_size = 64, causal, local = 1,
         threshold = -0.69314718055994529}
        -> tensor<1x2x256xi32>, tensor<1x2x256x4xi32>
    ```
  }];

  let arguments = (ins
    AnyRankedTensor:$scores,
    Optional<AnySignlessIntegerOrIndex>:$k_dynamic,
    Variadic<Index>:$lengths,
    Variadic<AnyRankedTensor>:$inits,
    I64Attr:$k,
    I64Attr:$block_size,
    DefaultValuedAttr<I64Attr, "1">:$query_block,
    DefaultValuedAttr<I64Attr, "0">:$forced_first,
    DefaultValuedAttr<I64Attr, "0">:$local,
    UnitAttr:$causal,
    UnitAttr:$split,
    OptionalAttr<F64Attr>:$threshold
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);

  let assemblyFormat = [{
    `ins` `(` $scores `:` type($scores) `)`
    (`k` `(` $k_dynamic^ `:` type($k_dynamic) `)`)?
    (`lengths` `(` $lengths^ `)`)?
    `outs` `(` $inits `:` type($inits) `)`
    attr-dict `->` type($results)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    RankedTensorType getScoresType() {
      return cast<RankedTensorType>(getScores().getType());
    }
    MutableOperandRange getDpsInitsMutable() { return getInitsMutable(); }
  }];
}

#endif // ATTN_DIALECT_ATTN_IR_BLOCKSPARSEOPS_TD
