# Key-block lists (kv_blocks) through the Python API against the numpy
# reference, both CPU pipelines, and the argument checks.
# RUN: %python %s attn-cpu-pipeline | FileCheck %s
# RUN: %python %s attn-cpu-pipeline=reference=true | FileCheck %s
# Random variants with lists drawn (block sizes dividing no length, K from 0
# past the number of blocks, clamped counts, repeated and out-of-range
# entries, Bc/Hc broadcast, per head and per group, with every other mask):
# RUN: %python -m attn.testing.check --seed 0 --count 60 --require kv_blocks | FileCheck %s --check-prefix=RAND
# RUN: %python -m attn.testing.check --seed 1 --count 60 --require kv_blocks --pipeline attn-cpu-pipeline=reference=true | FileCheck %s --check-prefix=RAND
# RUN: %python -m attn.testing.check --seed 2 --count 40 --require kv_blocks --pipeline "attn-cpu-pipeline=q-tile=3 kv-tile=5" | FileCheck %s --check-prefix=RAND
# RUN: %python -m attn.testing.check --seed 3 --count 40 --require kv_blocks --pipeline "attn-cpu-pipeline=kv-splits=3 q-tile=3 kv-tile=5" | FileCheck %s --check-prefix=RAND
# RUN: %python -m attn.testing.check --seed 4 --count 40 --require kv_blocks --decode | FileCheck %s --check-prefix=RAND
# RUN: %python -m attn.testing.check --seed 5 --count 30 --require kv_blocks --dtype bf16 | FileCheck %s --check-prefix=RAND
# RAND: numeric check: {{[0-9]+}} variants, 0 mismatches

import sys

import numpy as np

import attn
from attn import runner

PIPELINE = sys.argv[1] if len(sys.argv) > 1 else "attn-cpu-pipeline"
TOL = {"f32": 1e-5, "bf16": 1e-2}
rng = np.random.default_rng(0)


def cdiv(a, b):
    return -(-a // b)


def lists(Bc, Hc, Nq, K, nkb):
    """Random lists: distinct blocks, a repeat, padding, out-of-range
    entries; counts in [-1, K + 1]."""
    counts = rng.integers(-1, K + 2, (Bc, Hc, Nq)).astype(np.int32)
    idx = np.empty((Bc, Hc, Nq, K), np.int32)
    for r in np.ndindex(Bc, Hc, Nq):
        row = np.concatenate([rng.permutation(nkb), [-1, nkb, 7 * nkb]])
        row = rng.permutation(row)[:K]
        if K > 2:
            row[-1] = row[0]
        idx[r] = row
    return counts, idx


def case(name, B, Hq, Hkv, Lq, Lkv, D, sq, skv, K, *, Hc=None, Bc=None,
         per_group=False, dtype="f32", dyn=(), **kw):
    """Builds the kernel (dimensions in `dyn` dynamic), runs it on random
    lists and compares with kernel.reference and with reference.attention
    given the same lists."""
    heads = Hkv if per_group else Hq
    Hc = heads if Hc is None else Hc
    Bc = B if Bc is None else Bc
    Nq, nkb = cdiv(Lq, sq), cdiv(Lkv, skv)

    def d(n, v):
        return None if n in dyn else v

    qs = (d("B", B), d("H", Hq), d("Lq", Lq), D)
    ks = (d("B", B), Hkv, d("Lkv", Lkv), D)
    cshape = (d("Bc", Bc), Hc, d("Nq", Nq))
    kern = attn.attention(qs, ks, dtype=dtype, return_lse=True,
                          kv_blocks=(cshape, cshape + (d("K", K),), sq, skv,
                                     per_group), pipeline=PIPELINE, **kw)
    c, ix = lists(Bc, Hc, Nq, K, nkb)
    x = [rng.standard_normal(s).astype(np.float32)
         for s in ((B, Hq, Lq, D), (B, Hkv, Lkv, D), (B, Hkv, Lkv, D))]
    if dtype == "bf16":
        x = [runner.to_bf16_bits(t) for t in x]
    extra = {}
    if kw.get("kv_lengths"):
        extra["kv_lengths"] = rng.integers(0, Lkv + 1, B).astype(np.int32)
    out, lse = kern(*x, kv_block_counts=c, kv_block_indices=ix, **extra)
    ref, rlse = kern.reference(*x, kv_block_counts=c, kv_block_indices=ix,
                               **extra)
    if dtype == "bf16":
        out = runner.from_bf16_bits(out)
    err = np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-30)
    same_inf = np.array_equal(np.isneginf(lse), np.isneginf(rlse))
    fin = np.isfinite(rlse)
    lerr = np.max(np.abs(lse[fin] - rlse[fin]), initial=0.0)
    kept = np.mean(~np.isneginf(rlse))
    ok = err <= TOL[dtype] and same_inf and lerr <= 1e-4
    print("%s %s: %s" % (name, dtype, ok))
    if not ok:
        print("  error %.3g, lse error %.3g, -inf pattern %s, rows kept %.2f"
              % (err, lerr, same_inf, kept))
    return kern


