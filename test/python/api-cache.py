# RUN: rm -rf %t && env ATTN_CACHE_DIR=%t %python %s | FileCheck %s

"""Compiled kernels are cached by content hash: building the same kernel
again, in this process or another one, does not run attn-opt."""

import os
import subprocess
import sys

import numpy as np

import attn
from attn import runner

SCRIPT = """
import numpy as np, attn
from attn import runner
slopes = np.linspace(-1, -0.1, 4)
kern = attn.attention((1, 4, 16, 8), masks=[attn.causal()],
                      score_mod=lambda s, b, h, i, j: s + slopes[h] * (j - i))
print(kern.cache_hit, runner.STATS["attn-opt"])
"""

cache = os.environ["ATTN_CACHE_DIR"]
slopes = np.linspace(-1, -0.1, 4)


def build(causal=True):
    return attn.attention(
        (1, 4, 16, 8), masks=[attn.causal()] if causal else [],
        score_mod=lambda s, b, h, i, j: s + slopes[h] * (j - i))


# CHECK: first: hit=False attn-opt runs=1
k1 = build()
print("first: hit=%s attn-opt runs=%d" % (k1.cache_hit,
                                          runner.STATS["attn-opt"]))
# CHECK: second: hit=True attn-opt runs=1 same library=True
k2 = build()
print("second: hit=%s attn-opt runs=%d same library=%s" % (
    k2.cache_hit, runner.STATS["attn-opt"], k1.library == k2.library))
# CHECK: cache holds: 1 .so, 1 .mlir, no build dirs
files = os.listdir(cache)
print("cache holds: %d .so, %d .mlir, %s" % (
    sum(f.endswith(".so") for f in files),
    sum(f.endswith(".mlir") for f in files),
    "no build dirs" if all("." in f for f in files) else files))
# CHECK: cached module is the kernel's IR: True
print("cached module is the kernel's IR:",
      open(k1.library[:-3] + ".mlir").read() == k1.mlir)

# Another process finds it too.
# CHECK: other process: True 0
p = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True,
                   text=True, check=True)
print("other process:", p.stdout.strip())

# A different kernel (or pipeline) is a different entry.
# CHECK: different kernel: hit=False attn-opt runs=2
k3 = build(causal=False)
print("different kernel: hit=%s attn-opt runs=%d" % (
    k3.cache_hit, runner.STATS["attn-opt"]))
# CHECK: different pipeline: hit=False attn-opt runs=3
k4 = attn.attention((1, 4, 16, 8), masks=[attn.causal()],
                    score_mod=lambda s, b, h, i, j: s + slopes[h] * (j - i),
                    pipeline="attn-cpu-pipeline=parallel=false")
print("different pipeline: hit=%s attn-opt runs=%d" % (
    k4.cache_hit, runner.STATS["attn-opt"]))

# The cached kernels compute the same thing.
# CHECK: cached results agree: True
x = np.random.default_rng(0).standard_normal((1, 4, 16, 8)).astype(np.float32)
print("cached results agree:", np.array_equal(k1(x, x, x), k2(x, x, x)) and
      np.allclose(k1(x, x, x), k4(x, x, x), rtol=1e-5, atol=1e-6))
