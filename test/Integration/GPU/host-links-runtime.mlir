// REQUIRES: cuda-runtime
// RUN: attn-opt %s --attn-gpu-pipeline | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: FileCheck %s --input-file=%t.ll
// RUN: %clang -O1 -shared -fPIC %t.ll -o %t.so %attn_cuda_runtime -Wl,--no-undefined -Wl,--allow-shlib-undefined
// RUN: not %clang -O1 -shared -fPIC %t.ll -o %t.bad.so -Wl,--no-undefined 2>&1 | FileCheck %s --check-prefix=UNRESOLVED

/// The host code of the GPU pipeline translates to LLVM IR (the gpu.binary
/// becomes an embedded cubin, the launch becomes mgpu* calls) and links
/// against libattn_cuda_runtime with every mgpu* symbol resolved: the
/// runtime implements the signatures MLIR 22's lowering emits. No GPU is
/// needed; runs on one are in attention-gpu.py.

// CHECK-DAG: @attn_kernels_binary = internal constant [{{[0-9]+}} x i8] c"\7FELF
// CHECK-DAG: call ptr @mgpuModuleLoad(ptr @attn_kernels_binary, i64 {{[0-9]+}})
// CHECK-DAG: call ptr @mgpuModuleGetFunction(
// CHECK-DAG: call ptr @mgpuStreamCreate()
// CHECK-DAG: call ptr @mgpuMemAlloc(i64 524288,
// CHECK-DAG: call void @mgpuLaunchKernel(ptr %{{.+}}, i64 4, i64 8, i64 2, i64 128, i64 1, i64 1, i32 46080,
// CHECK-DAG: call void @mgpuStreamSynchronize(
// CHECK-DAG: define void @_mlir_ciface_causal_gqa(

/// Without the runtime the same link fails on the mgpu* references.
// UNRESOLVED: undefined {{.*}}mgpu
func.func @causal_gqa(%q: tensor<2x8x256x64xbf16>, %k: tensor<2x2x256x64xbf16>, %v: tensor<2x2x256x64xbf16>) -> tensor<2x8x256x64xbf16> {
  %init122_0 = tensor.empty() : tensor<2x8x256x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16>)
      outs(%init122_0 : tensor<2x8x256x64xbf16>) {masks = [#attn.causal]} -> tensor<2x8x256x64xbf16>
  return %o : tensor<2x8x256x64xbf16>
}
