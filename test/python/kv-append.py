# RUN: %python %s | FileCheck %s

"""attn.kv_append through the Python API: a prefill then decode steps
appended into shuffled pages of both pool layouts, compared with the numpy
semantics, then paged attention over the appended pools against the
contiguous reference; the run-time range checks; in-place update."""

import numpy as np

import attn

rng = np.random.default_rng(3)
B, Hq, Hkv, D, P, M = 2, 4, 2, 8, 4, 3
pages = B * M + 2
prompt = np.array([5, 2], np.int32)
Lp, steps = int(prompt.max()), 4

for layout in ("nhd", "hnd"):
    pshape = ((pages, P, Hkv, D) if layout == "nhd" else (pages, Hkv, P, D))
    table = rng.permutation(pages)[:B * M].reshape(B, M).astype(np.int32)
    kpool = np.zeros(pshape, np.float32)
    vpool = np.zeros(pshape, np.float32)
    prefill = attn.kv_append((B, Hkv, Lp, D), pshape, M, layout=layout)
    step = attn.kv_append((B, Hkv, 1, D), pshape, M, layout=layout)
    # Contiguous K/V each sequence should see after every append.
    kc = np.zeros((B, Hkv, M * P, D), np.float32)
    vc = np.zeros((B, Hkv, M * P, D), np.float32)
    kn = rng.standard_normal((B, Hkv, Lp, D)).astype(np.float32)
    vn = rng.standard_normal((B, Hkv, Lp, D)).astype(np.float32)
    zero = np.zeros(B, np.int32)
    want = prefill.reference(kn, zero, table, kpool)
    got = prefill(kn, zero, table, kpool)
    same = got is kpool and np.array_equal(kpool, want)
    prefill(vn, zero, table, vpool)
    for b in range(B):
        kc[b, :, :prompt[b]] = kn[b, :, :prompt[b]]
        vc[b, :, :prompt[b]] = vn[b, :, :prompt[b]]
    lengths = prompt.copy()
    dec = attn.attention((B, Hq, 1, D), (B, Hkv, M * P, D),
                         paged=(layout, P, pages), kv_lengths=True)
    worst = 0.0
    for s in range(steps):
        kn = rng.standard_normal((B, Hkv, 1, D)).astype(np.float32)
        vn = rng.standard_normal((B, Hkv, 1, D)).astype(np.float32)
        want = step.reference(kn, lengths, table, kpool)
        step(kn, lengths, table, kpool)
        step(vn, lengths, table, vpool)
        same = same and np.array_equal(kpool, want)
        for b in range(B):
            kc[b, :, lengths[b]] = kn[b, :, 0]
            vc[b, :, lengths[b]] = vn[b, :, 0]
        lengths = lengths + 1
        q = rng.standard_normal((B, Hq, 1, D)).astype(np.float32)
        out = dec(q, kpool, vpool, kv_lengths=lengths, page_table=table)
        contig = attn.attention((B, Hq, 1, D), (B, Hkv, M * P, D),
                                kv_lengths=True, compile=False)
        ref = contig.reference(q, kc, vc, kv_lengths=lengths)
        worst = max(worst, float(np.abs(out - ref).max() /
                                 max(np.abs(ref).max(), 1e-30)))
    print("kv_append %s: pool %s, attention %s" %
          (layout, "exact" if same else "MISMATCH",
           "ok" if worst <= 1e-5 else "BAD %g" % worst))
# CHECK: kv_append nhd: pool exact, attention ok
# CHECK: kv_append hnd: pool exact, attention ok

pshape = (pages, P, Hkv, D)
step = attn.kv_append((B, Hkv, 2, D), pshape, M)
table = np.arange(B * M, dtype=np.int32).reshape(B, M)
pool = np.zeros(pshape, np.float32)
new = np.ones((B, Hkv, 2, D), np.float32)
for what, pos, tab in (("capacity", [0, M * P - 1], table),
                       ("negative", [-1, 0], table),
                       ("page", [0, 4], np.where(table == 4, pages, table))):
    try:
        step(new, np.array(pos, np.int32), tab.astype(np.int32), pool)
        print(what, "not rejected")
    except ValueError as e:
        print(what, "rejected:", str(e).split(":")[0])
# CHECK: capacity rejected: argument 'positions'
# CHECK: negative rejected: argument 'positions'
# CHECK: page rejected: argument 'page_table'
print("pool untouched:", not pool.any())
# CHECK: pool untouched: True
