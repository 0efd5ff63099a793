// RUN: attn-opt %s -attn-tile="q-tile=-1 decode=false" -verify-diagnostics

// decode=false: the op's 8 query rows and Dv = 8 would take the decode path,
// whose tiles hold all Lq rows and do not use q-tile.

func.func @bad_tile(%q: tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> {
  %init41_0 = tensor.empty() : tensor<1x1x8x8xf32>
  // expected-error @+1 {{expects positive tile sizes, got q-tile = -1, kv-tile = 64}}
  %o = attn.attention ins(%q, %q, %q : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>)
      outs(%init41_0 : tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}
