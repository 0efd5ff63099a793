// RUN: attn-opt %s -attn-approximate-math | FileCheck %s

/// f32 exp, log and tanh become arithmetic (range reduction and
/// polynomials in math.fma, floor and bit casts, each a single
/// instruction) that LLVM vectorises; no transcendental op or libm call
/// remains.
// CHECK-LABEL: func @softmax_math
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK: arith.mulf
// CHECK: arith.bitcast
// CHECK: return
func.func @softmax_math(%x: f32) -> (f32, f32, f32) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  return %e, %l, %t : f32, f32, f32
}

/// Vectors are approximated lane-wise.
// CHECK-LABEL: func @vector_exp
// CHECK-NOT: math.exp
// CHECK: arith.bitcast %{{.+}} : vector<16xi32> to vector<16xf32>
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  return %e : vector<16xf32>
}

/// f64 has no approximation here and is left alone.
// CHECK-LABEL: func @negative_f64
// CHECK: math.exp %{{.+}} : f64
func.func @negative_f64(%x: f64) -> f64 {
  %e = math.exp %x : f64
  return %e : f64
}
