"""The Python API: build, compile and call ``attn.attention`` kernels.

    import numpy as np
    import attn

    slopes = -np.exp2(-8.0 * np.arange(1, 9) / 8)

    def alibi(score, b, h, q_idx, kv_idx):
        return score + slopes[h] * (kv_idx - q_idx)

    kernel = attn.attention(q=(1, 8, 128, 64), k=(1, 2, 128, 64),
                            masks=[attn.causal()], score_mod=alibi)
    out = kernel(q, k, v)             # numpy in, numpy out, no copies
    ref, _ = kernel.reference(q, k, v)  # float64 numpy model, same alibi

:func:`attention` prints the op (``kernel.mlir``), compiles it with
``attn-opt``'s CPU pipeline into a shared library (cached by content hash
in ``$ATTN_CACHE_DIR``, default ``~/.cache/attn``) and returns a
:class:`Kernel`. See docs/python.md.
"""

import ctypes

import numpy as np

from attn import ir, reference, runner
from attn import trace as tr

#===----------------------------------------------------------------------===#
# Structured mask terms
#===----------------------------------------------------------------------===#


def causal():
    """``#attn.causal``: keep ``kv_idx <= q'`` (bottom-right aligned)."""
    return ("causal",)


def sliding_window(left, right=0):
    """``#attn.sliding_window``: keep ``q' - left <= kv_idx <= q' + right``."""
    return ("sliding_window", int(left), int(right))


def dilated(d):
    """``#attn.dilated<d>``: keep ``(q' - kv_idx) mod d == 0``."""
    return ("dilated", int(d))


def chunked(c):
    """``#attn.chunked<c>``: keep ``q' // c == kv_idx // c``."""
    return ("chunked", int(c))


def neighborhood(grid, kernel, dilation=None, causal=None):
    """``#attn.neighborhood``: NATTEN neighbourhood attention on a
    row-major token grid (1-3 axes), per axis kernel size, dilation
    (default 1) and causality (default false)."""
    grid = tuple(int(g) for g in grid)
    dilation = tuple(int(d) for d in (dilation or (1,) * len(grid)))
    causal = tuple(bool(c) for c in (causal or (False,) * len(grid)))
    return ("neighborhood", grid, tuple(int(k) for k in kernel), dilation,
            causal)


def prefix_lm(p):
    """``#attn.prefix_lm<p>``: keep ``kv_idx < p or kv_idx <= q'``."""
    return ("prefix_lm", int(p))


#===----------------------------------------------------------------------===#
# Kernel construction
#===----------------------------------------------------------------------===#

# Element type of q/k/v/out -> numpy storage dtype (bf16 as raw uint16 bits).
STORAGE = {e: np.dtype(runner.STORAGE[e]) for e in
           ("f32", "f16", "bf16", "i1", "i32", "i64")}
_DTYPES = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16",
           "bf16": "bf16", "bfloat16": "bf16"}
_SIZES = ("B", "H", "Hkv", "Lq", "Lkv", "D", "Dv")


def _shape4(name, shape):
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError("%s shape must have 4 dimensions [B, heads, length, "
                         "head dim], got %r" % (name, shape))
    for d in shape:
        if d is not None and (not isinstance(d, (int, np.integer)) or d < 0):
            raise ValueError("%s shape entries must be sizes or None "
                             "(dynamic), got %r" % (name, shape))
    return shape


def _sizes(q, k, v):
    """Static sizes (None = dynamic) of the named dimensions; checks that
    the operands agree where they share a size."""
    uses = {"B": [("q", q[0]), ("k", k[0]), ("v", v[0])],
            "H": [("q", q[1])], "Hkv": [("k", k[1]), ("v", v[1])],
            "Lq": [("q", q[2])], "Lkv": [("k", k[2]), ("v", v[2])],
            "D": [("q", q[3]), ("k", k[3])], "Dv": [("v", v[3])]}
    sizes = {}
    for n, us in uses.items():
        static = {d for _, d in us if d is not None}
        if len(static) > 1:
            raise ValueError("operands disagree on %s: %s" % (
                n, ", ".join("%s has %s" % u for u in us)))
        # A size is dynamic when any operand leaves it open.
        sizes[n] = None if any(d is None for _, d in us) else static.pop()
    if sizes["H"] is not None and sizes["Hkv"]:
        if sizes["H"] % sizes["Hkv"]:
            raise ValueError("%d query heads are not a multiple of %d key/"
                             "value heads" % (sizes["H"], sizes["Hkv"]))
    return sizes


