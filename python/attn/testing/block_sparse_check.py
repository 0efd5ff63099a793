"""Random-variant check of ``attn.block_scores`` / ``attn.select_blocks``.

    python3 -m attn.testing.block_sparse_check --op scores --seed 0 \\
        --count 40 [--pipeline attn-cpu-pipeline=reference=true]

Scores: GQA ratios, one row per query head or per group, query blocks,
block sizes that divide no length, Lq != Lk, zero sizes, mean / max /
compressed keys, sum / max reduction, causal visibility, the block softmax
with a computed or given lse, dynamic dims, f32 / f16 / bf16; compared with the
float64 model of :mod:`attn.block_sparse_reference` (the same ``-inf``
pattern, then 1e-5 relative error for f32 inputs, 1e-2 for f16 / bf16).
Selection: k from 0 to the number of blocks, forced first and local
blocks, full/partial split, a run-time k, explicit lengths, threshold
selection, scores with ties, ``-inf`` and NaN; compared exactly. Exits
non-zero on any mismatch.
"""

import argparse
import random
import sys

import numpy as np

from attn import block_sparse_reference as ref
from attn import runner
from attn.block_sparse_ir import (scores_arguments, scores_function,
                                  scores_results, select_arguments,
                                  select_function, select_results)

TOLERANCE = {"f32": 1e-5, "f16": 1e-2, "bf16": 1e-2}


def random_scores_variant(rng, dtype=None):
    Hkv = rng.choice([1, 1, 2])
    pooling = rng.choice(["mean", "mean", "max", "none"])
    bk = rng.choice([1, 2, 3, 4, 8, 16])
    var = {"B": rng.choice([1, 2]), "Hkv": Hkv,
           "Hq": Hkv * rng.choice([1, 2, 3]),
           "Lq": rng.choice([0, 1] + [rng.randint(2, 40)] * 8),
           "D": rng.choice([3, 8, 16]),
           "dtype": dtype or rng.choice(["f32"] * 5 + ["f16", "bf16"]),
           "block_size": bk, "query_block": rng.choice([1, 1, 2, 3, 8]),
           "pooling": pooling, "reduce": rng.choice(["sum", "max"]),
           "causal": rng.random() < 0.7, "normalize": rng.random() < 0.5,
           "heads": rng.choice(["q", "kv"])}
    var["Lk"] = (rng.choice([0, 1] + [rng.randint(2, 10)] * 6)
                 if pooling == "none" else
                 rng.choice([0, 1] + [rng.randint(2, 48)] * 8))
    if var["normalize"] and rng.random() < 0.5:
        var["lse"] = True
    # Empty sizes: no head dimension (an explicit scale), no batch row.
    r = rng.random()
    if r < 0.04:
        var["D"] = 0
    elif r < 0.07:
        var["B"] = 0
    if rng.random() < 0.2 or var["D"] == 0:
        var["scale"] = round(rng.uniform(0.1, 1.0), 3)
    if rng.random() < 0.25:
        var["dynamic"] = rng.sample(["B", "Hq", "Hkv", "Lq", "Lk", "D"],
                                    rng.randint(1, 3))
    return var


def random_select_variant(rng):
    nk = rng.choice([0, 1] + [rng.randint(2, 12)] * 6)
    k = rng.randint(0, nk)
    ff = rng.randint(0, k)
    var = {"B": rng.choice([0, 1, 2, 2]), "H": rng.choice([1, 2, 3]),
           "Nq": rng.choice([0, 1] + [rng.randint(2, 14)] * 6), "Nk": nk,
           "dtype": rng.choice(["f32", "f32", "f16", "bf16"]), "k": k,
           "block_size": rng.choice([1, 2, 4, 16]),
           "query_block": rng.choice([1, 1, 2, 3, 8]),
           "causal": rng.random() < 0.75, "forced_first": ff,
           "local": rng.randint(0, k - ff), "split": rng.random() < 0.4}
    if rng.random() < 0.3:
        var["k_dynamic"] = rng.randint(-1, k + 2)
    if rng.random() < 0.3 and var["Nq"] and nk:
        bq, bk = var["query_block"], var["block_size"]
        var["lengths"] = (rng.randint((var["Nq"] - 1) * bq + 1, var["Nq"] * bq),
                          rng.randint((nk - 1) * bk + 1, nk * bk))
    if rng.random() < 0.25:
        var["dynamic"] = rng.sample(["B", "H", "Nq", "Nk"], rng.randint(1, 2))
    if rng.random() < 0.35:
        # On the integer scores of select_inputs: bounds on a score, between
        # two, and 0 (the row's maximum only).
        var["threshold"] = rng.choice([0.0, -1.0, -2.0, -0.5, -2.75,
                                       -round(rng.uniform(0.0, 4.0), 3)])
    return var


def scores_inputs(var, nrng):
    x = {"q": nrng.standard_normal((var["B"], var["Hq"], var["Lq"], var["D"])),
         "k": nrng.standard_normal((var["B"], var["Hkv"], var["Lk"],
                                    var["D"]))}
    return x


def compare_scores(out, expected, tol):
    if not np.array_equal(np.isneginf(out), np.isneginf(expected)):
        return False, np.inf, "-inf pattern differs"
    fin = ~np.isneginf(expected)
    if not np.all(np.isfinite(out[fin])):
        return False, np.inf, "non-finite score"
    if not fin.any():
        return True, 0.0, ""
    scale = max(1.0, np.max(np.abs(expected[fin])))
    err = np.max(np.abs(out[fin] - expected[fin])) / scale
    return err <= tol, err, "relative error"


