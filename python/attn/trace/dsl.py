"""The tracing DSL of ``score_mod`` / ``mask_mod`` / ``q_mod`` / ``k_mod``
functions.

:func:`trace` calls a modifier once with symbolic :class:`Value` arguments
whose operators record an expression graph (a DAG of :class:`Value` nodes,
visited operands first by :func:`walk`); the ``attn.*`` math functions,
:func:`where`, :func:`minimum`/:func:`maximum` and numpy ufuncs on values
add nodes too. Captured numpy arrays become :class:`Capture` nodes,
collected per kernel by :class:`Captures`. The graph is printed by
:mod:`attn.trace.region`, evaluated by :mod:`attn.trace.numpy_eval` and
bounded by :mod:`attn.trace.bounds`.
"""

import sys
import types

import numpy as np

F32, INDEX, I1 = "f32", "index", "i1"
_RANK = {I1: 0, INDEX: 1, F32: 2}

SCORE_MOD_ARGS = ("score", "b", "h", "q_idx", "kv_idx")
MASK_MOD_ARGS = ("b", "h", "q_idx", "kv_idx")
# The feature maps of attn.linear_attention: the element and its
# (batch, head, token, channel) coordinates.
FEATURE_MOD_ARGS = ("x", "b", "h", "t", "d")
# The block arguments of each kind of region; the first of score_mod and
# the feature maps is the f32 value.
MOD_ARGS = {"score_mod": SCORE_MOD_ARGS, "mask_mod": MASK_MOD_ARGS,
            "q_mod": FEATURE_MOD_ARGS, "k_mod": FEATURE_MOD_ARGS}


class TraceError(TypeError):
    """A modifier function uses something that cannot be traced."""


def _user_location(depth=2):
    """'file:line' of the user frame `depth` levels above the caller."""
    try:
        f = sys._getframe(depth)
    except ValueError:
        return "?"
    while f is not None and f.f_code.co_filename == __file__:
        f = f.f_back
    if f is None:
        return "?"
    return "%s:%d" % (f.f_code.co_filename, f.f_lineno)


def _unsupported(what, hint=""):
    raise TraceError("%s is not supported on traced values (at %s)%s" %
                     (what, _user_location(3), "; " + hint if hint else ""))


