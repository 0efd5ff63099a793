#!/usr/bin/env python3
"""CPU decode benchmark: bytes of K/V read per second against the machine's
streaming read bandwidth, measured in the same run.

    ATTN_BUILD_DIR=build PYTHONPATH=python /usr/bin/python3 bench/cpu/decode.py \
        [--base-build /work/main/build] [--rounds 3] [--reps 3] [--quick]
        [--no-ort]

Decode: one new query token (Lq = 1), Hq = 32 query heads over Hkv = 8
key/value heads, D = 128, contiguous fp32 and bf16 caches, B in {1, 8},
Lkv in {4k, 32k, 128k} (128k only at B = 1: at B = 8 its fp32 cache alone
is 8.6 GB of this shared 23 GB machine). Each shape is compiled by this
build (`new`) and by --base-build (`base`, e.g. main) with
attn-cpu-pipeline, then timed in turns (base, new, new, base, ...) for
--rounds rounds of --reps calls, best per side; the spread is worst/best of
the round bests. GB/s = bytes of K and V read / time, against read_bw_gbs
of bench/cpu/roof.c (built here with clang-22 -march=native; all hardware
threads, streaming sum over 1 GiB, best of 5; measured before and after
the grid, the larger kept). ONNX Runtime's com.microsoft
GroupQueryAttention with past key/value (fp32, its CPU kernel) is the
anchor: its time is reported as a ratio, ort/new.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
from attn import ir, runner  # noqa: E402

ANCHORS = "/work/shared/anchors/cpu"
CACHE = os.environ.get("ATTN_ANCHOR_CACHE",
                       os.path.expanduser("~/.cache/attn-anchors"))
HQ, HKV, D = 32, 8, 128


def roof_binary():
    """bench/cpu/roof.c built for this host (portable: no intrinsics)."""
    os.makedirs(CACHE, exist_ok=True)
    src = os.path.join(HERE, "roof.c")
    exe = os.path.join(CACHE, "roof-portable")
    if (not os.path.exists(exe)
            or os.path.getmtime(exe) < os.path.getmtime(src)):
        subprocess.run(["clang-22", "-O3", "-march=native", "-fopenmp", src,
                        "-o", exe], check=True)
    return exe


def roof_gbs(threads):
    """(read_bw_gbs, fma_peak_gflops) of roof.c on `threads` threads, best
    of 5 each."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([roof_binary()], capture_output=True, text=True,
                         check=True, env=env).stdout
    vals = dict(line.split() for line in out.splitlines())
    return float(vals["read_bw_gbs"]), float(vals["fma_peak_gflops"])


def variant(B, L, dtype):
    return dict(B=B, Hkv=HKV, Hq=HQ, Lq=1, Lkv=L, D=D, Dv=D, dtype=dtype,
                masks=[], kv_lengths=False, q_lengths=False, segments=False,
                normalizer="softmax")


def compile_with(build, var):
    old = os.environ.get("ATTN_BUILD_DIR")
    os.environ["ATTN_BUILD_DIR"] = build
    try:
        return runner.compile_module(ir.function("f", var),
                                     workdir=tempfile.mkdtemp(prefix="dec-"))
    finally:
        if old is None:
            del os.environ["ATTN_BUILD_DIR"]
        else:
            os.environ["ATTN_BUILD_DIR"] = old


def inputs(var):
    """Storage arrays; the caches are a random block tiled (cheap to make)."""
    rng = np.random.default_rng(0)
    st = []
    for name, shape, elem, _ in ir.arguments(var):
        n = int(np.prod(shape))
        block = rng.standard_normal(min(n, 1 << 20)).astype(np.float32)
        x = np.resize(block, n).reshape(shape)
        st.append(runner.to_storage(x, elem))
    outs = [np.zeros(shape, runner.STORAGE[elem])
            for _, shape, elem, _ in ir.results(var)]
    return st, outs


def time_calls(lib, ins, outs, reps):
    best = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        runner.call(lib, "f", ins, outs)
        best = min(best, time.perf_counter() - t0)
    return best


