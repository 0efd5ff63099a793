// RUN: attn-opt %s -attn-decompose -canonicalize -cse -split-input-file | FileCheck %s

/// MHA: S = Q.K^T (f32), scale, row max, exp, sum, P.V, the row's inverse
/// denominator guarded against empty rows (NormalizerAlgebra). The [B, H, Lq, Lkv] score tensor is materialised.
// CHECK-DAG: #[[QMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[KMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[VMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @mha
// CHECK-SAME: (%[[Q:.+]]: tensor<2x3x5x8xf32>, %[[K:.+]]: tensor<2x3x7x8xf32>, %[[V:.+]]: tensor<2x3x7x4xf32>)
// CHECK-DAG:   %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:   %[[SCALE:.+]] = arith.constant 0.353553385 : f32
// CHECK:       %[[S:.+]] = linalg.generic {indexing_maps = [#[[QMAP]], #[[KMAP]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %[[K]] : {{.*}}) outs({{.*}} : tensor<2x3x5x7xf32>)
// CHECK:         arith.mulf
// CHECK:         arith.addf
// CHECK:       %[[SS:.+]] = linalg.generic {{.*}} ins(%[[S]] : tensor<2x3x5x7xf32>)
// CHECK:         arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK:       %[[MAX:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[SS]] : tensor<2x3x5x7xf32>)
// CHECK:         arith.maximumf
// CHECK:       %[[P:.+]]:2 = linalg.generic {{.*}} ins(%[[SS]], %[[MAX]] :
// CHECK:         arith.cmpf oeq, %{{.*}}, %[[NEGINF]] : f32
// CHECK:         math.exp
// CHECK:       %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[P]]#1 : tensor<2x3x5x7xf32>)
// CHECK:       %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[QMAP]], #[[VMAP]], {{.*}}], {{.*}} ins(%[[P]]#0, %[[V]] :
// CHECK:       %[[FIN:.+]]:2 = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]] :
// CHECK:         %[[INV:.+]] = arith.divf
// CHECK:         arith.select %{{.*}}, %{{.*}}, %[[INV]] : f32
// CHECK:       %[[O:.+]] = linalg.generic {{.*}} ins(%[[ACC]], %[[FIN]]#0 :
// CHECK:         arith.mulf
// CHECK:       return %[[O]]
func.func @mha(%q: tensor<2x3x5x8xf32>, %k: tensor<2x3x7x8xf32>, %v: tensor<2x3x7x4xf32>) -> tensor<2x3x5x4xf32> {
  %init42_0 = tensor.empty() : tensor<2x3x5x4xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<2x3x5x8xf32>, tensor<2x3x7x8xf32>, tensor<2x3x7x4xf32>)
      outs(%init42_0 : tensor<2x3x5x4xf32>) -> tensor<2x3x5x4xf32>
  return %o : tensor<2x3x5x4xf32>
}

// -----

/// Static GQA: query head h reads KV head h floordiv 4 through the indexing
/// map, without copying K or V.
// CHECK-DAG: #[[KMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-DAG: #[[VMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d4, d3)>
// CHECK-LABEL: func @gqa_static
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KMAP]], #{{.+}}]
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[VMAP]], #{{.+}}]
func.func @gqa_static(%q: tensor<1x8x4x16xbf16>, %k: tensor<1x2x6x16xbf16>, %v: tensor<1x2x6x16xbf16>) -> tensor<1x8x4x16xbf16> {
  %init43_0 = tensor.empty() : tensor<1x8x4x16xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x4x16xbf16>, tensor<1x2x6x16xbf16>, tensor<1x2x6x16xbf16>)
      outs(%init43_0 : tensor<1x8x4x16xbf16>) -> tensor<1x8x4x16xbf16>
  return %o : tensor<1x8x4x16xbf16>
}

// -----

