// RUN: attn-opt %s -attn-nested-cse | FileCheck %s

/// Inside each loop nest equal ops are merged (the duplicate constant and
/// fill); two equal nests at the top level of the function are not
/// compared, so both stay (the pass never pays upstream CSE's pairwise
/// comparison of nests with equal operands).
// CHECK-LABEL: func @nests
// CHECK:         scf.forall
// CHECK:           %[[C:.+]] = arith.constant 0.0
// CHECK-NOT:       arith.constant
// CHECK:           %[[F:.+]] = linalg.fill ins(%[[C]] : f32)
// CHECK-NEXT:      %[[X:.+]] = arith.addf %[[C]], %[[C]] : f32
// CHECK-NEXT:      linalg.fill ins(%[[X]] : f32) outs(%[[F]] : tensor<8xf32>)
// CHECK:         scf.forall
// CHECK:           arith.constant 0.0
// CHECK:           linalg.fill
// CHECK-NOT:       linalg.fill
// CHECK:         return
func.func @nests(%o: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = scf.forall (%i) in (4) shared_outs(%s = %o) -> (tensor<4x8xf32>) {
    %c0 = arith.constant 0.0 : f32
    %c1 = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8xf32>
    %f0 = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %f1 = linalg.fill ins(%c1 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %x = arith.addf %c0, %c1 : f32
    %r = linalg.fill ins(%x : f32) outs(%f1 : tensor<8xf32>) -> tensor<8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %r into %s[%i, 0] [1, 8] [1, 1] : tensor<8xf32> into tensor<4x8xf32>
    }
  }
  %b = scf.forall (%i) in (4) shared_outs(%s = %o) -> (tensor<4x8xf32>) {
    %c0 = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<8xf32>
    %f0 = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %f0 into %s[%i, 0] [1, 8] [1, 1] : tensor<8xf32> into tensor<4x8xf32>
    }
  }
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}
