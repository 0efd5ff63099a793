// RUN: attn-opt %s --convert-attn-to-gpu=chip=sm_90a --canonicalize --cse --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_90a mma=wgmma" --canonicalize --cse --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_90a mma=sync" --split-input-file | FileCheck %s --check-prefix=SYNC
// RUN: attn-opt %s --convert-attn-to-gpu=chip=sm_90 --split-input-file | FileCheck %s --check-prefix=SYNC

/// On sm_90a (mma=auto or wgmma) the kernel uses Hopper warpgroup MMA: the
/// four warps of the block are one warpgroup on the 64-row query tile. The
/// Q | K0 K1 | V0 V1 tiles (64 x D, no padding) start at the first
/// 1024-byte aligned shared address (1024 bytes of slack in the launch)
/// and are written by cp.async in the 128-byte swizzled K-major layout
/// (chunk c of row r at c ^ (r mod 8)). S = Q.K^T is four
/// nvvm.wgmma.mma_async m64n64k16 with both operands by K-major descriptors
/// (start address >> 4 | LBO 16 >> 4 << 16 | SBO 1024 >> 4 << 32 |
/// 128-byte swizzle 1 << 62), the first with scale-d = 0; P.V is inline
/// PTX with P from registers and V by an N-major descriptor (LBO = 8192,
/// the next 64 columns) with imm-trans-b = 1. Each tile's cp.async writes
/// are ordered before the wgmma reads by fence.proxy.async; each batch
/// has a wgmma.fence, a commit and a wait for 0 groups. chip=sm_90 and
/// mma=sync keep the mma.sync kernel.

// CHECK-LABEL: func.func @causal_gqa
// CHECK: %[[SMEM:.+]] = arith.constant 41984 : i32
// CHECK: gpu.launch_func {{.*}} dynamic_shared_memory_size %[[SMEM]]

// CHECK-LABEL: gpu.func @causal_gqa_attn_0
// CHECK-DAG: %[[MN:.+]] = arith.constant 4611686293338849280 : i64
// CHECK-DAG: %[[KM:.+]] = arith.constant 4611686293305360384 : i64
// CHECK-DAG: %[[ALIGN:.+]] = arith.constant -1024 : index
// CHECK: %[[RAW:.+]] = memref.extract_aligned_pointer_as_index %[[DYN:.+]] : memref<?xi8, #gpu.address_space<workgroup>> -> index
// CHECK: %[[UP:.+]] = arith.addi %[[RAW]], %{{.+}} : index
// CHECK: %[[BASE:.+]] = arith.andi %[[UP]], %[[ALIGN]] : index
// CHECK: %[[SHIFT:.+]] = arith.subi %[[BASE]], %[[RAW]] : index
// CHECK: %[[TILES:.+]] = memref.view %[[DYN]][%[[SHIFT]]][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<20480xbf16, #gpu.address_space<workgroup>>
// CHECK: arith.xori
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[TILES]][%{{.+}}], 8, %{{.+}} {bypassL1} : memref<2x8x256x64xbf16> to memref<20480xbf16
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[TILES]][%{{.+}}], 8, %{{.+}} {bypassL1} : memref<2x2x256x64xbf16> to memref<20480xbf16
// CHECK: nvgpu.device_async_wait
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK: arith.ori %{{.+}}, %[[KM]] : i64
// CHECK: arith.ori %{{.+}}, %[[MN]] : i64
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-NEXT: nvvm.wgmma.mma_async %{{.+}}, %{{.+}}, %{{.+}}, <m = 64, n = 64, k = 16>, D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK-COUNT-3: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-4: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {$0, {{.*}}, $31}, {$32, $33, $34, $35}, $36, 1, 1, 1, 1;", "=f,{{.*}},=f,r,r,r,r,l,0,{{.*}},31"
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: scf.yield
// CHECK-NOT: nvgpu.ldmatrix
// CHECK-NOT: nvvm.mma.sync
// CHECK: gpu.return

// SYNC-LABEL: gpu.func @causal_gqa_attn_0
// SYNC-NOT: wgmma
// SYNC-NOT: fence.proxy
// SYNC: nvvm.mma.sync
// SYNC-NOT: wgmma
// SYNC: gpu.return
func.func @causal_gqa(%q: tensor<2x8x256x64xbf16>, %k: tensor<2x2x256x64xbf16>, %v: tensor<2x2x256x64xbf16>) -> tensor<2x8x256x64xbf16> {
  %init158_0 = tensor.empty() : tensor<2x8x256x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16>)
      outs(%init158_0 : tensor<2x8x256x64xbf16>) {masks = [#attn.causal]} -> tensor<2x8x256x64xbf16>
  return %o : tensor<2x8x256x64xbf16>
}

// -----

/// D = 96 is not a multiple of 64: 64-byte swizzle (mode 2 << 62, SBO 512,
/// V column blocks 4096 bytes apart), f16, m64n96k16 for P.V; 5 tiles of
/// 64 x 96 f16 + 1024 bytes.

// CHECK-LABEL: func.func @dense_f16_d96
// CHECK: arith.constant 62464 : i32
// CHECK-LABEL: gpu.func @dense_f16_d96_attn_0
// CHECK-DAG: arith.constant -9223371899399045120 : i64
// CHECK-DAG: arith.constant -9223371899415756800 : i64
// CHECK: memref<30720xf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-6: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <{{zero|one}}>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// CHECK: "wgmma.mma_async.sync.aligned.m64n96k16.f32.f16.f16 {$0, {{.*}}, $47}, {$48, $49, $50, $51}, $52, 1, 1, 1, 1;"
func.func @dense_f16_d96(%q: tensor<1x2x100x96xf16>, %k: tensor<1x2x100x96xf16>, %v: tensor<1x2x100x96xf16>) -> tensor<1x2x100x96xf32> {
  %init159_0 = tensor.empty() : tensor<1x2x100x96xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x100x96xf16>, tensor<1x2x100x96xf16>, tensor<1x2x100x96xf16>)
      outs(%init159_0 : tensor<1x2x100x96xf32>) -> tensor<1x2x100x96xf32>
  return %o : tensor<1x2x100x96xf32>
}