class Value:
    """A node of the traced expression graph.

    ``op`` is one of: ``arg`` (a block argument, ``attr`` its position),
    ``const`` (``attr`` the Python value), ``extract`` (``attr`` the
    :class:`Capture`, ``args`` the indices), ``cast`` (to ``type``), the
    binary ops ``add sub mul div floordiv mod min max and or xor``, ``cmp``
    (``attr`` one of lt le gt ge eq ne), the unary ops ``neg abs not tanh
    exp log sqrt floor``, and ``select``.
    """

    __slots__ = ("op", "type", "args", "attr")
    # numpy hands binary operators with a Value on the right to us.
    __array_priority__ = 1000

    def __init__(self, op, type_, args=(), attr=None):
        self.op, self.type, self.args, self.attr = op, type_, tuple(args), attr

    def __repr__(self):
        return "<traced %s %s>" % (self.type, self.op)

    # Arithmetic.
    def __add__(self, o): return _arith("add", self, o)
    def __radd__(self, o): return _arith("add", o, self)
    def __sub__(self, o): return _arith("sub", self, o)
    def __rsub__(self, o): return _arith("sub", o, self)
    def __mul__(self, o): return _arith("mul", self, o)
    def __rmul__(self, o): return _arith("mul", o, self)
    def __truediv__(self, o): return _arith("div", self, o)
    def __rtruediv__(self, o): return _arith("div", o, self)
    def __floordiv__(self, o): return _arith("floordiv", self, o)
    def __rfloordiv__(self, o): return _arith("floordiv", o, self)
    def __mod__(self, o): return _arith("mod", self, o)
    def __rmod__(self, o): return _arith("mod", o, self)
    def __neg__(self): return _unary("neg", self)
    def __pos__(self): return self
    def __abs__(self): return _unary("abs", self)

    # Comparisons.
    def __lt__(self, o): return _cmp("lt", self, o)
    def __le__(self, o): return _cmp("le", self, o)
    def __gt__(self, o): return _cmp("gt", self, o)
    def __ge__(self, o): return _cmp("ge", self, o)
    def __eq__(self, o): return _cmp("eq", self, o)
    def __ne__(self, o): return _cmp("ne", self, o)
    __hash__ = object.__hash__

    # Logic (i1) or bitwise (index).
    def __and__(self, o): return _logic("and", self, o)
    def __rand__(self, o): return _logic("and", o, self)
    def __or__(self, o): return _logic("or", self, o)
    def __ror__(self, o): return _logic("or", o, self)
    def __xor__(self, o): return _logic("xor", self, o)
    def __rxor__(self, o): return _logic("xor", o, self)
    def __invert__(self): return _unary("not", self)

    # What cannot be traced: Python control flow and conversions.
    def __bool__(self):
        raise TraceError(
            "a traced %s value was used as a Python bool (at %s): `if`, "
            "`while`, `and`, `or`, `not` and chained comparisons (a < b < c) "
            "need concrete values; use attn.where(cond, a, b) for choices "
            "and &, |, ~ for logic" % (self.type, _user_location(2)))

    def __float__(self):
        _unsupported("float() (or math.* functions)",
                     "use attn.tanh/exp/log/sqrt/abs/minimum/maximum")

    def __int__(self):
        _unsupported("int()")

    def __index__(self):
        _unsupported("use as a Python index",
                     "index a captured array (see attn.capture)")

    def __pow__(self, o):
        if isinstance(o, int) and not isinstance(o, bool) and 1 <= o <= 8:
            r = self
            for _ in range(o - 1):
                r = r * self
            return r
        _unsupported("** with an exponent other than a constant int 1..8",
                     "use attn.exp(y * attn.log(x))")

    def __rpow__(self, o):
        _unsupported("** with a traced exponent")

    def __matmul__(self, o):
        _unsupported("@")

    def __iter__(self):
        _unsupported("iteration")

    def __len__(self):
        _unsupported("len()")

    def __getitem__(self, idx):
        _unsupported("indexing a traced value",
                     "index captured arrays with traced indices instead")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        fn = _UFUNCS.get(ufunc.__name__) if method == "__call__" else None
        if fn is None or kwargs:
            raise TraceError(
                "numpy.%s is not supported on traced values (at %s); the "
                "supported numpy functions are %s" %
                (ufunc.__name__, _user_location(2),
                 ", ".join(sorted(_UFUNCS))))
        for x in inputs:
            if isinstance(x, np.ndarray) and x.ndim > 0:
                raise TraceError(
                    "a numpy array of shape %s was combined with a traced "
                    "value (at %s); index it with traced indices "
                    "(e.g. table[h]) or wrap it with attn.capture" %
                    (x.shape, _user_location(2)))
        return fn(*inputs)


def const(x):
    """A Value of a Python or numpy scalar (or a Value itself)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Value("const", I1, attr=bool(x))
    if isinstance(x, (int, np.integer)):
        return Value("const", INDEX, attr=int(x))
    if isinstance(x, (float, np.floating)):
        return Value("const", F32, attr=float(x))
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return const(x[()])
        raise TraceError(
            "a numpy array of shape %s was combined with a traced value (at "
            "%s); index it with traced indices (e.g. table[h]) or wrap it "
            "with attn.capture" % (x.shape, _user_location(3)))
    if isinstance(x, Capture):
        raise TraceError("captured array '%s' used without indexing (at %s)"
                         % (x.name, _user_location(3)))
    raise TraceError("cannot trace a value of type %s (at %s)" %
                     (type(x).__name__, _user_location(3)))


def cast(x, ty):
    x = const(x)
    if x.type == ty:
        return x
    if x.op == "const":
        return Value("const", ty, attr={F32: float, INDEX: int,
                                        I1: bool}[ty](x.attr))
    if _RANK[ty] < _RANK[x.type]:
        raise TraceError("cannot convert a traced %s value to %s (at %s)" %
                         (x.type, ty, _user_location(3)))
    return Value("cast", ty, (x,))


def _unify(a, b, least=I1):
    a, b = const(a), const(b)
    ty = max(a.type, b.type, least, key=_RANK.get)
    return cast(a, ty), cast(b, ty), ty


def _arith(op, a, b):
    least = F32 if op == "div" else INDEX
    a, b, ty = _unify(a, b, least)
    if op in ("floordiv", "mod") and b.op == "const" and b.attr == 0:
        raise TraceError("%s by the constant 0 (at %s)" %
                         ("//" if op == "floordiv" else "%",
                          _user_location(3)))
    return Value(op, ty, (a, b))


def _cmp(pred, a, b):
    a, b, _ = _unify(a, b)
    return Value("cmp", I1, (a, b), pred)


def _logic(op, a, b):
    a, b, ty = _unify(a, b)
    if ty == F32:
        raise TraceError("&, |, ^ need boolean or integer operands, got f32 "
                         "(at %s)" % _user_location(3))
    return Value(op, ty, (a, b))


def _unary(op, a):
    a = const(a)
    if op in ("tanh", "exp", "log", "sqrt", "floor"):
        a = cast(a, F32)
    elif op in ("neg", "abs") and a.type == I1:
        a = cast(a, INDEX)
    elif op == "not" and a.type == F32:
        raise TraceError("~ needs a boolean or integer operand, got f32 (at "
                         "%s)" % _user_location(3))
    return Value(op, a.type, (a,))


def _math(op):
    def fn(x):
        if isinstance(x, Value):
            return _unary(op, x)
        return getattr(np, op)(x)
    fn.__name__ = op
    fn.__doc__ = ("``%s`` of a traced value (``math.%s`` in the region), "
                  "``numpy.%s`` otherwise." % (op, op, op))
    return fn


tanh, exp, log, sqrt, floor = (_math(n) for n in
                               ("tanh", "exp", "log", "sqrt", "floor"))


def abs(x):  # noqa: A001 - mirrors the builtin
    """Absolute value (``math.absf`` on f32, a select on indices)."""
    return _unary("abs", x) if isinstance(x, Value) else np.abs(x)


def minimum(a, b):
    """Elementwise minimum (NaN-propagating on f32, signed on indices)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return _arith("min", a, b)
    return np.minimum(a, b)


