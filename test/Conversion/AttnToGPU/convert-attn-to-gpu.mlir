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
  %init141_0 = tensor.empty() : tensor<2x8x256x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16>)
      outs(%init141_0 : tensor<2x8x256x64xbf16>) {masks = [#attn.causal]} -> tensor<2x8x256x64xbf16>
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
  %init142_0 = tensor.empty() : tensor<1x4x100x128xf32>
  %init142_1 = tensor.empty() : tensor<1x4x100xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x4x100x128xf16>, tensor<1x4x200x128xf16>, tensor<1x4x200x128xf16>)
      outs(%init142_0, %init142_1 : tensor<1x4x100x128xf32>, tensor<1x4x100xf32>) {scale = 0.1} -> tensor<1x4x100x128xf32>, tensor<1x4x100xf32>
  return %o, %lse : tensor<1x4x100x128xf32>, tensor<1x4x100xf32>
}

// -----

/// A sliding window bounds the key range on both sides.

// CHECK-LABEL: gpu.func @window_attn_0
// CHECK: %[[LO:.+]] = arith.maxsi
// CHECK: arith.divsi %[[LO]]
// CHECK: scf.for
func.func @window(%q: tensor<1x2x512x64xbf16>, %k: tensor<1x2x512x64xbf16>, %v: tensor<1x2x512x64xbf16>) -> tensor<1x2x512x64xbf16> {
  %init143_0 = tensor.empty() : tensor<1x2x512x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x512x64xbf16>, tensor<1x2x512x64xbf16>, tensor<1x2x512x64xbf16>)
      outs(%init143_0 : tensor<1x2x512x64xbf16>) {masks = [#attn.sliding_window<left = 128, right = 0>]} -> tensor<1x2x512x64xbf16>
  return %o : tensor<1x2x512x64xbf16>
}

// -----

/// ALiBi (score_mod reading captured slopes) with a softcap: the slopes
/// become a kernel argument read with memref.load, the score follows
/// buildScore on the natural scale (scale, softcap as 1 - 2 / (2^(x 2 log2(e)
/// / cap) + 1) with ex2/rcp.approx, then the bias) and only then takes the
/// log2(e) factor; the modifier runs on full tiles too.

// CHECK-LABEL: func.func @alibi_softcap
// CHECK-SAME: %[[SL:[^:]+]]: tensor<4xf32>)
// CHECK: %[[SLB:.+]] = bufferization.to_buffer %[[SL]] read_only
// CHECK: gpu.launch_func {{.*}} args({{.*}}, %[[SLB]] : memref<4xf32>)
// CHECK: gpu.func @alibi_softcap_attn_0(
// CHECK-SAME: %[[SLA:[^:]+]]: memref<4xf32>)
// CHECK-NOT: math.tanh
// CHECK-DAG: %[[LOG2E:.+]] = arith.constant 1.44269502 : f32
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[CAP:.+]] = arith.constant 5.000000e+01 : f32
// CHECK-DAG: %[[F:.+]] = arith.constant 5.770780e-02 : f32
// CHECK: scf.for
// CHECK: nvvm.mma.sync
// CHECK: %[[S:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: %[[Y:.+]] = arith.mulf %[[S]], %[[F]] : f32
// CHECK: %[[E:.+]] = llvm.inline_asm {{.*}}"ex2.approx.ftz.f32 $0, $1;", "=f,f" %[[Y]]
// CHECK: %[[E1:.+]] = arith.addf %[[E]]
// CHECK: %[[R:.+]] = llvm.inline_asm {{.*}}"rcp.approx.ftz.f32 $0, $1;", "=f,f" %[[E1]]
// CHECK: %[[TANH:.+]] = arith.subf
// CHECK: %[[CAPPED:.+]] = arith.mulf %[[TANH]], %[[CAP]] : f32
// CHECK: %[[SLOPE:.+]] = memref.load %[[SLA]][%{{.+}}] : memref<4xf32>
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: %[[BIAS:.+]] = arith.mulf %[[SLOPE]]
// CHECK: %[[MOD:.+]] = arith.addf %[[CAPPED]], %[[BIAS]] : f32
// CHECK: arith.mulf %[[MOD]], %[[LOG2E]] : f32
/// The causal mask still only on tiles not proven full.
// CHECK: scf.if %{{.+}} -> (f32,
// CHECK: } else {
// CHECK: arith.cmpi sle
// CHECK: gpu.return
func.func @alibi_softcap(%q: tensor<1x4x128x64xbf16>, %k: tensor<1x4x128x64xbf16>, %v: tensor<1x4x128x64xbf16>, %slopes: tensor<4xf32>) -> tensor<1x4x128x64xbf16> {
  %init144_0 = tensor.empty() : tensor<1x4x128x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x128x64xbf16>, tensor<1x4x128x64xbf16>, tensor<1x4x128x64xbf16>)
      outs(%init144_0 : tensor<1x4x128x64xbf16>) {masks = [#attn.causal], softcap = 50.0} -> tensor<1x4x128x64xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %slope, %df : f32
        %r = arith.addf %s, %bias : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x4x128x64xbf16>
}

// -----

/// Document mask: the segment ids are kernel arguments; the query tile's
/// id range is computed once, each key tile's range when the tile would be
/// prefetched (two loads per lane and five xor shuffles each for min and
/// max). A tile whose range misses the query tile's is neither copied nor
/// computed (the loop carries the decision and the state passes through);
/// every other tile compares ids per score (no full-tile branch).

// CHECK-LABEL: gpu.func @document_attn_0(
// CHECK-SAME: %[[QSA:[^:]+]]: memref<2x256xi32>, %[[KSA:[^:]+]]: memref<2x256xi32>)
// CHECK: memref.load %[[QSA]]
// CHECK: memref.load %[[QSA]]
// CHECK: gpu.shuffle  xor %{{.+}}, %c16_i32, %c32_i32 : i32
// CHECK: %[[QLO:.+]] = arith.minsi %{{.+}}, %{{.+}} : i32
// CHECK: gpu.shuffle  xor %{{.+}}, %c16_i32, %c32_i32 : i32
// CHECK: %[[QHI:.+]] = arith.maxsi %{{.+}}, %{{.+}} : i32
// CHECK: memref.load %[[KSA]]
// CHECK: %[[A0:.+]] = arith.cmpi sle, %{{.+}}, %[[QHI]] : i32
// CHECK: %[[B0:.+]] = arith.cmpi sle, %[[QLO]], %{{.+}} : i32
// CHECK: %[[KEEP0:.+]] = arith.andi %[[A0]], %[[B0]] : i1
// CHECK: scf.if %[[KEEP0]] {
// CHECK-COUNT-8: nvgpu.device_async_copy
// CHECK: }
// CHECK: scf.for %{{.+}} = {{.*}} iter_args({{.*}}, %[[KEEP:.+]] = %[[KEEP0]]) -> (f32,
// CHECK: %[[KEEPN:.+]] = scf.if %{{.+}} -> (i1) {
// CHECK: memref.load %[[KSA]]
// CHECK: memref.load %[[KSA]]
// CHECK: gpu.shuffle  xor %{{.+}}, %c16_i32, %c32_i32 : i32
// CHECK: %[[KLO:.+]] = arith.minsi %{{.+}}, %{{.+}} : i32
// CHECK: gpu.shuffle  xor %{{.+}}, %c16_i32, %c32_i32 : i32
// CHECK: %[[KHI:.+]] = arith.maxsi %{{.+}}, %{{.+}} : i32
// CHECK: %[[A:.+]] = arith.cmpi sle, %[[KLO]], %[[QHI]] : i32
// CHECK: %[[B:.+]] = arith.cmpi sle, %[[QLO]], %[[KHI]] : i32
// CHECK: %[[MEETS:.+]] = arith.andi %[[A]], %[[B]] : i1
// CHECK: scf.yield %[[MEETS]] : i1
// CHECK: } else {
// CHECK: scf.yield %false : i1
// CHECK: scf.if %[[KEEPN]] {
// CHECK-COUNT-8: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_wait %{{.+}} {numGroups = 1 : i32}
// CHECK: gpu.barrier
// CHECK: %[[ST:.+]]:36 = scf.if %[[KEEP]] -> (f32,
// CHECK-NOT: scf.if
// CHECK: nvvm.mma.sync
// CHECK: %[[KID:.+]] = memref.load %[[KSA]]
// CHECK: %[[SAME:.+]] = arith.cmpi eq, %{{.+}}, %[[KID]] : i32
// CHECK: arith.select %[[SAME]]
// CHECK: } else {
// CHECK: scf.yield
// CHECK: gpu.barrier
// CHECK: scf.yield %[[ST]]#0, {{.*}}, %[[KEEPN]] :
func.func @document(%q: tensor<2x2x256x64xf16>, %k: tensor<2x2x256x64xf16>, %v: tensor<2x2x256x64xf16>, %qs: tensor<2x256xi32>, %ks: tensor<2x256xi32>) -> tensor<2x2x256x64xf16> {
  %init145_0 = tensor.empty() : tensor<2x2x256x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x2x256x64xf16>, tensor<2x2x256x64xf16>, tensor<2x2x256x64xf16>)
      segment_ids(%qs, %ks : tensor<2x256xi32>, tensor<2x256xi32>) outs(%init145_0 : tensor<2x2x256x64xf16>) -> tensor<2x2x256x64xf16>
  return %o : tensor<2x2x256x64xf16>
}

