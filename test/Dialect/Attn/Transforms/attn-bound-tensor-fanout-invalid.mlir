// RUN: attn-opt %s -attn-bound-tensor-fanout=max-uses=1 -verify-diagnostics

// expected-error @+1 {{attn-bound-tensor-fanout: max-uses must be at least 2, got 1}}
func.func @bad_option(%k: tensor<8xf32>) -> tensor<8xf32> {
  return %k : tensor<8xf32>
}
