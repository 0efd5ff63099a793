// SeerAttention-style learned block gate in attn ops: per head, the queries
// and keys are projected to a small gate space (Wq: [Hq, D, Dg], Wk:
// [Hkv, D, Dg], learned weights passed as arguments), average-pooled over
// 16-row query blocks and 16-key key blocks, and
//
//   gate[h, qb, n] = softmax_n( pool(Q Wq)[h, qb] . pool(K Wk)[h / g, n]
//                               / sqrt(Dg) )
//
// over the key blocks causally visible to the query block (the block's
// first key not after the query block's last row); each query block keeps
// its top k = 3 blocks by gate, the diagonal block forced, and attends to
// them causally.
//
// Projection and mean pooling commute, so the pooled keys are
// attn.block_scores' mean pooling of the projected keys. The pooled query
// is the mean over the rows of the query block: block_scores' sum over the
// query block's rows (`query_block = 16, reduce = "sum"`) divided by the
// number of rows, which the gate softmax does. With Lq = Lkv and equal
// block sizes every row of a query block sees every block visible to the
// query block, so the sum runs over all of its rows.
//
// The selection's counts and padded (-1) index lists go to attn.attention
// as they are, as key-block lists per query head and query block
// (`q_block_size = kv_block_size = 16`; docs/semantics.md, "Key-block
// lists").
//
// Shapes: B = 1, Hq = 4, Hkv = 2 (GQA), L = 100 (the last query and key
// block hold 4 rows), D = 16, Dg = 8, 7 blocks.
// examples/block_sparse/run.py checks it against numpy.

#x = affine_map<(b, h, i, e, d) -> (b, h, i, d)>
#w = affine_map<(b, h, i, e, d) -> (h, d, e)>
#xw = affine_map<(b, h, i, e, d) -> (b, h, i, e)>
#s4 = affine_map<(b, h, qb, n) -> (b, h, qb, n)>
#s3 = affine_map<(b, h, qb, n) -> (b, h, qb)>

