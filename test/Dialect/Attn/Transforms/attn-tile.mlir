// RUN: attn-opt %s -attn-tile="q-tile=64 kv-tile=128 vector-bits=512" -attn-register-block-contractions=vector-bits=512 -canonicalize -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-tile="num-threads=8 vector-bits=512" -attn-register-block-contractions=vector-bits=512 -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=AUTO
// RUN: attn-opt %s -attn-tile="q-tile=16 kv-tile=32 vector-bits=512" -attn-register-block-contractions=vector-bits=512 -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=SMALL
// RUN: attn-opt %s -attn-tile="q-tile=64 kv-tile=128 vector-bits=512" -attn-register-block-contractions="vector-bits=512 bf16-dot=true" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=BF16DOT

/// Causal + sliding window on dynamic lengths. Per query tile, the key loop
/// runs over [max(0, q'lo - 256), min(Lkv, q'hi + 1)) with q' = i + (Lkv - Lq),
/// computed at run time from the lengths: tiles outside are never visited
/// and a new length needs no recompile. Tiles proven full skip the mask.
// CHECK-LABEL: func @causal_window
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x?x64xf32>, %[[K:.+]]: tensor<1x4x?x64xf32>, %[[V:.+]]: tensor<1x4x?x64xf32>)
// CHECK-DAG:   %[[C128:.+]] = arith.constant 128 : index
// CHECK-DAG:   %[[LQ:.+]] = tensor.dim %[[Q]], %c2
// CHECK-DAG:   %[[LKV:.+]] = tensor.dim %[[K]], %c2
// CHECK:       scf.forall (%[[H:.+]], %[[Q0:.+]]) = (0, 0) to (4, %[[LQ]]) step (1, 64)
// CHECK:         %[[TQ:.+]] = affine.min
// CHECK:         %[[OFF:.+]] = arith.subi %[[LKV]], %[[LQ]] : index
// CHECK:         %[[QLO:.+]] = arith.addi %[[Q0]], %[[OFF]] : index
// CHECK:         %[[QHI1:.+]] = arith.addi %[[QLO]], %[[TQ]] : index
// CHECK:         %[[CAUSALHI:.+]] = arith.minsi %[[LKV]], %[[QHI1]] : index
// CHECK:         %[[WLO:.+]] = arith.addi %[[QLO]], %c-256 : index
// CHECK:         %[[LO:.+]] = arith.maxsi %[[WLO]], %c0 : index
// CHECK:         %[[HI:.+]] = arith.minsi %[[CAUSALHI]], %[[QHI1]] : index
// CHECK:         scf.for %[[K0:.+]] = %[[LO]] to %[[HI]] step %[[C128]] iter_args(
// CHECK:           vector.fma
// CHECK:           %[[FULL:.+]] = arith.andi
// CHECK:           scf.if %{{.+}} -> (tensor<128x64xf32>) {
// CHECK-NOT:         arith.cmpi
// CHECK:             arith.mulf
// CHECK-NOT:         arith.select
// CHECK:           } else {
// CHECK:             arith.cmpi sle
// CHECK:             arith.select
// CHECK:           }
// CHECK:           math.exp
// CHECK:           scf.yield
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[0, %[[H]], %[[Q0]], 0] [1, 1, %[[TQ]], 64] [1, 1, 1, 1]
func.func @causal_window(%q: tensor<1x4x?x64xf32>, %k: tensor<1x4x?x64xf32>, %v: tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32> {
  %mc55_2 = arith.constant 2 : index
  %md55_0_2 = tensor.dim %q, %mc55_2 : tensor<1x4x?x64xf32>
  %init55_0 = tensor.empty(%md55_0_2) : tensor<1x4x?x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>)
      outs(%init55_0 : tensor<1x4x?x64xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 256, right = 0>]} -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}

// -----