/// A dynamic head count makes the group size a runtime value: K and V are
/// gathered in the body; a dynamic Dqk gives the default scale rsqrt(Dqk).
// CHECK-LABEL: func @gqa_dynamic
// CHECK-SAME: (%[[Q:.+]]: tensor<1x?x4x?xf32>, %[[K:.+]]: tensor<1x2x6x?xf32>
// CHECK:       %[[HQ:.+]] = tensor.dim %[[Q]], %c1
// CHECK:       %[[G:.+]] = arith.divui %[[HQ]], %c2 : index
// CHECK:       linalg.generic
// CHECK:         %[[H:.+]] = linalg.index 1 : index
// CHECK:         %[[HK:.+]] = arith.divui %[[H]], %[[G]] : index
// CHECK:         tensor.extract %[[K]][%{{.+}}, %[[HK]], %{{.+}}, %{{.+}}]
// CHECK:       math.rsqrt
func.func @gqa_dynamic(%q: tensor<1x?x4x?xf32>, %k: tensor<1x2x6x?xf32>, %v: tensor<1x2x6x3xf32>) -> tensor<1x?x4x3xf32> {
  %mc44_1 = arith.constant 1 : index
  %md44_0_1 = tensor.dim %q, %mc44_1 : tensor<1x?x4x?xf32>
  %init44_0 = tensor.empty(%md44_0_1) : tensor<1x?x4x3xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x?x4x?xf32>, tensor<1x2x6x?xf32>, tensor<1x2x6x3xf32>)
      outs(%init44_0 : tensor<1x?x4x3xf32>) -> tensor<1x?x4x3xf32>
  return %o : tensor<1x?x4x3xf32>
}

// -----

/// Structured masks become index comparisons on the bottom-right aligned
/// query position q' = i + (Lkv - Lq) (here + 3); masked scores are -inf.
// CHECK-LABEL: func @causal_window
// CHECK-DAG:   %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:   %[[C3:.+]] = arith.constant 3 : index
// CHECK:       linalg.generic
// CHECK:         %[[I:.+]] = linalg.index 2 : index
// CHECK:         %[[J:.+]] = linalg.index 3 : index
// CHECK:         %[[QA:.+]] = arith.addi %[[I]], %[[C3]] : index
// CHECK:         %[[CAUSAL:.+]] = arith.cmpi sle, %[[J]], %[[QA]] : index
// CHECK:         %[[LO:.+]] = arith.addi %[[J]], %c2 : index
// CHECK:         %[[WIN:.+]] = arith.cmpi sle, %[[QA]], %[[LO]] : index
// CHECK:         %[[KEEP:.+]] = arith.andi %[[CAUSAL]], %{{.+}} : i1
// CHECK:         arith.select %[[KEEP]], %{{.+}}, %[[NEGINF]] : f32
func.func @causal_window(%q: tensor<1x1x4x8xf32>, %k: tensor<1x1x7x8xf32>) -> tensor<1x1x4x8xf32> {
  %init45_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %k, %k : tensor<1x1x4x8xf32>, tensor<1x1x7x8xf32>, tensor<1x1x7x8xf32>)
      outs(%init45_0 : tensor<1x1x4x8xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 2, right = 0>]} -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// Lengths and segment ids are read through broadcasting maps; the causal
