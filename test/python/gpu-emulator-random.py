# RUN: %python %s --seed 7 --count 16 | FileCheck %s --implicit-check-not=FAIL
# RUN: not %python %s --seed 7 --count 16 --plant-bug | FileCheck %s --check-prefix=BUG
"""Random-variant check of the GPU kernels without a GPU.

Draws random variants of attn.attention with attn.testing.variants (odd lengths,
Lq != Lkv, GQA, every structured mask, boolean and additive mask tensors
with broadcast dims, lengths, documents, sinks, score_mod/mask_mod,
softcap, lse, every normaliser), restricted to what the GPU path takes
(static batch/heads/head dims). About half are reshaped to f16/bf16 with
D = Dv = 64, so that convert-attn-to-gpu builds the tensor-core kernel
(alternately mma.sync and wgmma); the others get the general kernel.
Both take dynamic B, Lq and Lkv as drawn. Each kernel is interpreted by
attn.testing.gpu_emulator for its whole grid and compared with the
float64 reference with attn.testing.check's tolerances.

    PYTHONPATH=python python3 gpu-emulator-random.py --seed 7 --count 16
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

import numpy as np

from attn import ir
from attn.gpu import uses_tensor_cores
from attn.testing import check
from attn.testing.gpu_emulator import Emulator, kernels, round_to
from attn.testing.variants import random_inputs, random_variant
from attn.runner import attn_opt


def gpu_variant(rng, fast):
    """A random variant the GPU path takes; `fast`: shaped for the
    tensor-core kernel (kept small: the emulator is slow)."""
    var = random_variant(rng)
    # convert-attn-to-gpu rejects paged K/V (and `fast` resizes Lkv).
    var.pop("paged", None)
    dyn = [d for d in var.get("dynamic", ()) if d in ("B", "Lq", "Lkv")]
    if fast:
        # The resized lengths no longer match a neighbourhood grid.
        var["masks"] = [t for t in var.get("masks", ())
                        if t[0] != "neighborhood"]
        var.update(dtype=rng.choice(["f16", "bf16"]), D=64, Dv=64,
                   B=1, Hkv=rng.choice([1, 2]),
                   Lq=rng.randint(1, 80), Lkv=rng.randint(1, 150))
        var["Hq"] = var["Hkv"] * rng.choice([1, 2])
        if var.get("mask"):
            # The mask shape follows the new sizes (same rank, same
            # broadcast dims).
            old = var["mask_shape"]
            full = [var["B"], var["Hq"], var["Lq"], var["Lkv"]]
            full = full[4 - len(old):]
            var["mask_shape"] = tuple(
                1 if (i < len(old) - 2 and old[i] == 1) else d
                for i, d in enumerate(full))
    if dyn and var.get("score_mod") != "table":
        # (A captured table spanning a dynamic length is diagnosed: captures
        # must be static.)
        var["dynamic"] = dyn
    else:
        var.pop("dynamic", None)
    return var


# --plant-bug: every structured `sle` comparison becomes `slt` (the causal
# diagonal and window edges drop), to show that the check fails.
PLANT_BUG = False


def lower(text, mma):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.mlir")
        with open(src, "w") as f:
            f.write(text)
        chip = "sm_90a" if mma == "wgmma" else "sm_90"
        p = subprocess.run(
            [attn_opt(), src, "--convert-attn-to-gpu=chip=%s mma=%s" %
             (chip, mma), "--canonicalize", "--cse",
             "--mlir-print-op-generic"], capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError(p.stderr[-3000:])
        if PLANT_BUG:
            return p.stdout.replace("predicate = 3 : i64",
                                    "predicate = 2 : i64")
        return p.stdout


def emulate(name, var, mma, nrng):
    """(ok, kernel kind, message) of one variant."""
    x = random_inputs(var, nrng)
    args = ir.arguments(var)
    # Inputs as the kernel reads them (rounded to their element type).
    rounded = {}
    for aname, _, elem, _ in args:
        v = x[aname]
        rounded[aname] = (round_to(v, elem) if elem in ("f32", "f16", "bf16")
                          and v.dtype != bool else v)
    ref_out, ref_lse = check.reference_for(var, rounded)
    fast = uses_tensor_cores(var["dtype"], var["D"], var["Dv"])
    text = lower(ir.function(name, var), mma if fast else "sync")
    kind = ("tensor-core " + mma) if fast else "general"
    if fast != ("nvvm.mma.sync" in text or "wgmma" in text):
        return False, kind, "unexpected kernel kind"
    func = kernels(text)[name + "_attn_0"]
    B, Hq, Lq, Dv = var["B"], var["Hq"], var["Lq"], var["Dv"]
    out = np.full((B, Hq, Lq, Dv), np.nan)
    kargs = [rounded["q"], rounded["k"], rounded["v"], out]
    lse = np.full((B, Hq, Lq), np.nan) if var.get("lse") else None
    if lse is not None:
        kargs.append(lse)
    kargs += [rounded[a[0]] for a in args[3:]]
    if var.get("dynamic"):
        kargs += [np.full(128, Lq, np.int64),
                  np.full(128, var["Lkv"], np.int64)]
    rows = 64 if fast else 16
    Emulator(func).run(((Lq + rows - 1) // rows, Hq, B), kargs)
    out = round_to(out, var["dtype"])
    ok, err, why = check.compare(out, ref_out, check.TOLERANCE[var["dtype"]])
    if ok and lse is not None:
        ok, err, why = check.compare_lse(lse, ref_lse, 1e-5)
    return ok, kind, "%s %.2g" % (why, err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=16)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--plant-bug", action="store_true")
    args = ap.parse_args()
    global PLANT_BUG
    PLANT_BUG = args.plant_bug
    rng = random.Random(args.seed)
    nrng = np.random.default_rng(args.seed)
    failures = 0
    seen = set()
    for i in range(args.count):
        fast = i % 2 == 0
        var = gpu_variant(rng, fast)
        mma = "wgmma" if i % 4 == 0 else "sync"
        ok, kind, msg = emulate("v%d" % i, var, mma, nrng)
        seen.add(kind)
        if not ok or args.verbose:
            print("%s v%d: %s: %s %s" % ("ok  " if ok else "FAIL", i, kind,
                                        msg, var))
        failures += not ok
    print("gpu random check: %d variants, %d mismatches (seed %d), kernels: "
          "%s" % (args.count, failures, args.seed, ", ".join(sorted(seen))))
    return 1 if failures else 0


# CHECK: gpu random check: 16 variants, 0 mismatches (seed 7), kernels: general, tensor-core sync, tensor-core wgmma
# BUG: gpu random check: 16 variants, {{[1-9][0-9]*}} mismatches
if __name__ == "__main__":
    sys.exit(main())
