// RUN: attn-opt %s -attn-tile="q-tile=64 kv-tile=64" -canonicalize -cse -split-input-file | FileCheck %s

/// The mask analysis (Utils/MaskAnalysis.h) of mask_mod regions: each mask
/// written as a region gets the key-loop bounds of the same mask written as a
/// structured term (Lq = Lkv = 256, query and key tiles of 64; q0 = 64 * t, an affine.apply of the normalised loop index
/// and the rows of the tile are [q0, q0 + tq - 1]), and a per-tile
/// classification: the full test and the skip of tiles that keep nothing.
/// Causal: keys [0, min(Lkv, q0 + tq)); full tiles: kHi <= q0; the
/// region's tiles past the last row (k0 > qHi) are skipped.
// CHECK-LABEL: func @causal_structured
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[QEND]], %c256 : index
// CHECK:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64
func.func @causal_structured(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.causal]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

// CHECK-LABEL: func @causal_region
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[QHI:.+]] = arith.addi %[[Q0]], %c63 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[QEND]], %c256 : index
// CHECK:     scf.for %[[K0:.+]] = %c0 to %[[HI]] step %c64
// CHECK:       %[[KEND:.+]] = arith.addi %[[K0]], %{{.+}} : index
// CHECK:       %[[KHI:.+]] = arith.addi %[[KEND]], %c-1 : index
// CHECK:       %[[FULL:.+]] = arith.cmpi sle, %[[KHI]], %[[Q0]] : index
// CHECK:       %[[MAY:.+]] = arith.cmpi sle, %[[K0]], %[[QHI]] : index
// CHECK:       %[[TRIPS:.+]] = arith.select %[[MAY]], %c1, %c0 : index
// CHECK:       scf.for %{{.+}} = %c0 to %[[TRIPS]] step %c1
// CHECK:         arith.andi %{{.+}}, %[[FULL]] : i1
func.func @causal_region(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %keep = arith.cmpi sle, %j, %i : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// Causal sliding window of 16 keys: [max(0, q0 - 16), min(Lkv, q0 + tq)).
// CHECK-LABEL: func @window_structured
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[W:.+]] = arith.addi %[[Q0]], %c-16 : index
// CHECK:     %[[LO:.+]] = arith.maxsi %[[W]], %c0 : index
// CHECK:     %[[HI:.+]] = arith.minsi %{{.+}}, %[[QEND]] : index
// CHECK:     scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c64
func.func @window_structured(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 16, right = 0>]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

// CHECK-LABEL: func @window_region
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[W:.+]] = arith.subi %[[Q0]], %c16 : index
// CHECK:     %[[LO0:.+]] = arith.maxsi %[[W]], %c0 : index
// CHECK:     %[[HI0:.+]] = arith.minsi %[[QEND]], %c256 : index
// CHECK:     %[[LO:.+]] = arith.maxsi %[[LO0]], %c0 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[HI0]], %c256 : index
// CHECK:     scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c64
func.func @window_region(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c16 = arith.constant 16 : index
        %d = arith.subi %i, %j : index
        %near = arith.cmpi sle, %d, %c16 : index
        %past = arith.cmpi sle, %j, %i : index
        %keep = arith.andi %near, %past : i1
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// Chunks of 32: keys [32 * floor(q0 / 32), 32 * (floor(qHi / 32) + 1)).
// CHECK-LABEL: func @chunked_structured
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QHI:.+]] = arith.addi %[[Q0]], %c63 : index
// CHECK-DAG: %[[CLO:.+]] = arith.floordivsi %[[Q0]], %c32 : index
// CHECK-DAG: %[[CHI:.+]] = arith.floordivsi %[[QHI]], %c32 : index
// CHECK-DAG: %[[LO0:.+]] = arith.muli %[[CLO]], %c32 : index
// CHECK:     %[[LO:.+]] = arith.maxsi %[[LO0]], %c0 : index
// CHECK:     %[[HI:.+]] = arith.minsi %{{.+}}, %c256 : index
// CHECK:     scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c64
func.func @chunked_structured(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.chunked<32>]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

// CHECK-LABEL: func @chunked_region
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QHI:.+]] = arith.addi %[[Q0]], %c63 : index
// CHECK-DAG: %[[CLO:.+]] = arith.floordivsi %[[Q0]], %c32 : index
// CHECK-DAG: %[[CHI:.+]] = arith.floordivsi %[[QHI]], %c32 : index
// CHECK-DAG: %[[LO0:.+]] = arith.muli %[[CLO]], %c32 : index
// CHECK:     %[[LO:.+]] = arith.maxsi %[[LO0]], %c0 : index
// CHECK:     %[[HI:.+]] = arith.minsi %{{.+}}, %c256 : index
// CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c64
func.func @chunked_region(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c32 = arith.constant 32 : index
        %qc = arith.floordivsi %i, %c32 : index
        %kc = arith.floordivsi %j, %c32 : index
        %keep = arith.cmpi eq, %qc, %kc : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// Prefix-LM with a prefix of 40: keys [0, min(Lkv, max(40, q0 + tq))).
// CHECK-LABEL: func @prefix_lm_structured
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[P:.+]] = arith.maxsi %[[QEND]], %c40 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[P]], %c256 : index
// CHECK:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64
func.func @prefix_lm_structured(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.prefix_lm<40>]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

