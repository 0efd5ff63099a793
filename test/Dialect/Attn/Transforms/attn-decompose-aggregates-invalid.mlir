// RUN: attn-opt %s -attn-decompose-aggregates -verify-diagnostics

/// The upstream expansions build tensors: after bufferization the pass
/// reports the op instead of crashing.
func.func @softmax_on_buffers(%s: memref<2x8xf32>, %p: memref<2x8xf32>) {
  // expected-error @+1 {{'linalg.softmax' op has buffer operands: decompose aggregated ops before bufferization}}
  linalg.softmax dimension(1) ins(%s : memref<2x8xf32>) outs(%p : memref<2x8xf32>)
  return
}