/// alignment uses the per-sequence lengths.
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-DAG: #[[BQ:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// CHECK-DAG: #[[BK:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-LABEL: func @lengths_segments
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[B]], #[[B]], #[[BQ]], #[[BK]], #{{.+}}]
// CHECK:   ^bb0(%{{.+}}: f32, %[[QL:.+]]: i32, %[[KL:.+]]: i32, %[[QS:.+]]: i32, %[[KS:.+]]: i32, %{{.+}}: f32):
// CHECK:   %[[QLI:.+]] = arith.index_cast %[[QL]] : i32 to index
// CHECK:   %[[KLI:.+]] = arith.index_cast %[[KL]] : i32 to index
// CHECK:   arith.subi %[[KLI]], %[[QLI]] : index
// CHECK:   arith.cmpi eq, %[[QS]], %[[KS]] : i32
func.func @lengths_segments(%q: tensor<2x1x4x8xf32>, %ql: tensor<2xi32>, %kl: tensor<2xi32>,
                            %qs: tensor<2x4xi32>, %ks: tensor<2x4xi32>) -> tensor<2x1x4x8xf32> {
  %init46_0 = tensor.empty() : tensor<2x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<2x1x4x8xf32>, tensor<2x1x4x8xf32>, tensor<2x1x4x8xf32>)
      q_lengths(%ql : tensor<2xi32>) kv_lengths(%kl : tensor<2xi32>)
      segment_ids(%qs, %ks : tensor<2x4xi32>, tensor<2x4xi32>) outs(%init46_0 : tensor<2x1x4x8xf32>) {masks = [#attn.causal]}
      -> tensor<2x1x4x8xf32>
  return %o : tensor<2x1x4x8xf32>
}

// -----

/// Mask tensors broadcast through constant-0 map results; booleans select,
/// floats add.
// CHECK-DAG: #[[BOOL:.+]] = affine_map<(d0, d1, d2, d3) -> (0, d2, d3)>
// CHECK-DAG: #[[ADD:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func @mask_tensors
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[BOOL]], #{{.+}}]
// CHECK:   ^bb0(%{{.+}}: f32, %[[M:.+]]: i1, %{{.+}}: f32):
// CHECK:   arith.select %[[M]]
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[ADD]], #{{.+}}]
// CHECK:   ^bb0(%{{.+}}: f32, %[[A:.+]]: f16, %{{.+}}: f32):
// CHECK:   %[[AE:.+]] = arith.extf %[[A]] : f16 to f32
// CHECK:   arith.addf %{{.+}}, %[[AE]] : f32
func.func @mask_tensors(%q: tensor<1x2x4x8xf32>, %bm: tensor<1x4x4xi1>, %am: tensor<4x4xf16>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %init47_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %a = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      mask(%bm : tensor<1x4x4xi1>) outs(%init47_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %init48_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %b = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      mask(%am : tensor<4x4xf16>) outs(%init48_0 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %a, %b : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
}

// -----

/// score_mod and mask_mod bodies are inlined into the score generic, after
/// the scale and softcap; captured tensors are read in place.
// CHECK-LABEL: func @regions
// CHECK-SAME: %[[SLOPES:[^:]+]]: tensor<2xf32>
// CHECK: linalg.generic
// CHECK:   %[[H:.+]] = linalg.index 1 : index
// CHECK:   %[[SC:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:   %[[T:.+]] = math.tanh
// CHECK:   %[[CAPPED:.+]] = arith.mulf {{.*}}%[[T]]{{.*}} : f32
// CHECK:   %[[SLOPE:.+]] = tensor.extract %[[SLOPES]][%[[H]]] : tensor<2xf32>
// CHECK:   %[[MOD:.+]] = arith.addf %[[CAPPED]], %[[SLOPE]] : f32
// CHECK:   %[[KEEP:.+]] = arith.cmpi ult, %{{.+}}, %{{.+}} : index
// CHECK:   arith.select %[[KEEP]], %[[MOD]], %{{.+}} : f32
func.func @regions(%q: tensor<1x2x4x8xf32>, %slopes: tensor<2xf32>) -> tensor<1x2x4x8xf32> {
  %init49_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%init49_0 : tensor<1x2x4x8xf32>) {softcap = 20.0} -> tensor<1x2x4x8xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<2xf32>
        %r = arith.addf %s, %slope : f32
        attn.yield %r : f32
      } mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %k = arith.cmpi ult, %j, %i : index
        attn.yield %k : i1
      }
  return %o : tensor<1x2x4x8xf32>
}

// -----