// -----

/// Sinks: the per-head sink (times log2(e)) starts the running max, and l
/// starts at 1 in the first lane of each quad (0 for a -inf sink).

// CHECK-LABEL: gpu.func @sinks_attn_0(
// CHECK-SAME: %[[SKA:[^:]+]]: memref<4xf32>)
// CHECK: %[[HQ:.+]] = gpu.block_id y
// CHECK: %[[SINK:.+]] = memref.load %[[SKA]][%[[HQ]]] : memref<4xf32>
// CHECK: %[[SL2:.+]] = arith.mulf %[[SINK]], %{{.+}} : f32
// CHECK: %[[NEGINF:.+]] = arith.cmpf oeq, %[[SL2]]
// CHECK: %[[ONE:.+]] = arith.select %[[NEGINF]]
// CHECK: %[[L0:.+]] = arith.select %{{.+}}, %[[ONE]]
// CHECK: scf.for {{.*}} iter_args({{.*}}, %{{.+}} = %[[SL2]], %{{.+}} = %[[SL2]], %{{.+}} = %[[L0]], %{{.+}} = %[[L0]])
func.func @sinks(%q: tensor<1x4x64x64xbf16>, %k: tensor<1x4x64x64xbf16>, %v: tensor<1x4x64x64xbf16>, %sinks: tensor<4xf32>) -> tensor<1x4x64x64xbf16> {
  %init146_0 = tensor.empty() : tensor<1x4x64x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x64x64xbf16>, tensor<1x4x64x64xbf16>, tensor<1x4x64x64xbf16>)
      sinks(%sinks : tensor<4xf32>) outs(%init146_0 : tensor<1x4x64x64xbf16>) {masks = [#attn.causal]} -> tensor<1x4x64x64xbf16>
  return %o : tensor<1x4x64x64xbf16>
}

// -----

/// mask_mod: no tile is proven full, the region's predicate (with its
/// captured constant cloned into the kernel) joins the keep condition.

// CHECK-LABEL: gpu.func @mask_mod_attn_0(
// CHECK: scf.for
// CHECK-NOT: scf.if %{{.+}} -> (f32
// CHECK: nvvm.mma.sync
// CHECK: %[[R:.+]] = arith.remsi %{{.+}}, %c7 : index
// CHECK: %[[KEEP:.+]] = arith.cmpi ne, %[[R]], %c0 : index
// CHECK: arith.select %[[KEEP]]
func.func @mask_mod(%q: tensor<1x1x128x64xbf16>, %k: tensor<1x1x128x64xbf16>, %v: tensor<1x1x128x64xbf16>) -> tensor<1x1x128x64xbf16> {
  %c7 = arith.constant 7 : index
  %init147_0 = tensor.empty() : tensor<1x1x128x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x128x64xbf16>, tensor<1x1x128x64xbf16>, tensor<1x1x128x64xbf16>) outs(%init147_0 : tensor<1x1x128x64xbf16>) -> tensor<1x1x128x64xbf16>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c0 = arith.constant 0 : index
        %r = arith.remsi %j, %c7 : index
        %keep = arith.cmpi ne, %r, %c0 : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x1x128x64xbf16>
}

