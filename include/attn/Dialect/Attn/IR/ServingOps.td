//===- ServingOps.td - KV-cache serving ops ----------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Included by AttnOps.td: ops that maintain the paged KV cache read by the
// paged layout of attn.attention.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_SERVINGOPS_TD
#define ATTN_DIALECT_ATTN_IR_SERVINGOPS_TD

//===----------------------------------------------------------------------===//
// KVAppendOp
//===----------------------------------------------------------------------===//

def Attn_KVAppendOp : Attn_Op<"kv_append", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "write new key or value rows into a paged KV pool";
  let description = [{
    Writes `Lnew` new rows per sequence, `new: [B, Hkv, Lnew, D]` (the
    layout of contiguous K/V of `attn.attention`), into a page pool (the
    `outs` operand, tied to the result) at the logical positions
    `pos[b] + i` of each sequence, through the page table
    `table: [B, max_pages]` (i32 or i64). `positions: [B]` (i32 or i64) are
    the sequences' current lengths. With `P` the page size and
    `t = pos[b] + i`:

    ```
    paged_nhd (pool [pages, P, Hkv, D]):
      pool[table[b, t floordiv P], t mod P, h, d] = new[b, h, i, d]
    paged_hnd (pool [pages, Hkv, P, D]):
      pool[table[b, t floordiv P], h, t mod P, d] = new[b, h, i, d]
    ```

    Every other element of the pool keeps its value. A row whose slot
    `t floordiv P` is outside `[0, max_pages)` (`t < 0` or
    `t >= max_pages * P`) or whose page `table[b, t floordiv P]` is outside
    `[0, pages)` is not written: compiled code never writes out of bounds.
    The verifier rejects such rows when the positions or the table are
    constants. Rows of different sequences (or of one sequence) that map to
    the same pool row are written in order of `(b, i)`; the last one wins.
    A ragged batch appends `Lnew = max` rows; the padding rows of a shorter
    sequence land past its length (never read by attention, overwritten by
    its next append). After one-shot bufferization the pool is updated in
    place.

    ```mlir
    %pool2 = attn.kv_append ins(%k_new : tensor<2x4x1x64xf32>)
        positions(%len : tensor<2xi32>) page_table(%t : tensor<2x8xi32>)
        outs(%pool : tensor<32x16x4x64xf32>)
        {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<32x16x4x64xf32>
    ```
  }];

  let arguments = (ins
    AnyRankedTensor:$new_rows,
    AnyRankedTensor:$positions,
    AnyRankedTensor:$page_table,
    AnyRankedTensor:$pool,
    DefaultValuedAttr<Attn_KvLayoutAttr,
                      "::mlir::attn::KvLayout::paged_nhd">:$kv_layout
  );
  let results = (outs AnyRankedTensor:$result);

  let assemblyFormat = [{
    `ins` `(` $new_rows `:` type($new_rows) `)`
    `positions` `(` $positions `:` type($positions) `)`
    `page_table` `(` $page_table `:` type($page_table) `)`
    `outs` `(` $pool `:` type($pool) `)`
    attr-dict `->` type($result)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The pool's page size P (dynamic when the verifier has not run).
    int64_t getPageSize();
    /// True for the [pages, Hkv, P, D] pool layout.
    bool isHND() { return getKvLayout() == KvLayout::paged_hnd; }
    MutableOperandRange getDpsInitsMutable() { return getPoolMutable(); }
  }];
}

#endif // ATTN_DIALECT_ATTN_IR_SERVINGOPS_TD