# CHECK: per-head f32: True
case("per-head", 2, 4, 2, 37, 53, 16, 8, 7, 5)
# CHECK: per-group f32: True
case("per-group", 2, 8, 2, 40, 96, 32, 16, 16, 3, per_group=True,
     masks=[attn.causal()])
# CHECK: shared f32: True
case("shared", 3, 4, 4, 19, 23, 8, 5, 3, 9, Hc=1, Bc=1,
     masks=[attn.sliding_window(6)], kv_lengths=True)
# CHECK: all-blocks f32: True
case("all-blocks", 1, 2, 1, 64, 64, 64, 64, 64, 1, Bc=1)
# CHECK: dynamic f32: True
case("dynamic", 2, 4, 2, 33, 41, 16, 4, 6, 4, dyn=("B", "Lq", "Lkv", "Bc",
                                                   "Nq", "K"),
     masks=[attn.causal()],
     mask_mod=lambda b, h, i, j: (i + j) % 5 != 0)
# CHECK: one-query-per-block f32: True
case("one-query-per-block", 1, 4, 2, 24, 70, 16, 1, 16, 2, per_group=True,
     masks=[attn.causal()])
# Full 64 x 64 tiles (the micro-kernel shapes), lists per group.
# CHECK: large f32: True
case("large", 1, 8, 2, 256, 320, 64, 64, 64, 3, per_group=True,
     masks=[attn.causal()])
# CHECK: per-head bf16: True
case("per-head", 2, 4, 2, 37, 53, 16, 8, 7, 5, dtype="bf16")
# CHECK: per-group bf16: True
case("per-group", 1, 8, 2, 65, 128, 64, 32, 16, 4, per_group=True,
     dtype="bf16", masks=[attn.causal()])

# The lists as arrays: kept by the kernel, overridable per call.
B, Hq, L, D = 1, 2, 16, 8
c0 = np.array([[[1, 1]]], np.int32)
i0 = np.array([[[[0], [1]]]], np.int32)
kern = attn.attention((B, Hq, L, D), kv_blocks=(c0, i0, 8, 8),
                      pipeline=PIPELINE)
q = rng.standard_normal((B, Hq, L, D)).astype(np.float32)
# Query block b keeps exactly key block b: block-diagonal attention.
diag = attn.attention((B, Hq, L, D), masks=[attn.chunked(8)],
                      pipeline=PIPELINE)
# CHECK: default lists: True
print("default lists:", np.allclose(kern(q, q, q), diag(q, q, q), atol=1e-6))
# CHECK: overridden lists: True
print("overridden lists:", np.allclose(
    kern(q, q, q, kv_block_counts=np.zeros((1, 1, 2), np.int32)), 0.0))


