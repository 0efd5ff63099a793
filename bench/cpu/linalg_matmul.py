#!/usr/bin/env python3
"""CPU benchmark of a linalg.matmul outside attention (attn-vectorize-linalg).

    PYTHONPATH=python python3 bench/cpu/linalg_matmul.py [--m 128 --k 768 --n 3072] [--reps 10]

Compiles `C = A . B` (f32, linalg.matmul on tensors) with attn-cpu-pipeline,
with and without `vectorize-linalg`, and times it against numpy's matmul
(OpenBLAS, its own threads), calls interleaved, best of --reps. Prints ms,
GFLOP/s (2 M N K flops) and the relative error against float64.
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from attn import runner  # noqa: E402

MATMUL = """
func.func @mm(%a: tensor<{M}x{K}xf32>, %b: tensor<{K}x{N}xf32>) -> tensor<{M}x{N}xf32> {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{M}x{N}xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<{M}x{N}xf32>) -> tensor<{M}x{N}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{M}x{K}xf32>, tensor<{K}x{N}xf32>)
      outs(%c : tensor<{M}x{N}xf32>) -> tensor<{M}x{N}xf32>
  return %r : tensor<{M}x{N}xf32>
}}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--m", type=int, default=128)
    ap.add_argument("--k", type=int, default=768)
    ap.add_argument("--n", type=int, default=3072)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--scalar-reps", type=int, default=2,
                    help="repetitions of the scalar (vectorize-linalg=false) "
                    "build, which is slow")
    args = ap.parse_args()
    m, k, n = args.m, args.k, args.n
    src = MATMUL.format(M=m, K=k, N=n)
    variants = [("vectorised", "attn-cpu-pipeline", args.reps),
                ("scalar loops", "attn-cpu-pipeline=vectorize-linalg=false",
                 args.scalar_reps)]
    libs = {name: runner.compile_module(src, pipeline=p)
            for name, p, _ in variants}
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    best = {}
    errs = {}
    for rep in range(max(args.reps, args.scalar_reps)):
        for name, _, reps in variants:
            if rep >= reps:
                continue
            c = np.zeros((m, n), np.float32)
            t = time.perf_counter()
            runner.call(libs[name], "mm", [a, b], [c])
            dt = time.perf_counter() - t
            best[name] = min(best.get(name, dt), dt)
            errs[name] = float(np.max(np.abs(c - ref)) / np.max(np.abs(ref)))
        if rep < args.reps:
            t = time.perf_counter()
            c = a @ b
            dt = time.perf_counter() - t
            best["numpy (OpenBLAS)"] = min(best.get("numpy (OpenBLAS)", dt),
                                           dt)
            errs["numpy (OpenBLAS)"] = float(np.max(np.abs(c - ref)) /
                                             np.max(np.abs(ref)))
    flops = 2.0 * m * n * k
    print("matmul %dx%dx%d f32 (M x K x N), best of %d" % (m, k, n, args.reps))
    print("| build | ms | GFLOP/s | rel. error |")
    print("|---|---|---|---|")
    for name in ["vectorised", "scalar loops", "numpy (OpenBLAS)"]:
        print("| %s | %.3f | %.1f | %.2e |" % (name, best[name] * 1e3,
                                             flops / best[name] / 1e9,
                                             errs[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
