// RUN: attn-opt %s -split-input-file -attn-bound-tensor-fanout=max-uses=3 | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-bound-tensor-fanout=max-uses=3 -one-shot-bufferize=bufferize-function-boundaries | FileCheck %s --check-prefix=BUF

/// Five readers of a function argument (one inside a loop nest) and a
/// returned use, max-uses 3: %k keeps its first two readers and one copy,
/// the copy takes the other three; the returned use stays on %k.
// CHECK-LABEL: func @readers
// CHECK-SAME:    (%[[K:.+]]: tensor<8xf32>
// CHECK:         %[[K1:.+]] = bufferization.alloc_tensor() copy(%[[K]]) : tensor<8xf32>
// CHECK-NOT:     bufferization.alloc_tensor
// CHECK:         tensor.extract %[[K]][%c0]
// CHECK-NEXT:    tensor.extract %[[K]][%c1]
// CHECK-NEXT:    tensor.extract %[[K1]][%c2]
// CHECK-NEXT:    scf.forall
// CHECK-NEXT:      affine.apply
// CHECK-NEXT:      tensor.extract_slice %[[K1]]
// CHECK:         tensor.extract %[[K1]][%c3]
// CHECK:         return %[[K]],
/// After bufferization the copy is an allocation and a copy of %k.
// BUF-LABEL: func @readers
// BUF-SAME:    (%[[K:.+]]: memref<8xf32
// BUF:         %[[A:.+]] = memref.alloc
// BUF-NEXT:    memref.copy %[[K]], %[[A]]
// BUF-NOT:     memref.copy %[[K]]
// BUF:         memref.load %[[A]][%c2]
// BUF:         memref.subview %[[A]]
// BUF:         return
func.func @readers(%k: tensor<8xf32>, %o: tensor<4x2xf32>) -> (tensor<8xf32>, f32, tensor<4x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %a = tensor.extract %k[%c0] : tensor<8xf32>
  %b = tensor.extract %k[%c1] : tensor<8xf32>
  %c = tensor.extract %k[%c2] : tensor<8xf32>
  %r = scf.forall (%i) in (4) shared_outs(%s = %o) -> (tensor<4x2xf32>) {
    %off = affine.apply affine_map<(d) -> (d * 2)>(%i)
    %t = tensor.extract_slice %k[%off] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %t2 = tensor.expand_shape %t [[0, 1]] output_shape [1, 2] : tensor<2xf32> into tensor<1x2xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t2 into %s[%i, 0] [1, 2] [1, 1] : tensor<1x2xf32> into tensor<4x2xf32>
    }
  }
  %d = tensor.extract %k[%c3] : tensor<8xf32>
  %s0 = arith.addf %a, %b : f32
  %s1 = arith.addf %s0, %c : f32
  %s2 = arith.addf %s1, %d : f32
  return %k, %s2, %r : tensor<8xf32>, f32, tensor<4x2xf32>
}

// -----

/// Thirteen readers of an op result, max-uses 3: two levels would need
/// five copies next to %e, more than three, so every group of three
/// readers reads a copy (five), and the five copies are split again: %e
/// keeps two of them and one copy of %e holds the other three.
// CHECK-LABEL: func @tree
// CHECK:         %[[E:.+]] = linalg.fill
// CHECK-NEXT:    %[[C:.+]] = bufferization.alloc_tensor() copy(%[[E]])
// CHECK-NEXT:    %[[A:.+]] = bufferization.alloc_tensor() copy(%[[E]])
// CHECK-NEXT:    %[[B:.+]] = bufferization.alloc_tensor() copy(%[[E]])
// CHECK-NEXT:    bufferization.alloc_tensor() copy(%[[C]])
// CHECK-NEXT:    bufferization.alloc_tensor() copy(%[[C]])
// CHECK-NEXT:    bufferization.alloc_tensor() copy(%[[C]])
// CHECK-NEXT:    tensor.extract %[[A]]
// CHECK-NEXT:    tensor.extract %[[A]]
// CHECK-NEXT:    tensor.extract %[[A]]
// CHECK-NEXT:    tensor.extract %[[B]]
// CHECK-NOT:     bufferization.alloc_tensor
// CHECK:         return
func.func @tree(%x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %empty = tensor.empty() : tensor<4xf32>
  %e = linalg.fill ins(%x : f32) outs(%empty : tensor<4xf32>) -> tensor<4xf32>
  %v0 = tensor.extract %e[%c0] : tensor<4xf32>
  %v1 = tensor.extract %e[%c0] : tensor<4xf32>
  %v2 = tensor.extract %e[%c0] : tensor<4xf32>
  %v3 = tensor.extract %e[%c0] : tensor<4xf32>
  %v4 = tensor.extract %e[%c0] : tensor<4xf32>
  %v5 = tensor.extract %e[%c0] : tensor<4xf32>
  %v6 = tensor.extract %e[%c0] : tensor<4xf32>
  %v7 = tensor.extract %e[%c0] : tensor<4xf32>
  %v8 = tensor.extract %e[%c0] : tensor<4xf32>
  %v9 = tensor.extract %e[%c0] : tensor<4xf32>
  %v10 = tensor.extract %e[%c0] : tensor<4xf32>
  %v11 = tensor.extract %e[%c0] : tensor<4xf32>
  %v12 = tensor.extract %e[%c0] : tensor<4xf32>
  %s0 = arith.addf %v0, %v1 : f32
  %s1 = arith.addf %s0, %v2 : f32
  %s2 = arith.addf %s1, %v3 : f32
  %s3 = arith.addf %s2, %v4 : f32
  %s4 = arith.addf %s3, %v5 : f32
  %s5 = arith.addf %s4, %v6 : f32
  %s6 = arith.addf %s5, %v7 : f32
  %s7 = arith.addf %s6, %v8 : f32
  %s8 = arith.addf %s7, %v9 : f32
  %s9 = arith.addf %s8, %v10 : f32
  %s10 = arith.addf %s9, %v11 : f32
  %s11 = arith.addf %s10, %v12 : f32
  return %s11 : f32
}

// -----

/// Values defined inside loops, three readers each, and values with at most
/// max-uses readers are left alone.
// CHECK-LABEL: func @negative_few_readers
// CHECK-NOT:     bufferization.alloc_tensor
// CHECK:         return
func.func @negative_few_readers(%k: tensor<8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  %a = tensor.extract %k[%c0] : tensor<8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %z) -> (f32) {
    %t = tensor.extract_slice %k[%i] [4] [1] : tensor<8xf32> to tensor<4xf32>
    %x = tensor.extract %t[%c0] : tensor<4xf32>
    %y = tensor.extract %t[%c1] : tensor<4xf32>
    %w = tensor.extract %t[%c1] : tensor<4xf32>
    %s = arith.addf %x, %y : f32
    %s2 = arith.addf %s, %w : f32
    scf.yield %s2 : f32
  }
  %sum = arith.addf %a, %r : f32
  return %sum : f32
}

