// REQUIRES: cuda, cuda-runtime
// RUN: attn-opt %s --attn-gpu-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%attn_cuda_runtime,%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

/// End to end through MLIR's own host path: gpu.alloc/gpu.memset on the
/// device, the compiled function (one mma.sync kernel launched through
/// mgpuModuleLoad/mgpuLaunchKernel of libattn_cuda_runtime), gpu.memcpy
/// back. V is constant 0.75, so every causal row (Lq = Lkv, every row sees
/// at least one key) of O is 0.75 whatever the scores: each row sums to
/// 64 * 0.75 = 48 over the head dim, for both query heads of the GQA group
/// and for the partial last query tile (rows 64..99).

// CHECK: sizes = [2, 100] strides = [100, 1] data =
// CHECK-NEXT: {{\[\[}}48{{(, +48)+}}]
// CHECK-NEXT: {{\[}}48{{(, +48)+}}]]
func.func @attention(%q: tensor<1x2x100x64xf16>, %k: tensor<1x1x100x64xf16>, %v: tensor<1x1x100x64xf16>) -> tensor<1x2x100x64xf16> {
  %init123_0 = tensor.empty() : tensor<1x2x100x64xf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x2x100x64xf16>, tensor<1x1x100x64xf16>, tensor<1x1x100x64xf16>)
      outs(%init123_0 : tensor<1x2x100x64xf16>) {masks = [#attn.causal]} -> tensor<1x2x100x64xf16>
  return %o : tensor<1x2x100x64xf16>
}

func.func private @printMemrefF32(memref<*xf32>)

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  %qv = arith.constant 0.25 : f16
  %kv = arith.constant -0.5 : f16
  %vv = arith.constant 0.75 : f16
  %t0 = gpu.wait async
  %q, %t1 = gpu.alloc async [%t0] () : memref<1x2x100x64xf16>
  %k, %t2 = gpu.alloc async [%t1] () : memref<1x1x100x64xf16>
  %v, %t3 = gpu.alloc async [%t2] () : memref<1x1x100x64xf16>
  %t4 = gpu.memset async [%t3] %q, %qv : memref<1x2x100x64xf16>, f16
  %t5 = gpu.memset async [%t4] %k, %kv : memref<1x1x100x64xf16>, f16
  %t6 = gpu.memset async [%t5] %v, %vv : memref<1x1x100x64xf16>, f16
  gpu.wait [%t6]
  %qt = bufferization.to_tensor %q restrict : memref<1x2x100x64xf16> to tensor<1x2x100x64xf16>
  %kt = bufferization.to_tensor %k restrict : memref<1x1x100x64xf16> to tensor<1x1x100x64xf16>
  %vt = bufferization.to_tensor %v restrict : memref<1x1x100x64xf16> to tensor<1x1x100x64xf16>
  %ot = call @attention(%qt, %kt, %vt) : (tensor<1x2x100x64xf16>, tensor<1x1x100x64xf16>, tensor<1x1x100x64xf16>) -> tensor<1x2x100x64xf16>
  %o = bufferization.to_buffer %ot read_only : tensor<1x2x100x64xf16> to memref<1x2x100x64xf16>
  %h = memref.alloc() : memref<1x2x100x64xf16>
  %t7 = gpu.wait async
  %t8 = gpu.memcpy async [%t7] %h, %o : memref<1x2x100x64xf16>, memref<1x2x100x64xf16>
  gpu.wait [%t8]
  // Per (head, row) sums of O over the head dim, in f32.
  %sums = memref.alloc() : memref<2x100xf32>
  scf.for %hh = %c0 to %c2 step %c1 {
    scf.for %i = %c0 to %c100 step %c1 {
      %zero = arith.constant 0.0 : f32
      %s = scf.for %d = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> f32 {
        %x = memref.load %h[%c0, %hh, %i, %d] : memref<1x2x100x64xf16>
        %xf = arith.extf %x : f16 to f32
        %n = arith.addf %acc, %xf : f32
        scf.yield %n : f32
      }
      memref.store %s, %sums[%hh, %i] : memref<2x100xf32>
    }
  }
  %u = memref.cast %sums : memref<2x100xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
