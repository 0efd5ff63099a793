#!/usr/bin/env python3
"""CPU benchmark of attn.linear_attention: its forms against each other and
against softmax attention of the same shape, measured in one run.

    PYTHONPATH=python python3 bench/cpu/linear_attention.py [--reps 3]
        [--lengths 1024,4096] [--dims 64,128]

B = 1, H = 8, causal, f32, identity feature map, with and without a
per-token log-decay. For each row: the chunked form (-attn-lower-linear-
attention, chunk size from the shape: 64, 128 at D = 128), the parallel
form where it fits (L <= 1024), and the tiled softmax attention
(attn.attention, causal) of the same shape; GFLOP/s of the chunked form
count the work of its algorithm, per token and head 2 C (Dk + Dv) (the
C x C intra-chunk products, full squares) + 4 Dk Dv (chunk state and
inter-chunk output) + 2 Dk Dv / C (the scan). Then the
recurrent decode step (L = 1, state cache in and out) against the bytes of
the state it reads and writes. Compile time is attn-opt's wall time for the
chunked module.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from attn import runner  # noqa: E402
from attn.ir import attention_op  # noqa: E402
from attn.testing import linear_check  # noqa: E402


def linear_var(L, D, decay, state=False):
    return {"B": 1, "Hkv": 8, "Hq": 8, "L": L, "Dk": D, "Dv": D,
            "dtype": "f32", "causal": True, "feature": "identity",
            "decay": "token" if decay else None, "initial_state": state,
            "final_state": state}


def softmax_source(L, D):
    t = "tensor<1x8x%dx%dxf32>" % (L, D)
    op = attention_op(["%o"], [t], ("%q", t), ("%k", t), ("%v", t),
                      attrs=["masks = [#attn.causal]"])
    return ("func.func @f(%%q: %s, %%k: %s, %%v: %s) -> %s {\n  %s\n"
            "  return %%o : %s\n}\n" % (t, t, t, t, op, t))


def compile_timed(source, pipeline):
    work = tempfile.mkdtemp(prefix="attn-bench-")
    src = os.path.join(work, "m.mlir")
    with open(src, "w") as f:
        f.write(source)
    t0 = time.perf_counter()
    subprocess.run([runner.attn_opt(), src, "--" + pipeline, "-o",
                    os.path.join(work, "m.ll.mlir")], check=True)
    t_opt = time.perf_counter() - t0
    return runner.compile_module(source, work, pipeline), t_opt


def time_call(lib, name, ins, outs, reps):
    best = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        runner.call(lib, name, ins, outs)
        best = min(best, time.perf_counter() - t0)
    return best


def linear_inputs(var, rng):
    x = linear_check.random_inputs(var, rng)
    return [np.ascontiguousarray(x[n], dtype=np.float32)
            for n, _, _, _ in linear_check.arguments(var)]


def chunk_flops(L, D):
    C = 128 if D >= 128 else 64
    return 8 * L * (2 * C * 2 * D + 4 * D * D + 2 * D * D / C)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--lengths", default="1024,4096")
    ap.add_argument("--dims", default="64,128")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    print("| L | D | decay | chunked ms | GFLOP/s | parallel ms | softmax ms "
          "| chunked vs parallel | chunked vs softmax | compile s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for L in [int(x) for x in a.lengths.split(",")]:
        for D in [int(x) for x in a.dims.split(",")]:
            for decay in (False, True):
                var = linear_var(L, D, decay)
                src = linear_check.function("f", var)
                ins = linear_inputs(var, rng)
                out = np.zeros((1, 8, L, D), np.float32)
                lib, t_opt = compile_timed(
                    src, "attn-cpu-pipeline=linear-form=chunked")
                t_ch = time_call(lib, "f", ins, [out], a.reps)
                t_par = None
                if L <= 1024:
                    plib, _ = compile_timed(
                        src, "attn-cpu-pipeline=linear-form=parallel")
                    t_par = time_call(plib, "f", ins, [out], a.reps)
                slib, _ = compile_timed(softmax_source(L, D),
                                        "attn-cpu-pipeline")
                t_sm = time_call(slib, "f", ins[:3], [out], a.reps)
                print("| %d | %d | %s | %.2f | %.1f | %s | %.2f | %s | %.2fx "
                      "| %.2f |" % (
                          L, D, "token" if decay else "none", t_ch * 1e3,
                          chunk_flops(L, D) / t_ch / 1e9,
                          "%.2f" % (t_par * 1e3) if t_par else "-",
                          t_sm * 1e3,
                          "%.2fx" % (t_par / t_ch) if t_par else "-",
                          t_sm / t_ch, t_opt))
                sys.stdout.flush()
    # Decode: one token, state cache in and out.
    print()
    print("| D | threads | decode step us | state MiB read+written | GB/s |")
    print("|---|---|---|---|---|")
    for D in [int(x) for x in a.dims.split(",")]:
        for par in ("true", "false"):
            var = linear_var(1, D, True, state=True)
            lib = runner.compile_module(
                linear_check.function("f", var),
                pipeline="attn-cpu-pipeline=parallel=%s" % par)
            ins = linear_inputs(var, rng)
            outs = [np.zeros((1, 8, 1, D), np.float32),
                    np.zeros((1, 8, D, D), np.float32)]
            t = time_call(lib, "f", ins, outs, 50 * a.reps)
            nbytes = 2 * 8 * D * D * 4
            print("| %d | %s | %.1f | %.2f | %.1f |" % (
                D, "2 (OpenMP)" if par == "true" else "1", t * 1e6,
                nbytes / 2**20, nbytes / t / 1e9))


if __name__ == "__main__":
    main()