def attention(q, k=None, v=None, *, dtype="f32", scale=None, softcap=None,
              masks=(), score_mod=None, mask_mod=None, mask=None,
              mask_dtype="bool", q_lengths=False, kv_lengths=False,
              segment_ids=False, sinks=False, normalizer="softmax",
              sigmoid_bias=None, return_lse=False, paged=None,
              kv_blocks=None, kv_blocks_per_group=False,
              pipeline="attn-cpu-pipeline", name="attention", compile=True):
    """Builds an ``attn.attention`` kernel; see docs/python.md.

    ``q``, ``k``, ``v`` are shapes ``[B, heads, length, head dim]`` (``k``
    defaults to ``q``, ``v`` to ``k``); ``None`` entries are dynamic
    dimensions. ``dtype`` is the element type of q/k/v and the output
    (``"f32"``, ``"f16"`` or ``"bf16"``; bf16 arrays are raw ``uint16``
    bits). ``masks`` lists structured terms (:func:`causal`, ...).
    ``score_mod(score, b, h, q_idx, kv_idx)`` and ``mask_mod(b, h, q_idx,
    kv_idx)`` are Python functions traced into the op's regions.
    ``mask`` is the shape of a mask operand (rank 2-4, broadcast against
    ``[B, Hq, Lq, Lkv]``, ``None`` = the full dynamic size) of
    ``mask_dtype`` ``"bool"`` (keep) or ``"f32"`` (added to the scores).
    ``q_lengths``, ``kv_lengths``, ``segment_ids`` add those operands.
    ``sinks`` is ``True`` (a ``[Hq]`` float32 argument) or the sink logits
    themselves (kept by the kernel, overridable per call).
    ``paged=(layout, page_size, pages)`` (layout ``"nhd"`` or ``"hnd"``)
    makes k/v page pools read through a ``page_table [B, max_pages]`` int32
    argument; ``k``/``v`` still give the logical shapes, with ``Lkv =
    max_pages * page_size``.
    ``kv_blocks=(counts, indices, q_block_size, kv_block_size[,
    per_group])`` adds key-block lists (docs/semantics.md, "Key-block
    lists"): the ``kv_block_counts [Bc, Hc, Nq]`` and ``kv_block_indices
    [Bc, Hc, Nq, K]`` int32 arguments, ``Nq = ceil(Lq / q_block_size)``,
    ``Bc`` 1 or B, ``Hc`` 1 or Hq (or Hkv with ``per_group`` /
    ``kv_blocks_per_group=True``). `counts` and `indices` are their shapes
    (``None`` entries dynamic; ``Hc`` must be given) or the arrays
    themselves (kept by the kernel as defaults, overridable per call).
    ``compile=False`` only builds the IR (``kernel.mlir``).
    """
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of f32, f16, bf16, got %r" %
                         (dtype,))
    dtype = _DTYPES[dtype]
    q = _shape4("q", q)
    k = _shape4("k", q if k is None else k)
    v = _shape4("v", k if v is None else v)
    sizes = _sizes(q, k, v)
    dynamic = [n for n in _SIZES if sizes[n] is None]
    var = {n if n != "H" else "Hq": (sizes[n] if sizes[n] is not None
                                     else 1) for n in _SIZES}
    var.update(dtype=dtype, dynamic=dynamic, scale=scale, softcap=softcap,
               masks=[tuple(t) for t in masks], normalizer=normalizer,
               sigmoid_bias=sigmoid_bias, lse=bool(return_lse),
               q_lengths=bool(q_lengths), kv_lengths=bool(kv_lengths),
               segments=bool(segment_ids))
    for t in var["masks"]:
        if not t or t[0] not in ("causal", "sliding_window", "dilated",
                                 "chunked", "prefix_lm", "neighborhood"):
            raise ValueError("unknown mask term %r; use attn.causal(), "
                             "attn.sliding_window(l, r), attn.dilated(d), "
                             "attn.chunked(c), attn.prefix_lm(p) or "
                             "attn.neighborhood(grid, kernel)" % (t,))
    if mask is not None:
        mshape = tuple(mask)
        if not 2 <= len(mshape) <= 4:
            raise ValueError("mask shape must have rank 2 to 4, got %r" %
                             (mshape,))
        full = ("B", "H", "Lq", "Lkv")[4 - len(mshape):]
        # None means "the full size": that size when static, a dynamic
        # dimension (placeholder 2, never 1) otherwise.
        var["mask_shape"] = tuple(
            d if d is not None else (sizes[n] if sizes[n] is not None else 2)
            for d, n in zip(mshape, full))
        if mask_dtype not in ("bool", "f32"):
            raise ValueError("mask_dtype must be 'bool' or 'f32', got %r" %
                             (mask_dtype,))
        var["mask"] = "bool" if mask_dtype == "bool" else "add"
    if paged is not None:
        layout, P, pages = paged
        if layout not in ("nhd", "hnd"):
            raise ValueError("paged layout must be 'nhd' or 'hnd', got %r" %
                             (layout,))
        if not isinstance(P, (int, np.integer)) or P <= 0:
            raise ValueError("page size must be a positive int, got %r" %
                             (P,))
        if not isinstance(pages, (int, np.integer)) or pages < 0:
            raise ValueError("pages must be a non-negative int, got %r" %
                             (pages,))
        if sizes["Lkv"] is not None and sizes["Lkv"] % P:
            raise ValueError("paged: Lkv = %d is not a multiple of the page "
                             "size %d" % (sizes["Lkv"], P))
        if sizes["Lkv"] is None:
            var["Lkv"] = P
        var["paged"] = (layout, int(P), int(pages))
    defaults = {}
    if kv_blocks is not None:
        var["kv_blocks"], lists = _kv_blocks(kv_blocks, kv_blocks_per_group,
                                             sizes, var)
        defaults.update(lists)
    if sinks is not False and sinks is not None:
        var["sinks"] = True
        if sinks is not True:
            # Converted once, like captured arrays.
            defaults["sinks"] = np.ascontiguousarray(sinks, np.float32)
    # Capture names become keyword arguments: keep them off the operands'.
    registry = tr.Captures(reserved=set(ir.OPERANDS) | {"out", "lse"})
    if score_mod is not None:
        var["score_mod"] = tr.trace(score_mod, "score_mod", registry)
    if mask_mod is not None:
        var["mask_mod"] = tr.trace(mask_mod, "mask_mod", registry)
    var["captures"] = list(registry.items)
    kern = Kernel(name, var, pipeline, defaults)
    if compile:
        kern.compile()
    return kern


