// RUN: attn-opt %s -attn-tile="vector-bits=512 num-threads=2" -canonicalize -cse | FileCheck %s
// RUN: attn-opt %s -transform-preload-library=transform-library-paths=%S/Inputs/attn-tile-kv-blocks-schedule.mlir \
// RUN:     -transform-interpreter -attn-tile="vector-bits=512" -canonicalize -cse | FileCheck %s --check-prefix=FOREIGN

/// Key-block lists: 128-row query tiles (one query block each) visit only
/// the listed 64-key blocks of their GQA group's list (kv_blocks_per_group:
/// list head h floordiv 2), clamped to [0, K] entries; an entry repeating an
/// earlier one or outside [0, 16) runs no key tile, and each listed block's
/// key tiles are cut to the causal key range [0, q0 + 872).
// CHECK-LABEL: func @listed_blocks
// CHECK:   scf.forall (%[[H:.+]], %[[QT:.+]]) in (4, 2)
// CHECK:     %[[Q0:.+]] = affine.apply #{{.+}}(%[[QT]])
// CHECK:     %[[KVHI:.+]] = arith.minsi %{{.+}}, %c1000 : index
// CHECK:     %[[LH:.+]] = arith.divui %[[H]], %c2 : index
// CHECK:     %[[QB:.+]] = arith.divui %[[Q0]], %c128 : index
// CHECK:     %[[ROW:.+]] = arith.minsi %[[QB]], %c1 : index
// CHECK:     %[[C:.+]] = tensor.extract %{{.+}}[%c0, %[[LH]], %[[ROW]]] : tensor<1x2x2xi32>
// CHECK:     %[[CI:.+]] = arith.index_cast %[[C]] : i32 to index
// CHECK:     %[[CLO:.+]] = arith.maxsi %[[CI]], %c0 : index
// CHECK:     %[[N:.+]] = arith.minsi %[[CLO]], %c8 : index
// CHECK:     scf.for %[[E:.+]] = %c0 to %[[N]] step %c1 iter_args(
// CHECK:       %[[X:.+]] = tensor.extract %{{.+}}[%c0, %[[LH]], %[[ROW]], %[[E]]] : tensor<1x2x2x8xi32>
// CHECK:       %[[BLK:.+]] = arith.index_cast %[[X]] : i32 to index
// CHECK:       %[[DUP:.+]] = scf.for %{{.+}} = %c0 to %[[E]] step %c1 iter_args(%{{.+}} = %false) -> (i1)
// CHECK:       arith.cmpi sge, %[[BLK]], %c0 : index
// CHECK:       arith.cmpi slt, %[[BLK]], %c16 : index
// CHECK:       %[[START:.+]] = arith.muli %[[BLK]], %c64 : index
// CHECK:       %[[LO:.+]] = arith.maxsi %[[START]], %c0 : index
// CHECK:       %[[END:.+]] = arith.addi %[[START]], %c64 : index
// CHECK:       %[[BHI:.+]] = arith.minsi %[[END]], %[[KVHI]] : index
// CHECK:       %[[HI:.+]] = arith.select %{{.+}}, %[[BHI]], %[[LO]] : index
// CHECK:       scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c64 iter_args(
// CHECK:         tensor.pad
// CHECK:         linalg.generic
// CHECK-NOT:     scf.for %{{.+}} = %c0 to %c1000
/// Tiles of a foreign tiling (24 query rows: they may span query blocks)
/// visit every key tile and test each score's block against its row's list.
// FOREIGN-LABEL: func @listed_blocks
// FOREIGN:   scf.forall
// FOREIGN:     scf.for %{{.+}} = %c0 to %{{.+}} step %c64
// FOREIGN:       linalg.generic
// FOREIGN:         arith.divui %{{.+}}, %c128 : index
// FOREIGN:         tensor.extract %{{.+}} : tensor<1x2x2xi32>
// FOREIGN:         arith.divui %{{.+}}, %c64 : index
// FOREIGN:         scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(%{{.+}} = %false) -> (i1)
// FOREIGN:           tensor.extract %{{.+}} : tensor<1x2x2x8xi32>
func.func @listed_blocks(%q: tensor<1x4x256x64xf32>, %k: tensor<1x2x1000x64xf32>, %v: tensor<1x2x1000x64xf32>,
                         %c: tensor<1x2x2xi32>, %i: tensor<1x2x2x8xi32>) -> tensor<1x4x256x64xf32> {
  %o = tensor.empty() : tensor<1x4x256x64xf32>
  %r = attn.attention ins(%q, %k, %v : tensor<1x4x256x64xf32>, tensor<1x2x1000x64xf32>, tensor<1x2x1000x64xf32>)
      kv_blocks(%c, %i : tensor<1x2x2xi32>, tensor<1x2x2x8xi32>)
      outs(%o : tensor<1x4x256x64xf32>)
      {masks = [#attn.causal], q_block_size = 128 : i64, kv_block_size = 64 : i64, kv_blocks_per_group} -> tensor<1x4x256x64xf32>
  return %r : tensor<1x4x256x64xf32>
}
