// Issue #17: `attn-cpu-lower-to-llvm` in every spelling: an attn-opt flag, nested in a
// textual --pass-pipeline, through AttnPlugin.so in the stock mlir-opt and
// through the C API (mlirAttnRunPipeline).
// Its input is the output of `attn-cpu-bufferize`.
// RUN: attn-opt %s --attn-cpu-bufferize=parallel=false -o %t.in.mlir
// RUN: attn-opt %t.in.mlir --attn-cpu-lower-to-llvm="parallel=false" | FileCheck %s
// RUN: attn-opt %t.in.mlir --pass-pipeline='builtin.module(attn-cpu-lower-to-llvm{parallel=false})' | FileCheck %s
// RUN: attn-opt %t.in.mlir --pass-pipeline='builtin.module(cse,attn-cpu-lower-to-llvm{parallel=false},canonicalize)' | FileCheck %s
// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so \
// RUN:   --load-pass-plugin=%attn_libs/AttnPlugin.so %t.in.mlir \
// RUN:   --pass-pipeline='builtin.module(attn-cpu-lower-to-llvm{parallel=false})' | FileCheck %s
// RUN: attn-capi-run %t.in.mlir 'attn-cpu-lower-to-llvm{parallel=false}' | FileCheck %s

// CHECK: llvm.func @_mlir_ciface_f(
// CHECK-NOT: attn.attention

func.func @f(%q: tensor<1x2x64x64xf16>, %k: tensor<1x2x64x64xf16>, %v: tensor<1x2x64x64xf16>) -> tensor<1x2x64x64xf16> {
  %init19_0 = tensor.empty() : tensor<1x2x64x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>)
      outs(%init19_0 : tensor<1x2x64x64xf16>) {masks = [#attn.causal]} -> tensor<1x2x64x64xf16>
  return %o : tensor<1x2x64x64xf16>
}