// -----

/// Lengths: q_lengths and kv_lengths are kernel arguments after O; the key
/// range ends at min(kv_lengths[b], Lkv), the causal alignment uses
/// kv_len - q_len, a query tile at or past q_len gets an empty key range,
/// and a tile is full only if it ends within both lengths; the masked
/// branch checks key < kv end and row < q_len.

// CHECK-LABEL: gpu.func @lengths_attn_0(
// CHECK-SAME: %[[QLA:[^:]+]]: memref<2xi32>, %[[KLA:[^:]+]]: memref<2xi64>)
// CHECK: %[[BZ:.+]] = gpu.block_id z
// CHECK: %[[QL:.+]] = memref.load %[[QLA]][%[[BZ]]] : memref<2xi32>
// CHECK: %[[QLEN:.+]] = arith.index_cast %[[QL]] : i32 to index
// CHECK: %[[KL:.+]] = memref.load %[[KLA]][%[[BZ]]] : memref<2xi64>
// CHECK: %[[KLEN:.+]] = arith.index_cast %[[KL]] : i64 to index
// CHECK: %[[KEND:.+]] = arith.minsi %[[KLEN]], %c192 : index
// CHECK: %[[OFF:.+]] = arith.subi %[[KLEN]], %[[QLEN]] : index
// CHECK-DAG: %[[HI:.+]] = arith.minsi %[[KEND]], %{{.+}} : index
// CHECK-DAG: %[[ANY:.+]] = arith.cmpi slt, %[[Q0:.+]], %[[QLEN]] : index
// CHECK: %[[HI2:.+]] = arith.select %[[ANY]], %[[HI]], %c0 : index
// CHECK: %[[THI:.+]] = arith.ceildivsi %[[HI2]], %c64 : index
// CHECK: scf.for
// CHECK: %[[F1:.+]] = arith.cmpi sle, %{{.+}}, %[[KEND]] : index
// CHECK: %[[F2:.+]] = arith.cmpi sle, %{{.+}}, %[[QLEN]] : index
// CHECK: arith.andi %[[F1]], %[[F2]] : i1
// CHECK: } else {
// CHECK: arith.cmpi slt, %{{.+}}, %[[KEND]] : index
// CHECK: arith.cmpi slt, %{{.+}}, %[[QLEN]] : index
func.func @lengths(%q: tensor<2x2x128x64xbf16>, %k: tensor<2x1x192x64xbf16>, %v: tensor<2x1x192x64xbf16>, %ql: tensor<2xi32>, %kl: tensor<2xi64>) -> tensor<2x2x128x64xbf16> {
  %init148_0 = tensor.empty() : tensor<2x2x128x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x2x128x64xbf16>, tensor<2x1x192x64xbf16>, tensor<2x1x192x64xbf16>)
      q_lengths(%ql : tensor<2xi32>) kv_lengths(%kl : tensor<2xi64>) outs(%init148_0 : tensor<2x2x128x64xbf16>) {masks = [#attn.causal]} -> tensor<2x2x128x64xbf16>
  return %o : tensor<2x2x128x64xbf16>
}

// -----

/// Boolean mask tensor: the mask is the kernel argument after O; each
/// thread reads the mask of its 32 scores of a key tile (broadcast dims
/// read index 0) when the tile would be prefetched, packs them into an i32
/// and the block ORs/ANDs them with reducing barriers: a tile that keeps
/// nothing is neither copied nor computed, a tile kept whole takes the
/// mask-free branch, others test their bits.

// CHECK-LABEL: gpu.func @bool_mask_attn_0(
// CHECK-SAME: %[[MA:[^:]+]]: memref<2x1x128x128xi1>)
// CHECK: memref.load %[[MA]][%{{.+}}, %c0, %{{.+}}, %{{.+}}] : memref<2x1x128x128xi1>
// CHECK: arith.shli %{{.+}}, %c1_i32 : i32
// CHECK: %[[ANY:.+]] = nvvm.barrier #nvvm.reduction<or> %{{.+}} -> i32
// CHECK: %[[KEEP0:.+]] = arith.cmpi ne, %[[ANY]], %c0_i32 : i32
// CHECK: %[[ALL:.+]] = nvvm.barrier #nvvm.reduction<and> %{{.+}} -> i32
// CHECK: scf.if %[[KEEP0]] {
// CHECK-COUNT-8: nvgpu.device_async_copy
// CHECK: scf.for {{.*}} iter_args({{.*}}, %[[KEEP:[^ ]+]] = %[[KEEP0]], %[[BITS:[^ ]+]] = %{{.+}}, %[[FULL:[^ ]+]] = %{{.+}}) -> (f32,
// CHECK: %[[NEXT:.+]]:3 = scf.if %{{.+}} -> (i1, i32, i1) {
// CHECK: nvvm.barrier #nvvm.reduction<or>
// CHECK: nvvm.barrier #nvvm.reduction<and>
// CHECK: } else {
// CHECK: scf.if %[[NEXT]]#0 {
// CHECK-COUNT-8: nvgpu.device_async_copy
// CHECK: scf.if %[[KEEP]] -> (f32,
// CHECK: %[[ISFULL:.+]] = arith.andi %{{.+}}, %[[FULL]] : i1
// CHECK: scf.if %[[ISFULL]] -> (f32,
// CHECK: } else {
// CHECK: %[[B0:.+]] = arith.andi %[[BITS]], %c1_i32 : i32
// CHECK: %[[K0:.+]] = arith.cmpi ne, %[[B0]], %c0_i32 : i32
// CHECK: arith.select %[[K0]]
// CHECK: arith.shrui %[[BITS]], %c1_i32 : i32
// CHECK: scf.yield {{.*}}, %[[NEXT]]#0, %[[NEXT]]#1, %[[NEXT]]#2 :
func.func @bool_mask(%q: tensor<2x2x128x64xbf16>, %k: tensor<2x2x128x64xbf16>, %v: tensor<2x2x128x64xbf16>, %m: tensor<2x1x128x128xi1>) -> tensor<2x2x128x64xbf16> {
  %init149_0 = tensor.empty() : tensor<2x2x128x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16>)
      mask(%m : tensor<2x1x128x128xi1>) outs(%init149_0 : tensor<2x2x128x64xbf16>) -> tensor<2x2x128x64xbf16>
  return %o : tensor<2x2x128x64xbf16>
}