/// No mask, Dv = 40 (not a multiple of 32: generic tile code): the key loop
/// covers [0, Lkv) and needs no scf.if. Tile sizes are pass options.
// CHECK-LABEL: func @dense
// CHECK:   scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (2, 8, 16)
// CHECK:     scf.for %{{.+}} = %c0 to %c1000 step %c128
// CHECK-NOT: scf.if
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: scf.if
// CHECK:     scf.forall.in_parallel
// SMALL-LABEL: func @dense
// SMALL:   scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (2, 8, 63)
// SMALL:     scf.for %{{.+}} = %c0 to %c1000 step %c32
/// Default tiles: 128 query rows x 64 keys.
// AUTO-LABEL: func @dense
// AUTO:   scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (2, 8, 8)
// AUTO:     scf.for %{{.+}} = %c0 to %c1000 step %c64
func.func @dense(%q: tensor<2x8x1000x64xbf16>, %k: tensor<2x8x1000x64xbf16>, %v: tensor<2x8x1000x40xbf16>) -> tensor<2x8x1000x40xbf16> {
  %init56_0 = tensor.empty() : tensor<2x8x1000x40xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x1000x64xbf16>, tensor<2x8x1000x64xbf16>, tensor<2x8x1000x40xbf16>)
      outs(%init56_0 : tensor<2x8x1000x40xbf16>) -> tensor<2x8x1000x40xbf16>
  return %o : tensor<2x8x1000x40xbf16>
}

// -----

/// A static Dv that is a multiple of 32 (f32 here; f16/bf16 widen on load):
/// static 64x128 tiles,
/// zero-padded at the boundary. The query tile is transposed once, outside
/// the key loop; the scores are computed transposed (128 keys x 64 queries)
/// in an 8x32 register block (16 vector<16xf32> accumulators, key rows past
/// the tile clamped), P.V in the same block shape up to the real tile width,
/// and a full-size test routes boundary tiles through the masked branch
/// (key j >= Lkv is -inf).
// CHECK-LABEL: func @dense_f32_micro
// BF16DOT-LABEL: func @dense_f32_micro
// BF16DOT-NOT: x86vector
// BF16DOT-COUNT-16: vector.fma
// BF16DOT-NOT: x86vector
// CHECK:   linalg.generic {indexing_maps = [#[[QT:.+]], #{{.+}}], iterator_types = ["parallel", "parallel"]} ins(%{{.+}} : tensor<?x64xf32>) outs(%{{.+}} : tensor<64x?xf32>)
// CHECK:   scf.for %[[K0:.+]] = %c0 to %c1000 step %c128
// CHECK:     %[[TK:.+]] = arith.minsi %{{.+}}, %c128 : index
// CHECK:     %[[LAST:.+]] = arith.subi %[[TK]], %c1 : index
// CHECK:     scf.for %[[J0:.+]] = %c0 to %c128 step %c8
// CHECK:       scf.for %{{.+}} = %c0 to %c64 step %c32
// CHECK:         arith.minsi %[[J0]], %[[LAST]] : index
// CHECK:         scf.for %{{.+}} = %c0 to %c64 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-16: vector.fma
// CHECK:     arith.cmpi eq, %[[TK]], %c128 : index
// CHECK:     scf.if %{{.+}} -> (tensor<128x64xf32>)
// CHECK:     } else {
// CHECK:       arith.cmpi slt, %{{.+}}, %c1000 : index
// CHECK:     linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK:       arith.maxnumf
// CHECK:     scf.for %{{.+}} = %c0 to %[[TK]] step %c1 iter_args(
// CHECK-COUNT-16: vector.fma
func.func @dense_f32_micro(%q: tensor<2x8x1000x64xf32>, %k: tensor<2x8x1000x64xf32>, %v: tensor<2x8x1000x64xf32>) -> tensor<2x8x1000x64xf32> {
  %init57_0 = tensor.empty() : tensor<2x8x1000x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x1000x64xf32>, tensor<2x8x1000x64xf32>, tensor<2x8x1000x64xf32>)
      outs(%init57_0 : tensor<2x8x1000x64xf32>) -> tensor<2x8x1000x64xf32>
  return %o : tensor<2x8x1000x64xf32>
}

// -----

