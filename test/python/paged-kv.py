# RUN: %python %s | FileCheck %s

"""Paged K/V (both layouts, page sizes 1/16/odd, shuffled tables, lengths
not a multiple of the page size, masks, GQA) against the numpy reference,
and the run-time range checks of the page table."""

import numpy as np

import attn
from attn.testing import check

# CHECK: numeric check: 30 variants, 0 mismatches
check.run(7, 30, require="paged")

rng = np.random.default_rng(0)
B, Hq, Hkv, Lq, D, P, M = 2, 4, 2, 3, 8, 5, 3
pages = B * M + 1
k = attn.attention((B, Hq, Lq, D), (B, Hkv, M * P, D), paged=("hnd", P, pages),
                   kv_lengths=True, masks=[attn.causal()])
shape = (pages, Hkv, P, D)
args = dict(q=rng.standard_normal((B, Hq, Lq, D)).astype(np.float32),
            k=rng.standard_normal(shape).astype(np.float32),
            v=rng.standard_normal(shape).astype(np.float32),
            page_table=rng.permutation(pages)[:B * M].reshape(B, M)
            .astype(np.int32),
            kv_lengths=np.array([7, 11], np.int32))
# Slots past a sequence's length may hold anything.
args["page_table"][0, 2] = 1000
out, ref = k(**args), k.reference(**args)
# CHECK: paged hnd P=5: True
print("paged hnd P=5:", bool(np.max(np.abs(out - ref)) <= 1e-5 *
                             np.max(np.abs(ref))))
bad = dict(args, page_table=args["page_table"].copy())
bad["page_table"][1, 1] = pages
try:
    k(**bad)
except ValueError as e:
    # CHECK: row 1 names pages outside [0, 7)
    print(e)
try:
    k(**dict(args, kv_lengths=np.array([7, 16], np.int32)))
except ValueError as e:
    # CHECK: argument 'kv_lengths': values must lie in [0, 15]
    print(e)
try:
    attn.attention((1, 1, 1, 8), (1, 1, 10, 8), paged=("nhd", 4, 3),
                   compile=False)
except ValueError as e:
    # CHECK: paged: Lkv = 10 is not a multiple of the page size 4
    print(e)
