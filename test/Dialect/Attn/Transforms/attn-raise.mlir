// RUN: attn-opt %s -split-input-file --attn-raise | FileCheck %s

/// GPT-2 style: heads split by expand_shape + transpose, collapsed to
/// [B*H, L, D] for batch_matmul with K transposed by linalg.transpose, a
/// scale generic, an additive lower-triangular -inf constant and
/// linalg.softmax. The op reads the [B, H, L, D] tensors and its result is
/// collapsed back to the batch_matmul's shape.

// CHECK-LABEL: func.func @bmm3d_causal_constant(
// CHECK-SAME:      %[[X:.+]]: tensor<1x4x16xf32>, %[[K4:.+]]: tensor<1x2x4x8xf32>, %[[V4:.+]]: tensor<1x2x4x8xf32>)
// CHECK:         %[[E:.+]] = tensor.expand_shape %[[X]]
// CHECK:         %[[Q4:.+]] = linalg.transpose ins(%[[E]]
// CHECK-NOT:     linalg.batch_matmul
// CHECK-NOT:     linalg.softmax
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q4]], %[[K4]], %[[V4]] : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
// CHECK-SAME:        {masks = [#attn.causal], scale = 0.35355338{{[0-9]*}} : f64} -> tensor<1x2x4x8xf32>
// CHECK:         %[[C:.+]] = tensor.collapse_shape %[[O]] {{\[}}[0, 1], [2], [3]] : tensor<1x2x4x8xf32> into tensor<2x4x8xf32>
// CHECK:         return %[[C]]
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @bmm3d_causal_constant(%x: tensor<1x4x16xf32>, %k4: tensor<1x2x4x8xf32>, %v4: tensor<1x2x4x8xf32>) -> tensor<2x4x8xf32> {
  %qs = tensor.expand_shape %x [[0], [1], [2, 3]] output_shape [1, 4, 2, 8] : tensor<1x4x16xf32> into tensor<1x4x2x8xf32>
  %qt0 = tensor.empty() : tensor<1x2x4x8xf32>
  %q4 = linalg.transpose ins(%qs : tensor<1x4x2x8xf32>) outs(%qt0 : tensor<1x2x4x8xf32>) permutation = [0, 2, 1, 3]
  %q = tensor.collapse_shape %q4 [[0, 1], [2], [3]] : tensor<1x2x4x8xf32> into tensor<2x4x8xf32>
  %k = tensor.collapse_shape %k4 [[0, 1], [2], [3]] : tensor<1x2x4x8xf32> into tensor<2x4x8xf32>
  %v = tensor.collapse_shape %v4 [[0, 1], [2], [3]] : tensor<1x2x4x8xf32> into tensor<2x4x8xf32>
  %kt0 = tensor.empty() : tensor<2x8x4xf32>
  %kt = linalg.transpose ins(%k : tensor<2x4x8xf32>) outs(%kt0 : tensor<2x8x4xf32>) permutation = [0, 2, 1]
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x4x8xf32>, tensor<2x8x4xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %c = arith.constant 0.353553385 : f32
  %ss = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x4x4xf32>
  %mask = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %sm = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d1, d2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ss, %mask : tensor<2x4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.addf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x4x4xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// 4-D form: Q.K^T as a linalg.generic contraction reading K transposed
/// through its map, the scale as a division, a causal mask computed from
/// linalg.index comparisons in a select, and the softmax decomposed as
/// upstream decomposes linalg.softmax (max from NaN with maxnumf, sub+exp,
/// sum, div).

// CHECK-LABEL: func.func @generic4d_iota_decomposed(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x3x5x4xf32>, %[[K:[^:]+]]: tensor<2x3x5x4xf32>, %[[V:[^:]+]]: tensor<2x3x5x6xf32>)
// CHECK:    %[[O:.+]] = attn.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs({{[^)]*}}) {masks = [#attn.causal], scale = 5.000000e-01 : f64} -> tensor<2x3x5x6xf32>
// CHECK-NEXT:    return %[[O]]
#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @generic4d_iota_decomposed(%q: tensor<2x3x5x4xf32>, %k: tensor<2x3x5x4xf32>, %v: tensor<2x3x5x6xf32>) -> tensor<2x3x5x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x5x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x5x5xf32>) -> tensor<2x3x5x5xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>) outs(%f : tensor<2x3x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5x5xf32>
  %two = arith.constant 2.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %masked = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<2x3x5x5xf32>) outs(%e : tensor<2x3x5x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %keep = arith.cmpi ule, %j, %i : index
    %sc = arith.divf %a, %two : f32
    %r = arith.select %keep, %sc, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5x5xf32>
  %re = tensor.empty() : tensor<2x3x5xf32>
  %nan = arith.constant 0xFFC00000 : f32
  %mi = linalg.fill ins(%nan : f32) outs(%re : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%masked : tensor<2x3x5x5xf32>) outs(%mi : tensor<2x3x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maxnumf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5xf32>
  %exp = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%masked, %max : tensor<2x3x5x5xf32>, tensor<2x3x5xf32>) outs(%e : tensor<2x3x5x5xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<2x3x5x5xf32>
  %si = linalg.fill ins(%zero : f32) outs(%re : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<2x3x5x5xf32>) outs(%si : tensor<2x3x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5xf32>
  %p = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<2x3x5x5xf32>, tensor<2x3x5xf32>) outs(%e : tensor<2x3x5x5xf32>) {
  ^bb0(%in: f32, %z: f32, %out: f32):
    %r = arith.divf %in, %z : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5x5xf32>
  %eo = tensor.empty() : tensor<2x3x5x6xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x3x5x6xf32>) -> tensor<2x3x5x6xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<2x3x5x5xf32>, tensor<2x3x5x6xf32>) outs(%fo : tensor<2x3x5x6xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x3x5x6xf32>
  return %o : tensor<2x3x5x6xf32>
}

// -----

/// GQA spelled as repeat_interleave on [B, Hkv, L, D]: expand to
/// [B, Hkv, 1, L, D], broadcast to [B, Hkv, g, L, D], collapse to
/// [B, Hq, L, D], then the [B*Hq, L, D] batch_matmul form. The op reads the
/// un-repeated K and V (2 key/value heads for 4 query heads); batch_matmul's
/// transposed-rhs spelling (indexing_maps) reads K without a transpose.

// CHECK-LABEL: func.func @gqa_repeat_interleave_bmm(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x4x3x8xf32>, %[[K:[^:]+]]: tensor<1x2x3x8xf32>, %[[V:[^:]+]]: tensor<1x2x3x8xf32>)
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q]], %[[K]], %[[V]] : tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) outs({{[^)]*}}) {scale = 1.000000e+00 : f64} -> tensor<1x4x3x8xf32>
// CHECK:         tensor.collapse_shape %[[O]]
#bcast5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
func.func @gqa_repeat_interleave_bmm(%q4: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>) -> tensor<4x3x8xf32> {
  %q = tensor.collapse_shape %q4 [[0, 1], [2], [3]] : tensor<1x4x3x8xf32> into tensor<4x3x8xf32>
  %rep = tensor.empty() : tensor<1x2x2x3x8xf32>
  %k5 = tensor.expand_shape %k [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %kb = linalg.generic {indexing_maps = [#bcast5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%k5 : tensor<1x2x1x3x8xf32>) outs(%rep : tensor<1x2x2x3x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x3x8xf32>
  %kr = tensor.collapse_shape %kb [[0, 1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<4x3x8xf32>
  %v5 = tensor.expand_shape %v [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %vb = linalg.generic {indexing_maps = [#bcast5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%v5 : tensor<1x2x1x3x8xf32>) outs(%rep : tensor<1x2x2x3x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x3x8xf32>
  %vr = tensor.collapse_shape %vb [[0, 1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<4x3x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3x3xf32>) -> tensor<4x3x3xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%q, %kr : tensor<4x3x8xf32>, tensor<4x3x8xf32>) outs(%f : tensor<4x3x3xf32>) -> tensor<4x3x3xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x3x3xf32>) outs(%e : tensor<4x3x3xf32>) -> tensor<4x3x3xf32>
  %eo = tensor.empty() : tensor<4x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x3x8xf32>) -> tensor<4x3x8xf32>
  %o = linalg.batch_matmul ins(%p, %vr : tensor<4x3x3xf32>, tensor<4x3x8xf32>) outs(%fo : tensor<4x3x8xf32>) -> tensor<4x3x8xf32>
  return %o : tensor<4x3x8xf32>
}

// -----

/// GQA in the 4-D form: K/V repeated with linalg.broadcast to
/// [B, Hkv, g, L, D] and collapsed to [B, Hq, L, D]; a runtime additive mask
/// [B, 1, Lq, Lkv] (not a compile-time pattern) becomes the mask operand.
/// The scores come from a batch_matmul-free 4-D contraction.

// CHECK-LABEL: func.func @gqa_broadcast_runtime_mask(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x4x3x8xf32>, %[[K:[^:]+]]: tensor<2x1x3x8xf32>, %[[V:[^:]+]]: tensor<2x1x3x8xf32>, %[[M:[^:]+]]: tensor<2x1x3x3xf32>)
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) mask(%[[M]] : tensor<2x1x3x3xf32>) outs({{[^)]*}}) {scale = 1.250000e-01 : f64} -> tensor<2x4x3x8xf32>
// CHECK-NEXT:    return %[[O]]
#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#m4 = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
func.func @gqa_broadcast_runtime_mask(%q: tensor<2x4x3x8xf32>, %k: tensor<2x1x3x8xf32>, %v: tensor<2x1x3x8xf32>, %mask: tensor<2x1x3x3xf32>) -> tensor<2x4x3x8xf32> {
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<2x1x3x8xf32> into tensor<2x3x8xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x1x3x8xf32> into tensor<2x3x8xf32>
  %rep = tensor.empty() : tensor<2x4x3x8xf32>
  %kb = linalg.broadcast ins(%k3 : tensor<2x3x8xf32>) outs(%rep : tensor<2x4x3x8xf32>) dimensions = [1]
  %vb = linalg.broadcast ins(%v3 : tensor<2x3x8xf32>) outs(%rep : tensor<2x4x3x8xf32>) dimensions = [1]
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kb : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>) outs(%f : tensor<2x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x3xf32>
  %c = arith.constant 0.125 : f32
  %sm = linalg.generic {indexing_maps = [#id4, #m4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<2x4x3x3xf32>, tensor<2x1x3x3xf32>) outs(%e : tensor<2x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %x = arith.mulf %c, %a : f32
    %y = arith.addf %x, %b : f32
    linalg.yield %y : f32
  } -> tensor<2x4x3x3xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x4x3x3xf32>) outs(%e : tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  %eo = tensor.empty() : tensor<2x4x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %vb : tensor<2x4x3x3xf32>, tensor<2x4x3x8xf32>) outs(%fo : tensor<2x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x8xf32>
  return %o : tensor<2x4x3x8xf32>
}

// -----

/// TOSA: rank-3 matmuls with K transposed by tosa.transpose, the scale as a
/// tosa.mul by a splat constant (with its shift operand), a causal tosa.const
/// mask broadcast over the batch by tosa.add, keep-dim reductions and the
/// reciprocal of the row sum. TOSA has no [B, H] split here, so the op runs
/// on a [1, N, L, D] view of the operands.

// CHECK-LABEL: func.func @tosa_causal(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x4x8xf32>, %[[K:[^:]+]]: tensor<2x4x8xf32>, %[[V:[^:]+]]: tensor<2x4x6xf32>)
// CHECK-DAG:     %[[Q4:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1], [2], [3]] output_shape [1, 2, 4, 8]
// CHECK-DAG:     %[[K4:.+]] = tensor.expand_shape %[[K]] {{\[}}[0, 1], [2], [3]] output_shape [1, 2, 4, 8]
// CHECK-DAG:     %[[V4:.+]] = tensor.expand_shape %[[V]] {{\[}}[0, 1], [2], [3]] output_shape [1, 2, 4, 6]
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q4]], %[[K4]], %[[V4]] : {{.*}}) outs({{[^)]*}}) {masks = [#attn.causal], scale = 2.500000e-01 : f64} -> tensor<1x2x4x6xf32>
// CHECK:         %[[C:.+]] = tensor.collapse_shape %[[O]] {{\[}}[0, 1], [2], [3]] : tensor<1x2x4x6xf32> into tensor<2x4x6xf32>
// CHECK-NOT:     tosa.matmul
// CHECK:         return %[[C]]
func.func @tosa_causal(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x6xf32>) -> tensor<2x4x6xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<2x4x8xf32>) -> tensor<2x8x4xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<2x4x8xf32>, tensor<2x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32>
  %c = "tosa.const"() <{values = dense<0.25> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %ss = tosa.mul %s, %c, %shift : (tensor<2x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x4x4xf32>
  %mask = "tosa.const"() <{values = dense<[[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0, 0.0]]]> : tensor<1x4x4xf32>}> : () -> tensor<1x4x4xf32>
  %sm = tosa.add %ss, %mask : (tensor<2x4x4xf32>, tensor<1x4x4xf32>) -> tensor<2x4x4xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<2x4x4xf32>) -> tensor<2x4x1xf32>
  %d = tosa.sub %sm, %max : (tensor<2x4x4xf32>, tensor<2x4x1xf32>) -> tensor<2x4x4xf32>
  %ex = tosa.exp %d : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %sum = tosa.reduce_sum %ex {axis = 2 : i32} : (tensor<2x4x4xf32>) -> tensor<2x4x1xf32>
  %r = tosa.reciprocal %sum : (tensor<2x4x1xf32>) -> tensor<2x4x1xf32>
  %p = tosa.mul %ex, %r, %shift : (tensor<2x4x4xf32>, tensor<2x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x6xf32>
  return %o : tensor<2x4x6xf32>
}

// -----

/// A boolean keep mask applied with select(mask, s, -inf) becomes the i1
/// mask operand; a sliding window computed from indices (keep
/// i - 2 <= j <= i) becomes #attn.sliding_window. Single head, 2-D
/// linalg.matmul form: the operands get a [1, 1, L, D] view.

// CHECK-LABEL: func.func @matmul2d_window_bool(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<6x4xf32>, %[[K:[^:]+]]: tensor<6x4xf32>, %[[V:[^:]+]]: tensor<6x4xf32>, %[[M:[^:]+]]: tensor<6x6xi1>)
// CHECK-DAG:     %[[Q4:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 6, 4]
// CHECK-DAG:     %[[K4:.+]] = tensor.expand_shape %[[K]]
// CHECK-DAG:     %[[V4:.+]] = tensor.expand_shape %[[V]]
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q4]], %[[K4]], %[[V4]] : {{.*}}) mask(%[[M]] : tensor<6x6xi1>) outs({{[^)]*}}) {masks = [#attn.sliding_window<left = 2, right = 0>], scale = 1.000000e+00 : f64} -> tensor<1x1x6x4xf32>
// CHECK:         tensor.collapse_shape %[[O]] {{\[}}[0, 1, 2], [3]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @matmul2d_window_bool(%q: tensor<6x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x4xf32>, %m: tensor<6x6xi1>) -> tensor<6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%q, %k : tensor<6x4xf32>, tensor<6x4xf32>) outs(%f : tensor<6x6xf32>) -> tensor<6x6xf32>
  %big = arith.constant -1.0e30 : f32
  %c2 = arith.constant 2 : index
  %sm = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%s, %m : tensor<6x6xf32>, tensor<6x6xi1>) outs(%e : tensor<6x6xf32>) {
  ^bb0(%a: f32, %keep: i1, %o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %lo = arith.subi %i, %c2 : index
    %far = arith.cmpi slt, %j, %lo : index
    %future = arith.cmpi sgt, %j, %i : index
    %out = arith.ori %far, %future : i1
    %w = arith.select %out, %big, %a : f32
    %r = arith.select %keep, %w, %big : f32
    linalg.yield %r : f32
  } -> tensor<6x6xf32>
  %p = linalg.softmax dimension(1) ins(%sm : tensor<6x6xf32>) outs(%e : tensor<6x6xf32>) -> tensor<6x6xf32>
  %eo = tensor.empty() : tensor<6x4xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<6x4xf32>) -> tensor<6x4xf32>
  %o = linalg.matmul ins(%p, %v : tensor<6x6xf32>, tensor<6x4xf32>) outs(%fo : tensor<6x4xf32>) -> tensor<6x4xf32>
  return %o : tensor<6x4xf32>
}

