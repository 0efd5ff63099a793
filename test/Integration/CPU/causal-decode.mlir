// RUN: attn-opt %s --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// With Q = K = 0 every kept score is equal, so each output row is the mean
/// of the values it may see: the causal mask shows up directly in the
/// numbers. Decode (Lq = 1 < Lkv) is aligned to the bottom-right corner and
/// sees every key.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @causal(%q: tensor<1x1x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x1xf32>) -> tensor<1x1x3x1xf32> {
  %init124_0 = tensor.empty() : tensor<1x1x3x1xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x1xf32>)
      outs(%init124_0 : tensor<1x1x3x1xf32>) {masks = [#attn.causal]} -> tensor<1x1x3x1xf32>
  return %o : tensor<1x1x3x1xf32>
}

func.func @decode(%q: tensor<1x1x1x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x1xf32>) -> tensor<1x1x1x1xf32> {
  %init125_0 = tensor.empty() : tensor<1x1x1x1xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x1x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x1xf32>)
      outs(%init125_0 : tensor<1x1x1x1xf32>) {masks = [#attn.causal]} -> tensor<1x1x1x1xf32>
  return %o : tensor<1x1x1x1xf32>
}

func.func @main() {
  %q = arith.constant dense<0.0> : tensor<1x1x3x2xf32>
  %q1 = arith.constant dense<0.0> : tensor<1x1x1x2xf32>
  %k = arith.constant dense<0.0> : tensor<1x1x3x2xf32>
  %v = arith.constant dense<[[[[1.0], [2.0], [3.0]]]]> : tensor<1x1x3x1xf32>

  // CHECK: [1],
  // CHECK-NEXT: [1.5],
  // CHECK-NEXT: [2]
  %c = call @causal(%q, %k, %v) : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x1xf32>) -> tensor<1x1x3x1xf32>
  %cu = tensor.cast %c : tensor<1x1x3x1xf32> to tensor<*xf32>
  call @printMemrefF32(%cu) : (tensor<*xf32>) -> ()

  // CHECK: {{\[}}[{{\[}}[2]]]]
  %d = call @decode(%q1, %k, %v) : (tensor<1x1x1x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x1xf32>) -> tensor<1x1x1x1xf32>
  %du = tensor.cast %d : tensor<1x1x1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%du) : (tensor<*xf32>) -> ()
  return
}
