// RUN: attn-opt %s --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline=reference=true | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline=parallel=false | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// Statically zero-sized dims compile and run (issue #17): an empty batch,
/// query-head or query axis or value head dim gives an empty output; no
/// keys gives 0 (log-sum-exp -inf), like a row whose keys are all masked;
/// Dqk = 0 makes every score 0, so the output is the mean of V.
/// (printMemrefF32 prints the elements of an empty buffer as if its sizes
/// were 1, so only the sizes of empty results are checked.)

func.func private @printMemrefF32(tensor<*xf32>)

func.func @attn(%q: tensor<0x2x3x4xf32>, %k: tensor<0x1x5x4xf32>, %v: tensor<0x1x5x4xf32>) -> tensor<0x2x3x4xf32> {
  %init9_0 = tensor.empty() : tensor<0x2x3x4xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<0x2x3x4xf32>, tensor<0x1x5x4xf32>, tensor<0x1x5x4xf32>) outs(%init9_0 : tensor<0x2x3x4xf32>) -> tensor<0x2x3x4xf32>
  return %o : tensor<0x2x3x4xf32>
}
func.func @heads(%q: tensor<1x0x3x4xf32>, %k: tensor<1x1x5x4xf32>, %v: tensor<1x1x5x4xf32>) -> tensor<1x0x3x4xf32> {
  %init10_0 = tensor.empty() : tensor<1x0x3x4xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x0x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>) outs(%init10_0 : tensor<1x0x3x4xf32>) -> tensor<1x0x3x4xf32>
  return %o : tensor<1x0x3x4xf32>
}
func.func @noq(%q: tensor<1x1x0x4xf32>, %k: tensor<1x1x5x4xf32>, %v: tensor<1x1x5x4xf32>) -> (tensor<1x1x0x4xf32>, tensor<1x1x0xf32>) {
  %init11_0 = tensor.empty() : tensor<1x1x0x4xf32>
  %init11_1 = tensor.empty() : tensor<1x1x0xf32>
  %o, %l = attn.attention ins(%q, %k, %v : tensor<1x1x0x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>) outs(%init11_0, %init11_1 : tensor<1x1x0x4xf32>, tensor<1x1x0xf32>) -> tensor<1x1x0x4xf32>, tensor<1x1x0xf32>
  return %o, %l : tensor<1x1x0x4xf32>, tensor<1x1x0xf32>
}
func.func @nokv(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x0x4xf32>, %v: tensor<1x1x0x3xf32>) -> (tensor<1x1x2x3xf32>, tensor<1x1x2xf32>) {
  %init12_0 = tensor.empty() : tensor<1x1x2x3xf32>
  %init12_1 = tensor.empty() : tensor<1x1x2xf32>
  %o, %l = attn.attention ins(%q, %k, %v : tensor<1x1x2x4xf32>, tensor<1x1x0x4xf32>, tensor<1x1x0x3xf32>) outs(%init12_0, %init12_1 : tensor<1x1x2x3xf32>, tensor<1x1x2xf32>) -> tensor<1x1x2x3xf32>, tensor<1x1x2xf32>
  return %o, %l : tensor<1x1x2x3xf32>, tensor<1x1x2xf32>
}
func.func @nodv(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x3x4xf32>, %v: tensor<1x1x3x0xf32>) -> tensor<1x1x2x0xf32> {
  %init13_0 = tensor.empty() : tensor<1x1x2x0xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x2x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x0xf32>) outs(%init13_0 : tensor<1x1x2x0xf32>) -> tensor<1x1x2x0xf32>
  return %o : tensor<1x1x2x0xf32>
}
func.func @nod(%q: tensor<1x1x2x0xf32>, %k: tensor<1x1x3x0xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x1x2x2xf32> {
  %init14_0 = tensor.empty() : tensor<1x1x2x2xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x2x0xf32>, tensor<1x1x3x0xf32>, tensor<1x1x3x2xf32>) outs(%init14_0 : tensor<1x1x2x2xf32>) {scale = 1.0} -> tensor<1x1x2x2xf32>
  return %o : tensor<1x1x2x2xf32>
}
func.func @main() {
  %q0 = tensor.empty() : tensor<0x2x3x4xf32>
  %k0 = tensor.empty() : tensor<0x1x5x4xf32>
  %o0 = call @attn(%q0, %k0, %k0) : (tensor<0x2x3x4xf32>, tensor<0x1x5x4xf32>, tensor<0x1x5x4xf32>) -> tensor<0x2x3x4xf32>
  %u0 = tensor.cast %o0 : tensor<0x2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u0) : (tensor<*xf32>) -> ()
  %q1 = tensor.empty() : tensor<1x0x3x4xf32>
  %k1 = arith.constant dense<1.0> : tensor<1x1x5x4xf32>
  %o1 = call @heads(%q1, %k1, %k1) : (tensor<1x0x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>) -> tensor<1x0x3x4xf32>
  %u1 = tensor.cast %o1 : tensor<1x0x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  %q2 = tensor.empty() : tensor<1x1x0x4xf32>
  %o2, %l2 = call @noq(%q2, %k1, %k1) : (tensor<1x1x0x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x4xf32>) -> (tensor<1x1x0x4xf32>, tensor<1x1x0xf32>)
  %u2 = tensor.cast %o2 : tensor<1x1x0x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  %q3 = arith.constant dense<1.0> : tensor<1x1x2x4xf32>
  %k3 = tensor.empty() : tensor<1x1x0x4xf32>
  %v3 = tensor.empty() : tensor<1x1x0x3xf32>
  %o3, %l3 = call @nokv(%q3, %k3, %v3) : (tensor<1x1x2x4xf32>, tensor<1x1x0x4xf32>, tensor<1x1x0x3xf32>) -> (tensor<1x1x2x3xf32>, tensor<1x1x2xf32>)
  %u3 = tensor.cast %o3 : tensor<1x1x2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  %ul3 = tensor.cast %l3 : tensor<1x1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%ul3) : (tensor<*xf32>) -> ()
  %k4 = arith.constant dense<1.0> : tensor<1x1x3x4xf32>
  %v4 = tensor.empty() : tensor<1x1x3x0xf32>
  %o4 = call @nodv(%q3, %k4, %v4) : (tensor<1x1x2x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x0xf32>) -> tensor<1x1x2x0xf32>
  %u4 = tensor.cast %o4 : tensor<1x1x2x0xf32> to tensor<*xf32>
  call @printMemrefF32(%u4) : (tensor<*xf32>) -> ()
  %q5 = tensor.empty() : tensor<1x1x2x0xf32>
  %k5 = tensor.empty() : tensor<1x1x3x0xf32>
  %v5 = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]]> : tensor<1x1x3x2xf32>
  %o5 = call @nod(%q5, %k5, %v5) : (tensor<1x1x2x0xf32>, tensor<1x1x3x0xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x2x2xf32>
  %u5 = tensor.cast %o5 : tensor<1x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%u5) : (tensor<*xf32>) -> ()
  return
}

// CHECK: sizes = [0, 2, 3, 4]
// CHECK: sizes = [1, 0, 3, 4]
// CHECK: sizes = [1, 1, 0, 4]
// CHECK: sizes = [1, 1, 2, 3]
// CHECK-NEXT: {{\[\[\[\[}}0, 0, 0],
// CHECK-NEXT: [0, 0, 0]]]]
// CHECK: sizes = [1, 1, 2]
// CHECK-NEXT: {{\[\[\[}}-inf, -inf]]]
// CHECK: sizes = [1, 1, 2, 0]
// CHECK: sizes = [1, 1, 2, 2]
// CHECK-NEXT: {{\[\[\[\[}}3, 4],
// CHECK-NEXT: [3, 4]]]]
