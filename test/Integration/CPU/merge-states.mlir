// RUN: attn-opt %s --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// attn.merge_states on known states. Row 0 merges (O = [1, 2], sum 2) with
/// (O = [3, 4], sum 6): lse = log 8, O = (2 [1, 2] + 6 [3, 4]) / 8. Row 1
/// merges two empty states: (0, -inf), never NaN. Row 2 merges an empty
/// state with (O = [5, 6], lse = 0.5): that state unchanged. The same in
/// base 2, in the split-dimension form, and for unnormalised states.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @print2(%x: tensor<3x2xf32>) {
  %u = tensor.cast %x : tensor<3x2xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
func.func @print1(%x: tensor<3xf32>) {
  %u = tensor.cast %x : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  %o1 = arith.constant dense<[[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]]> : tensor<3x2xf32>
  %o2 = arith.constant dense<[[3.0, 4.0], [0.0, 0.0], [5.0, 6.0]]> : tensor<3x2xf32>
  // log 2, -inf, -inf and log 6, -inf, 0.5.
  %l1 = arith.constant dense<[0.693147182, 0xFF800000, 0xFF800000]> : tensor<3xf32>
  %l2 = arith.constant dense<[1.79175949, 0xFF800000, 0.5]> : tensor<3xf32>
  %eo = tensor.empty() : tensor<3x2xf32>
  %el = tensor.empty() : tensor<3xf32>

  // CHECK:      [2.5,   3.5],
  // CHECK-NEXT: [0,   0],
  // CHECK-NEXT: [5,   6]]
  // CHECK:      [2.07944,  -inf,  0.5]
  %o, %l = attn.merge_states values(%o1, %o2 : tensor<3x2xf32>, tensor<3x2xf32>) lses(%l1, %l2 : tensor<3xf32>, tensor<3xf32>)
      outs(%eo, %el : tensor<3x2xf32>, tensor<3xf32>) -> tensor<3x2xf32>, tensor<3xf32>
  call @print2(%o) : (tensor<3x2xf32>) -> ()
  call @print1(%l) : (tensor<3xf32>) -> ()

  // Base 2: log2 2 = 1, log2 6; merged log2 8 = 3.
  // CHECK:      [2.5,   3.5],
  // CHECK-NEXT: [0,   0],
  // CHECK-NEXT: [5,   6]]
  // CHECK:      [3,  -inf,  0.5]
  %b1 = arith.constant dense<[1.0, 0xFF800000, 0xFF800000]> : tensor<3xf32>
  %b2 = arith.constant dense<[2.58496261, 0xFF800000, 0.5]> : tensor<3xf32>
  %ob, %lb = attn.merge_states values(%o1, %o2 : tensor<3x2xf32>, tensor<3x2xf32>) lses(%b1, %b2 : tensor<3xf32>, tensor<3xf32>)
      outs(%eo, %el : tensor<3x2xf32>, tensor<3xf32>) {base = #attn.lse_base<two>} -> tensor<3x2xf32>, tensor<3xf32>
  call @print2(%ob) : (tensor<3x2xf32>) -> ()
  call @print1(%lb) : (tensor<3xf32>) -> ()

  // Split-dimension form: the two states stacked along dimension 1.
  // CHECK:      [2.5,   3.5],
  // CHECK-NEXT: [0,   0],
  // CHECK-NEXT: [5,   6]]
  // CHECK:      [2.07944,  -inf,  0.5]
  %so = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [5.0, 6.0]]]> : tensor<3x2x2xf32>
  %sl = arith.constant dense<[[0.693147182, 1.79175949], [0xFF800000, 0xFF800000], [0xFF800000, 0.5]]> : tensor<3x2xf32>
  %os, %ls = attn.merge_states values(%so : tensor<3x2x2xf32>) lses(%sl : tensor<3x2xf32>)
      outs(%eo, %el : tensor<3x2xf32>, tensor<3xf32>) {dimension = 1} -> tensor<3x2xf32>, tensor<3xf32>
  call @print2(%os) : (tensor<3x2xf32>) -> ()
  call @print1(%ls) : (tensor<3xf32>) -> ()

  // Unnormalised: (acc = [2, 4], max 0, sum 2) and (acc = [1, 1], max 1,
  // sum 1) give max 1, acc = e^-1 [2, 4] + [1, 1], sum = 2 e^-1 + 1; two
  // empty states give (0, -inf, 0).
  // CHECK:      [1.73576,   2.47152],
  // CHECK-NEXT: [0,   0],
  // CHECK:      [1,  -inf,  1]
  // CHECK:      [1.73576,  0,  1]
  %a1 = arith.constant dense<[[2.0, 4.0], [0.0, 0.0], [0.0, 0.0]]> : tensor<3x2xf32>
  %a2 = arith.constant dense<[[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]> : tensor<3x2xf32>
  %m1 = arith.constant dense<[0.0, 0xFF800000, 0xFF800000]> : tensor<3xf32>
  %m2 = arith.constant dense<[1.0, 0xFF800000, 1.0]> : tensor<3xf32>
  %s1 = arith.constant dense<[2.0, 0.0, 0.0]> : tensor<3xf32>
  %s2 = arith.constant dense<[1.0, 0.0, 1.0]> : tensor<3xf32>
  %acc, %max, %sum = attn.merge_states values(%a1, %a2 : tensor<3x2xf32>, tensor<3x2xf32>) lses(%m1, %m2 : tensor<3xf32>, tensor<3xf32>)
      sums(%s1, %s2 : tensor<3xf32>, tensor<3xf32>)
      outs(%eo, %el, %el : tensor<3x2xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3x2xf32>, tensor<3xf32>, tensor<3xf32>
  call @print2(%acc) : (tensor<3x2xf32>) -> ()
  call @print1(%max) : (tensor<3xf32>) -> ()
  call @print1(%sum) : (tensor<3xf32>) -> ()
  return
}
