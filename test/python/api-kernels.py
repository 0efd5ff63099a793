# RUN: rm -rf %t && env ATTN_CACHE_DIR=%t %python %s | FileCheck %s

"""Kernels built with the Python API (attn.attention) against the numpy
reference running the same traced score_mod/mask_mod, and against
hand-written numpy where the modifier has a closed form."""

import numpy as np

import attn
from attn import reference

rng = np.random.default_rng(0)


def rnd(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def report(name, out, ref, tol=1e-5):
    err = np.max(np.abs(out - ref)) / np.max(np.abs(ref))
    print("%s: %s (rel err %.1e)" % (name, "ok" if err <= tol and
                                     np.all(np.isfinite(out)) else "FAIL",
                                     err))


B, HQ, HKV, L, D = 2, 4, 2, 37, 16
q, k, v = rnd(B, HQ, L, D), rnd(B, HKV, L, D), rnd(B, HKV, L, D)

# CHECK: causal: ok
kern = attn.attention(q.shape, k.shape, masks=[attn.causal()])
report("causal", kern(q, k, v), kern.reference(q, k, v))

# ALiBi: slopes captured from the enclosing scope become a tensor argument.
# CHECK: alibi args: q, k, v, slopes
# CHECK: alibi: ok
# CHECK: alibi closed form: ok
slopes = -np.exp2(-8.0 * np.arange(1, HQ + 1) / HQ)


def alibi(score, b, h, q_idx, kv_idx):
    return score + slopes[h] * (kv_idx - q_idx)


kern = attn.attention(q.shape, k.shape, masks=[attn.causal()],
                      score_mod=alibi)
print("alibi args:", ", ".join(kern.arguments))
out = kern(q, k, v)
report("alibi", out, kern.reference(q, k, v))
bias = slopes.reshape(1, HQ, 1, 1) * (np.arange(L)[None, :] -
                                      np.arange(L)[:, None])
tri = np.tril(np.ones((L, L), bool))
report("alibi closed form", out, reference.attention(
    q, k, v, mask=np.where(tri, bias, -np.inf))[0])

# Logit softcap written as a score_mod with tanh.
# CHECK: softcap: ok
# CHECK: softcap vs attribute: ok
kern = attn.attention(q.shape, k.shape,
                      score_mod=lambda s, b, h, i, j: 2.0 * attn.tanh(s / 2.0))
out = kern(q, k, v)
report("softcap", out, kern.reference(q, k, v))
report("softcap vs attribute", out,
       reference.attention(q, k, v, softcap=2.0)[0])

# Packed documents: a mask_mod indexing a captured id array.
# CHECK: document mask: ok
# CHECK: document mask closed form: ok
doc = np.sort(rng.integers(0, 4, size=L)).astype(np.int32)


def same_document(b, h, q_idx, kv_idx):
    return (doc[q_idx] == doc[kv_idx]) & (kv_idx <= q_idx)


kern = attn.attention(q.shape, k.shape, mask_mod=same_document)
out = kern(q, k, v)
report("document mask", out, kern.reference(q, k, v))
report("document mask closed form", out, reference.attention(
    q, k, v, mask=(doc[:, None] == doc[None, :]) & tri)[0])

# Sliding window + sinks with GQA, log-sum-exp too.
# CHECK: window+sinks: ok
# CHECK: window+sinks lse: ok
sinks = rnd(HQ, dtype=np.float64)  # converted to float32 once, at build
kern = attn.attention(q.shape, k.shape, sinks=sinks, return_lse=True,
                      masks=[attn.causal(), attn.sliding_window(7)])
out, lse = kern(q, k, v)
ref, ref_lse = kern.reference(q, k, v)
report("window+sinks", out, ref)
report("window+sinks lse", lse, ref_lse)

# Dynamic lengths: one kernel, several query/key lengths (decode-like
# Lq < Lkv, bottom-right aligned causal mask), per-call sinks.
# CHECK: dynamic 1x40: ok
# CHECK: dynamic 13x13: ok
# CHECK: dynamic 29x64: ok
kern = attn.attention((B, HQ, None, D), (B, HKV, None, D),
                      masks=[attn.causal()], sinks=True,
                      score_mod=alibi)
for lq, lkv in ((1, 40), (13, 13), (29, 64)):
    qq, kk, vv = rnd(B, HQ, lq, D), rnd(B, HKV, lkv, D), rnd(B, HKV, lkv, D)
    s = rnd(HQ)
    report("dynamic %dx%d" % (lq, lkv), kern(qq, kk, vv, s),
           kern.reference(qq, kk, vv, sinks=s))

# Every traced operation in one kernel: where, min/max, abs, //, %, true
# division of indices, i1 -> f32, a boolean capture, a 2-D float capture.
# CHECK: all ops: ok
# CHECK: all ops, reference pipeline: ok
table = rnd(L, L)
keep = rng.random((L, L)) < 0.8


def sm(s, b, h, i, j):
    x = attn.where(i >= j, attn.maximum(s, -1.0), attn.minimum(s, 2.0))
    return x + (j - i) / 8 + (h == 1) + table[i, j] * attn.exp(-abs(s)) \
        - attn.sqrt(attn.log(2.0 + (i % 5)))


def mm(b, h, i, j):
    return keep[i, j] | (attn.abs(i - j) % 3 == 0) | (i // 4 == j // 4)


kern = attn.attention(q.shape, k.shape, score_mod=sm, mask_mod=mm)
report("all ops", kern(q, k, v), kern.reference(q, k, v))
kern = attn.attention(q.shape, k.shape, score_mod=sm, mask_mod=mm,
                      pipeline="attn-cpu-pipeline=reference=true")
report("all ops, reference pipeline", kern(q, k, v), kern.reference(q, k, v))

# Half precision (bf16 as raw bits), lengths, segment ids, an additive mask.
# CHECK: f16: ok
# CHECK: bf16: ok
# CHECK: operands: ok
kern = attn.attention(q.shape, k.shape, dtype="f16", masks=[attn.causal()])
h = [x.astype(np.float16) for x in (q, k, v)]
report("f16", kern(*h).astype(np.float64), kern.reference(*h), 1e-2)
kern = attn.attention(q.shape, k.shape, dtype="bf16", score_mod=alibi)
bits = [attn.runner.to_bf16_bits(x) for x in (q, k, v)]
report("bf16", attn.runner.from_bf16_bits(kern(*bits)),
       kern.reference(*bits), 1e-2)
kern = attn.attention(q.shape, k.shape, q_lengths=True, kv_lengths=True,
                      segment_ids=True, mask=(L, L), mask_dtype="f32",
                      masks=[attn.causal()])
args = dict(q_lengths=np.array([L, 11], np.int32),
            kv_lengths=np.array([L, 20], np.int32),
            q_segment_ids=(np.arange(L)[None] >= [[15], [5]]).astype(np.int32),
            kv_segment_ids=(np.arange(L)[None] >= [[15], [5]]).astype(np.int32),
            mask=rnd(L, L))
report("operands", kern(q, k, v, **args), kern.reference(q, k, v, **args))

# Negation of predicates, numpy ufuncs on traced values, a dynamic int32
# capture passed per call, a negative constant index, ** 2, float //.
# CHECK: mixed L=37: ok
# CHECK: mixed L=20: ok
doc_ids = attn.capture(np.zeros(1, np.int32), name="doc_ids", dynamic=True)
pos = np.arange(L)


def mixed_score(s, b, h, i, j):
    capped = 4.0 * attn.tanh(s / 4.0)
    return (attn.where(s > 1.5, capped, s) + np.exp(-s) * (i == j)
            - ((i - j) / 7) ** 2 + ((i - j) / 3) // 1.0 * 0.01
            # Floor division and modulo of negative indices, Python style.
            + ((i - j) // 3) * 0.05 + ((j - i) % 4) * 0.02
            + ((i - 20) % -3) * 0.03 + (-(j + 1) // -4) * 0.01)


def mixed_mask(b, h, i, j):
    bits = ((i & 3) != (j | 1)) ^ ((~j & 7) == 2)
    return ~((doc_ids[i] != doc_ids[j]) | (j > pos[-1] - 3)) | (i == j) \
        | bits


kern = attn.attention((B, HQ, None, D), (B, HKV, None, D),
                      score_mod=mixed_score, mask_mod=mixed_mask)
for n in (37, 20):
    ids = np.sort(rng.integers(0, 3, size=n)).astype(np.int32)
    qq, kk, vv = rnd(B, HQ, n, D), rnd(B, HKV, n, D), rnd(B, HKV, n, D)
    report("mixed L=%d" % n, kern(qq, kk, vv, doc_ids=ids),
           kern.reference(qq, kk, vv, doc_ids=ids))
