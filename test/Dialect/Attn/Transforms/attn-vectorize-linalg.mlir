// RUN: attn-opt %s -split-input-file --attn-vectorize-linalg=vector-bits=512 | FileCheck %s
// RUN: attn-opt %s -split-input-file --attn-vectorize-linalg="parallel=false vector-bits=512" | FileCheck %s --check-prefix=SEQ

/// A matmul: 64 x 128 output tiles on threads, 8 x 32 register tiles, and a
/// K loop carrying the vector<8x32xf32> accumulator (read before the loop,
/// written after it), updated by eight FMAs of 32 lanes per step from one
/// row of B. Without `parallel` there is no scf.forall.
// CHECK-LABEL: func.func @matmul
//   CHECK-NOT:   linalg.matmul
//       CHECK:   scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (128, 256) step (64, 128)
//       CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (tensor<64x128xf32>)
//       CHECK:       scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (tensor<64x128xf32>)
//       CHECK:         %[[C:.+]] = tensor.extract_slice %{{.+}} [8, 32] [1, 1] : tensor<64x128xf32> to tensor<8x32xf32>
//       CHECK:         vector.transfer_read %[[C]][%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<8x32xf32>, vector<32xf32>
//       CHECK:         scf.for {{.+}} -> (tensor<64x128xf32>, tensor<8x32xf32>, vector<8x32xf32>)
//       CHECK:           %[[BROW:.+]] = vector.transfer_read %{{.+}} {in_bounds = [true]} : tensor<1x32xf32>, vector<32xf32>
// CHECK-COUNT-8:         vector.fma %{{.+}}, %[[BROW]], %{{.+}} : vector<32xf32>
//       CHECK:           scf.yield
//       CHECK:         vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<32xf32>, tensor<8x32xf32>
//       CHECK:   scf.forall.in_parallel
// SEQ-LABEL: func.func @matmul
//   SEQ-NOT:   scf.forall
//       SEQ:   vector.fma

func.func @matmul(%a: tensor<128x64xf32>, %b: tensor<64x256xf32>, %c: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<128x64xf32>, tensor<64x256xf32>) outs(%c : tensor<128x256xf32>) -> tensor<128x256xf32>
  return %r : tensor<128x256xf32>
}

// -----

/// Row reduction then a normalisation with row and column broadcasts (the
/// shape of a layer norm): the reduction runs over vectors of 32 with the
/// row's accumulator carried by the loop, the elementwise op on vectors of
/// 32; both on 8 chunks of rows. The 64-element fill is too small for
/// threads.
// CHECK-LABEL: func.func @layernorm_like
//   CHECK-NOT:   linalg.
//       CHECK:   vector.transfer_write %{{.+}} : vector<32xf32>, tensor<32xf32>
//       CHECK:   %[[SUM:.+]] = scf.forall (%{{.+}}) = (0) to (64) step (8)
//       CHECK:     scf.for {{.+}} -> (tensor<8xf32>, tensor<1xf32>, vector<1xf32>)
//       CHECK:       %[[X:.+]] = vector.transfer_read {{.+}} : tensor<1x32xf32>, vector<32xf32>
//       CHECK:       vector.reduction <add>, %[[X]], %{{.+}} : vector<32xf32> into f32
//       CHECK:   scf.forall (%{{.+}}) = (0) to (64) step (8)
//       CHECK:     tensor.extract_slice %[[SUM]]
//       CHECK:         arith.subf %{{.+}}, %{{.+}} : vector<1x32xf32>
//       CHECK:         arith.mulf %{{.+}}, %{{.+}} : vector<1x32xf32>
//       CHECK:         vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<32xf32>, tensor<1x32xf32>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @layernorm_like(%x: tensor<64x768xf32>, %g: tensor<768xf32>) -> tensor<64x768xf32> {
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 0.0013020833 : f32
  %e = tensor.empty() : tensor<64xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<64x768xf32>) outs(%acc : tensor<64xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  } -> tensor<64xf32>
  %e2 = tensor.empty() : tensor<64x768xf32>
  %y = linalg.generic {indexing_maps = [#id2, #row, #col, #id2], iterator_types = ["parallel", "parallel"]} ins(%x, %sum, %g : tensor<64x768xf32>, tensor<64xf32>, tensor<768xf32>) outs(%e2 : tensor<64x768xf32>) {
  ^bb0(%a: f32, %s: f32, %w: f32, %o: f32):
    %m = arith.mulf %s, %inv : f32
    %d = arith.subf %a, %m : f32
    %t = arith.mulf %d, %w : f32
    linalg.yield %t : f32
  } -> tensor<64x768xf32>
  return %y : tensor<64x768xf32>
}

// -----

