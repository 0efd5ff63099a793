// RUN: attn-opt %s -split-input-file --attn-tile="q-tile=32 kv-tile=16 fuse-elementwise=true" | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-fuse-elementwise | FileCheck %s --check-prefix=STANDALONE

#id = affine_map<(b, h, l, d) -> (b, h, l, d)>
#row = affine_map<(b, h, l, d) -> (l, d)>

/// A chain of producers of Q (cast, then scale) runs once per query tile, a
/// producer of K (a table product, cheap enough to recompute) once per query
/// tile for all keys, and the output gate on each output tile: no
/// whole-tensor op is left outside the loop.
// CHECK-LABEL: func.func @producers_and_gate
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<1x2x64x32xbf16>, %[[K:[a-z0-9]+]]: tensor<1x2x64x32xf32>
//  CHECK-SAME:   %[[COS:[a-z0-9]+]]: tensor<64x32xf32>, %[[G:[a-z0-9]+]]: tensor<1x2x64x32xf32>
//   CHECK-NOT:   linalg.generic
//       CHECK:   %[[R:.+]] = scf.forall (%[[H:.+]], %[[T:.+]]) in (2, 2) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<1x2x64x32xf32>)
//       CHECK:     %[[XS:.+]] = tensor.extract_slice %[[X]][%{{.+}}, %[[H]], %{{.+}}, 0] [1, 1, 32, 32]
//       CHECK:     %[[QF:.+]] = linalg.generic {{.+}} ins(%[[XS]] : tensor<1x1x32x32xbf16>)
//       CHECK:       arith.extf
//       CHECK:     linalg.generic {{.+}} ins(%[[QF]] : tensor<1x1x32x32xf32>)
//       CHECK:       arith.mulf
//       CHECK:     %[[KS:.+]] = tensor.extract_slice %[[K]][%{{.+}}, %[[H]], 0, 0] [1, 1, 64, 32]
//       CHECK:     linalg.generic {{.+}} ins(%[[KS]], %[[COS]] : tensor<1x1x64x32xf32>, tensor<64x32xf32>)
//       CHECK:     scf.for
//       CHECK:     %[[GS:.+]] = tensor.extract_slice %[[G]][%{{.+}}, %[[H]], %{{.+}}, 0] [1, 1, 32, 32]
//       CHECK:     linalg.generic {{.+}} ins(%[[GS]], %{{.+}} : tensor<1x1x32x32xf32>, tensor<1x1x32x32xf32>)
//       CHECK:       math.exp
//       CHECK:     scf.forall.in_parallel
//       CHECK:       tensor.parallel_insert_slice %{{.+}} into %[[OUT]][%{{.+}}, %[[H]], %{{.+}}, 0] [1, 1, 32, 32]
//   CHECK-NOT:   linalg.generic
//       CHECK:   return %[[R]]
func.func @producers_and_gate(%x: tensor<1x2x64x32xbf16>, %k: tensor<1x2x64x32xf32>,
    %v: tensor<1x2x64x32xf32>, %cos: tensor<64x32xf32>, %g: tensor<1x2x64x32xf32>)
    -> tensor<1x2x64x32xf32> {
  %e = tensor.empty() : tensor<1x2x64x32xf32>
  %qf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x2x64x32xbf16>) outs(%e : tensor<1x2x64x32xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %f = arith.extf %a : bf16 to f32
    linalg.yield %f : f32
  } -> tensor<1x2x64x32xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%qf : tensor<1x2x64x32xf32>) outs(%e : tensor<1x2x64x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 0.5 : f32
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<1x2x64x32xf32>
  %kr = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k, %cos : tensor<1x2x64x32xf32>, tensor<64x32xf32>) outs(%e : tensor<1x2x64x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<1x2x64x32xf32>
  %init38_0 = tensor.empty() : tensor<1x2x64x32xf32>
  %o = attn.attention ins(%q, %kr, %v : tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>)
      outs(%init38_0 : tensor<1x2x64x32xf32>) {masks = [#attn.causal]} -> tensor<1x2x64x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%g, %o : tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>) outs(%e : tensor<1x2x64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %den = arith.addf %one, %ex : f32
    %s = arith.divf %b, %den : f32
    linalg.yield %s : f32
  } -> tensor<1x2x64x32xf32>
  return %r : tensor<1x2x64x32xf32>
}

// -----

#id = affine_map<(b, h, l, d) -> (b, h, l, d)>

/// Heads merged by a transpose, then cast to bf16: both run on the output
/// tile, which the loop writes strided into the [B, L, H, D] result.
// CHECK-LABEL: func.func @transpose_cast_consumers
//       CHECK:   scf.forall {{.+}} -> (tensor<1x64x2x32xbf16>)
//       CHECK:     %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<1x1x32x32xf32>) outs(%{{.+}} : tensor<1x32x1x32xf32>) permutation = [0, 2, 1, 3]
//       CHECK:     linalg.generic {{.+}} ins(%[[T]] : tensor<1x32x1x32xf32>)
//       CHECK:       arith.truncf
//       CHECK:     tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, 0] [1, 32, 1, 32] [1, 1, 1, 1] : tensor<1x32x1x32xbf16> into tensor<1x64x2x32xbf16>
//   CHECK-NOT:   linalg
func.func @transpose_cast_consumers(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>,
    %v: tensor<1x2x64x32xf32>) -> tensor<1x64x2x32xbf16> {
  %init39_0 = tensor.empty() : tensor<1x2x64x32xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>)
      outs(%init39_0 : tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32>
  %et = tensor.empty() : tensor<1x64x2x32xf32>
  %t = linalg.transpose ins(%o : tensor<1x2x64x32xf32>) outs(%et : tensor<1x64x2x32xf32>) permutation = [0, 2, 1, 3]
  %eb = tensor.empty() : tensor<1x64x2x32xbf16>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t : tensor<1x64x2x32xf32>) outs(%eb : tensor<1x64x2x32xbf16>) {
  ^bb0(%a: f32, %out: bf16):
    %f = arith.truncf %a : f32 to bf16
    linalg.yield %f : bf16
  } -> tensor<1x64x2x32xbf16>
  return %r : tensor<1x64x2x32xbf16>
}

