// RUN: attn-opt %s -split-input-file -attn-tile | FileCheck %s
// RUN: attn-opt %s -split-input-file -attn-decompose | FileCheck %s

/// Issue #17: a static zero batch or query-head dim divided by zero in the
/// split-KV heuristic of -attn-tile (SIGFPE), and Hq = 0 built an affine
/// `floordiv 0` in the decomposition. An empty output is an empty tensor.

// CHECK-LABEL: func.func @zero_batch
//   CHECK-NOT:   attn.attention
//       CHECK:   %[[E:.+]] = tensor.empty() : tensor<0x4x16x64xf32>
//       CHECK:   return %[[E]]
func.func @zero_batch(%q: tensor<0x4x16x64xf32>, %k: tensor<0x4x16x64xf32>, %v: tensor<0x4x16x64xf32>) -> tensor<0x4x16x64xf32> {
  %init6_0 = tensor.empty() : tensor<0x4x16x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<0x4x16x64xf32>, tensor<0x4x16x64xf32>, tensor<0x4x16x64xf32>) outs(%init6_0 : tensor<0x4x16x64xf32>) -> tensor<0x4x16x64xf32>
  return %o : tensor<0x4x16x64xf32>
}

// -----

// CHECK-LABEL: func.func @zero_heads_lse
//   CHECK-NOT:   attn.attention
//   CHECK-DAG:   tensor.empty() : tensor<2x0x16x64xf32>
//   CHECK-DAG:   tensor.empty() : tensor<2x0x16xf32>
func.func @zero_heads_lse(%q: tensor<2x0x16x64xf32>, %k: tensor<2x1x16x64xf32>, %v: tensor<2x1x16x64xf32>) -> (tensor<2x0x16x64xf32>, tensor<2x0x16xf32>) {
  %init7_0 = tensor.empty() : tensor<2x0x16x64xf32>
  %init7_1 = tensor.empty() : tensor<2x0x16xf32>
  %o, %l = attn.attention ins(%q, %k, %v : tensor<2x0x16x64xf32>, tensor<2x1x16x64xf32>, tensor<2x1x16x64xf32>) outs(%init7_0, %init7_1 : tensor<2x0x16x64xf32>, tensor<2x0x16xf32>) -> tensor<2x0x16x64xf32>, tensor<2x0x16xf32>
  return %o, %l : tensor<2x0x16x64xf32>, tensor<2x0x16xf32>
}

// -----

/// A dynamic batch beside a zero query length: the empty result keeps the
/// batch of the query.
// CHECK-LABEL: func.func @zero_lq_dynamic_batch
//  CHECK-SAME:   (%[[Q:.+]]: tensor<?x2x0x8xf16>
//       CHECK:   %[[B:.+]] = tensor.dim %[[Q]], %{{.+}} : tensor<?x2x0x8xf16>
//       CHECK:   tensor.empty(%[[B]]) : tensor<?x2x0x8xf16>
func.func @zero_lq_dynamic_batch(%q: tensor<?x2x0x8xf16>, %k: tensor<?x2x5x8xf16>, %v: tensor<?x2x5x8xf16>) -> tensor<?x2x0x8xf16> {
  %mc8_0 = arith.constant 0 : index
  %md8_0_0 = tensor.dim %q, %mc8_0 : tensor<?x2x0x8xf16>
  %init8_0 = tensor.empty(%md8_0_0) : tensor<?x2x0x8xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<?x2x0x8xf16>, tensor<?x2x5x8xf16>, tensor<?x2x5x8xf16>) outs(%init8_0 : tensor<?x2x0x8xf16>) -> tensor<?x2x0x8xf16>
  return %o : tensor<?x2x0x8xf16>
}