/// GQA reads K/V head h / 4 without copies; kv_lengths bound the key loop
/// per sequence; sinks seed the running max and sum (an extra key of value 0).
/// Default tiles with a static query length under 128: the length rounded
/// up to 32 (one padded 128-row tile holding all 100 rows), so the tile loop
/// folds away.
// BF16DOT-LABEL: func @gqa_lengths_sinks
// AUTO-LABEL: func @gqa_lengths_sinks
// AUTO:   scf.forall (%{{.+}}, %{{.+}}) in (2, 8)
// AUTO:     linalg.fill {{.*}} -> tensor<128xf32>
// CHECK-LABEL: func @gqa_lengths_sinks
// CHECK-SAME: %[[K:[^:]+]]: tensor<2x2x300x64xbf16>
// CHECK-SAME: %[[KL:[^:]+]]: tensor<2xi32>, %[[S:[^:]+]]: tensor<8xf32>
// CHECK:   scf.forall (%[[B:.+]], %[[H:.+]], %{{.+}}) in (2, 8, 2)
// CHECK:     %[[HK:.+]] = affine.apply #{{.+}}()[%[[H]]]
// CHECK:     %[[KT:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[HK]], 0, 0] [1, 1, 300, 64]
// CHECK:     %[[KLS:.+]] = tensor.extract_slice %[[KL]][%[[B]]] [1] [1]
// CHECK:     %[[SS:.+]] = tensor.extract_slice %[[S]][%[[H]]] [1] [1]
// CHECK:     %[[LEN:.+]] = tensor.extract %[[KLS]][%c0] : tensor<1xi32>
// CHECK:     %[[LENI:.+]] = arith.index_cast %[[LEN]] : i32 to index
// CHECK:     %[[HI:.+]] = arith.minsi %[[LENI]], %c300 : index
// CHECK:     %[[SINK:.+]] = tensor.extract %[[SS]][%c0] : tensor<1xf32>
// CHECK:     linalg.fill ins(%[[SINK]] : f32)
// CHECK:     linalg.fill ins(%cst{{.*}} : f32)
// CHECK:     scf.for %[[K0:.+]] = %c0 to %[[HI]] step %c128
// CHECK:       tensor.extract_slice %[[KT]][0, 0, %[[K0]], 0]
func.func @gqa_lengths_sinks(%q: tensor<2x8x100x64xbf16>, %k: tensor<2x2x300x64xbf16>, %v: tensor<2x2x300x64xbf16>,
                             %kl: tensor<2xi32>, %s: tensor<8xf32>) -> tensor<2x8x100x64xbf16> {
  %init58_0 = tensor.empty() : tensor<2x8x100x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x100x64xbf16>, tensor<2x2x300x64xbf16>, tensor<2x2x300x64xbf16>)
      kv_lengths(%kl : tensor<2xi32>) sinks(%s : tensor<8xf32>) outs(%init58_0 : tensor<2x8x100x64xbf16>) -> tensor<2x8x100x64xbf16>
  return %o : tensor<2x8x100x64xbf16>
}

// -----

