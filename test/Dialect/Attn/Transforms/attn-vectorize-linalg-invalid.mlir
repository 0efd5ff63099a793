// RUN: attn-opt %s -attn-vectorize-linalg="vector-size=0" -verify-diagnostics

/// Tile and vector sizes must be positive.
// expected-error @+1 {{attn-vectorize-linalg expects positive register-tile-m, register-tile-n and vector-size, got 8, 32 and 0}}
module {
  func.func @f(%a: tensor<8xf32>) -> tensor<8xf32> {
    return %a : tensor<8xf32>
  }
}
