// RUN: attn-opt %s -split-input-file -attn-lower-i1-vector-memory | FileCheck %s

/// An in-bounds read of i1 memory: a byte vector loaded from the element's
/// address (one byte per element) and truncated to i1 lanes, never a load
/// of vector<32xi1> (bit-packed).
// CHECK-LABEL: func.func @read_in_bounds
//  CHECK-SAME: (%[[M:.+]]: memref<64xi1>, %[[I:.+]]: index)
//   CHECK-DAG:   %[[D:.+]] = builtin.unrealized_conversion_cast %[[M]] : memref<64xi1> to !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
//   CHECK-DAG:   %[[II:.+]] = builtin.unrealized_conversion_cast %[[I]] : index to i64
//       CHECK:   %[[BASE:.+]] = llvm.extractvalue %[[D]][1]
//       CHECK:   %[[P:.+]] = llvm.getelementptr %[[BASE]][%[[II]]] : (!llvm.ptr, i64) -> !llvm.ptr, i1
//       CHECK:   %[[BYTES:.+]] = llvm.load %[[P]] {alignment = 1 : i64} : !llvm.ptr -> vector<32xi8>
//       CHECK:   %[[V:.+]] = llvm.trunc %[[BYTES]] : vector<32xi8> to vector<32xi1>
//       CHECK:   return %[[V]] : vector<32xi1>
func.func @read_in_bounds(%m: memref<64xi1>, %i: index) -> vector<32xi1> {
  %false = arith.constant false
  %v = vector.transfer_read %m[%i], %false {in_bounds = [true]} : memref<64xi1>, vector<32xi1>
  return %v : vector<32xi1>
}

// -----

/// A read that may run past the end: a masked byte load whose padding lanes
/// are the padding value extended to a byte.
// CHECK-LABEL: func.func @read_out_of_bounds
//       CHECK:   %[[MASK:.+]] = arith.cmpi sgt, %{{.+}}, %{{.+}} : vector<32xi64>
//       CHECK:   %[[PAD:.+]] = llvm.zext %{{.+}} : vector<32xi1> to vector<32xi8>
//       CHECK:   %[[BYTES:.+]] = llvm.intr.masked.load %{{.+}}, %[[MASK]], %[[PAD]] {alignment = 1 : i32} : (!llvm.ptr, vector<32xi1>, vector<32xi8>) -> vector<32xi8>
//       CHECK:   llvm.trunc %[[BYTES]] : vector<32xi8> to vector<32xi1>
func.func @read_out_of_bounds(%m: memref<?xi1>, %i: index) -> vector<32xi1> {
  %false = arith.constant false
  %v = vector.transfer_read %m[%i], %false : memref<?xi1>, vector<32xi1>
  return %v : vector<32xi1>
}

// -----

/// A read of a strided view (a row of a subview): the GEP applies the
/// strides in elements, i.e. bytes.
// CHECK-LABEL: func.func @read_strided_row
//       CHECK:   llvm.mul %{{.+}}, %{{.+}} : i64
//       CHECK:   llvm.getelementptr %{{.+}}[%{{.+}}] : (!llvm.ptr, i64) -> !llvm.ptr, i1
//       CHECK:   llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> vector<16xi8>
func.func @read_strided_row(%m: memref<8x?xi1, strided<[?, 1], offset: ?>>, %i: index, %j: index) -> vector<16xi1> {
  %false = arith.constant false
  %v = vector.transfer_read %m[%i, %j], %false {in_bounds = [true]} : memref<8x?xi1, strided<[?, 1], offset: ?>>, vector<16xi1>
  return %v : vector<16xi1>
}

// -----

/// Writes: the lanes extended to bytes, stored (masked when the transfer
/// may run past the end).
// CHECK-LABEL: func.func @writes
//       CHECK:   %[[B:.+]] = llvm.zext %{{.+}} : vector<32xi1> to vector<32xi8>
//       CHECK:   llvm.store %[[B]], %{{.+}} {alignment = 1 : i64} : vector<32xi8>, !llvm.ptr
//       CHECK:   %[[B2:.+]] = llvm.zext %{{.+}} : vector<32xi1> to vector<32xi8>
//       CHECK:   llvm.intr.masked.store %[[B2]], %{{.+}}, %{{.+}} {alignment = 1 : i32} : vector<32xi8>, vector<32xi1> into !llvm.ptr
//   CHECK-NOT:   vector.
func.func @writes(%m: memref<?xi1>, %i: index, %v: vector<32xi1>) {
  vector.transfer_write %v, %m[%i] {in_bounds = [true]} : vector<32xi1>, memref<?xi1>
  vector.transfer_write %v, %m[%i] : vector<32xi1>, memref<?xi1>
  return
}

// -----

/// Explicit masked loads and stores of i1 memory.
// CHECK-LABEL: func.func @masked
//       CHECK:   llvm.intr.masked.load %{{.+}} : (!llvm.ptr, vector<16xi1>, vector<16xi8>) -> vector<16xi8>
//       CHECK:   llvm.intr.masked.store %{{.+}} : vector<16xi8>, vector<16xi1> into !llvm.ptr
func.func @masked(%m: memref<64xi1>, %i: index, %mask: vector<16xi1>, %pass: vector<16xi1>) {
  %v = vector.maskedload %m[%i], %mask, %pass : memref<64xi1>, vector<16xi1>, vector<16xi1> into vector<16xi1>
  vector.maskedstore %m[%i], %mask, %v : memref<64xi1>, vector<16xi1>, vector<16xi1>
  return
}

// -----

/// Other element types, i1 vectors that are no memory access and scalar
/// i1 loads are left to the upstream lowering.
// CHECK-LABEL: func.func @untouched
//       CHECK:   vector.transfer_read %{{.+}} : memref<64xf32>, vector<32xf32>
//       CHECK:   memref.load %{{.+}} : memref<64xi1>
//       CHECK:   vector.broadcast %{{.+}} : i1 to vector<8xi1>
//   CHECK-NOT:   llvm.
func.func @untouched(%f: memref<64xf32>, %m: memref<64xi1>, %i: index) -> (vector<32xf32>, vector<8xi1>) {
  %zero = arith.constant 0.0 : f32
  %v = vector.transfer_read %f[%i], %zero {in_bounds = [true]} : memref<64xf32>, vector<32xf32>
  %b = memref.load %m[%i] : memref<64xi1>
  %s = vector.broadcast %b : i1 to vector<8xi1>
  return %v, %s : vector<32xf32>, vector<8xi1>
}

// -----

/// A 0-D read (a broadcast mask element): one byte, as a 1-lane vector.
// CHECK-LABEL: func.func @read_0d
//       CHECK:   %[[B:.+]] = llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> vector<1xi8>
//       CHECK:   llvm.trunc %[[B]] : vector<1xi8> to vector<1xi1>
func.func @read_0d(%m: memref<4x1xi1>, %i: index) -> vector<i1> {
  %false = arith.constant false
  %c0 = arith.constant 0 : index
  %v = vector.transfer_read %m[%i, %c0], %false : memref<4x1xi1>, vector<i1>
  return %v : vector<i1>
}
