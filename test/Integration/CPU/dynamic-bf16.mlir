// RUN: attn-opt %s --attn-cpu-pipeline="out-params=false" | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// Dynamic shapes and bf16 inputs, GQA (2 query heads on one KV head) with a
/// sliding window of one key to the left: row i averages v[i-1] and v[i].
/// Every value is exact in bf16.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @window(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x1x?x?xbf16>, %v: tensor<?x1x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %mc126_0 = arith.constant 0 : index
  %md126_0_0 = tensor.dim %q, %mc126_0 : tensor<?x?x?x?xbf16>
  %mc126_1 = arith.constant 1 : index
  %md126_0_1 = tensor.dim %q, %mc126_1 : tensor<?x?x?x?xbf16>
  %mc126_2 = arith.constant 2 : index
  %md126_0_2 = tensor.dim %q, %mc126_2 : tensor<?x?x?x?xbf16>
  %mc126_3 = arith.constant 3 : index
  %md126_0_3 = tensor.dim %v, %mc126_3 : tensor<?x1x?x?xbf16>
  %init126_0 = tensor.empty(%md126_0_0, %md126_0_1, %md126_0_2, %md126_0_3) : tensor<?x?x?x?xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<?x?x?x?xbf16>, tensor<?x1x?x?xbf16>, tensor<?x1x?x?xbf16>)
      outs(%init126_0 : tensor<?x?x?x?xbf16>) {masks = [#attn.sliding_window<left = 1, right = 0>]} -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

func.func @main() {
  %q = arith.constant dense<0.0> : tensor<1x2x3x4xbf16>
  %k = arith.constant dense<0.0> : tensor<1x1x3x4xbf16>
  %v = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]]> : tensor<1x1x3x2xbf16>
  %qd = tensor.cast %q : tensor<1x2x3x4xbf16> to tensor<?x?x?x?xbf16>
  %kd = tensor.cast %k : tensor<1x1x3x4xbf16> to tensor<?x1x?x?xbf16>
  %vd = tensor.cast %v : tensor<1x1x3x2xbf16> to tensor<?x1x?x?xbf16>
  %o = call @window(%qd, %kd, %vd) : (tensor<?x?x?x?xbf16>, tensor<?x1x?x?xbf16>, tensor<?x1x?x?xbf16>) -> tensor<?x?x?x?xbf16>
  %os = tensor.cast %o : tensor<?x?x?x?xbf16> to tensor<1x2x3x2xbf16>
  %init = tensor.empty() : tensor<1x2x3x2xf32>
  %ext = linalg.map { arith.extf } ins(%os : tensor<1x2x3x2xbf16>) outs(%init : tensor<1x2x3x2xf32>)
  %of = tensor.cast %ext : tensor<1x2x3x2xf32> to tensor<?x?x?x?xf32>
  // CHECK: sizes = [1, 2, 3, 2]
  // CHECK:      {{\[}}[1,   2],
  // CHECK-NEXT: [2,   3],
  // CHECK-NEXT: [4,   5]],
  // CHECK-NEXT: {{\[}}[1,   2],
  // CHECK-NEXT: [2,   3],
  // CHECK-NEXT: [4,   5]]]]
  %u = tensor.cast %of : tensor<?x?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
