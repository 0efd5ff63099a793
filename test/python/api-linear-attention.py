# The Python API of attn.linear_attention: kernels built, compiled and
# compared with their float64 reference; bad arguments raise before any
# compile.
# RUN: %python %s | FileCheck %s

import numpy as np

import attn
from attn import runner

rng = np.random.default_rng(0)


def check(name, got, ref, tol=1e-5):
    got = got if isinstance(got, tuple) else (got,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    err = max(np.max(np.abs(g - r)) / max(np.max(np.abs(r)), 1e-30)
              for g, r in zip(got, ref))
    print("%s: %s" % (name, "ok" if err <= tol else "error %.3g" % err))


# GQA, per-token decay, elu+1, final state; chunked (chunk 16, L = 50).
kern = attn.linear_attention(q=(1, 4, 50, 8), k=(1, 2, 50, 8),
                             v=(1, 2, 50, 6), decay="token",
                             feature_map="elu1", final_state=True,
                             form="chunked", chunk_size=16)
q, k, v = (rng.standard_normal(s) for s in ((1, 4, 50, 8), (1, 2, 50, 8),
                                            (1, 2, 50, 6)))
g = -rng.uniform(0, 0.5, (1, 4, 50))
check("gqa_decay_chunked", kern(q, k, v, log_decay=g),
      kern.reference(q, k, v, log_decay=g))
# CHECK: gqa_decay_chunked: ok

# Decode: L = 1 with a state cache (recurrent form), normalised.
dec = attn.linear_attention(q=(2, 2, 1, 4), feature_map="relu",
                            normalize=True, initial_state=True,
                            final_state=True)
q1 = rng.standard_normal((2, 2, 1, 4))
s0, z0 = rng.standard_normal((2, 2, 4, 4)), rng.uniform(0, 1, (2, 2, 4))
check("decode_normalized", dec(q1, q1, q1, initial_state=s0, initial_norm=z0),
      dec.reference(q1, q1, q1, initial_state=s0, initial_norm=z0))
# CHECK: decode_normalized: ok

# Packed sequences by cumulative lengths, non-causal.
pk = attn.linear_attention(q=(1, 1, 9, 4), causal=False, segments="cu",
                           num_sequences=3)
x = rng.standard_normal((1, 1, 9, 4))
cu = np.array([0, 2, 7, 9], np.int64)
check("packed_non_causal", pk(x, x, x, cu_seqlens=cu),
      pk.reference(x, x, x, cu_seqlens=cu))
# CHECK: packed_non_causal: ok

# User feature maps (Based's 1 + x + x^2/2 on Q, a captured per-head
# per-channel scale of exp(x) on K, Hedgehog-like), normalised, in the
# chunked form; the reference calls the traced maps through numpy.
w = rng.uniform(0.5, 1.5, (2, 8))
um = attn.linear_attention(q=(1, 4, 40, 8), k=(1, 2, 40, 8), v=(1, 2, 40, 6),
                           normalize=True, final_state=True, form="chunked",
                           chunk_size=16,
                           q_mod=lambda x, b, h, t, d: 1 + x + x * x / 2,
                           k_mod=lambda x, b, h, t, d: w[h, d] * np.exp(x))
q, k, v = (rng.standard_normal(s) for s in ((1, 4, 40, 8), (1, 2, 40, 8),
                                            (1, 2, 40, 6)))
print("q_mod" in um.mlir, "k_mod" in um.mlir, "%cap_w" in um.mlir)
# CHECK: True True True
check("user_maps_chunked", um(q, k, v), um.reference(q, k, v))
# CHECK: user_maps_chunked: ok
sq = lambda x, b, h, t, d: x * x  # noqa: E731
dec = attn.linear_attention(q=(1, 2, 1, 4), k_mod=sq, initial_state=True,
                            final_state=True)
q1 = rng.standard_normal((1, 2, 1, 4))
s0 = rng.standard_normal((1, 2, 4, 4))
check("user_map_decode", dec(q1, q1, q1, initial_state=s0),
      dec.reference(q1, q1, q1, initial_state=s0))
# CHECK: user_map_decode: ok

# Bad arguments: exceptions, and no tool ever ran for them.
before = sum(runner.STATS.values())
bad = [
    dict(q=(1, 3, 8, 4), k=(1, 2, 8, 4)),
    dict(q=(1, 2, 8, 4), k=(1, 2, 9, 4)),
    dict(q=(1, 2, 8, 4), decay="token", causal=False),
    dict(q=(1, 2, 8, 4), decay="gate"),
    dict(q=(1, 2, 8, 4), eps=1e-3),
    dict(q=(1, 2, 8, 4), form="blocked"),
    dict(q=(1, 2, 8, 0)),
    dict(q=(1, 2, 8)),
    dict(q=(1, 2, 8, 4), q_mod="square"),
    dict(q=(1, 2, 8, 4), k_mod=sq, feature_map="elu1"),
    dict(q=(1, 2, 8, 4), q_mod=lambda x: x * x),
    dict(q=(1, 2, 8, 4), k_mod=lambda x, b, h, t, d: w[h + 1, d] * x),
    dict(q=(1, 2, 8, 4), q_mod=lambda x, b, h, t, d: "x"),
]
for kw in bad:
    try:
        attn.linear_attention(**kw)
        print("accepted %r" % kw)
    except (ValueError, TypeError) as e:
        print("rejected: %s" % e)
good = attn.linear_attention(q=(1, 1, 4, 2))
for args, kw in [((np.zeros((1, 1, 5, 2)),) * 3, {}),
                 ((np.zeros((1, 1, 4, 2)),) * 3, {"log_decay": 0})]:
    try:
        good(*args, **kw)
        print("accepted a bad call")
    except (ValueError, TypeError) as e:
        print("rejected: %s" % e)
print("tools run for bad input: %d" % (sum(runner.STATS.values()) - before))
# CHECK-COUNT-15: rejected:
# CHECK-NOT: accepted
# CHECK: tools run for bad input: 0