/// Chunked-local attention: the key range is the chunks the tile's rows fall
/// in, [floor(q'lo / 64) * 64, (floor(q'hi / 64) + 1) * 64).
// CHECK-LABEL: func @chunked
// CHECK:   %[[CLO:.+]] = arith.floordivsi %{{.+}}, %c64 : index
// CHECK:   %[[LO:.+]] = arith.muli %[[CLO]], %c64 : index
// CHECK:   %[[CHI:.+]] = arith.floordivsi %{{.+}}, %c64 : index
// CHECK:   %[[CHI1:.+]] = arith.addi %[[CHI]], %c1 : index
// CHECK:   %[[HI:.+]] = arith.muli %[[CHI1]], %c64 : index
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step
func.func @chunked(%q: tensor<1x1x512x32xf32>) -> tensor<1x1x512x32xf32> {
  %init59_0 = tensor.empty() : tensor<1x1x512x32xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x512x32xf32>, tensor<1x1x512x32xf32>, tensor<1x1x512x32xf32>)
      outs(%init59_0 : tensor<1x1x512x32xf32>) {masks = [#attn.chunked<64>]} -> tensor<1x1x512x32xf32>
  return %o : tensor<1x1x512x32xf32>
}

// -----

/// Document masks skip key tiles at run time: the (min, max) of the query
/// tile's segment ids is computed once, each key tile's per iteration, and a
/// 0-or-1-trip loop runs the tile only when the ranges overlap.
// CHECK-LABEL: func @documents
// CHECK-SAME: %[[QS:[^:]+]]: tensor<1x4096xi32>, %[[KS:[^:]+]]: tensor<1x4096xi32>
// CHECK:   %[[QMM:.+]]:2 = scf.for {{.*}} iter_args(
// CHECK:     tensor.extract %{{.+}}[%c0, %{{.+}}] : tensor<1x64xi32>
// CHECK:     arith.minsi
// CHECK:     arith.maxsi
// CHECK:   scf.for %[[K0:.+]] = %c0 to %c4096 step %c128 iter_args(
// CHECK:     %[[KMM:.+]]:2 = scf.for {{.*}} iter_args(
// CHECK:       tensor.extract %[[KS]]
// CHECK:     %[[NOTBELOW:.+]] = arith.cmpi sge, %[[KMM]]#1, %[[QMM]]#0 : i32
// CHECK:     %[[NOTABOVE:.+]] = arith.cmpi sle, %[[KMM]]#0, %[[QMM]]#1 : i32
// CHECK:     %[[OVERLAP:.+]] = arith.andi %[[NOTBELOW]], %[[NOTABOVE]] : i1
// CHECK:     %[[TRIPS:.+]] = arith.select %[[OVERLAP]], %c1, %c0 : index
// CHECK:     scf.for %{{.+}} = %c0 to %[[TRIPS]] step %c1 iter_args(
func.func @documents(%q: tensor<1x1x4096x64xbf16>, %qs: tensor<1x4096xi32>, %ks: tensor<1x4096xi32>) -> tensor<1x1x4096x64xbf16> {
  %init60_0 = tensor.empty() : tensor<1x1x4096x64xbf16>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4096x64xbf16>, tensor<1x1x4096x64xbf16>, tensor<1x1x4096x64xbf16>)
      segment_ids(%qs, %ks : tensor<1x4096xi32>, tensor<1x4096xi32>) outs(%init60_0 : tensor<1x1x4096x64xbf16>) -> tensor<1x1x4096x64xbf16>
  return %o : tensor<1x1x4096x64xbf16>
}

// -----