/// Static sizes the tiles do not divide: the op is split (upstream
/// linalg::splitOp) into parts without partial register tiles, 37 = 32 + 5
/// rows and 53 = 32 + 16 + 4 + 1 columns (lane remainders in powers of
/// two), each tiled and vectorised without masks and carrying its
/// accumulator through the K loop. One thread: too little work.
// CHECK-LABEL: func.func @matmul_odd
//   CHECK-NOT:   scf.forall
//   CHECK-NOT:   vector.create_mask
//       CHECK:   scf.for {{.+}} -> (tensor<32x32xf32>, tensor<8x32xf32>, vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma %{{.+}} : vector<32xf32>
//       CHECK:   scf.for {{.+}} -> (tensor<32x16xf32>, tensor<8x16xf32>, vector<8x16xf32>)
//       CHECK:   scf.for {{.+}} -> (tensor<32x4xf32>, tensor<8x4xf32>, vector<8x4xf32>)
//       CHECK:   scf.for {{.+}} -> (tensor<32x1xf32>, tensor<8x1xf32>, vector<8x1xf32>)
//       CHECK:   scf.for {{.+}} -> (tensor<5x32xf32>, vector<5x32xf32>)
//       CHECK:   scf.for {{.+}} -> (tensor<5x16xf32>, vector<5x16xf32>)
//       CHECK:   scf.for {{.+}} -> (tensor<5x4xf32>, vector<5x4xf32>)
//       CHECK:   scf.for {{.+}} -> (tensor<5x1xf32>, vector<5x1xf32>)
//   CHECK-NOT:   vector.create_mask
//       CHECK:   return
func.func @matmul_odd(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

/// Dynamic sizes: partial tiles are masked, and the masked 8 x 32
/// transfers are split into rows with their mask rows, on tensors.
// CHECK-LABEL: func.func @matmul_dynamic
//       CHECK:   affine.min
//       CHECK:   %[[MASK:.+]] = vector.create_mask %{{.+}}, %{{.+}} : vector<8x32xi1>
//       CHECK:   %[[ROW0:.+]] = vector.extract %[[MASK]][0] : vector<32xi1> from vector<8x32xi1>
//       CHECK:   vector.transfer_read %{{.+}}, %{{.+}}, %[[ROW0]] {in_bounds = [true]} : tensor<?x?xf32>, vector<32xf32>
//       CHECK:   vector.fma
//       CHECK:   vector.transfer_write %{{.+}}, %{{.+}}, %{{.+}} {in_bounds = [true]} : vector<32xf32>, tensor<?x?xf32>
//   CHECK-NOT:   vector<8x32xf32>, tensor
func.func @matmul_dynamic(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %c: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%c : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

/// A small static op (14406 iterations: one thread) whose innermost size
/// the vector does not divide: parts of 32, 16 and 1 columns, each a loop
/// of unmasked row writes. (Masked writes of constant masks, in loops that
/// LLVM fully unrolls, made the X86 DAG combiner superlinear: this fill
/// compiled for minutes; docs/performance.md.)
// CHECK-LABEL: func.func @fill_odd
//   CHECK-NOT:   vector.create_mask
//       CHECK:   scf.for {{.+}} -> (tensor<2x3x49x32xf32>)
//       CHECK:     vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<32xf32>, tensor<1x1x1x32xf32>
//       CHECK:   scf.for {{.+}} -> (tensor<2x3x49x16xf32>)
//       CHECK:     vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<16xf32>, tensor<1x1x1x16xf32>
//       CHECK:   scf.for {{.+}} -> (tensor<2x3x49x1xf32>)
//       CHECK:     vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<1xf32>, tensor<1x1x1x1xf32>
//   CHECK-NOT:   vector.create_mask
//       CHECK:   return
func.func @fill_odd() -> tensor<2x3x49x49xf32> {
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x49x49xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<2x3x49x49xf32>) -> tensor<2x3x49x49xf32>
  return %f : tensor<2x3x49x49xf32>
}

// -----

/// Ops inside the attention loop (marked by attn-tile) are left alone.
// CHECK-LABEL: func.func @negative_inside_attention
//       CHECK:   scf.forall
//   CHECK-NOT:     vector.
//       CHECK:     linalg.generic
//       CHECK:   } {attn.tiled_attention}
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @negative_inside_attention(%x: tensor<4x64x64xf32>) -> tensor<4x64x64xf32> {
  %r = scf.forall (%i) in (4) shared_outs(%o = %x) -> (tensor<4x64x64xf32>) {
    %s = tensor.extract_slice %x[%i, 0, 0] [1, 64, 64] [1, 1, 1] : tensor<4x64x64xf32> to tensor<64x64xf32>
    %e = tensor.empty() : tensor<64x64xf32>
    %t = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
    ^bb0(%a: f32, %b: f32):
      %m = arith.mulf %a, %a : f32
      linalg.yield %m : f32
    } -> tensor<64x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %o[%i, 0, 0] [1, 64, 64] [1, 1, 1] : tensor<64x64xf32> into tensor<4x64x64xf32>
    }
  } {attn.tiled_attention}
  return %r : tensor<4x64x64xf32>
}

// -----

