// RUN: attn-opt %s -split-input-file --attn-gpu-pipeline=format=isa -verify-diagnostics

/// Issue #17: an f80 mask reached NVPTX instruction selection ("LLVM ERROR:
/// unsupported library call operation"). The GPU conversion rejects element
/// types NVPTX has no lowering for, in the mask, sinks and modifier regions.
func.func @mask_f80(%q: tensor<1x1x16x64xf16>, %k: tensor<1x1x16x64xf16>, %v: tensor<1x1x16x64xf16>, %m: tensor<16x16xf80>) -> tensor<1x1x16x64xf16> {
  %init1_0 = tensor.empty() : tensor<1x1x16x64xf16>
  // expected-error @+1 {{'attn.attention' op cannot be lowered to the GPU kernel: mask and sink element types must be i1, f16, bf16, f32 or f64, got 'f80'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>) mask(%m : tensor<16x16xf80>) outs(%init1_0 : tensor<1x1x16x64xf16>) -> tensor<1x1x16x64xf16>
  return %o : tensor<1x1x16x64xf16>
}

// -----

func.func @sinks_f128(%q: tensor<1x2x16x64xf16>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x16x64xf16>, %s: tensor<2xf128>) -> tensor<1x2x16x64xf16> {
  %init2_0 = tensor.empty() : tensor<1x2x16x64xf16>
  // expected-error @+1 {{'attn.attention' op cannot be lowered to the GPU kernel: mask and sink element types must be i1, f16, bf16, f32 or f64, got 'f128'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16>) sinks(%s : tensor<2xf128>) outs(%init2_0 : tensor<1x2x16x64xf16>) -> tensor<1x2x16x64xf16>
  return %o : tensor<1x2x16x64xf16>
}

// -----

/// The same for a value of the modifier regions.
func.func @score_mod_f80(%q: tensor<1x1x16x64xf16>, %k: tensor<1x1x16x64xf16>, %v: tensor<1x1x16x64xf16>) -> tensor<1x1x16x64xf16> {
  %init3_0 = tensor.empty() : tensor<1x1x16x64xf16>
  // expected-error @+1 {{'attn.attention' op cannot be lowered to the GPU kernel: score_mod/mask_mod operation 'arith.extf' has an element type without a GPU lowering: 'f80'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>)
      outs(%init3_0 : tensor<1x1x16x64xf16>) -> tensor<1x1x16x64xf16>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %w = arith.extf %s : f32 to f80
        %n = arith.truncf %w : f80 to f32
        attn.yield %n : f32
      }
  return %o : tensor<1x1x16x64xf16>
}

// -----

/// attn-fuzz (seed 1): Dqk = 0 segfaulted in the general GPU kernel builder
/// (it reads the first element of the head dim). Zero-sized dims are
/// rejected by the GPU conversion; the CPU pipelines lower them.
func.func @zero_head_dim(%q: tensor<1x1x2x0xf32>, %k: tensor<1x1x3x0xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x1x2x2xf32> {
  %init4_0 = tensor.empty() : tensor<1x1x2x2xf32>
  // expected-error @+1 {{'attn.attention' op cannot be lowered to the GPU kernel: zero-sized dimensions are not supported, got 'tensor<1x1x2x0xf32>'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x2x0xf32>, tensor<1x1x3x0xf32>, tensor<1x1x3x2xf32>) outs(%init4_0 : tensor<1x1x2x2xf32>) {scale = 1.0} -> tensor<1x1x2x2xf32>
  return %o : tensor<1x1x2x2xf32>
}