// -----

#id = affine_map<(b, h, l, d) -> (b, h, l, d)>
#sum_in = affine_map<(b, h, l, d) -> (b, h, l, d)>
#sum_out = affine_map<(b, h, l, d) -> (b, h, l)>
#shift = affine_map<(b, h, l, d) -> (b, h, l, (d + 16) mod 32)>

/// A producer with a reduction (a row sum over D), a producer whose map is
/// not a projected permutation (its tile is not an interval), a value
/// producer too costly to recompute for every query tile (math.exp) and a
/// consumer with a reduction stay outside the loop.
// CHECK-LABEL: func.func @negative_reductions_and_shifts
//       CHECK:   %[[Q:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
//       CHECK:   %[[K:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
//       CHECK:   %[[V:.+]] = linalg.generic
//       CHECK:     math.exp
//       CHECK:   %[[O:.+]] = scf.forall
//       CHECK:     tensor.extract_slice %[[K]]
//       CHECK:     tensor.extract_slice %[[V]]
//       CHECK:   } {attn.tiled_attention}
//       CHECK:   linalg.generic {{.+}}"reduction"]} ins(%[[O]] : tensor<1x2x64x32xf32>)
func.func @negative_reductions_and_shifts(%x: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>,
    %v: tensor<1x2x64x32xf32>) -> tensor<1x2x64xf32> {
  %e = tensor.empty() : tensor<1x2x64x32xf32>
  %z = arith.constant 0.0 : f32
  %e3 = tensor.empty() : tensor<1x2x64xf32>
  %zero3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  // q = x + sum_d x (a row reduction inside a 4-D generic).
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : tensor<1x2x64x32xf32>) outs(%x : tensor<1x2x64x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<1x2x64x32xf32>
  %ks = linalg.generic {indexing_maps = [#shift, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<1x2x64x32xf32>) outs(%e : tensor<1x2x64x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x64x32xf32>
  %ve = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v : tensor<1x2x64x32xf32>) outs(%e : tensor<1x2x64x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %ex = math.exp %a : f32
    linalg.yield %ex : f32
  } -> tensor<1x2x64x32xf32>
  %init40_0 = tensor.empty() : tensor<1x2x64x32xf32>
  %o = attn.attention ins(%q, %ks, %ve : tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>)
      outs(%init40_0 : tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32>
  %r = linalg.generic {indexing_maps = [#sum_in, #sum_out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%o : tensor<1x2x64x32xf32>) outs(%zero3 : tensor<1x2x64xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %out : f32
    linalg.yield %s : f32
  } -> tensor<1x2x64xf32>
  return %r : tensor<1x2x64xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

/// The standalone pass fuses only into loops that hold attention tiles
/// (test attn-tile-transform.mlir fuses into a transform script's loop).
// STANDALONE-LABEL: func.func @negative_other_forall
//       STANDALONE:   %[[P:.+]] = linalg.generic
//       STANDALONE:   scf.forall
//       STANDALONE:     tensor.extract_slice %[[P]]
func.func @negative_other_forall(%x: tensor<64xf32>) -> tensor<64xf32> {
  %e = tensor.empty() : tensor<64xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %r = scf.forall (%i) in (4) shared_outs(%out = %e) -> (tensor<64xf32>) {
    %off = affine.apply affine_map<(d0) -> (d0 * 16)>(%i)
    %s = tensor.extract_slice %p[%off] [16] [1] : tensor<64xf32> to tensor<16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %out[%off] [16] [1] : tensor<16xf32> into tensor<64xf32>
    }
  }
  return %r : tensor<64xf32>
}
