// RUN: attn-opt %s --convert-attn-to-gpu --canonicalize --cse --split-input-file | FileCheck %s

/// Causal GQA (8 query heads on 2 key/value heads), bf16, D = 64: one block
/// of 128 threads per (64-row query tile, head, batch); K/V of head h / 4,
/// never copied; the results come from gpu.alloc on one stream.

// CHECK-LABEL: func.func @causal_gqa
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8x256x64xbf16>, %[[K:.+]]: tensor<2x2x256x64xbf16>, %[[V:.+]]: tensor<2x2x256x64xbf16>)
// CHECK-DAG: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK-DAG: %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG: %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
// CHECK-DAG: %[[SMEM:.+]] = arith.constant 46080 : i32
// CHECK: %[[T0:.+]] = gpu.wait async
// CHECK: %[[O:.+]], %[[T1:.+]] = gpu.alloc async [%[[T0]]] () : memref<2x8x256x64xbf16>
// CHECK: %[[T2:.+]] = gpu.launch_func async [%[[T1]]] @attn_kernels::@causal_gqa_attn_0 blocks in (%[[C4]], %[[C8]], %[[C2]]) threads in (%[[C128]], %{{.+}}, %{{.+}}) dynamic_shared_memory_size %[[SMEM]] args(%[[QB]] : memref<2x8x256x64xbf16>, %[[KB]] : memref<2x2x256x64xbf16>, %[[VB]] : memref<2x2x256x64xbf16>, %[[O]] : memref<2x8x256x64xbf16>)
// CHECK: gpu.wait [%[[T2]]]
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[O]] restrict writable
// CHECK: return %[[R]]

