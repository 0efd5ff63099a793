#!/usr/bin/env python3
"""bf16 attention with and without `bf16-dot` (AVX512-BF16 Q.K^T).

    PYTHONPATH=python python3 bench/cpu/bf16_dot.py [--n 4096] [--d 128]
        [--heads 8] [--reps 5]

Compiles one dense bf16 attn.attention (B = 1, bf16 Q/K/V/output) with
`attn-cpu-pipeline` and with `attn-cpu-pipeline=bf16-dot=true`, then times
both in the same process, alternating calls, best of --reps each (the
machine is shared: compare the two numbers of one run, not runs). Also
prints each output's max-norm relative error against a float64 numpy
reference of the first head. Needs a CPU with avx512_bf16.
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from attn import runner  # noqa: E402
from attn.ir import attention_op  # noqa: E402


def source(h, n, d):
    t = "tensor<1x%dx%dx%dxbf16>" % (h, n, d)
    op = attention_op(["%o"], [t], ("%q", t), ("%k", t), ("%v", t))
    return ("func.func @f(%%q: %s, %%k: %s, %%v: %s) -> %s {\n"
            "  %s\n  return %%o : %s\n}\n" % (t, t, t, t, op, t))


def head_reference(q, k, v):
    s = (q @ k.T) / np.sqrt(q.shape[-1])
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    h, n, d = args.heads, args.n, args.d
    src = source(h, n, d)
    variants = [("widen to f32", "attn-cpu-pipeline"),
                ("bf16-dot", "attn-cpu-pipeline=bf16-dot=true")]
    libs = [runner.compile_module(src, pipeline=p) for _, p in variants]

    rng = np.random.default_rng(0)
    ins = [runner.to_bf16_bits(rng.random((1, h, n, d), np.float32) - 0.5)
           for _ in range(3)]
    outs = [np.zeros((1, h, n, d), np.uint16) for _ in variants]
    for lib, out in zip(libs, outs):
        runner.call(lib, "f", ins, [out])  # warm-up
    best = [1e30] * len(variants)
    for _ in range(args.reps):
        for i, (lib, out) in enumerate(zip(libs, outs)):
            t0 = time.perf_counter()
            runner.call(lib, "f", ins, [out])
            best[i] = min(best[i], time.perf_counter() - t0)

    x = [runner.from_bf16_bits(a[0, 0]).astype(np.float64) for a in ins]
    ref = head_reference(*x)
    flops = 4.0 * h * n * n * d
    print("bf16 dense B=1 H=%d N=%d D=%d, best of %d, alternating" %
          (h, n, d, args.reps))
    for (name, pipe), t, out in zip(variants, best, outs):
        err = (np.max(np.abs(runner.from_bf16_bits(out[0, 0]) - ref)) /
               np.max(np.abs(ref)))
        print("  %-13s %8.1f ms  %6.1f GFLOP/s  rel. error (head 0) %.2e"
              "  [%s]" % (name, t * 1e3, flops / t / 1e9, err, pipe))
    print("  speed-up of bf16-dot: %.2fx" % (best[0] / best[1]))


if __name__ == "__main__":
    main()
