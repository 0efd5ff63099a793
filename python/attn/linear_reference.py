"""float64 numpy reference of ``attn.linear_attention``.

Written as the recurrence of docs/semantics.md ("Linear attention"), one
token at a time, so that it shares no formulation with the compiler's
parallel (quadratic) decomposition nor its chunked form.
"""

import numpy as np


def feature_map(x, kind):
    if kind == "identity":
        return x
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "elu1":
        return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))
    raise ValueError("unknown feature map %r" % kind)


def user_feature_map(x, fn):
    """`fn(x, b, h, t, d)` (a q_mod / k_mod) on the [B, H, L, D] array `x`,
    the coordinates as broadcast int64 grids; float64."""
    grids = np.indices(x.shape, sparse=True)
    return np.broadcast_to(np.asarray(fn(x, *grids), np.float64), x.shape)


def segments_from_cu_seqlens(cu, B, L):
    """Sequence ids [B, L] of cumulative lengths: #{n : cu[n] <= t}."""
    t = np.arange(L)
    ids = (np.asarray(cu)[None, :] <= t[:, None]).sum(axis=1)
    return np.broadcast_to(ids, (B, L))


def linear_attention(q, k, v, *, log_decay=None, segment_ids=None,
                     cu_seqlens=None, initial_state=None, initial_norm=None,
                     scale=None, feature="identity", q_mod=None,
                     k_mod=None, causal=True, normalize=False, eps=1e-6):
    """Returns (out [B, Hq, L, Dv], final state [B, Hq, Dk, Dv], final
    normaliser state [B, Hq, Dk]) in float64. `q_mod` / `k_mod`: Python
    callables ``(x, b, h, t, d)`` replacing the feature map on Q / K (``h``
    the key/value head for K), evaluated on numpy arrays."""
    if (q_mod is not None or k_mod is not None) and feature != "identity":
        raise ValueError("q_mod/k_mod replace the feature map: feature must "
                         "be 'identity', got %r" % (feature,))
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    B, Hq, L, Dk = q.shape
    Hkv, Dv = k.shape[1], v.shape[3]
    g = Hq // Hkv
    if scale is None:
        scale = 1.0 / np.sqrt(Dk)
    qf = scale * (user_feature_map(q, q_mod) if q_mod is not None
                  else feature_map(q, feature))
    kf = np.repeat(user_feature_map(k, k_mod) if k_mod is not None
                   else feature_map(k, feature), g, axis=1)
    vf = np.repeat(v, g, axis=1)
    # lam[b, h, t, d]: the decay of state row d at token t.
    lam = np.ones((B, Hq, L, Dk))
    if log_decay is not None:
        ld = np.asarray(log_decay, np.float64)
        if ld.ndim == 1:
            ld = ld[None, :, None, None]
        elif ld.ndim == 3:
            ld = ld[..., None]
        lam = lam * np.exp(ld)
    if segment_ids is None and cu_seqlens is not None:
        segment_ids = segments_from_cu_seqlens(cu_seqlens, B, L)
    reset = np.zeros((B, L), bool)
    if segment_ids is not None:
        s = np.asarray(segment_ids)
        reset[:, 1:] = s[:, 1:] != s[:, :-1]
    S = np.zeros((B, Hq, Dk, Dv))
    z = np.zeros((B, Hq, Dk))
    if initial_state is not None:
        S = np.array(initial_state, np.float64)
    if initial_norm is not None:
        z = np.array(initial_norm, np.float64)
    states, norms = [], []
    for t in range(L):
        keep = (~reset[:, t]).astype(np.float64)[:, None, None]
        S = keep[..., None] * S
        z = keep * z
        S = lam[:, :, t, :, None] * S + \
            kf[:, :, t, :, None] * vf[:, :, t, None, :]
        z = lam[:, :, t, :] * z + kf[:, :, t, :]
        states.append(S)
        norms.append(z)
    out = np.zeros((B, Hq, L, Dv))
    # The state each token reads: its own (causal) or its sequence's last.
    last = np.arange(L)[None, :].repeat(B, axis=0)
    if not causal:
        for b in range(B):
            for t in range(L - 2, -1, -1):
                if not reset[b, t + 1]:
                    last[b, t] = last[b, t + 1]
    for b in range(B):
        for t in range(L):
            St, zt = states[last[b, t]][b], norms[last[b, t]][b]
            num = np.einsum("hd,hde->he", qf[b, :, t], St)
            if normalize:
                den = np.einsum("hd,hd->h", qf[b, :, t], zt) + eps
                num = num / den[:, None]
            out[b, :, t] = num
    return out, S, z
