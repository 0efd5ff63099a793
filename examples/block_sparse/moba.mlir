// MoBA (Mixture of Block Attention) in attn ops: per query token and head,
// the gate scores every earlier key block by the query against the block's
// mean-pooled key, keeps the top k = 3 blocks with the current (diagonal)
// block always among them, and attends to the selected blocks only. As in
// MoBA, the selection is split into the blocks the causal mask keeps whole
// (attended without a mask term) and the partial current block (attended
// causally), and the two partial results are merged with attn.merge_states.
//
// The selection's counts and padded (-1) index lists go to attn.attention
// as they are, as key-block lists (`kv_blocks`, one list per query head and
// token: q_block_size = 1, kv_block_size = 16); the CPU path visits only
// the listed blocks (docs/semantics.md, "Key-block lists").
//
// Shapes: B = 1, Hq = 4, Hkv = 2 (GQA), L = 96, D = 16, 16-key blocks
// (6 of them). examples/block_sparse/run.py checks it against numpy.

func.func @moba(%q: tensor<1x4x96x16xf32>, %k: tensor<1x2x96x16xf32>,
                %v: tensor<1x2x96x16xf32>) -> tensor<1x4x96x16xf32> {
  // Gate: q . mean(K block) for every (head, token, block), -inf for the
  // blocks that start after the token.
  %si = tensor.empty() : tensor<1x4x96x6xf32>
  %s = attn.block_scores ins(%q, %k : tensor<1x4x96x16xf32>, tensor<1x2x96x16xf32>)
      outs(%si : tensor<1x4x96x6xf32>) {block_size = 16, pooling = "mean", causal}
      -> tensor<1x4x96x6xf32>
  // Top 3 with the diagonal block forced, split into partial and full.
  %ci = tensor.empty() : tensor<1x4x96xi32>
  %ii = tensor.empty() : tensor<1x4x96x3xi32>
  %pc, %pi, %fc, %fi = attn.select_blocks ins(%s : tensor<1x4x96x6xf32>)
      outs(%ci, %ii, %ci, %ii : tensor<1x4x96xi32>, tensor<1x4x96x3xi32>, tensor<1x4x96xi32>, tensor<1x4x96x3xi32>)
      {k = 3, block_size = 16, causal, local = 1, split}
      -> tensor<1x4x96xi32>, tensor<1x4x96x3xi32>, tensor<1x4x96xi32>, tensor<1x4x96x3xi32>
  %oi = tensor.empty() : tensor<1x4x96x16xf32>
  %li = tensor.empty() : tensor<1x4x96xf32>
  // Whole past blocks: no mask term beyond the block lists.
  %o1, %l1 = attn.attention ins(%q, %k, %v : tensor<1x4x96x16xf32>, tensor<1x2x96x16xf32>, tensor<1x2x96x16xf32>)
      kv_blocks(%fc, %fi : tensor<1x4x96xi32>, tensor<1x4x96x3xi32>)
      outs(%oi, %li : tensor<1x4x96x16xf32>, tensor<1x4x96xf32>)
      {q_block_size = 1 : i64, kv_block_size = 16 : i64}
      -> tensor<1x4x96x16xf32>, tensor<1x4x96xf32>
  // The current block, causally.
  %o2, %l2 = attn.attention ins(%q, %k, %v : tensor<1x4x96x16xf32>, tensor<1x2x96x16xf32>, tensor<1x2x96x16xf32>)
      kv_blocks(%pc, %pi : tensor<1x4x96xi32>, tensor<1x4x96x3xi32>)
      outs(%oi, %li : tensor<1x4x96x16xf32>, tensor<1x4x96xf32>)
      {masks = [#attn.causal], q_block_size = 1 : i64, kv_block_size = 16 : i64}
      -> tensor<1x4x96x16xf32>, tensor<1x4x96xf32>
  %o, %l = attn.merge_states values(%o1, %o2 : tensor<1x4x96x16xf32>, tensor<1x4x96x16xf32>)
      lses(%l1, %l2 : tensor<1x4x96xf32>, tensor<1x4x96xf32>)
      outs(%oi, %li : tensor<1x4x96x16xf32>, tensor<1x4x96xf32>)
      -> tensor<1x4x96x16xf32>, tensor<1x4x96xf32>
  return %o : tensor<1x4x96x16xf32>
}