def check_scores(var, lib, name, nrng):
    x = scores_inputs(var, nrng)
    args = scores_arguments(var)
    rounded = {n: runner.from_storage(runner.to_storage(x[n], e), e)
               for n, (_, _, e, _) in zip(("q", "k"), args)}
    kw = dict(block_size=var["block_size"], query_block=var["query_block"],
              pooling=var["pooling"], reduce=var["reduce"],
              causal=var["causal"], normalize=var["normalize"],
              scale=var.get("scale"), heads=var["heads"])
    if var.get("lse"):
        # Any lse is valid; one near the true one keeps exp() in range.
        true = _true_lse(rounded, var)
        given = np.where(np.isneginf(true), true,
                         true + nrng.uniform(0.0, 1.0, true.shape))
        x["lse"] = rounded["lse"] = given.astype(np.float32).astype(np.float64)
        kw["lse"] = rounded["lse"]
    expected = ref.block_scores(rounded["q"], rounded["k"], **kw)
    storage = [runner.to_storage(x[n], e) for n, _, e, _ in args]
    _, shape, _, _ = scores_results(var)[0]
    out = np.zeros(shape, np.float32)
    runner.call(lib, name, storage, [out])
    return compare_scores(out.astype(np.float64), expected,
                          TOLERANCE[var["dtype"]])


def _true_lse(x, var):
    """The log-sum-exp over visible blocks that the op computes itself."""
    kp = ref.pool_keys(x["k"], var["block_size"], var["pooling"])
    q = x["q"]
    B, Hq, Lq, D = q.shape
    g = Hq // var["Hkv"]
    nk = kp.shape[2]
    lkv = var["Lk"] if var["pooling"] != "none" else nk * var["block_size"]
    scale = var.get("scale") or 1.0 / np.sqrt(D)
    lse = np.full((B, Hq, Lq), -np.inf)
    for h in range(Hq):
        s = scale * q[:, h] @ kp[:, h // g].transpose(0, 2, 1)
        for i in range(Lq):
            vis = [n for n in range(nk) if not var["causal"] or
                   n * var["block_size"] <= i + lkv - Lq]
            if vis:
                row = s[:, i, vis]
                m = row.max(-1)
                lse[:, h, i] = m + np.log(np.exp(row - m[:, None]).sum(-1))
    return lse


def select_inputs(var, nrng):
    shape = (var["B"], var["H"], var["Nq"], var["Nk"])
    # Few distinct values: many ties; some -inf and NaN.
    s = nrng.integers(-3, 4, size=shape).astype(np.float64)
    r = nrng.random(shape)
    s[r < 0.08] = -np.inf
    s[(r >= 0.08) & (r < 0.12)] = np.nan
    x = {"s": s}
    if var.get("k_dynamic") is not None:
        x["kd"] = np.array(var["k_dynamic"], np.int32)
    if var.get("lengths") is not None:
        x["len"] = np.array(var["lengths"], np.int64)
    return x


def check_select(var, lib, name, nrng):
    x = select_inputs(var, nrng)
    args = select_arguments(var)
    storage = [runner.to_storage(x[n], e) for n, _, e, _ in args]
    res = select_results(var)
    outs = [np.zeros(s, np.int32) for _, s, _, _ in res]
    runner.call(lib, name, storage, outs)
    expected = ref.select_blocks(
        x["s"], k=var["k"], block_size=var["block_size"],
        query_block=var["query_block"], causal=var["causal"],
        forced_first=var["forced_first"], local=var["local"],
        split=var["split"], k_dynamic=var.get("k_dynamic"),
        lengths=var.get("lengths"), threshold=var.get("threshold"))
    for (rname, _, _, _), o, e in zip(res, outs, expected):
        if not np.array_equal(o, e):
            return False, 1.0, rname + " differ"
    return True, 0.0, ""


def run(op, seed, count, pipeline="attn-cpu-pipeline", verbose=False,
        dtype=None):
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    if op == "scores":
        variants = [random_scores_variant(rng, dtype) for _ in range(count)]
        module = "\n".join(scores_function("v%d" % i, v)
                           for i, v in enumerate(variants))
        check = check_scores
    else:
        variants = [random_select_variant(rng) for _ in range(count)]
        module = "\n".join(select_function("v%d" % i, v)
                           for i, v in enumerate(variants))
        check = check_select
    lib = runner.compile_module(module, pipeline=pipeline)
    failures = 0
    for i, var in enumerate(variants):
        ok, err, why = check(var, lib, "v%d" % i, nrng)
        if not ok or verbose:
            print("%s v%d: %s %.3g %s" % ("ok  " if ok else "FAIL", i, why,
                                          err, var))
        failures += not ok
    print("block %s check: %d variants, %d mismatches (seed %d, %s)" %
          (op, len(variants), failures, seed, pipeline))
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--op", choices=["scores", "select"], default="scores")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    ap.add_argument("--dtype", choices=sorted(TOLERANCE))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    return 1 if run(a.op, a.seed, a.count, a.pipeline, a.verbose,
                    a.dtype) else 0


if __name__ == "__main__":
    sys.exit(main())