/// An i1 input is read as vector<32xi1> (attn-lower-i1-vector-memory
/// later turns the load into a byte load).
// CHECK-LABEL: func.func @bool_input
//   CHECK-NOT:   linalg.generic
//       CHECK:   scf.forall
//       CHECK:     %[[B:.+]] = vector.transfer_read %{{.+}} {in_bounds = [true]} : tensor<1x32xi1>, vector<32xi1>
//       CHECK:     %[[B2:.+]] = vector.broadcast %[[B]] : vector<32xi1> to vector<1x32xi1>
//       CHECK:     arith.select %[[B2]], %{{.+}}, %{{.+}} : vector<1x32xi1>, vector<1x32xf32>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @bool_input(%m: tensor<256x256xi1>) -> tensor<256x256xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x256xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<256x256xi1>) outs(%e : tensor<256x256xf32>) {
  ^bb0(%b: i1, %o: f32):
    %v = arith.select %b, %zero, %ninf : f32
    linalg.yield %v : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}

// -----

/// The attn-tile mask block summary: block loops (parallel) on threads,
/// in-block loops (reductions) innermost, 32 mask bytes per step folded
/// into two i8 accumulators that stay in registers across the block.
// CHECK-LABEL: func.func @block_summary
//       CHECK:   scf.forall (%{{.+}}) in (8) shared_outs(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<8x4xi8>, tensor<8x4xi8>)
//       CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.+}}) -> (tensor<1x4xi8>, tensor<1x4xi8>)
//       CHECK:       scf.for %{{.+}} iter_args({{.+}}) -> ({{.+}}, vector<1x1xi8>, vector<1x1xi8>)
//       CHECK:         scf.for %{{.+}} iter_args({{.+}}) -> ({{.+}}, vector<1x1xi8>, vector<1x1xi8>)
//       CHECK:           %[[M:.+]] = vector.transfer_read %{{.+}} {in_bounds = [true]} : tensor<1x1x1x32xi1>, vector<32xi1>
//       CHECK:           vector.reduction <or>, %{{.+}}, %{{.+}} : vector<32xi8> into i8
//       CHECK:           vector.reduction <and>, %{{.+}}, %{{.+}} : vector<32xi8> into i8
//       CHECK:       vector.transfer_write %{{.+}} : vector<1xi8>, tensor<1x1xi8>
//       CHECK:       vector.transfer_write %{{.+}} : vector<1xi8>, tensor<1x1xi8>
//       CHECK:   scf.forall.in_parallel
#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
func.func @block_summary(%m: tensor<8x64x4x128xi1>) -> (tensor<8x4xi8>, tensor<8x4xi8>) {
  %c0 = arith.constant 0 : i8
  %c1 = arith.constant 1 : i8
  %e = tensor.empty() : tensor<8x4xi8>
  %any0 = linalg.fill ins(%c0 : i8) outs(%e : tensor<8x4xi8>) -> tensor<8x4xi8>
  %all0 = linalg.fill ins(%c1 : i8) outs(%e : tensor<8x4xi8>) -> tensor<8x4xi8>
  %r:2 = linalg.generic {indexing_maps = [#in, #out, #out], iterator_types = ["parallel", "reduction", "parallel", "reduction"]} ins(%m : tensor<8x64x4x128xi1>) outs(%any0, %all0 : tensor<8x4xi8>, tensor<8x4xi8>) {
  ^bb0(%b: i1, %any: i8, %all: i8):
    %k = arith.extui %b : i1 to i8
    %o = arith.ori %any, %k : i8
    %a = arith.andi %all, %k : i8
    linalg.yield %o, %a : i8, i8
  } -> (tensor<8x4xi8>, tensor<8x4xi8>)
  return %r#0, %r#1 : tensor<8x4xi8>, tensor<8x4xi8>
}

// -----

/// i1 results stay scalar: a vector<Nxi1> store would write bits where the
/// memref holds one byte per element.
// CHECK-LABEL: func.func @negative_bool_result
//   CHECK-NOT:   vector.
//       CHECK:   linalg.generic
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @negative_bool_result(%x: tensor<256x256xf32>) -> tensor<256x256xi1> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x256xi1>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<256x256xf32>) outs(%e : tensor<256x256xi1>) {
  ^bb0(%a: f32, %o: i1):
    %v = arith.cmpf ogt, %a, %zero : f32
    linalg.yield %v : i1
  } -> tensor<256x256xi1>
  return %r : tensor<256x256xi1>
}

// -----

/// A row maximum over a partial (masked) vector tile of a dynamic row: the
/// masked-off lanes become -inf before an unmasked reduction (MLIR 22
/// lowers the masked float min/max reductions with wrong neutral values).
// CHECK-LABEL: func.func @row_max_masked
//       CHECK:   %[[NINF:.+]] = arith.constant dense<0xFF800000> : vector<32xf32>
//       CHECK:   %[[KEPT:.+]] = arith.select %{{.+}}, %{{.+}}, %[[NINF]] : vector<32xi1>, vector<32xf32>
//       CHECK:   vector.reduction <maximumf>, %[[KEPT]], %{{.+}} : vector<32xf32> into f32
//   CHECK-NOT:   vector.mask
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_max_masked(%x: tensor<3x?xf32>) -> tensor<3xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<3xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<3xf32>) -> tensor<3xf32>
  %m = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<3x?xf32>) outs(%f : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<3xf32>
  return %m : tensor<3xf32>
}
