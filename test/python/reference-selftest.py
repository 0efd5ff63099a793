# RUN: %python %s | FileCheck %s
# CHECK: reference self-test passed

"""Checks the vectorised numpy reference against a scalar, loop-by-loop
transcription of the formulas in docs/semantics.md, so that the oracle of
the numeric check is itself checked."""

import math
import random

import numpy as np

from attn import ir, reference
from attn.testing.check import reference_for
from attn.testing.variants import random_inputs, random_variant


def scalar(var, x):
    B, Hq, Hkv, Lq, Lkv = var["B"], var["Hq"], var["Hkv"], var["Lq"], var["Lkv"]
    D, Dv = var["D"], var["Dv"]
    g = Hq // Hkv
    scale = var.get("scale") or 1.0 / math.sqrt(D)
    sm = ir.score_mod_numpy(var["score_mod"], x["cap"]) if var.get("score_mod") else None
    mm = ir.mask_mod_numpy(var["mask_mod"]) if var.get("mask_mod") else None
    out = np.zeros((B, Hq, Lq, Dv))
    lse = np.zeros((B, Hq, Lq))
    for b in range(B):
        ql = int(x["q_lengths"][b]) if "q_lengths" in x else Lq
        kl = int(x["kv_lengths"][b]) if "kv_lengths" in x else Lkv
        for h in range(Hq):
            for i in range(Lq):
                scores, keep = [], []
                for j in range(Lkv):
                    s = sum(x["q"][b, h, i, d] * x["k"][b, h // g, j, d] for d in range(D)) * scale
                    if var.get("softcap"):
                        c = var["softcap"]
                        s = c * math.tanh(s / c)
                    if sm:
                        s = float(sm(s, b, h, i, j))
                    ok = True
                    if "mask" in x:
                        m = x["mask"]
                        idx = (b, h, i, j)[4 - m.ndim:]
                        mv = m[tuple(0 if m.shape[t] == 1 else idx[t] for t in range(m.ndim))]
                        if m.dtype == bool:
                            ok &= bool(mv)
                        else:
                            s += float(mv)
                    ok &= i < ql and j < kl
                    qa = i + kl - ql
                    for t in var.get("masks", ()):
                        ok &= bool(reference.structured_keep(t, qa, j))
                    if "q_segment_ids" in x:
                        ok &= x["q_segment_ids"][b, i] == x["kv_segment_ids"][b, j]
                    if mm:
                        ok &= bool(mm(b, h, i, j))
                    if "kv_block_counts" in x:
                        # The formula of "Key-block lists", entry by entry.
                        kb = var["kv_blocks"]
                        c, ix = x["kv_block_counts"], x["kv_block_indices"]
                        bl = 0 if c.shape[0] == 1 else b
                        hl = 0 if c.shape[1] == 1 else (h // g if kb["per_group"] else h)
                        qb = i // kb["q_block_size"]
                        cnt = min(max(int(c[bl, hl, qb]), 0), ix.shape[3])
                        ok &= any(int(ix[bl, hl, qb, e]) == j // kb["kv_block_size"]
                                  for e in range(cnt))
                    ok &= s > -math.inf
                    scores.append(s)
                    keep.append(ok)
                kept = [s for s, k in zip(scores, keep) if k]
                norm = var.get("normalizer", "softmax")
                if norm == "softmax":
                    terms = [math.exp(s) for s in kept]
                    den = sum(terms) + (math.exp(x["sinks"][h]) if "sinks" in x else 0.0)
                    p = [math.exp(s) / den if k and den > 0 else 0.0 for s, k in zip(scores, keep)]
                    lse[b, h, i] = math.log(den) if den > 0 else -math.inf
                elif norm == "sigmoid":
                    bias = var.get("sigmoid_bias") or 0.0
                    p = [1 / (1 + math.exp(-(s + bias))) if k else 0.0 for s, k in zip(scores, keep)]
                else:
                    den = sum(abs(math.exp(s) - 1) for s in kept) + 1e-6
                    p = [max(math.exp(s) - 1, 0.0) / den if k else 0.0 for s, k in zip(scores, keep)]
                for e in range(Dv):
                    out[b, h, i, e] = sum(p[j] * x["v"][b, h // g, j, e] for j in range(Lkv))
    return out, lse


rng = random.Random(7)
nrng = np.random.default_rng(7)
for n in range(60):
    var = random_variant(rng, "f32")
    # (The scalar loop reads contiguous K/V; paged-kv.py checks the pages.)
    var.pop("paged", None)
    x = random_inputs(var, nrng)
    ref_out, ref_lse = reference_for(var, x)
    out, lse = scalar(var, x)
    assert np.allclose(out, ref_out, rtol=1e-9, atol=1e-9), (n, var)
    if ref_lse is not None:
        fin = np.isfinite(ref_lse)
        assert np.array_equal(fin, np.isfinite(lse)), (n, var)
        assert np.allclose(lse[fin], ref_lse[fin][...], rtol=1e-9), (n, var)
# Key-block lists, on a stream of their own (the one above stays as it was).
from attn.testing.variants import random_kv_blocks  # noqa: E402
rng = random.Random(8)
nrng = np.random.default_rng(8)
for n in range(25):
    var = random_variant(rng, "f32")
    var.pop("paged", None)
    random_kv_blocks(rng, var)
    x = random_inputs(var, nrng)
    ref_out, ref_lse = reference_for(var, x)
    out, lse = scalar(var, x)
    assert np.allclose(out, ref_out, rtol=1e-9, atol=1e-9), ("kv_blocks", n, var)
    if ref_lse is not None:
        fin = np.isfinite(ref_lse)
        assert np.array_equal(fin, np.isfinite(lse)), ("kv_blocks", n, var)
        assert np.allclose(lse[fin], ref_lse[fin][...], rtol=1e-9), ("kv_blocks", n, var)
print("reference self-test passed")
