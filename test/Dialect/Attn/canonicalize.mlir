// RUN: attn-opt %s -canonicalize -split-input-file | FileCheck %s

/// An identity score_mod is dropped.
// CHECK-LABEL: func @identity_score_mod
// CHECK: attn.attention
// CHECK-NOT: score_mod
func.func @identity_score_mod(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init29_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init29_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        attn.yield %s : f32
      }
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// A score_mod that changes the score stays.
// CHECK-LABEL: func @negative_score_mod
// CHECK: score_mod
// CHECK: arith.mulf
func.func @negative_score_mod(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init30_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init30_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %r = arith.mulf %s, %s : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// A mask_mod that keeps everything is dropped.
// CHECK-LABEL: func @true_mask_mod
// CHECK: attn.attention
// CHECK-NOT: mask_mod
func.func @true_mask_mod(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init31_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init31_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %t = arith.constant true
        attn.yield %t : i1
      }
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// A mask_mod that depends on the indices stays.
// CHECK-LABEL: func @negative_mask_mod
// CHECK: mask_mod
// CHECK: arith.cmpi
func.func @negative_mask_mod(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init32_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init32_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %k = arith.cmpi ule, %j, %i : index
        attn.yield %k : i1
      }
  return %o : tensor<1x1x4x8xf32>
}

// -----

/// All-true boolean masks and all-zero additive masks are dropped.
// CHECK-LABEL: func @neutral_masks
// CHECK-NOT: mask(
// CHECK: attn.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : {{.*}}) outs({{[^)]*}}) -> tensor<1x1x4x8xf32>
// CHECK-NOT: mask(
// CHECK: attn.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : {{.*}}) outs({{[^)]*}}) -> tensor<1x1x4x8xf32>
func.func @neutral_masks(%q: tensor<1x1x4x8xf32>) -> (tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) {
  %t = arith.constant dense<true> : tensor<4x4xi1>
  %z = arith.constant dense<0.0> : tensor<1x4x4xf32>
  %init33_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %a = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      mask(%t : tensor<4x4xi1>) outs(%init33_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  %init34_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %b = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      mask(%z : tensor<1x4x4xf32>) outs(%init34_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  return %a, %b : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
}

// -----

/// A mask with a false entry stays.
// CHECK-LABEL: func @negative_mask_tensor
// CHECK: mask(%{{.*}} : tensor<2x2xi1>)
func.func @negative_mask_tensor(%q: tensor<1x1x2x8xf32>) -> tensor<1x1x2x8xf32> {
  %m = arith.constant dense<[[true, false], [true, true]]> : tensor<2x2xi1>
  %init35_0 = tensor.empty() : tensor<1x1x2x8xf32>
  %a = attn.attention ins(%q, %q, %q : tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>)
      mask(%m : tensor<2x2xi1>) outs(%init35_0 : tensor<1x1x2x8xf32>) -> tensor<1x1x2x8xf32>
  return %a : tensor<1x1x2x8xf32>
}

// -----

/// An empty list of structured masks is dropped; an unused op is erased.
// CHECK-LABEL: func @empty_masks
// CHECK: attn.attention
// CHECK-NOT: masks
// CHECK-NOT: attn.attention
func.func @empty_masks(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %init36_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %a = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init36_0 : tensor<1x1x4x8xf32>) {masks = []} -> tensor<1x1x4x8xf32>
  %init37_0 = tensor.empty() : tensor<1x1x4x8xf32>
  %dead = attn.attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%init37_0 : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  return %a : tensor<1x1x4x8xf32>
}

// -----

/// Merging a single state is the identity.
// CHECK-LABEL: func @merge_single_state
// CHECK-SAME: (%[[O:.+]]: tensor<1x2x4x8xf32>, %[[L:.+]]: tensor<1x2x4xf32>)
// CHECK-NOT: attn.merge_states
// CHECK: return %[[O]], %[[L]]
func.func @merge_single_state(%o: tensor<1x2x4x8xf32>, %l: tensor<1x2x4xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {
  %eo = tensor.empty() : tensor<1x2x4x8xf32>
  %el = tensor.empty() : tensor<1x2x4xf32>
  %r:2 = attn.merge_states values(%o : tensor<1x2x4x8xf32>) lses(%l : tensor<1x2x4xf32>)
      outs(%eo, %el : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return %r#0, %r#1 : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
}

// -----

/// An empty state (lse = -inf everywhere) is the identity of the merge: it
/// is dropped, and the one state left folds away.
// CHECK-LABEL: func @merge_empty_state
// CHECK-SAME: (%[[O:.+]]: tensor<1x2x4x8xf32>, %[[L:.+]]: tensor<1x2x4xf32>)
// CHECK-NOT: attn.merge_states
// CHECK: return %[[O]], %[[L]]
func.func @merge_empty_state(%o: tensor<1x2x4x8xf32>, %l: tensor<1x2x4xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {
  %zo = arith.constant dense<0.0> : tensor<1x2x4x8xf32>
  %ninf = arith.constant dense<0xFF800000> : tensor<1x2x4xf32>
  %eo = tensor.empty() : tensor<1x2x4x8xf32>
  %el = tensor.empty() : tensor<1x2x4xf32>
  %r:2 = attn.merge_states values(%zo, %o : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) lses(%ninf, %l : tensor<1x2x4xf32>, tensor<1x2x4xf32>)
      outs(%eo, %el : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return %r#0, %r#1 : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
}

// -----

/// A split-dimension merge is not the identity even with one state.
// CHECK-LABEL: func @negative_merge_split_dimension
// CHECK: attn.merge_states
func.func @negative_merge_split_dimension(%o: tensor<1x2x4x1x8xf32>, %l: tensor<1x2x4x1xf32>) -> tensor<1x2x4x8xf32> {
  %eo = tensor.empty() : tensor<1x2x4x8xf32>
  %el = tensor.empty() : tensor<1x2x4xf32>
  %r:2 = attn.merge_states values(%o : tensor<1x2x4x1x8xf32>) lses(%l : tensor<1x2x4x1xf32>)
      outs(%eo, %el : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {dimension = 3} -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
  return %r#0 : tensor<1x2x4x8xf32>
}

// -----

/// An identity q_mod is dropped; a k_mod that maps its element stays.
// CHECK-LABEL: func @identity_q_mod
// CHECK: attn.linear_attention
// CHECK-NOT: q_mod
// CHECK: k_mod
// CHECK: math.exp
func.func @identity_q_mod(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %i = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.linear_attention ins(%q, %q, %q : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>)
      outs(%i : tensor<1x1x4x8xf32>) {causal} -> tensor<1x1x4x8xf32>
      q_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        attn.yield %x : f32
      }
      k_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
        %e = math.exp %x : f32
        attn.yield %e : f32
      }
  return %o : tensor<1x1x4x8xf32>
}
