// RUN: attn-opt %s -attn-vectorize-linalg="vector-size=-1" -verify-diagnostics

/// Tile and vector sizes must be non-negative (0 is the target's).
// expected-error @+1 {{attn-vectorize-linalg expects non-negative register-tile-m, register-tile-n, vector-size and vector-bits, got 0, 0, -1 and 0}}
module {
  func.func @f(%a: tensor<8xf32>) -> tensor<8xf32> {
    return %a : tensor<8xf32>
  }
}
