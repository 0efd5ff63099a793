// RUN: attn-opt %s -split-input-file -attn-split-deallocs=max-memrefs=2 | FileCheck %s

/// Five memrefs of four distinct allocations (one also through a subview), one
/// retained value: groups of at most two memrefs, the views of one
/// allocation together, each part with the whole retained list, and the
/// retained value's updated condition the `or` of the parts'.
// CHECK-LABEL: func @split
// CHECK-SAME:    (%[[C:.+]]: i1, %[[R:.+]]: memref<8xf32>)
// CHECK:         %[[A:.+]] = memref.alloc() : memref<8xf32>
// CHECK:         %[[B:.+]] = memref.alloc() : memref<8xf32>
// CHECK:         %[[S:.+]] = memref.subview %[[B]]
// CHECK:         %[[D:.+]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[E:.+]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[U0:.+]] = bufferization.dealloc (%[[A]] : memref<8xf32>) if (%[[C]]) retain (%[[R]] : memref<8xf32>)
// CHECK-NEXT:    %[[U1:.+]] = bufferization.dealloc (%[[B]], %[[S]] : memref<8xf32>, memref<4xf32, strided<[1], offset: 2>>) if (%[[C]], %[[C]]) retain (%[[R]] : memref<8xf32>)
// CHECK-NEXT:    %[[O1:.+]] = arith.ori %[[U0]], %[[U1]] : i1
// CHECK-NEXT:    %[[U2:.+]] = bufferization.dealloc (%[[D]], %[[E]] : memref<4xf32>, memref<4xf32>) if (%[[C]], %[[C]]) retain (%[[R]] : memref<8xf32>)
// CHECK-NEXT:    %[[O2:.+]] = arith.ori %[[O1]], %[[U2]] : i1
// CHECK-NEXT:    return %[[O2]] : i1
func.func @split(%c: i1, %r: memref<8xf32>) -> i1 {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  %s = memref.subview %b[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  %d = memref.alloc() : memref<4xf32>
  %e = memref.alloc() : memref<4xf32>
  %u = bufferization.dealloc (%a, %b, %s, %d, %e : memref<8xf32>, memref<8xf32>, memref<4xf32, strided<[1], offset: 2>>, memref<4xf32>, memref<4xf32>) if (%c, %c, %c, %c, %c) retain (%r : memref<8xf32>)
  return %u : i1
}

// -----

/// A memref of unknown origin (a function argument may alias any of the
/// allocations) keeps the dealloc whole; so does a dealloc of at most
/// max-memrefs memrefs.
// CHECK-LABEL: func @negative_unknown_origin
// CHECK:         bufferization.dealloc (%{{.+}}, %{{.+}}, %{{.+}} :
// CHECK-NOT:     bufferization.dealloc
// CHECK:         bufferization.dealloc (%{{.+}}, %{{.+}} :
// CHECK-NOT:     bufferization.dealloc
// CHECK:         return
func.func @negative_unknown_origin(%c: i1, %m: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  bufferization.dealloc (%a, %b, %m : memref<8xf32>, memref<8xf32>, memref<8xf32>) if (%c, %c, %c)
  %x = memref.alloc() : memref<8xf32>
  %y = memref.alloc() : memref<8xf32>
  bufferization.dealloc (%x, %y : memref<8xf32>, memref<8xf32>) if (%c, %c)
  return
}
