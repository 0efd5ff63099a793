// RUN: attn-opt %s --convert-attn-to-gpu --split-input-file --verify-diagnostics
// RUN: not attn-opt %s --split-input-file --convert-attn-to-gpu=chip=sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not attn-opt %s --split-input-file --convert-attn-to-gpu=chip=gfx942 2>&1 | FileCheck %s --check-prefix=CHIP2
// RUN: not attn-opt %s --split-input-file --attn-gpu-pipeline=chip=sm_7 2>&1 | FileCheck %s --check-prefix=CHIP3

/// Inputs the tensor-core kernel cannot compute are diagnosed on the op and
/// the pass fails (no LLVM crash, non-zero exit); so is a chip without
/// mma.sync for f16/bf16.

// CHIP: error: unknown GPU chip 'sm_75' (expected sm_80 or a later sm_XY[a|f] that LLVM knows)
// CHIP2: error: unknown GPU chip 'gfx942'
// CHIP3: error: unknown GPU chip 'sm_7'

func.func @f32(%q: tensor<1x1x64x64xf32>, %k: tensor<1x1x64x64xf32>, %v: tensor<1x1x64x64xf32>) -> tensor<1x1x64x64xf32> {
  // expected-error @+1 {{cannot be lowered to the GPU kernel: only f16 and bf16 inputs run on tensor cores, got 'f32'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xf32>, tensor<1x1x64x64xf32>, tensor<1x1x64x64xf32>) -> tensor<1x1x64x64xf32>
  return %o : tensor<1x1x64x64xf32>
}

// -----

func.func @head_dim_80(%q: tensor<1x1x64x80xbf16>, %k: tensor<1x1x64x80xbf16>, %v: tensor<1x1x64x80xbf16>) -> tensor<1x1x64x80xbf16> {
  // expected-error @+1 {{head dim must be 64, 96 or 128, got 80}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x80xbf16>, tensor<1x1x64x80xbf16>, tensor<1x1x64x80xbf16>) -> tensor<1x1x64x80xbf16>
  return %o : tensor<1x1x64x80xbf16>
}

// -----

func.func @head_dim_32(%q: tensor<1x1x64x32xbf16>, %k: tensor<1x1x64x32xbf16>, %v: tensor<1x1x64x32xbf16>) -> tensor<1x1x64x32xbf16> {
  // expected-error @+1 {{head dim must be 64, 96 or 128, got 32}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x32xbf16>, tensor<1x1x64x32xbf16>, tensor<1x1x64x32xbf16>) -> tensor<1x1x64x32xbf16>
  return %o : tensor<1x1x64x32xbf16>
}

// -----

func.func @head_dim_256(%q: tensor<1x1x64x256xbf16>, %k: tensor<1x1x64x256xbf16>, %v: tensor<1x1x64x256xbf16>) -> tensor<1x1x64x256xbf16> {
  // expected-error @+1 {{head dim must be 64, 96 or 128, got 256}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x256xbf16>, tensor<1x1x64x256xbf16>, tensor<1x1x64x256xbf16>) -> tensor<1x1x64x256xbf16>
  return %o : tensor<1x1x64x256xbf16>
}

// -----

func.func @mla(%q: tensor<1x1x64x128xbf16>, %k: tensor<1x1x64x128xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  // expected-error @+1 {{head dims of query/key and value must be equal, got 128 and 64}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x128xbf16>, tensor<1x1x64x128xbf16>, tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @dynamic(%q: tensor<1x1x?x64xbf16>, %k: tensor<1x1x?x64xbf16>, %v: tensor<1x1x?x64xbf16>) -> tensor<1x1x?x64xbf16> {
  // expected-error @+1 {{shapes must be static [B, H, L, D], got 'tensor<1x1x?x64xbf16>'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x?x64xbf16>, tensor<1x1x?x64xbf16>, tensor<1x1x?x64xbf16>) -> tensor<1x1x?x64xbf16>
  return %o : tensor<1x1x?x64xbf16>
}

// -----

func.func @softcap(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  // expected-error @+1 {{softcap, score_mod and mask_mod are not supported yet}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) {softcap = 30.0} -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @mask_tensor(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>, %m: tensor<64x64xi1>) -> tensor<1x1x64x64xbf16> {
  // expected-error @+1 {{mask tensors, lengths, segment ids and sinks are not supported yet}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) mask(%m : tensor<64x64xi1>) -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}

// -----

func.func @sigmoid(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  // expected-error @+1 {{only the softmax normalizer is supported}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) {normalizer = #attn.normalizer<sigmoid>} -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}