/// Boolean mask tensors get a block summary at run time: per (query tile,
/// key tile) block, whether any and whether all of its scores are kept, as
/// i8 flags (the broadcast head dimension stays 1). The summary reads the
/// mask reshaped to [B, 1, query blocks, 64, key blocks, 128]: block loops
/// parallel, in-block loops reductions, projected-permutation maps. 300 and
/// 500 are not multiples of the tiles: full blocks and the ragged last
/// block of each dimension get one generic per combination (4 here), each
/// writing its slice of the flags. The key loop starts on a tile multiple,
/// skips blocks that keep nothing with a 0-or-1-trip loop and takes the
/// mask-free branch on blocks that keep everything.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-DAG: #[[BLOCK:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>
// CHECK-LABEL: func @mask_block_summary
// CHECK-SAME: %[[M:[^:]+]]: tensor<2x1x300x500xi1>
// CHECK:   %[[ANY0:.+]] = linalg.fill ins(%c0_i8 : i8) outs(%{{.+}} : tensor<2x1x5x4xi8>)
// CHECK:   %[[ALL0:.+]] = linalg.fill ins(%c1_i8 : i8) outs(%{{.+}} : tensor<2x1x5x4xi8>)
// CHECK:   %[[MFULL:.+]] = tensor.extract_slice %[[M]][0, 0, 0, 0] [2, 1, 256, 384] [1, 1, 1, 1]
// CHECK:   %[[BFULL:.+]] = tensor.expand_shape %[[MFULL]] {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [2, 1, 4, 64, 3, 128] : tensor<2x1x256x384xi1> into tensor<2x1x4x64x3x128xi1>
// CHECK:   %[[SUM0:.+]]:2 = linalg.generic {indexing_maps = [#[[IN]], #[[BLOCK]], #[[BLOCK]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel", "reduction"]} ins(%[[BFULL]] : tensor<2x1x4x64x3x128xi1>) outs(%{{.+}}, %{{.+}} : tensor<2x1x4x3xi8>, tensor<2x1x4x3xi8>)
// CHECK:     %[[K8:.+]] = arith.extui %{{.+}} : i1 to i8
// CHECK:     arith.ori %{{.+}}, %[[K8]] : i8
// CHECK:     arith.andi %{{.+}}, %[[K8]] : i8
// CHECK:   tensor.insert_slice %[[SUM0]]#0 into %[[ANY0]][0, 0, 0, 0] [2, 1, 4, 3] [1, 1, 1, 1]
// CHECK:   tensor.insert_slice %[[SUM0]]#1 into %[[ALL0]][0, 0, 0, 0] [2, 1, 4, 3] [1, 1, 1, 1]
// CHECK:   tensor.extract_slice %[[M]][0, 0, 256, 0] [2, 1, 44, 384] [1, 1, 1, 1]
// CHECK:   output_shape [2, 1, 1, 44, 3, 128]
// CHECK:   tensor.insert_slice %{{.+}}#0 into %{{.+}}[0, 0, 4, 0] [2, 1, 1, 3] [1, 1, 1, 1]
// CHECK:   tensor.extract_slice %[[M]][0, 0, 0, 384] [2, 1, 256, 116] [1, 1, 1, 1]
// CHECK:   output_shape [2, 1, 4, 64, 1, 116]
// CHECK:   tensor.insert_slice %{{.+}}#0 into %{{.+}}[0, 0, 0, 3] [2, 1, 4, 1] [1, 1, 1, 1]
// CHECK:   tensor.extract_slice %[[M]][0, 0, 256, 384] [2, 1, 44, 116] [1, 1, 1, 1]
// CHECK:   output_shape [2, 1, 1, 44, 1, 116]
// CHECK:   %[[LAST:.+]]:2 = linalg.generic
// CHECK:   %[[ANY:.+]] = tensor.insert_slice %[[LAST]]#0 into %{{.+}}[0, 0, 4, 3] [2, 1, 1, 1] [1, 1, 1, 1]
// CHECK:   %[[ALL:.+]] = tensor.insert_slice %[[LAST]]#1 into %{{.+}}[0, 0, 4, 3] [2, 1, 1, 1] [1, 1, 1, 1]
// CHECK-NOT: linalg.generic {{.*}}xi1>
// CHECK:   scf.forall (%[[B:.+]], %[[H:.+]], %[[T:.+]]) in (2, 4, 5)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[T]])
// CHECK:     scf.for %[[K0:.+]] = %c0 to %c500 step %c128
// CHECK:       %[[QT:.+]] = arith.divui %[[Q0]], %c64 : index
// CHECK:       %[[KT:.+]] = arith.divui %[[K0]], %c128 : index
// CHECK:       %[[ANY8:.+]] = tensor.extract %[[ANY]][%[[B]], %c0, %[[QT]], %[[KT]]] : tensor<2x1x5x4xi8>
// CHECK:       %[[ANYB:.+]] = arith.trunci %[[ANY8]] : i8 to i1
// CHECK:       %[[TRIPS:.+]] = arith.select %[[ANYB]], %c1, %c0 : index
// CHECK:       scf.for %{{.+}} = %c0 to %[[TRIPS]] step %c1 iter_args(
// CHECK:         %[[ALL8:.+]] = tensor.extract %[[ALL]][%[[B]], %c0, %[[QT]], %{{.+}}] : tensor<2x1x5x4xi8>
// CHECK:         %[[ALLB:.+]] = arith.trunci %[[ALL8]] : i8 to i1
// CHECK:         %[[FULL:.+]] = arith.andi %{{.+}}, %[[ALLB]] : i1
// CHECK:         scf.if %[[FULL]]
func.func @mask_block_summary(%q: tensor<2x4x300x32xf32>, %k: tensor<2x4x500x32xf32>, %m: tensor<2x1x300x500xi1>) -> tensor<2x4x300x32xf32> {
  %init61_0 = tensor.empty() : tensor<2x4x300x32xf32>
  %o = attn.attention ins(%q, %k, %k : tensor<2x4x300x32xf32>, tensor<2x4x500x32xf32>, tensor<2x4x500x32xf32>)
      mask(%m : tensor<2x1x300x500xi1>) outs(%init61_0 : tensor<2x4x300x32xf32>) -> tensor<2x4x300x32xf32>
  return %o : tensor<2x4x300x32xf32>
}

