"""Tracing of ``score_mod`` / ``mask_mod`` Python functions.

A modifier is an ordinary Python function::

    def alibi(score, b, h, q_idx, kv_idx):
        return score + slopes[h] * (kv_idx - q_idx)

:func:`trace` calls it once with symbolic :class:`Value` arguments whose
operators record an expression graph (a DAG of :class:`Value` nodes). The
same graph is then

* printed as the body of the op's region (:class:`RegionEmitter`),
* evaluated with numpy on broadcast index grids (:func:`evaluate`), which is
  how the numpy reference runs the very same function, and
* bounded by interval arithmetic (:func:`check_bounds`), so that a captured
  array is never read out of bounds and an integer division never divides
  by zero in the compiled code.

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
"""

import math
import sys
import types

import numpy as np

F32, INDEX, I1 = "f32", "index", "i1"
_RANK = {I1: 0, INDEX: 1, F32: 2}

SCORE_MOD_ARGS = ("score", "b", "h", "q_idx", "kv_idx")
MASK_MOD_ARGS = ("b", "h", "q_idx", "kv_idx")


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
    """Traces `fn` as a ``score_mod`` or ``mask_mod``; returns a Trace."""
    if kind not in ("score_mod", "mask_mod"):
        raise ValueError(kind)
    if not callable(fn):
        raise TypeError("%s must be callable, got %r" % (kind, fn))
    registry = registry if registry is not None else Captures()
    argnames = SCORE_MOD_ARGS if kind == "score_mod" else MASK_MOD_ARGS
    args = [Value("arg", F32 if n == "score" else INDEX, attr=i)
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
    if kind == "score_mod":
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


#===----------------------------------------------------------------------===#
# IR emission
#===----------------------------------------------------------------------===#

def f32_literal(x):
    x = float(np.float32(x))
    if math.isfinite(x):
        return "%.9e" % x
    return "0x%08X" % int(np.array(x, np.float32).view(np.uint32))


_CMPF = {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq",
         "ne": "une"}
_CMPI = {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq",
         "ne": "ne"}
_FBIN = {"add": "arith.addf", "sub": "arith.subf", "mul": "arith.mulf",
         "div": "arith.divf", "min": "arith.minimumf",
         "max": "arith.maximumf"}
_IBIN = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli",
         "min": "arith.minsi", "max": "arith.maxsi", "and": "arith.andi",
         "or": "arith.ori", "xor": "arith.xori",
         "floordiv": "arith.floordivsi"}


