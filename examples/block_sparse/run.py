"""Compiles the MoBA, NSA, SeerAttention and BLASST compositions (moba.mlir,
nsa.mlir, seer.mlir, blasst.mlir) with the CPU pipeline, runs them on random inputs and
compares them with float64 numpy models written from the papers'
definitions (not from the ops):

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


def seer_reference(q, k, v, wq, wk, topk=3):
    """SeerAttention's gate: average-pooled query and key blocks through
    per-head linear maps, a softmax over the visible key blocks, top k with
    the diagonal block kept, causal attention over the kept blocks."""
    _, Hq, L, D = q.shape
    g = Hq // k.shape[1]
    dg = wq.shape[2]
    nb = -(-L // BK)
    out = np.zeros((1, Hq, L, D))
    for h in range(Hq):
        K, V = k[0, h // g], v[0, h // g]
        kpool = np.stack([K[n * BK:(n + 1) * BK].mean(axis=0) @ wk[h // g]
                          for n in range(nb)])
        for qb in range(nb):
            rows = range(qb * BK, min((qb + 1) * BK, L))
            qpool = q[0, h, qb * BK:(qb + 1) * BK].mean(axis=0) @ wq[h]
            last = rows[-1]
            visible = [n for n in range(nb) if n * BK <= last]
            logits = kpool[visible] @ qpool / np.sqrt(dg)
            gate = np.zeros(nb)
            gate[visible] = np.exp(logits - logits.max())
            gate /= gate.sum()
            chosen = top_blocks(gate, visible, {last // BK}, topk)
            for i in rows:
                keep = np.array([(j // BK) in chosen and j <= i
                                 for j in range(L)])
                out[0, h, i] = softmax_attend(q[0, h, i], K, V, keep)[0]
    return out


def blasst_reference(q, k, v, lam=0.5, cap=4):
    """BLASST's threshold on exact block maxima: key block n is kept for a
    query block when the largest causal score between them is at least the
    best block's + log(lam); the first and the diagonal block always; at
    most `cap` blocks, the highest maxima first."""
    _, Hq, L, D = q.shape
    g = Hq // k.shape[1]
    nb = -(-L // BK)
    out = np.zeros((1, Hq, L, D))
    for h in range(Hq):
        K, V = k[0, h // g], v[0, h // g]
        s = q[0, h] @ K.T / np.sqrt(D)
        s[np.triu_indices(L, 1)] = -np.inf
        for qb in range(nb):
            rows = range(qb * BK, min((qb + 1) * BK, L))
            last = rows[-1]
            visible = [n for n in range(nb) if n * BK <= last]
            bmax = {n: s[rows, n * BK:(n + 1) * BK].max() for n in visible}
            best = max(bmax.values())
            forced = {0, last // BK}
            kept = [n for n in visible
                    if n in forced or bmax[n] >= best + np.log(lam)]
            chosen = top_blocks(bmax, kept, forced, cap)
            for i in rows:
                keep = np.array([(j // BK) in chosen and j <= i
                                 for j in range(L)])
                out[0, h, i] = softmax_attend(q[0, h, i], K, V, keep)[0]
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
    def qkv(L):
        return [(1, 4, L, 16), (1, 2, L, 16), (1, 2, L, 16)]
    # (name, numpy model, shapes of the normal inputs, shape of the
    # uniform [0, 1) gates drawn last).
    compositions = [
        ("moba", moba_reference, qkv(96), None),
        ("nsa", nsa_reference, qkv(128), (1, 4, 128, 3)),
        ("seer", seer_reference, qkv(100) + [(4, 16, 8), (2, 16, 8)], None),
        ("blasst", blasst_reference, qkv(100), None),
    ]
    for name, reference, shapes, gates in compositions:
        src = open(os.path.join(HERE, name + ".mlir")).read()
        lib = runner.compile_module(src, pipeline=a.pipeline)
        x = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        if gates is not None:
            x.append(rng.uniform(0.0, 1.0, gates).astype(np.float32))
        out = np.zeros(shapes[0], np.float32)
        runner.call(lib, name, x, [out])
        ref = reference(*[t.astype(np.float64) for t in x])
        err = rel_error(out.astype(np.float64), ref)
        ok = err <= 1e-5
        failures += not ok
        print("%s %s: relative error %.2e" % ("ok  " if ok else "FAIL", name,
                                              err))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
