"""Random-variant numeric check of the compiled attn code against numpy.

    python3 -m attn.testing.check --seed 0 --count 60 [--pipeline attn-cpu-pipeline]

Generates random variants of ``attn.attention`` (shapes with odd lengths,
Lq != Lkv, GQA ratios, dynamic dims, every mask kind, normaliser and
modifier), compiles them in one module, runs them on random inputs and
compares with the float64 numpy reference. Exits non-zero on any mismatch.
"""

import argparse
import random
import sys

import numpy as np

from attn import ir, reference, runner
from attn.testing.variants import (random_inputs, random_kv_blocks,
                                   random_variant)

# Relative tolerances from the arithmetic: f32 compute vs a float64
# reference; half-precision inputs and outputs round to 2^-8 (bf16) or
# 2^-11 (f16).
TOLERANCE = {"f32": 1e-5, "f16": 1e-2, "bf16": 1e-2}


def reference_for(var, x):
    """Runs the numpy reference on the (already rounded) inputs `x`."""
    kw = dict(scale=var.get("scale"), softcap=var.get("softcap"),
              masks=var.get("masks", ()),
              normalizer=var.get("normalizer", "softmax"),
              sigmoid_bias=var.get("sigmoid_bias") or 0.0)
    for name in ("mask", "q_lengths", "kv_lengths", "q_segment_ids",
                 "kv_segment_ids", "sinks"):
        if name in x:
            kw[name] = x[name]
    if var.get("score_mod"):
        kw["score_mod"] = ir.score_mod_numpy(var["score_mod"], x["cap"])
    if var.get("mask_mod"):
        kw["mask_mod"] = ir.mask_mod_numpy(var["mask_mod"])
    if var.get("kv_blocks"):
        kb = var["kv_blocks"]
        kw["kv_blocks"] = (x["kv_block_counts"], x["kv_block_indices"],
                           kb["q_block_size"], kb["kv_block_size"],
                           kb["per_group"])
    k, v = x["k"], x["v"]
    if var.get("paged"):
        k = reference.gather_pages(k, x["page_table"], var["paged"][0])
        v = reference.gather_pages(v, x["page_table"], var["paged"][0])
    return reference.attention(x["q"], k, v, **kw)


def compare(out, ref, tol):
    """Relative max-norm error; exact zeros where the reference is zero
    everywhere. Returns (ok, error, reason)."""
    if not np.all(np.isfinite(out)):
        return False, np.inf, "non-finite output"
    scale = np.max(np.abs(ref)) if ref.size else 0.0
    err = np.max(np.abs(out - ref)) if ref.size else 0.0
    if scale == 0.0:
        return err == 0.0, err, "expected all zeros"
    rel = err / scale
    return rel <= tol, rel, "relative error"


def compare_lse(out, ref, tol):
    ninf_ref = np.isneginf(ref)
    if not np.array_equal(np.isneginf(out), ninf_ref):
        return False, np.inf, "-inf pattern of the log-sum-exp differs"
    if np.any(np.isnan(out)):
        return False, np.inf, "NaN in the log-sum-exp"
    fin = ~ninf_ref
    if not fin.any():
        return True, 0.0, ""
    err = np.max(np.abs(out[fin] - ref[fin]) / np.maximum(1.0,
                                                          np.abs(ref[fin])))
    return err <= tol, err, "log-sum-exp error"


def run(seed, count, pipeline="attn-cpu-pipeline", verbose=False,
        dtype=None, variants=None, require=None, decode=False):
    """`require` keeps only variants with that feature set (e.g. 'mask'),
    drawing until `count` of them exist; ``require="kv_blocks"`` adds
    random key-block lists to every variant (drawn after its other
    features, so that the streams of the other requirements stay as they
    are)."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    if not variants:
        variants = []
        while len(variants) < count:
            var = random_variant(rng, dtype, decode=decode)
            if require == "kv_blocks":
                random_kv_blocks(rng, var)
            if not require or var.get(require):
                variants.append(var)
    module = "\n".join(ir.function("v%d" % i, v)
                       for i, v in enumerate(variants))
    lib = runner.compile_module(module, pipeline=pipeline)
    failures = 0
    for i, var in enumerate(variants):
        x = random_inputs(var, nrng)
        args = ir.arguments(var)
        storage = [runner.to_storage(x[name], elem)
                   for name, _, elem, _ in args]
        rounded = {name: (runner.from_storage(s, elem)
                          if elem in ("f32", "f16", "bf16") else x[name])
                   for (name, _, elem, _), s in zip(args, storage)}
        if "mask" in x and x["mask"].dtype == bool:
            rounded["mask"] = x["mask"]
        ref_out, ref_lse = reference_for(var, rounded)
        outs = [np.zeros(shape, runner.STORAGE[elem])
                for _, shape, elem, _ in ir.results(var)]
        runner.call(lib, "v%d" % i, storage, outs)
        tol = TOLERANCE[var["dtype"]]
        out = runner.from_storage(outs[0], var["dtype"])
        ok, err, why = compare(out, ref_out, tol)
        if ok and var.get("lse"):
            ok, err, why = compare_lse(outs[1].astype(np.float64), ref_lse,
                                       1e-5)
        if not ok or verbose:
            print("%s v%d: %s %.3g (tol %.0e) %s" %
                  ("ok  " if ok else "FAIL", i, why, err, tol, var))
        failures += not ok
    print("numeric check: %d variants, %d mismatches (seed %d, %s)" %
          (len(variants), failures, seed, pipeline))
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    ap.add_argument("--dtype", choices=sorted(TOLERANCE))
    ap.add_argument("--require", metavar="FEATURE",
                    help="only variants with this feature (e.g. mask, "
                    "segments, sinks; kv_blocks: key-block lists added to "
                    "every variant)")
    ap.add_argument("--decode", action="store_true",
                    help="draw decode shapes (Lq <= 16, GQA, long Lkv)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    return 1 if run(a.seed, a.count, a.pipeline, a.verbose, a.dtype,
                    require=a.require, decode=a.decode) else 0


if __name__ == "__main__":
    sys.exit(main())
