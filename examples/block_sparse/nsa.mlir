// NSA (Native Sparse Attention) in attn ops, three branches and a gate:
//   compression: attention over the mean-pooled keys and values of 16-key
//     blocks (a stand-in for NSA's learned compression), a compressed
//     block visible to a token when its first key is not in the future;
//   selection: its log-sum-exp reused by attn.block_scores, the block
//     probabilities summed over the query heads of each GQA group (one
//     selection per group, as NSA's kernel shares it), the top k = 4
//     blocks with the first block and the 2 local blocks forced, causal
//     attention over the selected blocks;
//   sliding window: the last 32 keys;
// and out = g0 * O_cmp + g1 * O_sel + g2 * O_win with per-token gates.
//
// The selection's counts and padded (-1) index lists, one per GQA group
// and token, go to attn.attention as they are: key-block lists
// (`kv_blocks` with `kv_blocks_per_group`: query head h reads the list of
// group h / 2; q_block_size = 1, kv_block_size = 16; docs/semantics.md,
// "Key-block lists").
//
// Shapes: B = 1, Hq = 4, Hkv = 2, L = 128, D = 16, 8 blocks.
// examples/block_sparse/run.py checks it against numpy.

#pool = affine_map<(b, h, n, d, r) -> (b, h, n * 16 + r, d)>
#out4 = affine_map<(b, h, n, d, r) -> (b, h, n, d)>

/// Mean of each 16-key block: [1, 2, 128, 16] -> [1, 2, 8, 16].
func.func @pool(%x: tensor<1x2x128x16xf32>) -> tensor<1x2x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %r16 = tensor.empty() : tensor<16xf32>
  %p = linalg.generic {
      indexing_maps = [#pool, affine_map<(b, h, n, d, r) -> (r)>, #out4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %r16 : tensor<1x2x128x16xf32>, tensor<16xf32>) outs(%f : tensor<1x2x8x16xf32>) {
  ^bb0(%a: f32, %unused: f32, %acc: f32):
    %w = arith.constant 0.0625 : f32
    %s = arith.mulf %a, %w : f32
    %r = arith.addf %acc, %s : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x16xf32>
  return %p : tensor<1x2x8x16xf32>
}

/// keep[i, n] = 16 n <= i: the compressed blocks visible to token i.
func.func @compressed_visibility() -> tensor<128x8xi1> {
  %e = tensor.empty() : tensor<128x8xi1>
  %m = linalg.generic {
      indexing_maps = [affine_map<(i, n) -> (i, n)>],
      iterator_types = ["parallel", "parallel"]} outs(%e : tensor<128x8xi1>) {
  ^bb0(%unused: i1):
    %i = linalg.index 0 : index
    %n = linalg.index 1 : index
    %c16 = arith.constant 16 : index
    %first = arith.muli %n, %c16 : index
    %keep = arith.cmpi ule, %first, %i : index
    linalg.yield %keep : i1
  } -> tensor<128x8xi1>
  return %m : tensor<128x8xi1>
}

func.func @nsa(%q: tensor<1x4x128x16xf32>, %k: tensor<1x2x128x16xf32>,
               %v: tensor<1x2x128x16xf32>, %gates: tensor<1x4x128x3xf32>)
    -> tensor<1x4x128x16xf32> {
  %oi = tensor.empty() : tensor<1x4x128x16xf32>
  %li = tensor.empty() : tensor<1x4x128xf32>
  // Compression branch.
  %kc = call @pool(%k) : (tensor<1x2x128x16xf32>) -> tensor<1x2x8x16xf32>
  %vc = call @pool(%v) : (tensor<1x2x128x16xf32>) -> tensor<1x2x8x16xf32>
  %vis = call @compressed_visibility() : () -> tensor<128x8xi1>
  %oc, %lc = attn.attention ins(%q, %kc, %vc : tensor<1x4x128x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
      mask(%vis : tensor<128x8xi1>)
      outs(%oi, %li : tensor<1x4x128x16xf32>, tensor<1x4x128xf32>)
      -> tensor<1x4x128x16xf32>, tensor<1x4x128xf32>
  // Selection branch: the compression probabilities (its lse reused),
  // summed over each group, top 4 with block 0 and 2 local blocks forced.
  %si = tensor.empty() : tensor<1x2x128x8xf32>
  %s = attn.block_scores ins(%q, %kc : tensor<1x4x128x16xf32>, tensor<1x2x8x16xf32>)
      lse(%lc : tensor<1x4x128xf32>) outs(%si : tensor<1x2x128x8xf32>)
      {block_size = 16, pooling = "none", reduce = "sum", causal, normalize}
      -> tensor<1x2x128x8xf32>
  %ci = tensor.empty() : tensor<1x2x128xi32>
  %ii = tensor.empty() : tensor<1x2x128x4xi32>
  %cnt, %idx = attn.select_blocks ins(%s : tensor<1x2x128x8xf32>)
      outs(%ci, %ii : tensor<1x2x128xi32>, tensor<1x2x128x4xi32>)
      {k = 4, block_size = 16, causal, forced_first = 1, local = 2}
      -> tensor<1x2x128xi32>, tensor<1x2x128x4xi32>
  %os = attn.attention ins(%q, %k, %v : tensor<1x4x128x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>)
      kv_blocks(%cnt, %idx : tensor<1x2x128xi32>, tensor<1x2x128x4xi32>)
      outs(%oi : tensor<1x4x128x16xf32>)
      {masks = [#attn.causal], q_block_size = 1 : i64, kv_block_size = 16 : i64, kv_blocks_per_group}
      -> tensor<1x4x128x16xf32>
  // Sliding-window branch.
  %ow = attn.attention ins(%q, %k, %v : tensor<1x4x128x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>)
      outs(%oi : tensor<1x4x128x16xf32>)
      {masks = [#attn.causal, #attn.sliding_window<left = 31, right = 0>]}
      -> tensor<1x4x128x16xf32>
  // Gated sum.
  %out = linalg.generic {
      indexing_maps = [affine_map<(b, h, i, d) -> (b, h, i, d)>,
                       affine_map<(b, h, i, d) -> (b, h, i, d)>,
                       affine_map<(b, h, i, d) -> (b, h, i, d)>,
                       affine_map<(b, h, i, d) -> (b, h, i, 0)>,
                       affine_map<(b, h, i, d) -> (b, h, i, 1)>,
                       affine_map<(b, h, i, d) -> (b, h, i, 2)>,
                       affine_map<(b, h, i, d) -> (b, h, i, d)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%oc, %os, %ow, %gates, %gates, %gates : tensor<1x4x128x16xf32>, tensor<1x4x128x16xf32>,
          tensor<1x4x128x16xf32>, tensor<1x4x128x3xf32>, tensor<1x4x128x3xf32>, tensor<1x4x128x3xf32>)
      outs(%oi : tensor<1x4x128x16xf32>) {
  ^bb0(%c: f32, %sv: f32, %w: f32, %g0: f32, %g1: f32, %g2: f32, %unused: f32):
    %a = arith.mulf %g0, %c : f32
    %b = arith.mulf %g1, %sv : f32
    %d = arith.mulf %g2, %w : f32
    %ab = arith.addf %a, %b : f32
    %r = arith.addf %ab, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x4x128x16xf32>
  return %out : tensor<1x4x128x16xf32>
}
