// RUN: attn-opt %s --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// Rows with no kept key give 0 (never NaN) and a log-sum-exp of -inf;
/// sinks add exp(sink) to the denominator; sigmoid attention does not
/// normalise. Q = K = 0 makes every score 0, so the numbers are exact.

func.func private @printMemrefF32(tensor<*xf32>)

/// Batch 0 keeps 2 keys, batch 1 keeps none.
func.func @lengths(%q: tensor<2x1x2x2xf32>, %k: tensor<2x1x3x2xf32>, %v: tensor<2x1x3x1xf32>,
                   %kl: tensor<2xi32>) -> (tensor<2x1x2x1xf32>, tensor<2x1x2xf32>) {
  %init128_0 = tensor.empty() : tensor<2x1x2x1xf32>
  %init128_1 = tensor.empty() : tensor<2x1x2xf32>
  %o, %l = attn.attention ins(%q, %k, %v : tensor<2x1x2x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x1xf32>)
      kv_lengths(%kl : tensor<2xi32>) outs(%init128_0, %init128_1 : tensor<2x1x2x1xf32>, tensor<2x1x2xf32>) -> tensor<2x1x2x1xf32>, tensor<2x1x2xf32>
  return %o, %l : tensor<2x1x2x1xf32>, tensor<2x1x2xf32>
}

/// One sink logit of 0 next to three scores of 0: p = 1/4 each.
func.func @sinks(%q: tensor<2x1x2x2xf32>, %k: tensor<2x1x3x2xf32>, %v: tensor<2x1x3x1xf32>,
                 %s: tensor<1xf32>) -> (tensor<2x1x2x1xf32>, tensor<2x1x2xf32>) {
  %init129_0 = tensor.empty() : tensor<2x1x2x1xf32>
  %init129_1 = tensor.empty() : tensor<2x1x2xf32>
  %o, %l = attn.attention ins(%q, %k, %v : tensor<2x1x2x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x1xf32>)
      sinks(%s : tensor<1xf32>) outs(%init129_0, %init129_1 : tensor<2x1x2x1xf32>, tensor<2x1x2xf32>) -> tensor<2x1x2x1xf32>, tensor<2x1x2xf32>
  return %o, %l : tensor<2x1x2x1xf32>, tensor<2x1x2xf32>
}

/// sigmoid(0 + 0) = 1/2 for each of the three keys.
func.func @sigmoid(%q: tensor<2x1x2x2xf32>, %k: tensor<2x1x3x2xf32>, %v: tensor<2x1x3x1xf32>) -> tensor<2x1x2x1xf32> {
  %init130_0 = tensor.empty() : tensor<2x1x2x1xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<2x1x2x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x1xf32>)
      outs(%init130_0 : tensor<2x1x2x1xf32>) {normalizer = #attn.normalizer<sigmoid>} -> tensor<2x1x2x1xf32>
  return %o : tensor<2x1x2x1xf32>
}

func.func @main() {
  %q = arith.constant dense<0.0> : tensor<2x1x2x2xf32>
  %k = arith.constant dense<0.0> : tensor<2x1x3x2xf32>
  %v = arith.constant dense<[[[[1.0], [2.0], [3.0]]], [[[4.0], [5.0], [6.0]]]]> : tensor<2x1x3x1xf32>
  %kl = arith.constant dense<[2, 0]> : tensor<2xi32>
  %s = arith.constant dense<0.0> : tensor<1xf32>

  // CHECK:      [1.5],
  // CHECK-NEXT: [1.5]]],
  // CHECK-NEXT: [0],
  // CHECK-NEXT: [0]]]]
  // CHECK:      {{\[}}[0.693147,   0.693147]],
  // CHECK-NEXT: {{\[}}[-inf,   -inf]]]
  %o, %l = call @lengths(%q, %k, %v, %kl) : (tensor<2x1x2x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x1xf32>, tensor<2xi32>) -> (tensor<2x1x2x1xf32>, tensor<2x1x2xf32>)
  %ou = tensor.cast %o : tensor<2x1x2x1xf32> to tensor<*xf32>
  call @printMemrefF32(%ou) : (tensor<*xf32>) -> ()
  %lu = tensor.cast %l : tensor<2x1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%lu) : (tensor<*xf32>) -> ()

  // CHECK:      [1.5],
  // CHECK-NEXT: [1.5]]],
  // CHECK-NEXT: [3.75],
  // CHECK-NEXT: [3.75]]]]
  // CHECK:      {{\[}}[1.38629,   1.38629]],
  // CHECK-NEXT: {{\[}}[1.38629,   1.38629]]]
  %so, %sl = call @sinks(%q, %k, %v, %s) : (tensor<2x1x2x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x1xf32>, tensor<1xf32>) -> (tensor<2x1x2x1xf32>, tensor<2x1x2xf32>)
  %sou = tensor.cast %so : tensor<2x1x2x1xf32> to tensor<*xf32>
  call @printMemrefF32(%sou) : (tensor<*xf32>) -> ()
  %slu = tensor.cast %sl : tensor<2x1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%slu) : (tensor<*xf32>) -> ()

  // CHECK:      [3],
  // CHECK-NEXT: [3]]],
  // CHECK-NEXT: [7.5],
  // CHECK-NEXT: [7.5]]]]
  %g = call @sigmoid(%q, %k, %v) : (tensor<2x1x2x2xf32>, tensor<2x1x3x2xf32>, tensor<2x1x3x1xf32>) -> tensor<2x1x2x1xf32>
  %gu = tensor.cast %g : tensor<2x1x2x1xf32> to tensor<*xf32>
  call @printMemrefF32(%gu) : (tensor<*xf32>) -> ()
  return
}
