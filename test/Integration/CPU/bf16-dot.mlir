// REQUIRES: avx512-bf16
// RUN: attn-opt %s --attn-cpu-pipeline="q-tile=32 kv-tile=8 bf16-dot=true out-params=false" | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// The same numbers from the f32 micro-kernel:
// RUN: attn-opt %s --attn-cpu-pipeline="q-tile=32 kv-tile=8 out-params=false" | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s

/// bf16 Q.K^T with the AVX512-BF16 dot product (vdpbf16ps) on micro-kernel
/// tiles: 40 queries (a full and a partial 32-row tile), 20 keys (two full
/// 8-key tiles and a partial one), D = 32 (16 bf16 pairs), Dv = 32. Key j
/// is 16 * e_j, query i is 16 * e_t(i) with t(i) = (7i + 3) mod 20, scale 1:
/// the score of key t(i) is 256 and every other score 0, so softmax picks
/// exactly v[t(i)] = t(i) (exp(-256) is 0 in f32). A dot product that paired
/// the wrong elements, read the wrong query column or key row would pick
/// another key.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @attend(%q: tensor<1x1x40x32xbf16>, %k: tensor<1x1x20x32xbf16>, %v: tensor<1x1x20x32xbf16>) -> tensor<1x1x40x32xbf16> {
  %init127_0 = tensor.empty() : tensor<1x1x40x32xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x40x32xbf16>, tensor<1x1x20x32xbf16>, tensor<1x1x20x32xbf16>)
      outs(%init127_0 : tensor<1x1x40x32xbf16>) {scale = 1.0 : f64} -> tensor<1x1x40x32xbf16>
  return %o : tensor<1x1x40x32xbf16>
}

func.func @main() {
  %c7 = arith.constant 7 : index
  %c3 = arith.constant 3 : index
  %c20 = arith.constant 20 : index
  %big = arith.constant 16.0 : bf16
  %zero = arith.constant 0.0 : bf16
  // q[i, d] = 16 if d == (7i + 3) mod 20.
  %qe = tensor.empty() : tensor<1x1x40x32xbf16>
  %q = linalg.generic {indexing_maps = [affine_map<(b, h, i, d) -> (b, h, i, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%qe : tensor<1x1x40x32xbf16>) {
  ^bb0(%out: bf16):
    %i = linalg.index 2 : index
    %d = linalg.index 3 : index
    %i7 = arith.muli %i, %c7 : index
    %i73 = arith.addi %i7, %c3 : index
    %t = arith.remui %i73, %c20 : index
    %hit = arith.cmpi eq, %d, %t : index
    %x = arith.select %hit, %big, %zero : bf16
    linalg.yield %x : bf16
  } -> tensor<1x1x40x32xbf16>
  // k[j, d] = 16 if d == j.
  %ke = tensor.empty() : tensor<1x1x20x32xbf16>
  %k = linalg.generic {indexing_maps = [affine_map<(b, h, j, d) -> (b, h, j, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%ke : tensor<1x1x20x32xbf16>) {
  ^bb0(%out: bf16):
    %j = linalg.index 2 : index
    %d = linalg.index 3 : index
    %hit = arith.cmpi eq, %d, %j : index
    %x = arith.select %hit, %big, %zero : bf16
    linalg.yield %x : bf16
  } -> tensor<1x1x20x32xbf16>
  // v[j, e] = j.
  %ve = tensor.empty() : tensor<1x1x20x32xbf16>
  %v = linalg.generic {indexing_maps = [affine_map<(b, h, j, e) -> (b, h, j, e)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%ve : tensor<1x1x20x32xbf16>) {
  ^bb0(%out: bf16):
    %j = linalg.index 2 : index
    %ji = arith.index_cast %j : index to i32
    %x = arith.uitofp %ji : i32 to bf16
    linalg.yield %x : bf16
  } -> tensor<1x1x20x32xbf16>
  %o = call @attend(%q, %k, %v) : (tensor<1x1x40x32xbf16>, tensor<1x1x20x32xbf16>, tensor<1x1x20x32xbf16>) -> tensor<1x1x40x32xbf16>
  // Columns 0 and 31 of every output row.
  %cols = tensor.extract_slice %o[0, 0, 0, 0] [1, 1, 40, 2] [1, 1, 1, 31] : tensor<1x1x40x32xbf16> to tensor<40x2xbf16>
  %init = tensor.empty() : tensor<40x2xf32>
  %ext = linalg.map { arith.extf } ins(%cols : tensor<40x2xbf16>) outs(%init : tensor<40x2xf32>)
  %u = tensor.cast %ext : tensor<40x2xf32> to tensor<*xf32>
  // CHECK: sizes = [40, 2]
  // CHECK-NEXT: {{\[}}[3,   3],
  // CHECK-NEXT: [10,   10],
  // CHECK-NEXT: [17,   17],
  // CHECK-NEXT: [4,   4],
  // CHECK-NEXT: [11,   11],
  // CHECK-NEXT: [18,   18],
  // CHECK-NEXT: [5,   5],
  // CHECK-NEXT: [12,   12],
  // CHECK-NEXT: [19,   19],
  // CHECK-NEXT: [6,   6],
  // CHECK-NEXT: [13,   13],
  // CHECK-NEXT: [0,   0],
  // CHECK-NEXT: [7,   7],
  // CHECK-NEXT: [14,   14],
  // CHECK-NEXT: [1,   1],
  // CHECK-NEXT: [8,   8],
  // CHECK-NEXT: [15,   15],
  // CHECK-NEXT: [2,   2],
  // CHECK-NEXT: [9,   9],
  // CHECK-NEXT: [16,   16],
  // CHECK-NEXT: [3,   3],
  // CHECK-NEXT: [10,   10],
  // CHECK-NEXT: [17,   17],
  // CHECK-NEXT: [4,   4],
  // CHECK-NEXT: [11,   11],
  // CHECK-NEXT: [18,   18],
  // CHECK-NEXT: [5,   5],
  // CHECK-NEXT: [12,   12],
  // CHECK-NEXT: [19,   19],
  // CHECK-NEXT: [6,   6],
  // CHECK-NEXT: [13,   13],
  // CHECK-NEXT: [0,   0],
  // CHECK-NEXT: [7,   7],
  // CHECK-NEXT: [14,   14],
  // CHECK-NEXT: [1,   1],
  // CHECK-NEXT: [8,   8],
  // CHECK-NEXT: [15,   15],
  // CHECK-NEXT: [2,   2],
  // CHECK-NEXT: [9,   9],
  // CHECK-NEXT: [16,   16]]
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
