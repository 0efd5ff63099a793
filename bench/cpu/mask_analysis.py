#!/usr/bin/env python3
"""CPU benchmark of the mask analysis: masks written as mask_mod regions
against the same masks as structured terms, and 2-D neighbourhoods.

    PYTHONPATH=python python3 bench/cpu/mask_analysis.py [--reps 3]
        [--grids 64] [--kernels 7,13]

B=1, H=8, D=64, f32, compiled by `attn-opt --attn-cpu-pipeline`; every
function of one group is compiled into one module and timed interleaved in
this process (best of --reps). Rows:
  * causal N=2048: `#attn.causal` vs the same mask as a region
    (`j <= i`), and dense of the same shape;
  * 2-D neighbourhood on a G x G grid (N = G^2), kernel K x K:
    `#attn.neighborhood`, the NATTEN window written as a region (traced
    index arithmetic), and an "opaque" region (the same window or'ed with a
    read of a captured all-zero table, which the analysis cannot bound:
    every key tile is visited and the region evaluated on every element,
    the mask_mod path before the analysis); against dense of the same shape
    scaled by the kept area K^2 / N;
  * with --documents, causal packed documents of 512 tokens, N = 4096:
    segment ids against the same mask as a region over a captured id
    table.
`opt s` is the attn-opt time of the function alone (compile time).
Each result is checked against the structured form's (max abs diff).
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
from attn import trace as tr  # noqa: E402
from attn.ir import attention_op  # noqa: E402

H, D = 8, 64


def natten_2d(g, k):
    """The NATTEN 2-D window on a g x g grid as a traceable function."""
    def axis(qc, kc):
        start = tr.minimum(tr.maximum(qc - k // 2, 0), g - k)
        return (kc >= start) & (kc < start + k)

    return lambda b, h, i, j: axis(i // g, j // g) & axis(i % g, j % g)


def function(name, n, masks=None, mask_mod=None, capture=False,
             segments=False):
    t = "tensor<1x%dx%dx%dxf32>" % (H, n, D)
    attrs = ["masks = [%s]" % masks] if masks else []
    region = None
    if mask_mod is not None:
        region = tr.region_text(tr.trace(mask_mod, "mask_mod"), "mm_")
    seg = None
    cap = ", %%cap_ids: tensor<%dxi64>" % n if capture else ""
    if segments:
        st = "tensor<1x%dxi64>" % n
        seg = (("%qs", st), ("%ks", st))
        cap = ", %%qs: %s, %%ks: %s" % (st, st)
    op = attention_op(["%o"], [t], ("%q", t), ("%k", t), ("%v", t),
                      attrs=attrs, mask_mod=region, segment_ids=seg)
    return ("func.func @%s(%%q: %s, %%k: %s, %%v: %s%s) -> %s {\n  %s\n"
            "  return %%o : %s\n}\n" % (name, t, t, t, cap, t, op, t))


def opt_time(src, wd):
    path = os.path.join(wd, "one.mlir")
    with open(path, "w") as f:
        f.write(src)
    t0 = time.perf_counter()
    subprocess.run([runner.attn_opt(), path, "--attn-cpu-pipeline", "-o",
                    os.devnull], check=True)
    return time.perf_counter() - t0


def run_group(title, n, fns, reps, wd, dense_scale=None, ids=None):
    """`fns`: (name, source, extra arguments: None, "ids" (the captured
    table `ids`, zeros by default) or "segments" (`ids` as query and key
    segment ids)). Times them interleaved."""
    # (A fresh directory per group: a shared library path loads once.)
    lib = runner.compile_module("\n".join(s for _, s, _ in fns),
                                workdir=tempfile.mkdtemp(dir=wd))
    rng = np.random.default_rng(0)
    ins = [rng.random((1, H, n, D), np.float32) - 0.5 for _ in range(3)]
    if ids is None:
        ids = np.zeros((n,), np.int64)
    extra = {None: [], "ids": [ids], "segments": [ids[None], ids[None]]}
    outs = {name: np.zeros((1, H, n, D), np.float32) for name, _, _ in fns}
    best = {name: 1e30 for name, _, _ in fns}
    for _ in range(reps):
        for name, _, cap in fns:
            args = ins + extra[cap]
            t0 = time.perf_counter()
            runner.call(lib, name, args, [outs[name]])
            best[name] = min(best[name], time.perf_counter() - t0)
    first = fns[0][0]
    print("== %s (N = %d)" % (title, n))
    for name, src, _ in fns:
        diff = float(np.max(np.abs(outs[name] - outs[first])))
        line = "%-22s %9.2f ms  %6.2fx of %s" % (
            name, best[name] * 1e3, best[name] / best[first], first)
        if dense_scale is not None and "dense" in best and name != "dense":
            line += "  %6.2fx of dense*kept" % (best[name] /
                                                (best["dense"] * dense_scale))
        if name != "dense":
            line += "  max|diff| %.1e" % diff
        line += "  opt %.2f s" % opt_time(src, wd)
        print(line)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--grids", default="64")
    ap.add_argument("--kernels", default="7,13")
    ap.add_argument("--skip-causal", action="store_true")
    ap.add_argument("--documents", action="store_true",
                    help="also causal packed documents (N = 4096)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="attn-bench-mask-") as wd:
        if not a.skip_causal:
            n = 2048
            run_group("causal", n, [
                ("structured", function("structured", n, "#attn.causal"),
                 None),
                ("mask_mod", function("mask_mod", n,
                                      mask_mod=lambda b, h, i, j: j <= i),
                 None),
                ("dense", function("dense", n), None)], a.reps, wd)
        if a.documents:
            # Packed documents of 512 tokens, causal within each: segment
            # ids (run-time id ranges per tile) vs the same mask as a
            # region reading a captured id table (the analysis' run-time
            # summaries).
            n = 4096
            docs = tr.Capture(name="ids", shape=(n,), dtype=np.int64)
            run_group("causal documents of 512", n, [
                ("segment_ids", function("segment_ids", n, "#attn.causal",
                                         segments=True), "segments"),
                ("mask_mod", function(
                    "mask_mod", n, mask_mod=lambda b, h, i, j:
                    (docs[i] == docs[j]) & (j <= i), capture=True), "ids"),
                ("dense", function("dense", n), None)], a.reps, wd,
                ids=np.arange(n, dtype=np.int64) // 512)
        for g in (int(x) for x in a.grids.split(",")):
            n = g * g
            for k in (int(x) for x in a.kernels.split(",")):
                win = natten_2d(g, k)
                ids = tr.Capture(name="ids", shape=(n,), dtype=np.int64)
                fns = [
                    ("structured", function(
                        "structured", n,
                        "#attn.neighborhood<grid = [%d, %d], kernel = "
                        "[%d, %d]>" % (g, g, k, k)), None),
                    ("mask_mod", function("mask_mod", n, mask_mod=win),
                     None),
                    ("opaque_mask_mod", function(
                        "opaque_mask_mod", n,
                        mask_mod=lambda b, h, i, j: win(b, h, i, j) |
                        (ids[j] > 0), capture=True), "ids"),
                    ("dense", function("dense", n), None)]
                run_group("neighbourhood %dx%d grid, %dx%d kernel" %
                          (g, g, k, k), n, fns, a.reps, wd,
                          dense_scale=k * k / n)


if __name__ == "__main__":
    main()
