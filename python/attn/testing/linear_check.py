"""Random-variant numeric check of ``attn.linear_attention`` against numpy.

    python3 -m attn.testing.linear_check --seed 0 --count 40 \\
        [--pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=5"]

Draws random variants (GQA, Dk != Dv, odd lengths, L = 0 and 1, every
decay kind, feature map, user feature maps traced into q_mod/k_mod,
normalisation, packed sequences as segment ids or cumulative lengths,
initial and final states, dynamic dims, f32/f16/bf16), compiles them in
one module, runs them on random inputs and compares the output and final
states with the float64 recurrence of :mod:`attn.linear_reference`, which
calls the user maps themselves on numpy arrays (not their traces). Exits
non-zero on any mismatch.
"""

import argparse
import random
import sys

import numpy as np

from attn import linear_reference, runner
from attn import trace as tr
from attn.linear_ir import arguments, function, results  # noqa: F401
from attn.testing.check import compare

TOLERANCE = {"f32": 1e-5, "f16": 1e-2, "bf16": 1e-2}
# The states are f32 whatever the inputs: f32 accumulation error only.
STATE_TOLERANCE = 1e-5


# User feature maps (q_mod / k_mod): written with numpy functions, so the
# same Python function is traced into the region and run by the reference.
# The positive ones keep a normaliser well conditioned.
USER_MAPS = {
    "square": lambda x, b, h, t, d: x * x,
    "exp": lambda x, b, h, t, d: np.exp(x),              # Hedgehog-like
    "taylor": lambda x, b, h, t, d: 1 + x + x * x / 2,   # Based
    "relu_shift": lambda x, b, h, t, d: np.maximum(x, 0) + 0.1 * (h + 1),
}
POSITIVE_MAPS = ("square", "exp", "taylor", "relu_shift")


def _table_map(w):
    """A per-head per-channel scale read from a captured table."""
    return lambda x, b, h, t, d: w[h, d] * x


def user_maps(rng, var):
    """Draws q_mod / k_mod for an identity-map variant: their traces, in a
    registry of the captures they read (var["captures"])."""
    registry = tr.Captures()
    heads = {"q_mod": var["Hq"], "k_mod": var["Hkv"]}
    for kind in ("q_mod", "k_mod"):
        r = rng.random()
        if r < 0.2:
            continue
        if r < 0.35 and var["Dk"] > 0:
            nrng = np.random.default_rng(rng.randrange(1 << 30))
            w = nrng.uniform(0.5, 1.5, (heads[kind], var["Dk"]))
            fn, name = _table_map(w.astype(np.float32)), "table"
        else:
            name = rng.choice(sorted(USER_MAPS))
            fn = USER_MAPS[name]
        var[kind] = tr.trace(fn, kind, registry)
        var[kind + "_name"] = name
    var["captures"] = list(registry.items)


def random_variant(rng, dtype=None):
    Hkv = rng.choice([1, 1, 2])
    var = {
        "B": rng.choice([1, 2]),
        "Hkv": Hkv,
        "Hq": Hkv * rng.choice([1, 2, 3]),
        "L": rng.choice([0, 1] + [rng.randint(2, 40)] * 8),
        "Dk": rng.choice([3, 4, 8, 16]),
        "dtype": dtype or rng.choice(["f32"] * 6 + ["f16", "bf16"]),
        "causal": rng.random() < 0.8,
        "feature": rng.choice(["identity", "elu1", "relu"]),
    }
    var["Dv"] = var["Dk"] if rng.random() < 0.5 else rng.choice([2, 5, 12])
    # Empty head dims (Dk = 0 needs an explicit scale).
    r = rng.random()
    if r < 0.04:
        var["Dv"] = 0
    elif r < 0.07:
        var["Dk"] = 0
    if rng.random() < 0.2:
        var["L"] = rng.randint(40, 140)
    if var["feature"] == "identity" and rng.random() < 0.5:
        user_maps(rng, var)
    if var["causal"]:
        var["decay"] = rng.choice([None, "head", "token", "channel"])
    # A normaliser is well conditioned with positive features only.
    positive = var["feature"] != "identity" or all(
        var.get(m + "_name") in POSITIVE_MAPS for m in ("q_mod", "k_mod"))
    if positive and rng.random() < 0.4:
        var["normalize"] = True
        if rng.random() < 0.5:
            var["eps"] = rng.choice([1e-3, 0.5])
    r = rng.random()
    if r < 0.2:
        var["segments"] = "ids"
    elif r < 0.3:
        var["segments"] = "cu"
    var["initial_state"] = rng.random() < 0.4
    # With Dk = 0 the output and the final state are both empty; when their
    # types coincide, CSE makes the function return one tensor twice, on
    # which the upstream -buffer-results-to-out-params crashes (LLVM 22,
    # any function: `return %e, %e`), so no final state there.
    var["final_state"] = rng.random() < 0.6 and var["Dk"] != 0
    if rng.random() < 0.3 or var["Dk"] == 0:
        var["scale"] = round(rng.uniform(0.1, 1.0), 3)
    if rng.random() < 0.25:
        var["dynamic"] = rng.sample(["B", "H", "Hkv", "L", "Dk", "Dv"],
                                    rng.randint(1, 3))
    return var


