"""Test modules of the GPU kernels (test/python/gpu-emulator*.py and
test/Integration/GPU/attention-gpu.py): one ``attn.attention`` per function
from a case tuple, with the score_mod/mask_mod regions the cases use.

A case is ``(name, dtype, B, Hq, Hkv, Lq, Lkv, D, attr, masks, out, lse[,
features])``: ``attr`` the op's attribute dict text, ``masks`` the
structured terms for the numpy reference, ``out`` the output element type,
``lse`` whether the log-sum-exp is a result. Features: ``dv`` (Dv != D),
``dynamic`` (Lq and Lkv compiled as ``?``, in the mask too),
``dynamic_batch`` (B compiled as ``?`` wherever it appears), ``softcap``,
``normalizer`` ("sigmoid" or "softpick") and ``sigmoid_bias``, ``mask``
((kind, shape), kind "float" for an f32 additive mask, else i1),
``q_lengths`` /
``kv_lengths`` (i32 values), ``segments`` (with ``seg_type``, i32 by
default), ``sinks``, ``alibi`` (score_mod s + slopes[h] * (j - i), slopes a
captured f32 tensor), ``math_mod`` (MATH_MOD: every math function of
regions the GPU lowers), ``mask_mod`` (keeps keys j with j mod 5 != 2) and
``mask_mod_window`` (keeps i - 70 <= j <= i).
"""

import re

import numpy as np

from attn.ir import attention_function, attention_op

ALIBI = """{
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<HQxf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %slope, %df : f32
        %r = arith.addf %s, %bias : f32
        attn.yield %r : f32
      }"""

# Keeps keys j with j mod 5 != 2 (a pattern no structured term expresses).
MASK_MOD = """{
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c5 = arith.constant 5 : index
        %c2 = arith.constant 2 : index
        %r = arith.remsi %j, %c5 : index
        %keep = arith.cmpi ne, %r, %c2 : index
        attn.yield %keep : i1
      }"""

# A causal window of 70 keys on raw positions, as a region: the kernels'
# key-tile range comes from the mask analysis.
MASK_MOD_WINDOW = """{
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c70 = arith.constant 70 : index
        %d = arith.subi %i, %j : index
        %near = arith.cmpi sle, %d, %c70 : index
        %past = arith.cmpi sle, %j, %i : index
        %keep = arith.andi %near, %past : i1
        attn.yield %keep : i1
      }"""


# A score_mod with every math function the GPU lowers (on a = |j - i|):
# s e^(-a/50) - 0.3 ln(a + 1) + 1/sqrt(a + 1) - 0.1 sqrt(a + 1)
# + 0.05 log2(a + 1) + 2^(-a/8).
MATH_MOD = """{
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %a = math.absf %df : f32
        %one = arith.constant 1.0 : f32
        %a1 = arith.addf %a, %one : f32
        %cm = arith.constant -0.02 : f32
        %ea = arith.mulf %a, %cm : f32
        %e = math.exp %ea : f32
        %t0 = arith.mulf %s, %e : f32
        %l = math.log %a1 : f32
        %c3 = arith.constant 0.3 : f32
        %l3 = arith.mulf %l, %c3 : f32
        %t1 = arith.subf %t0, %l3 : f32
        %rs = math.rsqrt %a1 : f32
        %t2 = arith.addf %t1, %rs : f32
        %sq = math.sqrt %a1 : f32
        %c1 = arith.constant 0.1 : f32
        %sq1 = arith.mulf %sq, %c1 : f32
        %t3 = arith.subf %t2, %sq1 : f32
        %l2 = math.log2 %a1 : f32
        %c5 = arith.constant 0.05 : f32
        %l25 = arith.mulf %l2, %c5 : f32
        %t4 = arith.addf %t3, %l25 : f32
        %c8 = arith.constant -0.125 : f32
        %a8 = arith.mulf %a, %c8 : f32
        %x2 = math.exp2 %a8 : f32
        %t5 = arith.addf %t4, %x2 : f32
        attn.yield %t5 : f32
      }"""


def math_mod_reference(s, b, h, i, j):
    """MATH_MOD for the numpy reference."""
    a = np.abs(j - i).astype(np.float64)
    a1 = a + 1.0
    return (s * np.exp(-0.02 * a) - 0.3 * np.log(a1) + 1.0 / np.sqrt(a1) -
            0.1 * np.sqrt(a1) + 0.05 * np.log2(a1) + np.exp2(-a / 8.0))


