// RUN: attn-opt %s -split-input-file --attn-gpu-pipeline=format=isa -verify-diagnostics

/// Issue #17: an f80 mask reached NVPTX instruction selection ("LLVM ERROR:
/// unsupported library call operation"). The GPU conversion rejects element
/// types NVPTX has no lowering for, in the mask, sinks and modifier regions.
func.func @mask_f80(%q: tensor<1x1x16x64xf16>, %k: tensor<1x1x16x64xf16>, %v: tensor<1x1x16x64xf16>, %m: tensor<16x16xf80>) -> tensor<1x1x16x64xf16> {
  // expected-error @+1 {{'attn.attention' op cannot be lowered to the GPU kernel: mask and sink element types must be i1, f16, bf16, f32 or f64, got 'f80'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>) mask(%m : tensor<16x16xf80>) -> tensor<1x1x16x64xf16>
  return %o : tensor<1x1x16x64xf16>
}

// -----

func.func @sinks_f128(%q: tensor<1x2x16x64xf16>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x16x64xf16>, %s: tensor<2xf128>) -> tensor<1x2x16x64xf16> {
  // expected-error @+1 {{'attn.attention' op cannot be lowered to the GPU kernel: mask and sink element types must be i1, f16, bf16, f32 or f64, got 'f128'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16>) sinks(%s : tensor<2xf128>) -> tensor<1x2x16x64xf16>
  return %o : tensor<1x2x16x64xf16>
}
