# The Python API of attn.block_scores and attn.select_blocks: kernels built,
# compiled and compared with their float64 reference; the example
# shape (GQA 8:2, 64-key blocks, top-16 with the first and 2 local blocks
# forced); bad arguments raise before any compile.
# RUN: %python %s | FileCheck %s

import numpy as np

import attn

rng = np.random.default_rng(0)

# Group-shared scores over mean-pooled keys, then a selection.
scorer = attn.block_scores(q=(1, 8, 1000, 64), k=(1, 2, 1000, 64),
                           block_size=64, causal=True, heads="kv")
q = rng.standard_normal((1, 8, 1000, 64))
k = rng.standard_normal((1, 2, 1000, 64))
s = scorer(q, k)
ref = scorer.reference(q, k)
fin = np.isfinite(ref)
ok = (np.array_equal(np.isneginf(s), np.isneginf(ref)) and
      np.max(np.abs(s[fin] - ref[fin])) <= 1e-5 * np.max(np.abs(ref[fin])))
# CHECK: scores (1, 2, 1000, 16): ok
print("scores %s: %s" % (s.shape, "ok" if ok else "mismatch"))
select = attn.select_blocks(scores=s.shape, k=8, block_size=64, causal=True,
                            forced_first=1, local=2, lengths=True)
lens = np.array([1000, 1000], np.int64)
got = select(s, lens)
exp = select.reference(s, lens)
# CHECK: select: ok, last row 8 blocks
print("select: %s, last row %d blocks" % (
    "ok" if all(np.array_equal(a, b) for a, b in zip(got, exp))
    else "mismatch", got[0][0, 0, -1]))

# Threshold selection: the blocks within log(0.5) of each row's best.
thresh = attn.select_blocks(scores=s.shape, k=8, block_size=64, causal=True,
                            forced_first=1, local=1, threshold=np.log(0.5))
got = thresh(s)
exp = thresh.reference(s)
# CHECK: threshold: ok, fewer blocks than top-8
print("threshold: %s, %s" % (
    "ok" if all(np.array_equal(a, b) for a, b in zip(got, exp))
    else "mismatch", "fewer blocks than top-8" if got[0].sum() <
    select(s, lens)[0].sum() else "no fewer blocks"))

# Bad arguments raise before compiling.
for kwargs in [dict(q=(1, 3, 8, 4), k=(1, 2, 8, 4), block_size=4),
               dict(q=(1, 2, 8, 4), k=(1, 2, 8, 4), block_size=0),
               dict(q=(1, 2, 8, 4), k=(1, 2, 8, 4), block_size=4, lse=True),
               dict(q=(1, 2, 8, 4), k=(1, 2, 8, 4), block_size=4,
                    pooling="sum")]:
    try:
        attn.block_scores(**kwargs)
        print("no error")
    except ValueError as e:
        print("ValueError:", e)
# CHECK: ValueError: 3 query heads are not a positive multiple of 2 key heads
# CHECK: ValueError: block_size must be an int >= 1, got 0
# CHECK: ValueError: an lse operand needs normalize=True
# CHECK: ValueError: pooling must be 'mean', 'max' or 'none', got 'sum'
for kwargs in [dict(scores=(1, 1, 4, 4), k=5, block_size=4),
               dict(scores=(1, 1, 4, 4), k=2, block_size=4, local=3),
               dict(scores=(1, 1, 4, 4), k=2, block_size=4, threshold=0.5)]:
    try:
        attn.select_blocks(**kwargs)
        print("no error")
    except ValueError as e:
        print("ValueError:", e)
# CHECK: ValueError: k must be an int in [0, 4] (the number of key blocks), got 5
# CHECK: ValueError: forced_first and local must be >= 0 with forced_first + local <= k, got 0 and 3
# CHECK: ValueError: threshold must be a finite number <= 0 (log lambda), got 0.5
