#!/usr/bin/env python3
"""Compiles examples/cascade_attention.mlir (shared-prefix attention: one
prefix attention for the whole batch + per-sequence suffix attentions,
merged with attn.merge_states) with attn-opt's CPU pipeline, runs it on
random inputs with random per-sequence suffix lengths (from Lq, the new
tokens' own keys, to the full 37) and checks it against numpy float64 attention over each
sequence's concatenated keys [prefix; suffix_b[:len_b]] (causal, aligned to
the sequence's end).

    PYTHONPATH=python ATTN_BUILD_DIR=build python3 examples/cascade_attention.py
"""

import os
import sys

import numpy as np

from attn import reference, runner

HERE = os.path.dirname(os.path.abspath(__file__))
B, H, HKV, LQ, P, S, D = 4, 8, 2, 2, 300, 37, 64


def numpy_cascade(q, kp, vp, ks, vs, lens):
    """Attention of each sequence over [prefix; its valid suffix]."""
    out = np.zeros((B, H, LQ, D))
    for b in range(B):
        k = np.concatenate([kp[0], ks[b, :, :lens[b]]], axis=1)[None]
        v = np.concatenate([vp[0], vs[b, :, :lens[b]]], axis=1)[None]
        o, _ = reference.attention(q[b:b + 1], k, v, masks=[("causal",)])
        out[b] = o[0]
    return out


def main():
    src = os.path.join(HERE, "cascade_attention.mlir")
    lib = runner.compile_module(open(src).read())
    print("compiled cascade_attention.mlir with attn-opt --attn-cpu-pipeline")
    rng = np.random.default_rng(0)
    worst = 0.0
    for trial in range(3):
        q = rng.standard_normal((B, H, LQ, D))
        kp = rng.standard_normal((1, HKV, P, D))
        vp = rng.standard_normal((1, HKV, P, D))
        ks = rng.standard_normal((B, HKV, S, D))
        vs = rng.standard_normal((B, HKV, S, D))
        # Suffix lengths from LQ (the new tokens' own keys, the shortest
        # suffix of a decode step: the queries are its last LQ tokens) to S.
        lens = np.array([LQ, LQ + 1, S, rng.integers(LQ, S)] if trial == 0
                        else rng.integers(LQ, S + 1, size=B), dtype=np.int32)
        ins = [runner.to_storage(x, "f32") for x in (q, kp, vp, ks, vs)]
        ins.append(lens)
        out = np.zeros((B, H, LQ, D), np.float32)
        runner.call(lib, "cascade", ins, [out])
        ref = numpy_cascade(*(runner.from_storage(x, "f32") for x in ins[:5]),
                            lens)
        err = np.max(np.abs(out - ref)) / np.max(np.abs(ref))
        print("suffix lengths %s: max relative error %.2e" %
              (lens.tolist(), err))
        worst = max(worst, err)
    ok = worst <= 1e-5
    print("max relative error vs numpy float64 reference: %.2e: %s" %
          (worst, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