// CHECK: gpu.module @attn_kernels
// CHECK: gpu.func @causal_gqa_attn_0(%{{.+}}: memref<2x8x256x64xbf16>, %[[KA:.+]]: memref<2x2x256x64xbf16>, %{{.+}}: memref<2x2x256x64xbf16>, %{{.+}}: memref<2x8x256x64xbf16>) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK-DAG: %[[HQ:.+]] = gpu.block_id y
// CHECK-DAG: %[[BI:.+]] = gpu.block_id z
// CHECK-DAG: %[[HKV:.+]] = arith.divui %[[HQ]], %[[C4]]
/// Q | K0 K1 | V0 V1 in dynamic shared memory, rows padded to 72.
// CHECK: %[[DYN:.+]] = gpu.dynamic_shared_memory
// CHECK: %[[QS:.+]] = memref.view %[[DYN]][%{{.+}}][] {{.*}} to memref<64x72xbf16, #gpu.address_space<workgroup>>
// CHECK: %[[KS:.+]] = memref.view %[[DYN]][%{{.+}}][] {{.*}} to memref<2x64x72xbf16, #gpu.address_space<workgroup>>
// CHECK: %[[VS:.+]] = memref.view %[[DYN]][%{{.+}}][] {{.*}} to memref<2x64x72xbf16, #gpu.address_space<workgroup>>
/// Causal: the key range ends after the tile's last aligned row.
// CHECK: %[[HI:.+]] = arith.minsi %{{.+}}, %c256 : index
// CHECK: %[[THI:.+]] = arith.ceildivsi %[[HI]], %{{.+}} : index
// CHECK: %[[TEND:.+]] = arith.maxsi %[[THI]], %{{.+}} : index
/// Prologue: Q and the first K/V tile, zero-filled past the sequence.
// CHECK: nvgpu.device_async_copy %{{.+}}[%[[BI]], %[[HQ]], %{{.+}}, %{{.+}}], %[[QS]][%{{.+}}, %{{.+}}], 8, %{{.+}} {bypassL1}
// CHECK: nvgpu.device_async_copy %[[KA]][%[[BI]], %[[HKV]], %{{.+}}, %{{.+}}], %[[KS]][
// CHECK: %[[G:.+]] = nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait %[[G]] {numGroups = 0 : i32}
// CHECK: gpu.barrier
/// Q fragments, once: 4 k-steps of 16 for D = 64.
// CHECK-COUNT-4: nvgpu.ldmatrix %[[QS]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK: scf.for %[[T:.+]] = %{{.+}} to %[[TEND]] step
/// Prefetch of the next tile, then wait for the current one.
// CHECK: scf.if
// CHECK: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait %{{.+}} {numGroups = 1 : i32}
// CHECK: gpu.barrier
/// S = Q.K^T on tensor cores.
// CHECK: nvgpu.ldmatrix %[[KS]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK: nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
/// The mask only on tiles not proven full.
// CHECK: %[[FULL:.+]] = arith.andi
// CHECK: scf.if %[[FULL]] -> (f32, f32,
// CHECK: } else {
// CHECK: arith.cmpi sle
// CHECK: arith.select
/// Online softmax: quad reductions and exp2.
// CHECK: gpu.shuffle  xor %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK: llvm.inline_asm asm_dialect = att "ex2.approx.ftz.f32 $0, $1;", "=f,f"
/// P.V: V fragments through ldmatrix.trans, P from registers.
// CHECK: arith.truncf %{{.+}} : vector<2xf32> to vector<2xbf16>
// CHECK: nvgpu.ldmatrix %[[VS]][{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK: nvvm.mma.sync
// CHECK: gpu.barrier
// CHECK: scf.yield
/// Epilogue: O / l stored as pairs.
// CHECK: vector.store %{{.+}}, %{{.+}}[%[[BI]], %[[HQ]], %{{.+}}, %{{.+}}] : memref<2x8x256x64xbf16>, vector<2xbf16>
// CHECK: gpu.return
func.func @causal_gqa(%q: tensor<2x8x256x64xbf16>, %k: tensor<2x2x256x64xbf16>, %v: tensor<2x2x256x64xbf16>) -> tensor<2x8x256x64xbf16> {
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16>)
      {masks = [#attn.causal]} -> tensor<2x8x256x64xbf16>
  return %o : tensor<2x8x256x64xbf16>
}

// -----

/// Dense f16, D = 128, ragged lengths (100 queries, 200 keys), f32 output
/// and the log-sum-exp: 16-row-padded shared memory (136 elements per row),
/// stores guarded by the row bound, the lse written by one lane per quad.

// CHECK-LABEL: func.func @dense_f16_d128_lse
// CHECK-DAG: %[[SMEM:.+]] = arith.constant 87040 : i32
// CHECK: gpu.alloc async {{.*}} : memref<1x4x100x128xf32>
// CHECK: gpu.alloc async {{.*}} : memref<1x4x100xf32>
// CHECK: gpu.launch_func async {{.*}} @attn_kernels::@dense_f16_d128_lse_attn_0 {{.*}} dynamic_shared_memory_size %[[SMEM]]
// CHECK: gpu.func @dense_f16_d128_lse_attn_0(
// CHECK-SAME: memref<1x4x100x128xf32>, %[[LSE:.+]]: memref<1x4x100xf32>)
// CHECK: memref.view {{.*}} to memref<64x136xf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-8: nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false} : memref<64x136xf16
// CHECK: scf.for
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32)
/// No structured mask: only the last key tile (keys 192..255 of 200) is
/// partial, tested against the key count.
// CHECK: %[[FULL:.+]] = arith.cmpi sle, %{{.+}}, %{{.+}} : index
// CHECK: scf.if %[[FULL]]
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: %[[ROWOK:.+]] = arith.cmpi slt, %{{.+}}, %c100 : index
// CHECK: scf.if %[[ROWOK]]
// CHECK: vector.store %{{.+}} : memref<1x4x100x128xf32>, vector<2xf32>
// CHECK: llvm.inline_asm asm_dialect = att "lg2.approx.ftz.f32 $0, $1;"
// CHECK: memref.store %{{.+}}, %[[LSE]]
func.func @dense_f16_d128_lse(%q: tensor<1x4x100x128xf16>, %k: tensor<1x4x200x128xf16>, %v: tensor<1x4x200x128xf16>) -> (tensor<1x4x100x128xf32>, tensor<1x4x100xf32>) {
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x4x100x128xf16>, tensor<1x4x200x128xf16>, tensor<1x4x200x128xf16>)
      {scale = 0.1} -> tensor<1x4x100x128xf32>, tensor<1x4x100xf32>
  return %o, %lse : tensor<1x4x100x128xf32>, tensor<1x4x100xf32>
}

// -----

/// A sliding window bounds the key range on both sides.

// CHECK-LABEL: gpu.func @window_attn_0
// CHECK: %[[LO:.+]] = arith.maxsi
// CHECK: arith.divsi %[[LO]]
// CHECK: scf.for
func.func @window(%q: tensor<1x2x512x64xbf16>, %k: tensor<1x2x512x64xbf16>, %v: tensor<1x2x512x64xbf16>) -> tensor<1x2x512x64xbf16> {
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x512x64xbf16>, tensor<1x2x512x64xbf16>, tensor<1x2x512x64xbf16>)
      {masks = [#attn.sliding_window<left = 128, right = 0>]} -> tensor<1x2x512x64xbf16>
  return %o : tensor<1x2x512x64xbf16>
}
