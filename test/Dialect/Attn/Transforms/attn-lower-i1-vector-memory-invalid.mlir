// RUN: attn-opt %s -split-input-file -attn-lower-i1-vector-memory -verify-diagnostics

/// A 2-D transfer of i1 memory (convert-vector-to-scf splits those into
/// rows first): an error, not a bit-packed access.
func.func @two_d(%m: memref<4x32xi1>, %i: index) -> vector<4x32xi1> {
  %false = arith.constant false
  // expected-error @+1 {{cannot lower this vector access of i1 memory to bytes (needs a 0-D or 1-D vector along a unit-stride dimension)}}
  %v = vector.transfer_read %m[%i, %i], %false {in_bounds = [true, true]} : memref<4x32xi1>, vector<4x32xi1>
  return %v : vector<4x32xi1>
}

// -----

/// A row of a column-strided view cannot be one byte load.
func.func @strided_row(%m: memref<4x32xi1, strided<[1, 4]>>, %i: index) -> vector<32xi1> {
  %false = arith.constant false
  // expected-error @+1 {{cannot lower this vector access of i1 memory to bytes (needs a 0-D or 1-D vector along a unit-stride dimension)}}
  %v = vector.transfer_read %m[%i, %i], %false {in_bounds = [true]} : memref<4x32xi1, strided<[1, 4]>>, vector<32xi1>
  return %v : vector<32xi1>
}
