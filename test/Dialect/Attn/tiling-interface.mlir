// RUN: attn-opt %s -transform-interpreter -canonicalize -cse -split-input-file -verify-diagnostics | FileCheck %s

/// attn.attention implements TilingInterface: upstream tile_using_forall
/// tiles batch, heads and query rows. Each tile carries its coordinates in
/// the problem (offsets, Lq, Lkv, group size) so that the causal mask stays
/// bottom-right aligned to the whole problem; a tile of 2 query heads of a
/// 4:1 GQA group reads the one key/value head `h0 floordiv 4`.
// CHECK-DAG: #[[H0:.+]] = affine_map<(d0) -> (d0 * 2)>
// CHECK-DAG: #[[KVH:.+]] = affine_map<(d0) -> (d0 floordiv 2)>
// CHECK-LABEL: func @tile_batch_heads_rows
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x8x64x16xf32>, %[[K:[^:]+]]: tensor<2x2x48x16xf32>, %[[V:[^:]+]]: tensor<2x2x48x8xf32>)
// CHECK-DAG: %[[G:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[LKV:.+]] = arith.constant 48 : index
// CHECK-DAG: %[[LQ:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[Z:.+]] = arith.constant 0 : index
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]], %[[I:.+]]) in (2, 4, 4)
// CHECK:   %[[H0V:.+]] = affine.apply #[[H0]](%[[H]])
// CHECK:   %[[KH:.+]] = affine.apply #[[KVH]](%[[H]])
// CHECK:   %[[KS:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[KH]], 0, 0] [1, 1, 48, 16]
// CHECK:   attn.attention ins(%{{.*}}, %[[KS]], %{{.*}} : tensor<1x2x16x16xf32>, tensor<1x1x48x16xf32>, tensor<1x1x48x8xf32>)
// CHECK-SAME: offsets(%[[B]], %[[H0V]], %{{.*}}, %[[Z]]) problem(%[[LQ]], %[[LKV]], %[[G]])
// CHECK-SAME: {masks = [#attn.causal]}
// CHECK:   tensor.parallel_insert_slice
func.func @tile_batch_heads_rows(%q: tensor<2x8x64x16xf32>, %k: tensor<2x2x48x16xf32>, %v: tensor<2x2x48x8xf32>) -> tensor<2x8x64x8xf32> {
  %e = tensor.empty() : tensor<2x8x64x8xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x64x16xf32>, tensor<2x2x48x16xf32>, tensor<2x2x48x8xf32>)
      outs(%e : tensor<2x8x64x8xf32>) {masks = [#attn.causal]} -> tensor<2x8x64x8xf32>
  return %o : tensor<2x8x64x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %a tile_sizes [1, 2, 16, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// Split-KV through PartialReductionOpInterface: tile_reduction_using_forall
/// gives each of 4 threads a key range whose partial state (acc, max, sum)
/// lands in its lane; attn.merge_states merges the lanes and the row
/// finalisation adds the sink and writes the output and the log-sum-exp.
// CHECK-LABEL: func @split_kv
// CHECK: %[[ACC0:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x8x4x4x8xf32>)
// CHECK: %[[M0:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x8x4x4xf32>)
// CHECK: %[[P:.+]]:3 = scf.forall (%[[S:.+]]) in (4) shared_outs(%{{.*}} = %[[ACC0]], %{{.*}} = %[[M0]], %{{.*}} = %{{.*}})
// CHECK:   attn.attention {{.*}} offsets({{.*}}) problem({{.*}}) outs({{.*}} : tensor<1x8x4x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {masks = [#attn.causal], partial}
// CHECK:   tensor.parallel_insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %[[S]], 0] [1, 8, 4, 1, 8]
// CHECK: %[[ACC:.+]], %[[MAX:.+]], %[[SUM:.+]] = attn.merge_states values(%[[P]]#0 : tensor<1x8x4x4x8xf32>) lses(%[[P]]#1 : tensor<1x8x4x4xf32>) sums(%[[P]]#2 : tensor<1x8x4x4xf32>) {{.*}} {dimension = 3 : i64}
// CHECK: %[[FIN:.+]]:2 = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]], %{{.*}} : tensor<1x8x4xf32>, tensor<1x8x4xf32>, tensor<8xf32>)
// CHECK: %[[O:.+]] = linalg.generic {{.*}} ins(%[[ACC]], %[[FIN]]#0 :
// CHECK: return %[[O]], %[[FIN]]#1
func.func @split_kv(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x100x16xf32>, %v: tensor<1x2x100x8xf32>, %s: tensor<8xf32>) -> (tensor<1x8x4x8xf32>, tensor<1x8x4xf32>) {
  %e = tensor.empty() : tensor<1x8x4x8xf32>
  %l = tensor.empty() : tensor<1x8x4xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x8x4x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x8xf32>) sinks(%s : tensor<8xf32>)
      outs(%e, %l : tensor<1x8x4x8xf32>, tensor<1x8x4xf32>) {masks = [#attn.causal]} -> tensor<1x8x4x8xf32>, tensor<1x8x4xf32>
  return %o, %lse : tensor<1x8x4x8xf32>, tensor<1x8x4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %f0, %f1, %f2, %f3, %f4, %part, %merge, %loop = transform.structured.tile_reduction_using_forall %a reduction_dims = [3] by num_threads = [0, 0, 0, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// The partial form accumulates into its inits, so its key axis tiles as a
/// plain reduction loop: the state is carried through scf.for.
// CHECK-LABEL: func @partial_key_loop
// CHECK: scf.for %[[J:.+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A:.+]] = %{{.*}}, %[[M:.+]] = %{{.*}}, %[[S:.+]] = %{{.*}})
// CHECK:   %[[KS:.+]] = tensor.extract_slice %{{.*}}[0, 0, %[[J]], 0] [1, 2, 32, 16]
// CHECK:   attn.attention ins(%{{.*}}, %[[KS]], %{{.*}} : {{.*}}) offsets(%{{.*}}, %{{.*}}, %{{.*}}, %[[J]]) problem({{.*}}) outs(%[[A]], %[[M]], %[[S]] :
// CHECK:   scf.yield
func.func @partial_key_loop(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x128x16xf32>, %v: tensor<1x2x128x16xf32>,
                            %acc: tensor<1x4x8x16xf32>, %m: tensor<1x4x8xf32>, %s: tensor<1x4x8xf32>)
    -> (tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  %a, %mx, %sm = attn.attention ins(%q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>)
      outs(%acc, %m, %s : tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>)
      {masks = [#attn.causal], partial} -> tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return %a, %mx, %sm : tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %a tile_sizes [0, 0, 0, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// Producer fusion: the elementwise op that scales Q is fused into the
/// forall of the attention tiles (fuse_into_containing_op), computing only
/// the slice each tile reads.
// CHECK-LABEL: func @fuse_q_producer
// CHECK: scf.forall
// CHECK:   %[[QS:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x16x16xf32>)
// CHECK:   attn.attention ins(%[[QS]],
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @fuse_q_producer(%x: tensor<1x8x64x16xf32>, %k: tensor<1x8x64x16xf32>, %v: tensor<1x8x64x16xf32>) -> tensor<1x8x64x16xf32> {
  %eq = tensor.empty() : tensor<1x8x64x16xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(b, h, i, d) -> (b, h, i, d)>, affine_map<(b, h, i, d) -> (b, h, i, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x8x64x16xf32>) outs(%eq : tensor<1x8x64x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 0.5 : f32
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x8x64x16xf32>
  %e = tensor.empty() : tensor<1x8x64x16xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x64x16xf32>, tensor<1x8x64x16xf32>, tensor<1x8x64x16xf32>)
      outs(%e : tensor<1x8x64x16xf32>) -> tensor<1x8x64x16xf32>
  return %o : tensor<1x8x64x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %g = transform.structured.match ops{["linalg.generic"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %a tile_sizes [1, 2, 16, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %f, %l2 = transform.structured.fuse_into_containing_op %g into %l : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// A normalised op cannot accumulate into its output: tiling its key axis
/// as a plain loop is refused; it tiles as a partial reduction instead.
func.func @negative_tile_normalised_keys(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %e = tensor.empty() : tensor<1x2x8x16xf32>
  // expected-error @+3 {{cannot tile the key axis of a normalised attention directly; tile it as a partial reduction}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %o = attn.attention ins(%q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
      outs(%e : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %a tile_sizes [0, 0, 0, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// A paged op tiles in place: each (b, h, q) tile slices the table's rows of
/// its batch and the pools' head axis (axis 2 in NHD), never the pages, and
/// keeps the layout; no gather is built.
// CHECK-LABEL: func @paged_tiles
// CHECK-NOT: linalg.generic
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]]) in (2, 2)
// CHECK-DAG: %[[KS:.+]] = tensor.extract_slice %{{.*}}[0, 0, %[[H]], 0] [10, 16, 1, 8] [1, 1, 1, 1] : tensor<10x16x2x8xf32> to tensor<10x16x1x8xf32>
// CHECK-DAG: %[[TS:.+]] = tensor.extract_slice %{{.*}}[%[[B]], 0] [1, 4] [1, 1] : tensor<2x4xi32> to tensor<1x4xi32>
// CHECK: attn.attention ins(%{{.*}}, %[[KS]], %{{.*}} : tensor<1x2x1x8xf32>, tensor<10x16x1x8xf32>, tensor<10x16x1x8xf32>) {{.*}} page_table(%[[TS]] : tensor<1x4xi32>) offsets
// CHECK-SAME: kv_layout = #attn.kv_layout<paged_nhd>
func.func @paged_tiles(%q: tensor<2x4x1x8xf32>, %k: tensor<10x16x2x8xf32>, %v: tensor<10x16x2x8xf32>,
                       %t: tensor<2x4xi32>, %len: tensor<2xi32>, %o: tensor<2x4x1x8xf32>) -> tensor<2x4x1x8xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<2x4x1x8xf32>, tensor<10x16x2x8xf32>, tensor<10x16x2x8xf32>)
      kv_lengths(%len : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%o : tensor<2x4x1x8xf32>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<2x4x1x8xf32>
  return %r : tensor<2x4x1x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_forall %a tile_sizes [1, 2, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// Split-KV of a paged op: each of 2 threads takes whole pages, the
/// table's columns [2 s, 2 s + 2) (HND pools: heads on axis 1).
// CHECK-LABEL: func @paged_split_kv
// CHECK: scf.forall (%[[S:.+]]) in (2)
// CHECK:   %[[C:.+]] = affine.apply {{.*}}(%[[S]])
// CHECK:   %[[TS:.+]] = tensor.extract_slice %{{.*}}[0, %[[C]]] [2, 2] [1, 1] : tensor<2x4xi32> to tensor<2x2xi32>
// CHECK:   attn.attention {{.*}} page_table(%[[TS]] : tensor<2x2xi32>) offsets
// CHECK-SAME: kv_layout = #attn.kv_layout<paged_hnd>, partial
// CHECK: attn.merge_states
func.func @paged_split_kv(%q: tensor<2x4x1x8xf32>, %k: tensor<10x2x16x8xf32>, %v: tensor<10x2x16x8xf32>,
                          %t: tensor<2x4xi32>, %o: tensor<2x4x1x8xf32>) -> tensor<2x4x1x8xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<2x4x1x8xf32>, tensor<10x2x16x8xf32>, tensor<10x2x16x8xf32>)
      page_table(%t : tensor<2x4xi32>)
      outs(%o : tensor<2x4x1x8xf32>) {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<2x4x1x8xf32>
  return %r : tensor<2x4x1x8xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %f0, %f1, %f2, %f3, %f4, %part, %merge, %loop = transform.structured.tile_reduction_using_forall %a reduction_dims = [3] by num_threads = [0, 0, 0, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

/// Key tiles that cut a page cannot be expressed through the table.
func.func @paged_unaligned_key_tiles(%q: tensor<1x2x4x8xf32>, %k: tensor<4x16x1x8xf32>, %v: tensor<4x16x1x8xf32>,
                                     %t: tensor<1x4xi32>, %acc: tensor<1x2x4x8xf32>, %m: tensor<1x2x4xf32>, %s: tensor<1x2x4xf32>)
    -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  // expected-error @below {{expects the key tiles of a paged op to start and end on page boundaries (page size 16)}}
  // expected-error @below {{faild to tile operation}}
  // expected-error @below {{failed to generate tiling loops}}
  %a, %mx, %sm = attn.attention ins(%q, %k, %v : tensor<1x2x4x8xf32>, tensor<4x16x1x8xf32>, tensor<4x16x1x8xf32>)
      page_table(%t : tensor<1x4xi32>)
      outs(%acc, %m, %s : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>, partial} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  return %a, %mx, %sm : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %a = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %t, %l = transform.structured.tile_using_for %a tile_sizes [0, 0, 0, 24] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