/// Sinks join the state when a row is finalised: the maximum becomes
/// max(m, sink), the sum is rescaled and gains exp(sink - max); the
/// log-sum-exp is max + log(denominator).
// CHECK-DAG: #[[HEAD:.+]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @sinks_lse
// CHECK: %[[FIN:.+]]:2 = linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[HEAD]], #{{.+}}, #{{.+}}]
// CHECK:   arith.maximumf
// CHECK:   math.exp
// CHECK:   math.log
// CHECK: return %{{.+}}, %[[FIN]]#1
func.func @sinks_lse(%q: tensor<1x2x4x8xf32>, %sinks: tensor<2xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {
  %init50_0 = tensor.empty() : tensor<1x2x4x8xf32>
  %init50_1 = tensor.empty() : tensor<1x2x4xf32>
  %o, %l = attn.attention ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      sinks(%sinks : tensor<2xf32>) outs(%init50_0, %init50_1 : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return %o, %l : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
}

// -----

/// Sigmoid attention: no row reduction, no division.
// CHECK-LABEL: func @sigmoid
// CHECK-NOT: arith.maximumf
// CHECK: arith.constant -1.500000e+00 : f32
// CHECK: math.exp
// CHECK-NOT: math.log
// CHECK: return
func.func @sigmoid(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init51_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init51_0 : tensor<1x1x4x8xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -1.5, scale = 1.0} -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// Softpick: relu numerator, |.| denominator, masked scores excluded.
// CHECK-LABEL: func @softpick
// CHECK-DAG: arith.constant 9.99999997E-7 : f32
// CHECK-DAG: math.absf
// CHECK: return
func.func @softpick(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init52_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init52_0 : tensor<1x1x4x8xf32>) {normalizer = #attn.normalizer<softpick>} -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// f16 output: f32 accumulation, truncation at the end.
// CHECK-LABEL: func @half_output
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: arith.truncf %{{.+}} : f32 to f16
func.func @half_output(%q: tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16> {
  %init53_0 = tensor.empty() : tensor<1x1x4x8xf16>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>)
      outs(%init53_0 : tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16>
  return %o : tensor<1x1x4x8xf16>
}

// -----

/// attn.linear_attention: its parallel form. GQA K is read through a
/// `h floordiv 2` map, the per-token log-decay is summed into G (masked
/// reduction over u <= t), the [B, Hq, L, L] matrix of q.k products is
/// materialised, decayed by exp(G_t - G_s) and masked to s <= t, then
/// multiplied by V.
// CHECK-DAG: #[[KH:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 2, d2, d3)>
// CHECK-LABEL: func @linear_attention_parallel
// CHECK:       linalg.generic {indexing_maps = [#[[KH]], {{.*}}]
// CHECK:       %[[G:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:         arith.cmpi ule
// CHECK:       %[[P:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}} outs({{.*}} : tensor<1x4x6x6xf32>)
// CHECK:       %[[A:.+]] = linalg.generic {{.*}} ins(%[[P]], %[[G]], %[[G]] :
// CHECK:         math.exp
// CHECK:         arith.select
// CHECK:       linalg.generic {{.*}} ins(%[[A]], %{{.*}} : tensor<1x4x6x6xf32>, tensor<1x4x6x3xf32>)
// CHECK-NOT:   attn.linear_attention
func.func @linear_attention_parallel(%q: tensor<1x4x6x8xf32>, %k: tensor<1x2x6x8xf32>,
    %v: tensor<1x2x6x3xf32>, %g: tensor<1x4x6xf32>) -> tensor<1x4x6x3xf32> {
  %e = tensor.empty() : tensor<1x4x6x3xf32>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<1x4x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x3xf32>)
      log_decay(%g : tensor<1x4x6xf32>) outs(%e : tensor<1x4x6x3xf32>) {causal} -> tensor<1x4x6x3xf32>
  return %o : tensor<1x4x6x3xf32>
}
