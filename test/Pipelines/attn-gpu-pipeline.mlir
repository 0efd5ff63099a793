// RUN: attn-opt %s --attn-gpu-pipeline=format=isa | FileCheck %s
// RUN: attn-opt %s --attn-gpu-kernel | attn-opt --attn-gpu-lower=format=isa | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline=format=isa -o %t.mlir
// RUN: %python -m attn.gpu extract %t.mlir %t.ptx | FileCheck %s --check-prefix=EXTRACT
// RUN: FileCheck %s --input-file=%t.ptx --check-prefix=PTX --implicit-check-not=__nv_
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_80 format=isa" | FileCheck %s --check-prefix=SM80
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a format=isa" | FileCheck %s --check-prefix=SM90A

/// The GPU pipeline ends in a gpu.binary holding the kernels and host code
/// in the LLVM dialect that allocates the result and launches the kernel on
/// a stream; the two registered stages replay it. The PTX uses tensor cores
/// (mma.sync m16n8k16 with f32 accumulation), cp.async and ldmatrix, and
/// exp2 through ex2.approx: no libdevice function is referenced, so the PTX
/// assembles whether or not MLIR finds libdevice.

// CHECK: llvm.func @causal_gqa(
// CHECK: llvm.call @mgpuStreamCreate()
// CHECK: llvm.call @mgpuMemAlloc(
// CHECK: gpu.launch_func <%{{.+}} : !llvm.ptr> @attn_kernels::@causal_gqa_attn_0
// CHECK-SAME: dynamic_shared_memory_size
// CHECK: llvm.call @mgpuStreamSynchronize(
// CHECK: llvm.call @mgpuStreamDestroy(
// CHECK: llvm.func @_mlir_ciface_causal_gqa(
// CHECK: llvm.func @dense_f16_d128(
// CHECK: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// CHECK-SAME: assembly = "

// EXTRACT: assembly: {{[0-9]+}} bytes

// PTX: .target sm_90
// PTX-LABEL: .visible .entry causal_gqa_attn_0(
// PTX-COUNT-4: .param .u64 .ptr .align 1
// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: cp.async.commit_group
// PTX-DAG: cp.async.wait_group
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx.ftz.f32
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-LABEL: .visible .entry dense_f16_d128_attn_0(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
/// The general SIMT kernel (f32, D = 80): K/V tiles through shared memory,
/// warp reductions with butterfly shuffles, p broadcast with indexed
/// shuffles, no tensor-core instruction.
// PTX-LABEL: .visible .entry general_f32_d80_attn_0(
// PTX-NOT: mma.sync
// PTX-DAG: st.shared.b32
// PTX-DAG: ld.shared.b32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: shfl.sync.idx.b32
// PTX-DAG: ex2.approx.ftz.f32
// PTX-DAG: bar.sync
// PTX-NOT: mma.sync

// SM80: #nvvm.target<O = 3, chip = "sm_80", features = "+ptx70">
// SM80-SAME: .target sm_80

/// chip=sm_90a selects the warpgroup-MMA kernels (mma=auto): Q.K^T by two
/// descriptors (trans 0, 0), P.V with A in registers and V transposed.
// SM90A: #nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// SM90A-SAME: .target sm_90a
// SM90A-SAME: .visible .entry causal_gqa_attn_0(
// SM90A-SAME: fence.proxy.async.shared::cta;
// SM90A-SAME: wgmma.fence.sync.aligned;
// SM90A-SAME: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{[{]}}{{[^}]*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// SM90A-SAME: wgmma.commit_group.sync.aligned;
// SM90A-SAME: .visible .entry dense_f16_d128_attn_0(
// SM90A-SAME: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{[{]}}{{[^}]*}}}, {{[{]}}%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}}, %rd{{[0-9]+}}, 1, 1, 1, 1;
func.func @causal_gqa(%q: tensor<2x8x256x64xbf16>, %k: tensor<2x2x256x64xbf16>, %v: tensor<2x2x256x64xbf16>) -> tensor<2x8x256x64xbf16> {
  %init4_0 = tensor.empty() : tensor<2x8x256x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16>)
      outs(%init4_0 : tensor<2x8x256x64xbf16>) {masks = [#attn.causal]} -> tensor<2x8x256x64xbf16>
  return %o : tensor<2x8x256x64xbf16>
}

func.func @dense_f16_d128(%q: tensor<1x4x100x128xf16>, %k: tensor<1x4x200x128xf16>, %v: tensor<1x4x200x128xf16>) -> (tensor<1x4x100x128xf16>, tensor<1x4x100xf32>) {
  %init5_0 = tensor.empty() : tensor<1x4x100x128xf16>
  %init5_1 = tensor.empty() : tensor<1x4x100xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x4x100x128xf16>, tensor<1x4x200x128xf16>, tensor<1x4x200x128xf16>)
      outs(%init5_0, %init5_1 : tensor<1x4x100x128xf16>, tensor<1x4x100xf32>) -> tensor<1x4x100x128xf16>, tensor<1x4x100xf32>
  return %o, %lse : tensor<1x4x100x128xf16>, tensor<1x4x100xf32>
}

func.func @general_f32_d80(%q: tensor<1x2x50x80xf32>, %k: tensor<1x2x70x80xf32>, %v: tensor<1x2x70x80xf32>) -> tensor<1x2x50x80xf32> {
  %init6_0 = tensor.empty() : tensor<1x2x50x80xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x50x80xf32>, tensor<1x2x70x80xf32>, tensor<1x2x70x80xf32>)
      outs(%init6_0 : tensor<1x2x50x80xf32>) {masks = [#attn.causal]} -> tensor<1x2x50x80xf32>
  return %o : tensor<1x2x50x80xf32>
}
