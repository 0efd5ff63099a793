"""Textual IR generation for ``attn.attention`` variants.

A variant is a plain dict (keys below; the Python API builds one,
:func:`attn.testing.variants.random_variant` draws random ones);
:func:`function` turns it into a ``func.func`` whose arguments are the
op's operands (and any captured tensors) and whose results are the op's
results. :func:`attention_op` is the only printer of the op itself:
everything that writes ``attn.attention`` text (the API, the test case
builders, the benchmarks) calls it.

``score_mod``/``mask_mod`` of a variant are either the name of one of the
built-in modifiers below (random variants) or a :class:`attn.trace.Trace`
(the Python API); both are printed by the tracer, so the regions of the
random variants exercise the same code path as user functions.

Variant keys: ``B Hq Hkv Lq Lkv D Dv`` sizes, ``dtype``, ``dynamic`` (the
size names compiled as ``?``: ``B H Hkv Lq Lkv D Dv``), ``scale``,
``softcap``, ``masks`` (structured terms as tuples, e.g. ``("causal",)``),
``mask`` (``"bool"``/``"add"``) with ``mask_shape``, ``q_lengths``,
``kv_lengths``, ``segments``, ``sinks``, ``lse``, ``normalizer``,
``sigmoid_bias``, ``score_mod``, ``mask_mod``, ``captures`` (extra
:class:`attn.trace.Capture` arguments of traced modifiers), ``paged``
(``(layout, page_size, pages)``) and ``kv_blocks``, the key-block lists: a
dict with ``Bc`` and ``Hc`` (1 or B, 1 or Hq / Hkv), ``K`` (entries per
list), ``q_block_size``, ``kv_block_size``, ``per_group`` (``Hc`` counts
GQA groups: ``kv_blocks_per_group``) and ``dynamic`` (of ``"Bc"``,
``"Nq"``, ``"K"``: list dims compiled as ``?``); the lists are the
``kv_block_counts [Bc, Hc, Nq]`` and ``kv_block_indices [Bc, Hc, Nq, K]``
int32 arguments with ``Nq = ceil(Lq / q_block_size)``.
"""

import numpy as np

from attn import trace as tr

_ELEM = {"f32": "f32", "f16": "f16", "bf16": "bf16"}

# Operands of the op, in the function's argument order; any other argument
# is a captured tensor.
OPERANDS = ("q", "k", "v", "mask", "q_lengths", "kv_lengths",
            "q_segment_ids", "kv_segment_ids", "sinks", "page_table",
            "kv_block_counts", "kv_block_indices")


