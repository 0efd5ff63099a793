# RUN: %python %s | FileCheck %s
"""Emulates the general (SIMT) kernel of convert-attn-to-gpu with numpy
(attn.testing.gpu_emulator: lockstep threads, shared memory, xor/idx shuffles) and
compares it with the float64 reference: f32 inputs (tolerance 1e-5
relative to max |O|), head dims 80 and 256, Dqk != Dv, f16/bf16 at head
dims the tensor-core kernel does not take, GQA, structured masks, mask
tensors (boolean and additive, broadcast), lengths, document masks, sinks,
score modifiers, empty rows and dynamic Lq/Lkv.

f16/bf16 inputs and outputs are rounded to their storage types; the kernel
computes in f32 and rounds only the output, so the f32 output cases are
checked at 1e-5 too. A last run perturbs every ex2 result by up to 2^-22
relative (the documented bound of ex2.approx.f32) to show the f32 tolerance
holds with the hardware approximation.
"""

import os
import re
import subprocess
import tempfile

import numpy as np

from attn import reference
from attn.gpu import launch_config
from attn.ir import attention_function, attention_op
from attn.testing.gpu_cases import ALIBI, swap_length_args
from attn.testing.gpu_emulator import (EmulationError, Emulator,
                                       add_head_features, add_scalar_features,
                                       attention_buffers, kernels, round_to)
from attn.runner import attn_opt

ROWS_PER_BLOCK = 16

# name, dtype, B, Hq, Hkv, Lq, Lkv, Dqk, Dv, attr, numpy masks, out, lse,
# features: mask = (kind "bool" | "add", element type, shape with 0 for the
# full dim), qlen / kvlen (per batch), sinks, alibi, softcap, segments.
CASES = [
    ("f32_d80_causal_gqa", "f32", 1, 4, 2, 37, 50, 80, 80,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True, {}),
    ("f32_d256_dense", "f32", 1, 1, 1, 20, 45, 256, 256, "", [], "f32",
     True, {}),
    ("f32_mla_192_128_window", "f32", 1, 2, 1, 33, 70, 192, 128,
     "{masks = [#attn.sliding_window<left = 20, right = 3>]}",
     [("sliding_window", 20, 3)], "f32", True, {}),
    ("bf16_d32_chunked", "bf16", 1, 2, 2, 40, 40, 32, 32,
     "{masks = [#attn.chunked<12>, #attn.causal]}",
     [("chunked", 12), ("causal",)], "bf16", False, {}),
    ("f16_d160_dense", "f16", 1, 1, 1, 17, 64, 160, 160, "{scale = 0.05}",
     [], "f16", False, {}),
    # Lq > Lkv causal: the first 30 aligned rows see no key (O = 0).
    ("f32_empty_rows", "f32", 1, 1, 1, 50, 20, 48, 40,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True, {}),
    ("f32_bool_mask_bcast", "f32", 2, 2, 1, 19, 41, 64, 64, "", [], "f32",
     True, {"mask": ("bool", "i1", (0, 1, 0, 0))}),
    ("bf16_additive_mask_2d", "bf16", 1, 2, 2, 21, 33, 48, 48,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"mask": ("add", "f32", (0, 0))}),
    ("f16_mask_lengths", "f16", 2, 2, 2, 30, 45, 80, 80, "", [], "f32", True,
     {"mask": ("add", "f16", (0, 1, 1, 0)), "qlen": [25, 0],
      "kvlen": [40, 7]}),
    ("f32_lengths_causal", "f32", 2, 1, 1, 40, 60, 32, 32,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"qlen": [33, 40], "kvlen": [50, 12]}),
    ("f32_document_sinks", "f32", 1, 2, 2, 45, 45, 64, 64, "", [], "f32",
     True, {"segments": True, "sinks": True}),
    ("f32_alibi_softcap", "f32", 1, 2, 1, 20, 50, 96, 96,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"alibi": True, "softcap": 5.0}),
    # Other normalisers (feature "normalizer", "sigmoid_bias" for the
    # reference; the attribute text carries them for the op).
    ("f32_sigmoid_causal_gqa", "f32", 1, 4, 2, 37, 50, 80, 80,
     "{masks = [#attn.causal], normalizer = #attn.normalizer<sigmoid>, "
     "sigmoid_bias = -1.0}", [("causal",)], "f32", False,
     {"normalizer": "sigmoid", "sigmoid_bias": -1.0}),
    ("f32_softpick_mask_lengths", "f32", 2, 2, 1, 30, 45, 64, 40,
     "{normalizer = #attn.normalizer<softpick>}", [], "f32", False,
     {"normalizer": "softpick", "mask": ("bool", "i1", (0, 1, 0, 0)),
      "qlen": [25, 0], "kvlen": [40, 7]}),
    # Dynamic lengths ("dyn": "q", "kv" or "both"): flat handles given
    # their shapes in the kernel, Lq and Lkv as trailing index arguments.
    ("f32_dynamic_causal_gqa", "f32", 1, 4, 2, 37, 50, 80, 80,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dyn": "both"}),
    ("bf16_dynamic_kv_mask_lengths", "bf16", 2, 2, 2, 30, 45, 80, 80, "",
     [], "f32", True, {"dyn": "kv", "mask": ("bool", "i1", (0, 1, 0, 0)),
                       "qlen": [25, 30], "kvlen": [40, 9]}),
    ("f16_dynamic_q_document_window", "f16", 1, 2, 1, 33, 64, 48, 32,
     "{masks = [#attn.sliding_window<left = 9, right = 2>]}",
     [("sliding_window", 9, 2)], "f16", False,
     {"dyn": "q", "segments": True}),
]


