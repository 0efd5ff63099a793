// RUN: attn-opt %s -attn-register-block-contractions="vector-bits=-1" -verify-diagnostics

/// The vector width must be non-negative (0 is the host's).
// expected-error @+1 {{attn-register-block-contractions expects non-negative vector-bits, got -1}}
module {
  func.func @f(%a: tensor<8xf32>) -> tensor<8xf32> {
    return %a : tensor<8xf32>
  }
}
