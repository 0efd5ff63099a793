# The linalg ops around the attention, tiled and vectorised by
# -attn-vectorize-linalg (on by default in attn-cpu-pipeline), compute the
# numbers of numpy float64: matmuls whose sizes the register tiles do not
# divide (masked tiles), dynamic sizes, batch matmuls, a contraction the
# register tiles do not take (transposed B), reductions over the inner and
# the outer loop, broadcasts, transposes, masked row maxima and minima
# (negative and +inf rows); parallel and sequential. Each
# case must also leave no linalg op after the first pipeline stage.
# RUN: %python %s | FileCheck %s
# CHECK: matmul_odd linalg ops left: 0 (expected 0): PASS
# CHECK: matmul_odd vectorised: PASS
# CHECK: matmul_odd sequential: PASS
# CHECK: matmul_dynamic vectorised: PASS
# CHECK: matmul_dynamic sequential: PASS
# CHECK: batch_matmul vectorised: PASS
# CHECK: matmul_transposed_b vectorised: PASS
# CHECK: layernorm vectorised: PASS
# CHECK: layernorm sequential: PASS
# CHECK: column_sum_transpose vectorised: PASS
# CHECK: row_max_min vectorised: PASS
# CHECK: row_max_min_dynamic vectorised: PASS
# CHECK: vectorize-linalg check: 0 failures

import sys

import numpy as np

from attn import runner

MATMUL = """
func.func @f(%a: tensor<{A}xf32>, %b: tensor<{B}xf32>, %c: tensor<{C}xf32>)
    -> tensor<{C}xf32> {{
  %r = linalg.matmul ins(%a, %b : tensor<{A}xf32>, tensor<{B}xf32>)
      outs(%c : tensor<{C}xf32>) -> tensor<{C}xf32>
  return %r : tensor<{C}xf32>
}}
"""

BATCH_MATMUL = """
func.func @f(%a: tensor<3x37x29xf32>, %b: tensor<3x29x45xf32>,
             %c: tensor<3x37x45xf32>) -> tensor<3x37x45xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x37x29xf32>, tensor<3x29x45xf32>)
      outs(%c : tensor<3x37x45xf32>) -> tensor<3x37x45xf32>
  return %r : tensor<3x37x45xf32>
}
"""

# C[m, n] += A[m, k] * B[n, k], a linalg.generic: a register tile whose
# rows of B are strided (N is not innermost in B), all tiles partial.
MATMUL_TB = """
func.func @f(%a: tensor<37x29xf32>, %b: tensor<53x29xf32>,
             %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.generic {indexing_maps = [
      affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
      affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<37x29xf32>, tensor<53x29xf32>)
      outs(%c : tensor<37x53xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}
"""

# LayerNorm over the rows of a [?, 53] tensor: mean and variance
# reductions, the normalisation with gain and bias broadcasts.
LAYERNORM = """
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#col = affine_map<(i, j) -> (j)>
func.func @f(%x: tensor<?x53xf32>, %g: tensor<53xf32>, %b: tensor<53xf32>,
             %out: tensor<?x53xf32>) -> tensor<?x53xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 0.018867924528301886 : f32
  %eps = arith.constant 1.0e-5 : f32
  %n = tensor.dim %x, %c0 : tensor<?x53xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row],
      iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x53xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %a, %s : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %var = linalg.generic {indexing_maps = [#id, #row, #row],
      iterator_types = ["parallel", "reduction"]}
      ins(%x, %sum : tensor<?x53xf32>, tensor<?xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32, %v: f32):
    %m = arith.mulf %s, %inv : f32
    %d = arith.subf %a, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %t = arith.addf %d2, %v : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #row, #col, #col, #id],
      iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum, %var, %g, %b : tensor<?x53xf32>, tensor<?xf32>,
          tensor<?xf32>, tensor<53xf32>, tensor<53xf32>)
      outs(%out : tensor<?x53xf32>) {
  ^bb0(%a: f32, %s: f32, %v: f32, %w: f32, %c: f32, %o: f32):
    %m = arith.mulf %s, %inv : f32
    %d = arith.subf %a, %m : f32
    %vm = arith.mulf %v, %inv : f32
    %ve = arith.addf %vm, %eps : f32
    %r = math.rsqrt %ve : f32
    %nrm = arith.mulf %d, %r : f32
    %sc = arith.mulf %nrm, %w : f32
    %t = arith.addf %sc, %c : f32
    linalg.yield %t : f32
  } -> tensor<?x53xf32>
  return %y : tensor<?x53xf32>
}
"""

# A reduction over the outer loop (column sums of [300, 70]) and a 2-D
# transpose of the result of a broadcast, in one function.
COLSUM_TRANSPOSE = """
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
func.func @f(%x: tensor<300x70xf32>, %s: tensor<70xf32>,
             %t: tensor<70x300xf32>) -> (tensor<70xf32>, tensor<70x300xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<70xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<70xf32>) -> tensor<70xf32>
  %sum = linalg.generic {indexing_maps = [#id, #col],
      iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<300x70xf32>) outs(%acc : tensor<70xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<70xf32>
  %e2 = tensor.empty() : tensor<300x70xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id],
      iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<300x70xf32>, tensor<70xf32>) outs(%e2 : tensor<300x70xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<300x70xf32>
  %tr = linalg.transpose ins(%y : tensor<300x70xf32>)
      outs(%t : tensor<70x300xf32>) permutation = [1, 0]
  return %sum, %tr : tensor<70xf32>, tensor<70x300xf32>
}
"""


