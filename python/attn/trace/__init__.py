"""Tracing of ``score_mod`` / ``mask_mod`` (attn.attention) and ``q_mod`` /
``k_mod`` (attn.linear_attention, ``(x, b, h, t, d) -> f32``) Python
functions.

A modifier is an ordinary Python function::

    def alibi(score, b, h, q_idx, kv_idx):
        return score + slopes[h] * (kv_idx - q_idx)

:func:`trace` calls it once with symbolic :class:`Value` arguments whose
operators record an expression graph (a DAG of :class:`Value` nodes). The
same graph is then

* printed as the body of the op's region (:class:`RegionEmitter`,
  :mod:`attn.trace.region`),
* evaluated with numpy on broadcast index grids (:func:`evaluate`,
  :mod:`attn.trace.numpy_eval`), which is how the numpy reference runs the
  very same function, and
* bounded by interval arithmetic (:func:`check_bounds`,
  :mod:`attn.trace.bounds`), so that a captured array is never read out of
  bounds and an integer division never divides by zero in the compiled
  code.

Types follow the op's regions: the score is ``f32``, the indices ``index``,
predicates ``i1``. Python ``int``/``float``/``bool`` become constants; an
``index`` operand meeting an ``f32`` one is converted (``sitofp``), an
``i1`` one meeting arithmetic becomes 0/1.

Captured numpy arrays (``slopes[h]``, ``bias[q_idx, kv_idx]``,
``doc[kv_idx]``) become :class:`Capture` objects: ``tensor.extract`` of a
tensor defined above the op, passed as an extra argument of the compiled
function. Arrays that are free variables of the function (closure cells,
globals, defaults) are captured automatically; others are wrapped with
:func:`capture`.

The DSL itself (:class:`Value`, :func:`trace`, :class:`Capture`, the math
functions) is :mod:`attn.trace.dsl`; this package re-exports the public
names of its modules, so ``from attn import trace as tr; tr.trace(...)``
is the interface.
"""

# Re-exports: the public interface of the package.
from attn.trace.dsl import (F32, FEATURE_MOD_ARGS, I1, INDEX, MASK_MOD_ARGS,
                            MOD_ARGS, SCORE_MOD_ARGS, Capture, Captures,
                            Trace, TraceError, Value, abs, capture, capture_element,
                            cast, const, exp, floor, log, maximum, minimum,
                            sqrt, tanh, trace, walk, where)
from attn.trace.region import (RegionEmitter, f32_literal,
                               region_text)
from attn.trace.numpy_eval import evaluate, numpy_function
from attn.trace.bounds import check_bounds

__all__ = [
    "F32", "FEATURE_MOD_ARGS", "I1", "INDEX", "MASK_MOD_ARGS", "MOD_ARGS",
    "SCORE_MOD_ARGS", "Capture",
    "Captures", "Trace", "TraceError", "Value", "abs", "capture",
    "capture_element", "cast", "const", "exp", "floor", "log", "maximum",
    "minimum", "sqrt", "tanh", "trace", "walk", "where", "RegionEmitter",
    "f32_literal", "region_text", "evaluate", "numpy_function", "check_bounds",
]