class RegionEmitter:
    """Prints a Trace as a region body; a capture `x` is the value
    ``%cap_x`` defined above the op (see attn.ir.ssa_name)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.lines = []
        self.names = {}
        self.consts = {}
        self.counter = 0

    def fresh(self):
        self.counter += 1
        return "%%%s%d" % (self.prefix, self.counter)

    def op(self, text):
        name = self.fresh()
        self.lines.append("%s = %s" % (name, text))
        return name

    def constant(self, value, ty):
        key = (ty, repr(value))
        if key not in self.consts:
            if ty == F32:
                lit = f32_literal(value)
            elif ty == I1:
                # The i1 literal carries its type.
                self.consts[key] = self.op("arith.constant %s" % (
                    "true" if value else "false"))
                return self.consts[key]
            else:
                lit = str(int(value))
            self.consts[key] = self.op("arith.constant %s : %s" % (lit, ty))
        return self.consts[key]

    def to_f32(self, name, ty):
        if ty == I1:
            return self.op("arith.uitofp %s : i1 to f32" % name)
        i = self.op("arith.index_cast %s : index to i64" % name)
        return self.op("arith.sitofp %s : i64 to f32" % i)

    def emit(self, v):
        if id(v) in self.names:
            return self.names[id(v)]
        a = [self.emit(x) for x in v.args]
        t = v.type
        if v.op == "arg":
            r = self.arg_names[v.attr]
        elif v.op == "const":
            r = self.constant(v.attr, t)
        elif v.op == "cast":
            src = v.args[0].type
            if t == F32:
                r = self.to_f32(a[0], src)
            else:  # i1 -> index
                r = self.op("arith.index_castui %s : i1 to index" % a[0])
        elif v.op == "extract":
            cap = v.attr
            r = self.op("tensor.extract %s[%s] : %s" % (
                "%cap_" + cap.name,
                ", ".join(a), cap.tensor_type()))
            if cap.elem in ("i32", "i64"):
                r = self.op("arith.index_cast %s : %s to index" %
                            (r, cap.elem))
        elif v.op == "select":
            r = self.op("arith.select %s, %s, %s : %s" % (a[0], a[1], a[2],
                                                          t))
        elif v.op == "cmp":
            ty = v.args[0].type
            if ty == F32:
                r = self.op("arith.cmpf %s, %s, %s : f32" %
                            (_CMPF[v.attr], a[0], a[1]))
            else:
                r = self.op("arith.cmpi %s, %s, %s : %s" %
                            (_CMPI[v.attr], a[0], a[1], ty))
        elif t == F32:
            r = self.emit_float(v.op, a)
        else:
            r = self.emit_int(v.op, a, t)
        self.names[id(v)] = r
        return r

    def emit_float(self, op, a):
        if op in _FBIN:
            return self.op("%s %s, %s : f32" % (_FBIN[op], a[0], a[1]))
        if op == "neg":
            return self.op("arith.negf %s : f32" % a[0])
        if op == "abs":
            return self.op("math.absf %s : f32" % a[0])
        if op in ("tanh", "exp", "log", "sqrt", "floor"):
            return self.op("math.%s %s : f32" % (op, a[0]))
        if op in ("floordiv", "mod"):
            q = self.op("arith.divf %s, %s : f32" % (a[0], a[1]))
            fq = self.op("math.floor %s : f32" % q)
            if op == "floordiv":
                return fq
            m = self.op("arith.mulf %s, %s : f32" % (fq, a[1]))
            return self.op("arith.subf %s, %s : f32" % (a[0], m))
        raise AssertionError(op)

    def emit_int(self, op, a, t):
        if op in _IBIN:
            return self.op("%s %s, %s : %s" % (_IBIN[op], a[0], a[1], t))
        if op == "mod":
            q = self.op("arith.floordivsi %s, %s : %s" % (a[0], a[1], t))
            m = self.op("arith.muli %s, %s : %s" % (q, a[1], t))
            return self.op("arith.subi %s, %s : %s" % (a[0], m, t))
        if op == "neg":
            return self.op("arith.subi %s, %s : %s" %
                           (self.constant(0, t), a[0], t))
        if op == "abs":
            n = self.op("arith.subi %s, %s : %s" %
                        (self.constant(0, t), a[0], t))
            c = self.op("arith.cmpi slt, %s, %s : %s" %
                        (a[0], self.constant(0, t), t))
            return self.op("arith.select %s, %s, %s : %s" % (c, n, a[0], t))
        if op == "not":
            ones = self.constant(True if t == I1 else -1, t)
            return self.op("arith.xori %s, %s : %s" % (a[0], ones, t))
        raise AssertionError(op)

    def region(self, tr, indent="      "):
        """The full region text ``{ ^bb0(...): ... attn.yield }``."""
        argnames = (SCORE_MOD_ARGS if tr.kind == "score_mod"
                    else MASK_MOD_ARGS)
        short = {"score": "s", "b": "b", "h": "h", "q_idx": "i",
                 "kv_idx": "j"}
        self.arg_names = ["%%%s%s" % (self.prefix, short[n])
                          for n in argnames]
        sig = ", ".join("%s: %s" % (n, "f32" if a == "score" else "index")
                        for n, a in zip(self.arg_names, argnames))
        res = self.emit(tr.root)
        yty = "f32" if tr.kind == "score_mod" else "i1"
        body = "".join("\n%s  %s" % (indent, line) for line in self.lines)
        return ("{\n%s^bb0(%s):%s\n%s  attn.yield %s : %s\n%s}" %
                (indent, sig, body, indent, res, yty, indent))


def region_text(tr, prefix, indent="      "):
    return RegionEmitter(prefix).region(tr, indent)


#===----------------------------------------------------------------------===#
# numpy evaluation
#===----------------------------------------------------------------------===#

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


#===----------------------------------------------------------------------===#
# Bounds
#===----------------------------------------------------------------------===#

_INF = float("inf")


def _floordiv_bounds(a, b):
    qs = [x // y for x in a for y in b if math.isfinite(x) and
          math.isfinite(y)]
    if any(not math.isfinite(x) for x in a + b):
        return (-_INF, _INF)
    return (min(qs), max(qs))


def check_bounds(tr, extents, arrays):
    """Proves by interval arithmetic that every captured read is in bounds
    and no integer division divides by zero, for block arguments
    ``b < B, h < Hq, q_idx < Lq, kv_idx < Lkv`` (`extents`) and the given
    capture values (`arrays`: Capture -> array). Raises ValueError naming
    the read otherwise."""
    if any(e <= 0 for e in extents):
        return  # the region is never evaluated
    base = 1 if tr.kind == "score_mod" else 0
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
