#!/usr/bin/env python3
"""Times attn-opt on modules of repeated attention ops (issue #17, item 4).

Writes modules of about 1.25, 2.5, 5 and 10 MB: one function holding many
attention ops (chained, each reading the previous output) plus as many
small functions, and times `attn-opt` parsing + verifying + printing and
running passes on them. Time per MB that stays flat means linear time.

    bench/robust/big_module.py [build/bin/attn-opt] [passes...]

ATTN_BIG_MODULE_MB (comma-separated, default 1.25,2.5,5,10) picks the
sizes, e.g. 0.1,0.2,0.4,0.8 for the slower -attn-tile. ATTN_BIG_MODULE_SHAPE
picks the shape: mixed (default, as above), chain (only the chained
function) or funcs (only one-op functions). Per-pass times against size:
bench/robust/pass_scaling.py.
"""
import os
import subprocess
import sys
import tempfile
import time

OP = ("  %o{i} = attn.attention ins(%o{p}, %k, %v : tensor<1x2x16x32xf32>, "
      "tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>) outs(%k : "
      "tensor<1x2x16x32xf32>) {{masks = [#attn.causal]}} -> "
      "tensor<1x2x16x32xf32>\n")
FN = ("func.func @f{i}(%q: tensor<1x2x16x32xf32>, %k: tensor<1x2x16x32xf32>,"
      " %v: tensor<1x2x16x32xf32>) -> tensor<1x2x16x32xf32> {{\n"
      "  %o = attn.attention ins(%q, %k, %v : tensor<1x2x16x32xf32>, "
      "tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>) outs(%q : "
      "tensor<1x2x16x32xf32>) -> tensor<1x2x16x32xf32>\n"
      "  return %o : tensor<1x2x16x32xf32>\n}}\n")


def module(target_bytes, shape="mixed"):
    """`mixed`: half chain, half one-op functions; `chain`: only the chained
    function; `funcs`: only one-op functions."""
    chain_bytes = {"mixed": target_bytes // 2, "chain": target_bytes,
                   "funcs": 0}[shape]
    parts = []
    size, i = 0, 1
    if chain_bytes:
        parts.append("func.func @chain(%o0: tensor<1x2x16x32xf32>, "
                     "%k: tensor<1x2x16x32xf32>, %v: tensor<1x2x16x32xf32>)"
                     " -> tensor<1x2x16x32xf32> {\n")
        while size < chain_bytes:
            s = OP.format(i=i, p=i - 1)
            parts.append(s)
            size += len(s)
            i += 1
        parts.append("  return %%o%d : tensor<1x2x16x32xf32>\n}\n" % (i - 1))
    j = 0
    while size < target_bytes:
        s = FN.format(i=j)
        parts.append(s)
        size += len(s)
        j += 1
    return "".join(parts), i - 1 + j


def main():
    opt = sys.argv[1] if len(sys.argv) > 1 else "build/bin/attn-opt"
    runs = sys.argv[2:] or ["", "-attn-decompose", "-attn-tile"]
    print("%-16s %8s %8s %10s %10s" % ("passes", "MB", "ops", "seconds",
                                          "s/MB"))
    with tempfile.TemporaryDirectory() as d:
        sizes = os.environ.get("ATTN_BIG_MODULE_MB", "1.25,2.5,5,10")
        for mb in map(float, sizes.split(",")):
            text, ops = module(int(mb * 1e6),
                               os.environ.get("ATTN_BIG_MODULE_SHAPE",
                                              "mixed"))
            path = os.path.join(d, "m.mlir")
            with open(path, "w") as f:
                f.write(text)
            for p in runs:
                t = time.time()
                subprocess.run([opt, path, "-o", os.devnull] +
                               ([p] if p else []), check=True)
                dt = time.time() - t
                print("%-16s %8.2f %8d %10.2f %10.3f" %
                      (p or "(parse only)", len(text) / 1e6, ops, dt,
                       dt / (len(text) / 1e6)), flush=True)


if __name__ == "__main__":
    main()
