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
