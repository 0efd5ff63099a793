"""The Python API of ``attn.block_scores`` and ``attn.select_blocks``.

    import attn

    scorer = attn.block_scores(q=(1, 8, 4096, 64), k=(1, 2, 4096, 64),
                               block_size=64, causal=True, heads="kv")
    scores = scorer(q, k)                     # [1, 2, 4096, 64] float32
    select = attn.select_blocks(scores=scores.shape, k=16, block_size=64,
                                causal=True, forced_first=1, local=2)
    counts, indices = select(scores)          # int32, padded with -1

Shapes are static. Every argument is checked in Python (``ValueError``)
before anything is compiled; the kernel is compiled on the first call with
the CPU pipeline. ``kernel.reference`` is the float64 model of
:mod:`attn.block_sparse_reference` on the inputs rounded to the kernel's
element type.
"""

import ctypes

import numpy as np

from attn import block_sparse_ir as ir
from attn import block_sparse_reference as reference
from attn import runner

_DTYPES = ("f32", "bf16")


def _shape(name, shape, rank):
    shape = tuple(shape)
    if len(shape) != rank or not all(isinstance(d, (int, np.integer)) and
                                     d >= 0 for d in shape):
        raise ValueError("%s shape must be %d non-negative sizes, got %r" %
                         (name, rank, shape))
    return tuple(int(d) for d in shape)


def _positive(name, v):
    if not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError("%s must be an int >= 1, got %r" % (name, v))
    return int(v)


def block_scores(q, k, *, block_size, query_block=1, pooling="mean",
                 reduce="sum", causal=True, normalize=False, lse=False,
                 scale=None, heads="q", dtype="f32"):
    """Builds an ``attn.block_scores`` kernel.

    `q`, `k`: shapes ``[B, Hq, Lq, D]`` and ``[B, Hkv, Lk, D]`` (compressed
    keys ``[B, Hkv, Nk, D]`` with ``pooling="none"``). `heads`: ``"q"`` (one
    row per query head) or ``"kv"`` (reduced over each GQA group). `lse`:
    the kernel takes a ``[B, Hq, Lq]`` float32 log-sum-exp (needs
    `normalize`).
    """
    q, k = _shape("q", q, 4), _shape("k", k, 4)
    block_size = _positive("block_size", block_size)
    query_block = _positive("query_block", query_block)
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of %s, got %r" % (_DTYPES, dtype))
    if pooling not in ("mean", "max", "none"):
        raise ValueError("pooling must be 'mean', 'max' or 'none', got %r" %
                         (pooling,))
    if reduce not in ("sum", "max"):
        raise ValueError("reduce must be 'sum' or 'max', got %r" % (reduce,))
    if heads not in ("q", "kv"):
        raise ValueError("heads must be 'q' or 'kv', got %r" % (heads,))
    if q[0] != k[0] or q[3] != k[3]:
        raise ValueError("q and k disagree on the batch size or head "
                         "dimension: %r and %r" % (q, k))
    if k[1] == 0 or q[1] % k[1]:
        raise ValueError("%d query heads are not a positive multiple of %d "
                         "key heads" % (q[1], k[1]))
    if lse and not normalize:
        raise ValueError("an lse operand needs normalize=True")
    if scale is not None and not np.isfinite(scale):
        raise ValueError("scale must be finite, got %r" % (scale,))
    if scale is None and q[3] == 0:
        raise ValueError("an explicit scale is needed when D is 0")
    var = {"B": q[0], "Hq": q[1], "Hkv": k[1], "Lq": q[2], "Lk": k[2],
           "D": q[3], "dtype": dtype, "block_size": block_size,
           "query_block": query_block, "pooling": pooling, "reduce": reduce,
           "causal": bool(causal), "normalize": bool(normalize),
           "lse": bool(lse), "scale": scale, "heads": heads}
    return _Kernel("block_scores", var, ir.scores_arguments(var),
                   ir.scores_results(var),
                   ir.scores_function("block_scores", var))


