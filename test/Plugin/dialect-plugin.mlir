// The stock mlir-opt of LLVM 22 knows the attn dialect once it loads
// AttnPlugin.so as a dialect plugin, and only then.

// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so %s \
// RUN:   | %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so \
// RUN:   | FileCheck %s
// RUN: not %mlir_opt %s 2>&1 | FileCheck %s --check-prefix=NO-PLUGIN

// NO-PLUGIN: error: Dialect `attn' not found for custom op 'attn.attention'

// CHECK-LABEL: func @gqa_sliding_window
// CHECK: attn.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>)
// CHECK-SAME: {masks = [#attn.causal, #attn.sliding_window<left = 7, right = 0>]}
// CHECK-SAME: -> tensor<1x8x16x64xf32>
func.func @gqa_sliding_window(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>,
                              %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  %init163_0 = tensor.empty() : tensor<1x8x16x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>)
      outs(%init163_0 : tensor<1x8x16x64xf32>) {masks = [#attn.causal, #attn.sliding_window<left = 7, right = 0>]} -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}
