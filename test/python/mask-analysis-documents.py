# RUN: %python %s --seed 1 --count 12 --pipeline "attn-cpu-pipeline=q-tile=4 kv-tile=3" | FileCheck %s
# RUN: %python %s --seed 2 --count 12 --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8" | FileCheck %s
# RUN: %python %s --seed 3 --count 12 | FileCheck %s
# CHECK: document regions: {{[0-9]+}} kernels, 0 mismatches

"""mask_mod regions that read captured per-token tensors (document ids,
positions), whose reads the mask analysis summarises per tile at run time
(min/max over the tile's entries): tiles between documents are skipped and
tiles inside one document are full. Compared with the numpy evaluation of
the same traces; the scores are observed directly (sigmoid normaliser, V
the identity, so O[b, h, i, e] = sigmoid(s) where the region keeps
(b, h, i, e) and 0 elsewhere)."""

import argparse
import random
import sys

import numpy as np

from attn import ir, reference, runner
from attn import trace as tr

B, HQ, HKV, D = 1, 2, 1, 8


def variant(rng, nrng):
    n = rng.randint(5, 70)
    if rng.random() < 0.7:
        docs = np.sort(nrng.integers(0, rng.randint(1, 6), size=n))
    else:
        docs = nrng.integers(0, 3, size=n)
    pos = (np.arange(n) % rng.randint(3, 20)).astype(np.int64)
    caps = {"docs": tr.Capture(docs.astype(np.int32), name="docs"),
            "pos": tr.Capture(pos, name="pos")}
    kind = rng.randrange(4)

    def mask_mod(b, h, i, j):
        d, p = caps["docs"], caps["pos"]
        if kind == 0:
            return d[i] == d[j]
        if kind == 1:
            return (d[i] == d[j]) & (j <= i)
        if kind == 2:
            return (p[j] <= p[i]) & (d[i] == d[j])
        return (d[j] >= d[i] - 1) & (j - i <= 2)

    registry = tr.Captures(reserved=ir.OPERANDS)
    var = {"B": B, "Hq": HQ, "Hkv": HKV, "Lq": n, "Lkv": n, "D": D,
           "Dv": n, "dtype": "f32", "normalizer": "sigmoid",
           "mask_mod": tr.trace(mask_mod, "mask_mod", registry)}
    var["captures"] = list(registry.items)
    return var


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    a = ap.parse_args(argv)
    rng, nrng = random.Random(a.seed), np.random.default_rng(a.seed)
    variants = [variant(rng, nrng) for _ in range(a.count)]
    module = "\n".join(ir.function("m%d" % k, v)
                       for k, v in enumerate(variants))
    lib = runner.compile_module(module, pipeline=a.pipeline)
    bad = 0
    for k, var in enumerate(variants):
        n = var["Lq"]
        v = np.ascontiguousarray(np.broadcast_to(
            np.eye(n, dtype=np.float32), (B, HKV, n, n)))
        q = nrng.standard_normal((B, HQ, n, D)).astype(np.float32)
        kk = nrng.standard_normal((B, HKV, n, D)).astype(np.float32)
        caps = {c: c.array for c in var["captures"]}
        out = np.zeros((B, HQ, n, n), np.float32)
        runner.call(lib, "m%d" % k, [q, kk, v] + [c.array for c in
                                                  var["captures"]], [out])
        ref, _ = reference.attention(
            q, kk, v, normalizer="sigmoid",
            mask_mod=lambda *idx: tr.evaluate(var["mask_mod"], idx, caps))
        err = np.max(np.abs(out - ref))
        if not err <= 1e-5:
            bad += 1
            print("FAIL m%d: max abs error %.3g" % (k, err))
            print(ir.function("m%d" % k, var))
    print("document regions: %d kernels, %d mismatches" % (len(variants),
                                                          bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