// -----

/// Dynamic lengths: each tiled mask dimension splits into L / tile full
/// blocks and a ragged block of L mod tile elements (possibly 0; its flags
/// then land in a spare block, so the flags have L / tile + 1 blocks), each
/// reshaped pair with at most one dynamic size. An additive float mask keeps
/// a score unless it is -inf and has no all-kept flags.
// CHECK-LABEL: func @mask_summary_dynamic
// CHECK-SAME: %[[M:[^:]+]]: tensor<?x?xf32>
// CHECK:   %[[LQ:.+]] = tensor.dim %[[M]], %c0 : tensor<?x?xf32>
// CHECK:   %[[QB:.+]] = arith.divui %[[LQ]], %c64 : index
// CHECK:   %[[QE:.+]] = arith.muli %[[QB]], %c64 : index
// CHECK:   %[[QB1:.+]] = arith.addi %[[QB]], %c1 : index
// CHECK:   %[[QR:.+]] = arith.subi %[[LQ]], %[[QE]] : index
// CHECK:   %[[LK:.+]] = tensor.dim %[[M]], %c1 : tensor<?x?xf32>
// CHECK:   %[[KB:.+]] = arith.divui %[[LK]], %c128 : index
// CHECK:   %[[KE:.+]] = arith.muli %[[KB]], %c128 : index
// CHECK:   %[[KB1:.+]] = arith.addi %[[KB]], %c1 : index
// CHECK:   %[[KR:.+]] = arith.subi %[[LK]], %[[KE]] : index
// CHECK:   tensor.empty(%[[QB1]], %[[KB1]]) : tensor<?x?xi8>
// CHECK:   tensor.extract_slice %[[M]][0, 0] [%[[QE]], %[[KE]]] [1, 1]
// CHECK:   output_shape [%[[QB]], 64, %[[KB]], 128] : tensor<?x?xf32> into tensor<?x64x?x128xf32>
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel", "reduction"]
// CHECK:     arith.cmpf one, %{{.+}}, %{{.+}} : f32
// CHECK:   tensor.extract_slice %[[M]][%[[QE]], 0] [%[[QR]], %[[KE]]] [1, 1]
// CHECK:   output_shape [1, %[[QR]], %[[KB]], 128] : tensor<?x?xf32> into tensor<1x?x?x128xf32>
// CHECK:   tensor.extract_slice %[[M]][0, %[[KE]]] [%[[QE]], %[[KR]]] [1, 1]
// CHECK:   output_shape [%[[QB]], 64, 1, %[[KR]]] : tensor<?x?xf32> into tensor<?x64x1x?xf32>
// CHECK:   tensor.extract_slice %[[M]][%[[QE]], %[[KE]]] [%[[QR]], %[[KR]]] [1, 1]
// CHECK:   output_shape [1, %[[QR]], 1, %[[KR]]] : tensor<?x?xf32> into tensor<1x?x1x?xf32>
// CHECK:   scf.forall
func.func @mask_summary_dynamic(%q: tensor<1x2x?x32xf32>, %k: tensor<1x2x?x32xf32>, %m: tensor<?x?xf32>) -> tensor<1x2x?x32xf32> {
  %mc62_2 = arith.constant 2 : index
  %md62_0_2 = tensor.dim %q, %mc62_2 : tensor<1x2x?x32xf32>
  %init62_0 = tensor.empty(%md62_0_2) : tensor<1x2x?x32xf32>
  %o = attn.attention ins(%q, %k, %k : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>)
      mask(%m : tensor<?x?xf32>) outs(%init62_0 : tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  return %o : tensor<1x2x?x32xf32>
}

// -----

/// Decode with one head: a single (batch, head, query tile) item would use
/// one thread, so the key axis is split 8 ways (at least 4 key tiles each)
/// by upstream partial-reduction tiling: an scf.forall over splits of 512
/// keys, each a partial state whose key loop covers its own keys.
/// mergeReductions merges the splits with attn.merge_states (rescaling split
/// s by exp(m_s - max_s m_s)) before the division.
// AUTO-LABEL: func @decode_split_kv
// AUTO:   %[[ACCP:.+]] = tensor.empty() : tensor<1x1x1x8x128xf32>
// AUTO:   %[[STATE:.+]]:3 = scf.forall (%[[S:.+]]) in (8) shared_outs(
// AUTO:     %[[KV0:.+]] = affine.apply #{{.+}}(%[[S]])
// AUTO:     %[[LO:.+]] = arith.maxsi %[[KV0]], %c0 : index
// AUTO:     %[[END:.+]] = arith.addi %[[KV0]], %c512 : index
// AUTO:     %[[HI:.+]] = arith.minsi %[[END]], %c4096 : index
// AUTO:     scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c64
// AUTO:     tensor.parallel_insert_slice %{{.+}} into %{{.+}}[0, 0, 0, %[[S]], 0] [1, 1, 1, 1, 128]
// AUTO:   %[[ACC:.+]], %[[MAX:.+]], %[[SUM:.+]] = attn.merge_states values(%[[STATE]]#0 : tensor<1x1x1x8x128xf32>) lses(%[[STATE]]#1 : tensor<1x1x1x8xf32>) sums(%[[STATE]]#2 : tensor<1x1x1x8xf32>) {{.*}} {dimension = 3 : i64}
// AUTO:   linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]] :
// AUTO:   arith.divf
func.func @decode_split_kv(%q: tensor<1x1x1x128xf32>, %k: tensor<1x1x4096x128xf32>, %v: tensor<1x1x4096x128xf32>) -> tensor<1x1x1x128xf32> {
  %init63_0 = tensor.empty() : tensor<1x1x1x128xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x1x128xf32>, tensor<1x1x4096x128xf32>, tensor<1x1x4096x128xf32>)
      outs(%init63_0 : tensor<1x1x1x128xf32>) {masks = [#attn.causal]} -> tensor<1x1x1x128xf32>
  return %o : tensor<1x1x1x128xf32>
}

// -----

/// bf16-dot: bf16 Q and K of padded tiles take the AVX512-BF16 dot product
/// (-attn-register-block-contractions). The transposed query tile keeps Q's
/// bf16 ([64, 64], zero-padded); the rewrite lays it out once per query tile
/// as bf16 pairs along D ([32 pairs, 64 queries, 2], collapsed to [32, 128]);
/// the reduction runs over the 32 pairs, broadcasting each key row's pair as
/// one 32-bit element, with 16 x86vector.avx512.dot (vdpbf16ps, f32
/// accumulators) per step. P.V keeps the f32 FMAs.
// BF16DOT-LABEL: func @decode_split_kv
// BF16DOT: #[[PAIRS:.+]] = affine_map<(d0, d1, d2) -> (d0 * 2 + d2, d1)>
// BF16DOT-LABEL: func @bf16_dot
// BF16DOT:   linalg.fill ins(%{{.+}} : bf16) outs(%{{.+}} : tensor<64x64xbf16>)
// BF16DOT:   linalg.generic {{.*}} ins(%{{.+}} : tensor<?x64xbf16>) outs(%{{.+}} : tensor<64x?xbf16>)
// BF16DOT:   linalg.generic {indexing_maps = [#[[PAIRS]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.+}} : tensor<64x64xbf16>) outs(%{{.+}} : tensor<32x64x2xbf16>)
// BF16DOT:   %[[QT:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<32x64x2xbf16> into tensor<32x128xbf16>
// BF16DOT:   scf.for %{{.+}} = %c0 to %c1000 step %c128
// BF16DOT:     %[[KT:.+]] = tensor.extract_slice %{{.+}} : tensor<1x1x1000x64xbf16> to tensor<?x64xbf16>
// BF16DOT:     scf.for %[[J0:.+]] = %c0 to %c128 step %c8
// BF16DOT:       scf.for %[[I0:.+]] = %c0 to %c64 step %c32
// BF16DOT:         %[[ROW:.+]] = arith.minsi %[[J0]], %{{.+}} : index
// BF16DOT:         %[[COL:.+]] = arith.muli %[[I0]], %c2 : index
// BF16DOT:         scf.for %[[P:.+]] = %c0 to %c32 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// BF16DOT:           %[[Q0:.+]] = vector.transfer_read %[[QT]][%[[P]], %[[COL]]], %{{.+}} {in_bounds = [true]} : tensor<32x128xbf16>, vector<32xbf16>
// BF16DOT:           %[[COL1:.+]] = arith.addi %[[COL]], %c32 : index
// BF16DOT:           %[[Q1:.+]] = vector.transfer_read %[[QT]][%[[P]], %[[COL1]]], %{{.+}} {in_bounds = [true]} : tensor<32x128xbf16>, vector<32xbf16>
// BF16DOT:           %[[D:.+]] = arith.muli %[[P]], %c2 : index
// BF16DOT:           %[[PAIR:.+]] = vector.transfer_read %[[KT]][%[[ROW]], %[[D]]], %{{.+}} {in_bounds = [true]} : tensor<?x64xbf16>, vector<2xbf16>
// BF16DOT:           %[[BITS:.+]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
// BF16DOT:           %[[SPLAT:.+]] = vector.broadcast %[[BITS]] : vector<1xi32> to vector<16xi32>
// BF16DOT:           %[[A:.+]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<32xbf16>
// BF16DOT:           x86vector.avx512.dot %{{.+}}, %[[A]], %[[Q0]] : vector<32xbf16> -> vector<16xf32>
// BF16DOT:           x86vector.avx512.dot %{{.+}}, %[[A]], %[[Q1]] : vector<32xbf16> -> vector<16xf32>
// BF16DOT-COUNT-14:  x86vector.avx512.dot
// BF16DOT-NOT:       vector.fma
// BF16DOT:           scf.yield
// BF16DOT:     scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(
// BF16DOT-COUNT-16: vector.fma
func.func @bf16_dot(%q: tensor<2x8x1000x64xbf16>, %k: tensor<2x8x1000x64xbf16>, %v: tensor<2x8x1000x64xbf16>) -> tensor<2x8x1000x64xbf16> {
  %init64_0 = tensor.empty() : tensor<2x8x1000x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x1000x64xbf16>, tensor<2x8x1000x64xbf16>, tensor<2x8x1000x64xbf16>)
      outs(%init64_0 : tensor<2x8x1000x64xbf16>) -> tensor<2x8x1000x64xbf16>
  return %o : tensor<2x8x1000x64xbf16>
}

// -----

/// bf16-dot with an odd D: no bf16 pairs, the widening f32 micro-kernel;
/// the transposed query tile is widened once per query tile.
// BF16DOT-LABEL: func @bf16_dot_odd_d
// BF16DOT-NOT: x86vector
// BF16DOT: linalg.generic {{.*}} ins(%{{.+}} : tensor<?x63xbf16>) outs(%{{.+}} : tensor<63x?xbf16>)
// BF16DOT: linalg.generic {{.*}} ins(%{{.+}} : tensor<63x64xbf16>) outs(%{{.+}} : tensor<63x64xf32>)
// BF16DOT:   arith.extf
// BF16DOT-COUNT-16: vector.fma
// BF16DOT-NOT: x86vector
func.func @bf16_dot_odd_d(%q: tensor<1x2x100x63xbf16>, %k: tensor<1x2x100x63xbf16>, %v: tensor<1x2x100x32xbf16>) -> tensor<1x2x100x32xbf16> {
  %init65_0 = tensor.empty() : tensor<1x2x100x32xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x100x63xbf16>, tensor<1x2x100x63xbf16>, tensor<1x2x100x32xbf16>)
      outs(%init65_0 : tensor<1x2x100x32xbf16>) -> tensor<1x2x100x32xbf16>
  return %o : tensor<1x2x100x32xbf16>
}
