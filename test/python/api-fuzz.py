# RUN: rm -rf %t && env ATTN_CACHE_DIR=%t %python %s | FileCheck %s --implicit-check-not=WRONG

"""Issue #17, Python API fuzz: random shapes (zero sizes and dynamic dims
included), dtypes, structured masks, mask operands, scales, sinks, the
log-sum-exp, key-block lists, and bad arguments (wrong shapes, dtypes,
layouts, list specs and list arrays), on a fixed seed. Every case ends in a Python exception or in an answer that matches
the float64 reference; a segfault kills the test, a wrong answer prints
WRONG."""

import numpy as np

import attn
from attn import runner
from attn.testing.variants import random_block_lists

rng = np.random.default_rng(17)
TOL = {"f32": 2e-4, "f16": 2e-2, "bf16": 6e-2}
counts = {"ok": 0, "error": 0, "wrong": 0}


def storage(x, dtype):
    if dtype == "bf16":
        return runner.to_bf16_bits(x.astype(np.float32))
    return np.ascontiguousarray(x, attn.api.STORAGE[dtype])


def compare(kern, args, dtype, return_lse):
    """Runs the kernel and its float64 reference; AssertionError when they
    differ."""
    got = kern(**args)
    want = kern.reference(**args)
    if not return_lse:
        got, want = (got,), (want,)
    for g, w in zip(got, want):
        g = (runner.from_bf16_bits(g) if dtype == "bf16" and
             g.dtype == np.uint16 else g).astype(np.float64)
        if g.shape != w.shape:
            raise AssertionError("shape %s, want %s" % (g.shape, w.shape))
        fin = np.isfinite(w)
        if not (np.array_equal(np.isfinite(g), fin) and
                np.allclose(g[fin], w[fin], atol=TOL[dtype],
                            rtol=TOL[dtype])):
            raise AssertionError("values differ")


def report(label, e):
    """Prints the answer of a case that raised."""
    if isinstance(e, AssertionError):
        counts["wrong"] += 1
        print("%s -> WRONG: %s" % (label, e))
        return
    counts["error"] += 1
    print("%s -> %s: %s" % (label, type(e).__name__,
                            " | ".join(l for l in str(e).splitlines()
                                       if "error" in l)[:200] or
                            str(e).splitlines()[0][:160]))


def case(i):
    dtype = str(rng.choice(["f32", "f16", "bf16"]))
    B, Hkv = int(rng.choice([0, 1, 2])), int(rng.choice([1, 2]))
    Hq = Hkv * int(rng.choice([0, 1, 2]))
    Lq, Lkv = int(rng.choice([0, 1, 5, 17])), int(rng.choice([0, 1, 9]))
    D, Dv = int(rng.choice([1, 4, 8])), int(rng.choice([0, 2, 8]))
    sizes = [B, Hq, Lq, D]
    qs = [None if rng.random() < 0.3 else s for s in sizes]
    ks = [qs[0], Hkv, None if rng.random() < 0.3 else Lkv, qs[3]]
    vs = [qs[0], Hkv, ks[2], Dv]
    kw = dict(dtype=dtype, return_lse=bool(rng.random() < 0.4))
    if rng.random() < 0.4:
        kw["masks"] = [[attn.causal(), attn.sliding_window(2),
                        attn.chunked(3)][rng.integers(3)]]
    if rng.random() < 0.3:
        kw["scale"] = float(rng.choice([0.5, -1.0, 0.0]))
    if rng.random() < 0.3:
        kw["mask"] = (Lq, Lkv)
    bad = str(rng.choice(["none", "none", "shape", "dtype", "layout"]))
    label = "case %d %s q=%s k=%s v=%s %s bad=%s" % (
        i, dtype, qs, ks, vs, sorted(k for k in kw if k != "dtype"), bad)
    try:
        kern = attn.attention(qs, ks, vs, **kw)
        q = storage(rng.standard_normal((B, Hq, Lq, D)), dtype)
        k = storage(rng.standard_normal((B, Hkv, Lkv, D)), dtype)
        v = storage(rng.standard_normal((B, Hkv, Lkv, Dv)), dtype)
        args = dict(q=q, k=k, v=v)
        if "mask" in kw:
            args["mask"] = rng.random((Lq, Lkv)) < 0.7
        if bad == "shape":
            args["q"] = storage(np.zeros((B + 1, Hq, Lq + 2, D)), dtype)
        elif bad == "dtype":
            args["k"] = k.astype(np.float64)
        elif bad == "layout" and k.ndim == 4 and k.size > 1:
            args["k"] = np.asfortranarray(k)
        compare(kern, args, dtype, kw["return_lse"])
        if bad != "none" and not (bad == "layout" and k.size <= 1):
            print("%s -> WRONG: bad arguments accepted" % label)
            counts["wrong"] += 1
            return
        counts["ok"] += 1
        print("%s -> ok" % label)
    except Exception as e:  # noqa: BLE001 - any exception is an answer
        report(label, e)


