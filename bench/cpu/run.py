#!/usr/bin/env python3
"""CPU benchmark of attn against anchors measured in the same run.

    PYTHONPATH=python python3 bench/cpu/run.py [--quick] [--reps 3]

For each configuration (B=1, H=8 unless stated): compiles an attn.attention
function with `attn-opt --attn-cpu-pipeline` (the tiled fast path), times
it (best of --reps) in a child process that also reports its peak RSS, and
prints GFLOP/s (4*B*H*Lq*Lkv*D; halved for causal; the kept area for
windows). Dense and causal rows also run ../shared/anchors/cpu/run.sh
(OpenBLAS unfused and ONNX Runtime's fused MultiHeadAttention) and print
our speed-up over each; the reference path (materialised scores) is timed
where it fits (N <= 1024). Every other row is compared with the ORT dense
time of its shape.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from attn import runner  # noqa: E402
from attn.ir import attention_op  # noqa: E402

ANCHORS = os.path.abspath(os.path.join(ROOT, "..", "shared", "anchors", "cpu",
                                       "run.sh"))


def attn_source(cfg):
    B, Hq, Hkv, Lq, Lkv, D = (cfg[k] for k in ("B", "Hq", "Hkv", "Lq", "Lkv",
                                               "D"))
    q = "tensor<%dx%dx%dx%dxf32>" % (B, Hq, Lq, D)
    k = "tensor<%dx%dx%dx%dxf32>" % (B, Hkv, Lkv, D)
    args, segments = "", None
    if cfg.get("segments"):
        qs, ks = "tensor<%dx%dxi32>" % (B, Lq), "tensor<%dx%dxi32>" % (B, Lkv)
        args = ", %%qs: %s, %%ks: %s" % (qs, ks)
        segments = (("%qs", qs), ("%ks", ks))
    attrs = ["masks = [%s]" % cfg["masks"]] if cfg.get("masks") else []
    op = attention_op(["%o"], [q], ("%q", q), ("%k", k), ("%v", k),
                      segment_ids=segments, attrs=attrs)
    return ("func.func @f(%%q: %s, %%k: %s, %%v: %s%s) -> %s {\n"
            "  %s\n  return %%o : %s\n}\n" % (q, k, k, args, q, op, q))


CHILD = r"""
import ctypes, json, resource, sys, time
import numpy as np
sys.path.insert(0, %(py)r)
from attn import runner
cfg = json.loads(%(cfg)r)
lib = ctypes.CDLL(%(so)r)
B, Hq, Hkv, Lq, Lkv, D = (cfg[k] for k in ("B", "Hq", "Hkv", "Lq", "Lkv", "D"))
rng = np.random.default_rng(0)
ins = [(rng.random((B, Hq, Lq, D), np.float32) - 0.5),
       (rng.random((B, Hkv, Lkv, D), np.float32) - 0.5),
       (rng.random((B, Hkv, Lkv, D), np.float32) - 0.5)]
