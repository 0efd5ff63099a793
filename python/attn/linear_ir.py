"""Textual IR of ``attn.linear_attention`` variants.

A variant is a plain dict: sizes ``B Hq Hkv L Dk Dv``, ``dtype``,
``causal``, ``feature`` (feature map), ``decay`` (None, ``"head"``,
``"token"``, ``"channel"``), ``normalize``, ``eps``, ``scale``,
``segments`` (``"ids"`` or ``"cu"`` with ``ncu`` entries),
``initial_state``, ``final_state``, ``dynamic`` (the size names
compiled as ``?``), ``q_mod`` / ``k_mod`` (traced feature maps,
:mod:`attn.trace`) and ``captures`` (the :class:`attn.trace.Capture`
tensors they read, extra arguments ``%cap_<name>`` after the operands). :func:`function` prints a ``func.func`` whose arguments
are the op's operands (:func:`arguments`) and whose results are its
results (:func:`results`); the Python API (:mod:`attn.linear_api`) and the
random check (:mod:`attn.testing.linear_check`) both use it.
"""

from attn import trace as tr


def arguments(var):
    """(name, shape, elem, dynamic dims) of the function's arguments."""
    B, Hq, Hkv, L = var["B"], var["Hq"], var["Hkv"], var["L"]
    Dk, Dv, e = var["Dk"], var["Dv"], var["dtype"]
    dyn = set(var.get("dynamic", ()))

    def dd(*names):
        return tuple(i for i, n in enumerate(names) if n in dyn)

    args = [("q", (B, Hq, L, Dk), e, dd("B", "H", "L", "Dk")),
            ("k", (B, Hkv, L, Dk), e, dd("B", "Hkv", "L", "Dk")),
            ("v", (B, Hkv, L, Dv), e, dd("B", "Hkv", "L", "Dv"))]
    decay = var.get("decay")
    if decay == "head":
        args.append(("g", (Hq,), "f32", dd("H")))
    elif decay == "token":
        args.append(("g", (B, Hq, L), e, dd("B", "H", "L")))
    elif decay == "channel":
        args.append(("g", (B, Hq, L, Dk), "f32", dd("B", "H", "L", "Dk")))
    if var.get("segments") == "ids":
        args.append(("seg", (B, L), "i32", dd("B", "L")))
    elif var.get("segments") == "cu":
        args.append(("cu", (var["ncu"],), "i64", ()))
    if var.get("initial_state"):
        args.append(("s0", (B, Hq, Dk, Dv), "f32", dd("B", "H", "Dk", "Dv")))
        if var.get("normalize"):
            args.append(("z0", (B, Hq, Dk), "f32", dd("B", "H", "Dk")))
    for c in var.get("captures", ()):
        args.append(("cap_" + c.name, c.shape, c.elem, c.dynamic))
    return args


def results(var):
    B, Hq, L, Dk, Dv = var["B"], var["Hq"], var["L"], var["Dk"], var["Dv"]
    dyn = set(var.get("dynamic", ()))

    def dd(*names):
        return tuple(i for i, n in enumerate(names) if n in dyn)

    res = [("out", (B, Hq, L, Dv), var["dtype"], dd("B", "H", "L", "Dv"))]
    if var.get("final_state"):
        res.append(("state", (B, Hq, Dk, Dv), "f32",
                    dd("B", "H", "Dk", "Dv")))
        if var.get("normalize"):
            res.append(("norm", (B, Hq, Dk), "f32", dd("B", "H", "Dk")))
    return res


def _type(shape, elem, dyn):
    dims = ["?" if i in dyn else str(d) for i, d in enumerate(shape)]
    return "tensor<" + "x".join(dims + [elem]) + ">"


# Where each result dim's runtime size is read from: (argument, dim).
_SOURCES = {"out": [("q", 0), ("q", 1), ("q", 2), ("v", 3)],
            "state": [("q", 0), ("q", 1), ("q", 3), ("v", 3)],
            "norm": [("q", 0), ("q", 1), ("q", 3)]}


def function(name, var):
    """The func.func text of one variant."""
    args, res = arguments(var), results(var)
    atype = {n: _type(s, e, d) for n, s, e, d in args}
    lines = ["func.func @%s(%s) -> (%s) {" % (
        name, ", ".join("%%%s: %s" % (n, atype[n]) for n, _, _, _ in args),
        ", ".join(_type(s, e, d) for _, s, e, d in res))]
    inits = []
    for rname, shape, elem, dyn in res:
        sizes = []
        for i in dyn:
            src, dim = _SOURCES[rname][i]
            lines.append("  %%c_%s_%d = arith.constant %d : index" %
                         (rname, i, dim))
            lines.append("  %%d_%s_%d = tensor.dim %%%s, %%c_%s_%d : %s" %
                         (rname, i, src, rname, i, atype[src]))
            sizes.append("%%d_%s_%d" % (rname, i))
        lines.append("  %%i_%s = tensor.empty(%s) : %s" %
                     (rname, ", ".join(sizes), _type(shape, elem, dyn)))
        inits.append("%i_" + rname)
    rtypes = [_type(s, e, d) for _, s, e, d in res]
    op = ["attn.linear_attention ins(%%q, %%k, %%v : %s, %s, %s)" %
          (atype["q"], atype["k"], atype["v"])]
    if "g" in atype:
        op.append("log_decay(%%g : %s)" % atype["g"])
    if "seg" in atype:
        op.append("segment_ids(%%seg : %s)" % atype["seg"])
    if "cu" in atype:
        op.append("cu_seqlens(%%cu : %s)" % atype["cu"])
    if "s0" in atype:
        names = ["%s0"] + (["%z0"] if "z0" in atype else [])
        op.append("initial_state(%s : %s)" % (
            ", ".join(names),
            ", ".join(atype[n[1:]] for n in names)))
    op.append("outs(%s : %s)" % (", ".join(inits), ", ".join(rtypes)))
    attrs = ["feature_map = #attn.feature_map<%s>" % var["feature"]]
    if var.get("causal"):
        attrs.append("causal")
    if var.get("normalize"):
        attrs.append("normalize")
    if var.get("eps") is not None:
        attrs.append("eps = %r" % var["eps"])
    if var.get("scale") is not None:
        attrs.append("scale = %r" % var["scale"])
    op.append("{%s} -> %s" % (", ".join(attrs), ", ".join(rtypes)))
    for kind, prefix in (("q_mod", "qm_"), ("k_mod", "km_")):
        if var.get(kind) is not None:
            op.append("%s %s" % (kind, tr.region_text(var[kind], prefix,
                                                      indent="    ")))
    rs = ["%%r%d" % i for i in range(len(res))]
    lines.append("  %s = %s" % (", ".join(rs), " ".join(op)))
    lines.append("  return %s : %s" % (", ".join(rs), ", ".join(rtypes)))
    lines.append("}")
    return "\n".join(lines)
