// Transform schedule for tiling-interface.mlir: tiles the ops tagged
// `forall` over (b, h, q) and splits the key axis of the ops tagged `split`
// over four partial states merged with attn.merge_states.
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["attn.attention"]} attributes {forall} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %f tile_sizes [1, 2, 3, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %s = transform.structured.match ops{["attn.attention"]} attributes {split} in %root : (!transform.any_op) -> !transform.any_op
    %f0, %f1, %f2, %f3, %f4, %part, %merge, %loop = transform.structured.tile_reduction_using_forall %s reduction_dims = [3] by num_threads = [0, 0, 0, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %b = transform.structured.match ops{["attn.attention"]} attributes {both} in %root : (!transform.any_op) -> !transform.any_op
    %t2, %l2 = transform.structured.tile_using_forall %b tile_sizes [1, 4, 5, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %g0, %g1, %g2, %g3, %g4, %part2, %merge2, %loop2 = transform.structured.tile_reduction_using_forall %t2 reduction_dims = [3] by num_threads = [0, 0, 0, 3] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
