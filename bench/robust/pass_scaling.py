#!/usr/bin/env python3
"""Per-pass time against module size (issue #17, item 4).

Runs `attn-opt` with `-mlir-timing -mlir-timing-display=list` (single
threaded) on modules of bench/robust/big_module.py at several sizes and
prints, for every pass, its time per attention op at each size: a pass
whose ms/op grows with the size is superlinear.

    bench/robust/pass_scaling.py [--opt build/bin/attn-opt]
        [--shape mixed|chain|funcs] [--mb 0.025,0.05,0.1,0.2]
        [--top 15] [passes...]

`chain` is one function of chained ops (ops per function grows), `funcs`
one-op functions (number of functions grows), `mixed` half of each (the
shape big_module.py times). Default passes: --attn-cpu-pipeline.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import big_module  # noqa: E402

LINE = re.compile(r"^\s*([\d.]+) \(\s*[\d.]+%\)\s+(.*\S)\s*$")


def timings(opt, path, passes):
    t = time.time()
    r = subprocess.run([opt, path, "-o", os.devnull, "-mlir-timing",
                        "-mlir-timing-display=list",
                        "-mlir-disable-threading"] + passes,
                       check=True, capture_output=True, text=True)
    wall = time.time() - t
    out = {}
    for line in r.stderr.splitlines():
        m = LINE.match(line)
        if m:
            out[m.group(2)] = out.get(m.group(2), 0.0) + float(m.group(1))
    return wall, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opt", default="build/bin/attn-opt")
    ap.add_argument("--shape", default="mixed",
                    choices=["mixed", "chain", "funcs"])
    ap.add_argument("--mb", default="0.025,0.05,0.1,0.2")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("passes", nargs="*")
    a = ap.parse_args()
    passes = a.passes or ["--attn-cpu-pipeline"]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for mb in map(float, a.mb.split(",")):
            text, ops = big_module.module(int(mb * 1e6), a.shape)
            path = os.path.join(d, "m.mlir")
            with open(path, "w") as f:
                f.write(text)
            wall, t = timings(a.opt, path, passes)
            rows.append((len(text) / 1e6, ops, wall, t))
            print("# %s %.3f MB, %d ops: %.2f s, %.1f ms/op, %.0f s/MB" %
                  (a.shape, len(text) / 1e6, ops, wall, 1e3 * wall / ops,
                   wall / (len(text) / 1e6)), flush=True)
    last = rows[-1][3]
    names = sorted((n for n in last if n != "root"),
                   key=lambda n: -last[n])[:a.top]
    print("%-44s" % "ms per op" + "".join("%10.3f" % r[0] for r in rows))
    print("%-44s" % "(ops)" + "".join("%10d" % r[1] for r in rows))
    for n in ["root"] + names:
        print("%-44s" % n[:44] + "".join(
            "%10.2f" % (1e3 * r[3].get(n, 0.0) / r[1]) for r in rows))


if __name__ == "__main__":
    main()
