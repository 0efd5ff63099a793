// Issue #17: `attn-gpu-lower` in every spelling: an attn-opt flag, nested in a
// textual --pass-pipeline, through AttnPlugin.so in the stock mlir-opt and
// through the C API (mlirAttnRunPipeline).
// Its input is the output of `attn-gpu-kernel`.
// RUN: attn-opt %s --attn-gpu-kernel=format=isa -o %t.in.mlir
// RUN: attn-opt %t.in.mlir --attn-gpu-lower="format=isa" | FileCheck %s
// RUN: attn-opt %t.in.mlir --pass-pipeline='builtin.module(attn-gpu-lower{format=isa})' | FileCheck %s
// RUN: attn-opt %t.in.mlir --pass-pipeline='builtin.module(cse,attn-gpu-lower{format=isa},canonicalize)' | FileCheck %s
// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so \
// RUN:   --load-pass-plugin=%attn_libs/AttnPlugin.so %t.in.mlir \
// RUN:   --pass-pipeline='builtin.module(attn-gpu-lower{format=isa})' | FileCheck %s
// RUN: attn-capi-run %t.in.mlir 'attn-gpu-lower{format=isa}' | FileCheck %s

// CHECK: gpu.binary @attn_kernels
// CHECK-NOT: attn.attention

func.func @f(%q: tensor<1x2x64x64xf16>, %k: tensor<1x2x64x64xf16>, %v: tensor<1x2x64x64xf16>) -> tensor<1x2x64x64xf16> {
  %init18_0 = tensor.empty() : tensor<1x2x64x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>)
      outs(%init18_0 : tensor<1x2x64x64xf16>) {masks = [#attn.causal]} -> tensor<1x2x64x64xf16>
  return %o : tensor<1x2x64x64xf16>
}
