"""Textual IR of ``attn.block_scores`` and ``attn.select_blocks`` variants.

A scores variant is a dict: sizes ``B Hq Hkv Lq Lk D``, ``dtype``,
``block_size``, ``query_block``, ``pooling``, ``reduce``, ``causal``,
``normalize``, ``lse`` (an lse operand), ``scale``, ``heads`` ("q": one row
per query head, "kv": reduced over a GQA group) and ``dynamic`` (the size
names compiled as ``?``). A selection variant: sizes ``B H Nq Nk``,
``dtype``, ``k``, ``block_size``, ``query_block``, ``causal``,
``forced_first``, ``local``, ``split``, ``threshold`` (None or the
``log lambda`` of threshold selection), ``k_dynamic`` (a 0-d i32 operand),
``lengths`` (a ``[2]`` i64 operand ``(Lq, Lkv)``) and ``dynamic``.
:func:`scores_function` and :func:`select_function` print a ``func.func``
whose arguments are the op's operands (``*_arguments``) and whose results
are its results (``*_results``); the Python API
(:mod:`attn.block_sparse_api`) and the random check
(:mod:`attn.testing.block_sparse_check`) both use them.
"""


def _cdiv(a, b):
    return -(-a // b)


def _f64(x):
    """An f64 attribute literal (MLIR's float literals need a '.': 1e-05
    would lex as an integer)."""
    return "%.17e : f64" % float(x)


def _type(shape, elem, dyn):
    dims = ["?" if i in dyn else str(d) for i, d in enumerate(shape)]
    return "tensor<" + "x".join(dims + [elem]) + ">"


def _dd(var, *names):
    dyn = set(var.get("dynamic", ()))
    return tuple(i for i, n in enumerate(names) if n in dyn)


def scores_arguments(var):
    """(name, shape, elem, dynamic dims) of the function's arguments."""
    B, Hq, Hkv, Lq, Lk, D = (var[n] for n in ("B", "Hq", "Hkv", "Lq", "Lk",
                                              "D"))
    args = [("q", (B, Hq, Lq, D), var["dtype"], _dd(var, "B", "Hq", "Lq", "D")),
            ("k", (B, Hkv, Lk, D), var["dtype"],
             _dd(var, "B", "Hkv", "Lk", "D"))]
    if var.get("lse"):
        args.append(("lse", (B, Hq, Lq), "f32", _dd(var, "B", "Hq", "Lq")))
    return args


def num_key_blocks(var):
    return var["Lk"] if var["pooling"] == "none" else _cdiv(var["Lk"],
                                                           var["block_size"])


def scores_results(var):
    hs = "Hq" if var.get("heads", "q") == "q" else "Hkv"
    shape = (var["B"], var[hs], _cdiv(var["Lq"], var.get("query_block", 1)),
             num_key_blocks(var))
    return [("scores", shape, "f32", _dd(var, "B", hs, "Lq", "Lk"))]


def _dyn_sizes(lines, atype, dyn, sources, tag):
    """Emits the index values of the dynamic sizes of an init; `sources[i]`
    is (argument, dim, ceil-divisor)."""
    sizes = []
    for i in dyn:
        src, dim, div = sources[i]
        v = "%%%s_%d" % (tag, i)
        lines.append("  %s_c = arith.constant %d : index" % (v, dim))
        lines.append("  %s_d = tensor.dim %%%s, %s_c : %s" %
                     (v, src, v, atype[src]))
        if div > 1:
            lines.append("  %s_m = arith.constant %d : index" % (v, div - 1))
            lines.append("  %s_a = arith.addi %s_d, %s_m : index" % (v, v, v))
            lines.append("  %s_b = arith.constant %d : index" % (v, div))
            lines.append("  %s = arith.divui %s_a, %s_b : index" % (v, v, v))
        else:
            v += "_d"
        sizes.append(v)
    return sizes


def _header(name, args, res):
    atype = {n: _type(s, e, d) for n, s, e, d in args}
    lines = ["func.func @%s(%s) -> (%s) {" % (
        name, ", ".join("%%%s: %s" % (n, atype[n]) for n, _, _, _ in args),
        ", ".join(_type(s, e, d) for _, s, e, d in res))]
    return atype, lines


def scores_function(name, var):
    """The func.func text of one block_scores variant."""
    args, res = scores_arguments(var), scores_results(var)
    atype, lines = _header(name, args, res)
    bq, bk = var.get("query_block", 1), var["block_size"]
    hsrc = ("q", 1, 1) if var.get("heads", "q") == "q" else ("k", 1, 1)
    sources = [("q", 0, 1), hsrc, ("q", 2, bq),
               ("k", 2, bk if var["pooling"] != "none" else 1)]
    _, shape, elem, dyn = res[0]
    rtype = _type(shape, elem, dyn)
    sizes = _dyn_sizes(lines, atype, dyn, sources, "s")
    lines.append("  %%init = tensor.empty(%s) : %s" % (", ".join(sizes),
                                                       rtype))
    op = ["attn.block_scores ins(%%q, %%k : %s, %s)" % (atype["q"],
                                                       atype["k"])]
    if "lse" in atype:
        op.append("lse(%%lse : %s)" % atype["lse"])
    op.append("outs(%%init : %s)" % rtype)
    attrs = ["block_size = %d" % bk, "query_block = %d" % bq,
             'pooling = "%s"' % var["pooling"], 'reduce = "%s"' % var["reduce"]]
    for flag in ("causal", "normalize"):
        if var.get(flag):
            attrs.append(flag)
    if var.get("scale") is not None:
        attrs.append("scale = %s" % _f64(var["scale"]))
    op.append("{%s} -> %s" % (", ".join(attrs), rtype))
    lines.append("  %%r = %s" % " ".join(op))
    lines.append("  return %%r : %s" % rtype)
    lines.append("}")
    return "\n".join(lines)


def select_arguments(var):
    B, H, Nq, Nk = var["B"], var["H"], var["Nq"], var["Nk"]
    args = [("s", (B, H, Nq, Nk), var["dtype"],
             _dd(var, "B", "H", "Nq", "Nk"))]
    if var.get("k_dynamic") is not None:
        args.append(("kd", (), "i32", ()))
    if var.get("lengths") is not None:
        args.append(("len", (2,), "i64", ()))
    return args


def select_results(var):
    B, H, Nq, k = var["B"], var["H"], var["Nq"], var["k"]
    pair = [("counts", (B, H, Nq), "i32", _dd(var, "B", "H", "Nq")),
            ("indices", (B, H, Nq, k), "i32", _dd(var, "B", "H", "Nq"))]
    if var.get("split"):
        pair += [("full_counts", (B, H, Nq), "i32", _dd(var, "B", "H", "Nq")),
                 ("full_indices", (B, H, Nq, k), "i32",
                  _dd(var, "B", "H", "Nq"))]
    return pair


def select_function(name, var):
    """The func.func text of one select_blocks variant."""
    args, res = select_arguments(var), select_results(var)
    atype, lines = _header(name, args, res)
    sources = [("s", 0, 1), ("s", 1, 1), ("s", 2, 1), ("s", 3, 1)]
    inits, rtypes = [], []
    for j, (_, shape, elem, dyn) in enumerate(res):
        sizes = _dyn_sizes(lines, atype, dyn, sources, "i%d" % j)
        t = _type(shape, elem, dyn)
        lines.append("  %%init%d = tensor.empty(%s) : %s" % (
            j, ", ".join(sizes), t))
        inits.append("%%init%d" % j)
        rtypes.append(t)
    op = ["attn.select_blocks ins(%%s : %s)" % atype["s"]]
    if "kd" in atype:
        lines.append("  %kdv = tensor.extract %kd[] : tensor<i32>")
        op.append("k(%kdv : i32)")
    if "len" in atype:
        for i, n in enumerate(("lq", "lkv")):
            lines.append("  %%%s_c = arith.constant %d : index" % (n, i))
            lines.append("  %%%s_e = tensor.extract %%len[%%%s_c] : "
                         "tensor<2xi64>" % (n, n))
            lines.append("  %%%s = arith.index_cast %%%s_e : i64 to index" %
                         (n, n))
        op.append("lengths(%lq, %lkv)")
    op.append("outs(%s : %s)" % (", ".join(inits), ", ".join(rtypes)))
    attrs = ["k = %d" % var["k"], "block_size = %d" % var["block_size"],
             "query_block = %d" % var.get("query_block", 1),
             "forced_first = %d" % var.get("forced_first", 0),
             "local = %d" % var.get("local", 0)]
    for flag in ("causal", "split"):
        if var.get(flag):
            attrs.append(flag)
    if var.get("threshold") is not None:
        attrs.append("threshold = %s" % _f64(var["threshold"]))
    op.append("{%s} -> %s" % (", ".join(attrs), ", ".join(rtypes)))
    rs = ["%%r%d" % i for i in range(len(res))]
    lines.append("  %s = %s" % (", ".join(rs), " ".join(op)))
    lines.append("  return %s : %s" % (", ".join(rs), ", ".join(rtypes)))
    lines.append("}")
    return "\n".join(lines)
