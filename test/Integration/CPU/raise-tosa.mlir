// RUN: attn-opt %s --attn-raise | FileCheck %s --check-prefix=RAISED
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor))" \
// RUN:   | attn-opt --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s \
// RUN:   --pass-pipeline="builtin.module(func.func(attn-raise,tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor))" \
// RUN:   | attn-opt --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// A TOSA attention (rank-3 matmuls, tosa.transpose of K, scale by
/// tosa.mul, a causal most-negative-float constant, keep-dim reductions and
/// the reciprocal of the row sum) lowered through tosa-to-linalg as it is,
/// and raised first: both print the same numbers (output times 1000,
/// rounded), those of a float64 numpy model.

// RAISED-LABEL: func.func @tosa_block(
// RAISED:         attn.attention ins({{.*}}) {masks = [#attn.causal], scale = 2.500000e-01 : f64} -> tensor<1x2x4x6xf32>
// RAISED-NOT:     tosa.matmul

// CHECK:      {{\[}}[{{\[}}-841,   -506,   -348,   532,   -405,   278],
// CHECK-NEXT: [-511,   -674,   -334,   -204,   -200,   -418],
// CHECK-NEXT: [-765,   107,   -236,   -46,   24,   -321],
// CHECK-NEXT: [-525,   -69,   -101,   -394,   185,   -365]],
// CHECK-NEXT: {{\[}}[-1056,   -900,   -391,   1627,   -1176,   160],
// CHECK-NEXT: [-1578,   -467,   232,   728,   -912,   195],
// CHECK-NEXT: [-1358,   -17,   902,   177,   -715,   145],
// CHECK-NEXT: [-727,   -20,   437,   305,   -1149,   421]]]

func.func private @printMemrefF32(tensor<*xf32>)

func.func @tosa_block(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x6xf32>) -> tensor<2x4x6xf32> {
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

func.func @main() {
  %q = arith.constant dense<[[[0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537, 0.581], [0.365, 0.294, 0.028, 0.547, -0.736, -0.163, -0.482, 0.599], [0.04, -0.292, -0.782, -0.257, 0.008, -0.276, 1.294, 1.007], [-2.711, -1.889, -0.175, -0.422, 0.214, 0.217, 2.118, -1.112]], [[-0.378, 2.043, 0.647, 0.663, -0.514, -1.648, 0.167, 0.109], [-1.227, -0.683, -0.072, -0.945, -0.098, 0.095, 0.036, -0.506], [0.594, 0.891, 0.321, -0.818, 0.732, -0.501, 0.879, -1.072], [0.914, -0.02, -1.249, -0.314, 0.054, 0.273, -0.982, -1.107]]]> : tensor<2x4x8xf32>
  %k = arith.constant dense<[[[0.2, -0.467, 0.236, 0.76, -1.649, 0.254, 1.225, -0.298], [-0.811, 0.752, 0.253, 0.896, -0.345, -1.482, -0.11, -0.446], [0.775, 0.194, -1.631, -1.195, 0.884, 0.68, -0.64, -0.001], [0.446, 0.468, 0.876, 0.256, -0.095, -0.259, 1.056, -2.251]], [[-0.139, 0.033, -1.425, 0.333, -0.651, 0.862, -0.126, 0.669], [1.219, 0.383, -0.876, -1.514, 1.753, -0.111, -0.689, 0.144], [-0.191, 0.852, 0.034, 0.014, -0.715, 0.47, -1.034, 0.666], [1.524, -1.525, -2.466, 0.617, 2.548, -1.001, -1.251, 0.589]]]> : tensor<2x4x8xf32>
  %v = arith.constant dense<[[[-0.841, -0.506, -0.348, 0.532, -0.405, 0.278], [-0.177, -0.845, -0.32, -0.95, 0.007, -1.124], [-1.093, 1.457, -0.053, -0.054, 0.512, -0.421], [-0.229, 0.425, 0.282, -1.159, 0.833, -0.59]], [[-1.056, -0.9, -0.391, 1.627, -1.176, 0.16], [-2.138, -0.002, 0.9, -0.237, -0.629, 0.232], [0.7, 0.664, 1.972, 0.209, -0.592, -0.126], [-0.072, 0.109, -0.03, 0.174, -1.671, 0.83]]]> : tensor<2x4x6xf32>
  %o = call @tosa_block(%q, %k, %v) : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %thousand = arith.constant 1000.0 : f32
  %e = tensor.empty() : tensor<2x4x6xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%o : tensor<2x4x6xf32>) outs(%e : tensor<2x4x6xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %thousand : f32
    %n = math.roundeven %m : f32
    linalg.yield %n : f32
  } -> tensor<2x4x6xf32>
  %u = tensor.cast %r : tensor<2x4x6xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
