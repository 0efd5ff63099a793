// Issue #17: `attn-cpu-pipeline` in every spelling: an attn-opt flag, nested in a
// textual --pass-pipeline, through AttnPlugin.so in the stock mlir-opt and
// through the C API (mlirAttnRunPipeline).
// RUN: attn-opt %s --attn-cpu-pipeline="parallel=false" | FileCheck %s
// RUN: attn-opt %s --pass-pipeline='builtin.module(attn-cpu-pipeline{parallel=false})' | FileCheck %s
// RUN: attn-opt %s --pass-pipeline='builtin.module(cse,attn-cpu-pipeline{parallel=false},canonicalize)' | FileCheck %s
// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so \
// RUN:   --load-pass-plugin=%attn_libs/AttnPlugin.so %s \
// RUN:   --pass-pipeline='builtin.module(attn-cpu-pipeline{parallel=false})' | FileCheck %s
// RUN: attn-capi-run %s 'attn-cpu-pipeline{parallel=false}' | FileCheck %s

// CHECK: llvm.func @_mlir_ciface_f(
// CHECK-NOT: attn.attention

func.func @f(%q: tensor<1x2x64x64xf16>, %k: tensor<1x2x64x64xf16>, %v: tensor<1x2x64x64xf16>) -> tensor<1x2x64x64xf16> {
  %init16_0 = tensor.empty() : tensor<1x2x64x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>)
      outs(%init16_0 : tensor<1x2x64x64xf16>) {masks = [#attn.causal]} -> tensor<1x2x64x64xf16>
  return %o : tensor<1x2x64x64xf16>
}
