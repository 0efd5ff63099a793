#!/usr/bin/env python3
"""CPU paged-KV benchmark: the paged layout against the contiguous one, the
same build, the same shapes, interleaved in one run (issue #14).

    ATTN_BUILD_DIR=build PYTHONPATH=python /usr/bin/python3 bench/cpu/paged.py \
        [--rounds 3] [--reps 3] [--quick] [--only decode|prefill]

Decode: Lq = 1, Hq = 32 over Hkv = 8, D = 128, fp32 and bf16 caches,
B in {1, 8}, Lkv in {4k, 32k} (--quick: 4k only), pages of 16 and 128 rows
in the NHD layout ([pages, P, Hkv, D], vLLM's), the table a random
permutation of the pool's pages. Prefill: B = 1, Hq = 8 over Hkv = 2,
Lq = Lkv = 4096, D = 128, causal, fp32. Each cell compiles the contiguous
op and the paged ones with attn-cpu-pipeline, and the P=16 op through
attn-gather-paged first (`gather16`: the CPU path before the in-place key
loop), and times them in turns (then reversed, ...) for --rounds rounds of
--reps calls; best per side, spread = worst/best of the round bests. Decode prints
GB/s of K/V read and the share of the streaming read bandwidth of
bench/cpu/roof.c (same run); prefill GFLOP/s (4 B H Lq Lkv D / 2, causal)
and the share of the FMA peak. The targets: paged within 10% of
contiguous.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, HERE)
from attn import ir, runner  # noqa: E402
from decode import roof_gbs, time_calls  # noqa: E402

def variant(kind, B, L, dtype, page):
    if kind == "decode":
        var = dict(B=B, Hkv=8, Hq=32, Lq=1, Lkv=L, D=128, Dv=128,
                   dtype=dtype, masks=[])
    else:
        var = dict(B=B, Hkv=2, Hq=8, Lq=L, Lkv=L, D=128, Dv=128,
                   dtype=dtype, masks=[("causal",)])
    var.update(kv_lengths=False, q_lengths=False, segments=False,
               normalizer="softmax")
    if page:
        # One spare page, so the table is not the identity of the pool.
        var["paged"] = (os.environ.get("ATTN_PAGED_LAYOUT", "nhd"), page,
                        B * (L // page) + 1)
    return var


def inputs(var, rng):
    """Storage arrays: random blocks tiled (cheap to make), the page table
    a random permutation of the pool's pages."""
    st = []
    for name, shape, elem, _ in ir.arguments(var):
        n = int(np.prod(shape))
        if name == "page_table":
            pages = var["paged"][2]
            x = rng.permutation(pages)[:n].reshape(shape).astype(np.int32)
            st.append(x)
            continue
        block = rng.standard_normal(min(n, 1 << 20)).astype(np.float32)
        st.append(runner.to_storage(np.resize(block, n).reshape(shape), elem))
    outs = [np.zeros(shape, runner.STORAGE[elem])
            for _, shape, elem, _ in ir.results(var)]
    return st, outs


# The sides of a cell: (label, page size, pipeline). "gather16" is the CPU
# path before the in-place key loop: attn-gather-paged copies the pages the
# table names into contiguous K/V, then the contiguous tiled path runs.
SIDES = [("contig", 0, "attn-cpu-pipeline"),
         ("P=16", 16, "attn-cpu-pipeline"),
         ("P=128", 128, "attn-cpu-pipeline"),
         ("gather16", 16, "pass-pipeline=builtin.module(attn-gather-paged,"
          "attn-cpu-pipeline)")]


def run_cell(kind, B, L, dt, rounds, reps, rng):
    libs, args = {}, {}
    for label, page, pipeline in SIDES:
        var = variant(kind, B, L, dt, page)
        libs[label] = runner.compile_module(
            ir.function("f", var), workdir=tempfile.mkdtemp(prefix="paged-"),
            pipeline=pipeline)
        args[label] = inputs(var, rng)
    labels = [s[0] for s in SIDES]
    best = {s: [] for s in labels}
    for r in range(rounds):
        for s in (labels if r % 2 == 0 else labels[::-1]):
            best[s].append(time_calls(libs[s], *args[s], reps))
    return {s: (min(best[s]), max(best[s]) / min(best[s])) for s in labels}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("decode", "prefill"))
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    threads = os.cpu_count()
    bw, fma = roof_gbs(threads)
    print("roof.c, %d threads: read_bw_gbs %.1f fma_peak_gflops %.1f"
          % (threads, bw, fma))
    cells = []
    if a.only != "prefill":
        cells += [("decode", B, L, dt) for dt in ("f32", "bf16")
                  for B in (1, 8) for L in (4096, 32768)
                  if not (a.quick and L > 4096)]
    if a.only != "decode":
        cells.append(("prefill", 1, 4096, "f32"))
    labels = [s[0] for s in SIDES]
    print("%-7s %-4s %1s %6s | %s | %s" % (
        "kind", "dt", "B", "Lkv",
        " | ".join("%-23s" % (l + " ms (rate)") for l in labels),
        "time / contig (P=16, P=128, gather16); spreads"))
    for kind, B, L, dt in cells:
        res = run_cell(kind, B, L, dt, a.rounds, a.reps, rng)
        if kind == "decode":
            elem = 4 if dt == "f32" else 2
            work = 2 * B * 8 * L * 128 * elem / 1e9
            unit, roof = "GB/s", bw
        else:
            work = 4 * B * 8 * L * L * 128 / 2 / 1e9
            unit, roof = "GF/s", fma
        cols = ["%8.3f (%6.1f %s %3.0f%%)" % (
            res[l][0] * 1e3, work / res[l][0], unit,
            100 * work / res[l][0] / roof) for l in labels]
        print("%-7s %-4s %1d %6d | %s | %s; %s" % (
            kind, dt, B, L, " | ".join(cols),
            ", ".join("%.2f" % (res[l][0] / res["contig"][0])
                      for l in labels[1:]),
            "/".join("%.2f" % res[l][1] for l in labels)), flush=True)
    print("load average %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