// CHECK-LABEL: func @prefix_lm_region
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[P:.+]] = arith.maxsi %[[QEND]], %c40 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[P]], %c256 : index
// CHECK:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64
func.func @prefix_lm_region(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c40 = arith.constant 40 : index
        %pre = arith.cmpi slt, %j, %c40 : index
        %past = arith.cmpi sle, %j, %i : index
        %keep = arith.ori %pre, %past : i1
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// Causal with dilation 2: the causal bound; the remainder is not
/// invertible, so keys in range stay partial (the region decides).
// CHECK-LABEL: func @dilated_structured
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[QEND]], %c256 : index
// CHECK:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64
func.func @dilated_structured(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.causal, #attn.dilated<2>]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

// CHECK-LABEL: func @dilated_region
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QEND:.+]] = arith.addi %[[Q0]], %c64 : index
// CHECK:     %[[HI:.+]] = arith.minsi %[[QEND]], %c256 : index
// CHECK:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64
// CHECK:       arith.remsi
func.func @dilated_region(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c0 = arith.constant 0 : index
        %c2 = arith.constant 2 : index
        %d = arith.subi %i, %j : index
        %r = arith.remsi %d, %c2 : index
        %even = arith.cmpi eq, %r, %c0 : index
        %past = arith.cmpi sle, %j, %i : index
        %keep = arith.andi %even, %past : i1
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// A region the analysis cannot bound: a product of both indices and a
/// captured table read at a key-dependent index. The key loop covers every
/// key; the table read is summarised per key tile at run time (min/max of
/// the tile's entries), and the region is evaluated on every element.
// CHECK-LABEL: func @negative_opaque_region
// CHECK:   scf.for %[[K0:.+]] = %c0 to %c256 step %c64
// CHECK:     %[[C:.+]] = arith.minsi %[[K0]], %c255 : index
// CHECK:     %[[AT:.+]] = arith.maxsi %[[C]], %c0 : index
// CHECK:     %[[FIRST:.+]] = tensor.extract %{{.+}}[%[[AT]]] : tensor<256xindex>
// CHECK:     scf.for %{{.+}} iter_args(%{{.+}} = %[[FIRST]], %{{.+}} = %[[FIRST]])
// CHECK:       arith.minsi
// CHECK:       arith.maxsi
// CHECK:     tensor.extract %{{.+}} : tensor<256xindex>
func.func @negative_opaque_region(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>, %ids: tensor<256xindex>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c3 = arith.constant 3 : index
        %p = arith.muli %i, %j : index
        %r = arith.remsi %p, %c3 : index
        %d = tensor.extract %ids[%j] : tensor<256xindex>
        %keep = arith.cmpi ne, %r, %d : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// 2-D neighbourhood, 16 x 16 grid, 3 x 3 kernel: a query tile of 64 rows is
/// grid rows r0 = q0 / 16 .. r1 = qHi / 16, whose windows cover grid rows
/// max(0, min(r0 - 1, 13)) .. max(2, min(r1 + 1, 15)) (shifted inward at the
/// borders): the key loop is their hull. Inside it, key tiles that meet no
/// window are skipped (the union of intervals at tile granularity).
// CHECK-LABEL: func @neighborhood_2d
// CHECK:   scf.forall (%{{.+}}, %[[T:.+]]) in (2, 4)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     %[[QLO:.+]] = arith.maxsi %[[Q0]], %c0 : index
// CHECK:     %[[QHI:.+]] = arith.minsi %{{.+}}, %c255 : index
// CHECK:     %[[R0D:.+]] = arith.divsi %[[QLO]], %c16 : index
// CHECK:     %[[R0:.+]] = arith.remsi %[[R0D]], %c16 : index
// CHECK:     %[[R1D:.+]] = arith.divsi %[[QHI]], %c16 : index
// CHECK:     %[[R1:.+]] = arith.remsi %[[R1D]], %c16 : index
// CHECK:     %[[A:.+]] = arith.subi %[[R0]], %c1 : index
// CHECK:     %[[B:.+]] = arith.minsi %[[A]], %c13 : index
// CHECK:     %[[ROWLO:.+]] = arith.maxsi %[[B]], %c0 : index
// CHECK:     %[[C:.+]] = arith.addi %[[R1]], %c1 : index
// CHECK:     %[[D:.+]] = arith.minsi %[[C]], %c15 : index
// CHECK:     %[[ROWHI:.+]] = arith.maxsi %[[D]], %c2 : index
// CHECK:     arith.muli %[[ROWLO]], %c16 : index
// CHECK:     arith.muli %[[ROWHI]], %c16 : index
// CHECK:     scf.for %[[K0:.+]] = %{{.+}} to %{{.+}} step %c64
// CHECK:       arith.cmpi sle, %{{.+}}, %[[ROWHI]] : index
// CHECK:       arith.cmpi sle, %[[ROWLO]], %{{.+}} : index
// CHECK:       %[[TRIPS:.+]] = arith.select %{{.+}}, %c1, %c0 : index
// CHECK:       scf.for %{{.+}} = %c0 to %[[TRIPS]] step %c1
func.func @neighborhood_2d(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.neighborhood<grid = [16, 16], kernel = [3, 3]>]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// 3-D neighbourhood, 4 x 8 x 8 grid, kernel 3 x 3 x 3, dilation 2 on the
/// middle axis, causal along the first: a query tile of 64 rows is one plane
/// p = q0 / 64, which keeps planes max(0, p - 2) .. p: keys
/// [64 * max(0, p - 2), 64 * p + 64).
// CHECK-LABEL: func @neighborhood_3d
// CHECK:     %[[QLO:.+]] = arith.maxsi %{{.+}}, %c0 : index
// CHECK:     %[[QHI:.+]] = arith.minsi %{{.+}}, %c255 : index
// CHECK:     %[[P0D:.+]] = arith.divsi %[[QLO]], %c64 : index
// CHECK:     %[[P0:.+]] = arith.remsi %[[P0D]], %c4 : index
// CHECK:     %[[P1D:.+]] = arith.divsi %[[QHI]], %c64 : index
// CHECK:     %[[P1:.+]] = arith.remsi %[[P1D]], %c4 : index
// CHECK:     %[[A:.+]] = arith.subi %[[P0]], %c2 : index
// CHECK:     %[[PLO:.+]] = arith.maxsi %[[A]], %c0 : index
// CHECK:     arith.muli %[[PLO]], %c64 : index
// CHECK:     arith.muli %[[P1]], %c64 : index
// CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c64
// CHECK:       %[[TRIPS:.+]] = arith.select %{{.+}}, %c1, %c0 : index
// CHECK:       scf.for %{{.+}} = %c0 to %[[TRIPS]] step %c1
func.func @neighborhood_3d(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) {masks = [#attn.neighborhood<grid = [4, 8, 8], kernel = [3, 3, 3], dilation = [1, 2, 1], causal = [true, false, false]>]} -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

/// A chain of selects that share their operands: the key-interval recursion
/// is not memoised, so it runs on a step budget (past it, every key is
/// kept); without one this case takes 4^24 steps.
// CHECK-LABEL: func @negative_shared_select_chain
// CHECK:   scf.for
func.func @negative_shared_select_chain(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %init: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>)
      outs(%init : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %p0 = arith.cmpi sle, %j, %i : index
        %p1 = arith.select %p0, %p0, %p0 : i1
        %p2 = arith.select %p1, %p1, %p1 : i1
        %p3 = arith.select %p2, %p2, %p2 : i1
        %p4 = arith.select %p3, %p3, %p3 : i1
        %p5 = arith.select %p4, %p4, %p4 : i1
        %p6 = arith.select %p5, %p5, %p5 : i1
        %p7 = arith.select %p6, %p6, %p6 : i1
        %p8 = arith.select %p7, %p7, %p7 : i1
        %p9 = arith.select %p8, %p8, %p8 : i1
        %p10 = arith.select %p9, %p9, %p9 : i1
        %p11 = arith.select %p10, %p10, %p10 : i1
        %p12 = arith.select %p11, %p11, %p11 : i1
        %p13 = arith.select %p12, %p12, %p12 : i1
        %p14 = arith.select %p13, %p13, %p13 : i1
        %p15 = arith.select %p14, %p14, %p14 : i1
        %p16 = arith.select %p15, %p15, %p15 : i1
        %p17 = arith.select %p16, %p16, %p16 : i1
        %p18 = arith.select %p17, %p17, %p17 : i1
        %p19 = arith.select %p18, %p18, %p18 : i1
        %p20 = arith.select %p19, %p19, %p19 : i1
        %p21 = arith.select %p20, %p20, %p20 : i1
        %p22 = arith.select %p21, %p21, %p21 : i1
        %p23 = arith.select %p22, %p22, %p22 : i1
        %p24 = arith.select %p23, %p23, %p23 : i1
        attn.yield %p24 : i1
      }
  return %o : tensor<1x2x256x64xf32>
}
