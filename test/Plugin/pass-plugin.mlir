// The stock mlir-opt of LLVM 22 runs the attn passes and pipelines from
// AttnPlugin.so. Plugin passes are registered after mlir-opt has built its
// pass flags, so they are named in --pass-pipeline.

// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so \
// RUN:   --load-pass-plugin=%attn_libs/AttnPlugin.so %s \
// RUN:   --pass-pipeline='builtin.module(attn-decompose)' \
// RUN:   | FileCheck %s --check-prefix=DECOMPOSE

// The dialect plugin alone registers the passes too.
// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so %s \
// RUN:   --pass-pipeline='builtin.module(attn-decompose)' \
// RUN:   | FileCheck %s --check-prefix=DECOMPOSE

// The whole CPU pipeline, nested explicitly as a textual pipeline must be,
// gives what attn-opt gives.
// RUN: %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so \
// RUN:   --load-pass-plugin=%attn_libs/AttnPlugin.so %s \
// RUN:   --pass-pipeline='builtin.module(attn-cpu-pipeline)' > %t.plugin.mlir
// RUN: FileCheck %s --check-prefix=CPU < %t.plugin.mlir
// RUN: attn-opt %s --attn-cpu-pipeline > %t.attn-opt.mlir
// RUN: diff %t.plugin.mlir %t.attn-opt.mlir

// A failing attn pass reports a located error through mlir-opt.
// RUN: not %mlir_opt --load-dialect-plugin=%attn_libs/AttnPlugin.so %s \
// RUN:   --pass-pipeline='builtin.module(attn-cpu-pipeline{q-tile=-1})' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ERROR

// DECOMPOSE-LABEL: func.func @causal
// DECOMPOSE-NOT: attn.attention
// DECOMPOSE: linalg.generic
// DECOMPOSE-NOT: attn.attention
// DECOMPOSE: return

// CPU-NOT: attn.attention
// CPU: llvm.func @causal(
// CPU: omp.parallel
// CPU: llvm.func @_mlir_ciface_causal(

// ERROR: pass-plugin.mlir:[[@LINE+4]]:8: error: 'attn.attention' op expects positive tile sizes
func.func @causal(%q: tensor<1x4x64x32xf32>, %k: tensor<1x4x64x32xf32>,
                  %v: tensor<1x4x64x32xf32>) -> tensor<1x4x64x32xf32> {
  %init162_0 = tensor.empty() : tensor<1x4x64x32xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>)
      outs(%init162_0 : tensor<1x4x64x32xf32>) {masks = [#attn.causal]} -> tensor<1x4x64x32xf32>
  return %o : tensor<1x4x64x32xf32>
}