def error(what, fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        print("%s: %s: %s" % (what, type(e).__name__, e))
    else:
        print("%s: no error" % what)


S4, S8 = (1, 2, 16, 8), (1, 2, 16, 8)


def build(spec, **kw):
    return lambda: attn.attention(S4, kv_blocks=spec, compile=False, **kw)


# Build time.
# CHECK: spec length: ValueError: kv_blocks must be (counts, indices
error("spec length", build(((1, 1, 2), (1, 1, 2, 1), 8)))
# CHECK: block size: ValueError: kv_blocks q_block_size must be a positive int, got 0
error("block size", build(((1, 1, 2), (1, 1, 2, 1), 0, 8)))
# CHECK: counts rank: ValueError: kv_blocks kv_block_counts must have rank 3
error("counts rank", build(((1, 2), (1, 1, 2, 1), 8, 8)))
# CHECK: indices rank: ValueError: kv_blocks kv_block_indices must have rank 4
error("indices rank", build(((1, 1, 2), (1, 1, 2), 8, 8)))
# CHECK: disagree: ValueError: kv_blocks counts (1, 1, 2) and indices (1, 2, 2, 1) disagree on Hc
error("disagree", build(((1, 1, 2), (1, 2, 2, 1), 8, 8)))
# CHECK: batch: ValueError: kv_blocks: the lists' batch dim must be 1 or B = 1, got 2
error("batch", build(((2, 1, 2), (2, 1, 2, 1), 8, 8)))
# CHECK: heads: ValueError: kv_blocks: the lists' head dim must be 1 or Hq = 2, got 3
error("heads", build(((1, 3, 2), (1, 3, 2, 1), 8, 8)))
# CHECK: group heads: ValueError: kv_blocks: the lists' head dim must be 1 or Hkv = 2, got 4
error("group heads", lambda: attn.attention(
    (1, 4, 16, 8), (1, 2, 16, 8), compile=False,
    kv_blocks=((1, 4, 2), (1, 4, 2, 1), 8, 8, True)))
# CHECK: dynamic heads: ValueError: kv_blocks: the lists' head dim must be static
error("dynamic heads", build(((1, None, 2), (1, None, 2, 1), 8, 8)))
# CHECK: query blocks: ValueError: kv_blocks: expected ceil(Lq / q_block_size) = 3 query blocks, got 2
error("query blocks", build(((1, 1, 2), (1, 1, 2, 1), 6, 8)))
# CHECK: float lists: ValueError: kv_blocks kv_block_counts must be an integer array, got float32
error("float lists", build((np.zeros((1, 1, 2), np.float32),
                            np.zeros((1, 1, 2, 1), np.int32), 8, 8)))
# CHECK: per_group type: ValueError: kv_blocks per_group must be a bool
error("per_group type", build(((1, 1, 2), (1, 1, 2, 1), 8, 8, "yes")))

# Call time (dynamic sizes only known then).
dyn = attn.attention((None, None, None, 8), (None, 1, None, 8),
                     kv_blocks=((None, 1, None), (None, 1, None, None), 4, 4,
                                True), pipeline=PIPELINE)
B, Hq, Lq, Lkv = 2, 3, 10, 9
qd = rng.standard_normal((B, Hq, Lq, 8)).astype(np.float32)
kd = rng.standard_normal((B, 1, Lkv, 8)).astype(np.float32)
good_c = np.full((B, 1, 3), 2, np.int32)
good_i = np.tile(np.array([0, 2], np.int32), (B, 1, 3, 1))


def call(c, i):
    c, i = np.ascontiguousarray(c), np.ascontiguousarray(i)
    return lambda: dyn(qd, kd, kd, kv_block_counts=c, kv_block_indices=i)


# CHECK: dynamic good: True
print("dynamic good:", np.allclose(
    dyn(qd, kd, kd, kv_block_counts=good_c, kv_block_indices=good_i),
    dyn.reference(qd, kd, kd, kv_block_counts=good_c,
                  kv_block_indices=good_i), atol=1e-5))
# CHECK: call dtype: TypeError: argument 'kv_block_counts': the kernel was compiled for i32
error("call dtype", call(good_c.astype(np.int64), good_i))
# CHECK: call rank: ValueError: argument 'kv_block_indices': expected 4 dimensions
error("call rank", call(good_c, good_i[..., 0]))
# CHECK: call Nq: ValueError: argument 'kv_block_counts': expected ceil(Lq / q_block_size) = ceil(10 / 4) = 3 query blocks, got 2
error("call Nq", call(good_c[:, :, :2], good_i[:, :, :2]))
# CHECK: call disagree: ValueError: arguments 'kv_block_counts' (2, 1, 3) and 'kv_block_indices' (2, 1, 2, 2) disagree
error("call disagree", call(good_c, good_i[:, :, :2]))
# CHECK: call batch: ValueError: argument 'kv_block_counts': the kernel was compiled with a dynamic list batch dim, which must be B = 2, got 1
error("call batch", call(good_c[:1], good_i[:1]))
# CHECK: call heads: ValueError: argument 'kv_block_counts': expected shape tensor<?x1x?xi32>
error("call heads", call(np.tile(good_c, (1, 2, 1)),
                         np.tile(good_i, (1, 2, 1, 1))))
# CHECK: reference float: TypeError: argument 'kv_block_counts': expected an integer array, got float64
error("reference float", lambda: dyn.reference(
    qd, kd, kd, kv_block_counts=good_c.astype(np.float64),
    kv_block_indices=good_i))
