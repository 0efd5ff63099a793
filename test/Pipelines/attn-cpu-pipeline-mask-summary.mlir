// RUN: attn-opt %s --attn-cpu-pipeline="vector-bits=512" | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline="parallel=false vector-bits=512" | FileCheck %s --check-prefix=SEQ
// RUN: attn-opt %s --attn-cpu-pipeline="vector-bits=512" | FileCheck %s --check-prefix=NOPACK

/// The run-time block summary of a boolean mask tensor (attn-tile) is
/// vectorised and parallelised by attn-vectorize-linalg: an OpenMP loop over
/// query blocks ahead of the attention's own OpenMP loop, reading 32 mask
/// bytes per step (attn-lower-i1-vector-memory: a byte load truncated to i1
/// lanes, never a bit-packed vector<32xi1> load) and folding them into the
/// block's any/all flags.
// CHECK-LABEL: llvm.func @block_sparse(
//       CHECK:   omp.parallel
//       CHECK:     omp.wsloop
//       CHECK:       %[[BYTES:.+]] = llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> vector<32xi8>
//       CHECK:       %[[LANES:.+]] = llvm.trunc %[[BYTES]] : vector<32xi8> to vector<32xi1>
//       CHECK:       %[[KEPT:.+]] = llvm.zext %[[LANES]] : vector<32xi1> to vector<32xi8>
//       CHECK:       "llvm.intr.vector.reduce.or"(%[[KEPT]]) : (vector<32xi8>) -> i8
//       CHECK:       "llvm.intr.vector.reduce.and"(%[[KEPT]]) : (vector<32xi8>) -> i8
//       CHECK:   omp.parallel
//       CHECK:     omp.wsloop
//       CHECK: llvm.func @_mlir_ciface_block_sparse

/// No load or store of a vector of i1 anywhere.
// NOPACK-NOT: !llvm.ptr -> vector<{{[0-9]+}}xi1>
// NOPACK-NOT: llvm.store {{.*}} : vector<{{[0-9]+}}xi1>

/// Sequential: the same vector loop, no OpenMP.
// SEQ-LABEL: llvm.func @block_sparse(
//   SEQ-NOT:   omp.
//       SEQ:   llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> vector<32xi8>
//       SEQ:   "llvm.intr.vector.reduce.or"
func.func @block_sparse(%q: tensor<1x2x512x32xf32>, %k: tensor<1x2x512x32xf32>, %m: tensor<1x1x512x512xi1>) -> tensor<1x2x512x32xf32> {
  %init28_0 = tensor.empty() : tensor<1x2x512x32xf32>
  %o = attn.attention ins(%q, %k, %k : tensor<1x2x512x32xf32>, tensor<1x2x512x32xf32>, tensor<1x2x512x32xf32>)
      mask(%m : tensor<1x1x512x512xi1>) outs(%init28_0 : tensor<1x2x512x32xf32>) -> tensor<1x2x512x32xf32>
  return %o : tensor<1x2x512x32xf32>
}
