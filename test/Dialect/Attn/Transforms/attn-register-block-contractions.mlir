// RUN: attn-opt %s -attn-register-block-contractions=vector-bits=512 -canonicalize -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-register-block-contractions=vector-bits=256 -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: attn-opt %s -attn-register-block-contractions="vector-bits=512 bf16-dot=true" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=DOT

/// Scores of a padded tile, transposed: C[j, i] = sum_d A[j, d] * B[d, i]
/// with A the key tile padded with ub.poison rows and C a fill of 0. Blocks
/// of 8 rows x 2 vectors of 16 lanes (4 x 2 of 8 with 256-bit vectors); the
/// rows past the real tile read its last row (clamped), no padded copy.
// CHECK-LABEL: func @scores_padded
// CHECK-SAME:      (%[[K:.+]]: tensor<?x64xf32>, %[[QT:.+]]: tensor<64x64xf32>)
// CHECK-NOT:     tensor.pad
// CHECK:         %[[DIM:.+]] = tensor.dim %[[K]], %c0
// CHECK:         %[[LAST:.+]] = arith.subi %[[DIM]], %c1
// CHECK:         scf.for %[[R0:.+]] = %c0 to %c128 step %c8
// CHECK:           scf.for %[[C0:.+]] = %c0 to %c64 step %c32
// CHECK:             %[[ROW:.+]] = arith.minsi %[[R0]], %[[LAST]]
// CHECK:             scf.for %[[KK:.+]] = %c0 to %c64 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:               vector.transfer_read %[[QT]][%[[KK]], %[[C0]]]
// CHECK:               tensor.extract %[[K]][%[[ROW]], %[[KK]]]
// CHECK-COUNT-16:      vector.fma
// CHECK:               scf.yield
// CHECK-COUNT-16:    vector.transfer_write
// CHECK-NOT:     linalg.generic
// AVX2-LABEL: func @scores_padded
// AVX2:         scf.for %{{.+}} = %c0 to %c128 step %c4
// AVX2:           scf.for %{{.+}} = %c0 to %c64 step %c16
// AVX2:             scf.for %{{.+}} = %c0 to %c64 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2-COUNT-8:       vector.fma {{.*}} : vector<8xf32>
// AVX2-NOT:     linalg.generic
func.func @scores_padded(%k: tensor<?x64xf32>, %qT: tensor<64x64xf32>) -> tensor<128x64xf32> {
  %c0 = arith.constant 0 : index
  %c128 = arith.constant 128 : index
  %tk = tensor.dim %k, %c0 : tensor<?x64xf32>
  %high = arith.subi %c128, %tk : index
  %poison = ub.poison : f32
  %kp = tensor.pad %k low[0, 0] high[%high, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %poison : f32
  } : tensor<?x64xf32> to tensor<128x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<128x64xf32>) -> tensor<128x64xf32>
  %s = linalg.generic {
      indexing_maps = [affine_map<(j, i, d) -> (j, d)>, affine_map<(j, i, d) -> (d, i)>, affine_map<(j, i, d) -> (j, i)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%kp, %qT : tensor<128x64xf32>, tensor<64x64xf32>) outs(%init : tensor<128x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  } -> tensor<128x64xf32>
  return %s : tensor<128x64xf32>
}

// -----

/// P.V: acc[i, e] += sum_j P[j, i] * ext(V[j, e]) with P transposed, a
/// dynamic reduction and bf16 values widened in registers (V is defined in
/// the same block: no copy). The accumulator block is read first.
// CHECK-LABEL: func @pv_transposed_bf16
// CHECK-SAME:      (%[[P:.+]]: tensor<?x64xf32>, %[[V:.+]]: tensor<?x64xbf16>, %[[ACC:.+]]: tensor<64x64xf32>)
// CHECK:         %[[TK:.+]] = tensor.dim %[[V]], %c0
// CHECK:         scf.for %[[I0:.+]] = %c0 to %c64 step %c8
// CHECK:           scf.for %[[E0:.+]] = %c0 to %c64 step %c32
// CHECK-COUNT-16:    vector.transfer_read %{{.+}} : tensor<64x64xf32>, vector<16xf32>
// CHECK:             scf.for %[[J:.+]] = %c0 to %[[TK]] step %c1
// CHECK:               vector.transfer_read %[[V]][%[[J]], %[[E0]]], %{{.+}} : tensor<?x64xbf16>, vector<16xbf16>
// CHECK:               arith.extf %{{.+}} : vector<16xbf16> to vector<16xf32>
// CHECK:               tensor.extract %[[P]][%[[J]], %[[I0]]]
// CHECK-COUNT-16:      vector.fma
// CHECK-NOT:     linalg.generic
// AVX2-LABEL: func @pv_transposed_bf16
// DOT-LABEL: func @pv_transposed_bf16
// DOT-NOT:     x86vector
func.func @pv_transposed_bf16(%p: tensor<?x64xf32>, %v: tensor<?x64xbf16>, %acc: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(i, e, j) -> (j, i)>, affine_map<(i, e, j) -> (j, e)>, affine_map<(i, e, j) -> (i, e)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<?x64xf32>, tensor<?x64xbf16>) outs(%acc : tensor<64x64xf32>) {
  ^bb0(%a: f32, %b: bf16, %c: f32):
    %w = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %w : f32
    %s = arith.addf %m, %c : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

/// A bf16 B defined outside the loop around the contraction is widened once,
/// where it is defined; with bf16-dot and bf16 A it is laid out as pairs
/// along k instead, and the reduction runs over the 32 pairs with
/// vdpbf16ps.
// CHECK-LABEL: func @loop_invariant_bf16
// CHECK:         %[[W:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<64x64xbf16>) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK:           arith.extf
// CHECK:         scf.for
// CHECK:           vector.transfer_read %[[W]]{{.*}} : tensor<64x64xf32>, vector<16xf32>
// CHECK-COUNT-16:  vector.fma
// DOT-LABEL: func @loop_invariant_bf16
// DOT:         linalg.generic {{.*}} ins(%{{.+}} : tensor<64x64xbf16>) outs(%{{.+}} : tensor<32x64x2xbf16>)
// DOT:         %[[PAIRS:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<32x64x2xbf16> into tensor<32x128xbf16>
// DOT:         scf.for
// DOT:           scf.for %{{.+}} = %c0 to %c32 step %c1
// DOT:             vector.transfer_read %[[PAIRS]]{{.*}} : tensor<32x128xbf16>, vector<32xbf16>
// DOT:             vector.bitcast %{{.+}} : vector<2xbf16> to vector<1xi32>
// DOT-COUNT-16:    x86vector.avx512.dot
// DOT-NOT:         vector.fma
func.func @loop_invariant_bf16(%k: tensor<32x64xbf16>, %qT: tensor<64x64xbf16>, %n: index) -> tensor<32x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<32x64xf32>) -> tensor<32x64xf32>
  %r = scf.for %it = %c0 to %n step %c1 iter_args(%x = %init) -> (tensor<32x64xf32>) {
    %s = linalg.generic {
        indexing_maps = [affine_map<(j, i, d) -> (j, d)>, affine_map<(j, i, d) -> (d, i)>, affine_map<(j, i, d) -> (j, i)>],
        iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%k, %qT : tensor<32x64xbf16>, tensor<64x64xbf16>) outs(%x : tensor<32x64xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %a32 = arith.extf %a : bf16 to f32
      %b32 = arith.extf %b : bf16 to f32
      %p = arith.mulf %a32, %b32 : f32
      %r = arith.addf %c, %p : f32
      linalg.yield %r : f32
    } -> tensor<32x64xf32>
    scf.yield %s : tensor<32x64xf32>
  }
  return %r : tensor<32x64xf32>
}

