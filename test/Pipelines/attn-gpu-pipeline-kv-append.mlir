// RUN: attn-opt %s --attn-gpu-pipeline -verify-diagnostics

/// The GPU pipeline does not lower attn.kv_append: it stops with a located
/// error at the op (and a non-zero exit), never a crash.
func.func @kv_append(%new: tensor<2x2x1x8xf32>, %pos: tensor<2xi32>, %t: tensor<2x4xi32>, %pool: tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32> {
  // expected-error @+1 {{op was not bufferized}}
  %r = attn.kv_append ins(%new : tensor<2x2x1x8xf32>) positions(%pos : tensor<2xi32>) page_table(%t : tensor<2x4xi32>)
      outs(%pool : tensor<8x4x2x8xf32>) -> tensor<8x4x2x8xf32>
  return %r : tensor<8x4x2x8xf32>
}