def maximum(a, b):
    """Elementwise maximum (NaN-propagating on f32, signed on indices)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return _arith("max", a, b)
    return np.maximum(a, b)


def where(cond, a, b):
    """``a`` where ``cond`` holds, ``b`` elsewhere (``arith.select``). Both
    sides are evaluated, as in numpy."""
    if not any(isinstance(x, Value) for x in (cond, a, b)):
        return np.where(cond, a, b)
    c = const(cond)
    if c.type != I1:
        raise TraceError("attn.where needs a boolean condition, got %s (at "
                         "%s)" % (c.type, _user_location(2)))
    a, b, ty = _unify(a, b)
    return Value("select", ty, (c, a, b))


_UFUNCS = {
    "add": lambda a, b: _arith("add", a, b),
    "subtract": lambda a, b: _arith("sub", a, b),
    "multiply": lambda a, b: _arith("mul", a, b),
    "divide": lambda a, b: _arith("div", a, b),
    "true_divide": lambda a, b: _arith("div", a, b),
    "floor_divide": lambda a, b: _arith("floordiv", a, b),
    "remainder": lambda a, b: _arith("mod", a, b),
    "negative": lambda a: _unary("neg", a),
    "absolute": lambda a: _unary("abs", a),
    "fabs": lambda a: _unary("abs", a),
    "minimum": lambda a, b: _arith("min", a, b),
    "maximum": lambda a, b: _arith("max", a, b),
    "tanh": lambda a: _unary("tanh", a),
    "exp": lambda a: _unary("exp", a),
    "log": lambda a: _unary("log", a),
    "sqrt": lambda a: _unary("sqrt", a),
    "floor": lambda a: _unary("floor", a),
    "less": lambda a, b: _cmp("lt", a, b),
    "less_equal": lambda a, b: _cmp("le", a, b),
    "greater": lambda a, b: _cmp("gt", a, b),
    "greater_equal": lambda a, b: _cmp("ge", a, b),
    "equal": lambda a, b: _cmp("eq", a, b),
    "not_equal": lambda a, b: _cmp("ne", a, b),
    "logical_and": lambda a, b: _logic("and", cast(a, I1), cast(b, I1)),
    "logical_or": lambda a, b: _logic("or", cast(a, I1), cast(b, I1)),
    "logical_not": lambda a: _unary("not", cast(a, I1)),
    "bitwise_and": lambda a, b: _logic("and", a, b),
    "bitwise_or": lambda a, b: _logic("or", a, b),
    "bitwise_xor": lambda a, b: _logic("xor", a, b),
    "invert": lambda a: _unary("not", a),
}


#===----------------------------------------------------------------------===#
# Captured arrays
#===----------------------------------------------------------------------===#

# numpy dtype -> (element type in the IR, storage dtype).
def capture_element(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "i1", np.dtype(np.bool_)
    if dtype == np.int32:
        return "i32", np.dtype(np.int32)
    if np.issubdtype(dtype, np.integer):
        return "i64", np.dtype(np.int64)
    if np.issubdtype(dtype, np.floating):
        return "f32", np.dtype(np.float32)
    raise TypeError("cannot capture an array of dtype %s (bool, integer and "
                    "floating arrays can be captured)" % dtype)


class Capture:
    """An array read by a modifier: a tensor defined above the op.

    ``array`` gives the values (kept by the kernel and passed on every
    call); ``shape``/``dtype`` alone declare a placeholder whose values are
    passed at call time. ``dynamic`` lists the dimensions compiled as ``?``
    (``True`` for all), so arrays of other sizes can be passed later.
    """

    def __init__(self, array=None, *, name=None, shape=None, dtype=None,
                 dynamic=()):
        if array is not None:
            array = np.asarray(array)
            elem, storage = capture_element(array.dtype)
            array = np.ascontiguousarray(array, storage)
            shape = array.shape
        else:
            if shape is None or dtype is None:
                raise TypeError("attn.capture needs an array, or shape and "
                                "dtype")
            elem, storage = capture_element(dtype)
        self.array = array
        self.shape = tuple(int(d) for d in shape)
        if not self.shape:
            raise TypeError("cannot capture a 0-d array; use a Python "
                            "scalar")
        self.elem, self.storage = elem, storage
        self.dynamic = (tuple(range(len(self.shape))) if dynamic is True
                        else tuple(sorted(dynamic)))
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def value_type(self):
        return {"f32": F32, "i1": I1}.get(self.elem, INDEX)

    def tensor_type(self):
        dims = ["?" if i in self.dynamic else str(d)
                for i, d in enumerate(self.shape)]
        return "tensor<%sx%s>" % ("x".join(dims), self.elem)

    def __getitem__(self, idx):
        if not isinstance(idx, tuple):
            idx = (idx,)
        if len(idx) != self.ndim:
            raise TraceError(
                "captured array '%s' of shape %s indexed with %d index(es) "
                "(at %s); give exactly one scalar index per dimension" %
                (self.name, self.shape, len(idx), _user_location(2)))
        vals = []
        for d, x in enumerate(idx):
            if isinstance(x, (slice, type(Ellipsis))) or x is None:
                raise TraceError("captured array '%s': slices, ... and None "
                                 "are not supported (at %s)" %
                                 (self.name, _user_location(2)))
            v = const(x)
            if v.type == F32:
                raise TraceError("captured array '%s' indexed with a float "
                                 "(at %s)" % (self.name, _user_location(2)))
            v = cast(v, INDEX)
            if v.op == "const" and v.attr < 0:
                if d in self.dynamic:
                    raise TraceError("negative constant index into dynamic "
                                     "dimension %d of '%s'" % (d, self.name))
                v = const(v.attr + self.shape[d])
            vals.append(v)
        return Value("extract", self.value_type, vals, self)

    def __repr__(self):
        return "attn.capture(%s %s)" % (self.name, self.tensor_type())


def capture(array=None, **kw):
    """Wraps an array for indexing inside a modifier; see :class:`Capture`.
    Needed only for arrays that are not free variables of the function
    (attributes, dict entries, ...) or to mark dimensions dynamic."""
    return Capture(array, **kw)


def _auto_captures(fn, registry):
    """A copy of `fn` whose free numpy arrays (globals, closure cells,
    defaults) are replaced by Captures registered in `registry`."""
    if not isinstance(fn, types.FunctionType):
        return fn

    def wrap(name, x):
        if isinstance(x, (np.ndarray, Capture)):
            return registry.wrap(x, name)
        return x

    names = set()

    def collect(code):
        names.update(code.co_names)
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                collect(c)

    collect(fn.__code__)
    g = fn.__globals__
    new_globals = g
    hits = {n: wrap(n, g[n]) for n in sorted(names)
            if n in g and isinstance(g[n], (np.ndarray, Capture))}
    if hits:
        new_globals = dict(g)
        new_globals.update(hits)
    closure = fn.__closure__
    if closure:
        cells = []
        for name, cell in zip(fn.__code__.co_freevars, closure):
            try:
                v = cell.cell_contents
            except ValueError:
                cells.append(cell)
                continue
            w = wrap(name, v)
            cells.append(cell if w is v else types.CellType(w))
        closure = tuple(cells)
    new = types.FunctionType(fn.__code__, new_globals, fn.__name__,
                             fn.__defaults__, closure)
    if fn.__defaults__:
        argnames = fn.__code__.co_varnames[:fn.__code__.co_argcount]
        offset = len(argnames) - len(fn.__defaults__)
        new.__defaults__ = tuple(wrap(argnames[offset + i], d)
                                 for i, d in enumerate(fn.__defaults__))
    if fn.__kwdefaults__:
        new.__kwdefaults__ = {k: wrap(k, v)
                              for k, v in fn.__kwdefaults__.items()}
    return new


class Captures:
    """The captures of a kernel: ``items`` in argument order (first use in
    the traced graphs), with unique names."""

    def __init__(self, reserved=()):
        self.items = []
        self.reserved = set(reserved)
        self._wrapped = {}

    def wrap(self, x, name):
        """The Capture standing for array (or Capture) `x`, a free variable
        called `name`; the same object for the same array."""
        if isinstance(x, np.ndarray) and x.ndim == 0:
            return x
        key = id(x)
        if key not in self._wrapped:
            cap = x if isinstance(x, Capture) else Capture(x)
            if cap.name is None:
                cap.name = name
            # Keep `x` alive so that its id stays unique.
            self._wrapped[key] = (cap, x)
        return self._wrapped[key][0]

    def add(self, cap):
        if any(c is cap for c in self.items):
            return cap
        base = "".join(ch if ch.isalnum() or ch == "_" else "_"
                       for ch in (cap.name or "cap"))
        taken = {c.name for c in self.items} | self.reserved
        new, n = base, 1
        while new in taken:
            new = "%s_%d" % (base, n)
            n += 1
        cap.name = new
        self.items.append(cap)
        return cap

    def collect(self, root):
        """Registers the captures a traced graph reads, in walk order."""
        for v in walk(root):
            if v.op == "extract":
                self.add(v.attr)


#===----------------------------------------------------------------------===#
# Tracing
#===----------------------------------------------------------------------===#

class Trace:
    """A traced modifier: the root Value and the captures it reads."""

    def __init__(self, kind, root, fn):
        self.kind, self.root, self.fn = kind, root, fn

    @property
    def captures(self):
        seen = []
        for v in walk(self.root):
            if v.op == "extract" and v.attr not in seen:
                seen.append(v.attr)
        return seen


def trace(fn, kind, registry=None):
    """Traces `fn` as a ``score_mod``, ``mask_mod``, ``q_mod`` or ``k_mod``
    (the kinds of :data:`MOD_ARGS`); returns a Trace."""
    if kind not in MOD_ARGS:
        raise ValueError(kind)
    if not callable(fn):
        raise TypeError("%s must be callable, got %r" % (kind, fn))
    registry = registry if registry is not None else Captures()
    argnames = MOD_ARGS[kind]
    args = [Value("arg", F32 if n in ("score", "x") else INDEX, attr=i)
            for i, n in enumerate(argnames)]
    label = "%s %s" % (kind, getattr(fn, "__qualname__", repr(fn)))
    f = _auto_captures(fn, registry)
    try:
        out = f(*args)
    except TraceError as e:
        raise TraceError("%s: %s" % (label, e)) from None
    except IndexError as e:
        if "valid indices" in str(e):
            raise TraceError(
                "%s: a numpy array was indexed with a traced index; arrays "
                "that are not free variables of the function (attributes, "
                "dict entries, ...) must be wrapped with attn.capture(array)"
                % label) from e
        raise
    except TypeError as e:
        if "positional argument" in str(e):
            raise TraceError("%s: a %s takes (%s): %s" %
                             (label, kind, ", ".join(argnames), e)) from None
        raise
    try:
        out = const(out)
    except TraceError:
        raise TraceError("%s returned %r, not a traced expression or a "
                         "scalar" % (label, out)) from None
    if kind != "mask_mod":
        out = cast(out, F32)
    elif out.type != I1:
        raise TraceError("%s must return a boolean expression (a "
                         "comparison, &, |, ~), got a value of type %s" %
                         (label, out.type))
    registry.collect(out)
    return Trace(kind, out, fn)


def walk(root):
    """The nodes of the graph, operands before users, each once."""
    seen, order, stack = set(), [], [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        stack.append((v, True))
        for a in reversed(v.args):
            if id(a) not in seen:
                stack.append((a, False))
    return order
