#!/usr/bin/env python3
"""A BLOOM/MPT-style attention layer through the attn Python API.

The layer runs on a packed batch (several documents in one sequence, as in
training with sequence packing): grouped-query attention (8 query heads
over 2 key/value heads) with ALiBi position biases, a causal mask, and a
document mask so that tokens attend only within their own document. The
ALiBi bias and the document mask are ordinary Python functions, traced
into the op's score_mod/mask_mod regions; the slopes and document ids are
numpy arrays captured from this file (the ids as a dynamic capture, so the
compiled kernel, cached on disk, serves every sequence length).

The kernel's output is checked against an independent numpy model of the
same layer that materialises the bias and the mask, and against the
kernel's own numpy reference.

    PYTHONPATH=python python3 examples/python_api_example.py [--tokens 96]
"""

import argparse
import sys
import time

import numpy as np

import attn

HQ, HKV, D = 8, 2, 16
DM = HQ * D


def alibi_slopes(n_heads):
    """BLOOM's slopes for a power-of-two head count: 2^(-8 (h + 1) / H)."""
    return np.exp2(-8.0 * np.arange(1, n_heads + 1) / n_heads)


def numpy_layer(x, wq, wk, wv, wo, slopes, doc):
    """The layer in float64 numpy, bias and mask materialised."""
    T = x.shape[0]

    def heads(t, h):
        return t.reshape(T, h, D).transpose(1, 0, 2)

    q, k, v = heads(x @ wq, HQ), heads(x @ wk, HKV), heads(x @ wv, HKV)
    k, v = np.repeat(k, HQ // HKV, 0), np.repeat(v, HQ // HKV, 0)
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    s = q @ k.transpose(0, 2, 1) / np.sqrt(D)
    s = s - slopes[:, None, None] * (i - j)
    s = np.where((j <= i) & (doc[i] == doc[j]), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    o = (p @ v).transpose(1, 0, 2).reshape(T, DM)
    return x + o @ wo


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=96)
    ap.add_argument("--docs", type=int, default=4)
    a = ap.parse_args(argv)
    T = a.tokens

    rng = np.random.default_rng(2026)
    slopes = alibi_slopes(HQ)
    # Document boundaries of the packed sequence.
    cuts = np.sort(rng.choice(np.arange(1, T), a.docs - 1, replace=False))
    doc = np.searchsorted(cuts, np.arange(T), side="right").astype(np.int32)

    def alibi(score, b, h, q_idx, kv_idx):
        return score - slopes[h] * (q_idx - kv_idx)

    # The ids change with every packed batch: a dynamic capture, so that
    # one compiled kernel (cached on disk) serves any length.
    doc_ids = attn.capture(doc, name="doc", dynamic=True)

    def same_document(b, h, q_idx, kv_idx):
        return doc_ids[q_idx] == doc_ids[kv_idx]

    t0 = time.time()
    kernel = attn.attention(q=(1, HQ, None, D), k=(1, HKV, None, D),
                            masks=[attn.causal()], score_mod=alibi,
                            mask_mod=same_document, name="bloom_attention")
    print("built %r (%s) in %.2f s" % (
        kernel, "cache hit" if kernel.cache_hit else "compiled",
        time.time() - t0))

    x = rng.standard_normal((T, DM))
    wq, wk, wv = (rng.standard_normal((DM, n * D)) / np.sqrt(DM)
                  for n in (HQ, HKV, HKV))
    wo = rng.standard_normal((DM, DM)) / np.sqrt(DM)

    def split(t, h):
        # [T, h*D] -> [1, h, T, D], contiguous float32 for the kernel.
        return np.ascontiguousarray(
            t.reshape(T, h, D).transpose(1, 0, 2)[None], np.float32)

    q, k, v = split(x @ wq, HQ), split(x @ wk, HKV), split(x @ wv, HKV)
    t1 = time.time()
    o = kernel(q, k, v, doc=doc)
    t2 = time.time()
    y = x + o[0].transpose(1, 0, 2).reshape(T, DM) @ wo

    ref = numpy_layer(x, wq, wk, wv, wo, slopes, doc)
    err = np.max(np.abs(y - ref)) / np.max(np.abs(ref))
    kref = kernel.reference(q, k, v, doc=doc)
    kerr = np.max(np.abs(o - kref)) / np.max(np.abs(kref))
    print("ran %d tokens in %d documents (%d query heads over %d KV heads, "
          "ALiBi, causal, document mask) in %.2f ms" %
          (T, a.docs, HQ, HKV, (t2 - t1) * 1e3))
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    print("y[-1, :6] =", y[-1, :6])
    print("attention vs kernel.reference: max relative error %.2e" % kerr)
    ok = err <= 1e-5 and kerr <= 1e-5 and np.all(np.isfinite(y))
    print("layer vs independent numpy model: max relative error %.2e "
          "(tolerance 1e-5): %s" % (err, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
