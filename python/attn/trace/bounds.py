"""Bounds of a traced modifier.

:func:`check_bounds` proves by interval arithmetic over the block
arguments' ranges that every captured read is in bounds and no integer
division divides by zero, before a kernel is called.
"""

import math

import numpy as np

from attn.trace.dsl import F32, I1, walk


_INF = float("inf")


def _floordiv_bounds(a, b):
    qs = [x // y for x in a for y in b if math.isfinite(x) and
          math.isfinite(y)]
    if any(not math.isfinite(x) for x in a + b):
        return (-_INF, _INF)
    return (min(qs), max(qs))


def check_bounds(tr, extents, arrays):
    """Proves by interval arithmetic that every captured read is in bounds
    and no integer division divides by zero, for index block arguments
    below `extents` (``b < B, h < Hq, q_idx < Lq, kv_idx < Lkv`` for
    score_mod / mask_mod, ``b < B, h < H, t < L, d < Dk`` for the feature
    maps, H the heads of the mapped operand) and the given
    capture values (`arrays`: Capture -> array). Raises ValueError naming
    the read otherwise."""
    if any(e <= 0 for e in extents):
        return  # the region is never evaluated
    # The index arguments follow the f32 value of score_mod / q_mod / k_mod.
    base = 0 if tr.kind == "mask_mod" else 1
    iv = {}
    for v in walk(tr.root):
        a = [iv.get(id(x)) for x in v.args]
        r = None
        if v.type == F32:
            r = None
        elif v.op == "arg":
            r = (0, extents[v.attr - base] - 1)
        elif v.op == "const":
            r = (int(v.attr), int(v.attr))
        elif v.type == I1:
            r = (0, 1)
        elif v.op == "cast":
            r = (0, 1)
        elif v.op == "extract":
            arr = np.asarray(arrays[v.attr])
            r = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        elif v.op in ("add", "sub", "mul"):
            (a0, a1), (b0, b1) = a
            if v.op == "add":
                r = (a0 + b0, a1 + b1)
            elif v.op == "sub":
                r = (a0 - b1, a1 - b0)
            else:
                ps = [0 if (x == 0 or y == 0) else x * y
                      for x in (a0, a1) for y in (b0, b1)]
                r = (min(ps), max(ps))
        elif v.op in ("floordiv", "mod"):
            (a0, a1), (b0, b1) = a
            if b0 <= 0 <= b1:
                raise ValueError(
                    "%s: integer %s by a value in [%s, %s], which may be "
                    "zero" % (tr.kind, "//" if v.op == "floordiv" else "%",
                              b0, b1))
            if v.op == "floordiv":
                r = _floordiv_bounds([a0, a1], [b0, b1])
            elif b0 > 0:
                r = (0, min(b1 - 1, a1) if a0 >= 0 else b1 - 1)
            else:
                r = (b0 + 1, 0)
        elif v.op == "min":
            r = (min(a[0][0], a[1][0]), min(a[0][1], a[1][1]))
        elif v.op == "max":
            r = (max(a[0][0], a[1][0]), max(a[0][1], a[1][1]))
        elif v.op == "neg":
            r = (-a[0][1], -a[0][0])
        elif v.op == "abs":
            lo, hi = a[0]
            if lo >= 0:
                r = (lo, hi)
            elif hi <= 0:
                r = (-hi, -lo)
            else:
                r = (0, max(-lo, hi))
        elif v.op == "select":
            r = (min(a[1][0], a[2][0]), max(a[1][1], a[2][1]))
        else:  # bitwise ops on indices: no bound
            r = (-_INF, _INF)
        if v.op == "extract":
            cap = v.attr
            shape = np.shape(arrays[cap])
            for d, (x, n) in enumerate(zip(v.args, shape)):
                lo, hi = iv[id(x)]
                if lo < 0 or hi > n - 1:
                    raise ValueError(
                        "%s reads captured array '%s' (shape %s) out of "
                        "bounds: index %d ranges over [%s, %s]; clamp it, "
                        "e.g. attn.minimum(attn.maximum(i, 0), %d) (both "
                        "sides of attn.where are evaluated)" %
                        (tr.kind, cap.name, tuple(shape), d, lo, hi, n - 1))
        iv[id(v)] = r
