#!/usr/bin/env python3
"""Two builds of attn timed side by side on the bench/cpu/run.py grid.

    /usr/bin/python3 bench/cpu/compare_builds.py --base /path/to/old/checkout \
        [--new .] [--quick] [--only dense,causal] [--rounds 3] [--reps 3]

Each checkout compiles every row with its own attn-opt and its own Python
printer (the two builds may spell the op differently), through its own
bench/cpu/run.py `attn_source`. The two modules are then timed in turns
(base, new, new, base, ...) for --rounds rounds of --reps calls each, in
child processes, and each side keeps its best time: on a shared, noisy
machine the turns expose both builds to the same load. Prints both times,
new/base, the spread of each side (worst/best over the rounds) and both
compile times (attn-opt alone).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402

COMPILE = r"""
import json, os, sys, subprocess, time
sys.path.insert(0, os.path.join(%(root)r, "bench", "cpu"))
import run
from attn import runner
cfg = json.loads(%(cfg)r)
src = run.attn_source(cfg)
path = os.path.join(%(wd)r, "m.mlir")
open(path, "w").write(src)
t0 = time.perf_counter()
subprocess.run([runner.attn_opt(), path, "--attn-cpu-pipeline", "-o",
                os.devnull], check=True)
opt = time.perf_counter() - t0
runner.compile_module(src, workdir=%(wd)r, pipeline="attn-cpu-pipeline")
print(json.dumps({"opt_time": opt}))
"""


def compile_row(root, cfg, wd):
    env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"),
               ATTN_BUILD_DIR=os.path.join(root, "build"))
    p = subprocess.run([sys.executable, "-c", COMPILE % {
        "root": root, "cfg": json.dumps(cfg), "wd": wd}], env=env,
        capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (root, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])["opt_time"]


def time_row(cfg, so, reps):
    c = dict(cfg, reps=reps)
    p = subprocess.run([sys.executable, "-c", run.CHILD % {
        "py": os.path.join(run.ROOT, "python"), "cfg": json.dumps(c),
        "so": so}], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    r = json.loads(p.stdout.strip().splitlines()[-1])
    if not r["finite"]:
        raise RuntimeError("non-finite output from %s" % so)
    return r["time"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="checkout of the old code")
    ap.add_argument("--new", default=run.ROOT, help="checkout of the new code")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", help="comma-separated kinds to run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    roots = [os.path.abspath(a.base), os.path.abspath(a.new)]
    kinds = set(a.only.split(",")) if a.only else None
    print("%-9s %6s %6s %4s | %9s %9s %7s | %6s %6s | %6s %6s" % (
        "kind", "Lq", "Lkv", "D", "base ms", "new ms", "new/base",
        "spr b", "spr n", "opt b", "opt n"))
    with tempfile.TemporaryDirectory(prefix="attn-cmp-") as wd:
        for cfg in run.grid(a.quick):
            if kinds and cfg["kind"] not in kinds:
                continue
            dirs, opts = [], []
            for i, root in enumerate(roots):
                d = os.path.join(wd, str(i))
                os.makedirs(d, exist_ok=True)
                opts.append(compile_row(root, cfg, d))
                dirs.append(os.path.join(d, "module.so"))
            times = [[], []]
            for r in range(a.rounds):
                order = (0, 1) if r % 2 == 0 else (1, 0)
                for i in order:
                    times[i].append(time_row(cfg, dirs[i], a.reps))
            best = [min(t) for t in times]
            spread = [max(t) / min(t) for t in times]
            print("%-9s %6d %6d %4d | %9.2f %9.2f %7.3fx | %6.2f %6.2f | "
                  "%6.2f %6.2f" % (
                      cfg["kind"], cfg["Lq"], cfg["Lkv"], cfg["D"],
                      best[0] * 1e3, best[1] * 1e3, best[1] / best[0],
                      spread[0], spread[1], opts[0], opts[1]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