// -----

/// Additive (float) mask: every tile adds the mask value of each score
/// (read with the broadcast indices) through the shared score builder; no
/// tile is classified.

// CHECK-LABEL: gpu.func @float_mask_attn_0(
// CHECK-SAME: %[[FA:[^:]+]]: memref<64x128xf32>)
// CHECK-NOT: nvvm.barrier
// CHECK: scf.for
// CHECK: %[[MV:.+]] = memref.load %[[FA]][%{{.+}}, %{{.+}}] : memref<64x128xf32>
// CHECK: arith.addf %{{.+}}, %[[MV]] : f32
func.func @float_mask(%q: tensor<1x2x64x64xf16>, %k: tensor<1x2x128x64xf16>, %v: tensor<1x2x128x64xf16>, %m: tensor<64x128xf32>) -> tensor<1x2x64x64xf16> {
  %init150_0 = tensor.empty() : tensor<1x2x64x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xf16>, tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>)
      mask(%m : tensor<64x128xf32>) outs(%init150_0 : tensor<1x2x64x64xf16>) -> tensor<1x2x64x64xf16>
  return %o : tensor<1x2x64x64xf16>
}

// -----

/// The general (SIMT) kernel takes what the tensor cores do not: here f32
/// inputs with Dqk = 192 != Dv = 128 (MLA-style), causal GQA with lse. One
/// block of 128 threads per (16 query rows, head, batch); K/V tiles of 32
/// keys in dynamic shared memory (32 * (192 + 128) * 4 = 40960 bytes).

// CHECK-LABEL: func.func @general_f32_mla
// CHECK-DAG: %[[C3:.+]] = arith.constant 3 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[SMEM:.+]] = arith.constant 40960 : i32
// CHECK: gpu.launch_func async [%{{.+}}] @attn_kernels::@general_f32_mla_attn_0 blocks in (%[[C3]], %[[C4]], %[[C1]]) threads in (%{{.+}}, %{{.+}}, %{{.+}}) dynamic_shared_memory_size %[[SMEM]] args(%{{.+}} : memref<1x4x40x192xf32>, %{{.+}} : memref<1x2x64x192xf32>, %{{.+}} : memref<1x2x64x128xf32>, %{{.+}} : memref<1x4x40x128xf32>, %{{.+}} : memref<1x4x40xf32>)

