// RUN: attn-opt %s -attn-lower-linear-attention -split-input-file | FileCheck %s --check-prefix=AUTO
// RUN: attn-opt %s -attn-lower-linear-attention="form=chunked chunk-size=16" -split-input-file | FileCheck %s --check-prefix=CHUNK
// RUN: attn-opt %s -attn-lower-linear-attention="form=recurrent" -split-input-file | FileCheck %s --check-prefix=REC
// RUN: not attn-opt %s -attn-lower-linear-attention="form=blocked" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: attn-lower-linear-attention: unknown form 'blocked' (expected auto, parallel, chunked or recurrent)

/// Causal, L = 100 with a per-token log-decay. auto: chunks of 64 (L = 100
/// padded to 128). Forced chunks of 16 (7 chunks, L padded to 112): the
/// sequence padded and split into [N, C], the in-chunk cumulative decay,
/// the chunk state piece ([B, H, N, Dk, Dv]), the state scan over the
/// chunks (the state entering chunk n overwrites slot n of the chunk
/// states), then the chunk output piece and the first L rows; the
/// contractions are linalg.batch_matmul over the collapsed (b, h, n) dims.
/// Recurrent: one step per token.
// AUTO-LABEL: func @causal_decay
// AUTO:         tensor.pad {{.*}} high[0, 0, 28, 0]
// AUTO:         tensor.expand_shape {{.*}} into tensor<1x4x2x64x8xf32>
// AUTO:         scf.for
// CHUNK-LABEL: func @causal_decay
// CHUNK:        tensor.pad {{.*}} high[0, 0, 12, 0]
// CHUNK:        tensor.expand_shape {{.*}} output_shape [1, 4, 7, 16, 8] : tensor<1x4x112x8xf32> into tensor<1x4x7x16x8xf32>
// CHUNK:        %[[KD:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x7x8x16xf32>)
// CHUNK:          math.exp
// CHUNK:        %[[KDC:.+]] = tensor.collapse_shape %[[KD]] {{\[}}[0, 1, 2], [3], [4]] : tensor<1x4x7x8x16xf32> into tensor<28x8x16xf32>
// CHUNK:        %[[BM:.+]] = linalg.batch_matmul ins(%[[KDC]], %{{.*}} : tensor<28x8x16xf32>, tensor<28x16x6xf32>)
// CHUNK:        %[[B:.+]] = tensor.expand_shape %[[BM]] {{.*}} into tensor<1x4x7x8x6xf32>
// CHUNK:        %[[LAM:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x7xf32>)
// CHUNK:          math.exp
// CHUNK:        %[[SCAN:.+]]:2 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[S:.+]] = %{{.*}}, %[[BI:.+]] = %[[B]]) -> (tensor<1x4x1x8x6xf32>, tensor<1x4x7x8x6xf32>)
// CHUNK:          tensor.extract_slice %[[BI]]
// CHUNK:          tensor.insert_slice %[[S]] into %[[BI]]
// CHUNK:          tensor.extract_slice %[[LAM]]
// CHUNK:          linalg.generic
// CHUNK:            arith.mulf
// CHUNK:            arith.addf
// CHUNK:        linalg.batch_matmul {{.*}} -> tensor<28x16x16xf32>
// CHUNK:        linalg.batch_matmul {{.*}} -> tensor<28x16x6xf32>
// CHUNK:        tensor.collapse_shape %[[SCAN]]#1 {{.*}} into tensor<28x8x6xf32>
// CHUNK:        linalg.batch_matmul {{.*}} -> tensor<28x16x6xf32>
// CHUNK:        tensor.collapse_shape {{.*}} into tensor<1x4x112x6xf32>
// CHUNK:        tensor.extract_slice {{.*}}[0, 0, 0, 0] [1, 4, 100, 6] [1, 1, 1, 1]
// CHUNK-NOT:    attn.linear_attention
// REC-LABEL: func @causal_decay
// REC:          scf.for %{{.*}} = %c0{{.*}} to %c100
// REC:            tensor.extract_slice {{.*}} [1, 4, 1, 8]
// REC:            tensor.insert_slice {{.*}} [1, 4, 1, 6]
func.func @causal_decay(%q: tensor<1x4x100x8xf32>, %k: tensor<1x2x100x8xf32>,
    %v: tensor<1x2x100x6xf32>, %g: tensor<1x4x100xf32>) -> tensor<1x4x100x6xf32> {
  %e = tensor.empty() : tensor<1x4x100x6xf32>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<1x4x100x8xf32>, tensor<1x2x100x8xf32>, tensor<1x2x100x6xf32>)
      log_decay(%g : tensor<1x4x100xf32>) outs(%e : tensor<1x4x100x6xf32>) {causal} -> tensor<1x4x100x6xf32>
  return %o : tensor<1x4x100x6xf32>
}

// -----

