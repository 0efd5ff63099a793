// RUN: attn-opt %s --convert-attn-to-gpu --split-input-file --verify-diagnostics
// RUN: not attn-opt %s --split-input-file --convert-attn-to-gpu=chip=sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not attn-opt %s --split-input-file --convert-attn-to-gpu=chip=gfx942 2>&1 | FileCheck %s --check-prefix=CHIP2
// RUN: not attn-opt %s --split-input-file --attn-gpu-pipeline=chip=sm_7 2>&1 | FileCheck %s --check-prefix=CHIP3

/// Inputs neither the tensor-core kernel nor the general kernel can compute
/// are diagnosed on the op and the pass fails (no LLVM crash, non-zero
/// exit); so is a chip without mma.sync for f16/bf16. (f64 inputs and
/// outputs are already rejected by the op verifier.)

// CHIP: error: unknown GPU chip 'sm_75' (expected sm_80 or a later sm_XY[a|f] that LLVM knows)
// CHIP2: error: unknown GPU chip 'gfx942'
// CHIP3: error: unknown GPU chip 'sm_7'

func.func @head_dim_320(%q: tensor<1x1x64x320xf32>, %k: tensor<1x1x64x320xf32>, %v: tensor<1x1x64x320xf32>) -> tensor<1x1x64x320xf32> {
  %init132_0 = tensor.empty() : tensor<1x1x64x320xf32>
  // expected-error @+1 {{cannot be lowered to the GPU kernel: head dims above 256 are not supported, got 320 and 320}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x320xf32>, tensor<1x1x64x320xf32>, tensor<1x1x64x320xf32>) outs(%init132_0 : tensor<1x1x64x320xf32>) -> tensor<1x1x64x320xf32>
  return %o : tensor<1x1x64x320xf32>
}

// -----

func.func @value_head_dim_512(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x512xbf16>) -> tensor<1x1x64x512xbf16> {
  %init133_0 = tensor.empty() : tensor<1x1x64x512xbf16>
  // expected-error @+1 {{head dims above 256 are not supported, got 64 and 512}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x512xbf16>) outs(%init133_0 : tensor<1x1x64x512xbf16>) -> tensor<1x1x64x512xbf16>
  return %o : tensor<1x1x64x512xbf16>
}

// -----

func.func @dynamic_heads(%q: tensor<1x?x64x64xf32>, %k: tensor<1x?x64x64xf32>, %v: tensor<1x?x64x64xf32>) -> tensor<1x?x64x64xf32> {
  %mc134_1 = arith.constant 1 : index
  %md134_0_1 = tensor.dim %q, %mc134_1 : tensor<1x?x64x64xf32>
  %init134_0 = tensor.empty(%md134_0_1) : tensor<1x?x64x64xf32>
  // expected-error @+1 {{only the batch size and the query and key lengths may be dynamic, got 'tensor<1x?x64x64xf32>'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x?x64x64xf32>, tensor<1x?x64x64xf32>, tensor<1x?x64x64xf32>) outs(%init134_0 : tensor<1x?x64x64xf32>) -> tensor<1x?x64x64xf32>
  return %o : tensor<1x?x64x64xf32>
}

// -----

func.func @score_mod_sin(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  %init135_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  // expected-error @+1 {{score_mod/mask_mod operation 'math.sin' has no GPU lowering}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init135_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %e = math.sin %s : f32
        attn.yield %e : f32
      }
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @score_mod_exp_f64(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  %init136_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  // expected-error @+1 {{score_mod/mask_mod operation 'math.exp' is lowered for f32 only, got 'f64'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init136_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %d = arith.extf %s : f32 to f64
        %e = math.exp %d : f64
        %t = arith.truncf %e : f64 to f32
        attn.yield %t : f32
      }
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @captured_dynamic(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>, %bias: tensor<?xf32>) -> tensor<1x1x64x64xbf16> {
  %init137_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  // expected-error @+1 {{score_mod/mask_mod may only capture constants and static tensors read with tensor.extract, got 'tensor<?xf32>'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init137_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %x = tensor.extract %bias[%j] : tensor<?xf32>
        %r = arith.addf %s, %x : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @captured_scalar(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>, %c: f32) -> tensor<1x1x64x64xbf16> {
  %init138_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  // expected-error @+1 {{score_mod/mask_mod may only capture constants and static tensors read with tensor.extract, got 'f32'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init138_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %r = arith.addf %s, %c : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @dynamic_mask_heads(%q: tensor<1x2x64x64xf32>, %k: tensor<1x2x64x64xf32>, %v: tensor<1x2x64x64xf32>, %m: tensor<?x64x64xi1>) -> tensor<1x2x64x64xf32> {
  %init139_0 = tensor.empty() : tensor<1x2x64x64xf32>
  // expected-error @+1 {{only the batch size and the query and key lengths may be dynamic, got 'tensor<?x64x64xi1>'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>) mask(%m : tensor<?x64x64xi1>) outs(%init139_0 : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  return %o : tensor<1x2x64x64xf32>
}

// -----

func.func @region_tensor_op(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  %init140_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  // expected-error @+1 {{score_mod/mask_mod operation 'arith.constant' has no GPU lowering}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init140_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %t = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
        %c0 = arith.constant 0 : index
        %x = tensor.extract %t[%c0] : tensor<2xf32>
        %r = arith.addf %s, %x : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x1x64x64xbf16>
}

// -----

/// The kernels go into a gpu.module named @attn_kernels: another symbol of
/// that name is diagnosed before any IR is built.

// expected-error @+1 {{'func.func' op is named attn_kernels, the symbol of the GPU kernels of convert-attn-to-gpu}}
func.func private @attn_kernels()

func.func @kernels_name_taken(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  %init = tensor.empty() : tensor<1x1x64x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @paged(%q: tensor<1x1x1x64xf16>, %k: tensor<4x16x1x64xf16>, %v: tensor<4x16x1x64xf16>, %t: tensor<1x4xi32>, %o: tensor<1x1x1x64xf16>) -> tensor<1x1x1x64xf16> {
  // expected-error @+1 {{the paged KV layout is not supported (run attn-gather-paged first)}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x1x64xf16>, tensor<4x16x1x64xf16>, tensor<4x16x1x64xf16>)
      page_table(%t : tensor<1x4xi32>) outs(%o : tensor<1x1x1x64xf16>) {kv_layout = #attn.kv_layout<paged_nhd>} -> tensor<1x1x1x64xf16>
  return %r : tensor<1x1x1x64xf16>
}

// -----

func.func @kv_block_lists(%q: tensor<1x1x64x64xf16>, %k: tensor<1x1x128x64xf16>, %v: tensor<1x1x128x64xf16>, %c: tensor<1x1x1xi32>, %i: tensor<1x1x1x2xi32>, %o: tensor<1x1x64x64xf16>) -> tensor<1x1x64x64xf16> {
  // expected-error @+1 {{key-block lists (kv_blocks) are not supported}}
  %r = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xf16>, tensor<1x1x128x64xf16>, tensor<1x1x128x64xf16>)
      kv_blocks(%c, %i : tensor<1x1x1xi32>, tensor<1x1x1x2xi32>) outs(%o : tensor<1x1x64x64xf16>) {q_block_size = 64 : i64, kv_block_size = 64 : i64} -> tensor<1x1x64x64xf16>
  return %r : tensor<1x1x64x64xf16>
}