def tensor(shape, elem):
    return "tensor<%sx%s>" % ("x".join(map(str, shape)), elem)


def module(case):
    """The func.func text of a case (its function is named after it)."""
    name, dt, B, Hq, Hkv, Lq, Lkv, D, attr, _, out, lse = case[:12]
    feat = case[12] if len(case) > 12 else {}
    Dv = feat.get("dv", D)
    if feat.get("dynamic"):
        Lq = Lkv = "?"
    if feat.get("dynamic_batch"):
        B = "?"
    t = tensor
    qt, kt, vt = t((B, Hq, Lq, D), dt), t((B, Hkv, Lkv, D), dt), t(
        (B, Hkv, Lkv, Dv), dt)
    ot, lt = t((B, Hq, Lq, Dv), out), t((B, Hq, Lq), "f32")
    res = [ot, lt] if lse else [ot]
    names = ["%o", "%lse"] if lse else ["%o"]
    params = ""
    operands = {}
    attrs = [attr.strip()[1:-1] if attr.strip() else ""]
    if "softcap" in feat:
        attrs.append("softcap = %r" % feat["softcap"])
    if "normalizer" in feat:
        attrs.append("normalizer = #attn.normalizer<%s>" % feat["normalizer"])
    if "sigmoid_bias" in feat:
        attrs.append("sigmoid_bias = %r" % feat["sigmoid_bias"])
    if "mask" in feat:
        kind, shape = feat["mask"]
        if feat.get("dynamic"):
            # The query and key dims follow Lq and Lkv (broadcast dims of
            # size 1 stay).
            shape = tuple(shape[:-2]) + tuple(
                d if d == 1 else "?" for d in shape[-2:])
        if feat.get("dynamic_batch") and len(shape) == 4 and shape[0] != 1:
            shape = ("?",) + tuple(shape[1:])
        mt = t(shape, "f32" if kind == "float" else "i1")
        params += ", %%mask: %s" % mt
        operands["mask"] = ("%mask", mt)
    for kind in ("q_lengths", "kv_lengths"):
        if kind in feat:
            params += ", %%%s: %s" % (kind, t((B,), "i32"))
            operands[kind] = ("%" + kind, t((B,), "i32"))
    if feat.get("segments"):
        st = feat.get("seg_type", "i32")
        qst, kst = t((B, Lq), st), t((B, Lkv), st)
        params += ", %%qs: %s, %%ks: %s" % (qst, kst)
        operands["segment_ids"] = (("%qs", qst), ("%ks", kst))
    if feat.get("sinks"):
        params += ", %%sinks: %s" % t((Hq,), "f32")
        operands["sinks"] = ("%sinks", t((Hq,), "f32"))
    score_mod = mask_mod = None
    if feat.get("alibi"):
        params += ", %%slopes: %s" % t((Hq,), "f32")
        score_mod = ALIBI.replace("HQ", str(Hq))
    if feat.get("mask_mod"):
        mask_mod = MASK_MOD
    if feat.get("mask_mod_window"):
        mask_mod = MASK_MOD_WINDOW
    if feat.get("math_mod"):
        score_mod = MATH_MOD
    op = attention_op(names, res, ("%q", qt), ("%k", kt), ("%v", vt),
                      attrs=attrs, score_mod=score_mod, mask_mod=mask_mod,
                      **operands)
    return attention_function(
        name, "%%q: %s, %%k: %s, %%v: %s%s" % (qt, kt, vt, params), names,
        res, op)


def swap_length_args(text):
    """A planted bug for the tests: swaps the uses of a dynamically shaped
    kernel's trailing Lq and Lkv index arguments (generic-form IR)."""
    host, kernel = text.split('"gpu.func"', 1)
    head = re.search(r'\^bb0\(([^)]*)\)', kernel)
    names = re.findall(r'(%\w+): index', head.group(1))
    lq, lkv = names[-2], names[-1]
    # The uses only, not the block's argument list.
    decl, body = kernel[:head.end()], kernel[head.end():]
    body = re.sub(re.escape(lq) + r'\b', "%__tmp", body)
    body = re.sub(re.escape(lkv) + r'\b', lq, body)
    return host + '"gpu.func"' + decl + body.replace("%__tmp", lkv)
