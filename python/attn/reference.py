"""Independent numpy reference of ``attn.attention`` (float64).

Written from the formulas in docs/semantics.md, not from the compiler's
decomposition, so that it can check both the decomposition and later fast
paths.
"""

import numpy as np


def _floordiv(a, b):
    return np.floor_divide(a, b)


def _natten_window_start(i, length, kernel, dilation):
    """NATTEN's first key of the (non-causal, odd-kernel) window of
    position i along one axis."""
    ns = kernel // 2
    if dilation <= 1:
        return max(i - ns, 0) + (i + ns >= length) * (length - i - ns - 1)
    ni = i - ns * dilation
    if ni < 0:
        return i % dilation
    if i + ns * dilation >= length:
        imodd = i % dilation
        a = (length // dilation) * dilation
        b = length - a
        if imodd < b:
            return length - b + imodd - 2 * ns * dilation
        return a + imodd - kernel * dilation
    return ni


def _axis_table(length, kernel, dilation, causal):
    """keep[x, y]: whether key coordinate y is in the window of query
    coordinate x along one axis."""
    t = np.zeros((length, length), bool)
    for x in range(length):
        if causal:
            start = max(x - (kernel - 1) * dilation, x % dilation)
            keys = range(start, x + 1, dilation)
        else:
            start = _natten_window_start(x, length, kernel, dilation)
            keys = range(start, start + kernel * dilation, dilation)
        t[x, list(keys)] = True
    return t


def neighborhood_keep(grid, kernel, dilation, causal, qa, kv):
    """NATTEN neighbourhood on a row-major grid: every axis keeps the
    key coordinates of the query coordinate's window."""
    n = int(np.prod(grid))
    keep = (qa >= 0) & (qa < n) & (kv >= 0) & (kv < n)
    qc, kc = np.clip(qa, 0, n - 1), np.clip(kv, 0, n - 1)
    stride = n
    for g, k, d, c in zip(grid, kernel, dilation, causal):
        stride //= g
        keep = keep & _axis_table(g, k, d, c)[(qc // stride) % g,
                                              (kc // stride) % g]
    return keep


def structured_keep(term, qa, kv):
    """Keep predicate of one structured mask term on aligned query
    positions ``qa`` and key positions ``kv`` (broadcastable int arrays)."""
    kind = term[0]
    if kind == "causal":
        return kv <= qa
    if kind == "sliding_window":
        _, left, right = term
        return (qa - left <= kv) & (kv <= qa + right)
    if kind == "dilated":
        _, d = term
        return np.fmod(qa - kv, d) == 0
    if kind == "chunked":
        _, c = term
        return _floordiv(qa, c) == _floordiv(kv, c)
    if kind == "prefix_lm":
        _, p = term
        return (kv < p) | (kv <= qa)
    if kind == "neighborhood":
        _, grid, kernel, dilation, causal = term
        return neighborhood_keep(grid, kernel, dilation, causal, qa, kv)
    raise ValueError(kind)


def key_block_keep(counts, indices, q_block_size, kv_block_size, B, Hq, Hkv,
                   Lq, Lkv, per_group=False):
    """keep[b, h, i, j] of key-block lists (docs/semantics.md, "Key-block
    lists"): key j is kept for query i of head h in batch b when block
    ``j // kv_block_size`` is one of the first ``clamp(count, 0, K)``
    entries of the list of query block ``i // q_block_size``; the list of
    (b, h) is ``[b if Bc > 1 else 0, hc]`` with hc = 0 for one list, h per
    query head, or ``h // (Hq / Hkv)`` per group. Entries are a set:
    repeats and blocks outside ``[0, ceil(Lkv / kv_block_size))`` add
    nothing. Built one list at a time with Python sets."""
    counts = np.asarray(counts).astype(np.int64)
    indices = np.asarray(indices).astype(np.int64)
    Bc, Hc, Nq, K = indices.shape
    nkb = -(-Lkv // kv_block_size)
    # listed[b', hc, qb, n]: block n is in list (b', hc, qb).
    listed = np.zeros((Bc, Hc, Nq, nkb), bool)
    for b in range(Bc):
        for h in range(Hc):
            for qb in range(Nq):
                n = min(max(int(counts[b, h, qb]), 0), K)
                chosen = {int(x) for x in indices[b, h, qb, :n]}
                for blk in chosen:
                    if 0 <= blk < nkb:
                        listed[b, h, qb, blk] = True
    keep = np.zeros((B, Hq, Lq, Lkv), bool)
    group = Hq // Hkv
    qblk = np.arange(Lq) // q_block_size
    kblk = np.arange(Lkv) // kv_block_size
    for b in range(B):
        for h in range(Hq):
            if Hc == 1:
                hc = 0
            elif per_group:
                hc = h // group
            else:
                hc = h
            rows = listed[0 if Bc == 1 else b, hc]      # [Nq, nkb]
            keep[b, h] = rows[qblk][:, kblk]
    return keep


def attention(q, k, v, *, scale=None, softcap=None, masks=(), mask=None,
              q_lengths=None, kv_lengths=None, q_segment_ids=None,
              kv_segment_ids=None, sinks=None, normalizer="softmax",
              sigmoid_bias=0.0, score_mod=None, mask_mod=None,
              kv_blocks=None):
    """Returns (output, lse) in float64.

    ``score_mod(s, b, h, i, j)`` and ``mask_mod(b, h, i, j)`` receive
    broadcastable index grids and operate elementwise. ``kv_blocks`` is
    ``(counts, indices, q_block_size, kv_block_size[, per_group])``: the
    key-block lists (:func:`key_block_keep`), one more mask.
    """
    q = np.asarray(q, np.float64)
    k = np.asarray(k, np.float64)
    v = np.asarray(v, np.float64)
    B, Hq, Lq, D = q.shape
    _, Hkv, Lkv, Dv = v.shape
    g = Hq // Hkv
    kx = np.repeat(k, g, axis=1)
    vx = np.repeat(v, g, axis=1)
    if scale is None:
        scale = 1.0 / np.sqrt(D)
    s = np.einsum("bhid,bhjd->bhij", q, kx) * scale
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    bi = np.arange(B).reshape(B, 1, 1, 1)
    hi = np.arange(Hq).reshape(1, Hq, 1, 1)
    ii = np.arange(Lq).reshape(1, 1, Lq, 1)
    jj = np.arange(Lkv).reshape(1, 1, 1, Lkv)
    if score_mod is not None:
        s = np.broadcast_to(score_mod(s, bi, hi, ii, jj), s.shape).astype(
            np.float64)
    keep = np.ones(s.shape, bool)
    if mask is not None:
        m = np.asarray(mask)
        if m.dtype == bool:
            keep &= np.broadcast_to(m, s.shape)
        else:
            s = s + np.broadcast_to(m.astype(np.float64), s.shape)
    qlen = np.full((B, 1, 1, 1), Lq, np.int64)
    kvlen = np.full((B, 1, 1, 1), Lkv, np.int64)
    if q_lengths is not None:
        qlen = np.asarray(q_lengths, np.int64).reshape(B, 1, 1, 1)
        keep &= ii < qlen
    if kv_lengths is not None:
        kvlen = np.asarray(kv_lengths, np.int64).reshape(B, 1, 1, 1)
        keep &= jj < kvlen
    qa = ii + (kvlen - qlen)
    for term in masks:
        keep &= structured_keep(term, qa, jj)
    if q_segment_ids is not None:
        qs = np.asarray(q_segment_ids).reshape(B, 1, Lq, 1)
        ks = np.asarray(kv_segment_ids).reshape(B, 1, 1, Lkv)
        keep &= qs == ks
    if mask_mod is not None:
        keep &= np.broadcast_to(mask_mod(bi, hi, ii, jj), s.shape)
    if kv_blocks is not None:
        counts, indices, sq, skv = kv_blocks[:4]
        per_group = bool(kv_blocks[4]) if len(kv_blocks) > 4 else False
        keep &= key_block_keep(counts, indices, sq, skv, B, Hq, Hkv, Lq, Lkv,
                               per_group)
    keep &= s > -np.inf
    s = np.where(keep, s, -np.inf)

    lse = None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if normalizer == "softmax":
            # (initial: Lkv may be 0, every row then empty.)
            m = s.max(axis=-1, keepdims=True, initial=-np.inf)
            if sinks is not None:
                sk = np.asarray(sinks, np.float64).reshape(1, Hq, 1, 1)
                m = np.maximum(m, sk)
            m = np.where(np.isneginf(m), 0.0, m)
            e = np.where(keep, np.exp(s - m), 0.0)
            den = e.sum(axis=-1, keepdims=True)
            if sinks is not None:
                den = den + np.exp(sk - m)
            p = np.where(den > 0, e / np.where(den > 0, den, 1.0), 0.0)
            lse = (m + np.log(den))[..., 0]
        elif normalizer == "sigmoid":
            p = np.where(keep, 1.0 / (1.0 + np.exp(-(s + sigmoid_bias))), 0.0)
        elif normalizer == "softpick":
            # relu(e^s - 1) / (sum |e^s - 1| + eps), computed in float64
            # with the same shift as the op description allows.
            m = np.maximum(s.max(axis=-1, keepdims=True, initial=-np.inf),
                           0.0)
            e = np.where(keep, np.exp(s - m) - np.exp(-m), 0.0)
            den = np.abs(e).sum(axis=-1, keepdims=True) + 1e-6 * np.exp(-m)
            p = np.maximum(e, 0.0) / den
        else:
            raise ValueError(normalizer)
    out = np.einsum("bhij,bhje->bhie", p, vx)
    return out, lse


def gather_pages(pool, table, layout):
    """The contiguous ``[B, Hkv, max_pages * P, D]`` K or V of a page pool
    (``[pages, P, Hkv, D]`` for ``"nhd"``, ``[pages, Hkv, P, D]`` for
    ``"hnd"``) read through ``table [B, max_pages]``:
    ``K[b, h, t] = pool[table[b, t // P], t % P, h]`` (docs/semantics.md,
    "Paged KV"). Entries outside the pool are clamped, as the compiler
    does (they only occur for pages past a sequence's length)."""
    pool = np.asarray(pool)
    table = np.clip(np.asarray(table, np.int64), 0, max(pool.shape[0] - 1, 0))
    if layout == "hnd":
        pool = pool.transpose(0, 2, 1, 3)
    B, M = table.shape
    P, H, D = pool.shape[1:]
    g = pool[table.reshape(-1)].reshape(B, M * P, H, D)
    return g.transpose(0, 2, 1, 3)
