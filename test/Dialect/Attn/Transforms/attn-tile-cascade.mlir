// RUN: attn-opt %attn_src_root/examples/cascade_attention.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %attn_src_root/examples/cascade_attention.mlir -attn-tile="num-threads=2" -canonicalize -cse | FileCheck %s --check-prefix=TILE

/// Cascade attention (examples/cascade_attention.mlir): the prefix attention
/// over the batch folded into its query rows, the suffix attention per
/// sequence, and attn.merge_states of their (output, log-sum-exp) states.
// CHECK-LABEL: func @cascade
// CHECK:   %[[QT:.+]] = linalg.transpose ins(%{{.+}} : tensor<4x8x2x64xf32>) {{.*}} permutation = [1, 0, 2, 3]
// CHECK:   %[[QF:.+]] = tensor.collapse_shape %[[QT]] {{\[}}[0], [1, 2], [3]] : tensor<8x4x2x64xf32> into tensor<8x8x64xf32>
// CHECK:   %[[QP:.+]] = tensor.expand_shape %[[QF]] {{.*}} into tensor<1x8x8x64xf32>
// CHECK:   %[[OP:.+]], %[[LP:.+]] = attn.attention ins(%[[QP]], %{{.+}}, %{{.+}} : tensor<1x8x8x64xf32>, tensor<1x2x300x64xf32>, tensor<1x2x300x64xf32>)
// CHECK:   %[[OS:.+]], %[[LS:.+]] = attn.attention ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<4x8x2x64xf32>, tensor<4x2x37x64xf32>, tensor<4x2x37x64xf32>) kv_lengths(%{{.+}} : tensor<4xi32>)
// CHECK-SAME: masks = [#attn.causal]
// CHECK:   %[[O:.+]], %{{.+}} = attn.merge_states values(%{{.+}}, %[[OS]] : tensor<4x8x2x64xf32>, tensor<4x8x2x64xf32>) lses(%{{.+}}, %[[LS]] : tensor<4x8x2xf32>, tensor<4x8x2xf32>)
// CHECK:   return %[[O]]

/// Tiled: the prefix attention is one decode tile per GQA group (2 tiles,
/// not 4 x 2): each reads its shared key/value head [300, 64] once for the
/// 4 heads x 8 (sequence, row) query rows of the whole batch (32 tile rows).
/// The suffix attention has a tile per (sequence, group): 4 heads x 2 rows.
// TILE-LABEL: func @cascade
// TILE:   scf.forall (%[[G:.+]]) in (2) shared_outs(
// TILE:     tensor.extract_slice %{{.+}}[0, %[[G]], 0, 0] [1, 1, 300, 64] [1, 1, 1, 1] : tensor<1x2x300x64xf32> to tensor<1x1x300x64xf32>
// TILE:     scf.for %{{.+}} = %c0 to %c300 step %c64 iter_args({{.*}}) -> (tensor<32xf32>, tensor<32xf32>, tensor<32x64xf32>)
// TILE:   scf.forall (%[[B:.+]], %[[G2:.+]]) in (4, 2) shared_outs(
// TILE:     tensor.extract_slice %{{.+}}[%[[B]], %[[G2]], 0, 0] [1, 1, 37, 64] [1, 1, 1, 1] : tensor<4x2x37x64xf32> to tensor<1x1x37x64xf32>
// TILE:     -> (tensor<8xf32>, tensor<8xf32>, tensor<8x64xf32>)
// TILE:   attn.merge_states
