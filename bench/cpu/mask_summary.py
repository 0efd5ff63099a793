#!/usr/bin/env python3
"""CPU benchmark of the run-time block summary of a boolean mask tensor.

    PYTHONPATH=python python3 bench/cpu/mask_summary.py [--n 4096] [--reps 10]

Times, best of --reps, interleaved in one process, the two forms of the
summary attn-tile has built for an [N, N] i1 mask and 128 x 64 blocks ("any
kept", "all kept" per block), compiled by the CPU pipeline:
  * floordiv form (attn-tile before 2026-11-23): one linalg.generic over the
    mask whose output maps send each element to its block with floordiv,
    all loops reductions, i1 flags: attn-vectorize-linalg leaves it scalar
    and sequential;
  * blocked form (now): the mask reshaped to [N/128, 128, N/64, 64], block
    loops parallel, in-block loops reductions, i8 flags: split over OpenMP
    threads and vectorised (32 mask bytes per step);
the blocked form also with `parallel=false`. Every result is checked
against numpy.
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from attn import runner  # noqa: E402

QT, KT = 128, 64

FLOORDIV = """
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0 floordiv {QT}, d1 floordiv {KT})>
func.func @f(%m: tensor<{N}x{N}xi1>) -> (tensor<{QB}x{KB}xi1>, tensor<{QB}x{KB}xi1>) {{
  %f = arith.constant false
  %t = arith.constant true
  %e = tensor.empty() : tensor<{QB}x{KB}xi1>
  %any0 = linalg.fill ins(%f : i1) outs(%e : tensor<{QB}x{KB}xi1>) -> tensor<{QB}x{KB}xi1>
  %all0 = linalg.fill ins(%t : i1) outs(%e : tensor<{QB}x{KB}xi1>) -> tensor<{QB}x{KB}xi1>
  %r:2 = linalg.generic {{indexing_maps = [#in, #out, #out], iterator_types = ["reduction", "reduction"]}} ins(%m : tensor<{N}x{N}xi1>) outs(%any0, %all0 : tensor<{QB}x{KB}xi1>, tensor<{QB}x{KB}xi1>) {{
  ^bb0(%b: i1, %any: i1, %all: i1):
    %o = arith.ori %any, %b : i1
    %a = arith.andi %all, %b : i1
    linalg.yield %o, %a : i1, i1
  }} -> (tensor<{QB}x{KB}xi1>, tensor<{QB}x{KB}xi1>)
  return %r#0, %r#1 : tensor<{QB}x{KB}xi1>, tensor<{QB}x{KB}xi1>
}}
"""

BLOCKED = """
#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
func.func @f(%m0: tensor<{N}x{N}xi1>) -> (tensor<{QB}x{KB}xi8>, tensor<{QB}x{KB}xi8>) {{
  %m = tensor.expand_shape %m0 [[0, 1], [2, 3]] output_shape [{QB}, {QT}, {KB}, {KT}] : tensor<{N}x{N}xi1> into tensor<{QB}x{QT}x{KB}x{KT}xi1>
  %c0 = arith.constant 0 : i8
  %c1 = arith.constant 1 : i8
  %e = tensor.empty() : tensor<{QB}x{KB}xi8>
  %any0 = linalg.fill ins(%c0 : i8) outs(%e : tensor<{QB}x{KB}xi8>) -> tensor<{QB}x{KB}xi8>
  %all0 = linalg.fill ins(%c1 : i8) outs(%e : tensor<{QB}x{KB}xi8>) -> tensor<{QB}x{KB}xi8>
  %r:2 = linalg.generic {{indexing_maps = [#in, #out, #out], iterator_types = ["parallel", "reduction", "parallel", "reduction"]}} ins(%m : tensor<{QB}x{QT}x{KB}x{KT}xi1>) outs(%any0, %all0 : tensor<{QB}x{KB}xi8>, tensor<{QB}x{KB}xi8>) {{
  ^bb0(%b: i1, %any: i8, %all: i8):
    %k = arith.extui %b : i1 to i8
    %o = arith.ori %any, %k : i8
    %a = arith.andi %all, %k : i8
    linalg.yield %o, %a : i8, i8
  }} -> (tensor<{QB}x{KB}xi8>, tensor<{QB}x{KB}xi8>)
  return %r#0, %r#1 : tensor<{QB}x{KB}xi8>, tensor<{QB}x{KB}xi8>
}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=10)
    a = ap.parse_args()
    N = a.n
    if N % QT or N % KT:
        sys.exit("--n must be a multiple of %d" % QT)
    dims = dict(N=N, QB=N // QT, KB=N // KT, QT=QT, KT=KT)
    rng = np.random.default_rng(0)
    # Blocks kept with probability 0.3, a few single elements flipped (so
    # some blocks are partial).
    blocks = rng.random((N // QT, N // KT)) < 0.3
    m = np.repeat(np.repeat(blocks, QT, 0), KT, 1)
    flip = rng.integers(0, N, (2, 64))
    m[flip[0], flip[1]] ^= True
    m = np.ascontiguousarray(m)
    view = m.reshape(N // QT, QT, N // KT, KT)
    ref = (view.any(axis=(1, 3)), view.all(axis=(1, 3)))
    cases = [
        ("floordiv form (before)", runner.compile_module(
            FLOORDIV.format(**dims)), bool),
        ("blocked form", runner.compile_module(BLOCKED.format(**dims)),
         np.int8),
        ("blocked form, parallel=false", runner.compile_module(
            BLOCKED.format(**dims),
            pipeline="attn-cpu-pipeline=parallel=false"), np.int8),
    ]
    times = [1e30] * len(cases)
    for _ in range(a.reps):
        for i, (_, lib, dt) in enumerate(cases):
            outs = [np.zeros(ref[0].shape, dt), np.zeros(ref[0].shape, dt)]
            t0 = time.perf_counter()
            runner.call(lib, "f", [m], outs)
            times[i] = min(times[i], time.perf_counter() - t0)
            if not all((o.astype(bool) == r).all()
                       for o, r in zip(outs, ref)):
                sys.exit("wrong summary: %s" % cases[i][0])
    print("mask block summary, [%d, %d] i1 mask, %dx%d blocks:" %
          (N, N, QT, KT))
    for (name, _, _), t in zip(cases, times):
        print("  %-30s %8.2f ms  %6.3f ns/element  (%.1fx faster than "
              "floordiv)" % (name, t * 1e3, t * 1e9 / (N * N),
                             times[0] / t))


if __name__ == "__main__":
    main()
