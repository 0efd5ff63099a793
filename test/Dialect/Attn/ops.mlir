// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// CHECK-LABEL: func @attention_plain
func.func @attention_plain(%q: tensor<2x4x16x64xf32>, %k: tensor<2x4x16x64xf32>,
                           %v: tensor<2x4x16x64xf32>) -> tensor<2x4x16x64xf32> {
  // CHECK: attn.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>) outs({{[^)]*}}) -> tensor<2x4x16x64xf32>
  %init110_0 = tensor.empty() : tensor<2x4x16x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>)
      outs(%init110_0 : tensor<2x4x16x64xf32>) -> tensor<2x4x16x64xf32>
  return %o : tensor<2x4x16x64xf32>
}

/// GQA (8 query heads over 2 KV heads), MLA-style Dqk != Dv, bf16 inputs,
/// explicit scale and the log-sum-exp result.
// CHECK-LABEL: func @attention_gqa_mla_lse
func.func @attention_gqa_mla_lse(%q: tensor<1x8x5x192xbf16>, %k: tensor<1x2x7x192xbf16>,
                                 %v: tensor<1x2x7x128xbf16>) -> (tensor<1x8x5x128xbf16>, tensor<1x8x5xf32>) {
  // CHECK: %[[O:.+]], %[[L:.+]] = attn.attention
  // CHECK-SAME: {scale = 1.250000e-01 : f64}
  // CHECK-SAME: -> tensor<1x8x5x128xbf16>, tensor<1x8x5xf32>
  %init111_0 = tensor.empty() : tensor<1x8x5x128xbf16>
  %init111_1 = tensor.empty() : tensor<1x8x5xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x8x5x192xbf16>, tensor<1x2x7x192xbf16>, tensor<1x2x7x128xbf16>)
      outs(%init111_0, %init111_1 : tensor<1x8x5x128xbf16>, tensor<1x8x5xf32>) {scale = 0.125} -> tensor<1x8x5x128xbf16>, tensor<1x8x5xf32>
  return %o, %lse : tensor<1x8x5x128xbf16>, tensor<1x8x5xf32>
}

/// Dynamic dims everywhere, MQA (one KV head), f16.
// CHECK-LABEL: func @attention_dynamic_mqa
func.func @attention_dynamic_mqa(%q: tensor<?x?x?x?xf16>, %k: tensor<?x1x?x?xf16>,
                                 %v: tensor<?x1x?x?xf16>) -> tensor<?x?x?x?xf16> {
  // CHECK: attn.attention {{.*}} -> tensor<?x?x?x?xf16>
  %mc112_0 = arith.constant 0 : index
  %md112_0_0 = tensor.dim %q, %mc112_0 : tensor<?x?x?x?xf16>
  %mc112_1 = arith.constant 1 : index
  %md112_0_1 = tensor.dim %q, %mc112_1 : tensor<?x?x?x?xf16>
  %mc112_2 = arith.constant 2 : index
  %md112_0_2 = tensor.dim %q, %mc112_2 : tensor<?x?x?x?xf16>
  %mc112_3 = arith.constant 3 : index
  %md112_0_3 = tensor.dim %v, %mc112_3 : tensor<?x1x?x?xf16>
  %init112_0 = tensor.empty(%md112_0_0, %md112_0_1, %md112_0_2, %md112_0_3) : tensor<?x?x?x?xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<?x?x?x?xf16>, tensor<?x1x?x?xf16>, tensor<?x1x?x?xf16>)
      outs(%init112_0 : tensor<?x?x?x?xf16>) -> tensor<?x?x?x?xf16>
  return %o : tensor<?x?x?x?xf16>
}

