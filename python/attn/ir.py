"""Textual IR generation for ``attn.attention`` variants.

A variant is a plain dict (see :func:`random_variant`); :func:`function`
turns it into a ``func.func`` whose arguments are the op's operands (and
any captured tensors) and whose results are the op's results.

``score_mod``/``mask_mod`` of a variant are either the name of one of the
built-in modifiers below (random variants) or a :class:`attn.trace.Trace`
(the Python API); both are printed by the tracer, so the regions of the
random variants exercise the same code path as user functions.

Variant keys: ``B Hq Hkv Lq Lkv D Dv`` sizes, ``dtype``, ``dynamic`` (the
size names compiled as ``?``: ``B H Hkv Lq Lkv D Dv``), ``scale``,
``softcap``, ``masks`` (structured terms as tuples, e.g. ``("causal",)``),
``mask`` (``"bool"``/``"add"``) with ``mask_shape``, ``q_lengths``,
``kv_lengths``, ``segments``, ``sinks``, ``lse``, ``normalizer``,
``sigmoid_bias``, ``score_mod``, ``mask_mod`` and ``captures`` (extra
:class:`attn.trace.Capture` arguments of traced modifiers).
"""

import random

import numpy as np

from attn import trace as tr

_ELEM = {"f32": "f32", "f16": "f16", "bf16": "bf16"}

# Operands of the op, in the function's argument order; any other argument
# is a captured tensor.
OPERANDS = ("q", "k", "v", "mask", "q_lengths", "kv_lengths",
            "q_segment_ids", "kv_segment_ids", "sinks")


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
    return "#attn.%s<%d>" % (kind, term[1])


# The built-in modifiers of random variants, as traceable Python functions
# of a captured tensor `cap`.
def _score_mod_fn(kind, cap):
    if kind == "alibi":
        return lambda s, b, h, i, j: s + cap[h] * (j - i)
    if kind == "table":
        return lambda s, b, h, i, j: 0.5 * s + cap[h, i, j]
    raise ValueError(kind)


def _mask_mod_fn(kind):
    if kind == "mod3":
        return lambda b, h, i, j: (i + j + h) % 3 != 0
    if kind == "kv_ge_b":
        return lambda b, h, i, j: j >= b
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


def function(name, var):
    args = arguments(var)
    res = results(var)
    ty = {a[0]: tensor_type(a[1], a[2], a[3]) for a in args}
    rty = [tensor_type(r[1], r[2], r[3]) for r in res]
    sig = ", ".join("%s: %s" % (ssa_name(a[0]), ty[a[0]]) for a in args)
    parts = ["ins(%q, %k, %v : {}, {}, {})".format(ty["q"], ty["k"], ty["v"])]
    if "mask" in ty:
        parts.append("mask(%%mask : %s)" % ty["mask"])
    if "q_lengths" in ty:
        parts.append("q_lengths(%%q_lengths : %s)" % ty["q_lengths"])
    if "kv_lengths" in ty:
        parts.append("kv_lengths(%%kv_lengths : %s)" % ty["kv_lengths"])
    if "q_segment_ids" in ty:
        parts.append("segment_ids(%%q_segment_ids, %%kv_segment_ids : %s, %s)"
                     % (ty["q_segment_ids"], ty["kv_segment_ids"]))
    if "sinks" in ty:
        parts.append("sinks(%%sinks : %s)" % ty["sinks"])
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
    attr = (" {" + ", ".join(attrs) + "}") if attrs else ""
    sm, mm = traces(var)
    regions = ""
    if sm is not None:
        regions += " score_mod " + tr.region_text(sm, "sm_")
    if mm is not None:
        regions += " mask_mod " + tr.region_text(mm, "mm_")
    names = ", ".join("%%r%d" % i for i in range(len(res)))
    return """func.func @{name}({sig}) -> ({rt}) {{
  {names} = attn.attention {ops}{attr}
      -> {rt}{regions}
  return {names} : {rt}
}}
""".format(name=name, sig=sig, rt=", ".join(rty), names=names,
           ops="\n      ".join(parts), attr=attr, regions=regions)


