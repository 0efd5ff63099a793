# RUN: %python %s | FileCheck %s
"""Emulates the convert-attn-to-gpu kernels with numpy (attn.gpu_emulator:
lockstep threads, PTX fragment layouts of ldmatrix and mma.sync) and
compares them with the float64 reference, so the kernel's indexing,
double buffering, masking and online softmax are checked without a GPU.

Inputs are rounded to the storage type first; the tolerance covers the
f16/bf16 rounding of P before P.V (the only rounding inside the kernel).
"""

import os
import subprocess
import tempfile

import numpy as np

from attn import reference
from attn.gpu_emulator import Emulator, kernels, round_to
from attn.runner import attn_opt

CASES = [
    # name, dtype, B, Hq, Hkv, Lq, Lkv, D, attr, numpy masks, out, lse
    ("causal_gqa", "bf16", 1, 4, 2, 100, 150, 64, "{masks = [#attn.causal]}",
     [("causal",)], "f32", True),
    ("dense_d128", "f16", 1, 1, 1, 64, 200, 128, "{scale = 0.1}", [],
     "f16", False),
    ("window", "bf16", 1, 1, 1, 130, 130, 64,
     "{masks = [#attn.sliding_window<left = 70, right = 0>]}",
     [("sliding_window", 70, 0)], "bf16", True),
    ("chunked_causal", "f16", 1, 2, 1, 150, 150, 64,
     "{masks = [#attn.causal, #attn.chunked<48>]}",
     [("causal",), ("chunked", 48)], "f32", False),
    ("prefix_lm", "bf16", 1, 1, 1, 80, 200, 64,
     "{masks = [#attn.prefix_lm<90>]}", [("prefix_lm", 90)], "f32", True),
    # Lq > Lkv: the first 60 aligned rows see no key (O = 0, lse = -inf).
    ("causal_empty_rows", "bf16", 1, 1, 1, 100, 40, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True),
    ("dense_d96", "f16", 1, 1, 1, 64, 100, 96, "", [], "f32", False),
    ("dilated", "f16", 1, 1, 1, 64, 130, 64,
     "{masks = [#attn.dilated<3>]}", [("dilated", 3)], "f32", False),
]


def module(case):
    name, dt, B, Hq, Hkv, Lq, Lkv, D, attr, _, out, lse = case
    t = lambda s, e: "tensor<%sx%s>" % ("x".join(map(str, s)), e)
    qt, kt = t((B, Hq, Lq, D), dt), t((B, Hkv, Lkv, D), dt)
    ot, lt = t((B, Hq, Lq, D), out), t((B, Hq, Lq), "f32")
    res = "%s, %s" % (ot, lt) if lse else ot
    names = "%o, %lse" if lse else "%o"
    return """
func.func @{name}(%q: {qt}, %k: {kt}, %v: {kt}) -> ({res}) {{
  {names} = attn.attention ins(%q, %k, %v : {qt}, {kt}, {kt}) {attr} -> {res}
  return {names} : {res}
}}""".format(**locals())


def lower(text):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.mlir")
        with open(src, "w") as f:
            f.write(text)
        return subprocess.run(
            [attn_opt(), src, "--convert-attn-to-gpu", "--canonicalize",
             "--cse", "--mlir-print-op-generic"],
            check=True, capture_output=True, text=True).stdout


def emulate(case, mutate=None, seed=1):
    """Returns (max |O - ref|, max |lse - ref| or None)."""
    rng = np.random.default_rng(seed)
    name, dt, B, Hq, Hkv, Lq, Lkv, D, attr, masks, out, lse = case
    text = lower(module(case))
    if mutate:
        text = mutate(text)
    func = kernels(text)[name + "_attn_0"]
    q = round_to(rng.standard_normal((B, Hq, Lq, D)), dt)
    k = round_to(rng.standard_normal((B, Hkv, Lkv, D)), dt)
    v = round_to(rng.standard_normal((B, Hkv, Lkv, D)), dt)
    o = np.full((B, Hq, Lq, D), np.nan)
    args = [q, k, v, o]
    if lse:
        args.append(np.full((B, Hq, Lq), np.nan))
    Emulator(func).run(((Lq + 63) // 64, Hq, B), args)
    scale = 0.1 if "scale" in attr else None
    ref_o, ref_lse = reference.attention(q, k, v, scale=scale, masks=masks)
    err = np.max(np.abs(o - ref_o))
    if not lse:
        return err, None
    got = args[4]
    same_inf = np.isinf(ref_lse) & (got == ref_lse)
    with np.errstate(invalid="ignore"):
        diff = np.abs(got - ref_lse)
    return err, np.max(np.where(same_inf, 0.0, diff))


def main():
    for case in CASES:
        name = case[0]
        err, lerr = emulate(case)
        line = "%s: max|O - ref| = %.1e %s" % (
            name, err, "ok" if err < 2e-2 else "BAD")
        if lerr is not None:
            line += ", max|lse - ref| = %.1e %s" % (
                lerr, "ok" if lerr < 1e-5 else "BAD")
        print(line)
    # The check can fail: kernels with a planted bug are caught.
    mutants = [
        ("V fragments without ldmatrix.trans",
         lambda t: t.replace("transpose = true", "transpose = false")),
        ("causal diagonal dropped (sle -> slt)",
         lambda t: t.replace("predicate = 3 : i64", "predicate = 2 : i64")),
    ]
    for what, mutate in mutants:
        err, _ = emulate(CASES[0], mutate)
        print("mutant %s: %s" % (what, "caught" if not err < 2e-2
                                  else "MISSED"))


# CHECK: causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dense_d128: max|O - ref| = {{.*}} ok
# CHECK: window: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: chunked_causal: max|O - ref| = {{.*}} ok
# CHECK: prefix_lm: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: causal_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dense_d96: max|O - ref| = {{.*}} ok
# CHECK: dilated: max|O - ref| = {{.*}} ok
# CHECK: mutant V fragments without ldmatrix.trans: caught
# CHECK: mutant causal diagonal dropped (sle -> slt): caught
# CHECK-NOT: BAD
# CHECK-NOT: MISSED
if __name__ == "__main__":
    main()