def _kv_blocks(spec, per_group, sizes, var):
    """The variant entry of ``kv_blocks=`` (see :func:`attention`) and the
    default arrays it carries; raises ValueError on a bad spec."""
    if not isinstance(spec, (tuple, list)) or len(spec) not in (4, 5):
        raise ValueError("kv_blocks must be (counts, indices, q_block_size, "
                         "kv_block_size[, per_group]), got %r" % (spec,))
    counts, indices, sq, skv = spec[:4]
    if len(spec) == 5:
        per_group = spec[4]
    if not isinstance(per_group, (bool, np.bool_)):
        raise ValueError("kv_blocks per_group must be a bool, got %r" %
                         (per_group,))
    for n, b in (("q_block_size", sq), ("kv_block_size", skv)):
        if (isinstance(b, (bool, np.bool_)) or
                not isinstance(b, (int, np.integer)) or b <= 0):
            raise ValueError("kv_blocks %s must be a positive int, got %r" %
                             (n, b))
    defaults, shapes = {}, []
    for n, x, rank in (("kv_block_counts", counts, 3),
                       ("kv_block_indices", indices, 4)):
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "iu":
                raise ValueError("kv_blocks %s must be an integer array, got "
                                 "%s" % (n, x.dtype))
            if x.size and (x.min() < np.iinfo(np.int32).min or
                           x.max() > np.iinfo(np.int32).max):
                raise ValueError("kv_blocks %s: values do not fit in int32"
                                 % n)
            defaults[n] = np.ascontiguousarray(x, np.int32)
            shape = x.shape
        else:
            try:
                shape = tuple(x)
            except TypeError:
                raise ValueError("kv_blocks %s must be a shape or an integer "
                                 "array, got %r" % (n, x)) from None
        if len(shape) != rank:
            raise ValueError("kv_blocks %s must have rank %d (%s), got shape "
                             "%r" % (n, rank, "[Bc, Hc, Nq]" if rank == 3
                                     else "[Bc, Hc, Nq, K]", shape))
        for d in shape:
            if d is not None and (isinstance(d, (bool, np.bool_)) or
                                  not isinstance(d, (int, np.integer)) or
                                  d < 0):
                raise ValueError("kv_blocks %s shape entries must be sizes or "
                                 "None (dynamic), got %r" % (n, shape))
        shapes.append(tuple(None if d is None else int(d) for d in shape))
    cs, ix = shapes
    for d, name in enumerate(("Bc", "Hc", "Nq")):
        if None not in (cs[d], ix[d]) and cs[d] != ix[d]:
            raise ValueError("kv_blocks counts %r and indices %r disagree on "
                             "%s" % (cs, ix, name))
    lead = [ix[d] if ix[d] is not None else cs[d] for d in range(3)]
    Bc, Hc, Nq = lead
    K = ix[3]
    B, Lq = sizes["B"], sizes["Lq"]
    heads = sizes["Hkv"] if per_group else sizes["H"]
    if Bc is not None and Bc != 1 and B is not None and Bc != B:
        raise ValueError("kv_blocks: the lists' batch dim must be 1 or B = "
                         "%d, got %d" % (B, Bc))
    if Hc is None:
        raise ValueError("kv_blocks: the lists' head dim must be static")
    if Hc != 1 and heads is not None and Hc != heads:
        raise ValueError("kv_blocks: the lists' head dim must be 1 or %s = "
                         "%d, got %d" % ("Hkv" if per_group else "Hq", heads,
                                         Hc))
    if Nq is not None and Lq is not None and Nq != -(-Lq // sq):
        raise ValueError("kv_blocks: expected ceil(Lq / q_block_size) = %d "
                         "query blocks, got %d" % (-(-Lq // sq), Nq))
    dynamic = []
    # A static 1 broadcasts: a per-batch list of a dynamic B is dynamic.
    if Bc is None or (B is None and Bc != 1):
        dynamic.append("Bc")
    if Nq is None or Lq is None:
        dynamic.append("Nq")
    if K is None:
        dynamic.append("K")
    entry = {"Bc": var["B"] if "Bc" in dynamic else Bc, "Hc": Hc,
             "K": 1 if K is None else K, "q_block_size": int(sq),
             "kv_block_size": int(skv), "per_group": bool(per_group),
             "dynamic": dynamic}
    return entry, defaults


#===----------------------------------------------------------------------===#
# Kernel
#===----------------------------------------------------------------------===#


class Kernel:
    """A compiled ``attn.attention``: call it on numpy arrays.

    Attributes: ``mlir`` (the module text), ``arguments`` (argument names
    in order: q, k, v, then the optional operands and the captured arrays),
    ``library`` (path of the shared library), ``cache_hit``.
    """

    def __init__(self, name, var, pipeline, defaults):
        self.name, self.var, self.pipeline = name, var, pipeline
        self._args = ir.arguments(var)
        self._results = ir.results(var)
        self.arguments = [a[0] for a in self._args]
        self.captures = {c.name: c for c in var.get("captures", ())}
        self.defaults = dict(defaults)
        for n, c in self.captures.items():
            if c.array is not None:
                self.defaults[n] = c.array
        self.score_mod, self.mask_mod = ir.traces(var)
        self.mlir = ir.function(name, var)
        self.library = None
        self.cache_hit = None
        self._fn = None

    def __repr__(self):
        return "<attn.Kernel %s(%s)%s>" % (
            self.name, ", ".join(self.arguments),
            "" if self._fn else " (not compiled)")

    def compile(self):
        """Compiles (or loads from the cache) the shared library."""
        self.library, self.cache_hit = runner.compile_cached(
            self.mlir, self.pipeline, self.name + ".mlir")
        lib = ctypes.CDLL(self.library)
        self._fn = getattr(lib, "_mlir_ciface_" + self.name)
        self._fn.argtypes = [ctypes.c_void_p] * (len(self._args) +
                                                 len(self._results))
        self._fn.restype = None
        return self

    # -- argument checking ------------------------------------------------

    def _bind(self, args, kwargs):
        if len(args) > len(self.arguments):
            raise TypeError("%s takes %d arguments (%s), got %d" % (
                self.name, len(self.arguments), ", ".join(self.arguments),
                len(args)))
        bound = dict(zip(self.arguments, args))
        for key, val in kwargs.items():
            if key not in self.arguments:
                raise TypeError("%s got an unexpected argument %r (its "
                                "arguments: %s)" % (self.name, key,
                                                    ", ".join(self.arguments)))
            if key in bound:
                raise TypeError("%s got argument %r twice" % (self.name, key))
            bound[key] = val
        for n in self.arguments:
            if n not in bound:
                if n not in self.defaults:
                    raise TypeError("%s is missing argument %r" %
                                    (self.name, n))
                bound[n] = self.defaults[n]
        return bound

    def _check(self, bound, strict=True):
        """Checks every argument against the compiled signature; returns
        the arrays in argument order and the runtime sizes. `strict`
        demands the exact storage dtype and C-contiguity (the call);
        otherwise any numeric array is accepted (the reference)."""
        arrays = []
        for name, shape, elem, dyn in self._args:
            x = bound[name]
            want = STORAGE[elem]
            if not isinstance(x, np.ndarray):
                x = np.asarray(x, dtype=want)
            if strict and x.dtype != want:
                raise TypeError(
                    "argument %r: the kernel was compiled for %s, which "
                    "takes %s arrays, got %s%s" % (
                        name, elem, want, x.dtype,
                        " (bf16 values are passed as their raw uint16 bits,"
                        " see attn.runner.to_bf16_bits)" if elem == "bf16"
                        else "; convert with .astype(np.%s)" % want.name))
            if not strict and x.dtype.kind not in "biuf":
                raise TypeError("argument %r: expected a numeric array, got "
                                "%s" % (name, x.dtype))
            if x.ndim != len(shape):
                raise ValueError("argument %r: expected %d dimensions %s, "
                                 "got shape %s" % (name, len(shape),
                                                   ir.tensor_type(shape, elem,
                                                                  dyn),
                                                   x.shape))
            for d, (n, m) in enumerate(zip(x.shape, shape)):
                if d not in dyn and n != m:
                    raise ValueError("argument %r: expected shape %s, got "
                                     "%s" % (name, ir.tensor_type(shape, elem,
                                                                  dyn),
                                             x.shape))
            if strict and not x.flags["C_CONTIGUOUS"]:
                raise ValueError("argument %r is not C-contiguous (strides "
                                 "%s); pass np.ascontiguousarray(%s)" %
                                 (name, x.strides, name))
            if strict and not x.flags["ALIGNED"]:
                raise ValueError("argument %r is not aligned" % name)
            arrays.append(x)
        a = dict(zip(self.arguments, arrays))
        kshape, vshape = a["k"].shape, a["v"].shape
        paged = self.var.get("paged")
        if paged:
            kshape, vshape = (self._logical(a, kshape),
                              self._logical(a, vshape))
        (B, Hq, Lq, D), (Bk, Hkv, Lkv, Dk) = a["q"].shape, kshape
        Bv, Hv, Lv, Dv = vshape

        def same(what, pairs):
            vals = {p[1] for p in pairs}
            if len(vals) > 1:
                raise ValueError("mismatched %s: %s" % (what, ", ".join(
                    "%s %d" % p for p in pairs)))

        same("batch sizes", [("q", B), ("k", Bk), ("v", Bv)])
        same("key/value heads", [("k", Hkv), ("v", Hv)])
        same("key/value lengths", [("k", Lkv), ("v", Lv)])
        same("query/key head dimensions", [("q", D), ("k", Dk)])
        if Hkv == 0 or Hq % Hkv:
            raise ValueError("%d query heads are not a positive multiple of "
                             "%d key/value heads" % (Hq, Hkv))
        if D == 0:
            raise ValueError("the query/key head dimension is 0")
        full = (B, Hq, Lq, Lkv)
        if "mask" in a:
            m = a["mask"]
            for d, n in enumerate(m.shape):
                f = full[4 - m.ndim + d]
                if n not in (1, f):
                    raise ValueError("argument 'mask' of shape %s does not "
                                     "broadcast to [B, Hq, Lq, Lkv] = %s" %
                                     (m.shape, list(full)))
        for n, want in (("q_lengths", (B,)), ("kv_lengths", (B,)),
                        ("q_segment_ids", (B, Lq)),
                        ("kv_segment_ids", (B, Lkv)), ("sinks", (Hq,))):
            if n in a and a[n].shape != want:
                raise ValueError("argument %r: expected shape %s, got %s" %
                                 (n, want, a[n].shape))
        # Lengths bound the key loops of the tiled code: keep them in range.
        for n, L in (("q_lengths", Lq), ("kv_lengths", Lkv)):
            if n in a and a[n].size and (a[n].min() < 0 or a[n].max() > L):
                raise ValueError("argument %r: values must lie in [0, %d], "
                                 "got %s" % (n, L, a[n]))
        if paged:
            self._check_pages(a, Lkv)
        if self.var.get("kv_blocks"):
            self._check_kv_blocks(a, B, Hq, Hkv, Lq, strict)
        caps = {c: a[n] for n, c in self.captures.items()}
        for t in (self.score_mod, self.mask_mod):
            if t is not None:
                tr.check_bounds(t, full, caps)
        return arrays, (B, Hq, Lq, Lkv, Dv)

    def _logical(self, a, pool_shape):
        """The [B, Hkv, Lkv, D] shape a page pool stands for."""
        layout, P, _ = self.var["paged"]
        B, M = a["page_table"].shape
        heads = pool_shape[2] if layout == "nhd" else pool_shape[1]
        return (B, heads, M * P, pool_shape[3])

    def _check_pages(self, a, Lkv):
        """Table entries of every page a sequence uses lie in the pool (the
        compiled code clamps, but a wrong page is a wrong answer)."""
        _, P, _ = self.var["paged"]
        table, pages = a["page_table"], a["k"].shape[0]
        B, M = table.shape
        used = np.full(B, M, np.int64)
        if "kv_lengths" in a:
            used = (a["kv_lengths"].astype(np.int64) + P - 1) // P
        for b in range(B):
            row = table[b, :used[b]]
            if row.size and (row.min() < 0 or row.max() >= pages):
                raise ValueError("argument 'page_table': row %d names pages "
                                 "outside [0, %d): %s" % (b, pages, row))

    def _check_kv_blocks(self, a, B, Hq, Hkv, Lq, strict):
        """The run-time sizes of the key-block lists: [Bc, Hc, Nq] and
        [Bc, Hc, Nq, K] with Bc 1 or B (B when compiled dynamic, the
        compiled code then reads the list of every batch), Hc 1 or the
        heads, Nq = ceil(Lq / q_block_size). Any entry value is valid (the
        lists are sets; counts are clamped to [0, K])."""
        kb = self.var["kv_blocks"]
        c, x = a["kv_block_counts"], a["kv_block_indices"]
        for n in ("kv_block_counts", "kv_block_indices"):
            if a[n].dtype.kind not in "iu":
                raise TypeError("argument %r: expected an integer array, got "
                                "%s" % (n, a[n].dtype))
        if c.shape != x.shape[:3]:
            raise ValueError("arguments 'kv_block_counts' %s and "
                             "'kv_block_indices' %s disagree on [Bc, Hc, Nq]"
                             % (c.shape, x.shape))
        Bc, Hc, Nq = c.shape
        if "Bc" in kb.get("dynamic", ()):
            if Bc != B:
                raise ValueError("argument 'kv_block_counts': the kernel was "
                                 "compiled with a dynamic list batch dim, "
                                 "which must be B = %d, got %d" % (B, Bc))
        elif Bc not in (1, B):
            raise ValueError("argument 'kv_block_counts': batch dim must be "
                             "1 or B = %d, got %d" % (B, Bc))
        heads = Hkv if kb.get("per_group") else Hq
        if Hc not in (1, heads):
            raise ValueError("argument 'kv_block_counts': head dim must be 1 "
                             "or %s = %d, got %d" % (
                                 "Hkv" if kb.get("per_group") else "Hq",
                                 heads, Hc))
        want = -(-Lq // kb["q_block_size"])
        if Nq != want:
            raise ValueError("argument 'kv_block_counts': expected ceil(Lq / "
                             "q_block_size) = ceil(%d / %d) = %d query "
                             "blocks, got %d" % (Lq, kb["q_block_size"], want,
                                                 Nq))
        if not strict:
            for n in ("kv_block_counts", "kv_block_indices"):
                v = a[n]
                if v.size and (v.min() < np.iinfo(np.int32).min or
                               v.max() > np.iinfo(np.int32).max):
                    raise ValueError("argument %r: values do not fit in int32"
                                     % n)

    def _outputs(self, sizes, out, lse):
        B, Hq, Lq, _, Dv = sizes
        res = []
        for (name, shape, elem, _), given in zip(self._results, (out, lse)):
            want_shape = (B, Hq, Lq, Dv) if name == "out" else (B, Hq, Lq)
            want = STORAGE[elem]
            if given is None:
                res.append(np.empty(want_shape, want))
                continue
            if (not isinstance(given, np.ndarray) or given.dtype != want or
                    given.shape != want_shape or
                    not given.flags["C_CONTIGUOUS"] or
                    not given.flags["WRITEABLE"] or
                    not given.flags["ALIGNED"]):
                raise ValueError(
                    "%s= must be a writeable C-contiguous %s array of shape "
                    "%s" % (name, want, want_shape))
            res.append(given)
        if lse is not None and len(self._results) == 1:
            raise TypeError("lse= given but the kernel has no log-sum-exp "
                            "result (return_lse=False)")
        return res

    def prepare(self, *args, out=None, lse=None, **kwargs):
        """Checks the arguments as a call would; returns (inputs, outputs,
        descriptors): the arrays handed to the kernel and the memref
        descriptors viewing them (their pointers are the arrays' data)."""
        arrays, sizes = self._check(self._bind(args, kwargs))
        outs = self._outputs(sizes, out, lse)
        descs = [runner.descriptor(x) for x in arrays + outs]
        return arrays, outs, descs

    # -- calls ------------------------------------------------------------

    def __call__(self, *args, out=None, lse=None, **kwargs):
        """Runs the kernel. Arguments by position (in ``arguments`` order)
        or by name; arrays must have the compiled dtypes and be
        C-contiguous (they are passed without copies). Returns ``out``, or
        ``(out, lse)`` with ``return_lse``; ``out=``/``lse=`` give the
        result arrays to write."""
        if self._fn is None:
            raise RuntimeError("kernel %s is not compiled" % self.name)
        arrays, outs, descs = self.prepare(*args, out=out, lse=lse, **kwargs)
        if all(n > 0 for n in outs[0].shape[:3]):
            self._fn(*[ctypes.addressof(d) for d in descs])
        return outs[0] if len(outs) == 1 else tuple(outs)

    def reference(self, *args, **kwargs):
        """The float64 numpy reference (attn.reference) on the same
        arguments, with the traced score_mod/mask_mod evaluated by numpy.
        Returns ``out``, or ``(out, lse)`` with ``return_lse``."""
        arrays, _ = self._check(self._bind(args, kwargs), strict=False)
        a = dict(zip(self.arguments, arrays))
        dtype = self.var["dtype"]

        def val(x):
            if dtype == "bf16" and x.dtype == np.uint16:
                return runner.from_bf16_bits(x).astype(np.float64)
            return x.astype(np.float64)

        var = self.var
        kw = dict(scale=var.get("scale"), softcap=var.get("softcap"),
                  masks=var.get("masks", ()), normalizer=var["normalizer"],
                  sigmoid_bias=var.get("sigmoid_bias") or 0.0)
        for n in ("q_lengths", "kv_lengths", "q_segment_ids",
                  "kv_segment_ids", "sinks"):
            if n in a:
                kw[n] = a[n]
        if "mask" in a:
            kw["mask"] = (a["mask"].astype(bool) if var["mask"] == "bool"
                          else a["mask"].astype(np.float64))
        caps = {c: a[n] for n, c in self.captures.items()}
        if self.score_mod is not None:
            kw["score_mod"] = tr.numpy_function(self.score_mod, caps)
        if self.mask_mod is not None:
            kw["mask_mod"] = tr.numpy_function(self.mask_mod, caps)
        k, v = val(a["k"]), val(a["v"])
        if var.get("paged"):
            k = reference.gather_pages(k, a["page_table"], var["paged"][0])
            v = reference.gather_pages(v, a["page_table"], var["paged"][0])
        if var.get("kv_blocks"):
            kb = var["kv_blocks"]
            kw["kv_blocks"] = (a["kv_block_counts"], a["kv_block_indices"],
                               kb["q_block_size"], kb["kv_block_size"],
                               kb["per_group"])
        o, lse = reference.attention(val(a["q"]), k, v, **kw)
        return (o, lse) if var.get("lse") else o