def random_inputs(var, nrng):
    B, Hq, Hkv, L = var["B"], var["Hq"], var["Hkv"], var["L"]
    Dk, Dv = var["Dk"], var["Dv"]
    x = {"q": nrng.standard_normal((B, Hq, L, Dk)),
         "k": nrng.standard_normal((B, Hkv, L, Dk)),
         "v": nrng.standard_normal((B, Hkv, L, Dv))}
    decay = var.get("decay")
    if decay == "head":
        x["g"] = -nrng.uniform(0.01, 0.5, size=Hq)
    elif decay == "token":
        x["g"] = -nrng.uniform(0.0, 0.7, size=(B, Hq, L))
    elif decay == "channel":
        x["g"] = -nrng.uniform(0.0, 0.7, size=(B, Hq, L, Dk))
    if var.get("segments") == "ids":
        # Contiguous runs of increasing ids.
        starts = nrng.random((B, L)) < 0.15
        x["seg"] = np.cumsum(starts, axis=1).astype(np.int32)
    elif var.get("segments") == "cu":
        x["cu"] = var["cu"]
    if var.get("initial_state"):
        x["s0"] = nrng.standard_normal((B, Hq, Dk, Dv))
        if var.get("normalize"):
            x["z0"] = nrng.uniform(0.0, 2.0, size=(B, Hq, Dk))
    for c in var.get("captures", ()):
        x["cap_" + c.name] = c.array
    return x


def draw(rng, count, dtype=None, require=None):
    variants = []
    while len(variants) < count:
        var = random_variant(rng, dtype)
        if require and not var.get(require):
            continue
        if var.get("segments") == "cu":
            cuts = sorted(rng.sample(range(1, var["L"] + 1),
                                     min(var["L"], rng.randint(0, 4))))
            var["cu"] = np.array([0] + cuts + [var["L"]], np.int64)
            var["ncu"] = len(var["cu"])
        variants.append(var)
    return variants


def reference_for(var, x):
    return linear_reference.linear_attention(
        x["q"], x["k"], x["v"], log_decay=x.get("g"),
        segment_ids=x.get("seg"), cu_seqlens=x.get("cu"),
        initial_state=x.get("s0"), initial_norm=x.get("z0"),
        scale=var.get("scale"), feature=var["feature"],
        q_mod=var["q_mod"].fn if var.get("q_mod") else None,
        k_mod=var["k_mod"].fn if var.get("k_mod") else None,
        causal=var.get("causal", False),
        normalize=var.get("normalize", False),
        eps=var.get("eps") if var.get("eps") is not None else 1e-6)


# Variant entries left out of a mismatch report (the map names say it).
_UNPRINTED = ("cu", "q_mod", "k_mod", "captures")


def run(seed, count, pipeline="attn-cpu-pipeline", verbose=False, dtype=None,
        require=None):
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    variants = draw(rng, count, dtype, require)
    module = "\n".join(function("v%d" % i, v) for i, v in enumerate(variants))
    lib = runner.compile_module(module, pipeline=pipeline)
    failures = 0
    for i, var in enumerate(variants):
        x = random_inputs(var, nrng)
        args = arguments(var)
        storage = [runner.to_storage(x[n], e) for n, _, e, _ in args]
        rounded = {n: (runner.from_storage(s, e)
                       if e in ("f32", "f16", "bf16") else x[n])
                   for (n, _, e, _), s in zip(args, storage)}
        ref = reference_for(var, rounded)
        res = results(var)
        outs = [np.zeros(s, runner.STORAGE[e]) for _, s, e, _ in res]
        runner.call(lib, "v%d" % i, storage, outs)
        ok, err, why = compare(runner.from_storage(outs[0], var["dtype"]),
                               ref[0], TOLERANCE[var["dtype"]])
        for j in range(1, len(outs)):
            if ok:
                ok, err, why = compare(outs[j].astype(np.float64), ref[j],
                                       STATE_TOLERANCE)
                why = res[j][0] + " " + why
        if not ok or verbose:
            print("%s v%d: %s %.3g %s" % ("ok  " if ok else "FAIL", i, why,
                                          err, {k: v for k, v in var.items()
                                                if k not in _UNPRINTED}))
        failures += not ok
    print("linear attention check: %d variants, %d mismatches (seed %d, %s)"
          % (len(variants), failures, seed, pipeline))
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    ap.add_argument("--dtype", choices=sorted(TOLERANCE))
    ap.add_argument("--require", metavar="FEATURE")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    return 1 if run(a.seed, a.count, a.pipeline, a.verbose, a.dtype,
                    a.require) else 0


if __name__ == "__main__":
    sys.exit(main())
