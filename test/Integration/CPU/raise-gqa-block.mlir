// RUN: attn-opt %s --attn-raise | FileCheck %s --check-prefix=RAISED
// RUN: attn-opt %s --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s --attn-raise --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// A GPT-2-style attention block with grouped K/V heads, in plain linalg:
/// heads split by expand_shape + transpose, K/V heads repeated
/// (repeat_interleave: expand + broadcast + collapse), [B*H, L, D]
/// batch_matmuls with K transposed by linalg.transpose, a scale generic, a
/// causal mask built from linalg.index comparisons and the decomposed
/// softmax. Compiled as it is and after -attn-raise, it prints the same
/// numbers (the output times 1000, rounded), which are also those of a
/// float64 numpy model of the block.

// RAISED-LABEL: func.func @block(
// RAISED-SAME:      %{{.+}}: tensor<1x5x16xf32>, %[[K:[^:]+]]: tensor<1x2x5x4xf32>, %[[V:[^:]+]]: tensor<1x2x5x4xf32>)
// RAISED:         %[[Q:.+]] = linalg.transpose
// RAISED:         attn.attention ins(%[[Q]], %[[K]], %[[V]] : tensor<1x4x5x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>) outs({{[^)]*}}) {masks = [#attn.causal], scale = 5.000000e-01 : f64}
// RAISED-NOT:     linalg.batch_matmul
// RAISED-NOT:     math.exp

// CHECK:      [788,   844,   76,   -1427],
// CHECK-NEXT: [15,   -508,   -1180,   -15],
// CHECK-NEXT: [-207,   -660,   -1028,   20],
// CHECK-NEXT: [344,   299,   -338,   -635],
// CHECK-NEXT: [18,   -2,   -809,   449]],
// CHECK-NEXT: {{\[}}[788,   844,   76,   -1427],
// CHECK-NEXT: [103,   -354,   -1037,   -176],
// CHECK-NEXT: [-264,   -800,   -1209,   188],
// CHECK-NEXT: [-147,   -356,   -800,   127],
// CHECK-NEXT: [589,   920,   -603,   406]],
// CHECK-NEXT: {{\[}}[340,   424,   371,   383],
// CHECK-NEXT: [332,   132,   -478,   199],
// CHECK-NEXT: [-556,   910,   -225,   131],
// CHECK-NEXT: [-74,   242,   -226,   -78],
// CHECK-NEXT: [-171,   -145,   -413,   -1066]],
// CHECK-NEXT: {{\[}}[340,   424,   371,   383],
// CHECK-NEXT: [331,   78,   -633,   166],
// CHECK-NEXT: [72,   57,   -1263,   -6],
// CHECK-NEXT: [-450,   -58,   -379,   -670],
// CHECK-NEXT: [-193,   316,   -741,   -996]]]

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#bcast5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

func.func private @printMemrefF32(tensor<*xf32>)

