// RUN: not attn-opt %s --split-input-file --attn-gpu-pipeline 2>&1 | FileCheck %s
// RUN: not attn-opt %s --split-input-file --attn-gpu-pipeline=chip=sm_70 2>&1 | FileCheck %s --check-prefix=CHIP

/// f64 is rejected by the op verifier before any lowering runs; an unknown
/// or pre-Ampere chip by the pipeline's first pass. Both exit non-zero with
/// a located diagnostic, never an LLVM crash.

// CHECK: error: 'attn.attention' op expects query element type to be f32, f16 or bf16, got 'f64'
// CHECK-NOT: LLVM ERROR
// CHIP: error: unknown GPU chip 'sm_70'
// CHIP-NOT: LLVM ERROR
func.func @f64(%q: tensor<1x1x64x64xf64>, %k: tensor<1x1x64x64xf64>, %v: tensor<1x1x64x64xf64>) -> tensor<1x1x64x64xf64> {
  %init2_0 = tensor.empty() : tensor<1x1x64x64xf64>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xf64>, tensor<1x1x64x64xf64>, tensor<1x1x64x64xf64>) outs(%init2_0 : tensor<1x1x64x64xf64>) -> tensor<1x1x64x64xf64>
  return %o : tensor<1x1x64x64xf64>
}

// -----

func.func @bf16(%q: tensor<1x1x64x64xbf16>, %k: tensor<1x1x64x64xbf16>, %v: tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16> {
  %init3_0 = tensor.empty() : tensor<1x1x64x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%init3_0 : tensor<1x1x64x64xbf16>) -> tensor<1x1x64x64xbf16>
  return %o : tensor<1x1x64x64xbf16>
}