// -----

/// Not rewritten: a dynamic output, rows that are not a multiple of the
/// block, a body that is not a multiply-add, and an f16 output.
// CHECK-LABEL: func @negatives
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT:     vector.fma
// AVX2-LABEL: func @negatives
// DOT-LABEL: func @negatives
// AVX2-COUNT-3: linalg.generic
// AVX2:         vector.fma
func.func @negatives(%a: tensor<?x64xf32>, %b: tensor<64x64xf32>, %c: tensor<?x64xf32>,
                     %a12: tensor<12x64xf32>, %c12: tensor<12x64xf32>,
                     %c8: tensor<8x64xf32>, %a8: tensor<8x64xf32>,
                     %ah: tensor<8x64xf16>, %bh: tensor<64x64xf16>, %ch: tensor<8x64xf16>)
    -> (tensor<?x64xf32>, tensor<12x64xf32>, tensor<8x64xf32>, tensor<8x64xf16>) {
  %0 = linalg.generic {
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x64xf32>, tensor<64x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %z, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x64xf32>
  // 12 rows: a multiple of the 4 rows of 256-bit blocks, not of the 8 of 512.
  %1 = linalg.generic {
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a12, %b : tensor<12x64xf32>, tensor<64x64xf32>) outs(%c12 : tensor<12x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %z, %p : f32
    linalg.yield %r : f32
  } -> tensor<12x64xf32>
  %2 = linalg.generic {
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a8, %b : tensor<8x64xf32>, tensor<64x64xf32>) outs(%c8 : tensor<8x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.maximumf %z, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x64xf32>
  %3 = linalg.generic {
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ah, %bh : tensor<8x64xf16>, tensor<64x64xf16>) outs(%ch : tensor<8x64xf16>) {
  ^bb0(%x: f16, %y: f16, %z: f16):
    %p = arith.mulf %x, %y : f16
    %r = arith.addf %z, %p : f16
    linalg.yield %r : f16
  } -> tensor<8x64xf16>
  return %0, %1, %2, %3 : tensor<?x64xf32>, tensor<12x64xf32>, tensor<8x64xf32>, tensor<8x64xf16>
}

// -----

/// A pad of a constant (not ub.poison) is read as it is: the kernel reads
/// the padded tensor, whose padded rows hold the constant.
// CHECK-LABEL: func @pad_of_constant
// CHECK:         %[[PAD:.+]] = tensor.pad
// CHECK:         scf.for
// CHECK-NOT:       arith.minsi
// CHECK:           tensor.extract %[[PAD]]
func.func @pad_of_constant(%k: tensor<?x64xf32>, %qT: tensor<64x64xf32>, %init: tensor<128x64xf32>) -> tensor<128x64xf32> {
  %c0 = arith.constant 0 : index
  %c128 = arith.constant 128 : index
  %tk = tensor.dim %k, %c0 : tensor<?x64xf32>
  %high = arith.subi %c128, %tk : index
  %zero = arith.constant 0.0 : f32
  %kp = tensor.pad %k low[0, 0] high[%high, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<?x64xf32> to tensor<128x64xf32>
  %s = linalg.generic {
      indexing_maps = [affine_map<(j, i, d) -> (j, d)>, affine_map<(j, i, d) -> (d, i)>, affine_map<(j, i, d) -> (j, i)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%kp, %qT : tensor<128x64xf32>, tensor<64x64xf32>) outs(%init : tensor<128x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  } -> tensor<128x64xf32>
  return %s : tensor<128x64xf32>
}

