"""The Python API of ``attn.linear_attention``: build, compile and call.

    import numpy as np
    import attn

    kernel = attn.linear_attention(q=(1, 8, 4096, 64), k=(1, 2, 4096, 64),
                                   decay="token", feature_map="elu1",
                                   final_state=True)
    out, state = kernel(q, k, v, log_decay=g)
    ref_out, ref_state = kernel.reference(q, k, v, log_decay=g)

User feature maps are Python functions ``phi(x, b, h, t, d)`` traced into
the op's ``q_mod`` / ``k_mod`` regions like ``score_mod`` (:mod:`attn.trace`)::

    based = attn.linear_attention(q=(1, 4, 256, 16), v=(1, 4, 256, 64),
                                  q_mod=lambda x, b, h, t, d: 1 + x + x * x / 2,
                                  k_mod=lambda x, b, h, t, d: 1 + x + x * x / 2,
                                  normalize=True)

Shapes are static. Every argument is checked in Python (``ValueError`` /
``TypeError``) before anything is compiled; the kernel is compiled on the
first call (or :meth:`LinearKernel.compile`) with the CPU pipeline, in the
form chosen for the shape unless ``form`` forces one.
"""

import ctypes

import numpy as np

from attn import linear_ir, linear_reference, runner
from attn import trace as tr

_DTYPES = ("f32", "f16", "bf16")
_FEATURES = ("identity", "elu1", "relu")
_DECAYS = (None, "head", "token", "channel")
_FORMS = ("auto", "parallel", "chunked", "recurrent")


def _shape4(name, shape):
    shape = tuple(shape)
    if len(shape) != 4 or not all(isinstance(d, (int, np.integer)) and d >= 0
                                  for d in shape):
        raise ValueError("%s shape must be 4 non-negative sizes [B, heads, "
                         "L, D], got %r" % (name, shape))
    return tuple(int(d) for d in shape)


