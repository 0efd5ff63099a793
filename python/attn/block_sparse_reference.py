"""float64 numpy reference of ``attn.block_scores`` and ``attn.select_blocks``.

Written from docs/semantics.md ("Semantics of the block-sparsity ops") one
row at a time, sharing no formulation with the compiler's decomposition:
pooling by slicing, the block softmax per row, the reduction as a masked
numpy reduction, the selection as a stable sort (the decomposition counts
ranks). Also: the expansion of a block list into the i1 key mask that the
MoBA / NSA compositions pass to ``attn.attention``.
"""

import math

import numpy as np


def pool_keys(k, block_size, pooling):
    """[B, Hkv, Nk, D] pooled keys (the keys themselves for "none")."""
    if pooling == "none":
        return np.asarray(k, np.float64)
    B, H, L, D = k.shape
    nk = -(-L // block_size)
    out = np.zeros((B, H, nk, D))
    for n in range(nk):
        blk = k[:, :, n * block_size:(n + 1) * block_size, :]
        out[:, :, n] = blk.mean(axis=2) if pooling == "mean" else \
            blk.max(axis=2)
    return out


def block_scores(q, k, *, block_size, query_block=1, pooling="mean",
                 reduce="sum", causal=False, normalize=False, lse=None,
                 scale=None, heads="q"):
    """Scores [B, Hs, Nq, Nk]; `heads` "q" (Hs = Hq) or "kv" (Hs = Hkv)."""
    q = np.asarray(q, np.float64)
    B, Hq, Lq, D = q.shape
    Hkv = k.shape[1]
    g = Hq // Hkv
    kp = pool_keys(np.asarray(k, np.float64), block_size, pooling)
    nk = kp.shape[2]
    lkv = k.shape[2] if pooling != "none" else nk * block_size
    if scale is None:
        scale = 1.0 / math.sqrt(D)
    # Visible[i, n]: the first key of block n is not after aligned row i.
    vis = np.ones((Lq, nk), bool)
    if causal:
        vis = (np.arange(nk)[None, :] * block_size
               <= np.arange(Lq)[:, None] + lkv - Lq)
    s = np.zeros((B, Hq, Lq, nk))
    for h in range(Hq):
        s[:, h] = scale * q[:, h] @ kp[:, h // g].transpose(0, 2, 1)
    p = s
    if normalize:
        if lse is None:
            lse = np.full((B, Hq, Lq), -np.inf)
            for i in range(Lq):
                row = s[:, :, i, vis[i]]
                if row.shape[-1]:
                    m = row.max(axis=-1)
                    lse[:, :, i] = m + np.log(
                        np.exp(row - m[..., None]).sum(-1))
        lse = np.asarray(lse, np.float64)
        with np.errstate(invalid="ignore"):
            p = np.where(np.isneginf(lse)[..., None], 0.0,
                         np.exp(s - lse[..., None]))
    hs = Hq if heads == "q" else Hkv
    G = Hq // hs if hs else 1
    nq = -(-Lq // query_block)
    out = np.full((B, hs, nq, nk), -np.inf)
    for o in range(hs):
        for qb in range(nq):
            rows = range(qb * query_block, min((qb + 1) * query_block, Lq))
            for n in range(nk):
                members = [p[:, h, i, n] for h in range(o * G, (o + 1) * G)
                           for i in rows if vis[i, n]]
                if members:
                    m = np.stack(members, axis=-1)
                    out[:, o, qb, n] = m.sum(-1) if reduce == "sum" else \
                        m.max(-1)
    return out


def _geometry(nq, nk, block_size, query_block, lengths):
    lq, lkv = lengths if lengths is not None else (nq * query_block,
                                                   nk * block_size)
    return lq, lkv


def select_blocks(scores, *, k, block_size, query_block=1, causal=False,
                  forced_first=0, local=0, split=False, k_dynamic=None,
                  lengths=None, threshold=None):
    """(counts, indices[, full_counts, full_indices]) as int32 arrays. With
    `threshold` t, the candidates are the forced visible blocks and those
    whose score is at least the row's visible maximum + t (the sum rounded
    to float32, as the op computes it; -inf and NaN never pass)."""
    scores = np.asarray(scores, np.float64)
    B, H, nq, nk = scores.shape
    lq, lkv = _geometry(nq, nk, block_size, query_block, lengths)
    keff = k if k_dynamic is None else max(0, min(int(k_dynamic), k))
    lists = 2 if split else 1
    counts = [np.zeros((B, H, nq), np.int32) for _ in range(lists)]
    idx = [np.full((B, H, nq, k), -1, np.int32) for _ in range(lists)]
    for qb in range(nq):
        a = min((qb + 1) * query_block, lq) - 1 + lkv - lq
        visible = [n for n in range(nk) if not causal or n * block_size <= a]
        diag = a // block_size  # Python floor division, as the semantics
        forced = {n for n in visible
                  if n < forced_first or diag - local < n <= diag}
        first = qb * query_block + lkv - lq
        for b in range(B):
            for h in range(H):
                def key(n):
                    s = scores[b, h, qb, n]
                    s = -np.inf if np.isnan(s) else s
                    return (n not in forced, -s, n)
                cands = visible
                if threshold is not None:
                    row = [-key(n)[1] for n in visible]
                    bound = float(np.float32(max(row, default=-np.inf)) +
                                  np.float32(threshold))
                    cands = [n for n, s in zip(visible, row) if n in forced
                             or (s > -np.inf and s >= bound)]
                chosen = sorted(sorted(cands, key=key)[:keff])
                for n in chosen:
                    full = not causal or min((n + 1) * block_size,
                                             lkv) - 1 <= first
                    c = 1 if split and full else 0
                    idx[c][b, h, qb, counts[c][b, h, qb]] = n
                    counts[c][b, h, qb] += 1
    res = [counts[0], idx[0]]
    if split:
        res += [counts[1], idx[1]]
    return tuple(res)


def expand_to_mask(counts, indices, *, block_size, query_block, lq, lkv,
                   group=1):
    """The i1 key mask [B, H * group, Lq, Lkv] that keeps the listed blocks
    (a head of the lists serves `group` query heads)."""
    B, H, nq, _ = indices.shape
    mask = np.zeros((B, H * group, lq, lkv), bool)
    for b in range(B):
        for h in range(H):
            for i in range(lq):
                qb = i // query_block
                for t in range(counts[b, h, qb]):
                    n = indices[b, h, qb, t]
                    mask[b, h * group:(h + 1) * group, i,
                         n * block_size:(n + 1) * block_size] = True
    return mask
