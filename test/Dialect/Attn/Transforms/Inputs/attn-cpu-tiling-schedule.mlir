// The default CPU pipeline's tiling of attn.attention as a transform
// script: upstream tile_using_forall over (batch, head, query tile) with the
// default tile of 128 query rows and the key axis whole (tile 0). Running
// it before `-attn-fuse-elementwise -attn-tile` gives the IR that
// `-attn-tile{fuse-elementwise}` builds on its own (attn-tile-transform.mlir).
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tile, %loop = transform.structured.tile_using_forall %a tile_sizes [1, 1, 128, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