def cdiv(a, b):
    return -(-a // b)


def kv_block_list_shapes(var):
    """((counts shape, dynamic dims), (indices shape, dynamic dims)) of a
    variant with key-block lists."""
    kb = var["kv_blocks"]
    nq = cdiv(var["Lq"], kb["q_block_size"])
    dyn = set(kb.get("dynamic", ()))
    shape = (kb["Bc"], kb["Hc"], nq, kb["K"])
    dims = tuple(i for i, n in enumerate(("Bc", "", "Nq", "K")) if n in dyn)
    return ((shape[:3], tuple(d for d in dims if d < 3)), (shape, dims))


def tensor_type(shape, elem, dynamic=()):
    dims = ["?" if i in dynamic else str(d) for i, d in enumerate(shape)]
    return "tensor<" + "x".join(dims + [elem]) + ">"


def mask_term_ir(term):
    """The attribute of a structured mask term tuple."""
    kind = term[0]
    if kind == "causal":
        return "#attn.causal"
    if kind == "sliding_window":
        return "#attn.sliding_window<left = %d, right = %d>" % term[1:]
    if kind == "neighborhood":
        _, grid, kernel, dilation, causal = term
        ints = lambda xs: ", ".join(str(int(x)) for x in xs)  # noqa: E731
        return ("#attn.neighborhood<grid = [%s], kernel = [%s], "
                "dilation = [%s], causal = [%s]>" %
                (ints(grid), ints(kernel), ints(dilation),
                 ", ".join("true" if c else "false" for c in causal)))
    return "#attn.%s<%d>" % (kind, term[1])


# The built-in modifiers of random variants, as traceable Python functions
# of a captured tensor `cap`.
def _score_mod_fn(kind, cap):
    if kind == "alibi":
        return lambda s, b, h, i, j: s + cap[h] * (j - i)
    if kind == "table":
        return lambda s, b, h, i, j: 0.5 * s + cap[h, i, j]
    raise ValueError(kind)


def _natten2d(i, j, width=5, height=4, kernel=3):
    """NATTEN 2-D neighbourhood on a height x width grid (windows shifted
    inward at the borders), written as index arithmetic."""
    def axis(qc, kc, n):
        start = tr.minimum(tr.maximum(qc - kernel // 2, 0), n - kernel)
        return (kc >= start) & (kc < start + kernel)
    return (axis(i // width, j // width, height) &
            axis(i % width, j % width, width))


# Masks the structured terms also express, written as regions (the mask
# analysis must find the same key bounds), and a 2-D neighbourhood.
MASK_MOD_KINDS = ("mod3", "kv_ge_b", "causal", "window", "chunked", "prefix",
                  "dilated", "natten2d")


def _mask_mod_fn(kind):
    if kind == "mod3":
        return lambda b, h, i, j: (i + j + h) % 3 != 0
    if kind == "kv_ge_b":
        return lambda b, h, i, j: j >= b
    if kind == "causal":
        return lambda b, h, i, j: j <= i
    if kind == "window":
        return lambda b, h, i, j: (i - j <= 3) & (j - i <= 1)
    if kind == "chunked":
        return lambda b, h, i, j: i // 4 == j // 4
    if kind == "prefix":
        return lambda b, h, i, j: (j < 3) | (j <= i)
    if kind == "dilated":
        return lambda b, h, i, j: ((i - j) % 2 == 0) & (j <= i + h)
    if kind == "natten2d":
        return lambda b, h, i, j: _natten2d(i, j)
    raise ValueError(kind)


def _builtin_capture(var):
    """The placeholder of the tensor a built-in score_mod reads."""
    dyn = set(var.get("dynamic", ()))
    Hq, Lq, Lkv = var["Hq"], var["Lq"], var["Lkv"]
    if var.get("score_mod") == "alibi":
        shape, names = (Hq,), ("H",)
    else:
        shape, names = (Hq, Lq, Lkv), ("H", "Lq", "Lkv")
    return tr.Capture(name="cap", shape=shape, dtype=np.float32,
                      dynamic=[i for i, n in enumerate(names) if n in dyn])


def traces(var):
    """(score_mod Trace or None, mask_mod Trace or None) of a variant."""
    sm, mm = var.get("score_mod"), var.get("mask_mod")
    if isinstance(sm, str):
        sm = tr.trace(_score_mod_fn(sm, _builtin_capture(var)), "score_mod")
    if isinstance(mm, str):
        mm = tr.trace(_mask_mod_fn(mm), "mask_mod")
    return sm or None, mm or None


def score_mod_numpy(kind, cap):
    """numpy version of a built-in score_mod: the trace evaluated on `cap`."""
    t = tr.trace(_score_mod_fn(kind, tr.Capture(
        name="cap", shape=np.shape(cap), dtype=np.float32)), "score_mod")
    (c,) = t.captures
    return tr.numpy_function(t, {c: cap})


def mask_mod_numpy(kind):
    return tr.numpy_function(tr.trace(_mask_mod_fn(kind), "mask_mod"), {})


def arguments(var):
    """Ordered list of (name, shape, elem, dynamic dims) of the function."""
    B, Hq, Hkv = var["B"], var["Hq"], var["Hkv"]
    Lq, Lkv, D, Dv = var["Lq"], var["Lkv"], var["D"], var["Dv"]
    dyn = set(var.get("dynamic", ()))
    e = _ELEM[var["dtype"]]

    def dd(*names):
        return tuple(i for i, n in enumerate(names) if n in dyn)

    args = [
        ("q", (B, Hq, Lq, D), e, dd("B", "H", "Lq", "D")),
        ("k", (B, Hkv, Lkv, D), e, dd("B", "Hkv", "Lkv", "D")),
        ("v", (B, Hkv, Lkv, Dv), e, dd("B", "Hkv", "Lkv", "Dv")),
    ]
    paged = var.get("paged")
    if paged:
        # Page pools [pages, P, Hkv, D] (nhd) or [pages, Hkv, P, D] (hnd);
        # the page count is static, the logical Lkv is max_pages * P.
        layout, P, pages = paged
        for i, (n, Dn) in enumerate((("k", D), ("v", Dv))):
            if layout == "nhd":
                shape, dims = (pages, P, Hkv, Dn), dd("", "", "Hkv", "D"
                                                      if n == "k" else "Dv")
            else:
                shape, dims = (pages, Hkv, P, Dn), dd("", "Hkv", "", "D"
                                                      if n == "k" else "Dv")
            args[1 + i] = (n, shape, e, dims)
    if var.get("mask"):
        shape = var["mask_shape"]
        full = ["B", "H", "Lq", "Lkv"][4 - len(shape):]
        dims = tuple(i for i, n in enumerate(full)
                     if n in dyn and shape[i] != 1)
        args.append(("mask", shape, "i1" if var["mask"] == "bool" else "f32",
                     dims))
    if var.get("q_lengths"):
        args.append(("q_lengths", (B,), "i32", dd("B")))
    if var.get("kv_lengths"):
        args.append(("kv_lengths", (B,), "i32", dd("B")))
    if var.get("segments"):
        args.append(("q_segment_ids", (B, Lq), "i32", dd("B", "Lq")))
        args.append(("kv_segment_ids", (B, Lkv), "i32", dd("B", "Lkv")))
    if var.get("sinks"):
        args.append(("sinks", (Hq,), "f32", dd("H")))
    if paged:
        args.append(("page_table", (B, Lkv // paged[1]), "i32",
                     dd("B", "Lkv")))
    if var.get("kv_blocks"):
        (cs, cd), (is_, id_) = kv_block_list_shapes(var)
        args.append(("kv_block_counts", cs, "i32", cd))
        args.append(("kv_block_indices", is_, "i32", id_))
    if isinstance(var.get("score_mod"), str):
        c = _builtin_capture(var)
        args.append((c.name, c.shape, c.elem, c.dynamic))
    for c in var.get("captures", ()):
        args.append((c.name, c.shape, c.elem, c.dynamic))
    return args


def results(var):
    B, Hq, Lq, Dv = var["B"], var["Hq"], var["Lq"], var["Dv"]
    dyn = set(var.get("dynamic", ()))
    dims = tuple(i for i, n in enumerate(["B", "H", "Lq", "Dv"]) if n in dyn)
    res = [("out", (B, Hq, Lq, Dv), _ELEM[var["dtype"]], dims)]
    if var.get("lse"):
        res.append(("lse", (B, Hq, Lq), "f32",
                    tuple(d for d in dims if d < 3)))
    return res


def ssa_name(arg_name):
    """The SSA name of a function argument: captures get a `cap_` prefix so
    that they never clash with the operands."""
    return "%" + (arg_name if arg_name in OPERANDS else "cap_" + arg_name)


def _shape(t):
    """The dims of a ``tensor<AxBx...xT>`` type text (``"?"`` when dynamic)."""
    return t[len("tensor<"):-1].split("x")[:-1]


def _destinations(results, result_types, q, v, indent):
    """The `tensor.empty` destinations of the results (dynamic sizes read
    from Q for B, Hq, Lq and from V for Dv) and their names."""
    base = results[0].lstrip("%")
    lines, names, consts = [], [], {}
    for r, t in enumerate(result_types):
        dyn = []
        for d, size in enumerate(_shape(t)):
            if size != "?":
                continue
            src = v if d == 3 else q
            if d not in consts:
                consts[d] = "%%%s_c%d" % (base, d)
                lines.append("%s = arith.constant %d : index" % (consts[d], d))
            name = "%%%s_d%d_%d" % (base, r, d)
            lines.append("%s = tensor.dim %s, %s : %s" % (name, src[0],
                                                        consts[d], src[1]))
            dyn.append(name)
        names.append("%%%s_init%d" % (base, r))
        lines.append("%s = tensor.empty(%s) : %s" % (names[-1], ", ".join(dyn),
                                                     t))
    return ("\n" + indent).join(lines) + "\n" + indent, names


def attention_op(results, result_types, q, k, v, *, mask=None,
                 q_lengths=None, kv_lengths=None, segment_ids=None,
                 sinks=None, page_table=None, kv_blocks=None, attrs=(),
                 score_mod=None,
                 mask_mod=None,
                 sep=" ", indent="  "):
    """The text of one ``attn.attention`` op; the only printer of the op.

    `results` are the SSA names of the results (``"%o"`` or ``"%o",
    "%lse"``), `result_types` their types. `q`, `k`, `v` and the optional
    operands `mask`, `q_lengths`, `kv_lengths`, `sinks` are ``(ssa_name,
    type)`` pairs; `segment_ids` is a pair of them (query ids, key ids).
    `kv_blocks` is the pair (counts, indices) of ``(ssa_name, type)``
    pairs of the key-block lists (their `q_block_size`, `kv_block_size`
    and `kv_blocks_per_group` go in `attrs`).
    `attrs` are the entries of the attribute dictionary (``"scale =
    0.5"``; empty entries are skipped), `score_mod` / `mask_mod` the region
    texts ``{ ^bb0(...): ... }``. `sep` separates the operand clauses and
    the result types (``" "``, or a newline and an indentation). The op is
    in destination-passing style: its `outs` are `tensor.empty` tensors
    built on the lines before it, each followed by a newline and `indent`
    (the indentation of the op's line). No trailing newline, no indentation
    before the first line.
    """
    def clause(keyword, *operands):
        return "%s(%s : %s)" % (keyword, ", ".join(o[0] for o in operands),
                                ", ".join(o[1] for o in operands))

    clauses = [clause("ins", q, k, v)]
    if mask is not None:
        clauses.append(clause("mask", mask))
    if q_lengths is not None:
        clauses.append(clause("q_lengths", q_lengths))
    if kv_lengths is not None:
        clauses.append(clause("kv_lengths", kv_lengths))
    if segment_ids is not None:
        clauses.append(clause("segment_ids", *segment_ids))
    if sinks is not None:
        clauses.append(clause("sinks", sinks))
    if page_table is not None:
        clauses.append(clause("page_table", page_table))
    if kv_blocks is not None:
        clauses.append(clause("kv_blocks", *kv_blocks))
    inits_text, inits = _destinations(results, result_types, q, v, indent)
    clauses.append("outs(%s : %s)" % (", ".join(inits),
                                      ", ".join(result_types)))
    attrs = [a for a in attrs if a]
    attr = (" {" + ", ".join(attrs) + "}") if attrs else ""
    regions = ""
    if score_mod is not None:
        regions += " score_mod " + score_mod
    if mask_mod is not None:
        regions += " mask_mod " + mask_mod
    return "%s%s = attn.attention %s%s%s-> %s%s" % (
        inits_text, ", ".join(results), sep.join(clauses), attr, sep,
        ", ".join(result_types), regions)


def attention_function(name, params, names, result_types, op):
    """A `func.func @name(params) -> (result_types)` whose body is the
    attention text `op` (from attention_op) returning `names`."""
    return """
func.func @{name}({params}) -> ({res}) {{
  {op}
  return {names} : {res}
}}""".format(name=name, params=params, res=", ".join(result_types), op=op,
             names=", ".join(names))


def function(name, var):
    """The ``func.func @name`` of a variant: its arguments (operands, then
    captures), one ``attn.attention`` and the return of its results."""
    args = arguments(var)
    res = results(var)
    ty = {a[0]: tensor_type(a[1], a[2], a[3]) for a in args}
    rty = [tensor_type(r[1], r[2], r[3]) for r in res]
    sig = ", ".join("%s: %s" % (ssa_name(a[0]), ty[a[0]]) for a in args)

    def operand(n):
        return (ssa_name(n), ty[n]) if n in ty else None

    segments = None
    if "q_segment_ids" in ty:
        segments = (operand("q_segment_ids"), operand("kv_segment_ids"))
    attrs = []
    if var.get("scale") is not None:
        attrs.append("scale = %r" % float(var["scale"]))
    if var.get("softcap") is not None:
        attrs.append("softcap = %r" % float(var["softcap"]))
    if var.get("masks"):
        attrs.append("masks = [%s]" % ", ".join(
            mask_term_ir(t) for t in var["masks"]))
    if var.get("normalizer", "softmax") != "softmax":
        attrs.append("normalizer = #attn.normalizer<%s>" % var["normalizer"])
    if var.get("sigmoid_bias") is not None:
        attrs.append("sigmoid_bias = %r" % float(var["sigmoid_bias"]))
    if var.get("paged"):
        attrs.append("kv_layout = #attn.kv_layout<paged_%s>" %
                     var["paged"][0])
    kv_blocks = None
    if var.get("kv_blocks"):
        kb = var["kv_blocks"]
        attrs.append("q_block_size = %d : i64" % kb["q_block_size"])
        attrs.append("kv_block_size = %d : i64" % kb["kv_block_size"])
        if kb.get("per_group"):
            attrs.append("kv_blocks_per_group")
        kv_blocks = (operand("kv_block_counts"), operand("kv_block_indices"))
    sm, mm = traces(var)
    names = ["%%r%d" % i for i in range(len(res))]
    op = attention_op(
        names, rty, operand("q"), operand("k"), operand("v"),
        mask=operand("mask"), q_lengths=operand("q_lengths"),
        kv_lengths=operand("kv_lengths"), segment_ids=segments,
        sinks=operand("sinks"), page_table=operand("page_table"),
        kv_blocks=kv_blocks, attrs=attrs,
        score_mod=None if sm is None else tr.region_text(sm, "sm_"),
        mask_mod=None if mm is None else tr.region_text(mm, "mm_"),
        sep="\n      ")
    return """func.func @{name}({sig}) -> ({rt}) {{
  {op}
  return {names} : {rt}
}}
""".format(name=name, sig=sig, rt=", ".join(rty), op=op,
           names=", ".join(names))
