// RUN: attn-opt %s --attn-tile="fuse-elementwise=true" -canonicalize -cse | FileCheck %s
// RUN: attn-opt %s -transform-preload-library=transform-library-paths=%S/Inputs/attn-cpu-tiling-schedule.mlir \
// RUN:     -transform-interpreter --attn-fuse-elementwise --attn-tile -canonicalize -cse | FileCheck %s

/// A transform script (Inputs/attn-cpu-tiling-schedule.mlir: upstream
/// tile_using_forall, tiles [1, 1, 128, 0]) followed by the standalone
/// fusion pass and -attn-tile reproduces the default CPU tiling: the same
/// loops, tiles and fused ops as -attn-tile{fuse-elementwise} alone (up to
/// the order of constants and an empty init the standalone pass folds).
/// -attn-tile lowers
/// the script's tiles (tiles of 128 rows already: no further loop) to the
/// same key loops, bounded per query tile by the causal mask, and the cast
/// of Q and the gate on the output run inside the loop.

// CHECK-LABEL: func.func @causal_cast_gate
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<1x4x512x64xbf16>
//   CHECK-NOT:   linalg.generic
//       CHECK:   scf.forall (%[[H:.+]], %[[T:.+]]) in (4, 4)
//       CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
//       CHECK:     %[[XS:.+]] = tensor.extract_slice %[[X]][0, %[[H]], %[[Q0]], 0] [1, 1, 128, 64]
//       CHECK:     linalg.generic {{.+}} ins(%[[XS]] : tensor<1x1x128x64xbf16>)
//       CHECK:       arith.extf
//       CHECK:     %[[END:.+]] = arith.addi %[[Q0]], %c128 : index
//       CHECK:     %[[HI:.+]] = arith.minsi %[[END]], %c512 : index
//       CHECK:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64
//       CHECK:     linalg.generic
//       CHECK:       math.exp
//       CHECK:     scf.forall.in_parallel
//   CHECK-NOT:   linalg.generic
#id = affine_map<(b, h, l, d) -> (b, h, l, d)>
func.func @causal_cast_gate(%x: tensor<1x4x512x64xbf16>, %k: tensor<1x4x512x64xf32>,
    %v: tensor<1x4x512x64xf32>, %g: tensor<1x4x512x64xf32>) -> tensor<1x4x512x64xf32> {
  %e = tensor.empty() : tensor<1x4x512x64xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x512x64xbf16>) outs(%e : tensor<1x4x512x64xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %f = arith.extf %a : bf16 to f32
    linalg.yield %f : f32
  } -> tensor<1x4x512x64xf32>
  %init = tensor.empty() : tensor<1x4x512x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x512x64xf32>, tensor<1x4x512x64xf32>, tensor<1x4x512x64xf32>)
      outs(%init : tensor<1x4x512x64xf32>) {masks = [#attn.causal]} -> tensor<1x4x512x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%g, %o : tensor<1x4x512x64xf32>, tensor<1x4x512x64xf32>) outs(%e : tensor<1x4x512x64xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %den = arith.addf %one, %ex : f32
    %s = arith.divf %b, %den : f32
    linalg.yield %s : f32
  } -> tensor<1x4x512x64xf32>
  return %r : tensor<1x4x512x64xf32>
}
