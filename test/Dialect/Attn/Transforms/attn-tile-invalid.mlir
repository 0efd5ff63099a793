// RUN: attn-opt %s -attn-tile="q-tile=-1" -verify-diagnostics -split-input-file
// RUN: attn-opt %s -attn-tile="q-tile=-1 decode=false" -verify-diagnostics -split-input-file

/// A negative request is an error on every path, also on the decode path
/// (the op's 8 query rows and Dv = 8), whose tiles hold all Lq rows and do
/// not use q-tile (0 picks the size).

func.func @bad_tile(%q: tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> {
  %init41_0 = tensor.empty() : tensor<1x1x8x8xf32>
  // expected-error @+1 {{expects positive tile sizes, got q-tile = -1, kv-tile = 0, kv-splits = 0}}
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>)
      outs(%init41_0 : tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}