def mask_shape(case):
    _, _, B, Hq, _, Lq, Lkv = case[:7]
    spec = case[13]["mask"][2]
    full = (B, Hq, Lq, Lkv)[4 - len(spec):]
    return tuple(f if s == 0 else s for s, f in zip(spec, full))


def module(case):
    name, dt, B, Hq, Hkv, Lq, Lkv, Dqk, Dv, attr, _, out, lse, feat = case
    dyn = feat.get("dyn", "")
    if dyn in ("q", "both"):
        Lq = "?"
    if dyn in ("kv", "both"):
        Lkv = "?"
    t = lambda s, e: "tensor<%sx%s>" % ("x".join(map(str, s)), e)
    qt, kt, vt = t((B, Hq, Lq, Dqk), dt), t((B, Hkv, Lkv, Dqk), dt), t(
        (B, Hkv, Lkv, Dv), dt)
    ot, lt = t((B, Hq, Lq, Dv), out), t((B, Hq, Lq), "f32")
    res = [ot, lt] if lse else [ot]
    names = ["%o", "%lse"] if lse else ["%o"]
    params, operands, score_mod = "", {}, None
    attrs = [attr.strip()[1:-1] if attr.strip() else ""]
    if "softcap" in feat:
        attrs.append("softcap = %r" % feat["softcap"])
    if "mask" in feat:
        full = (B, Hq, Lq, Lkv)
        spec = feat["mask"][2]
        mt = t([full[4 - len(spec) + i] if n == 0 else n
                for i, n in enumerate(spec)], feat["mask"][1])
        params += ", %%m: %s" % mt
        operands["mask"] = ("%m", mt)
    if "qlen" in feat:
        params += ", %%ql: tensor<%dxi32>" % B
        operands["q_lengths"] = ("%ql", "tensor<%dxi32>" % B)
    if "kvlen" in feat:
        params += ", %%kl: tensor<%dxi64>" % B
        operands["kv_lengths"] = ("%kl", "tensor<%dxi64>" % B)
    if feat.get("segments"):
        qst, kst = t((B, Lq), "i32"), t((B, Lkv), "i32")
        params += ", %%qs: %s, %%ks: %s" % (qst, kst)
        operands["segment_ids"] = (("%qs", qst), ("%ks", kst))
    if feat.get("sinks"):
        params += ", %%sinks: %s" % t((Hq,), "f32")
        operands["sinks"] = ("%sinks", t((Hq,), "f32"))
    if feat.get("alibi"):
        params += ", %%slopes: %s" % t((Hq,), "f32")
        score_mod = ALIBI.replace("HQ", str(Hq))
    op = attention_op(names, res, ("%q", qt), ("%k", kt), ("%v", vt),
                      attrs=attrs, score_mod=score_mod, **operands)
    return attention_function(
        name, "%%q: %s, %%k: %s, %%v: %s%s" % (qt, kt, vt, params), names,
        res, op)


def lower(text):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.mlir")
        with open(src, "w") as f:
            f.write(text)
        return subprocess.run(
            [attn_opt(), src, "--convert-attn-to-gpu", "--canonicalize",
             "--cse", "--mlir-print-op-generic"],
            check=True, capture_output=True, text=True).stdout


