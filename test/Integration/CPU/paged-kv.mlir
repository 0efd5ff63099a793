// RUN: attn-opt %s --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline=reference=true | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// Paged K/V through a shuffled table, page size 2, kv_lengths 5 (not a
/// multiple of the page size). With Q = K = 0 every kept score is equal, so
/// the output is the mean of the first 5 gathered values: pages 2, 0, 1 give
/// 30, 31, 10, 11, 20 -> 20.4; the last table slot (page 0) is past the
/// length and masked. Both layouts (NHD, HND) read the same numbers.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @nhd(%q: tensor<1x1x1x2xf32>, %k: tensor<3x2x1x2xf32>, %v: tensor<3x2x1x1xf32>,
               %t: tensor<1x4xi32>, %len: tensor<1xi32>) -> tensor<1x1x1x1xf32> {
  %init = tensor.empty() : tensor<1x1x1x1xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x1x2xf32>, tensor<3x2x1x2xf32>, tensor<3x2x1x1xf32>)
      kv_lengths(%len : tensor<1xi32>) page_table(%t : tensor<1x4xi32>)
      outs(%init : tensor<1x1x1x1xf32>) {kv_layout = #attn.kv_layout<paged_nhd>, masks = [#attn.causal]} -> tensor<1x1x1x1xf32>
  return %o : tensor<1x1x1x1xf32>
}

func.func @hnd(%q: tensor<1x1x1x2xf32>, %k: tensor<3x1x2x2xf32>, %v: tensor<3x1x2x1xf32>,
               %t: tensor<1x4xi64>, %len: tensor<1xi32>) -> tensor<1x1x1x1xf32> {
  %init = tensor.empty() : tensor<1x1x1x1xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x1x2xf32>, tensor<3x1x2x2xf32>, tensor<3x1x2x1xf32>)
      kv_lengths(%len : tensor<1xi32>) page_table(%t : tensor<1x4xi64>)
      outs(%init : tensor<1x1x1x1xf32>) {kv_layout = #attn.kv_layout<paged_hnd>} -> tensor<1x1x1x1xf32>
  return %o : tensor<1x1x1x1xf32>
}

func.func @main() {
  %q = arith.constant dense<0.0> : tensor<1x1x1x2xf32>
  %k = arith.constant dense<0.0> : tensor<3x2x1x2xf32>
  %v = arith.constant dense<[[[[10.0]], [[11.0]]], [[[20.0]], [[21.0]]], [[[30.0]], [[31.0]]]]> : tensor<3x2x1x1xf32>
  %kh = arith.constant dense<0.0> : tensor<3x1x2x2xf32>
  %vh = arith.constant dense<[[[[10.0], [11.0]]], [[[20.0], [21.0]]], [[[30.0], [31.0]]]]> : tensor<3x1x2x1xf32>
  %t = arith.constant dense<[[2, 0, 1, 0]]> : tensor<1x4xi32>
  %t64 = arith.constant dense<[[2, 0, 1, 0]]> : tensor<1x4xi64>
  %len = arith.constant dense<[5]> : tensor<1xi32>
  %o = func.call @nhd(%q, %k, %v, %t, %len) : (tensor<1x1x1x2xf32>, tensor<3x2x1x2xf32>, tensor<3x2x1x1xf32>, tensor<1x4xi32>, tensor<1xi32>) -> tensor<1x1x1x1xf32>
  %u = tensor.cast %o : tensor<1x1x1x1xf32> to tensor<*xf32>
  // CHECK: [20.4]
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  %oh = func.call @hnd(%q, %kh, %vh, %t64, %len) : (tensor<1x1x1x2xf32>, tensor<3x1x2x2xf32>, tensor<3x1x2x1xf32>, tensor<1x4xi64>, tensor<1xi32>) -> tensor<1x1x1x1xf32>
  %uh = tensor.cast %oh : tensor<1x1x1x1xf32> to tensor<*xf32>
  // CHECK: [20.4]
  call @printMemrefF32(%uh) : (tensor<*xf32>) -> ()
  return
}