def random_variant(rng: random.Random, dtype=None):
    """A random valid variant covering every feature of the op."""
    Hkv = rng.choice([1, 1, 2, 3])
    g = rng.choice([1, 1, 2, 4])
    var = {
        "B": rng.choice([1, 2, 3]),
        "Hkv": Hkv,
        "Hq": Hkv * g,
        "Lq": rng.randint(1, 13),
        "Lkv": rng.randint(1, 19),
        "D": rng.choice([4, 5, 8, 16]),
        "dtype": dtype or rng.choice(["f32"] * 6 + ["f16", "bf16"]),
    }
    var["Dv"] = var["D"] if rng.random() < 0.6 else rng.choice([3, 6, 12])
    if rng.random() < 0.25:
        # Large enough for full-size tiles of the register micro-kernels
        # (static Dv a multiple of 32) with small tile options.
        var["Lq"] = rng.randint(8, 70)
        var["Lkv"] = rng.randint(8, 90)
        var["D"] = rng.choice([8, 32, 64])
        var["Dv"] = rng.choice([32, 64])
    if rng.random() < 0.3:
        var["dynamic"] = rng.sample(["B", "H", "Hkv", "Lq", "Lkv", "D", "Dv"],
                                    rng.randint(1, 4))
        # A dynamic Hq or Hkv makes the group size dynamic and exercises
        # the gathered K/V path of the decomposition.
    if rng.random() < 0.3:
        var["scale"] = round(rng.uniform(0.05, 0.8), 3)
    if rng.random() < 0.2:
        var["softcap"] = rng.choice([2.0, 5.0, 30.0])
    masks = []
    if rng.random() < 0.5:
        masks.append(("causal",))
    if rng.random() < 0.3:
        right = 0 if masks else rng.randint(0, 3)
        masks.append(("sliding_window", rng.randint(0, 5), right))
    if rng.random() < 0.15:
        masks.append(("dilated", rng.randint(1, 3)))
    if rng.random() < 0.15:
        masks.append(("chunked", rng.randint(1, 6)))
    if not masks and rng.random() < 0.2:
        masks.append(("prefix_lm", rng.randint(0, 6)))
    rng.shuffle(masks)
    var["masks"] = masks
    r = rng.random()
    if r < 0.15:
        var["mask"] = "bool"
    elif r < 0.3:
        var["mask"] = "add"
    if var.get("mask"):
        full = [var["B"], var["Hq"], var["Lq"], var["Lkv"]]
        rank = rng.randint(2, 4)
        shape = full[4 - rank:]
        var["mask_shape"] = tuple(
            1 if (i < rank - 2 and rng.random() < 0.5) else d
            for i, d in enumerate(shape))
    var["q_lengths"] = rng.random() < 0.15
    var["kv_lengths"] = rng.random() < 0.2
    var["segments"] = rng.random() < 0.15
    var["normalizer"] = rng.choice(["softmax"] * 6 + ["sigmoid", "softpick"])
    if var["normalizer"] == "softmax":
        var["sinks"] = rng.random() < 0.2
        var["lse"] = rng.random() < 0.5
    if var["normalizer"] == "sigmoid" and rng.random() < 0.5:
        var["sigmoid_bias"] = round(rng.uniform(-2.0, 0.5), 3)
    r = rng.random()
    if r < 0.15:
        var["score_mod"] = "alibi"
    elif r < 0.25:
        var["score_mod"] = "table"
    r = rng.random()
    if r < 0.1:
        var["mask_mod"] = "mod3"
    elif r < 0.2:
        var["mask_mod"] = "kv_ge_b"
    return var


def random_inputs(var, nrng):
    """numpy inputs (float64 master copies) for a variant."""
    B, Hq, Hkv = var["B"], var["Hq"], var["Hkv"]
    Lq, Lkv, D, Dv = var["Lq"], var["Lkv"], var["D"], var["Dv"]
    x = {
        "q": nrng.standard_normal((B, Hq, Lq, D)),
        "k": nrng.standard_normal((B, Hkv, Lkv, D)),
        "v": nrng.standard_normal((B, Hkv, Lkv, Dv)),
    }
    if var.get("mask"):
        shape = var["mask_shape"]
        kept = nrng.random(shape) < 0.7
        if nrng.random() < 0.5:
            # Block-sparse: blocks of random size (not aligned with the
            # tiles) that keep nothing, everything, or a random subset.
            bq, bk = nrng.integers(1, 9, size=2)
            coarse = shape[:-2] + (-(-shape[-2] // bq), -(-shape[-1] // bk))
            kind = nrng.integers(0, 3, size=coarse)
            kind = np.repeat(np.repeat(kind, bq, axis=-2), bk, axis=-1)
            kind = kind[..., :shape[-2], :shape[-1]]
            kept = np.where(kind == 2, kept, kind == 1)
        if var["mask"] == "bool":
            x["mask"] = kept
        else:
            m = nrng.standard_normal(shape)
            m[~kept] = -np.inf
            x["mask"] = m
    if var.get("q_lengths"):
        x["q_lengths"] = nrng.integers(0, Lq + 1, size=B).astype(np.int32)
    if var.get("kv_lengths"):
        x["kv_lengths"] = nrng.integers(0, Lkv + 1, size=B).astype(np.int32)
    if var.get("segments"):
        # Packed documents (sorted ids) usually, arbitrary ids sometimes.
        sort = np.sort if nrng.random() < 0.7 else (lambda a, axis: a)
        x["q_segment_ids"] = sort(nrng.integers(0, 3, size=(B, Lq)),
                                  axis=1).astype(np.int32)
        x["kv_segment_ids"] = sort(nrng.integers(0, 3, size=(B, Lkv)),
                                   axis=1).astype(np.int32)
    if var.get("sinks"):
        x["sinks"] = nrng.standard_normal(Hq)
    if var.get("score_mod") == "alibi":
        x["cap"] = -np.exp2(-8.0 * (np.arange(Hq) + 1) / Hq)
    elif var.get("score_mod") == "table":
        x["cap"] = nrng.standard_normal((Hq, Lq, Lkv))
    return x

