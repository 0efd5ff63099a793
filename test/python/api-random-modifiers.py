# RUN: %python %s --seed 1 --count 40 | FileCheck %s
# RUN: %python %s --seed 2 --count 40 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# RUN: %python %s --seed 3 --count 40 --pipeline "attn-cpu-pipeline=q-tile=4 kv-tile=3" | FileCheck %s
# CHECK: random modifiers: {{[0-9]+}} kernels, 0 mismatches

"""Random score_mod/mask_mod Python functions, traced, compiled and run,
against the numpy evaluation of the same traces.

The scores are observed directly: with the sigmoid normaliser and V the
identity (Lkv = Dv, V[j, e] = [j == e]), O[b, h, i, e] is
sigmoid(score_mod(...)) where mask_mod keeps (b, h, i, e) and 0 elsewhere.
Every variant is one function of a single module (one compile)."""

import argparse
import random
import sys

import numpy as np

import attn
from attn import ir, reference, runner
from attn import trace as tr

B, HQ, HKV, LQ, LKV, D = 2, 4, 2, 13, 11, 8


class Gen:
    """Random expressions over the modifier's arguments and captures."""

    def __init__(self, rng, args, caps):
        self.rng, self.args, self.caps = rng, args, caps

    def index(self, depth):
        r = self.rng
        b, h, i, j = self.args[-4:]
        if depth == 0 or r.random() < 0.25:
            return r.choice([b, h, i, j, i, j, r.randint(-5, 5)])
        x, y = self.index(depth - 1), self.index(depth - 1)
        op = r.randrange(11)
        if op == 0:
            return x + y
        if op == 1:
            return x - y
        if op == 2:
            return x * r.randint(-3, 3)
        if op == 3:
            return x // r.choice([-4, -3, -2, 1, 2, 3, 5])
        if op == 4:
            return x % r.choice([-4, -3, 2, 3, 7])
        if op == 5:
            return attn.minimum(x, y) if r.random() < 0.5 else \
                attn.maximum(x, y)
        if op == 6:
            return abs(x) if r.random() < 0.5 else -x
        if op == 7:
            return attn.where(self.pred(depth - 1), x, y)
        if op == 8:
            # An integer capture read at a clamped index.
            n = self.caps["ids"].shape[0]
            return self.caps["ids"][attn.minimum(attn.maximum(x, 0), n - 1)]
        if op == 9:
            return (x & 7) ^ (y | 2)
        return self.pred(depth - 1) + x   # i1 -> index

    def pred(self, depth):
        r = self.rng
        if depth == 0 or r.random() < 0.3:
            x, y = self.index(0), self.index(0)
            return [x < y, x <= y, x > y, x >= y, x == y, x != y][
                r.randrange(6)]
        op = r.randrange(6)
        p, q = self.pred(depth - 1), self.pred(depth - 1)
        if op == 0:
            return p & q
        if op == 1:
            return p | q
        if op == 2:
            return ~p
        if op == 3:
            return p ^ q
        if op == 4:
            keep = self.caps["keep"]
            return keep[attn.minimum(abs(self.index(depth - 1)), LQ - 1),
                        attn.maximum(attn.minimum(self.index(depth - 1),
                                                  LKV - 1), 0)]
        x, y = self.index(depth - 1), self.index(depth - 1)
        return x < y

    def real(self, depth):
        r = self.rng
        if depth == 0 or r.random() < 0.2:
            return r.choice([self.args[0], self.args[0],
                             r.uniform(-2, 2), self.index(1)])
        x, y = self.real(depth - 1), self.real(depth - 1)
        op = r.randrange(11)
        if op == 0:
            return x + y
        if op == 1:
            return x - y * 0.5
        if op == 2:
            return x * attn.tanh(y)
        if op == 3:
            return x / (abs(y) + 1.0)
        if op == 4:
            return attn.exp(-abs(x))
        if op == 5:
            return attn.sqrt(abs(x)) - attn.log(abs(y) + 1.0)
        if op == 6:
            return attn.minimum(x, y) if r.random() < 0.5 else \
                attn.maximum(x, y)
        if op == 7:
            return attn.where(self.pred(depth - 1), x, y)
        if op == 8:
            table = self.caps["table"]
            return table[attn.minimum(abs(self.index(depth - 1)), HQ - 1),
                         attn.maximum(attn.minimum(self.index(depth - 1),
                                                   LKV - 1), 0)] * x
        if op == 9:
            return x + self.pred(depth - 1)   # i1 -> f32
        return x - self.index(depth - 1) / 4  # index -> f32


def variant(rng, nrng, k):
    caps = {"ids": nrng.integers(-3, 12, size=9).astype(np.int32),
            "keep": nrng.random((LQ, LKV)) < 0.6,
            "table": nrng.standard_normal((HQ, LKV))}
    cap_objs = {n: tr.Capture(a, name=n) for n, a in caps.items()}
    depth = rng.randint(1, 4)

    def score_mod(s, b, h, i, j):
        g = Gen(rng, (s, b, h, i, j), cap_objs)
        return 4.0 * attn.tanh(g.real(depth) / 8.0)

    def mask_mod(b, h, i, j):
        return Gen(rng, (b, h, i, j), cap_objs).pred(depth) | (i == j)

    registry = tr.Captures(reserved=ir.OPERANDS)
    var = {"B": B, "Hq": HQ, "Hkv": HKV, "Lq": LQ, "Lkv": LKV, "D": D,
           "Dv": LKV, "dtype": "f32", "normalizer": "sigmoid"}
    if rng.random() < 0.8:
        var["score_mod"] = tr.trace(score_mod, "score_mod", registry)
    if rng.random() < 0.8:
        var["mask_mod"] = tr.trace(mask_mod, "mask_mod", registry)
    var["captures"] = list(registry.items)
    return var


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    a = ap.parse_args(argv)
    rng, nrng = random.Random(a.seed), np.random.default_rng(a.seed)
    variants = [variant(rng, nrng, k) for k in range(a.count)]
    module = "\n".join(ir.function("m%d" % k, v)
                       for k, v in enumerate(variants))
    lib = runner.compile_module(module, pipeline=a.pipeline)
    v = np.ascontiguousarray(np.broadcast_to(
        np.eye(LKV, dtype=np.float32), (B, HKV, LKV, LKV)))
    bad = 0
    for k, var in enumerate(variants):
        q = nrng.standard_normal((B, HQ, LQ, D)).astype(np.float32)
        kk = nrng.standard_normal((B, HKV, LKV, D)).astype(np.float32)
        caps = {c: c.array for c in var["captures"]}
        extents = (B, HQ, LQ, LKV)
        sm, mm = var.get("score_mod"), var.get("mask_mod")
        for t in (sm, mm):
            if t is not None:
                tr.check_bounds(t, extents, caps)
        out = np.zeros((B, HQ, LQ, LKV), np.float32)
        runner.call(lib, "m%d" % k, [q, kk, v] + [c.array for c in
                                                  var["captures"]], [out])
        # The expected sigmoid of the modified score, where kept (V is the
        # identity).
        ref, _ = reference.attention(
            q, kk, v, normalizer="sigmoid",
            score_mod=None if sm is None else
            (lambda *a: tr.evaluate(sm, a, caps)),
            mask_mod=None if mm is None else
            (lambda *idx: tr.evaluate(mm, idx, caps)))
        err = np.max(np.abs(out - ref))
        if not err <= 1e-5:
            bad += 1
            print("FAIL m%d: max abs error %.3g" % (k, err))
            print(ir.function("m%d" % k, var))
    print("random modifiers: %d kernels, %d mismatches" % (len(variants),
                                                          bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