def ort_time(B, L, reps):
    """Best time of ORT GroupQueryAttention (fp32), or an error string."""
    model = os.path.join(CACHE, "gqa_%d_%d_%d_%d.onnx" % (B, HQ, HKV, D))
    if not os.path.exists(model):
        from onnx import TensorProto, helper
        import onnx
        f = TensorProto.FLOAT
        vi = helper.make_tensor_value_info
        ins = [vi("q", f, [B, 1, HQ * D]), vi("k", f, [B, 1, HKV * D]),
               vi("v", f, [B, 1, HKV * D]),
               vi("past_key", f, [B, HKV, "P", D]),
               vi("past_value", f, [B, HKV, "P", D]),
               vi("seqlens_k", TensorProto.INT32, [B]),
               vi("total_sequence_length", TensorProto.INT32, [1])]
        outs = [vi("o", f, [B, 1, HQ * D]),
                vi("present_key", f, [B, HKV, "T", D]),
                vi("present_value", f, [B, HKV, "T", D])]
        node = helper.make_node(
            "GroupQueryAttention", [i.name for i in ins],
            [o.name for o in outs], domain="com.microsoft", num_heads=HQ,
            kv_num_heads=HKV)
        m = helper.make_model(helper.make_graph([node], "gqa", ins, outs),
                              opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid(
                                                 "com.microsoft", 1)])
        m.ir_version = 8
        onnx.save(m, model)
    env = dict(os.environ, NODE_PATH=os.path.join(CACHE, "node_modules"))
    out = subprocess.run(
        ["node", os.path.join(HERE, "ort_gqa.js"), model, str(B), str(HQ),
         str(HKV), str(L), str(D), str(reps)],
        capture_output=True, text=True, env=env).stdout.strip()
    try:
        return float(out)
    except ValueError:
        return out or "no output"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-build", default="/work/main/build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true",
                    help="4k and 32k only")
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--only", default="",
                    help="comma-separated cells dtype:B:Lkv, e.g. bf16:8:32768")
    a = ap.parse_args()
    new_build = os.environ.get("ATTN_BUILD_DIR",
                               os.path.join(ROOT, "build"))
    grid = [(dt, B, L) for dt in ("f32", "bf16") for B in (1, 8)
            for L in (4096, 32768, 131072)
            if not (B == 8 and L == 131072) and not (a.quick and L > 32768)]
    if a.only:
        want = set(a.only.split(","))
        grid = [g for g in grid if "%s:%d:%d" % g in want]
    threads = os.cpu_count()
    roof, fma = roof_gbs(threads)
    print("roof.c, %d threads, before: read_bw_gbs %.1f fma_peak_gflops %.1f"
          % (threads, roof, fma))
    rows = []
    for dt, B, L in grid:
        var = variant(B, L, dt)
        libs = {"base": compile_with(a.base_build, var),
                "new": compile_with(new_build, var)}
        ins, outs = inputs(var)
        best = {"base": [], "new": []}
        for r in range(a.rounds):
            order = ("base", "new") if r % 2 == 0 else ("new", "base")
            for side in order:
                best[side].append(time_calls(libs[side], ins, outs, a.reps))
        elem = 4 if dt == "f32" else 2
        kv_bytes = 2 * B * HKV * L * D * elem
        row = dict(dt=dt, B=B, L=L, bytes=kv_bytes)
        for side in ("base", "new"):
            row[side] = min(best[side])
            row[side + "_spread"] = max(best[side]) / min(best[side])
        row["ort"] = (ort_time(B, L, a.reps) if dt == "f32" and not a.no_ort
                      else None)
        rows.append(row)
        del ins, outs
    after, fma_after = roof_gbs(threads)
    print("roof.c, after: read_bw_gbs %.1f fma_peak_gflops %.1f"
          % (after, fma_after))
    roof = max(roof, after)
    print("read_bw_gbs (max of before/after) %.1f; load average %s" % (
        roof, " ".join("%.2f" % x for x in os.getloadavg())))
    print("%-5s %2s %7s | %9s %7s %6s | %9s %7s %6s %6s | %7s | %s" % (
        "cache", "B", "Lkv", "base ms", "GB/s", "spread", "new ms", "GB/s",
        "roof%", "spread", "new/base", "ort ms, ort/new"))
    for r in rows:
        gb = lambda t: r["bytes"] / t / 1e9  # noqa: E731
        ort = r["ort"]
        if ort is None:
            ort_s = "-"
        elif isinstance(ort, float):
            ort_s = "%.3f, %.2f" % (ort * 1e3, ort / r["new"])
        else:
            ort_s = ort
        print("%-5s %2d %7d | %9.3f %7.1f %6.2f | %9.3f %7.1f %5.0f%% %6.2f |"
              " %7.3f | %s" % (
                  r["dt"], r["B"], r["L"], r["base"] * 1e3, gb(r["base"]),
                  r["base_spread"], r["new"] * 1e3, gb(r["new"]),
                  100 * gb(r["new"]) / roof, r["new_spread"],
                  r["new"] / r["base"], ort_s))


if __name__ == "__main__":
    main()
