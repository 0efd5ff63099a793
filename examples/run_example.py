#!/usr/bin/env python3
"""Compiles examples/gqa_attention_block.mlir with attn-opt's CPU pipeline
into a shared library, runs it on random weights and activations and checks
the result against an independent numpy (float64) model of the same block.
"""

import os
import sys
import time

import numpy as np

from attn import reference, runner

HERE = os.path.dirname(os.path.abspath(__file__))
L, DM, HQ, HKV, D, WINDOW = 37, 64, 8, 2, 8, 16


def numpy_block(x, wq, wk, wv, wo, sinks):
    def heads(t, h):
        return t.reshape(1, L, h, D).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ wq, HQ), heads(x @ wk, HKV), heads(x @ wv, HKV)
    o, _ = reference.attention(
        q, k, v, sinks=sinks,
        masks=[("causal",), ("sliding_window", WINDOW - 1, 0)])
    return o.transpose(0, 2, 1, 3).reshape(L, HQ * D) @ wo


def main():
    src = open(os.path.join(HERE, "gqa_attention_block.mlir")).read()
    t0 = time.time()
    lib = runner.compile_module(src)
    t1 = time.time()
    print("compiled %s with attn-opt --attn-cpu-pipeline in %.2f s"
          % ("gqa_attention_block.mlir", t1 - t0))

    rng = np.random.default_rng(2026)
    inputs = [rng.standard_normal((L, DM)),
              rng.standard_normal((DM, HQ * D)) / np.sqrt(DM),
              rng.standard_normal((DM, HKV * D)) / np.sqrt(DM),
              rng.standard_normal((DM, HKV * D)) / np.sqrt(DM),
              rng.standard_normal((HQ * D, DM)) / np.sqrt(HQ * D),
              rng.standard_normal(HQ)]
    storage = [runner.to_storage(a, "f32") for a in inputs]
    y = np.zeros((L, DM), np.float32)
    t2 = time.time()
    runner.call(lib, "attention_block", storage, [y])
    t3 = time.time()
    ref = numpy_block(*[s.astype(np.float64) for s in storage])

    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    print("ran attention_block (L=%d, %d query heads over %d KV heads, causal "
          "window %d, sinks) in %.2f ms" % (L, HQ, HKV, WINDOW,
                                            (t3 - t2) * 1e3))
    print("y[0, :8]  =", y[0, :8])
    print("y[-1, :8] =", y[-1, :8])
    err = np.max(np.abs(y - ref)) / np.max(np.abs(ref))
    ok = err <= 1e-5 and np.all(np.isfinite(y))
    print("max relative error vs numpy float64 reference: %.2e (tolerance "
          "1e-5): %s" % (err, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