// CHECK-LABEL: gpu.func @general_f32_mla_attn_0(
// CHECK-SAME: %[[QA:[^:]+]]: memref<1x4x40x192xf32>, %[[KA:[^:]+]]: memref<1x2x64x192xf32>, %[[VA:[^:]+]]: memref<1x2x64x128xf32>, %[[OA:[^:]+]]: memref<1x4x40x128xf32>, %[[LA:[^:]+]]: memref<1x4x40xf32>)
// CHECK-NOT: nvvm.mma.sync
// CHECK-DAG: %[[LANE:.+]] = arith.remui %{{.+}}, %c32 : index
// CHECK-DAG: %[[HQ:.+]] = gpu.block_id y
// CHECK-DAG: %[[HKV:.+]] = arith.divui %[[HQ]], %c2 : index
// CHECK: %[[KS:.+]] = memref.view %{{.+}}[%c0][] {{.*}} to memref<32x192xf32, #gpu.address_space<workgroup>>
// CHECK: %[[VS:.+]] = memref.view %{{.+}}[%c24576][] {{.*}} to memref<32x128xf32, #gpu.address_space<workgroup>>
/// Causal: the key range ends after the block's last aligned row.
// CHECK: arith.ceildivsi
/// The rows of the warp in registers: 6 columns of 32 per row, 4 rows.
// CHECK-COUNT-24: memref.load %[[QA]]
// CHECK: scf.for
/// K and V tiles staged by all threads.
// CHECK: scf.for
// CHECK: memref.load %[[KA]][%{{.+}}, %[[HKV]],
// CHECK: memref.store %{{.+}}, %[[KS]]
// CHECK: scf.for
// CHECK: memref.load %[[VA]][%{{.+}}, %[[HKV]],
// CHECK: memref.store %{{.+}}, %[[VS]]
// CHECK: gpu.barrier
/// Lane-partial dots reduced over the warp; lane j keeps key j's.
// CHECK: scf.for %[[J:.+]] = %c0 to %c32 step %c1 iter_args(
// CHECK-COUNT-6: memref.load %[[KS]][%[[J]],
// CHECK: %[[MINE:.+]] = arith.cmpi eq, %[[LANE]], %[[J]] : index
// CHECK: gpu.shuffle  xor %{{.+}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor %{{.+}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.select %[[MINE]]
/// The causal predicate only on tiles not proven full.
// CHECK: %[[FULL:.+]] = arith.andi
// CHECK: scf.if %[[FULL]] -> (f32, f32, f32, f32) {
// CHECK-NOT: arith.cmpi
// CHECK: } else {
// CHECK: arith.cmpi sle
/// Online softmax in base 2 with ex2.approx; row max over the warp.
// CHECK: gpu.shuffle  xor
// CHECK: arith.maximumf
// CHECK: llvm.inline_asm asm_dialect = att "ex2.approx.ftz.f32 $0, $1;"
/// P.V: p of key j from lane j, 4 columns of 32 of V per row.
// CHECK: scf.for %[[J2:.+]] = %c0 to %c32 step %c1 iter_args(
// CHECK-COUNT-4: memref.load %[[VS]][%[[J2]],
// CHECK: %[[SRC:.+]] = arith.index_cast %[[J2]] : index to i32
// CHECK: gpu.shuffle  idx %{{.+}}, %[[SRC]], %c32_i32 : f32
// CHECK: gpu.barrier
/// Epilogue: l summed over the warp, rows past Lq = 40 not stored, lse by
/// lane 0.
// CHECK: arith.cmpi slt, %{{.+}}, %c40 : index
// CHECK: memref.store %{{.+}}, %[[OA]]
// CHECK: llvm.inline_asm asm_dialect = att "lg2.approx.ftz.f32 $0, $1;"
// CHECK: arith.cmpi eq, %[[LANE]], %c0 : index
// CHECK: memref.store %{{.+}}, %[[LA]]
// CHECK: gpu.return
func.func @general_f32_mla(%q: tensor<1x4x40x192xf32>, %k: tensor<1x2x64x192xf32>, %v: tensor<1x2x64x128xf32>) -> (tensor<1x4x40x128xf32>, tensor<1x4x40xf32>) {
  %init151_0 = tensor.empty() : tensor<1x4x40x128xf32>
  %init151_1 = tensor.empty() : tensor<1x4x40xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x4x40x192xf32>, tensor<1x2x64x192xf32>, tensor<1x2x64x128xf32>) outs(%init151_0, %init151_1 : tensor<1x4x40x128xf32>, tensor<1x4x40xf32>) {masks = [#attn.causal]} -> tensor<1x4x40x128xf32>, tensor<1x4x40xf32>
  return %o, %lse : tensor<1x4x40x128xf32>, tensor<1x4x40xf32>
}

// -----

/// A boolean mask broadcast over heads, q_lengths and kv_lengths (bf16,
/// D = 80, which the tensor cores do not take): the mask and
/// the lengths are kernel arguments after O; the key loop stops at
/// min(kv_lengths[b], Lkv); every score keeps mask[b, 0, i, j] and
/// i < q_lengths[b], j < kv_lengths[b].

// CHECK-LABEL: func.func @general_mask_lengths
// CHECK: gpu.launch_func {{.*}} args(%{{.+}} : memref<2x2x30x80xbf16>, %{{.+}} : memref<2x2x50x80xbf16>, %{{.+}} : memref<2x2x50x80xbf16>, %{{.+}} : memref<2x2x30x80xbf16>, %{{.+}} : memref<2x1x30x50xi1>, %{{.+}} : memref<2xi32>, %{{.+}} : memref<2xi64>)
// CHECK-LABEL: gpu.func @general_mask_lengths_attn_0(
// CHECK-SAME: %[[MA:[^:]+]]: memref<2x1x30x50xi1>, %[[QLA:[^:]+]]: memref<2xi32>, %[[KLA:[^:]+]]: memref<2xi64>)
// CHECK-DAG: %[[BI:.+]] = gpu.block_id z
// CHECK: %[[QL:.+]] = memref.load %[[QLA]][%[[BI]]] : memref<2xi32>
// CHECK: %[[QLI:.+]] = arith.index_cast %[[QL]] : i32 to index
// CHECK: %[[KL:.+]] = memref.load %[[KLA]][%[[BI]]] : memref<2xi64>
// CHECK: %[[KLI:.+]] = arith.index_cast %[[KL]] : i64 to index
// CHECK: %[[HI:.+]] = arith.minsi %[[KLI]], %c50 : index
// CHECK: %[[TEND:.+]] = arith.ceildivsi %[[HI]], %c32 : index
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(
// CHECK: %[[M0:.+]] = memref.load %[[MA]][%[[BI]], %c0, %{{.+}}, %{{.+}}] : memref<2x1x30x50xi1>
// CHECK: scf.if
// CHECK: %[[QOK:.+]] = arith.cmpi slt, %{{.+}}, %[[QLI]] : index
// CHECK: %[[K1:.+]] = arith.andi %[[M0]], %[[QOK]] : i1
// CHECK: %[[KVOK:.+]] = arith.cmpi slt, %{{.+}}, %[[KLI]] : index
// CHECK: arith.andi %[[K1]], %[[KVOK]] : i1
// CHECK: gpu.shuffle  idx
/// bf16 output: one rounding at the store.
// CHECK: arith.truncf %{{.+}} : f32 to bf16
func.func @general_mask_lengths(%q: tensor<2x2x30x80xbf16>, %k: tensor<2x2x50x80xbf16>, %v: tensor<2x2x50x80xbf16>, %m: tensor<2x1x30x50xi1>, %ql: tensor<2xi32>, %kl: tensor<2xi64>) -> tensor<2x2x30x80xbf16> {
  %init152_0 = tensor.empty() : tensor<2x2x30x80xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x2x30x80xbf16>, tensor<2x2x50x80xbf16>, tensor<2x2x50x80xbf16>) mask(%m : tensor<2x1x30x50xi1>) q_lengths(%ql : tensor<2xi32>) kv_lengths(%kl : tensor<2xi64>) outs(%init152_0 : tensor<2x2x30x80xbf16>) -> tensor<2x2x30x80xbf16>
  return %o : tensor<2x2x30x80xbf16>
}

// -----

/// Dynamic Lq and Lkv, general kernel (f32 inputs): the host reads both lengths with
/// tensor.dim, allocates O with Lq rows, launches ceil(Lq / 16) blocks and
/// passes every dynamically shaped buffer as a flat memref<1 x elt> handle
/// (bare pointers need static memrefs) followed by Lq and Lkv; the kernel
/// gives the handles their row-major shapes back.

// CHECK-LABEL: func.func @general_dynamic
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x?x64xf32>, %[[K:.+]]: tensor<1x2x?x64xf32>, %[[V:.+]]: tensor<1x2x?x64xf32>)
// CHECK-DAG: %[[LQ:.+]] = tensor.dim %[[Q]], %c2 : tensor<1x4x?x64xf32>
// CHECK-DAG: %[[LKV:.+]] = tensor.dim %[[K]], %c2 : tensor<1x2x?x64xf32>
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<1x4x?x64xf32> to memref<1x4x?x64xf32>
// CHECK: %[[QH:.+]] = memref.reinterpret_cast %[[QB]] to offset: [0], sizes: [1], strides: [1] : memref<1x4x?x64xf32> to memref<1xf32>
// CHECK: %[[O:.+]], %{{.+}} = gpu.alloc async [%{{.+}}] (%[[LQ]]) : memref<1x4x?x64xf32>
// CHECK: %[[OH:.+]] = memref.reinterpret_cast %[[O]] to offset: [0], sizes: [1], strides: [1] : memref<1x4x?x64xf32> to memref<1xf32>
// CHECK: %[[NB:.+]] = arith.ceildivui %[[LQ]], %c16 : index
/// At least one block (a grid of 0 blocks is a launch error).
// CHECK: %[[GX:.+]] = arith.maxui %[[NB]], %c1 : index
// CHECK: gpu.launch_func async [%{{.+}}] @attn_kernels::@general_dynamic_attn_0 blocks in (%[[GX]], %c4, %c1) {{.*}} args(%[[QH]] : memref<1xf32>, %{{.+}} : memref<1xf32>, %{{.+}} : memref<1xf32>, %[[OH]] : memref<1xf32>, %[[LQ]] : index, %[[LKV]] : index)
// CHECK: bufferization.to_tensor %[[O]]