/// x[b, h] @ w[h]: [1, 4, 100, 16] x [4, 16, 8] -> [1, 4, 100, 8].
func.func @project_q(%x: tensor<1x4x100x16xf32>, %w: tensor<4x16x8xf32>)
    -> tensor<1x4x100x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x100x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x100x8xf32>) -> tensor<1x4x100x8xf32>
  %p = linalg.generic {
      indexing_maps = [#x, #w, #xw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x4x100x16xf32>, tensor<4x16x8xf32>) outs(%f : tensor<1x4x100x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x100x8xf32>
  return %p : tensor<1x4x100x8xf32>
}

/// The same for the keys: [1, 2, 100, 16] x [2, 16, 8] -> [1, 2, 100, 8].
func.func @project_k(%x: tensor<1x2x100x16xf32>, %w: tensor<2x16x8xf32>)
    -> tensor<1x2x100x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x100x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x100x8xf32>) -> tensor<1x2x100x8xf32>
  %p = linalg.generic {
      indexing_maps = [#x, #w, #xw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<1x2x100x16xf32>, tensor<2x16x8xf32>) outs(%f : tensor<1x2x100x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x100x8xf32>
  return %p : tensor<1x2x100x8xf32>
}

/// softmax over n of s[b, h, qb, n] / rows(qb), rows(qb) = min(16, 100 -
/// 16 qb) the rows of query block qb (s is their sum); -inf (invisible)
/// entries give 0. Every row has a finite entry (its diagonal block).
func.func @gate_softmax(%s: tensor<1x4x7x7xf32>) -> tensor<1x4x7x7xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e3 = tensor.empty() : tensor<1x4x7xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%e3 : tensor<1x4x7xf32>) -> tensor<1x4x7xf32>
  %m = linalg.generic {
      indexing_maps = [#s4, #s3],
      iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s : tensor<1x4x7x7xf32>) outs(%mi : tensor<1x4x7xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<1x4x7xf32>
  %e4 = tensor.empty() : tensor<1x4x7x7xf32>
  %ex = linalg.generic {
      indexing_maps = [#s4, #s3, #s4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %m : tensor<1x4x7x7xf32>, tensor<1x4x7xf32>) outs(%e4 : tensor<1x4x7x7xf32>) {
  ^bb0(%a: f32, %mx: f32, %unused: f32):
    %qb = linalg.index 2 : index
    %c16 = arith.constant 16 : index
    %c100 = arith.constant 100 : index
    %first = arith.muli %qb, %c16 : index
    %left = arith.subi %c100, %first : index
    %rows = arith.minsi %left, %c16 : index
    %ri = arith.index_cast %rows : index to i32
    %rf = arith.sitofp %ri : i32 to f32
    %d = arith.subf %a, %mx : f32
    %x = arith.divf %d, %rf : f32
    %r = math.exp %x : f32
    linalg.yield %r : f32
  } -> tensor<1x4x7x7xf32>
  %zi = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x4x7xf32>) -> tensor<1x4x7xf32>
  %sum = linalg.generic {
      indexing_maps = [#s4, #s3],
      iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%ex : tensor<1x4x7x7xf32>) outs(%zi : tensor<1x4x7xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<1x4x7xf32>
  %g = linalg.generic {
      indexing_maps = [#s4, #s3, #s4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%ex, %sum : tensor<1x4x7x7xf32>, tensor<1x4x7xf32>) outs(%e4 : tensor<1x4x7x7xf32>) {
  ^bb0(%a: f32, %t: f32, %unused: f32):
    %r = arith.divf %a, %t : f32
    linalg.yield %r : f32
  } -> tensor<1x4x7x7xf32>
  return %g : tensor<1x4x7x7xf32>
}

func.func @seer(%q: tensor<1x4x100x16xf32>, %k: tensor<1x2x100x16xf32>,
                %v: tensor<1x2x100x16xf32>, %wq: tensor<4x16x8xf32>,
                %wk: tensor<2x16x8xf32>) -> tensor<1x4x100x16xf32> {
  // Gate: projected queries and keys, the keys mean-pooled by block and
  // the scores summed over each query block's rows (scale 1/sqrt(Dg)).
  %qg = call @project_q(%q, %wq) : (tensor<1x4x100x16xf32>, tensor<4x16x8xf32>) -> tensor<1x4x100x8xf32>
  %kg = call @project_k(%k, %wk) : (tensor<1x2x100x16xf32>, tensor<2x16x8xf32>) -> tensor<1x2x100x8xf32>
  %si = tensor.empty() : tensor<1x4x7x7xf32>
  %s = attn.block_scores ins(%qg, %kg : tensor<1x4x100x8xf32>, tensor<1x2x100x8xf32>)
      outs(%si : tensor<1x4x7x7xf32>)
      {block_size = 16, query_block = 16, pooling = "mean", reduce = "sum", causal}
      -> tensor<1x4x7x7xf32>
  %gate = call @gate_softmax(%s) : (tensor<1x4x7x7xf32>) -> tensor<1x4x7x7xf32>
  // Top 3 per query block with the diagonal block forced.
  %l = arith.constant 100 : index
  %ci = tensor.empty() : tensor<1x4x7xi32>
  %ii = tensor.empty() : tensor<1x4x7x3xi32>
  %cnt, %idx = attn.select_blocks ins(%gate : tensor<1x4x7x7xf32>) lengths(%l, %l)
      outs(%ci, %ii : tensor<1x4x7xi32>, tensor<1x4x7x3xi32>)
      {k = 3, block_size = 16, query_block = 16, causal, local = 1}
      -> tensor<1x4x7xi32>, tensor<1x4x7x3xi32>
  %oi = tensor.empty() : tensor<1x4x100x16xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>)
      kv_blocks(%cnt, %idx : tensor<1x4x7xi32>, tensor<1x4x7x3xi32>)
      outs(%oi : tensor<1x4x100x16xf32>)
      {masks = [#attn.causal], q_block_size = 16 : i64, kv_block_size = 16 : i64}
      -> tensor<1x4x100x16xf32>
  return %o : tensor<1x4x100x16xf32>
}
