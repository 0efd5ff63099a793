// RUN: attn-opt %s --attn-cpu-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-cpu-bufferize | attn-opt --attn-cpu-lower-to-llvm | FileCheck %s
// RUN: attn-opt %s --attn-cpu-bufferize | FileCheck %s --check-prefix=TILED
// RUN: attn-opt %s --attn-cpu-bufferize=reference=true | FileCheck %s --check-prefix=REF
// RUN: attn-opt %s --attn-cpu-pipeline="parallel=false out-params=false c-interface=false" | FileCheck %s --check-prefix=PLAIN

/// The CPU pipeline ends in the LLVM dialect with C wrappers and an OpenMP
/// work-sharing loop over (batch, head, query tile); the two registered
/// stages replay it step by step.

// CHECK-NOT: linalg.
// CHECK-NOT: attn.
// CHECK: llvm.func @attention_causal(
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK-NOT: llvm.call @tanhf
// CHECK: llvm.func @_mlir_ciface_attention_causal(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr)

/// Default (tiled) first stage: O(L) memory. The only buffers are per-tile
/// (at most 128 query rows x 64 keys); no 512x512 score buffer exists. The
/// output became a trailing out-param.
// TILED-LABEL: func.func @attention_causal
// TILED-SAME: (%{{.+}}: memref<1x2x512x8xf32>, %{{.+}}: memref<1x1x512x8xf32>, %{{.+}}: memref<1x1x512x8xf32>, %{{.+}}: memref<2xf32>, %[[OUT:.+]]: memref<1x2x512x8xf32>)
// TILED: scf.forall (%{{.+}}, %{{.+}}) in (2, 4)
// TILED: scf.for
// TILED: memref.alloc(%{{.+}}) {{.*}} : memref<128x?xf32>
// TILED-NOT: memref<512x512xf32>
// TILED: return

/// Reference first stage: the score buffer is materialised, freed inside.
// REF-LABEL: func.func @attention_causal
// REF: %[[S:.+]] = memref.alloc() {{.*}} : memref<1x2x512x512xf32>
// REF: memref.dealloc %[[S]]
// REF: return

/// Sequential, without out-params and wrappers: the results stay results.
// PLAIN: llvm.func @attention_causal({{.*}}) -> !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// PLAIN-NOT: omp.
// PLAIN-NOT: _mlir_ciface_
func.func @attention_causal(%q: tensor<1x2x512x8xf32>, %k: tensor<1x1x512x8xf32>, %v: tensor<1x1x512x8xf32>,
                            %slopes: tensor<2xf32>) -> tensor<1x2x512x8xf32> {
  %init1_0 = tensor.empty() : tensor<1x2x512x8xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x512x8xf32>, tensor<1x1x512x8xf32>, tensor<1x1x512x8xf32>)
      outs(%init1_0 : tensor<1x2x512x8xf32>) {masks = [#attn.causal], softcap = 30.0} -> tensor<1x2x512x8xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<2xf32>
        %r = arith.addf %s, %slope : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x2x512x8xf32>
}