def linear_attention(q, k=None, v=None, *, dtype="f32", causal=True,
                     decay=None, feature_map="identity", normalize=False,
                     eps=None, scale=None, segments=None, num_sequences=None,
                     initial_state=False, final_state=False, form="auto",
                     chunk_size=0, q_mod=None, k_mod=None):
    """Builds an ``attn.linear_attention`` kernel.

    `q`, `k`, `v`: static shapes ``[B, Hq, L, Dk]``, ``[B, Hkv, L, Dk]``,
    ``[B, Hkv, L, Dv]`` (`k` defaults to `q`'s shape, `v` to `k`'s).
    `decay`: None, ``"head"`` (log-decay ``[Hq]``), ``"token"``
    (``[B, Hq, L]``) or ``"channel"`` (``[B, Hq, L, Dk]``). `segments`:
    None, ``"ids"`` (``[B, L]`` int32 segment ids) or ``"cu"`` (cumulative
    lengths of `num_sequences` sequences, ``[num_sequences + 1]`` int64).
    `initial_state` / `final_state`: take / return the f32 state (and the
    normaliser state with `normalize`). `form`: auto, parallel, chunked or
    recurrent; `chunk_size`: tokens per chunk (0: from the shape).
    `q_mod` / `k_mod`: user feature maps ``phi(x, b, h, t, d) -> x'``
    applied to each element ``x`` of Q / K (``h`` the key/value head for
    K), traced into the op's regions (docs/semantics.md, "User feature
    maps"); they replace `feature_map`, which must then be "identity".
    Numpy arrays they index (per-head or per-channel tables) are captured
    as constants of the kernel.
    """
    q = _shape4("q", q)
    k = _shape4("k", k if k is not None else q)
    v = _shape4("v", v if v is not None else k)
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of %s, got %r" % (_DTYPES, dtype))
    if feature_map not in _FEATURES:
        raise ValueError("feature_map must be one of %s, got %r" %
                         (_FEATURES, feature_map))
    if decay not in _DECAYS:
        raise ValueError("decay must be one of %s, got %r" % (_DECAYS, decay))
    if form not in _FORMS:
        raise ValueError("form must be one of %s, got %r" % (_FORMS, form))
    if not isinstance(chunk_size, int) or chunk_size < 0:
        raise ValueError("chunk_size must be an int >= 0, got %r" %
                         (chunk_size,))
    B, Hq, L, Dk = q
    if k[0] != B or v[0] != B:
        raise ValueError("q, k and v disagree on the batch size: %r, %r, %r"
                         % (q, k, v))
    if k[2] != L or v[2] != L:
        raise ValueError("q, k and v disagree on the sequence length: %r, "
                         "%r, %r" % (q, k, v))
    if k[3] != Dk:
        raise ValueError("q and k disagree on the head dimension: %d and %d"
                         % (Dk, k[3]))
    if k[1] != v[1]:
        raise ValueError("k and v disagree on the number of heads: %d and %d"
                         % (k[1], v[1]))
    if k[1] == 0 or Hq % k[1]:
        raise ValueError("%d query heads are not a positive multiple of %d "
                         "key/value heads" % (Hq, k[1]))
    if decay and not causal:
        raise ValueError("a decay needs causal=True (the non-causal form has "
                         "no decay)")
    if eps is not None and not normalize:
        raise ValueError("eps is only used with normalize=True")
    if eps is not None and not (np.isfinite(eps) and eps >= 0):
        raise ValueError("eps must be finite and >= 0, got %r" % (eps,))
    if scale is not None and not np.isfinite(scale):
        raise ValueError("scale must be finite, got %r" % (scale,))
    if scale is None and Dk == 0:
        raise ValueError("an explicit scale is needed when Dk is 0")
    if segments not in (None, "ids", "cu"):
        raise ValueError("segments must be None, 'ids' or 'cu', got %r" %
                         (segments,))
    if segments == "cu" and not (isinstance(num_sequences, int) and
                                 num_sequences >= 1):
        raise ValueError("segments='cu' needs num_sequences >= 1")
    mods = {n: f for n, f in (("q_mod", q_mod), ("k_mod", k_mod))
            if f is not None}
    if mods and feature_map != "identity":
        raise ValueError("q_mod/k_mod replace the feature map: feature_map "
                         "must be 'identity' with them, got %r" %
                         (feature_map,))
    # Captured arrays become `cap_`-prefixed function arguments.
    registry = tr.Captures()
    traces = {n: tr.trace(f, n, registry) for n, f in mods.items()}
    for c in registry.items:
        if c.array is None:
            raise ValueError("%s reads attn.capture(%s) without an array: "
                             "linear_attention kernels capture constants"
                             % (" and ".join(mods), c.name))
    heads = {"q_mod": Hq, "k_mod": k[1]}
    for n, t in traces.items():
        tr.check_bounds(t, (B, heads[n], L, Dk),
                        {c: c.array for c in registry.items})
    var = {"B": B, "Hq": Hq, "Hkv": k[1], "L": L, "Dk": Dk, "Dv": v[3],
           "dtype": dtype, "causal": bool(causal), "feature": feature_map,
           "decay": decay, "normalize": bool(normalize), "eps": eps,
           "scale": scale, "segments": segments,
           "initial_state": bool(initial_state),
           "final_state": bool(final_state)}
    if segments == "cu":
        var["ncu"] = num_sequences + 1
    var.update(traces)
    var["captures"] = list(registry.items)
    pipeline = "attn-cpu-pipeline=linear-form=%s linear-chunk=%d" % (
        form, chunk_size)
    return LinearKernel(var, pipeline)


# Keyword names of the operands after q, k, v, in argument order.
_KEYWORDS = {"g": "log_decay", "seg": "segment_ids", "cu": "cu_seqlens",
             "s0": "initial_state", "z0": "initial_norm"}