if cfg.get("segments"):
    # Documents of 1024 tokens packed in one sequence.
    ins += [(np.arange(Lq, dtype=np.int32) // 1024)[None].repeat(B, 0).copy(),
            (np.arange(Lkv, dtype=np.int32) // 1024)[None].repeat(B, 0).copy()]
out = np.zeros((B, Hq, Lq, D), np.float32)
out.fill(1.0)  # touch every page before the RSS baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
best = 1e30
for _ in range(cfg["reps"]):
    t0 = time.perf_counter()
    runner.call(lib, "f", ins, [out])
    best = min(best, time.perf_counter() - t0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"time": best, "rss_kib": peak, "base_kib": base,
                  "finite": bool(np.isfinite(out).all())}))
"""


def run_attn(cfg, pipeline, reps, workdir):
    src = attn_source(cfg)
    path = os.path.join(workdir, "m.mlir")
    with open(path, "w") as f:
        f.write(src)
    t0 = time.perf_counter()
    subprocess.run([runner.attn_opt(), path, "--" + pipeline, "-o",
                    os.devnull], check=True)
    opt_time = time.perf_counter() - t0
    runner.compile_module(src, workdir=workdir, pipeline=pipeline)
    c = dict(cfg, reps=reps)
    p = subprocess.run([sys.executable, "-c", CHILD % {
        "py": os.path.join(ROOT, "python"), "cfg": json.dumps(c),
        "so": os.path.join(workdir, "module.so")}],
        capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["opt_time"] = opt_time
    return r


_anchor_cache = {}


def anchors(B, H, N, D, causal, reps):
    key = (B, H, N, D, causal)
    if key in _anchor_cache:
        return _anchor_cache[key]
    res = {}
    if os.path.exists(ANCHORS):
        p = subprocess.run(["bash", ANCHORS, str(B), str(H), str(N), str(D),
                            str(int(causal)), str(reps)],
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            m = re.match(r"(unfused|ort-mha) .*?: ([0-9.]+) ms", line)
            if m:
                res[m.group(1)] = float(m.group(2)) / 1e3
    _anchor_cache[key] = res
    return res


def flops(cfg):
    f = 4.0 * cfg["B"] * cfg["Hq"] * cfg["Lq"] * cfg["Lkv"] * cfg["D"]
    if cfg.get("kind") == "causal":
        f /= 2
    if cfg.get("kind") == "window":
        f = 4.0 * cfg["B"] * cfg["Hq"] * cfg["Lq"] * min(256, cfg["Lkv"]) * \
            cfg["D"]
    return f


def grid(quick):
    Ns = [1024, 4096] if quick else [1024, 4096, 16384]
    out = []
    for N in Ns:
        for D in (64, 128):
            base = dict(B=1, Hq=8, Hkv=8, Lq=N, Lkv=N, D=D)
            out.append(dict(base, kind="dense"))
            out.append(dict(base, kind="causal", masks="#attn.causal"))
            out.append(dict(base, kind="window", masks="#attn.causal, "
                            "#attn.sliding_window<left = 255, right = 0>"))
            out.append(dict(base, kind="document", segments=True))
            out.append(dict(base, kind="gqa4", Hkv=2))
    out.append(dict(B=1, Hq=8, Hkv=8, Lq=1, Lkv=32768, D=128,
                    kind="decode"))
    # One head: only split-KV occupies more than one thread.
    out.append(dict(B=1, Hq=1, Hkv=1, Lq=1, Lkv=32768, D=128,
                    kind="decode-1h"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="N in {1024, 4096} only")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", help="comma-separated kinds to run")
    a = ap.parse_args()
    kinds = set(a.only.split(",")) if a.only else None
    print("%-9s %6s %6s %4s | %10s %8s | %9s %9s | %8s %8s %8s | %7s %6s" % (
        "kind", "Lq", "Lkv", "D", "attn ms", "GFLOP/s", "ort ms", "unfused",
        "vs ort", "vs unf", "vs ref", "MiB+", "opt s"))
    with tempfile.TemporaryDirectory(prefix="attn-bench-") as wd:
        for cfg in grid(a.quick):
            if kinds and cfg["kind"] not in kinds:
                continue
            r = run_attn(cfg, "attn-cpu-pipeline", a.reps, wd)
            N, D = cfg["Lq"], cfg["D"]
            anc = {}
            if cfg["kind"] in ("dense", "causal"):
                anc = anchors(1, 8, N, D, cfg["kind"] == "causal", a.reps)
            elif cfg["kind"] in ("window", "document", "gqa4"):
                anc = anchors(1, 8, N, D, False, a.reps)
            ref = None
            if cfg["kind"] in ("dense", "causal") and N <= 1024:
                ref = run_attn(cfg, "attn-cpu-pipeline=reference=true",
                               1, wd)["time"]
            t = r["time"]

            def ratio(x):
                return ("%7.2fx" % (x / t)) if x else "      -"

            extra = (r["rss_kib"] - r["base_kib"]) / 1024.0
            print("%-9s %6d %6d %4d | %10.2f %8.1f | %9s %9s | %8s %8s %8s "
                  "| %7.1f %6.2f%s" % (
                      cfg["kind"], N, cfg["Lkv"], D, t * 1e3,
                      flops(cfg) / t / 1e9,
                      "%.2f" % (anc["ort-mha"] * 1e3) if "ort-mha" in anc
                      else "-",
                      "%.2f" % (anc["unfused"] * 1e3) if "unfused" in anc
                      else "-",
                      ratio(anc.get("ort-mha")), ratio(anc.get("unfused")),
                      ratio(ref), extra, r["opt_time"],
                      "" if r["finite"] else "  NON-FINITE"))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