// -----

/// A lower-triangular constant with fewer queries than keys is aligned to
/// the top-left corner (j <= i), which #attn.causal (bottom-right: j <= i +
/// Lkv - Lq) is not: it stays an additive mask operand. bf16 inputs with an
/// f32 accumulation: the probabilities are truncated to bf16 before P.V and
/// the op computes them in f32.

// CHECK-LABEL: func.func @top_left_causal_bf16(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x2x2x4xbf16>, %[[K:[^:]+]]: tensor<1x2x4x4xbf16>, %[[V:[^:]+]]: tensor<1x2x4x4xbf16>)
// CHECK:         %[[M:.+]] = arith.constant dense<{{.*}}> : tensor<2x4xf32>
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) mask(%[[M]] : tensor<2x4xf32>) outs({{[^)]*}}) {scale = 5.000000e-01 : f64} -> tensor<1x2x2x4xf32>
// CHECK-NOT:     masks =
// CHECK-NEXT:    return %[[O]]
#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#mm = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
func.func @top_left_causal_bf16(%q: tensor<1x2x2x4xbf16>, %k: tensor<1x2x4x4xbf16>, %v: tensor<1x2x4x4xbf16>) -> tensor<1x2x2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x2x4xbf16>, tensor<1x2x4x4xbf16>) outs(%f : tensor<1x2x2x4xf32>) {
  ^bb0(%a: bf16, %b: bf16, %acc: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %m = arith.mulf %a32, %b32 : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x4xf32>
  %mask = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000]]> : tensor<2x4xf32>
  %half = arith.constant 0.5 : f32
  %sm = linalg.generic {indexing_maps = [#id4, #mm, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<1x2x2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<1x2x2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %x = arith.mulf %a, %half : f32
    %y = arith.addf %x, %b : f32
    linalg.yield %y : f32
  } -> tensor<1x2x2x4xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<1x2x2x4xf32>) outs(%e : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %eb = tensor.empty() : tensor<1x2x2x4xbf16>
  %pb = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p : tensor<1x2x2x4xf32>) outs(%eb : tensor<1x2x2x4xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %t = arith.truncf %a : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<1x2x2x4xbf16>
  %eo = tensor.empty() : tensor<1x2x2x4xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pb, %v : tensor<1x2x2x4xbf16>, tensor<1x2x4x4xbf16>) outs(%fo : tensor<1x2x2x4xf32>) {
  ^bb0(%a: bf16, %b: bf16, %acc: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %m = arith.mulf %a32, %b32 : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x4xf32>
  return %o : tensor<1x2x2x4xf32>
}

// -----

/// The scores have a second user (returned): raising would compute them
/// twice, so nothing changes.

// CHECK-LABEL: func.func @negative_scores_reused(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.batch_matmul
// CHECK:         linalg.softmax
// CHECK:         linalg.batch_matmul
func.func @negative_scores_reused(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%q, %k : tensor<2x4x8xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o, %s : tensor<2x4x8xf32>, tensor<2x4x4xf32>
}

// -----

/// Softmax over the query axis (dimension 1 of [N, Lq, Lkv]), not over the
/// keys that P.V contracts: not attention.

// CHECK-LABEL: func.func @negative_softmax_wrong_dim(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.softmax dimension(1)
func.func @negative_softmax_wrong_dim(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%q, %k : tensor<2x4x8xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// Decomposed softmax whose row sum reduces the query axis (map drops d1
/// instead of d2): the normaliser is not the key-axis sum.

// CHECK-LABEL: func.func @negative_sum_wrong_axis(
// CHECK-NOT:     attn.attention
// CHECK:         math.exp
// CHECK:         linalg.batch_matmul
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#col3 = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @negative_sum_wrong_axis(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%q, %k : tensor<2x4x8xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %exp = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = math.exp %a : f32
    linalg.yield %x : f32
  } -> tensor<2x4x4xf32>
  %re = tensor.empty() : tensor<2x4xf32>
  %si = linalg.fill ins(%zero : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2, d1)>, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%exp : tensor<2x4x4xf32>) outs(%si : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %p = linalg.generic {indexing_maps = [#id3, #col3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<2x4x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%in: f32, %z: f32, %out: f32):
    %r = arith.divf %in, %z : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// The scale multiplies the probabilities after the softmax: P.V of a
/// scaled softmax is not attention with a scale.

// CHECK-LABEL: func.func @negative_scale_after_softmax(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.softmax
// CHECK:         arith.mulf
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @negative_scale_after_softmax(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%q, %k : tensor<2x4x8xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %c = arith.constant 0.125 : f32
  %ps = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%p : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%ps, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// Q.K^T contracting the sequence axis of Q instead of its head dim (the
/// lhs map reads Q[b, k, m]): the scores are not Q.K^T.

// CHECK-LABEL: func.func @negative_contract_wrong_dim(
// CHECK-NOT:     attn.attention
// CHECK:         linalg.generic
// CHECK:         linalg.softmax
#qt = affine_map<(b, i, j, d) -> (b, d, i)>
#kt = affine_map<(b, i, j, d) -> (b, j, d)>
#st = affine_map<(b, i, j, d) -> (b, i, j)>
func.func @negative_contract_wrong_dim(%q: tensor<2x4x4xf32>, %k: tensor<2x4x4xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.generic {indexing_maps = [#qt, #kt, #st], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x4x4xf32>, tensor<2x4x4xf32>) outs(%f : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// Dynamic batch and sequence lengths: the 4-D form needs no static
/// extents (no mask, so nothing is evaluated); the scale stays explicit at 1.

// CHECK-LABEL: func.func @dynamic_4d(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<?x4x?x8xf32>, %[[K:[^:]+]]: tensor<?x4x?x8xf32>, %[[V:[^:]+]]: tensor<?x4x?x8xf32>
// CHECK:    %[[O:.+]] = attn.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs({{[^)]*}}) {scale = 1.000000e+00 : f64} -> tensor<?x4x?x8xf32>
// CHECK-NEXT:    return %[[O]]
#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
func.func @dynamic_4d(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>, %e: tensor<?x4x?x?xf32>, %eo: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) outs(%f : tensor<?x4x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?x4x?x?xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<?x4x?x?xf32>) outs(%e : tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32>) outs(%fo : tensor<?x4x?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

/// Named linalg ops only: linalg.reduce for the row max and sum,
/// linalg.broadcast back over the keys, linalg.sub, linalg.exp, linalg.div.
/// The plain [N, L, D] operands get a [1, N, L, D] view.

// CHECK-LABEL: func.func @named_ops(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x4x8xf32>
// CHECK:         %[[Q4:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1], [2], [3]] output_shape [1, 2, 4, 8]
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q4]], %{{.+}}, %{{.+}} : {{.*}}) outs({{[^)]*}}) {scale = 1.000000e+00 : f64} -> tensor<1x2x4x8xf32>
// CHECK-NOT:     linalg.exp
// CHECK:         tensor.collapse_shape %[[O]]
func.func @named_ops(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%q, %k : tensor<2x4x8xf32>, tensor<2x4x8xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %re = tensor.empty() : tensor<2x4xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %max = linalg.reduce ins(%s : tensor<2x4x4xf32>) outs(%mi : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %r = arith.maximumf %in, %acc : f32
      linalg.yield %r : f32
    }
  %mb = linalg.broadcast ins(%max : tensor<2x4xf32>) outs(%e : tensor<2x4x4xf32>) dimensions = [2]
  %d = linalg.sub ins(%s, %mb : tensor<2x4x4xf32>, tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %x = linalg.exp ins(%d : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %si = linalg.fill ins(%zero : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.reduce ins(%x : tensor<2x4x4xf32>) outs(%si : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32
    }
  %sb = linalg.broadcast ins(%sum : tensor<2x4xf32>) outs(%e : tensor<2x4x4xf32>) dimensions = [2]
  %p = linalg.div ins(%x, %sb : tensor<2x4x4xf32>, tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// Kᵀ produced by one 4-D transpose [B, L, H, D] -> [B, H, D, L] before the
/// collapse: no view of K is in [B, H, L, D] order, so the [B, H, D, L]
/// tensor is transposed back for the op (one copy, as the graph had).

// CHECK-LABEL: func.func @kt4(
// CHECK-SAME:      %{{.+}}: tensor<1x4x16xf32>, %{{.+}}: tensor<1x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK:         %[[Q:.+]] = linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
// CHECK:         %[[KT:.+]] = linalg.transpose {{.*}} permutation = [0, 2, 3, 1]
// CHECK:         %[[K:.+]] = linalg.transpose ins(%[[KT]] : tensor<1x2x8x4xf32>) {{.*}} permutation = [0, 1, 3, 2]
// CHECK:         %[[O:.+]] = attn.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs({{[^)]*}}) {scale = 1.000000e+00 : f64} -> tensor<1x2x4x8xf32>
// CHECK:         tensor.collapse_shape %[[O]]
func.func @kt4(%x: tensor<1x4x16xf32>, %y: tensor<1x4x16xf32>, %v4: tensor<1x2x4x8xf32>) -> tensor<2x4x8xf32> {
  %v = tensor.collapse_shape %v4 [[0, 1], [2], [3]] : tensor<1x2x4x8xf32> into tensor<2x4x8xf32>
  %qs = tensor.expand_shape %x [[0], [1], [2, 3]] output_shape [1, 4, 2, 8] : tensor<1x4x16xf32> into tensor<1x4x2x8xf32>
  %qt0 = tensor.empty() : tensor<1x2x4x8xf32>
  %q4 = linalg.transpose ins(%qs : tensor<1x4x2x8xf32>) outs(%qt0 : tensor<1x2x4x8xf32>) permutation = [0, 2, 1, 3]
  %q = tensor.collapse_shape %q4 [[0, 1], [2], [3]] : tensor<1x2x4x8xf32> into tensor<2x4x8xf32>
  %ks = tensor.expand_shape %y [[0], [1], [2, 3]] output_shape [1, 4, 2, 8] : tensor<1x4x16xf32> into tensor<1x4x2x8xf32>
  %kt0 = tensor.empty() : tensor<1x2x8x4xf32>
  %kt4 = linalg.transpose ins(%ks : tensor<1x4x2x8xf32>) outs(%kt0 : tensor<1x2x8x4xf32>) permutation = [0, 2, 3, 1]
  %kt = tensor.collapse_shape %kt4 [[0, 1], [2], [3]] : tensor<1x2x8x4xf32> into tensor<2x8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x4x8xf32>, tensor<2x8x4xf32>) outs(%f : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

/// K/V heads repeated tile-style ([B, g, Hkv, L, D] collapsed: query head h
/// reads key head h mod Hkv) are not the op's grouping (h floordiv g): the
/// op reads the repeated [B, Hq, L, D] tensors, which is still exact.

// CHECK-LABEL: func.func @tiled_heads_read_repeated(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x4x3x8xf32>
// CHECK:         %[[KR:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
// CHECK:         attn.attention ins(%[[Q]], %[[KR]], %[[KR]] : tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>)
#bt = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
func.func @tiled_heads_read_repeated(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32> {
  %k5 = tensor.expand_shape %k [[0, 1], [2], [3], [4]] output_shape [1, 1, 2, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x1x2x3x8xf32>
  %rep = tensor.empty() : tensor<1x2x2x3x8xf32>
  %kb = linalg.generic {indexing_maps = [#bt, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%k5 : tensor<1x1x2x3x8xf32>) outs(%rep : tensor<1x2x2x3x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x3x8xf32>
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kr : tensor<1x4x3x8xf32>, tensor<1x4x3x8xf32>) outs(%f : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x4x3x3xf32>) outs(%e : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %eo = tensor.empty() : tensor<1x4x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x4x3x8xf32>) -> tensor<1x4x3x8xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %kr : tensor<1x4x3x3xf32>, tensor<1x4x3x8xf32>) outs(%fo : tensor<1x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x8xf32>
  return %o : tensor<1x4x3x8xf32>
}

// -----

/// TOSA with a boolean lower-triangular constant applied by tosa.select
/// against -inf: the i1 keep pattern is evaluated and becomes #attn.causal.

// CHECK-LABEL: func.func @tosa_select_bool(
// CHECK:         attn.attention ins({{.*}}) outs({{[^)]*}}) {masks = [#attn.causal], scale = 1.000000e+00 : f64} -> tensor<1x2x3x8xf32>
// CHECK-NOT:     tosa.select
func.func @tosa_select_bool(%q: tensor<2x3x8xf32>, %k: tensor<2x3x8xf32>, %v: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<2x3x8xf32>) -> tensor<2x8x3xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<2x3x8xf32>, tensor<2x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x3xf32>
  %keep = "tosa.const"() <{values = dense<[[[true, false, false], [true, true, false], [true, true, true]]]> : tensor<1x3x3xi1>}> : () -> tensor<1x3x3xi1>
  %ninf = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %sm = tosa.select %keep, %s, %ninf : (tensor<1x3x3xi1>, tensor<2x3x3xf32>, tensor<1x1x1xf32>) -> tensor<2x3x3xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<2x3x3xf32>) -> tensor<2x3x1xf32>
  %d = tosa.sub %sm, %max : (tensor<2x3x3xf32>, tensor<2x3x1xf32>) -> tensor<2x3x3xf32>
  %ex = tosa.exp %d : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %sum = tosa.reduce_sum %ex {axis = 2 : i32} : (tensor<2x3x3xf32>) -> tensor<2x3x1xf32>
  %r = tosa.reciprocal %sum : (tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %p = tosa.mul %ex, %r, %shift : (tensor<2x3x3xf32>, tensor<2x3x1xf32>, tensor<1xi8>) -> tensor<2x3x3xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<2x3x3xf32>, tensor<2x3x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x8xf32>
  return %o : tensor<2x3x8xf32>
}

// -----

/// A Keras causal mask folded in as (1 - tril) * -1e9 from TOSA constants
/// (frontend_graphs_tosa.gpt_keras_tosa) is evaluated through the TOSA
/// elementwise ops and becomes #attn.causal.
// CHECK-LABEL: func.func @tosa_constant_causal_mask(
// CHECK:         attn.attention ins({{.*}}) outs({{[^)]*}}) {masks = [#attn.causal], scale = 1.000000e+00 : f64}
// CHECK-NOT:     tosa.exp
func.func @tosa_constant_causal_mask(%q: tensor<1x4x4xf32>, %k: tensor<1x4x4xf32>, %v: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %_k1 = "tosa.const"() <{values = dense<0.5> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %_b2 = tosa.mul %q, %_k1, %shift : (tensor<1x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x4xf32>
  %_sh3 = tosa.const_shape {values = dense<[1, 4, 1, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %_rs4 = tosa.reshape %_b2, %_sh3 : (tensor<1x4x4xf32>, !tosa.shape<4>) -> tensor<1x4x1x4xf32>
  %_tr5 = tosa.transpose %_rs4 {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x1x4xf32>) -> tensor<1x1x4x4xf32>
  %_sh6 = tosa.const_shape {values = dense<[1, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %_rs7 = tosa.reshape %_tr5, %_sh6 : (tensor<1x1x4x4xf32>, !tosa.shape<3>) -> tensor<1x4x4xf32>
  %_sh8 = tosa.const_shape {values = dense<[1, 4, 1, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %_rs9 = tosa.reshape %k, %_sh8 : (tensor<1x4x4xf32>, !tosa.shape<4>) -> tensor<1x4x1x4xf32>
  %_tr10 = tosa.transpose %_rs9 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x4x1x4xf32>) -> tensor<1x1x4x4xf32>
  %_sh11 = tosa.const_shape {values = dense<[1, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %_rs12 = tosa.reshape %_tr10, %_sh11 : (tensor<1x1x4x4xf32>, !tosa.shape<3>) -> tensor<1x4x4xf32>
  %_sh13 = tosa.const_shape {values = dense<[1, 4, 1, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %_rs14 = tosa.reshape %v, %_sh13 : (tensor<1x4x4xf32>, !tosa.shape<4>) -> tensor<1x4x1x4xf32>
  %_tr15 = tosa.transpose %_rs14 {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x1x4xf32>) -> tensor<1x1x4x4xf32>
  %_sh16 = tosa.const_shape {values = dense<[1, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %_rs17 = tosa.reshape %_tr15, %_sh16 : (tensor<1x1x4x4xf32>, !tosa.shape<3>) -> tensor<1x4x4xf32>
  %_mm18 = tosa.matmul %_rs7, %_rs12, %zp, %zp : (tensor<1x4x4xf32>, tensor<1x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32>
  %_sh19 = tosa.const_shape {values = dense<[1, 1, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %_rs20 = tosa.reshape %_mm18, %_sh19 : (tensor<1x4x4xf32>, !tosa.shape<4>) -> tensor<1x1x4x4xf32>
  %_k21 = "tosa.const"() <{values = dense<[[[[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]]]]> : tensor<1x1x4x4xf32>}> : () -> tensor<1x1x4x4xf32>
  %_k22 = "tosa.const"() <{values = dense<1.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %_k23 = "tosa.const"() <{values = dense<-1000000000.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %_b24 = tosa.sub %_k22, %_k21 : (tensor<1x1x1x1xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %_b25 = tosa.mul %_b24, %_k23, %shift : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x4x4xf32>
  %_b26 = tosa.add %_rs20, %_b25 : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %_rd27 = tosa.reduce_max %_b26 {axis = 3 : i32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x1xf32>
  %_b28 = tosa.sub %_b26, %_rd27 : (tensor<1x1x4x4xf32>, tensor<1x1x4x1xf32>) -> tensor<1x1x4x4xf32>
  %_u29 = tosa.exp %_b28 : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %_rd30 = tosa.reduce_sum %_u29 {axis = 3 : i32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x1xf32>
  %_u31 = tosa.reciprocal %_rd30 : (tensor<1x1x4x1xf32>) -> tensor<1x1x4x1xf32>
  %_b32 = tosa.mul %_u29, %_u31, %shift : (tensor<1x1x4x4xf32>, tensor<1x1x4x1xf32>, tensor<1xi8>) -> tensor<1x1x4x4xf32>
  %_sh33 = tosa.const_shape {values = dense<[1, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %_rs34 = tosa.reshape %_b32, %_sh33 : (tensor<1x1x4x4xf32>, !tosa.shape<3>) -> tensor<1x4x4xf32>
  %_mm35 = tosa.matmul %_rs34, %_rs17, %zp, %zp : (tensor<1x4x4xf32>, tensor<1x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32>
  %_sh36 = tosa.const_shape {values = dense<[1, 1, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %_rs37 = tosa.reshape %_mm35, %_sh36 : (tensor<1x4x4xf32>, !tosa.shape<4>) -> tensor<1x1x4x4xf32>
  %_tr38 = tosa.transpose %_rs37 {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x1x4x4xf32>) -> tensor<1x4x1x4xf32>
  %_sh39 = tosa.const_shape {values = dense<[1, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %_rs40 = tosa.reshape %_tr38, %_sh39 : (tensor<1x4x1x4xf32>, !tosa.shape<3>) -> tensor<1x4x4xf32>
  return %_rs40 : tensor<1x4x4xf32>
}

