// Cascade (shared-prefix) attention for a batch of 4 sequences that share a
// 300-token prefix (a system prompt) and each own a suffix of up to 37
// tokens (`suffix_len[b]` of them valid, at least the 2 new tokens whose
// queries these are), decoding 2 new tokens per sequence (causal, aligned
// to each sequence's end); 8 query heads over 2
// key/value heads, head dim 64.
//
//   attention(q_b, [prefix; suffix_b[:len_b]])
//     = merge_states(attention(q_b, prefix), attention(q_b, suffix_b))
//
// The prefix attention folds the batch into the query rows ([1, H, B*Lq, D]),
// so the shared K/V is read once for the whole batch instead of once per
// sequence (with -attn-tile's decode path: once per GQA group, the 4 heads x
// 8 rows of a group in one tile). Every suffix query sees the whole prefix,
// so the prefix attention has no mask; causality and the suffix lengths
// apply to the suffix attention only (bottom-right aligned: row i sees the
// suffix keys j <= len_b - Lq + i; the form needs len_b >= Lq, queries
// inside the suffix). Both return their log-sum-exp; attn.merge_states
// combines the two normalised states (a row that sees no suffix key, lse =
// -inf, keeps the prefix result).
//
// Compiled and checked against numpy by examples/cascade_attention.py.

func.func @cascade(%q: tensor<4x8x2x64xf32>,
                   %k_prefix: tensor<1x2x300x64xf32>, %v_prefix: tensor<1x2x300x64xf32>,
                   %k_suffix: tensor<4x2x37x64xf32>, %v_suffix: tensor<4x2x37x64xf32>,
                   %suffix_len: tensor<4xi32>) -> tensor<4x8x2x64xf32> {
  // Prefix: queries [B, H, Lq, D] -> [1, H, B * Lq, D].
  %qt_init = tensor.empty() : tensor<8x4x2x64xf32>
  %qt = linalg.transpose ins(%q : tensor<4x8x2x64xf32>) outs(%qt_init : tensor<8x4x2x64xf32>) permutation = [1, 0, 2, 3]
  %qf = tensor.collapse_shape %qt [[0], [1, 2], [3]] : tensor<8x4x2x64xf32> into tensor<8x8x64xf32>
  %qp = tensor.expand_shape %qf [[0, 1], [2], [3]] output_shape [1, 8, 8, 64] : tensor<8x8x64xf32> into tensor<1x8x8x64xf32>
  %op_init = tensor.empty() : tensor<1x8x8x64xf32>
  %lp_init = tensor.empty() : tensor<1x8x8xf32>
  %op, %lp = attn.attention ins(%qp, %k_prefix, %v_prefix : tensor<1x8x8x64xf32>, tensor<1x2x300x64xf32>, tensor<1x2x300x64xf32>)
      outs(%op_init, %lp_init : tensor<1x8x8x64xf32>, tensor<1x8x8xf32>) -> tensor<1x8x8x64xf32>, tensor<1x8x8xf32>
  // Back to [B, H, Lq, ...].
  %opf = tensor.collapse_shape %op [[0, 1], [2], [3]] : tensor<1x8x8x64xf32> into tensor<8x8x64xf32>
  %ope = tensor.expand_shape %opf [[0], [1, 2], [3]] output_shape [8, 4, 2, 64] : tensor<8x8x64xf32> into tensor<8x4x2x64xf32>
  %o_prefix_init = tensor.empty() : tensor<4x8x2x64xf32>
  %o_prefix = linalg.transpose ins(%ope : tensor<8x4x2x64xf32>) outs(%o_prefix_init : tensor<4x8x2x64xf32>) permutation = [1, 0, 2, 3]
  %lpf = tensor.collapse_shape %lp [[0, 1], [2]] : tensor<1x8x8xf32> into tensor<8x8xf32>
  %lpe = tensor.expand_shape %lpf [[0], [1, 2]] output_shape [8, 4, 2] : tensor<8x8xf32> into tensor<8x4x2xf32>
  %l_prefix_init = tensor.empty() : tensor<4x8x2xf32>
  %l_prefix = linalg.transpose ins(%lpe : tensor<8x4x2xf32>) outs(%l_prefix_init : tensor<4x8x2xf32>) permutation = [1, 0, 2]

  // Suffix: per-sequence keys, causal within each sequence's valid suffix.
  %os_init = tensor.empty() : tensor<4x8x2x64xf32>
  %ls_init = tensor.empty() : tensor<4x8x2xf32>
  %o_suffix, %l_suffix = attn.attention ins(%q, %k_suffix, %v_suffix : tensor<4x8x2x64xf32>, tensor<4x2x37x64xf32>, tensor<4x2x37x64xf32>)
      kv_lengths(%suffix_len : tensor<4xi32>)
      outs(%os_init, %ls_init : tensor<4x8x2x64xf32>, tensor<4x8x2xf32>) {masks = [#attn.causal]} -> tensor<4x8x2x64xf32>, tensor<4x8x2xf32>

  // Merge the two normalised states through their log-sum-exps.
  %o_init = tensor.empty() : tensor<4x8x2x64xf32>
  %l_init = tensor.empty() : tensor<4x8x2xf32>
  %o, %l = attn.merge_states values(%o_prefix, %o_suffix : tensor<4x8x2x64xf32>, tensor<4x8x2x64xf32>)
      lses(%l_prefix, %l_suffix : tensor<4x8x2xf32>, tensor<4x8x2xf32>)
      outs(%o_init, %l_init : tensor<4x8x2x64xf32>, tensor<4x8x2xf32>) -> tensor<4x8x2x64xf32>, tensor<4x8x2xf32>
  return %o : tensor<4x8x2x64xf32>
}
