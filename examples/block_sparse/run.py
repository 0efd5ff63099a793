"""Compiles the MoBA and NSA compositions (moba.mlir, nsa.mlir) with the CPU
pipeline, runs them on random inputs and compares them with float64 numpy
models written from the papers' definitions (not from the ops):

    PYTHONPATH=python ATTN_BUILD_DIR=build python3 examples/block_sparse/run.py \\
        [--pipeline attn-cpu-pipeline=reference=true]

Prints one line per composition with the relative max-norm error; exits
non-zero when one exceeds 1e-5.
"""

import argparse
import os
import sys

import numpy as np

from attn import runner

HERE = os.path.dirname(os.path.abspath(__file__))
BK = 16


def softmax_attend(q, k, v, keep):
    """Softmax attention of one row over the kept keys (0 if none)."""
    if not keep.any():
        return np.zeros(v.shape[1]), -np.inf
    s = k[keep] @ q / np.sqrt(q.shape[0])
    m = s.max()
    p = np.exp(s - m)
    return p @ v[keep] / p.sum(), m + np.log(p.sum())


def top_blocks(scores, visible, forced, k):
    """Forced visible blocks, then the highest scores, ties to the lowest
    index; at most k blocks."""
    order = sorted(visible, key=lambda n: (n not in forced, -scores[n], n))
    return set(order[:k])


def moba_reference(q, k, v, topk=3):
    _, Hq, L, D = q.shape
    g = Hq // k.shape[1]
    nb = L // BK
    out = np.zeros((1, Hq, L, D))
    for h in range(Hq):
        K, V = k[0, h // g], v[0, h // g]
        kmean = K.reshape(nb, BK, D).mean(axis=1)
        for i in range(L):
            gate = kmean @ q[0, h, i] / np.sqrt(D)
            visible = [n for n in range(nb) if n * BK <= i]
            chosen = top_blocks(gate, visible, {i // BK}, topk)
            keep = np.array([(j // BK) in chosen and j <= i
                             for j in range(L)])
            out[0, h, i] = softmax_attend(q[0, h, i], K, V, keep)[0]
    return out


def nsa_reference(q, k, v, gates, topk=4, window=32):
    _, Hq, L, D = q.shape
    Hkv = k.shape[1]
    g = Hq // Hkv
    nb = L // BK
    kc = k.reshape(1, Hkv, nb, BK, D).mean(axis=3)
    vc = v.reshape(1, Hkv, nb, BK, D).mean(axis=3)
    out = np.zeros((1, Hq, L, D))
    for i in range(L):
        visible = [n for n in range(nb) if n * BK <= i]
        vis = np.array([n in visible for n in range(nb)])
        comp, prob = {}, {}
        for h in range(Hq):
            comp[h], lse = softmax_attend(q[0, h, i], kc[0, h // g],
                                          vc[0, h // g], vis)
            prob[h] = np.where(vis, np.exp(kc[0, h // g] @ q[0, h, i]
                                           / np.sqrt(D) - lse), 0.0)
        diag = i // BK
        forced = {0, diag, diag - 1}
        for grp in range(Hkv):
            importance = sum(prob[h] for h in range(grp * g, (grp + 1) * g))
            chosen = top_blocks(importance, visible, forced, topk)
            for h in range(grp * g, (grp + 1) * g):
                K, V = k[0, grp], v[0, grp]
                js = np.arange(L)
                sel = softmax_attend(q[0, h, i], K, V, np.array(
                    [(j // BK) in chosen for j in js]) & (js <= i))[0]
                win = softmax_attend(q[0, h, i], K, V,
                                     (js <= i) & (js > i - window))[0]
                gt = gates[0, h, i]
                out[0, h, i] = gt[0] * comp[h] + gt[1] * sel + gt[2] * win
    return out


def rel_error(out, ref):
    return np.max(np.abs(out - ref)) / np.max(np.abs(ref))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    failures = 0
    for name, L in (("moba", 96), ("nsa", 128)):
        src = open(os.path.join(HERE, name + ".mlir")).read()
        lib = runner.compile_module(src, pipeline=a.pipeline)
        x = [rng.standard_normal(s).astype(np.float32)
             for s in ((1, 4, L, 16), (1, 2, L, 16), (1, 2, L, 16))]
        if name == "nsa":
            x.append(rng.uniform(0.0, 1.0, (1, 4, L, 3)).astype(np.float32))
        out = np.zeros((1, 4, L, 16), np.float32)
        runner.call(lib, name, x, [out])
        xs = [t.astype(np.float64) for t in x]
        ref = moba_reference(*xs) if name == "moba" else nsa_reference(*xs)
        err = rel_error(out.astype(np.float64), ref)
        ok = err <= 1e-5
        failures += not ok
        print("%s %s: relative error %.2e" % ("ok  " if ok else "FAIL", name,
                                              err))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