def select_blocks(scores, *, k, block_size, query_block=1, causal=True,
                  forced_first=0, local=0, split=False, dynamic_k=False,
                  lengths=False, threshold=None, dtype="f32"):
    """Builds an ``attn.select_blocks`` kernel over scores of shape
    ``[B, H, Nq, Nk]``. `dynamic_k`: the kernel takes a run-time k (clamped
    to ``[0, k]``); `lengths`: it takes ``(Lq, Lkv)`` (otherwise
    ``Nq * query_block`` and ``Nk * block_size``); `threshold`: BLASST's
    ``log(lambda) <= 0``, keeping (besides the forced blocks) only the
    blocks whose score is within it of the row's best, at most `k`.
    Returns (counts, indices) or, with `split`, (partial counts, partial
    indices, full counts, full indices)."""
    s = _shape("scores", scores, 4)
    block_size = _positive("block_size", block_size)
    query_block = _positive("query_block", query_block)
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= s[3]:
        raise ValueError("k must be an int in [0, %d] (the number of key "
                         "blocks), got %r" % (s[3], k))
    if forced_first < 0 or local < 0 or forced_first + local > k:
        raise ValueError("forced_first and local must be >= 0 with "
                         "forced_first + local <= k, got %r and %r" %
                         (forced_first, local))
    if threshold is not None and not (
            isinstance(threshold, (int, float, np.floating)) and
            np.isfinite(threshold) and threshold <= 0):
        raise ValueError("threshold must be a finite number <= 0 (log "
                         "lambda), got %r" % (threshold,))
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of %s, got %r" % (_DTYPES, dtype))
    var = {"B": s[0], "H": s[1], "Nq": s[2], "Nk": s[3], "dtype": dtype,
           "k": int(k), "block_size": block_size, "query_block": query_block,
           "causal": bool(causal), "forced_first": int(forced_first),
           "local": int(local), "split": bool(split),
           "k_dynamic": 0 if dynamic_k else None,
           "lengths": (0, 0) if lengths else None,
           "threshold": None if threshold is None else float(threshold)}
    return _Kernel("select_blocks", var, ir.select_arguments(var),
                   ir.select_results(var),
                   ir.select_function("select_blocks", var))


class _Kernel:
    """A compiled block-scores or selection kernel: call it on numpy arrays
    in the order of its operands (q, k[, lse] or scores[, k][, lengths])."""

    def __init__(self, name, var, args, outs, mlir):
        self.name, self.var, self.args, self.outs = name, var, args, outs
        self.mlir = mlir
        self._lib = None

    def __repr__(self):
        return "%s(%s)" % (self.name, ", ".join(
            "%s=%r" % kv for kv in self.var.items() if kv[1] is not None))

    def compile(self):
        if self._lib is None:
            so, _ = runner.compile_cached(self.mlir, "attn-cpu-pipeline")
            self._lib = ctypes.CDLL(so)
        return self

    def _bind(self, inputs):
        if len(inputs) != len(self.args):
            raise TypeError("%s takes %d arguments (%s), got %d" % (
                self.name, len(self.args),
                ", ".join(n for n, _, _, _ in self.args), len(inputs)))
        bound = []
        for (n, shape, _, _), a in zip(self.args, inputs):
            a = np.asarray(a)
            if a.shape != tuple(shape):
                raise ValueError("argument %r: expected shape %s, got %s" %
                                 (n, tuple(shape), a.shape))
            bound.append(a)
        return bound

    def __call__(self, *inputs):
        bound = self._bind(inputs)
        self.compile()
        ins = [runner.to_storage(a, e)
               for a, (_, _, e, _) in zip(bound, self.args)]
        outs = [np.zeros(s, runner.STORAGE[e]) for _, s, e, _ in self.outs]
        runner.call(self._lib, self.name, ins, outs)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def reference(self, *inputs):
        bound = self._bind(inputs)
        x = [runner.from_storage(runner.to_storage(a, e), e)
             if e in _DTYPES else a
             for a, (_, _, e, _) in zip(bound, self.args)]
        v = self.var
        if self.name == "block_scores":
            return reference.block_scores(
                x[0], x[1], block_size=v["block_size"],
                query_block=v["query_block"], pooling=v["pooling"],
                reduce=v["reduce"], causal=v["causal"],
                normalize=v["normalize"], lse=x[2] if v["lse"] else None,
                scale=v["scale"], heads=v["heads"])
        rest = list(x[1:])
        kd = int(rest.pop(0)) if v["k_dynamic"] is not None else None
        lens = tuple(int(t) for t in rest.pop(0)) if v["lengths"] else None
        res = reference.select_blocks(
            x[0], k=v["k"], block_size=v["block_size"],
            query_block=v["query_block"], causal=v["causal"],
            forced_first=v["forced_first"], local=v["local"],
            split=v["split"], k_dynamic=kd, lengths=lens,
            threshold=v["threshold"])
        return res
