// REQUIRES: ptxas
// RUN: attn-opt %s --attn-gpu-pipeline=format=isa -o %t.mlir
// RUN: %python -m attn.gpu extract %t.mlir %t.ptx
// RUN: %ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s
// RUN: %python -m attn.gpu ptxas-report %t.ptx --arch sm_90 | FileCheck %s --check-prefix=REPORT
// RUN: attn-opt %s --attn-gpu-pipeline -o %t.bin.mlir
// RUN: FileCheck %s --input-file=%t.bin.mlir --check-prefix=BIN
// RUN: %python -m attn.gpu extract %t.bin.mlir %t.cubin2 | FileCheck %s --check-prefix=CUBIN
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a format=isa" -o %t.wg.mlir
// RUN: %python -m attn.gpu extract %t.wg.mlir %t.wg.ptx
// RUN: %ptxas -arch=sm_90a -v %t.wg.ptx -o %t.wg.cubin 2>&1 | FileCheck %s --check-prefix=WGMMA
// RUN: %python -m attn.gpu ptxas-report %t.wg.ptx --arch sm_90a | FileCheck %s --check-prefix=REPORT
// RUN: FileCheck %s --input-file=%t.wg.ptx --check-prefix=WGPTX

/// ptxas assembles the PTX of every kernel shape the GPU path supports (the
/// tensor-core kernel and the general SIMT kernel) for sm_90 with no
/// register spills (the online-softmax state, the O
/// accumulators and the Q fragments all stay in registers), and the default
/// pipeline embeds a cubin (an ELF file) in the gpu.binary.

// CHECK-DAG: Compiling entry function 'causal_bf16_d64_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'gqa_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'window_f16_d64_lse_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'dense_f16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'dense_bf16_d96_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'alibi_softcap_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'document_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'sinks_mask_mod_f16_d64_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'lengths_causal_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'mask_bool_causal_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'mask_float_d64_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'dynamic_causal_mask_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'sigmoid_causal_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'math_mod_causal_bf16_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'softpick_window_f16_d64_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'general_causal_f32_d256_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'general_dense_bf16_d256_lse_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'general_mla_f32_lse_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'general_mask_lengths_f16_d80_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'general_document_sinks_alibi_f32_d128_attn_0' for 'sm_90'
// CHECK-DAG: Compiling entry function 'general_dynamic_mask_f32_d128_attn_0' for 'sm_90'
// CHECK-NOT: bytes spill stores, {{[1-9]}}
// CHECK-NOT: {{[1-9][0-9]*}} bytes spill stores

/// The same shapes with Hopper warpgroup MMA (chip sm_90a, mma=auto picks
/// wgmma): ptxas accepts the wgmma kernels, again without spills (fewer
/// registers than mma.sync: Q is read by descriptor, not kept in
/// registers), and with no warning about serialised wgmma pipelines.

// WGMMA-DAG: Compiling entry function 'causal_bf16_d64_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'gqa_bf16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'window_f16_d64_lse_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'dense_f16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'dense_bf16_d96_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'alibi_softcap_bf16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'document_bf16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'sinks_mask_mod_f16_d64_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'dynamic_causal_mask_bf16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'sigmoid_causal_bf16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'math_mod_causal_bf16_d128_attn_0' for 'sm_90a'
// WGMMA-DAG: Compiling entry function 'softpick_window_f16_d64_attn_0' for 'sm_90a'
// WGMMA-NOT: warning
// WGMMA-NOT: bytes spill stores, {{[1-9]}}
// WGMMA-NOT: {{[1-9][0-9]*}} bytes spill stores

// WGPTX: .version 8.0
// WGPTX: .target sm_90a
// WGPTX-LABEL: .visible .entry causal_bf16_d64_attn_0(
// WGPTX-DAG: cp.async.cg.shared.global
// WGPTX-DAG: fence.proxy.async.shared::cta;
// WGPTX-DAG: wgmma.fence.sync.aligned;
// WGPTX-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{[{]}}{{.*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// WGPTX-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{[{]}}{{.*}}}, {{[{]}}%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}}, %rd{{[0-9]+}}, 1, 1, 1, 1;
// WGPTX-DAG: wgmma.commit_group.sync.aligned;
// WGPTX-DAG: wgmma.wait_group.sync.aligned{{[[:space:]]+}}0;
// WGPTX-LABEL: .visible .entry gqa_bf16_d128_attn_0(
// WGPTX: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// WGPTX-LABEL: .visible .entry dense_f16_d128_attn_0(
// WGPTX: wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// WGPTX-LABEL: .visible .entry dense_bf16_d96_attn_0(
// WGPTX: wgmma.mma_async.sync.aligned.m64n96k16.f32.bf16.bf16