def emulate(case, mutate=None, seed=1, ex2_rel_err=0.0):
    """Returns (max |O - ref| / max(1, max |ref|), max |lse - ref| or
    None)."""
    rng = np.random.default_rng(seed)
    name, dt, B, Hq, Hkv, Lq, Lkv, Dqk, Dv, attr, masks, out, lse, feat = case
    text = lower(module(case))
    assert "nvvm.mma.sync" not in text, "not the general kernel"
    if mutate:
        text = mutate(text)
    func = kernels(text)[name + "_attn_0"]
    args = attention_buffers(rng, dt, B, Hq, Hkv, Lq, Lkv, Dqk, Dv, lse)
    q, k, v, o = args[:4]
    kw = {}
    if "mask" in feat:
        shape = mask_shape(case)
        if feat["mask"][0] == "bool":
            m = rng.random(shape) < 0.7
        else:
            m = round_to(rng.standard_normal(shape), feat["mask"][1])
            m[rng.random(shape) < 0.2] = -np.inf
        args.append(m)
        kw["mask"] = m
    if "qlen" in feat:
        args.append(np.array(feat["qlen"]))
        kw["q_lengths"] = np.array(feat["qlen"])
    if "kvlen" in feat:
        args.append(np.array(feat["kvlen"]))
        kw["kv_lengths"] = np.array(feat["kvlen"])
    if feat.get("segments"):
        ids = np.sort(rng.integers(0, 4, (B, Lkv)), axis=1)
        args += [ids[:, Lkv - Lq:], ids]
        kw.update(q_segment_ids=ids[:, Lkv - Lq:], kv_segment_ids=ids)
    add_head_features(rng, feat, Hq, args, kw)
    add_scalar_features(feat, kw)
    if "dyn" in feat:
        args += [np.full(128, Lq, np.int64), np.full(128, Lkv, np.int64)]
    grid = ((Lq + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK, Hq, B)
    Emulator(func, ex2_rel_err=ex2_rel_err, seed=seed).run(grid, args)
    scale = 0.05 if "scale" in attr else None
    ref_o, ref_lse = reference.attention(q, k, v, scale=scale, masks=masks,
                                         **kw)
    ref_o = round_to(ref_o, out)
    err = np.max(np.abs(o - ref_o)) / max(1.0, np.max(np.abs(ref_o)))
    if not lse:
        return err, None
    got = args[4]
    same_inf = np.isinf(ref_lse) & (got == ref_lse)
    with np.errstate(invalid="ignore"):
        diff = np.abs(got - ref_lse)
    return err, np.max(np.where(same_inf, 0.0, diff))


def tolerance(case):
    # f32 outputs: 1e-5 relative; f16/bf16 outputs: one rounding of the
    # output (the reference is rounded too, so at most one ulp apart).
    return {"f32": 1e-5, "f16": 2e-3, "bf16": 1.6e-2}[case[11]]


def report(name, err, lerr, tol):
    line = "%s: rel max|O - ref| = %.1e %s" % (
        name, err, "ok" if err <= tol else "BAD")
    if lerr is not None:
        line += ", max|lse - ref| = %.1e %s" % (
            lerr, "ok" if lerr < 1e-5 else "BAD")
    print(line)


def main():
    for case in CASES:
        err, lerr = emulate(case)
        report(case[0], err, lerr, tolerance(case))
    # ex2.approx.f32: maximum relative error 2^-22 (PTX ISA); the f32
    # cases with the largest head dim and with masks stay within 1e-5.
    by_name = {c[0]: c for c in CASES}
    for name in ("f32_d256_dense", "f32_mla_192_128_window"):
        err, lerr = emulate(by_name[name], ex2_rel_err=2.0**-22, seed=2)
        report(name + " (ex2 error 2^-22)", err, lerr, 1e-5)
    print("dynamic Lq = 0: %s" % empty_dynamic_q())
    # attn.gpu.launch_config (used by frameworks launching the cubin
    # themselves) agrees with the pass's own launch.
    for name in ("f32_d80_causal_gqa", "f32_mla_192_128_window"):
        print("launch_config %s: %s" % (name, check_launch_config(
            by_name[name])))
    # The check can fail: kernels with a planted bug are caught.
    mutants = [
        ("P.V with xor shuffles for idx (p of lane lane ^ j)",
         "f32_d80_causal_gqa",
         lambda t: t.replace("shuffle_mode idx", "shuffle_mode xor")),
        ("score reduction without its first xor-16 step",
         "f32_d256_dense", drop_xor16),
        ("mask read at (row, row) instead of (row, key)",
         "f32_bool_mask_bcast", mask_at_row),
        ("kv_lengths of batch 0 for every batch",
         "f32_lengths_causal", kv_lengths_batch0),
        ("dynamic Lq and Lkv arguments swapped",
         "f32_dynamic_causal_gqa", swap_length_args),
    ]
    for what, name, mutate in mutants:
        case = by_name[name]
        try:
            err, _ = emulate(case, mutate)
        except (EmulationError, ValueError, IndexError) as e:
            # A buffer given the wrong shape or indexed out of bounds.
            print("mutant %s: caught (%s)" % (what, str(e).split("\n")[0]))
            continue
        print("mutant %s: %s" % (what, "caught" if not err <= tolerance(case)
                                  else "MISSED"))


def empty_dynamic_q():
    """Runs the one block the host launches for a dynamic Lq of 0 on empty
    Q and O arrays: any access to them raises."""
    case = ("f32_dynamic_lq0", "f32", 1, 2, 2, 0, 40, 64, 64,
            "{masks = [#attn.causal]}", [], "f32", True, {"dyn": "both"})
    func = kernels(lower(module(case)))["f32_dynamic_lq0_attn_0"]
    rng = np.random.default_rng(3)
    args = [np.zeros((1, 2, 0, 64)), rng.standard_normal((1, 2, 40, 64)),
            rng.standard_normal((1, 2, 40, 64)), np.zeros((1, 2, 0, 64)),
            np.zeros((1, 2, 0)), np.full(128, 0, np.int64),
            np.full(128, 40, np.int64)]
    try:
        Emulator(func).run((1, 2, 1), args)
    except (EmulationError, ValueError, IndexError) as e:
        return "BAD (%s)" % e
    return "ok"


def check_launch_config(case):
    name, dt, B, Hq, Hkv, Lq, Lkv, Dqk, Dv = case[:9]
    text = subprocess.run(
        [attn_opt(), "--convert-attn-to-gpu", "--canonicalize", "--cse"],
        input=module(case), check=True, capture_output=True,
        text=True).stdout
    m = re.search(r"blocks in \(%c(\d+), %c(\d+), %c(\d+)\) threads in "
                  r"\(%c(\d+), %c1, %c1\)\s+dynamic_shared_memory_size "
                  r"%c(\d+)_i32", text)
    got = tuple(int(x) for x in m.groups())
    grid, block, smem = launch_config(B, Hq, Lq, Dqk,
                                      4 if dt == "f32" else 2, general=True,
                                      v_head_dim=Dv)
    want = tuple(grid) + (block[0], smem)
    return "ok" if got == want else "BAD %s != %s" % (got, want)


def constant(text, value, ty):
    return re.search(r'(%%\w+) = "arith.constant"\(\) <\{value = %s : %s\}>'
                     % (value, ty), text).group(1)


def drop_xor16(text):
    """Adds a lane's partial dot to itself instead of to the xor-16
    partner's (the first shuffle of the first row's reduction)."""
    c16 = constant(text, 16, "i32")
    m = re.search(r'(%\w+):2 = "gpu.shuffle"\((%\w+), ' + c16, text)
    return text.replace(m.group(1) + "#0", m.group(2))


def mask_at_row(text):
    """Indexes the boolean mask [B, 1, Lq, Lkv] with the row for the key."""
    def swap(m):
        ops = m.group(2).split(", ")
        ops[4] = ops[3]
        return m.group(1) + ", ".join(ops) + m.group(3)
    return re.sub(r'("memref.load"\()([^)]*)(\) <\{[^}]*\}> : '
                  r'\(memref<2x1x19x41xi1>)', swap, text)


def kv_lengths_batch0(text):
    """Loads kv_lengths[0] in every block."""
    c0 = constant(text, 0, "index")
    return re.sub(r'("memref.load"\(%\w+, )(%\w+)(\)[^\n]*memref<2xi64>)',
                  r"\g<1>" + c0 + r"\3", text)


# CHECK: f32_d80_causal_gqa: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_d256_dense: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_mla_192_128_window: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: bf16_d32_chunked: rel max|O - ref| = {{.*}} ok
# CHECK: f16_d160_dense: rel max|O - ref| = {{.*}} ok
# CHECK: f32_empty_rows: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_bool_mask_bcast: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: bf16_additive_mask_2d: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f16_mask_lengths: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_lengths_causal: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_document_sinks: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_alibi_softcap: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f32_sigmoid_causal_gqa: rel max|O - ref| = {{.*}} ok
# CHECK: f32_softpick_mask_lengths: rel max|O - ref| = {{.*}} ok
# CHECK: f32_dynamic_causal_gqa: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: bf16_dynamic_kv_mask_lengths: rel max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: f16_dynamic_q_document_window: rel max|O - ref| = {{.*}} ok
# CHECK: f32_d256_dense (ex2 error 2^-22): rel max|O - ref| = {{.*}} ok
# CHECK: f32_mla_192_128_window (ex2 error 2^-22): rel max|O - ref| = {{.*}} ok
# CHECK: dynamic Lq = 0: ok
# CHECK: launch_config f32_d80_causal_gqa: ok
# CHECK: launch_config f32_mla_192_128_window: ok
# CHECK: mutant P.V with xor shuffles for idx (p of lane lane ^ j): caught
# CHECK: mutant score reduction without its first xor-16 step: caught
# CHECK: mutant mask read at (row, row) instead of (row, key): caught
# CHECK: mutant kv_lengths of batch 0 for every batch: caught
# CHECK: mutant dynamic Lq and Lkv arguments swapped: caught
# CHECK-NOT: BAD
# CHECK-NOT: MISSED
if __name__ == "__main__":
    main()