class LinearKernel:
    """A compiled ``attn.linear_attention``: call it on numpy arrays.

    ``kernel(q, k, v, log_decay=..., segment_ids=... | cu_seqlens=...,
    initial_state=..., initial_norm=...)`` returns the output, or the tuple
    (output, final state[, final normaliser]) with ``final_state``.
    """

    def __init__(self, var, pipeline):
        self.var = var
        self.pipeline = pipeline
        self.args = linear_ir.arguments(var)
        self.outs = linear_ir.results(var)
        self.mlir = linear_ir.function("linear_attention", var)
        self._lib = None

    def __repr__(self):
        return "LinearKernel(%s)" % ", ".join(
            "%s=%r" % kv for kv in self.var.items() if kv[1] is not None)

    def compile(self):
        if self._lib is None:
            so, _ = runner.compile_cached(self.mlir, self.pipeline)
            self._lib = ctypes.CDLL(so)
        return self

    def _bind(self, q, k, v, kwargs):
        names = {n for n, _, _, _ in self.args}
        expected = {_KEYWORDS[n] for n in names if n in _KEYWORDS}
        for key in kwargs:
            if key not in expected:
                raise TypeError("unexpected argument %r (this kernel takes "
                                "%s)" % (key, sorted(expected) or "none"))
        bound = {"q": q, "k": k, "v": v}
        # Captured tables are constants of the kernel.
        for c in self.var["captures"]:
            bound["cap_" + c.name] = c.array
        for n in names - set(bound):
            if _KEYWORDS[n] not in kwargs:
                raise TypeError("missing argument %r" % _KEYWORDS[n])
            bound[n] = kwargs[_KEYWORDS[n]]
        for n, shape, elem, _ in self.args:
            a = np.asarray(bound[n])
            if a.shape != tuple(shape):
                raise ValueError("argument %r: expected shape %s, got %s" %
                                 (_KEYWORDS.get(n, n), tuple(shape), a.shape))
            if elem in ("i32", "i64") and not np.issubdtype(a.dtype,
                                                             np.integer):
                raise ValueError("argument %r: expected integers, got %s" %
                                 (_KEYWORDS.get(n, n), a.dtype))
            bound[n] = a
        return bound

    def __call__(self, q, k, v, **kwargs):
        bound = self._bind(q, k, v, kwargs)
        self.compile()
        ins = [runner.to_storage(bound[n], e) for n, _, e, _ in self.args]
        outs = [np.zeros(s, runner.STORAGE[e]) for _, s, e, _ in self.outs]
        runner.call(self._lib, "linear_attention", ins, outs)
        res = [runner.from_storage(outs[0], self.var["dtype"])
               .astype(np.float32)] + outs[1:]
        return res[0] if len(res) == 1 else tuple(res)

    def reference(self, q, k, v, **kwargs):
        """The float64 recurrence (attn.linear_reference) on the inputs
        rounded to the kernel's element types."""
        bound = self._bind(q, k, v, kwargs)
        x = {n: (runner.from_storage(runner.to_storage(bound[n], e), e)
                 if e in ("f32", "f16", "bf16") else bound[n])
             for n, _, e, _ in self.args}
        var = self.var
        caps = {c: x["cap_" + c.name] for c in var["captures"]}
        mods = {n: tr.numpy_function(var[n], caps)
                for n in ("q_mod", "k_mod") if var.get(n) is not None}
        out, S, z = linear_reference.linear_attention(
            x["q"], x["k"], x["v"], log_decay=x.get("g"),
            segment_ids=x.get("seg"), cu_seqlens=x.get("cu"),
            initial_state=x.get("s0"), initial_norm=x.get("z0"),
            scale=var["scale"], feature=var["feature"], **mods,
            causal=var["causal"], normalize=var["normalize"],
            eps=var["eps"] if var["eps"] is not None else 1e-6)
        res = [out] + [S, z][:len(self.outs) - 1]
        return res[0] if len(res) == 1 else tuple(res)
