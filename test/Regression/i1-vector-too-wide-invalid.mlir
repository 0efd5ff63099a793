// RUN: attn-opt %s -split-input-file -attn-lower-i1-vector-memory -verify-diagnostics

/// Issue #17: a 2^32-lane i1 transfer made the mask materialisation abort
/// with "LLVM ERROR: SmallVector unable to grow". Accesses wider than 65536
/// lanes are rejected before any rewrite.
func.func @read_huge(%m: memref<?xi1>, %i: index) -> vector<4294967296xi1> {
  %false = arith.constant false
  // expected-error @+1 {{expects a vector access of i1 memory of at most 65536 lanes, got 'vector<4294967296xi1>'}}
  %v = vector.transfer_read %m[%i], %false : memref<?xi1>, vector<4294967296xi1>
  return %v : vector<4294967296xi1>
}

// -----

func.func @store_2d_huge(%m: memref<?x?xi1>, %v: vector<65536x2xi1>, %i: index) {
  // expected-error @+1 {{expects a vector access of i1 memory of at most 65536 lanes, got 'vector<65536x2xi1>'}}
  vector.store %v, %m[%i, %i] : memref<?x?xi1>, vector<65536x2xi1>
  return
}