// CHECK-LABEL: gpu.func @general_dynamic_attn_0(
// CHECK-SAME: %[[QA:[^:]+]]: memref<1xf32>, %{{[^:]+}}: memref<1xf32>, %{{[^:]+}}: memref<1xf32>, %{{[^:]+}}: memref<1xf32>, %[[LQA:[^:]+]]: index, %[[LKVA:[^:]+]]: index)
/// Lq = 0: the one block launched does nothing.
// CHECK: %[[NE:.+]] = arith.cmpi sgt, %[[LQA]], %c0 : index
// CHECK: scf.if %[[NE]] {
// CHECK-DAG: %[[S2:.+]] = arith.muli %[[LQA]], %c64 : index
// CHECK-DAG: %[[S1:.+]] = arith.muli %[[LQA]], %c256 : index
// CHECK: %[[QS:.+]] = memref.reinterpret_cast %[[QA]] to offset: [0], sizes: [1, 4, %[[LQA]], 64], strides: [%[[S1]], %[[S2]], 64, 1] : memref<1xf32> to memref<1x4x?x64xf32>
/// Causal alignment Lkv - Lq and the clamps use the arguments.
// CHECK: arith.subi %[[LKVA]], %[[LQA]] : index
// CHECK: arith.subi %[[LQA]], %c1 : index
// CHECK: memref.load %[[QS]]
/// Every tile may be partial: the key bound is tested on the masked path.
// CHECK: scf.if
// CHECK: } else {
// CHECK: arith.cmpi slt, %{{.+}}, %[[LKVA]] : index
/// Rows at or past Lq are not stored.
// CHECK: arith.cmpi slt, %{{.+}}, %[[LQA]] : index
func.func @general_dynamic(%q: tensor<1x4x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>) -> tensor<1x4x?x64xf32> {
  %mc153_2 = arith.constant 2 : index
  %md153_0_2 = tensor.dim %q, %mc153_2 : tensor<1x4x?x64xf32>
  %init153_0 = tensor.empty(%md153_0_2) : tensor<1x4x?x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) outs(%init153_0 : tensor<1x4x?x64xf32>) {masks = [#attn.causal]} -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}

// -----

/// Dynamic Lq and Lkv on the tensor-core kernel (bf16, D = 64): the same
/// flat handles and trailing Lq, Lkv arguments as the general kernel, a grid
/// of ceil(Lq / 64) blocks, and inside the kernel the lengths replace the
/// static ones everywhere: the causal alignment Lkv - Lq, cp.async zero-fill
/// bounds and clamps, the key < Lkv test on every masked tile and the row <
/// Lq guard on the stores. Lkv may be 0: the first tile is copied only when
/// the key range is non-empty.

// CHECK-LABEL: func.func @tc_dynamic
// CHECK-DAG: %[[LQ:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x4x?x64xbf16>
// CHECK-DAG: %[[LKV:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x2x?x64xbf16>
// CHECK: %[[NB:.+]] = arith.ceildivui %[[LQ]], %c64 : index
// CHECK: %[[GX:.+]] = arith.maxui %[[NB]], %c1 : index
// CHECK: gpu.launch_func async [%{{.+}}] @attn_kernels::@tc_dynamic_attn_0 blocks in (%[[GX]], %c4, %c1) {{.*}} args(%{{.+}} : memref<1xbf16>, %{{.+}} : memref<1xbf16>, %{{.+}} : memref<1xbf16>, %{{.+}} : memref<1xbf16>, %[[LQ]] : index, %[[LKV]] : index)

// CHECK-LABEL: gpu.func @tc_dynamic_attn_0(
// CHECK-SAME: %[[QA:[^:]+]]: memref<1xbf16>, %[[KA:[^:]+]]: memref<1xbf16>, %{{[^:]+}}: memref<1xbf16>, %{{[^:]+}}: memref<1xbf16>, %[[LQA:[^:]+]]: index, %[[LKVA:[^:]+]]: index)
// CHECK: %[[NE:.+]] = arith.cmpi sgt, %[[LQA]], %c0 : index
// CHECK: scf.if %[[NE]] {
// CHECK: %[[QS:.+]] = memref.reinterpret_cast %[[QA]] to offset: [0], sizes: [1, 4, %[[LQA]], 64]
// CHECK: %[[KS:.+]] = memref.reinterpret_cast %[[KA]] to offset: [0], sizes: [1, 2, %[[LKVA]], 64]
// CHECK: arith.subi %[[LKVA]], %[[LQA]] : index
// CHECK: %[[LQ1:.+]] = arith.subi %[[LQA]], %c1 : index
/// Q rows past Lq are zero-filled (source size 0).
// CHECK: arith.cmpi slt, %{{.+}}, %[[LQA]] : index
// CHECK: arith.minsi %{{.+}}, %[[LQ1]] : index
// CHECK: nvgpu.device_async_copy %[[QS]]
// CHECK: scf.if %{{.+}} {
// CHECK-NEXT: arith.cmpi slt, %{{.+}}, %[[LKVA]] : index
// CHECK: nvgpu.device_async_copy %[[KS]]
// CHECK: scf.for
// CHECK: nvvm.mma.sync
// CHECK: scf.if
// CHECK: } else {
// CHECK: arith.cmpi slt, %{{.+}}, %[[LKVA]] : index
// CHECK: arith.cmpi slt, %{{.+}}, %[[LQA]] : index
// CHECK: vector.store
func.func @tc_dynamic(%q: tensor<1x4x?x64xbf16>, %k: tensor<1x2x?x64xbf16>, %v: tensor<1x2x?x64xbf16>) -> tensor<1x4x?x64xbf16> {
  %mc154_2 = arith.constant 2 : index
  %md154_0_2 = tensor.dim %q, %mc154_2 : tensor<1x4x?x64xbf16>
  %init154_0 = tensor.empty(%md154_0_2) : tensor<1x4x?x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>) outs(%init154_0 : tensor<1x4x?x64xbf16>) {masks = [#attn.causal]} -> tensor<1x4x?x64xbf16>
  return %o : tensor<1x4x?x64xbf16>
}

// -----

/// Sigmoid: no running state (the loop carries only the 32 O accumulators),
/// each weight is NormalizerAlgebra's sigmoid in base 2, rcp(1 + 2^-(x +
/// bias log2(e))) (a masked -inf score gives rcp(inf) = 0), and O is stored
/// without a division.

// CHECK-LABEL: gpu.func @sigmoid_attn_0(
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[B:.+]] = arith.constant -1.44269502 : f32
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-NOT: gpu.shuffle
// CHECK: %[[XB:.+]] = arith.addf %{{.+}}, %[[B]] : f32
// CHECK-NEXT: %[[ARG:.+]] = arith.negf %[[XB]] : f32
// CHECK-NEXT: %[[E:.+]] = llvm.inline_asm {{.*}}"ex2.approx.ftz.f32 $0, $1;", "=f,f" %[[ARG]]
// CHECK-NEXT: %[[D:.+]] = arith.addf %[[E]], %[[ONE]] : f32
// CHECK-NEXT: llvm.inline_asm {{.*}}"rcp.approx.ftz.f32 $0, $1;", "=f,f" %[[D]]
// CHECK: nvvm.mma.sync
// CHECK: scf.yield
// CHECK-NOT: arith.divf
// CHECK: vector.store
func.func @sigmoid(%q: tensor<1x2x64x64xbf16>, %k: tensor<1x2x128x64xbf16>, %v: tensor<1x2x128x64xbf16>) -> tensor<1x2x64x64xbf16> {
  %init155_0 = tensor.empty() : tensor<1x2x64x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>) outs(%init155_0 : tensor<1x2x64x64xbf16>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -1.0} -> tensor<1x2x64x64xbf16>
  return %o : tensor<1x2x64x64xbf16>
}

// -----

/// Softpick, NormalizerAlgebra's updates in base 2: the running maximum
/// starts at -inf and is floored at 0 (m = max(0, max s)); each weight is
/// t = 2^(x - m) - 2^-m (2^-m once per row and tile), 0 for a masked key;
/// O gets relu(t) and the denominator |t| = max(t, -t); O is divided by
/// l + 1e-6 2^-m.

// CHECK-LABEL: gpu.func @softpick_attn_0(
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for {{.*}} iter_args({{.*}}%{{.+}} = %[[NEGINF]], %{{.+}} = %[[NEGINF]], %{{.+}} = %[[ZERO]], %{{.+}} = %[[ZERO]])
// CHECK: %[[M0:.+]] = arith.maximumf %arg{{[0-9]+}}, %{{.+}} : f32
// CHECK-NEXT: %[[M:.+]] = arith.maximumf %[[M0]], %[[ZERO]] : f32
// CHECK-NEXT: %[[EMPTY:.+]] = arith.cmpf oeq, %[[M]], %[[NEGINF]] : f32
// CHECK-NEXT: %[[SHIFT:.+]] = arith.select %[[EMPTY]], %[[ZERO]], %[[M]] : f32
// CHECK-NEXT: %[[NM:.+]] = arith.negf %[[SHIFT]] : f32
// CHECK-NEXT: %[[EXPNEGM:.+]] = llvm.inline_asm {{.*}}"ex2.approx.ftz.f32 $0, $1;", "=f,f" %[[NM]]
// CHECK: %[[XM:.+]] = arith.subf %{{.+}}#0, %[[SHIFT]] : f32
// CHECK-NEXT: %[[E:.+]] = llvm.inline_asm {{.*}}"ex2.approx.ftz.f32 $0, $1;", "=f,f" %[[XM]]
// CHECK-NEXT: %[[T:.+]] = arith.subf %[[E]], %[[EXPNEGM]] : f32
// CHECK-NEXT: %[[KEPT:.+]] = arith.cmpf ogt, %{{.+}}, %[[NEGINF]] : f32
// CHECK-NEXT: %[[RELU:.+]] = arith.maximumf %[[T]], %[[ZERO]] : f32
// CHECK-NEXT: %[[NT:.+]] = arith.negf %[[T]] : f32
// CHECK-NEXT: %[[ABS:.+]] = arith.maximumf %[[T]], %[[NT]] : f32
// CHECK-NEXT: arith.select %[[KEPT]], %[[RELU]], %[[ZERO]] : f32
// CHECK-NEXT: arith.select %[[KEPT]], %[[ABS]], %[[ZERO]] : f32
// CHECK: scf.yield
// CHECK: arith.mulf %{{.+}}, %[[EPS]] : f32
// CHECK: arith.divf
// CHECK: vector.store
func.func @softpick(%q: tensor<1x2x64x64xf16>, %k: tensor<1x2x100x64xf16>, %v: tensor<1x2x100x64xf16>) -> tensor<1x2x64x64xf16> {
  %init156_0 = tensor.empty() : tensor<1x2x64x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xf16>, tensor<1x2x100x64xf16>, tensor<1x2x100x64xf16>) outs(%init156_0 : tensor<1x2x64x64xf16>) {normalizer = #attn.normalizer<softpick>} -> tensor<1x2x64x64xf16>
  return %o : tensor<1x2x64x64xf16>
}

// -----

/// Dynamic batch: B is read with tensor.dim for the results and the grid
/// (at least one block: an empty batch passes Lq = 0, so that block does
/// nothing); the kernel takes B from the grid's z size for the buffer
/// shapes. Lq and Lkv are static here: the trailing arguments exist (every
/// kernel with flat handles has them) but the static lengths stay
/// constants inside.

// CHECK-LABEL: func.func @dynamic_batch
// CHECK: %[[B:.+]] = tensor.dim %{{.+}}, %c0 : tensor<?x4x100x64xbf16>
// CHECK: gpu.alloc async [%{{.+}}] (%[[B]]) : memref<?x4x100x64xbf16>
// CHECK: gpu.alloc async [%{{.+}}] (%[[B]]) : memref<?x4x100xf32>
// CHECK: %[[EMPTY:.+]] = arith.cmpi eq, %[[B]], %c0 : index
// CHECK: %[[LQ:.+]] = arith.select %[[EMPTY]], %c0, %c100 : index
// CHECK: %[[GZ:.+]] = arith.maxui %[[B]], %c1 : index
// CHECK: gpu.launch_func async [%{{.+}}] @attn_kernels::@dynamic_batch_attn_0 blocks in (%c2, %c4, %[[GZ]]) {{.*}} %[[LQ]] : index, %c150 : index)

// CHECK-LABEL: gpu.func @dynamic_batch_attn_0(
// CHECK-SAME: %[[QA:[^:]+]]: memref<1xbf16>, %{{[^:]+}}: memref<1xbf16>, %{{[^:]+}}: memref<1xbf16>, %{{[^:]+}}: memref<1xbf16>, %{{[^:]+}}: memref<1xf32>, %{{[^:]+}}: memref<1xi1>, %[[KLA:[^:]+]]: memref<1xi32>, %[[LQA:[^:]+]]: index, %{{[^:]+}}: index)
// CHECK: %[[NE:.+]] = arith.cmpi sgt, %[[LQA]], %c0 : index
// CHECK: scf.if %[[NE]] {
// CHECK: %[[GB:.+]] = gpu.grid_dim z
// CHECK: memref.reinterpret_cast %[[QA]] to offset: [0], sizes: [%[[GB]], 4, 100, 64], strides: [25600, 6400, 64, 1]
// CHECK: %[[KL:.+]] = memref.reinterpret_cast %[[KLA]] to offset: [0], sizes: [%[[GB]]], strides: [1] : memref<1xi32> to memref<?xi32>
// CHECK: memref.load %[[KL]][%{{.+}}] : memref<?xi32>
/// The static Lq = 100 keeps the store guard against a constant.
// CHECK: arith.cmpi slt, %{{.+}}, %c100 : index
func.func @dynamic_batch(%q: tensor<?x4x100x64xbf16>, %k: tensor<?x2x150x64xbf16>, %v: tensor<?x2x150x64xbf16>, %m: tensor<?x1x100x150xi1>, %kl: tensor<?xi32>) -> (tensor<?x4x100x64xbf16>, tensor<?x4x100xf32>) {
  %mc157_0 = arith.constant 0 : index
  %md157_0_0 = tensor.dim %q, %mc157_0 : tensor<?x4x100x64xbf16>
  %init157_0 = tensor.empty(%md157_0_0) : tensor<?x4x100x64xbf16>
  %md157_1_0 = tensor.dim %q, %mc157_0 : tensor<?x4x100x64xbf16>
  %init157_1 = tensor.empty(%md157_1_0) : tensor<?x4x100xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<?x4x100x64xbf16>, tensor<?x2x150x64xbf16>, tensor<?x2x150x64xbf16>) mask(%m : tensor<?x1x100x150xi1>) kv_lengths(%kl : tensor<?xi32>) outs(%init157_0, %init157_1 : tensor<?x4x100x64xbf16>, tensor<?x4x100xf32>) {masks = [#attn.causal]} -> tensor<?x4x100x64xbf16>, tensor<?x4x100xf32>
  return %o, %lse : tensor<?x4x100x64xbf16>, tensor<?x4x100xf32>
}
