// RUN: attn-opt %s --attn-cpu-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-cpu-bufferize | FileCheck %s --check-prefix=BUF
// RUN: attn-opt %s --attn-cpu-bufferize | attn-opt --attn-cpu-lower-to-llvm | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline="out-params=false c-interface=false" | FileCheck %s --check-prefix=PLAIN

/// The CPU pipeline ends in the LLVM dialect with C wrappers; the two
/// registered stages replay it step by step.

// CHECK-NOT: linalg.
// CHECK-NOT: attn.
// CHECK: llvm.func @attention_causal(
// CHECK: llvm.intr.tanh
// CHECK: llvm.func @_mlir_ciface_attention_causal(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr)

/// First stage: buffers, the output became a trailing out-param, the score
/// buffer is allocated and freed inside.
// BUF-LABEL: func.func @attention_causal
// BUF-SAME: (%{{.+}}: memref<1x2x5x8xf32>, %{{.+}}: memref<1x1x7x8xf32>, %{{.+}}: memref<1x1x7x8xf32>, %{{.+}}: memref<2xf32>, %[[OUT:.+]]: memref<1x2x5x8xf32>)
// BUF: %[[S:.+]] = memref.alloc() {{.*}} : memref<1x2x5x7xf32>
// BUF: memref.dealloc %[[S]]
// BUF: return
// BUF-NOT: memref<

/// Without out-params and wrappers the results stay results.
// PLAIN: llvm.func @attention_causal({{.*}}) -> !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// PLAIN-NOT: _mlir_ciface_
func.func @attention_causal(%q: tensor<1x2x5x8xf32>, %k: tensor<1x1x7x8xf32>, %v: tensor<1x1x7x8xf32>,
                            %slopes: tensor<2xf32>) -> tensor<1x2x5x8xf32> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x5x8xf32>, tensor<1x1x7x8xf32>, tensor<1x1x7x8xf32>)
      {masks = [#attn.causal], softcap = 30.0} -> tensor<1x2x5x8xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<2xf32>
        %r = arith.addf %s, %slope : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x2x5x8xf32>
}
