"""numpy evaluation of a traced modifier.

:func:`evaluate` runs the graph of a :class:`attn.trace.Trace` on
broadcastable index grids (float64 scores, int64 indices); it is how the
numpy reference runs the very same modifier the compiled region runs.
"""

import numpy as np

from attn.trace.dsl import F32, I1, INDEX, walk


def _np_binary(op, a, b, ty):
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return np.true_divide(a, b)
    if op == "floordiv":
        return np.floor_divide(a, b)
    if op == "mod":
        return np.mod(a, b)
    if op == "min":
        return np.minimum(a, b)
    if op == "max":
        return np.maximum(a, b)
    if op == "and":
        return np.logical_and(a, b) if ty == I1 else np.bitwise_and(a, b)
    if op == "or":
        return np.logical_or(a, b) if ty == I1 else np.bitwise_or(a, b)
    if op == "xor":
        return np.logical_xor(a, b) if ty == I1 else np.bitwise_xor(a, b)
    raise AssertionError(op)


_NP_CMP = {"lt": np.less, "le": np.less_equal, "gt": np.greater,
           "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}


def evaluate(tr, args, arrays):
    """Evaluates a Trace with numpy: `args` are the block arguments (score
    in float64, index grids in int64, broadcastable), `arrays` maps each
    Capture to its values. Floating results are float64."""
    val = {}
    with np.errstate(all="ignore"):
        for v in walk(tr.root):
            a = [val[id(x)] for x in v.args]
            if v.op == "arg":
                r = args[v.attr]
            elif v.op == "const":
                r = {F32: np.float64, INDEX: np.int64,
                     I1: np.bool_}[v.type](v.attr)
            elif v.op == "cast":
                r = np.asarray(a[0]).astype(
                    np.float64 if v.type == F32 else np.int64)
            elif v.op == "extract":
                arr = np.asarray(arrays[v.attr])
                r = arr[tuple(np.asarray(x, np.int64) for x in a)]
                r = r.astype({F32: np.float64, INDEX: np.int64,
                              I1: np.bool_}[v.type])
            elif v.op == "select":
                r = np.where(a[0], a[1], a[2])
            elif v.op == "cmp":
                r = _NP_CMP[v.attr](a[0], a[1])
            elif v.op == "neg":
                r = np.negative(a[0])
            elif v.op == "abs":
                r = np.abs(a[0])
            elif v.op == "not":
                r = (np.logical_not(a[0]) if v.type == I1
                     else np.invert(a[0]))
            elif v.op in ("tanh", "exp", "log", "sqrt", "floor"):
                r = getattr(np, v.op)(a[0])
            else:
                r = _np_binary(v.op, a[0], a[1], v.type)
            val[id(v)] = r
    return val[id(tr.root)]


def numpy_function(tr, arrays):
    """A callable with the modifier's signature evaluating the trace."""
    return lambda *args: evaluate(tr, args, arrays)