// REPORT: alibi_softcap_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: causal_bf16_d64_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: dense_bf16_d96_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: dense_f16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: document_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: dynamic_causal_mask_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: general_causal_f32_d256_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: general_dense_bf16_d256_lse_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: general_document_sinks_alibi_f32_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: general_dynamic_mask_f32_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: general_mask_lengths_f16_d80_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: general_mla_f32_lse_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: gqa_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: lengths_causal_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: mask_bool_causal_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: mask_float_d64_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: math_mod_causal_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: sigmoid_causal_bf16_d128_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: sinks_mask_mod_f16_d64_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: softpick_window_f16_d64_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0
// REPORT: window_f16_d64_lse_attn_0: registers={{[0-9]+}} spill_stores=0 spill_loads=0 stack=0

// BIN: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
// CUBIN: bin: {{[0-9]+}} bytes

func.func @causal_bf16_d64(%q: tensor<1x8x1024x64xbf16>, %k: tensor<1x8x1024x64xbf16>, %v: tensor<1x8x1024x64xbf16>) -> tensor<1x8x1024x64xbf16> {
  %init7_0 = tensor.empty() : tensor<1x8x1024x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x1024x64xbf16>, tensor<1x8x1024x64xbf16>, tensor<1x8x1024x64xbf16>)
      outs(%init7_0 : tensor<1x8x1024x64xbf16>) {masks = [#attn.causal]} -> tensor<1x8x1024x64xbf16>
  return %o : tensor<1x8x1024x64xbf16>
}

func.func @gqa_bf16_d128(%q: tensor<2x32x512x128xbf16>, %k: tensor<2x8x512x128xbf16>, %v: tensor<2x8x512x128xbf16>) -> tensor<2x32x512x128xbf16> {
  %init8_0 = tensor.empty() : tensor<2x32x512x128xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x32x512x128xbf16>, tensor<2x8x512x128xbf16>, tensor<2x8x512x128xbf16>)
      outs(%init8_0 : tensor<2x32x512x128xbf16>) {masks = [#attn.causal]} -> tensor<2x32x512x128xbf16>
  return %o : tensor<2x32x512x128xbf16>
}

func.func @window_f16_d64_lse(%q: tensor<1x4x300x64xf16>, %k: tensor<1x4x300x64xf16>, %v: tensor<1x4x300x64xf16>) -> (tensor<1x4x300x64xf32>, tensor<1x4x300xf32>) {
  %init9_0 = tensor.empty() : tensor<1x4x300x64xf32>
  %init9_1 = tensor.empty() : tensor<1x4x300xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x4x300x64xf16>, tensor<1x4x300x64xf16>, tensor<1x4x300x64xf16>)
      outs(%init9_0, %init9_1 : tensor<1x4x300x64xf32>, tensor<1x4x300xf32>) {masks = [#attn.sliding_window<left = 100, right = 0>]} -> tensor<1x4x300x64xf32>, tensor<1x4x300xf32>
  return %o, %lse : tensor<1x4x300x64xf32>, tensor<1x4x300xf32>
}

func.func @dense_f16_d128(%q: tensor<1x4x100x128xf16>, %k: tensor<1x4x200x128xf16>, %v: tensor<1x4x200x128xf16>) -> tensor<1x4x100x128xf16> {
  %init10_0 = tensor.empty() : tensor<1x4x100x128xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x100x128xf16>, tensor<1x4x200x128xf16>, tensor<1x4x200x128xf16>)
      outs(%init10_0 : tensor<1x4x100x128xf16>) -> tensor<1x4x100x128xf16>
  return %o : tensor<1x4x100x128xf16>
}

func.func @dense_bf16_d96(%q: tensor<1x4x256x96xbf16>, %k: tensor<1x4x256x96xbf16>, %v: tensor<1x4x256x96xbf16>) -> tensor<1x4x256x96xbf16> {
  %init11_0 = tensor.empty() : tensor<1x4x256x96xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x256x96xbf16>, tensor<1x4x256x96xbf16>, tensor<1x4x256x96xbf16>)
      outs(%init11_0 : tensor<1x4x256x96xbf16>) -> tensor<1x4x256x96xbf16>
  return %o : tensor<1x4x256x96xbf16>
}

/// The score modifiers and document masks of the benchmark grid, at the
/// largest head dim: ALiBi + softcap with a causal mask (the modifier on
/// every tile), a document mask (segment-id ranges, no full-tile branch),
/// sinks with a mask_mod.
func.func @alibi_softcap_bf16_d128(%q: tensor<1x16x512x128xbf16>, %k: tensor<1x16x512x128xbf16>, %v: tensor<1x16x512x128xbf16>, %slopes: tensor<16xf32>) -> tensor<1x16x512x128xbf16> {
  %init12_0 = tensor.empty() : tensor<1x16x512x128xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x16x512x128xbf16>, tensor<1x16x512x128xbf16>, tensor<1x16x512x128xbf16>)
      outs(%init12_0 : tensor<1x16x512x128xbf16>) {masks = [#attn.causal], softcap = 50.0} -> tensor<1x16x512x128xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<16xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %slope, %df : f32
        %r = arith.addf %s, %bias : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x16x512x128xbf16>
}

func.func @document_bf16_d128(%q: tensor<2x16x500x128xbf16>, %k: tensor<2x16x500x128xbf16>, %v: tensor<2x16x500x128xbf16>, %qs: tensor<2x500xi32>, %ks: tensor<2x500xi32>) -> (tensor<2x16x500x128xbf16>, tensor<2x16x500xf32>) {
  %init13_0 = tensor.empty() : tensor<2x16x500x128xbf16>
  %init13_1 = tensor.empty() : tensor<2x16x500xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<2x16x500x128xbf16>, tensor<2x16x500x128xbf16>, tensor<2x16x500x128xbf16>)
      segment_ids(%qs, %ks : tensor<2x500xi32>, tensor<2x500xi32>) outs(%init13_0, %init13_1 : tensor<2x16x500x128xbf16>, tensor<2x16x500xf32>) {masks = [#attn.causal]} -> tensor<2x16x500x128xbf16>, tensor<2x16x500xf32>
  return %o, %lse : tensor<2x16x500x128xbf16>, tensor<2x16x500xf32>
}

func.func @sinks_mask_mod_f16_d64(%q: tensor<1x8x256x64xf16>, %k: tensor<1x2x256x64xf16>, %v: tensor<1x2x256x64xf16>, %sinks: tensor<8xf32>) -> tensor<1x8x256x64xf16> {
  %init14_0 = tensor.empty() : tensor<1x8x256x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x256x64xf16>, tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>)
      sinks(%sinks : tensor<8xf32>) outs(%init14_0 : tensor<1x8x256x64xf16>) -> tensor<1x8x256x64xf16>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c0 = arith.constant 0 : index
        %c3 = arith.constant 3 : index
        %r = arith.remsi %j, %c3 : index
        %keep = arith.cmpi ne, %r, %c0 : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x8x256x64xf16>
}

func.func @lengths_causal_bf16_d128(%q: tensor<4x16x512x128xbf16>, %k: tensor<4x16x512x128xbf16>, %v: tensor<4x16x512x128xbf16>, %ql: tensor<4xi32>, %kl: tensor<4xi32>) -> (tensor<4x16x512x128xbf16>, tensor<4x16x512xf32>) {
  %init15_0 = tensor.empty() : tensor<4x16x512x128xbf16>
  %init15_1 = tensor.empty() : tensor<4x16x512xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<4x16x512x128xbf16>, tensor<4x16x512x128xbf16>, tensor<4x16x512x128xbf16>)
      q_lengths(%ql : tensor<4xi32>) kv_lengths(%kl : tensor<4xi32>) outs(%init15_0, %init15_1 : tensor<4x16x512x128xbf16>, tensor<4x16x512xf32>) {masks = [#attn.causal]} -> tensor<4x16x512x128xbf16>, tensor<4x16x512xf32>
  return %o, %lse : tensor<4x16x512x128xbf16>, tensor<4x16x512xf32>
}

func.func @mask_bool_causal_d128(%q: tensor<2x16x512x128xbf16>, %k: tensor<2x16x512x128xbf16>, %v: tensor<2x16x512x128xbf16>, %m: tensor<2x1x512x512xi1>) -> (tensor<2x16x512x128xbf16>, tensor<2x16x512xf32>) {
  %init16_0 = tensor.empty() : tensor<2x16x512x128xbf16>
  %init16_1 = tensor.empty() : tensor<2x16x512xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<2x16x512x128xbf16>, tensor<2x16x512x128xbf16>, tensor<2x16x512x128xbf16>)
      mask(%m : tensor<2x1x512x512xi1>) outs(%init16_0, %init16_1 : tensor<2x16x512x128xbf16>, tensor<2x16x512xf32>) {masks = [#attn.causal]} -> tensor<2x16x512x128xbf16>, tensor<2x16x512xf32>
  return %o, %lse : tensor<2x16x512x128xbf16>, tensor<2x16x512xf32>
}
func.func @mask_float_d64(%q: tensor<1x8x300x64xf16>, %k: tensor<1x8x300x64xf16>, %v: tensor<1x8x300x64xf16>, %m: tensor<300x300xf32>) -> tensor<1x8x300x64xf16> {
  %init17_0 = tensor.empty() : tensor<1x8x300x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x300x64xf16>, tensor<1x8x300x64xf16>, tensor<1x8x300x64xf16>)
      mask(%m : tensor<300x300xf32>) outs(%init17_0 : tensor<1x8x300x64xf16>) -> tensor<1x8x300x64xf16>
  return %o : tensor<1x8x300x64xf16>
}

/// The general (SIMT) kernel: f32 and bf16 at the largest head dim (256),
/// MLA-style Dqk = 192, Dv = 128 with lse, f16 D = 80 with an additive
/// mask, lengths and a window, and f32 D = 128 with a document mask, sinks,
/// ALiBi and softcap.
func.func @general_causal_f32_d256(%q: tensor<1x8x512x256xf32>, %k: tensor<1x8x512x256xf32>, %v: tensor<1x8x512x256xf32>) -> tensor<1x8x512x256xf32> {
  %init18_0 = tensor.empty() : tensor<1x8x512x256xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x512x256xf32>, tensor<1x8x512x256xf32>, tensor<1x8x512x256xf32>)
      outs(%init18_0 : tensor<1x8x512x256xf32>) {masks = [#attn.causal]} -> tensor<1x8x512x256xf32>
  return %o : tensor<1x8x512x256xf32>
}

func.func @general_dense_bf16_d256_lse(%q: tensor<1x8x300x256xbf16>, %k: tensor<1x8x300x256xbf16>, %v: tensor<1x8x300x256xbf16>) -> (tensor<1x8x300x256xbf16>, tensor<1x8x300xf32>) {
  %init19_0 = tensor.empty() : tensor<1x8x300x256xbf16>
  %init19_1 = tensor.empty() : tensor<1x8x300xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x8x300x256xbf16>, tensor<1x8x300x256xbf16>, tensor<1x8x300x256xbf16>)
      outs(%init19_0, %init19_1 : tensor<1x8x300x256xbf16>, tensor<1x8x300xf32>) -> tensor<1x8x300x256xbf16>, tensor<1x8x300xf32>
  return %o, %lse : tensor<1x8x300x256xbf16>, tensor<1x8x300xf32>
}

func.func @general_mla_f32_lse(%q: tensor<1x16x256x192xf32>, %k: tensor<1x4x256x192xf32>, %v: tensor<1x4x256x128xf32>) -> (tensor<1x16x256x128xf32>, tensor<1x16x256xf32>) {
  %init20_0 = tensor.empty() : tensor<1x16x256x128xf32>
  %init20_1 = tensor.empty() : tensor<1x16x256xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<1x16x256x192xf32>, tensor<1x4x256x192xf32>, tensor<1x4x256x128xf32>)
      outs(%init20_0, %init20_1 : tensor<1x16x256x128xf32>, tensor<1x16x256xf32>) {masks = [#attn.causal]} -> tensor<1x16x256x128xf32>, tensor<1x16x256xf32>
  return %o, %lse : tensor<1x16x256x128xf32>, tensor<1x16x256xf32>
}

func.func @general_mask_lengths_f16_d80(%q: tensor<2x4x100x80xf16>, %k: tensor<2x4x130x80xf16>, %v: tensor<2x4x130x80xf16>, %m: tensor<2x1x100x130xf16>, %ql: tensor<2xi32>, %kl: tensor<2xi64>) -> tensor<2x4x100x80xf32> {
  %init21_0 = tensor.empty() : tensor<2x4x100x80xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<2x4x100x80xf16>, tensor<2x4x130x80xf16>, tensor<2x4x130x80xf16>) mask(%m : tensor<2x1x100x130xf16>) q_lengths(%ql : tensor<2xi32>) kv_lengths(%kl : tensor<2xi64>)
      outs(%init21_0 : tensor<2x4x100x80xf32>) {masks = [#attn.sliding_window<left = 20, right = 0>]} -> tensor<2x4x100x80xf32>
  return %o : tensor<2x4x100x80xf32>
}

func.func @general_document_sinks_alibi_f32_d128(%q: tensor<1x4x200x128xf32>, %k: tensor<1x4x200x128xf32>, %v: tensor<1x4x200x128xf32>, %qs: tensor<1x200xi32>, %ks: tensor<1x200xi32>, %sinks: tensor<4xf32>, %slopes: tensor<4xf32>) -> tensor<1x4x200x128xf32> {
  %init22_0 = tensor.empty() : tensor<1x4x200x128xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x200x128xf32>, tensor<1x4x200x128xf32>, tensor<1x4x200x128xf32>) segment_ids(%qs, %ks : tensor<1x200xi32>, tensor<1x200xi32>) sinks(%sinks : tensor<4xf32>)
      outs(%init22_0 : tensor<1x4x200x128xf32>) {masks = [#attn.causal], softcap = 30.0} -> tensor<1x4x200x128xf32>
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
  return %o : tensor<1x4x200x128xf32>
}

/// Dynamic Lq and Lkv with a [B, 1, Lq, Lkv] boolean mask and lse.
func.func @general_dynamic_mask_f32_d128(%q: tensor<2x8x?x128xf32>, %k: tensor<2x2x?x128xf32>, %v: tensor<2x2x?x128xf32>, %m: tensor<2x1x?x?xi1>) -> (tensor<2x8x?x128xf32>, tensor<2x8x?xf32>) {
  %mc23_2 = arith.constant 2 : index
  %md23_0_2 = tensor.dim %q, %mc23_2 : tensor<2x8x?x128xf32>
  %init23_0 = tensor.empty(%md23_0_2) : tensor<2x8x?x128xf32>
  %md23_1_2 = tensor.dim %q, %mc23_2 : tensor<2x8x?x128xf32>
  %init23_1 = tensor.empty(%md23_1_2) : tensor<2x8x?xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<2x8x?x128xf32>, tensor<2x2x?x128xf32>, tensor<2x2x?x128xf32>) mask(%m : tensor<2x1x?x?xi1>)
      outs(%init23_0, %init23_1 : tensor<2x8x?x128xf32>, tensor<2x8x?xf32>) {masks = [#attn.causal]} -> tensor<2x8x?x128xf32>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x128xf32>, tensor<2x8x?xf32>
}

/// Dynamic Lq and Lkv on the tensor-core kernel (flat buffer handles, the
/// lengths as arguments), with a boolean mask and the log-sum-exp.
func.func @dynamic_causal_mask_bf16_d128(%q: tensor<2x8x?x128xbf16>, %k: tensor<2x2x?x128xbf16>, %v: tensor<2x2x?x128xbf16>, %m: tensor<2x1x?x?xi1>) -> (tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>) {
  %mc24_2 = arith.constant 2 : index
  %md24_0_2 = tensor.dim %q, %mc24_2 : tensor<2x8x?x128xbf16>
  %init24_0 = tensor.empty(%md24_0_2) : tensor<2x8x?x128xbf16>
  %md24_1_2 = tensor.dim %q, %mc24_2 : tensor<2x8x?x128xbf16>
  %init24_1 = tensor.empty(%md24_1_2) : tensor<2x8x?xf32>
  %o, %lse = attn.attention ins(%q, %k, %v : tensor<2x8x?x128xbf16>, tensor<2x2x?x128xbf16>, tensor<2x2x?x128xbf16>) mask(%m : tensor<2x1x?x?xi1>)
      outs(%init24_0, %init24_1 : tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>) {masks = [#attn.causal]} -> tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>
}

/// The sigmoid and softpick normalisers.
func.func @sigmoid_causal_bf16_d128(%q: tensor<1x8x1024x128xbf16>, %k: tensor<1x8x1024x128xbf16>, %v: tensor<1x8x1024x128xbf16>) -> tensor<1x8x1024x128xbf16> {
  %init25_0 = tensor.empty() : tensor<1x8x1024x128xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x1024x128xbf16>, tensor<1x8x1024x128xbf16>, tensor<1x8x1024x128xbf16>)
      outs(%init25_0 : tensor<1x8x1024x128xbf16>) {masks = [#attn.causal], normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -2.0} -> tensor<1x8x1024x128xbf16>
  return %o : tensor<1x8x1024x128xbf16>
}

func.func @softpick_window_f16_d64(%q: tensor<1x8x1000x64xf16>, %k: tensor<1x8x1000x64xf16>, %v: tensor<1x8x1000x64xf16>) -> tensor<1x8x1000x64xf16> {
  %init26_0 = tensor.empty() : tensor<1x8x1000x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x1000x64xf16>, tensor<1x8x1000x64xf16>, tensor<1x8x1000x64xf16>)
      outs(%init26_0 : tensor<1x8x1000x64xf16>) {masks = [#attn.sliding_window<left = 255, right = 0>], normalizer = #attn.normalizer<softpick>} -> tensor<1x8x1000x64xf16>
  return %o : tensor<1x8x1000x64xf16>
}

/// A score_mod with exp, exp2, log, log2, sqrt, rsqrt and absf (PTX
/// instructions, no libdevice).
func.func @math_mod_causal_bf16_d128(%q: tensor<1x8x1024x128xbf16>, %k: tensor<1x2x1024x128xbf16>, %v: tensor<1x2x1024x128xbf16>) -> (tensor<1x8x1024x128xbf16>) {
  %init27_0 = tensor.empty() : tensor<1x8x1024x128xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x1024x128xbf16>, tensor<1x2x1024x128xbf16>, tensor<1x2x1024x128xbf16>) outs(%init27_0 : tensor<1x8x1024x128xbf16>) {masks = [#attn.causal]} -> tensor<1x8x1024x128xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %a = math.absf %df : f32
        %one = arith.constant 1.0 : f32
        %a1 = arith.addf %a, %one : f32
        %cm = arith.constant -0.02 : f32
        %ea = arith.mulf %a, %cm : f32
        %e = math.exp %ea : f32
        %t0 = arith.mulf %s, %e : f32
        %l = math.log %a1 : f32
        %c3 = arith.constant 0.3 : f32
        %l3 = arith.mulf %l, %c3 : f32
        %t1 = arith.subf %t0, %l3 : f32
        %rs = math.rsqrt %a1 : f32
        %t2 = arith.addf %t1, %rs : f32
        %sq = math.sqrt %a1 : f32
        %c1 = arith.constant 0.1 : f32
        %sq1 = arith.mulf %sq, %c1 : f32
        %t3 = arith.subf %t2, %sq1 : f32
        %l2 = math.log2 %a1 : f32
        %c5 = arith.constant 0.05 : f32
        %l25 = arith.mulf %l2, %c5 : f32
        %t4 = arith.addf %t3, %l25 : f32
        %c8 = arith.constant -0.125 : f32
        %a8 = arith.mulf %a, %c8 : f32
        %x2 = math.exp2 %a8 : f32
        %t5 = arith.addf %t4, %x2 : f32
        attn.yield %t5 : f32
      }
  return %o : tensor<1x8x1024x128xbf16>
}