func.func @block(%x: tensor<1x5x16xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x4xf32>) -> tensor<4x5x4xf32> {
  %zero = arith.constant 0.0 : f32
  // Heads of Q: [1, 5, 16] -> [1, 5, 4, 4] -> [1, 4, 5, 4] -> [4, 5, 4].
  %qs = tensor.expand_shape %x [[0], [1], [2, 3]] output_shape [1, 5, 4, 4] : tensor<1x5x16xf32> into tensor<1x5x4x4xf32>
  %qt0 = tensor.empty() : tensor<1x4x5x4xf32>
  %q4 = linalg.transpose ins(%qs : tensor<1x5x4x4xf32>) outs(%qt0 : tensor<1x4x5x4xf32>) permutation = [0, 2, 1, 3]
  %q = tensor.collapse_shape %q4 [[0, 1], [2], [3]] : tensor<1x4x5x4xf32> into tensor<4x5x4xf32>
  // K/V heads repeated twice each (repeat_interleave on the head axis).
  %rep = tensor.empty() : tensor<1x2x2x5x4xf32>
  %k5 = tensor.expand_shape %k [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 5, 4] : tensor<1x2x5x4xf32> into tensor<1x2x1x5x4xf32>
  %kb = linalg.generic {indexing_maps = [#bcast5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%k5 : tensor<1x2x1x5x4xf32>) outs(%rep : tensor<1x2x2x5x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x5x4xf32>
  %kr = tensor.collapse_shape %kb [[0, 1, 2], [3], [4]] : tensor<1x2x2x5x4xf32> into tensor<4x5x4xf32>
  %v5 = tensor.expand_shape %v [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 5, 4] : tensor<1x2x5x4xf32> into tensor<1x2x1x5x4xf32>
  %vb = linalg.generic {indexing_maps = [#bcast5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%v5 : tensor<1x2x1x5x4xf32>) outs(%rep : tensor<1x2x2x5x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x5x4xf32>
  %vr = tensor.collapse_shape %vb [[0, 1, 2], [3], [4]] : tensor<1x2x2x5x4xf32> into tensor<4x5x4xf32>
  // Scores.
  %kt0 = tensor.empty() : tensor<4x4x5xf32>
  %kt = linalg.transpose ins(%kr : tensor<4x5x4xf32>) outs(%kt0 : tensor<4x4x5xf32>) permutation = [0, 2, 1]
  %e = tensor.empty() : tensor<4x5x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5x5xf32>) -> tensor<4x5x5xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x5x4xf32>, tensor<4x4x5xf32>) outs(%f : tensor<4x5x5xf32>) -> tensor<4x5x5xf32>
  %half = arith.constant 0.5 : f32
  %ss = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x5x5xf32>) outs(%e : tensor<4x5x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %half : f32
    linalg.yield %m : f32
  } -> tensor<4x5x5xf32>
  // Causal additive mask from indices.
  %ninf = arith.constant 0xFF800000 : f32
  %me = tensor.empty() : tensor<5x5xf32>
  %mask = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%me : tensor<5x5xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %future = arith.cmpi ugt, %j, %i : index
    %m = arith.select %future, %ninf, %zero : f32
    linalg.yield %m : f32
  } -> tensor<5x5xf32>
  %sm = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d1, d2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ss, %mask : tensor<4x5x5xf32>, tensor<5x5xf32>) outs(%e : tensor<4x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.addf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x5x5xf32>
  // Softmax over the keys, decomposed.
  %re = tensor.empty() : tensor<4x5xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%re : tensor<4x5xf32>) -> tensor<4x5xf32>
  %max = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%sm : tensor<4x5x5xf32>) outs(%mi : tensor<4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %exp = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sm, %max : tensor<4x5x5xf32>, tensor<4x5xf32>) outs(%e : tensor<4x5x5xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %x2 = math.exp %d : f32
    linalg.yield %x2 : f32
  } -> tensor<4x5x5xf32>
  %si = linalg.fill ins(%zero : f32) outs(%re : tensor<4x5xf32>) -> tensor<4x5xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%exp : tensor<4x5x5xf32>) outs(%si : tensor<4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %p = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<4x5x5xf32>, tensor<4x5xf32>) outs(%e : tensor<4x5x5xf32>) {
  ^bb0(%in: f32, %z: f32, %out: f32):
    %r = arith.divf %in, %z : f32
    linalg.yield %r : f32
  } -> tensor<4x5x5xf32>
  %eo = tensor.empty() : tensor<4x5x4xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x5x4xf32>) -> tensor<4x5x4xf32>
  %o = linalg.batch_matmul ins(%p, %vr : tensor<4x5x5xf32>, tensor<4x5x4xf32>) outs(%fo : tensor<4x5x4xf32>) -> tensor<4x5x4xf32>
  return %o : tensor<4x5x4xf32>
}

func.func @main() {
  %x = arith.constant dense<[[[0.126, -0.132, 0.64, 0.105, -0.536, 0.362, 1.304, 0.947, -0.704, -1.265, -0.623, 0.041, -2.325, -0.219, -1.246, -0.732], [-0.544, -0.316, 0.412, 1.043, -0.129, 1.366, -0.665, 0.352, 0.903, 0.094, -0.743, -0.922, -0.458, 0.22, -1.01, -0.209], [-0.159, 0.541, 0.215, 0.355, -0.654, -0.13, 0.784, 1.493, -1.259, 1.514, 1.346, 0.781, 0.264, -0.314, 1.458, 1.96], [1.802, 1.315, 0.357, -1.208, -0.004, 0.656, -1.288, 0.395, 0.43, 0.696, -1.184, -0.662, -0.436, -1.17, 1.739, -0.496], [0.329, -0.259, 1.583, 1.32, 0.633, -2.204, 0.052, 0.684, 1.004, -0.618, 1.822, -1.32, -0.662, 0.935, 0.049, 2.002]]]> : tensor<1x5x16xf32>
  %k = arith.constant dense<[[[[0.189, -0.633, -0.378, -1.091], [-1.278, 0.63, 0.581, 1.295], [-0.755, 1.689, -0.287, 1.574], [-0.433, -0.735, 0.25, 1.031], [0.161, -0.586, -1.341, -1.402]], [[0.503, 0.99, -0.164, -1.074], [0.873, -1.28, -0.713, 0.621], [-2.25, 0.386, -0.582, 0.109], [-0.076, 0.202, 0.694, -0.758], [1.421, 0.726, 0.844, 1.165]]]]> : tensor<1x2x5x4xf32>
  %v = arith.constant dense<[[[[0.788, 0.844, 0.076, -1.427], [-0.135, -0.77, -1.423, 0.258], [-0.569, -1.03, -1.043, 0.268], [0.359, 1.322, -0.014, 1.042], [1.402, 1.15, -2.365, 1.229]], [[0.34, 0.424, 0.371, 0.383], [0.319, -0.359, -1.902, -0.109], [-0.804, 1.08, -0.289, 0.083], [-0.85, -0.511, -0.012, -1.485], [0.301, -0.106, -1.186, -2.398]]]]> : tensor<1x2x5x4xf32>
  %o = call @block(%x, %k, %v) : (tensor<1x5x16xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>) -> tensor<4x5x4xf32>
  %thousand = arith.constant 1000.0 : f32
  %e = tensor.empty() : tensor<4x5x4xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%o : tensor<4x5x4xf32>) outs(%e : tensor<4x5x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %thousand : f32
    %n = math.roundeven %m : f32
    linalg.yield %n : f32
  } -> tensor<4x5x4xf32>
  %u = tensor.cast %r : tensor<4x5x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