# Row maximum of negative values and row minimum with +inf rows over 53
# columns (a masked partial vector tile): the masked lanes must not enter.
ROW_MAX_MIN = """
#in = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @f(%x: tensor<{T}xf32>, %y: tensor<{T}xf32>)
    -> (tensor<{R}xf32>, tensor<{R}xf32>) {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<{T}xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %pinf = arith.constant 0x7F800000 : f32
  %e = tensor.empty({N}) : tensor<{R}xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%e : tensor<{R}xf32>) -> tensor<{R}xf32>
  %ni = linalg.fill ins(%pinf : f32) outs(%e : tensor<{R}xf32>) -> tensor<{R}xf32>
  %mx = linalg.generic {{indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}}
      ins(%x : tensor<{T}xf32>) outs(%mi : tensor<{R}xf32>) {{
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  }} -> tensor<{R}xf32>
  %mn = linalg.generic {{indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}}
      ins(%y : tensor<{T}xf32>) outs(%ni : tensor<{R}xf32>) {{
  ^bb0(%a: f32, %acc: f32):
    %r = arith.minimumf %acc, %a : f32
    linalg.yield %r : f32
  }} -> tensor<{R}xf32>
  return %mx, %mn : tensor<{R}xf32>, tensor<{R}xf32>
}}
"""


def layernorm_ref(x, g, b):
    m = x.mean(axis=-1, keepdims=True)
    v = ((x - m) ** 2).mean(axis=-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g + b


def main():
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def f64(*arrays):
        return [a.astype(np.float64) for a in arrays]

    a, b, c = rand(37, 29), rand(29, 53), rand(37, 53)
    ad, bd, cd = rand(41, 67), rand(67, 35), rand(41, 35)
    ba, bb, bc = rand(3, 37, 29), rand(3, 29, 45), rand(3, 37, 45)
    tb = rand(53, 29)
    x, g, bias = rand(23, 53), rand(53), rand(53)
    xs, s = rand(300, 70), rand(70)
    neg = -np.abs(rand(23, 53)) - 1.0
    big = np.abs(rand(23, 53))
    big[::3] = np.inf
    A, B, C = f64(a, b, c)
    cases = [
        ("matmul_odd", MATMUL.format(A="37x29", B="29x53", C="37x53"),
         [a, b, c], [np.zeros((37, 53), np.float32)], [A @ B + C]),
        ("matmul_dynamic", MATMUL.format(A="?x?", B="?x?", C="?x?"),
         [ad, bd, cd], [np.zeros((41, 35), np.float32)],
         [ad.astype(np.float64) @ bd.astype(np.float64) + cd]),
        ("batch_matmul", BATCH_MATMUL, [ba, bb, bc],
         [np.zeros((3, 37, 45), np.float32)],
         [np.matmul(ba.astype(np.float64), bb.astype(np.float64)) + bc]),
        ("matmul_transposed_b", MATMUL_TB, [a, tb, c],
         [np.zeros((37, 53), np.float32)], [A @ tb.astype(np.float64).T + C]),
        ("layernorm", LAYERNORM, [x, g, bias, np.zeros_like(x)],
         [np.zeros_like(x)], [layernorm_ref(*f64(x, g, bias))]),
        ("column_sum_transpose", COLSUM_TRANSPOSE,
         [xs, s, np.zeros((70, 300), np.float32)],
         [np.zeros(70, np.float32), np.zeros((70, 300), np.float32)],
         [xs.astype(np.float64).sum(axis=0),
          (xs.astype(np.float64) * s).T]),
        ("row_max_min", ROW_MAX_MIN.format(T="23x53", R="23", N=""),
         [neg, big], [np.zeros(23, np.float32), np.zeros(23, np.float32)],
         [neg.max(axis=1), big.min(axis=1)]),
        ("row_max_min_dynamic", ROW_MAX_MIN.format(T="?x?", R="?", N="%n"),
         [neg, big], [np.zeros(23, np.float32), np.zeros(23, np.float32)],
         [neg.max(axis=1), big.min(axis=1)]),
    ]
    sequential = {"matmul_odd", "matmul_dynamic", "layernorm"}
    failures = 0
    for name, src, inputs, outputs, refs in cases:
        # Every op was vectorised: no linalg op is left after the first
        # stage of the pipeline.
        buffers = runner._run([runner.attn_opt(), "-", "--attn-cpu-bufferize"],
                              input=src)
        left = buffers.count("linalg.")
        failures += left != 0
        print("%s linalg ops left: %d (expected 0): %s"
              % (name, left, "PASS" if left == 0 else "FAIL"))
        pipelines = [("vectorised", "attn-cpu-pipeline")]
        if name in sequential:
            pipelines.append(("sequential",
                              "attn-cpu-pipeline=parallel=false"))
        for label, pipeline in pipelines:
            lib = runner.compile_module(src, pipeline=pipeline)
            for o in outputs:
                o.fill(np.nan)
            # The outs operand of a function argument is updated in place:
            # every call gets fresh copies.
            runner.call(lib, "f", [i.copy() for i in inputs], outputs)
            with np.errstate(invalid="ignore"):  # inf - inf off the mask
                errs = [float(np.max(np.abs(o - r), where=np.isfinite(r),
                                     initial=0.0) /
                              np.max(np.abs(r), where=np.isfinite(r),
                                     initial=0.0)) if np.array_equal(
                                  o[~np.isfinite(r)], r[~np.isfinite(r)])
                        else np.inf for o, r in zip(outputs, refs)]
            ok = all(e <= 1e-5 for e in errs)
            failures += not ok
            print("%s %s: %s (max rel error %s)"
                  % (name, label, "PASS" if ok else "FAIL",
                     ", ".join("%.2e" % e for e in errs)))
    print("vectorize-linalg check: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
