// BLASST-style threshold sparsity in attn ops: a key block is skipped for a
// query block when its largest attention score is far below the best block's,
//
//   keep (qb, n)  iff  blockmax[qb, n] >= max_m blockmax[qb, m] + log(lambda)
//   blockmax[qb, n] = max { q_i . k_j / sqrt(D) : row i of qb, key j of
//                           block n, j <= i }
//
// (a skipped block's largest softmax term is below lambda times the best
// block's largest), with the first block (the attention sink) and the
// diagonal block always kept and at most k = 4 blocks per query block;
// lambda = 0.5. The kept blocks are attended causally.
//
// The exact block maxima: attn.block_scores with one-key blocks
// (`block_size = 1`) gives every key's score maximised over the rows of the
// query block that see it (`query_block = 16, reduce = "max", causal`);
// a linalg reduction takes the maximum over the 16 keys of each key
// block. attn.select_blocks' `threshold` keeps the blocks within log(0.5)
// of the row's maximum.
//
// The selection's counts and padded (-1) index lists go to attn.attention
// as they are, as key-block lists per query head and query block
// (`q_block_size = kv_block_size = 16`; docs/semantics.md, "Key-block
// lists").
//
// Shapes: B = 1, Hq = 4, Hkv = 2 (GQA), L = 100 (the last query and key
// block hold 4 rows), D = 16, 7 blocks.
// examples/block_sparse/run.py checks it against numpy.

/// m[b, h, qb, n] = max_r s[b, h, qb, 16 n + r] over the keys of block n
/// (the last block's key index clamped to 99, its last key: a repeat that
/// leaves the maximum as it is).
func.func @block_max(%s: tensor<1x4x7x100xf32>) -> tensor<1x4x7x7xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x4x7x7xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x4x7x7xf32>) -> tensor<1x4x7x7xf32>
  %r16 = tensor.empty() : tensor<16xf32>
  %m = linalg.generic {
      indexing_maps = [affine_map<(b, h, qb, n, r) -> (r)>,
                       affine_map<(b, h, qb, n, r) -> (b, h, qb, n)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%r16 : tensor<16xf32>) outs(%f : tensor<1x4x7x7xf32>) {
  ^bb0(%unused: f32, %acc: f32):
    %b = linalg.index 0 : index
    %h = linalg.index 1 : index
    %qb = linalg.index 2 : index
    %n = linalg.index 3 : index
    %r = linalg.index 4 : index
    %c16 = arith.constant 16 : index
    %c99 = arith.constant 99 : index
    %first = arith.muli %n, %c16 : index
    %j0 = arith.addi %first, %r : index
    %j = arith.minsi %j0, %c99 : index
    %x = tensor.extract %s[%b, %h, %qb, %j] : tensor<1x4x7x100xf32>
    %y = arith.maximumf %acc, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x4x7x7xf32>
  return %m : tensor<1x4x7x7xf32>
}

func.func @blasst(%q: tensor<1x4x100x16xf32>, %k: tensor<1x2x100x16xf32>,
                  %v: tensor<1x2x100x16xf32>) -> tensor<1x4x100x16xf32> {
  // Per key, its largest visible score over the rows of each query block.
  %si = tensor.empty() : tensor<1x4x7x100xf32>
  %s = attn.block_scores ins(%q, %k : tensor<1x4x100x16xf32>, tensor<1x2x100x16xf32>)
      outs(%si : tensor<1x4x7x100xf32>)
      {block_size = 1, query_block = 16, pooling = "max", reduce = "max", causal}
      -> tensor<1x4x7x100xf32>
  %bm = call @block_max(%s) : (tensor<1x4x7x100xf32>) -> tensor<1x4x7x7xf32>
  // Blocks within log(0.5) of the best, the first and diagonal forced.
  %l = arith.constant 100 : index
  %ci = tensor.empty() : tensor<1x4x7xi32>
  %ii = tensor.empty() : tensor<1x4x7x4xi32>
  %cnt, %idx = attn.select_blocks ins(%bm : tensor<1x4x7x7xf32>) lengths(%l, %l)
      outs(%ci, %ii : tensor<1x4x7xi32>, tensor<1x4x7x4xi32>)
      {k = 4, block_size = 16, query_block = 16, causal, forced_first = 1,
       local = 1, threshold = -0.69314718055994529}
      -> tensor<1x4x7xi32>, tensor<1x4x7x4xi32>
  %oi = tensor.empty() : tensor<1x4x100x16xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>)
      kv_blocks(%cnt, %idx : tensor<1x4x7xi32>, tensor<1x4x7x4xi32>)
      outs(%oi : tensor<1x4x100x16xf32>)
      {masks = [#attn.causal], q_block_size = 16 : i64, kv_block_size = 16 : i64}
      -> tensor<1x4x100x16xf32>
  return %o : tensor<1x4x100x16xf32>
}
