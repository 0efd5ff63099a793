// RUN: attn-opt %s --convert-attn-to-gpu="chip=sm_90 mma=wgmma" --split-input-file --verify-diagnostics
// RUN: not attn-opt %s --convert-attn-to-gpu="chip=sm_100a mma=wgmma" 2>&1 | FileCheck %s --check-prefix=SM100
// RUN: not attn-opt %s --attn-gpu-pipeline="chip=sm_80 mma=wgmma" 2>&1 | FileCheck %s --check-prefix=PIPE
// RUN: not attn-opt %s --convert-attn-to-gpu="chip=sm_90a mma=tcgen05" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not attn-opt %s --attn-gpu-pipeline="mma=tcgen05" 2>&1 | FileCheck %s --check-prefix=KIND

/// wgmma exists only on the arch-specific Hopper target sm_90a: asking for
/// it on another chip (plain sm_90, Ampere, Blackwell) is diagnosed on each
/// attention op and the pass fails. `mma` is an enum option: the option
/// parser rejects an unknown kind before any IR is read (so there is no
/// -verify-diagnostics case for it), for the pass and for the pipeline.

// SM100: error: 'attn.attention' op cannot use wgmma on chip 'sm_100a': warpgroup MMA needs the arch-specific target sm_90a
// PIPE: error: 'attn.attention' op cannot use wgmma on chip 'sm_80': warpgroup MMA needs the arch-specific target sm_90a
// KIND: for the --mma option: Cannot find option named 'tcgen05'!

func.func @wgmma_on_sm90(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  %init160_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  // expected-error @+1 {{cannot use wgmma on chip 'sm_90': warpgroup MMA needs the arch-specific target sm_90a}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init160_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}

// -----

/// Unsupported inputs keep their own diagnostic next to the chip's.
func.func @wgmma_d512(%q: tensor<1x1x64x512xbf16>, %k: tensor<1x1x64x512xbf16>, %v: tensor<1x1x64x512xbf16>) -> tensor<1x1x64x512xbf16> {
  %init161_0 = tensor.empty() : tensor<1x1x64x512xbf16>
  // expected-error @+2 {{cannot be lowered to the GPU kernel: head dims above 256 are not supported, got 512 and 512}}
  // expected-error @+1 {{cannot use wgmma on chip 'sm_90'}}
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x512xbf16>, tensor<1x1x64x512xbf16>, tensor<1x1x64x512xbf16>) outs(%init161_0 : tensor<1x1x64x512xbf16>) -> tensor<1x1x64x512xbf16>
  return %o : tensor<1x1x64x512xbf16>
}
