// RUN: attn-opt %s --attn-cpu-pipeline=reference=true | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// Every form: chunks of 3 (L = 4: a padded last chunk), one token per step.
// RUN: attn-opt %s --attn-cpu-pipeline="linear-form=chunked linear-chunk=3" | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline="linear-form=recurrent parallel=false" | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// attn.linear_attention on known values: q = k = 1 (Dk = 1), v = [1, 2, 3,
/// 4], scale 1. Causal: the prefix sums. With the per-head log-decay
/// log(1/2): S_t = S_{t-1} / 2 + v_t. Non-causal: the total. Packed
/// sequences [0, 0, 1, 1]: the state resets at token 2. An initial state 10
/// and the final state.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @print(%x: tensor<1x1x4x1xf32>) {
  %u = tensor.cast %x : tensor<1x1x4x1xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  %q = arith.constant dense<1.0> : tensor<1x1x4x1xf32>
  %v = arith.constant dense<[[[[1.0], [2.0], [3.0], [4.0]]]]> : tensor<1x1x4x1xf32>
  %g = arith.constant dense<-0.693147182> : tensor<1xf32>
  %seg = arith.constant dense<[[0, 0, 1, 1]]> : tensor<1x4xi32>
  %s0 = arith.constant dense<10.0> : tensor<1x1x1x1xf32>
  %e = tensor.empty() : tensor<1x1x4x1xf32>
  %es = tensor.empty() : tensor<1x1x1x1xf32>

  // CHECK: [1],
  // CHECK-NEXT: [3],
  // CHECK-NEXT: [6],
  // CHECK-NEXT: [10]
  %o1 = attn.linear_attention ins(%q, %q, %v : tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>)
      outs(%e : tensor<1x1x4x1xf32>) {causal, scale = 1.0} -> tensor<1x1x4x1xf32>
  call @print(%o1) : (tensor<1x1x4x1xf32>) -> ()

  // CHECK: [1],
  // CHECK-NEXT: [2.5],
  // CHECK-NEXT: [4.25],
  // CHECK-NEXT: [6.125]
  %o2 = attn.linear_attention ins(%q, %q, %v : tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>)
      log_decay(%g : tensor<1xf32>) outs(%e : tensor<1x1x4x1xf32>) {causal, scale = 1.0} -> tensor<1x1x4x1xf32>
  call @print(%o2) : (tensor<1x1x4x1xf32>) -> ()

  // CHECK: [10],
  // CHECK-NEXT: [10],
  // CHECK-NEXT: [10],
  // CHECK-NEXT: [10]
  %o3 = attn.linear_attention ins(%q, %q, %v : tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>)
      outs(%e : tensor<1x1x4x1xf32>) {scale = 1.0} -> tensor<1x1x4x1xf32>
  call @print(%o3) : (tensor<1x1x4x1xf32>) -> ()

  // Initial state 10 for the first sequence only; the final state is that
  // of the last sequence (3 + 4).
  // CHECK: [11],
  // CHECK-NEXT: [13],
  // CHECK-NEXT: [3],
  // CHECK-NEXT: [7]
  // CHECK: [7]
  %o4, %s4 = attn.linear_attention ins(%q, %q, %v : tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>)
      segment_ids(%seg : tensor<1x4xi32>) initial_state(%s0 : tensor<1x1x1x1xf32>)
      outs(%e, %es : tensor<1x1x4x1xf32>, tensor<1x1x1x1xf32>) {causal, scale = 1.0}
      -> tensor<1x1x4x1xf32>, tensor<1x1x1x1xf32>
  call @print(%o4) : (tensor<1x1x4x1xf32>) -> ()
  %u = tensor.cast %s4 : tensor<1x1x1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()

  // The state cache as the final-state destination: 10 + 1 + 2 + 3 + 4.
  // CHECK: [20]
  %o5, %s5 = attn.linear_attention ins(%q, %q, %v : tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>, tensor<1x1x4x1xf32>)
      initial_state(%s0 : tensor<1x1x1x1xf32>)
      outs(%e, %s0 : tensor<1x1x4x1xf32>, tensor<1x1x1x1xf32>) {causal, scale = 1.0}
      -> tensor<1x1x4x1xf32>, tensor<1x1x1x1xf32>
  %u5 = tensor.cast %s5 : tensor<1x1x1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%u5) : (tensor<*xf32>) -> ()
  return
}
