# RUN: rm -rf %t && env ATTN_CACHE_DIR=%t %python %s | FileCheck %s --implicit-check-not=WRONG

"""Issue #17, Python API fuzz: random shapes (zero sizes and dynamic dims
included), dtypes, structured masks, mask operands, scales, sinks, the
log-sum-exp, and bad arguments (wrong shapes, dtypes, layouts), on a fixed
seed. Every case ends in a Python exception or in an answer that matches
the float64 reference; a segfault kills the test, a wrong answer prints
WRONG."""

import numpy as np

import attn
from attn import runner

rng = np.random.default_rng(17)
TOL = {"f32": 2e-4, "f16": 2e-2, "bf16": 6e-2}
counts = {"ok": 0, "error": 0, "wrong": 0}


def storage(x, dtype):
    if dtype == "bf16":
        return runner.to_bf16_bits(x.astype(np.float32))
    return np.ascontiguousarray(x, attn.api.STORAGE[dtype])


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
        got = kern(**args)
        want = kern.reference(**args)
        if not kw["return_lse"]:
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
        if bad != "none" and not (bad == "layout" and k.size <= 1):
            print("%s -> WRONG: bad arguments accepted" % label)
            counts["wrong"] += 1
            return
        counts["ok"] += 1
        print("%s -> ok" % label)
    except AssertionError as e:
        counts["wrong"] += 1
        print("%s -> WRONG: %s" % (label, e))
    except Exception as e:  # noqa: BLE001 - any exception is an answer
        counts["error"] += 1
        print("%s -> %s: %s" % (label, type(e).__name__,
                                " | ".join(l for l in str(e).splitlines() if "error" in l)[:200] or str(e).splitlines()[0][:160]))


N = 24
for i in range(N):
    case(i)
print("fuzz: %d cases, %d ok, %d errors, %d wrong" % (
    N, counts["ok"], counts["error"], counts["wrong"]))
# CHECK: CompileError: attention.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'attn.attention' op expects a positive finite scale
# CHECK: ValueError: argument 'q': expected shape
# CHECK: fuzz: 24 cases, {{[0-9]+}} ok, {{[0-9]+}} errors, 0 wrong