/// auto: a decode step (L = 1) with a state cache takes the recurrent form;
/// the cache is both the initial state and the final-state destination, so
/// the loop updates it directly (no copy) and its result is the final state.
// AUTO-LABEL: func @decode_step
// AUTO-SAME:    %[[CACHE:[a-z0-9]+]]: tensor<1x4x16x16xf32>)
// AUTO-NOT:     linalg.copy
// AUTO:         %[[LOOP:.+]]:2 = scf.for %{{.*}} = %c0{{.*}} to %c1 {{.*}} iter_args(%{{.*}} = %[[CACHE]], %{{.*}} = %{{.*}})
// AUTO-NOT:     tensor.pad
// AUTO:         return %{{.*}}, %[[LOOP]]#0
func.func @decode_step(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x1x16xf32>,
    %v: tensor<1x4x1x16xf32>, %cache: tensor<1x4x16x16xf32>) -> (tensor<1x4x1x16xf32>, tensor<1x4x16x16xf32>) {
  %e = tensor.empty() : tensor<1x4x1x16xf32>
  %o, %s = attn.linear_attention ins(%q, %k, %v : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>)
      initial_state(%cache : tensor<1x4x16x16xf32>) outs(%e, %cache : tensor<1x4x1x16xf32>, tensor<1x4x16x16xf32>) {causal}
      -> tensor<1x4x1x16xf32>, tensor<1x4x16x16xf32>
  return %o, %s : tensor<1x4x1x16xf32>, tensor<1x4x16x16xf32>
}

// -----

/// Non-causal without packed sequences: key-value first in every form but
/// the parallel one, S = phi(K)^T V ([B, H, Dk, Dv]) then O = phi(Q) S as
/// batch matmuls over (b, h); no [L, L] matrix.
// AUTO-LABEL: func @non_causal
// AUTO:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x8x300xf32>, tensor<2x300x8xf32>) outs(%{{.*}} : tensor<2x8x8xf32>)
// AUTO:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x300x8xf32>, tensor<2x8x8xf32>) outs(%{{.*}} : tensor<2x300x8xf32>)
// AUTO-NOT:     tensor<1x2x300x300xf32>
// REC-LABEL: func @non_causal
// REC-NOT:      scf.for
func.func @non_causal(%q: tensor<1x2x300x8xf32>, %k: tensor<1x2x300x8xf32>,
    %v: tensor<1x2x300x8xf32>) -> tensor<1x2x300x8xf32> {
  %e = tensor.empty() : tensor<1x2x300x8xf32>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<1x2x300x8xf32>, tensor<1x2x300x8xf32>, tensor<1x2x300x8xf32>)
      outs(%e : tensor<1x2x300x8xf32>) {feature_map = #attn.feature_map<elu1>} -> tensor<1x2x300x8xf32>
  return %o : tensor<1x2x300x8xf32>
}

// -----

/// auto: a short static sequence (L <= chunk) takes the parallel form.
// REC-LABEL: func @short
// AUTO-LABEL: func @short
// AUTO-NOT:     scf.for
// AUTO:         outs(%{{.*}} : tensor<1x1x9x9xf32>)
func.func @short(%q: tensor<1x1x9x4xf32>, %k: tensor<1x1x9x4xf32>,
    %v: tensor<1x1x9x4xf32>) -> tensor<1x1x9x4xf32> {
  %e = tensor.empty() : tensor<1x1x9x4xf32>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<1x1x9x4xf32>, tensor<1x1x9x4xf32>, tensor<1x1x9x4xf32>)
      outs(%e : tensor<1x1x9x4xf32>) {causal} -> tensor<1x1x9x4xf32>
  return %o : tensor<1x1x9x4xf32>
}

// -----

/// User feature maps: every form maps Q and K through the prepared
/// operands, the q_mod region inlined into the generic that converts Q, the
/// k_mod region into the one that broadcasts K over the query heads, with
/// its `h` the key/value head (h floordiv 2). auto takes the parallel form
/// (L <= chunk), then the chunked and recurrent forms.
// AUTO-LABEL: func @feature_mods
// AUTO-SAME:    %[[W:[a-z0-9]+]]: tensor<2xf32>)
// AUTO:         linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x20x8xf32>)
// AUTO:           %[[SQ:.+]] = arith.mulf %{{.*}}, %{{.*}} : f32
// AUTO:           linalg.yield %[[SQ]]
// AUTO:         linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x20x8xf32>)
// AUTO:           %[[H:.+]] = linalg.index 1
// AUTO:           %[[KVH:.+]] = arith.divui %[[H]], %c2
// AUTO:           tensor.extract %[[W]][%[[KVH]]]
// AUTO:           math.exp
// AUTO:         outs(%{{.*}} : tensor<1x4x20x20xf32>)
// CHUNK-LABEL: func @feature_mods
// CHUNK:        linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x20x8xf32>)
// CHUNK:          arith.mulf
// CHUNK:        linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x20x8xf32>)
// CHUNK:          arith.divui
// CHUNK:          tensor.extract
// CHUNK:          math.exp
// CHUNK:        scf.for
// REC-LABEL: func @feature_mods
// REC:          linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x20x8xf32>)
// REC:            arith.mulf
// REC:          linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x20x8xf32>)
// REC:            arith.divui
// REC:            tensor.extract
// REC:            math.exp
// REC:          scf.for %{{.*}} = %c0{{.*}} to %c20
func.func @feature_mods(%q: tensor<1x4x20x8xf32>, %k: tensor<1x2x20x8xf32>,
    %v: tensor<1x2x20x6xf32>, %w: tensor<2xf32>) -> tensor<1x4x20x6xf32> {
  %e = tensor.empty() : tensor<1x4x20x6xf32>
  %o = attn.linear_attention ins(%q, %k, %v : tensor<1x4x20x8xf32>, tensor<1x2x20x8xf32>, tensor<1x2x20x6xf32>)
      outs(%e : tensor<1x4x20x6xf32>) {causal} -> tensor<1x4x20x6xf32>
      q_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        %r = arith.mulf %x, %x : f32
        attn.yield %r : f32
      }
      k_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        %wh = tensor.extract %w[%h] : tensor<2xf32>
        %ex = math.exp %x : f32
        %r = arith.mulf %wh, %ex : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x4x20x6xf32>
}