/// Every structured mask term, combined.
// CHECK-LABEL: func @attention_structured_masks
func.func @attention_structured_masks(%q: tensor<1x1x8x8xf32>, %k: tensor<1x1x8x8xf32>,
                                      %v: tensor<1x1x8x8xf32>) -> (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) {
  // CHECK: masks = [#attn.causal, #attn.sliding_window<left = 4, right = 0>, #attn.dilated<2>, #attn.chunked<4>]
  %init113_0 = tensor.empty() : tensor<1x1x8x8xf32>
  %a = attn.attention ins(%q, %k, %v : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>)
      outs(%init113_0 : tensor<1x1x8x8xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 4, right = 0>, #attn.dilated<2>, #attn.chunked<4>]}
      -> tensor<1x1x8x8xf32>
  // CHECK: masks = [#attn.prefix_lm<3>]
  %init114_0 = tensor.empty() : tensor<1x1x8x8xf32>
  %b = attn.attention ins(%q, %k, %v : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>)
      outs(%init114_0 : tensor<1x1x8x8xf32>) {masks = [#attn.prefix_lm<3>]} -> tensor<1x1x8x8xf32>
  return %a, %b : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>
}

/// Mask tensors (boolean and additive, broadcast), lengths, segment ids, sinks.
// CHECK-LABEL: func @attention_operands
func.func @attention_operands(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>,
                              %bm: tensor<1x8x8xi1>, %am: tensor<2x1x8x8xf32>,
                              %ql: tensor<2xi32>, %kl: tensor<2xi32>,
                              %qs: tensor<2x8xi32>, %ks: tensor<2x8xi32>,
                              %sinks: tensor<4xf32>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
  // CHECK: mask(%{{.*}} : tensor<1x8x8xi1>) q_lengths(%{{.*}} : tensor<2xi32>) kv_lengths(%{{.*}} : tensor<2xi32>) segment_ids(%{{.*}}, %{{.*}} : tensor<2x8xi32>, tensor<2x8xi32>) sinks(%{{.*}} : tensor<4xf32>)
  %init115_0 = tensor.empty() : tensor<2x4x8x16xf32>
  %a = attn.attention ins(%q, %k, %v : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>)
      mask(%bm : tensor<1x8x8xi1>) q_lengths(%ql : tensor<2xi32>) kv_lengths(%kl : tensor<2xi32>)
      segment_ids(%qs, %ks : tensor<2x8xi32>, tensor<2x8xi32>) sinks(%sinks : tensor<4xf32>)
      outs(%init115_0 : tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  // CHECK: mask(%{{.*}} : tensor<2x1x8x8xf32>)
  %init116_0 = tensor.empty() : tensor<2x4x8x16xf32>
  %b = attn.attention ins(%q, %k, %v : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>)
      mask(%am : tensor<2x1x8x8xf32>) outs(%init116_0 : tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %a, %b : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}

/// Normalisers and softcap.
// CHECK-LABEL: func @attention_normalizers
func.func @attention_normalizers(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                                 %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  // CHECK: {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -1.000000e+00 : f64}
  %init117_0 = tensor.empty() : tensor<1x2x8x16xf32>
  %a = attn.attention ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
      outs(%init117_0 : tensor<1x2x8x16xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -1.0} -> tensor<1x2x8x16xf32>
  // CHECK: {normalizer = #attn.normalizer<softpick>}
  %init118_0 = tensor.empty() : tensor<1x2x8x16xf32>
  %b = attn.attention ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
      outs(%init118_0 : tensor<1x2x8x16xf32>) {normalizer = #attn.normalizer<softpick>} -> tensor<1x2x8x16xf32>
  // CHECK: {softcap = 5.000000e+01 : f64}
  %init119_0 = tensor.empty() : tensor<1x2x8x16xf32>
  %c = attn.attention ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
      outs(%init119_0 : tensor<1x2x8x16xf32>) {softcap = 50.0} -> tensor<1x2x8x16xf32>
  return %a, %b, %c : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

/// score_mod reading a captured ALiBi slope table and a mask_mod.
// CHECK-LABEL: func @attention_regions
func.func @attention_regions(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                             %v: tensor<1x4x8x16xf32>, %slopes: tensor<4xf32>) -> tensor<1x4x8x16xf32> {
  // CHECK: attn.attention
  // CHECK: score_mod {
  // CHECK: ^bb0(%{{.*}}: f32, %{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %{{.*}}: index):
  // CHECK:   tensor.extract %{{.*}}[%[[H]]] : tensor<4xf32>
  // CHECK:   attn.yield %{{.*}} : f32
  // CHECK: } mask_mod {
  // CHECK:   attn.yield %{{.*}} : i1
  %init120_0 = tensor.empty() : tensor<1x4x8x16xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>)
      outs(%init120_0 : tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %slope, %df : f32
        %r = arith.addf %s, %bias : f32
        attn.yield %r : f32
      } mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c0 = arith.constant 0 : index
        %keep = arith.cmpi sge, %j, %c0 : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x4x8x16xf32>
}

/// The partial form: the running state (acc, max, sum) of a key range,
/// combined with the state its inits hold.
// CHECK-LABEL: func @attention_partial
// CHECK: %[[ACC:.+]], %[[MAX:.+]], %[[SUM:.+]] = attn.attention ins(
// CHECK-SAME: outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>)
// CHECK-SAME: {masks = [#attn.causal], partial}
func.func @attention_partial(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x32x16xf32>, %v: tensor<1x2x32x16xf32>,
                             %acc: tensor<1x4x8x16xf32>, %m: tensor<1x4x8xf32>, %s: tensor<1x4x8xf32>)
    -> (tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  %a, %mx, %sm = attn.attention ins(%q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>)
      outs(%acc, %m, %s : tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>)
      {masks = [#attn.causal], partial} -> tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return %a, %mx, %sm : tensor<1x4x8x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
}

/// Tile coordinates: the op is the tile at (b0, h0, q0, kv0) of a problem
/// with Lq = 64, Lkv = 96 and 2 query heads per key/value head.
// CHECK-LABEL: func @attention_tile_coordinates
// CHECK: attn.attention ins({{.*}}) offsets(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) problem(%{{.*}}, %{{.*}}, %{{.*}}) outs(
func.func @attention_tile_coordinates(%q: tensor<1x2x8x16xf32>, %k: tensor<1x1x96x16xf32>, %v: tensor<1x1x96x16xf32>,
                                      %b0: index, %h0: index, %q0: index) -> tensor<1x2x8x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %c96 = arith.constant 96 : index
  %e = tensor.empty() : tensor<1x2x8x16xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x1x96x16xf32>, tensor<1x1x96x16xf32>)
      offsets(%b0, %h0, %q0, %c0) problem(%c64, %c96, %c2)
      outs(%e : tensor<1x2x8x16xf32>) {masks = [#attn.causal]} -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

/// attn.merge_states: normalised (O, lse) states in base 2, unnormalised
/// (acc, max, sum) states, and the split-dimension form.
// CHECK-LABEL: func @merge_states_forms
// CHECK: %[[O:.+]], %[[L:.+]] = attn.merge_states values(%{{.*}}, %{{.*}} : tensor<1x8x1x128xbf16>, tensor<1x8x1x128xf32>) lses(%{{.*}}, %{{.*}} : tensor<1x8x1xf32>, tensor<1x8x1xf32>) outs(%{{.*}}, %{{.*}} : tensor<1x8x1x128xbf16>, tensor<1x8x1xf32>) {base = #attn.lse_base<two>}
// CHECK: attn.merge_states values(%{{.*}}, %{{.*}} : {{.*}}) lses({{.*}}) sums({{.*}}) outs(
// CHECK: attn.merge_states values(%{{.*}} : tensor<1x8x4x3x64xf32>) {{.*}} {dimension = 3 : i64}
func.func @merge_states_forms(%o1: tensor<1x8x1x128xbf16>, %o2: tensor<1x8x1x128xf32>,
                              %l1: tensor<1x8x1xf32>, %l2: tensor<1x8x1xf32>,
                              %a: tensor<1x8x4x64xf32>, %m: tensor<1x8x4xf32>,
                              %sa: tensor<1x8x4x3x64xf32>, %sm: tensor<1x8x4x3xf32>)
    -> (tensor<1x8x1x128xbf16>, tensor<1x8x1xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>) {
  %eo = tensor.empty() : tensor<1x8x1x128xbf16>
  %el = tensor.empty() : tensor<1x8x1xf32>
  %o, %l = attn.merge_states values(%o1, %o2 : tensor<1x8x1x128xbf16>, tensor<1x8x1x128xf32>)
      lses(%l1, %l2 : tensor<1x8x1xf32>, tensor<1x8x1xf32>)
      outs(%eo, %el : tensor<1x8x1x128xbf16>, tensor<1x8x1xf32>) {base = #attn.lse_base<two>}
      -> tensor<1x8x1x128xbf16>, tensor<1x8x1xf32>
  %ea = tensor.empty() : tensor<1x8x4x64xf32>
  %er = tensor.empty() : tensor<1x8x4xf32>
  %acc, %max, %sum = attn.merge_states values(%a, %a : tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>)
      lses(%m, %m : tensor<1x8x4xf32>, tensor<1x8x4xf32>) sums(%m, %m : tensor<1x8x4xf32>, tensor<1x8x4xf32>)
      outs(%ea, %er, %er : tensor<1x8x4x64xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>)
      -> tensor<1x8x4x64xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
  %acc2, %max2, %sum2 = attn.merge_states values(%sa : tensor<1x8x4x3x64xf32>)
      lses(%sm : tensor<1x8x4x3xf32>) sums(%sm : tensor<1x8x4x3xf32>)
      outs(%ea, %er, %er : tensor<1x8x4x64xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {dimension = 3}
      -> tensor<1x8x4x64xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
  return %o, %l, %acc, %acc2 : tensor<1x8x1x128xbf16>, tensor<1x8x1xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>
}

/// N-D neighbourhood terms: a 2-D NATTEN window, and a 3-D one with
/// dilation and a causal first axis.
// CHECK-LABEL: func @attention_neighborhood
// CHECK: masks = [#attn.neighborhood<grid = [4, 4], kernel = [3, 3]>]
// CHECK: masks = [#attn.neighborhood<grid = [2, 2, 4], kernel = [2, 1, 1], dilation = [1, 1, 2], causal = [true, false, false]>]
func.func @attention_neighborhood(%q: tensor<1x2x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>) -> (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) {
  %init = tensor.empty() : tensor<1x2x16x8xf32>
  %0 = attn.attention ins(%q, %k, %v : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) outs(%init : tensor<1x2x16x8xf32>) {masks = [#attn.neighborhood<grid = [4, 4], kernel = [3, 3]>]} -> tensor<1x2x16x8xf32>
  %1 = attn.attention ins(%q, %k, %v : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) outs(%init : tensor<1x2x16x8xf32>) {masks = [#attn.neighborhood<grid = [2, 2, 4], kernel = [2, 1, 1], dilation = [1, 1, 2], causal = [true, false, false]>]} -> tensor<1x2x16x8xf32>
  return %0, %1 : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention
//===----------------------------------------------------------------------===//

/// Non-causal, identity feature map, output only.
// CHECK-LABEL: func @linear_attention_plain
func.func @linear_attention_plain(%q: tensor<2x4x16x8xf32>, %k: tensor<2x4x16x8xf32>,
                                  %v: tensor<2x4x16x8xf32>) -> tensor<2x4x16x8xf32> {
  // CHECK: attn.linear_attention ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>) outs({{[^)]*}}) -> tensor<2x4x16x8xf32>
  %i = tensor.empty() : tensor<2x4x16x8xf32>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>)
      outs(%i : tensor<2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  return %o : tensor<2x4x16x8xf32>
}

/// GQA, Dk != Dv, bf16, per-token per-head log-decay (Mamba2 / simple GLA),
/// segment ids, initial and final state.
// CHECK-LABEL: func @linear_attention_gqa_decay_state
func.func @linear_attention_gqa_decay_state(%q: tensor<1x8x32x64xbf16>, %k: tensor<1x2x32x64xbf16>,
    %v: tensor<1x2x32x128xbf16>, %g: tensor<1x8x32xf32>, %seg: tensor<1x32xi32>,
    %s0: tensor<1x8x64x128xf32>) -> (tensor<1x8x32x128xbf16>, tensor<1x8x64x128xf32>) {
  // CHECK: %[[O:.+]], %[[S:.+]] = attn.linear_attention
  // CHECK-SAME: log_decay(%{{.*}} : tensor<1x8x32xf32>) segment_ids(%{{.*}} : tensor<1x32xi32>) initial_state(%{{.*}} : tensor<1x8x64x128xf32>)
  // CHECK-SAME: {causal, feature_map = #attn.feature_map<elu1>, scale = 1.250000e-01 : f64}
  %io = tensor.empty() : tensor<1x8x32x128xbf16>
  %is = tensor.empty() : tensor<1x8x64x128xf32>
  %o, %s = attn.linear_attention ins(%q, %k, %v : tensor<1x8x32x64xbf16>, tensor<1x2x32x64xbf16>, tensor<1x2x32x128xbf16>)
      log_decay(%g : tensor<1x8x32xf32>) segment_ids(%seg : tensor<1x32xi32>) initial_state(%s0 : tensor<1x8x64x128xf32>)
      outs(%io, %is : tensor<1x8x32x128xbf16>, tensor<1x8x64x128xf32>)
      {causal, feature_map = #attn.feature_map<elu1>, scale = 0.125} -> tensor<1x8x32x128xbf16>, tensor<1x8x64x128xf32>
  return %o, %s : tensor<1x8x32x128xbf16>, tensor<1x8x64x128xf32>
}

/// Normalised, per-head constant decay (RetNet / Lightning), cumulative
/// lengths, dynamic dims, both states in and out.
// CHECK-LABEL: func @linear_attention_normalized_dynamic
func.func @linear_attention_normalized_dynamic(%q: tensor<?x4x?x16xf16>, %k: tensor<?x4x?x16xf16>,
    %v: tensor<?x4x?x16xf16>, %g: tensor<4xf32>, %cu: tensor<3xi64>,
    %s0: tensor<?x4x16x16xf32>, %z0: tensor<?x4x16xf32>, %io: tensor<?x4x?x16xf16>)
    -> (tensor<?x4x?x16xf16>, tensor<?x4x16x16xf32>, tensor<?x4x16xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = attn.linear_attention
  // CHECK-SAME: cu_seqlens(%{{.*}} : tensor<3xi64>) initial_state(%{{.*}}, %{{.*}} : tensor<?x4x16x16xf32>, tensor<?x4x16xf32>)
  // CHECK-SAME: {causal, eps = 1.000000e-03 : f64, feature_map = #attn.feature_map<relu>, normalize}
  %c0 = arith.constant 0 : index
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf16>
  %is = tensor.empty(%b) : tensor<?x4x16x16xf32>
  %iz = tensor.empty(%b) : tensor<?x4x16xf32>
  %o, %s, %z = attn.linear_attention ins(%q, %k, %v : tensor<?x4x?x16xf16>, tensor<?x4x?x16xf16>, tensor<?x4x?x16xf16>)
      log_decay(%g : tensor<4xf32>) cu_seqlens(%cu : tensor<3xi64>) initial_state(%s0, %z0 : tensor<?x4x16x16xf32>, tensor<?x4x16xf32>)
      outs(%io, %is, %iz : tensor<?x4x?x16xf16>, tensor<?x4x16x16xf32>, tensor<?x4x16xf32>)
      {causal, normalize, eps = 1.0e-3, feature_map = #attn.feature_map<relu>}
      -> tensor<?x4x?x16xf16>, tensor<?x4x16x16xf32>, tensor<?x4x16xf32>
  return %o, %s, %z : tensor<?x4x?x16xf16>, tensor<?x4x16x16xf32>, tensor<?x4x16xf32>
}

/// Per-token per-key-channel gate (GLA), L = 1 decode step with the state
/// cache as the final-state destination.
// CHECK-LABEL: func @linear_attention_gla_decode
func.func @linear_attention_gla_decode(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x1x16xf32>,
    %v: tensor<1x4x1x32xf32>, %g: tensor<1x4x1x16xf32>, %cache: tensor<1x4x16x32xf32>)
    -> (tensor<1x4x1x32xf32>, tensor<1x4x16x32xf32>) {
  // CHECK: log_decay(%{{.*}} : tensor<1x4x1x16xf32>)
  %io = tensor.empty() : tensor<1x4x1x32xf32>
  %o, %s = attn.linear_attention ins(%q, %k, %v : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1x4x1x32xf32>)
      log_decay(%g : tensor<1x4x1x16xf32>) initial_state(%cache : tensor<1x4x16x32xf32>)
      outs(%io, %cache : tensor<1x4x1x32xf32>, tensor<1x4x16x32xf32>) {causal}
      -> tensor<1x4x1x32xf32>, tensor<1x4x16x32xf32>
  return %o, %s : tensor<1x4x1x32xf32>, tensor<1x4x16x32xf32>
}

/// User feature maps: q_mod reading a captured per-head table, k_mod the
/// Based-style 1 + x + x^2/2.
// CHECK-LABEL: func @linear_attention_feature_mods
func.func @linear_attention_feature_mods(%q: tensor<1x4x8x16xf16>, %k: tensor<1x2x8x16xf16>,
    %v: tensor<1x2x8x32xf16>, %w: tensor<4xf32>) -> tensor<1x4x8x32xf16> {
  // CHECK: attn.linear_attention
  // CHECK-SAME: {causal, normalize} -> tensor<1x4x8x32xf16> q_mod {
  // CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %{{.*}}: index):
  // CHECK: tensor.extract %{{.*}}[%[[H]]] : tensor<4xf32>
  // CHECK: attn.yield %{{.*}} : f32
  // CHECK-NEXT: } k_mod {
  // CHECK: arith.mulf
  // CHECK: attn.yield %{{.*}} : f32
  %io = tensor.empty() : tensor<1x4x8x32xf16>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<1x4x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x32xf16>)
      outs(%io : tensor<1x4x8x32xf16>) {causal, normalize} -> tensor<1x4x8x32xf16>
      q_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        %wh = tensor.extract %w[%h] : tensor<4xf32>
        %e = math.exp %x : f32
        %r = arith.mulf %wh, %e : f32
        attn.yield %r : f32
      }
      k_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        %one = arith.constant 1.0 : f32
        %half = arith.constant 0.5 : f32
        %x2 = arith.mulf %x, %x : f32
        %h2 = arith.mulf %x2, %half : f32
        %s = arith.addf %x, %h2 : f32
        %r = arith.addf %s, %one : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x4x8x32xf16>
}

/// KV append into an NHD pool (the default layout) and an HND pool with
/// dynamic batch and i64 positions.
// CHECK-LABEL: func @kv_append
func.func @kv_append(%k: tensor<2x4x1x64xf32>, %len: tensor<2xi32>, %t: tensor<2x8xi32>,
    %pool: tensor<32x16x4x64xf32>, %kh: tensor<?x4x3x64xf16>, %lenh: tensor<?xi64>,
    %th: tensor<?x8xi64>, %poolh: tensor<32x4x16x64xf16>)
    -> (tensor<32x16x4x64xf32>, tensor<32x4x16x64xf16>) {
  // CHECK: attn.kv_append ins(%{{.*}} : tensor<2x4x1x64xf32>) positions(%{{.*}} : tensor<2xi32>)
  // CHECK-SAME: page_table(%{{.*}} : tensor<2x8xi32>) outs(%{{.*}} : tensor<32x16x4x64xf32>) -> tensor<32x16x4x64xf32>
  %r = attn.kv_append ins(%k : tensor<2x4x1x64xf32>) positions(%len : tensor<2xi32>)
      page_table(%t : tensor<2x8xi32>) outs(%pool : tensor<32x16x4x64xf32>)
      {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<32x16x4x64xf32>
  // CHECK: attn.kv_append ins(%{{.*}} : tensor<?x4x3x64xf16>) positions(%{{.*}} : tensor<?xi64>)
  // CHECK-SAME: {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<32x4x16x64xf16>
  %rh = attn.kv_append ins(%kh : tensor<?x4x3x64xf16>) positions(%lenh : tensor<?xi64>)
      page_table(%th : tensor<?x8xi64>) outs(%poolh : tensor<32x4x16x64xf16>)
      {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<32x4x16x64xf16>
  return %r, %rh : tensor<32x16x4x64xf32>, tensor<32x4x16x64xf16>
}

/// Key-block lists: per query block of 64 rows, the listed 64-key blocks;
/// one list per GQA group (kv_blocks_per_group), dynamic query length.
// CHECK-LABEL: func @kv_block_lists
// CHECK: attn.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x?x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>)
// CHECK-SAME: kv_blocks(%{{.*}}, %{{.*}} : tensor<1x2x?xi32>, tensor<1x2x?x4xi32>)
// CHECK-SAME: {kv_block_size = 64 : i64, kv_blocks_per_group, masks = [#attn.causal], q_block_size = 64 : i64}
func.func @kv_block_lists(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>,
                          %c: tensor<1x2x?xi32>, %i: tensor<1x2x?x4xi32>, %o: tensor<1x8x?x64xf32>) -> tensor<1x8x?x64xf32> {
  %r = attn.attention ins(%q, %k, %v : tensor<1x8x?x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>)
      kv_blocks(%c, %i : tensor<1x2x?xi32>, tensor<1x2x?x4xi32>)
      outs(%o : tensor<1x8x?x64xf32>)
      {masks = [#attn.causal], q_block_size = 64 : i64, kv_block_size = 64 : i64, kv_blocks_per_group} -> tensor<1x8x?x64xf32>
  return %r : tensor<1x8x?x64xf32>
}
