#!/usr/bin/env python3
"""Compiles the hybrid decoder of examples/hybrid (gen_hybrid.py: linear
attention layers interleaved with a softmax attention layer) with the CPU
pipeline, runs it on random weights from a fixed seed and checks the logits
against an independent numpy float64 model of the same network:

    PYTHONPATH=python ATTN_BUILD_DIR=build python3 examples/hybrid/run.py \\
        [--pipeline "attn-cpu-pipeline=linear-form=recurrent"]

The numpy model writes each linear layer as the masked, decayed quadratic
form of linear attention (not the recurrence nor the chunks the compiler
uses) and each softmax layer as the plain softmax of masked scores. Exits
non-zero when the logits miss the tolerance.
"""

import argparse
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import gen_hybrid  # noqa: E402
# The float64 LayerNorm and GELU of the GPT-2 example's numpy model.
from run_gpt2 import gelu_tanh, layer_norm  # noqa: E402
from attn import runner  # noqa: E402

TOLERANCE = 2e-5


def random_weights(cfg, seed):
    """Unit-variance projections (std 1/sqrt(fan_in)), the output
    projections scaled by 1/sqrt(2 * layers) as in GPT-2, and per-head
    decays 1 - 2^-(2 + h) (RetNet's spread of memory lengths)."""
    rng = np.random.default_rng(seed)
    resid = 1.0 / math.sqrt(2 * len(cfg.layers))
    out = {}
    for name, shape, elem in gen_hybrid.params(cfg):
        if name == "tokens":
            a = rng.integers(0, cfg.vocab, size=shape, dtype=np.int64)
        elif name == "wte":
            a = rng.standard_normal(shape)
        elif name.endswith("log_decay"):
            a = np.log(1.0 - 2.0 ** -(2.0 + np.arange(shape[0])))
        elif name.endswith(".g"):
            a = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name.endswith(".b"):
            a = 0.02 * rng.standard_normal(shape)
        else:
            a = rng.standard_normal(shape) / math.sqrt(shape[0])
            if name.endswith(("wo", "proj.w")):
                a *= resid
        out[name] = runner.to_storage(a, elem)
    return out


# Independent float64 model ------------------------------------------------

def taylor(x):
    return 1.0 + x + x * x / 2.0


def linear_mixer(q, k, v, log_decay, eps=1e-6):
    """Causal normalised linear attention with a per-head decay, quadratic
    form: A[t, s] = phi(q_t) . phi(k_s) * lambda^(t - s) for s <= t,
    o_t = scale * A[t] V / (scale * sum_s A[t, s] + eps)."""
    H, L, dh = q.shape
    scale = 1.0 / math.sqrt(dh)
    t = np.arange(L)
    lag = t[:, None] - t[None, :]
    decay = np.where(lag >= 0, np.exp(log_decay[:, None, None] *
                                      np.maximum(lag, 0)), 0.0)
    a = np.einsum("htd,hsd->hts", taylor(q), taylor(k)) * decay
    return scale * (a @ v) / (scale * a.sum(axis=-1, keepdims=True) + eps)


def softmax_mixer(q, k, v):
    H, L, dh = q.shape
    g = H // k.shape[0]
    k, v = np.repeat(k, g, axis=0), np.repeat(v, g, axis=0)
    s = np.einsum("hid,hjd->hij", q, k) / math.sqrt(dh)
    s[:, np.triu(np.ones((L, L), dtype=bool), k=1)] = -np.inf
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def reference_logits(cfg, w):
    f = {k: (v if k == "tokens" else v.astype(np.float64))
         for k, v in w.items()}
    L, d, H = cfg.seq, cfg.d_model, cfg.heads
    dh = d // H
    x = f["wte"][f["tokens"]]
    for i, kind in enumerate(cfg.layers):
        p = lambda n: f["h%d.%s" % (i, n)]  # noqa: E731
        a = layer_norm(x, p("ln_1.g"), p("ln_1.b"))
        q, k, v = ((a @ p(n)).reshape(L, -1, dh).transpose(1, 0, 2)
                   for n in ("wq", "wk", "wv"))
        o = (linear_mixer(q, k, v, p("log_decay")) if kind == "L"
             else softmax_mixer(q, k, v))
        x = x + o.transpose(1, 0, 2).reshape(L, d) @ p("wo")
        m = layer_norm(x, p("ln_2.g"), p("ln_2.b"))
        m = gelu_tanh(m @ p("fc.w") + p("fc.b"))
        x = x + m @ p("proj.w") + p("proj.b")
    x = layer_norm(x, f["ln_f.g"], f["ln_f.b"])
    return x @ f["wte"].T


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    cfg = gen_hybrid.DEFAULT
    src = gen_hybrid.generate(cfg)
    print("model: layers %s, L=%d, d_model=%d, %d heads x %d (%d kv heads in "
          "softmax layers), MLP %d, vocab %d" % (
              cfg.layers, cfg.seq, cfg.d_model, cfg.heads,
              gen_hybrid.head_dim(cfg), cfg.kv_heads, cfg.d_mlp, cfg.vocab))
    print("ops: %d attn.linear_attention, %d attn.attention" % (
        src.count("attn.linear_attention ins"), src.count("attn.attention ins")))
    t0 = time.perf_counter()
    lib = runner.compile_module(src, pipeline=a.pipeline)
    print("compile: attn-opt --%s in %.2f s" % (a.pipeline,
                                                time.perf_counter() - t0))
    w = random_weights(cfg, a.seed)
    logits = np.zeros((cfg.seq, cfg.vocab), np.float32)
    runner.call(lib, "hybrid", [w[n] for n, _, _ in gen_hybrid.params(cfg)],
                [logits])
    ref = reference_logits(cfg, w)
    y = logits.astype(np.float64)
    rel = float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))
    agree = int(np.sum(np.argmax(y, axis=-1) == np.argmax(ref, axis=-1)))
    print("argmax agreement with numpy: %d/%d" % (agree, cfg.seq))
    ok = bool(np.all(np.isfinite(y))) and rel <= TOLERANCE
    print("max rel error vs numpy float64: %.3e (tolerance %.0e): %s"
          % (rel, TOLERANCE, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
