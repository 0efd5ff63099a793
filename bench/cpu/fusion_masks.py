#!/usr/bin/env python3
"""CPU benchmark of elementwise fusion and mask-tensor block summaries.

    PYTHONPATH=python python3 bench/cpu/fusion_masks.py [--n 4096] [--reps 5]
        [--masks-only]

Times, best of --reps, interleaved in one process (B=1, H=8, D=128, f32):
  * attention alone, then the same attention between elementwise producers
    (Q cast from bf16 and rotary-embedded, K rotary-embedded) and consumers
    (sigmoid output gate, residual add), compiled with and without
    fusion (attn-tile{fuse-elementwise}): the fused graph should cost little more than the
    attention alone;
  * the fused graph again with the ops outside the attention loop left as
    scalar loops (`vectorize-linalg=false`);
  * attention with a boolean mask tensor whose 128x128 blocks are kept with
    probability p (block-sparse), against no mask: with the runtime block
    summary, time should track the kept fraction. p = 0 keeps no block, so
    its time is the summary plus the (empty) key loops.
--masks-only skips the fusion part.
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

def load_fusion_check():
    import importlib.util
    path = os.path.join(HERE, "..", "..", "test", "python", "fusion-check.py")
    spec = importlib.util.spec_from_file_location("fusion_check", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def plain(B, H, L, D, mask=False, masks=None):
    t = "tensor<%dx%dx%dx%dxf32>" % (B, H, L, D)
    mt = "tensor<%dx1x%dx%dxi1>" % (B, L, L)
    margs = ", %%m: %s" % mt if mask else ""
    op = attention_op(["%o"], [t], ("%q", t), ("%k", t), ("%v", t),
                      mask=("%m", mt) if mask else None,
                      attrs=["masks = [%s]" % masks] if masks else [])
    return ("func.func @f(%%q: %s, %%k: %s, %%v: %s%s) -> %s {\n"
            "  %s\n  return %%o : %s\n}\n" % (t, t, t, margs, t, op, t))


def best_time(lib, ins, outs, reps):
    best = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        runner.call(lib, "f", ins, outs)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--masks-only", action="store_true")
    a = ap.parse_args()
    B, H, L, D = 1, 8, a.n, 128
    # One generator per part: the masks are the same with --masks-only.
    if not a.masks_only:
        fusion(a, B, H, L, D, np.random.default_rng(0))
    masks(a, B, H, L, D, np.random.default_rng(1))


def fusion(a, B, H, L, D, rng):
    fc = load_fusion_check()
    graph = fc.rotary_gate_source(B, H, L, D)
    # The graph's attention is causal; time causal attention alone too.
    alone = plain(B, H, L, D, masks="#attn.causal")
    libs = {
        "attention alone": runner.compile_module(alone),
        "graph fused": runner.compile_module(graph),
        "graph unfused": runner.compile_module(
            graph, pipeline="attn-cpu-pipeline=fuse-elementwise=false"),
        # The ops outside the attention loop as scalar loops (before
        # attn-vectorize-linalg).
        "graph fused, scalar rest": runner.compile_module(
            graph, pipeline="attn-cpu-pipeline=vectorize-linalg=false"),
    }
    x = lambda *s: (rng.random(s, np.float32) - 0.5)  # noqa: E731
    q, k, v = x(B, H, L, D), x(B, H, L, D), x(B, H, L, D)
    g, r = x(B, H, L, D), x(B, L, H, D)
    ang = rng.uniform(0, 6.28, (L, D)).astype(np.float32)
    graph_ins = [runner.to_bf16_bits(q), k, v, np.cos(ang), np.sin(ang), g, r]
    outs = {n: np.zeros((B, H, L, D) if n == "attention alone" else
                        (B, L, H, D), np.float32) for n in libs}
    times = {n: 1e30 for n in libs}
    for _ in range(a.reps):
        for n, lib in libs.items():
            ins = [q, k, v] if n == "attention alone" else graph_ins
            times[n] = min(times[n], best_time(lib, ins, [outs[n]], 1))
    print("fusion, B=%d H=%d N=%d D=%d, causal, f32:" % (B, H, L, D))
    for n in libs:
        print("  %-24s %8.1f ms  (%.2fx attention alone)" %
              (n, times[n] * 1e3, times[n] / times["attention alone"]))
    print("  fused speed-up over unfused: %.2fx" %
          (times["graph unfused"] / times["graph fused"]))
    print("  vectorised rest speed-up: %.2fx" %
          (times["graph fused, scalar rest"] / times["graph fused"]))


def masks(a, B, H, L, D, rng):
    x = lambda *s: (rng.random(s, np.float32) - 0.5)  # noqa: E731
    q, k, v = x(B, H, L, D), x(B, H, L, D), x(B, H, L, D)
    dense = runner.compile_module(plain(B, H, L, D))
    masked = runner.compile_module(plain(B, H, L, D, mask=True))
    print("block-sparse boolean mask (128x128 blocks), B=%d H=%d N=%d D=%d:"
          % (B, H, L, D))
    out = np.zeros((B, H, L, D), np.float32)
    nb = -(-L // 128)
    cases = [("no mask", dense, [q, k, v], 1.0)]
    for p in (1.0, 0.5, 0.25, 0.1, 0.0):
        blocks = rng.random((B, 1, nb, nb)) < p
        m = np.repeat(np.repeat(blocks, 128, 2), 128, 3)[:, :, :L, :L]
        cases.append(("kept %d%%" % round(100 * p), masked,
                      [q, k, v, np.ascontiguousarray(m)], blocks.mean()))
    # Interleaved: every rep times every case, so that load changes on a
    # shared machine hit all cases alike.
    times = [1e30] * len(cases)
    for _ in range(a.reps):
        for i, (_, lib, ins, _) in enumerate(cases):
            times[i] = min(times[i], best_time(lib, ins, [out], 1))
    for (name, _, _, area), t in zip(cases, times):
        print("  %-16s %8.1f ms  (%.2fx no-mask time, kept area %.2f)" %
              (name, t * 1e3, t / times[0], area))


if __name__ == "__main__":
    main()
