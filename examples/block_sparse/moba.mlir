// MoBA (Mixture of Block Attention) in attn ops: per query token and head,
// the gate scores every earlier key block by the query against the block's
// mean-pooled key, keeps the top k = 3 blocks with the current (diagonal)
// block always among them, and attends to the selected blocks only. As in
// MoBA, the selection is split into the blocks the causal mask keeps whole
// (attended without a mask term) and the partial current block (attended
// causally), and the two partial results are merged with attn.merge_states.
//
// Interim form: the selected block lists are expanded into an i1 key mask
// for attn.attention's mask operand (whose CPU mask summary skips the empty
// tiles at run time); a block-list operand on attn.attention that iterates
// over the listed blocks directly is the next step (docs/design.md,
// "Content-based block sparsity").
//
// Shapes: B = 1, Hq = 4, Hkv = 2 (GQA), L = 96, D = 16, 16-key blocks
// (6 of them). examples/block_sparse/run.py checks it against numpy.

/// The i1 key mask [1, 4, 96, 96] keeping the keys of the listed blocks of
/// each (head, token): keep[b, h, i, j] = j / 16 in indices[b, h, i, 0..count).
func.func @expand_blocks(%counts: tensor<1x4x96xi32>, %indices: tensor<1x4x96x3xi32>) -> tensor<1x4x96x96xi1> {
  %false = arith.constant false
  %e = tensor.empty() : tensor<1x4x96x96xi1>
  %f = linalg.fill ins(%false : i1) outs(%e : tensor<1x4x96x96xi1>) -> tensor<1x4x96x96xi1>
  %m = linalg.generic {
      indexing_maps = [affine_map<(b, h, i, j, t) -> (b, h, i)>,
                       affine_map<(b, h, i, j, t) -> (b, h, i, t)>,
                       affine_map<(b, h, i, j, t) -> (b, h, i, j)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%counts, %indices : tensor<1x4x96xi32>, tensor<1x4x96x3xi32>)
      outs(%f : tensor<1x4x96x96xi1>) {
  ^bb0(%count: i32, %n: i32, %acc: i1):
    %t = linalg.index 4 : index
    %j = linalg.index 3 : index
    %c16 = arith.constant 16 : index
    %ti = arith.index_cast %t : index to i32
    %jb = arith.divui %j, %c16 : index
    %jbi = arith.index_cast %jb : index to i32
    %live = arith.cmpi slt, %ti, %count : i32
    %same = arith.cmpi eq, %n, %jbi : i32
    %hit = arith.andi %live, %same : i1
    %r = arith.ori %acc, %hit : i1
    linalg.yield %r : i1
  } -> tensor<1x4x96x96xi1>
  return %m : tensor<1x4x96x96xi1>
}

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
  %full = call @expand_blocks(%fc, %fi) : (tensor<1x4x96xi32>, tensor<1x4x96x3xi32>) -> tensor<1x4x96x96xi1>
  %part = call @expand_blocks(%pc, %pi) : (tensor<1x4x96xi32>, tensor<1x4x96x3xi32>) -> tensor<1x4x96x96xi1>
  %oi = tensor.empty() : tensor<1x4x96x16xf32>
  %li = tensor.empty() : tensor<1x4x96xf32>
  // Whole past blocks: no mask term beyond the block mask.
  %o1, %l1 = attn.attention ins(%q, %k, %v : tensor<1x4x96x16xf32>, tensor<1x2x96x16xf32>, tensor<1x2x96x16xf32>)
      mask(%full : tensor<1x4x96x96xi1>)
      outs(%oi, %li : tensor<1x4x96x16xf32>, tensor<1x4x96xf32>)
      -> tensor<1x4x96x16xf32>, tensor<1x4x96xf32>
  // The current block, causally.
  %o2, %l2 = attn.attention ins(%q, %k, %v : tensor<1x4x96x16xf32>, tensor<1x2x96x16xf32>, tensor<1x2x96x16xf32>)
      mask(%part : tensor<1x4x96x96xi1>)
      outs(%oi, %li : tensor<1x4x96x16xf32>, tensor<1x4x96xf32>) {masks = [#attn.causal]}
      -> tensor<1x4x96x16xf32>, tensor<1x4x96xf32>
  %o, %l = attn.merge_states values(%o1, %o2 : tensor<1x4x96x16xf32>, tensor<1x4x96x16xf32>)
      lses(%l1, %l2 : tensor<1x4x96xf32>, tensor<1x4x96xf32>)
      outs(%oi, %li : tensor<1x4x96x16xf32>, tensor<1x4x96xf32>)
      -> tensor<1x4x96x16xf32>, tensor<1x4x96xf32>
  return %o : tensor<1x4x96x16xf32>
}