# Key-block lists, on a generator of their own (the cases above keep their
# draws): GQA ratios, zero and odd sizes, block sizes dividing no length,
# K from 0 past the number of key blocks, lists per query head, per GQA
# group or shared, dynamic dims, random list contents with repeats,
# padding, out-of-range entries and counts outside [0, K]
# (attn.testing.variants.random_block_lists), tile sizes that cut blocks;
# bad list arguments at build and call time.
krng = np.random.default_rng(15)


def pick(*xs):
    return xs[krng.integers(len(xs))]


def kv_case(i):
    dtype = pick("f32", "f32", "f16", "bf16")
    Hkv = pick(1, 2, 3)
    Hq = Hkv * pick(1, 2, 4)
    B = pick(0, 1, 2, 2, 2)
    Lq, Lkv = pick(0, 1, 5, 17, 33, 33), pick(0, 1, 9, 23, 40, 40)
    D, Dv = pick(4, 8, 16), pick(4, 8)
    sq = pick(1, 2, 3, 7, 16, int(krng.integers(1, Lq + 3)))
    skv = pick(1, 2, 5, 8, int(krng.integers(1, Lkv + 3)))
    Nq, nkb = -(-Lq // sq), -(-Lkv // skv)
    K = pick(0, 1, int(krng.integers(1, nkb + 3)), nkb, nkb + 2)
    per_group = Hq != Hkv and krng.random() < 0.5
    heads = Hkv if per_group else Hq
    Hc, Bc = pick(1, heads), pick(1, B)

    def dyn(n, p=0.3):
        return None if krng.random() < p else n

    qs = [dyn(B), Hq, dyn(Lq), D]
    ks = [qs[0], Hkv, dyn(Lkv), D]
    vs = [qs[0], Hkv, ks[2], Dv]
    cs = (dyn(Bc, 0.2), Hc, dyn(Nq, 0.2))
    if cs[0] is None:
        Bc = B  # a dynamic list batch dim is B at run time
    ixs = cs + (dyn(K, 0.2),)
    kw = dict(dtype=dtype, return_lse=bool(krng.random() < 0.5),
              pipeline=pick("attn-cpu-pipeline", "attn-cpu-pipeline",
                            "attn-cpu-pipeline=q-tile=3 kv-tile=5",
                            "attn-cpu-pipeline=reference=true"))
    if krng.random() < 0.5:
        kw["masks"] = [pick(attn.causal(), attn.sliding_window(3),
                            attn.chunked(4))]
    if krng.random() < 0.2:
        kw["kv_lengths"] = True
    bad = pick("none", "none", "none", "none", "none", "spec", "nq", "heads",
               "dtype", "disagree")
    label = "kv case %d %s q=%s k=%s lists=%s/%s blocks %dx%d%s %s bad=%s" % (
        i, dtype, qs, ks, list(cs), list(ixs), sq, skv,
        " per-group" if per_group else "", sorted(
            k for k in kw if k not in ("dtype", "pipeline", "return_lse")) +
        (["lse"] if kw["return_lse"] else []) +
        ([kw["pipeline"].partition("=")[2]] if "=" in kw["pipeline"] else []),
        bad)
    try:
        spec = (cs, ixs, 0 if bad == "spec" else sq, skv, per_group)
        kern = attn.attention(qs, ks, vs, kv_blocks=spec, **kw)
        args = dict(q=storage(krng.standard_normal((B, Hq, Lq, D)), dtype),
                    k=storage(krng.standard_normal((B, Hkv, Lkv, D)), dtype),
                    v=storage(krng.standard_normal((B, Hkv, Lkv, Dv)), dtype))
        if "kv_lengths" in kw:
            args["kv_lengths"] = krng.integers(0, Lkv + 1, B).astype(np.int32)
        kb = {"Bc": Bc, "Hc": heads + 1 if bad == "heads" else Hc, "K": K}
        c, ix = random_block_lists(kb, Nq + (bad == "nq"), nkb, krng)
        if bad == "dtype":
            ix = ix.astype(np.float32)
        elif bad == "disagree":
            ix = np.pad(ix, ((0, 0), (0, 0), (0, 1), (0, 0)))
        args.update(kv_block_counts=c, kv_block_indices=ix)
        compare(kern, args, dtype, kw["return_lse"])
        if bad != "none":
            print("%s -> WRONG: bad arguments accepted" % label)
            counts["wrong"] += 1
            return
        counts["ok"] += 1
        print("%s -> ok" % label)
    except Exception as e:  # noqa: BLE001 - any exception is an answer
        report(label, e)


def run(name, cases, n):
    for key in counts:
        counts[key] = 0
    for i in range(n):
        cases(i)
    print("%s: %d cases, %d ok, %d errors, %d wrong" % (
        name, n, counts["ok"], counts["error"], counts["wrong"]))


run("fuzz", case, 24)
run("kv_blocks fuzz", kv_case, 40)
# CHECK: CompileError: attention.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op expects a positive finite scale
# CHECK: ValueError: argument 'q': expected shape
# CHECK: fuzz: 24 cases, {{[0-9]+}} ok, {{[0-9]+}} errors, 0 wrong
# CHECK: TypeError: argument 'kv_block_indices': the kernel was compiled for i32
# CHECK: kv_blocks fuzz: 40 cases, {{[1-9][0-9]+}} ok, {{[0-9]+}} errors, 0 wrong
