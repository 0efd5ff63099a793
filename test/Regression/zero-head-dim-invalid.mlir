// RUN: attn-opt %s -verify-diagnostics

/// Dqk = 0 is valid with an explicit scale (every score is 0); the default
/// scale 1/sqrt(Dqk) would be infinite and make every score NaN.
func.func @no_scale(%q: tensor<1x1x2x0xf32>, %k: tensor<1x1x3x0xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x1x2x2xf32> {
  %init5_0 = tensor.empty() : tensor<1x1x2x2xf32>
  // expected-error @+1 {{'attn.attention' op expects an explicit scale when the query/key head dimension is 0}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x2x0xf32>, tensor<1x1x3x0xf32>, tensor<1x1x3x2xf32>) outs(%init5_0 : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %o : tensor<1x1x2x2xf32>
}
