# REQUIRES: cuda, cuda-runtime
# RUN: %python %s | FileCheck %s
"""Runs kernels of attn-gpu-pipeline on the GPU through libattn_cuda_runtime
and compares them with the float64 numpy reference.

Inputs are rounded to f16/bf16 first, so the reference sees exactly what the
kernel reads; the tolerance covers the f16/bf16 rounding of P before P.V and
of the output, and ex2.approx.
"""

import numpy as np

from attn import reference
from attn.gpu import CudaRuntime, compile_gpu
from attn.runner import from_bf16_bits, to_bf16_bits

CASES = [
    # name, dtype, B, Hq, Hkv, Lq, Lkv, D, masks attr, numpy masks, out, lse
    ("causal_gqa_bf16_d64", "bf16", 2, 8, 2, 256, 256, 64,
     "{masks = [#attn.causal]}", [("causal",)], "bf16", False),
    ("causal_gqa_bf16_d128", "bf16", 1, 4, 1, 200, 200, 128,
     "{masks = [#attn.causal]}", [("causal",)], "bf16", False),
    ("dense_f16_d128_ragged", "f16", 1, 2, 2, 100, 300, 128,
     "{scale = 0.1}", [], "f32", True),
    ("window_f16_d64_decode", "f16", 2, 4, 4, 17, 333, 64,
     "{masks = [#attn.sliding_window<left = 100, right = 0>]}",
     [("sliding_window", 100, 0)], "f16", True),
    # Variants of the benchmark grid (feature dict as in
    # test/python/gpu-emulator.py).
    ("alibi_softcap_bf16_d128", "bf16", 1, 4, 2, 200, 200, 128,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"alibi": True, "softcap": 50.0}),
    ("document_causal_bf16_d64", "bf16", 2, 4, 4, 300, 300, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"segments": True}),
    ("sinks_f16_d64", "f16", 1, 4, 4, 100, 150, 64, "", [], "f32", True,
     {"sinks": True}),
]

ALIBI = """
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
        %slope = tensor.extract %slopes[%h] : tensor<HQxf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %slope, %df : f32
        %r = arith.addf %s, %bias : f32
        attn.yield %r : f32
      }"""


def storage(x, dtype):
    if dtype == "bf16":
        bits = to_bf16_bits(x)
        return bits, from_bf16_bits(bits).astype(np.float64)
    h = x.astype(np.float16)
    return h, h.astype(np.float64)


def module(case):
    name, dt, B, Hq, Hkv, Lq, Lkv, D, attr, _, out, lse = case[:12]
    feat = case[12] if len(case) > 12 else {}
    t = lambda s, e: "tensor<%sx%s>" % ("x".join(map(str, s)), e)
    qt, kt = t((B, Hq, Lq, D), dt), t((B, Hkv, Lkv, D), dt)
    ot, lt = t((B, Hq, Lq, D), out), t((B, Hq, Lq), "f32")
    res = "%s, %s" % (ot, lt) if lse else ot
    names = "%o, %lse" if lse else "%o"
    params, operands, regions = "", "", ""
    if "softcap" in feat:
        inner = attr.strip()[1:-1] if attr.strip() else ""
        attr = "{%s}" % ", ".join(
            x for x in (inner, "softcap = %r" % feat["softcap"]) if x)
    if feat.get("segments"):
        qst, kst = t((B, Lq), "i32"), t((B, Lkv), "i32")
        params += ", %%qs: %s, %%ks: %s" % (qst, kst)
        operands += " segment_ids(%%qs, %%ks : %s, %s)" % (qst, kst)
    if feat.get("sinks"):
        params += ", %%sinks: %s" % t((Hq,), "f32")
        operands += " sinks(%%sinks : %s)" % t((Hq,), "f32")
    if feat.get("alibi"):
        params += ", %%slopes: %s" % t((Hq,), "f32")
        regions += ALIBI.replace("HQ", str(Hq))
    return """
func.func @{name}(%q: {qt}, %k: {kt}, %v: {kt}{params}) -> ({res}) {{
  {names} = attn.attention ins(%q, %k, %v : {qt}, {kt}, {kt}){operands} {attr} -> {res}{regions}
  return {names} : {res}
}}""".format(**locals())


def extras(case, rng):
    """(host arrays in kernel-argument order, reference keywords)."""
    name, dt, B, Hq, Hkv, Lq, Lkv = case[:7]
    feat = case[12] if len(case) > 12 else {}
    arrays, kw = [], {}
    if feat.get("segments"):
        # Packed documents of 20..120 tokens, the same for queries and keys.
        ids = np.zeros((B, Lkv), np.int32)
        for b in range(B):
            pos, doc = 0, 0
            while pos < Lkv:
                n = int(rng.integers(20, 121))
                ids[b, pos:pos + n] = doc
                pos, doc = pos + n, doc + 1
        qs = np.ascontiguousarray(ids[:, Lkv - Lq:])
        arrays += [qs, ids]
        kw.update(q_segment_ids=qs, kv_segment_ids=ids)
    if feat.get("sinks"):
        sinks = rng.standard_normal(Hq).astype(np.float32)
        arrays.append(sinks)
        kw["sinks"] = sinks.astype(np.float64)
    if feat.get("alibi"):
        slopes = (2.0 ** (-8.0 * np.arange(1, Hq + 1) / Hq)).astype(
            np.float32)
        arrays.append(slopes)
        sl = slopes.astype(np.float64)
        kw["score_mod"] = lambda s, b, h, i, j: s + sl[h] * (j - i)
    if "softcap" in feat:
        kw["softcap"] = feat["softcap"]
    return arrays, kw


def main(mma="sync"):
    """`mma`: sync (chip sm_90) or wgmma (chip sm_90a; attention-gpu-wgmma.py
    runs it on Hopper)."""
    rt = CudaRuntime()
    rng = np.random.default_rng(0)
    chip = "sm_90a" if mma == "wgmma" else "sm_90"
    for case in CASES:
        name, dt, B, Hq, Hkv, Lq, Lkv, D, _, masks, out, lse = case[:12]
        _, cubin = compile_gpu(module(case), chip=chip, mma=mma)
        q, qr = storage(rng.standard_normal((B, Hq, Lq, D)), dt)
        k, kr = storage(rng.standard_normal((B, Hkv, Lkv, D)), dt)
        v, vr = storage(rng.standard_normal((B, Hkv, Lkv, D)), dt)
        scale = 0.1 if "scale" in case[8] else None
        arrays, kw = extras(case, rng)
        ref_o, ref_lse = reference.attention(qr, kr, vr, scale=scale,
                                             masks=masks, **kw)
        out_np = {"f32": np.float32, "f16": np.float16,
                  "bf16": np.uint16}[out]
        o_host = np.zeros((B, Hq, Lq, D), out_np)
        dq, dk, dv = rt.to_device(q), rt.to_device(k), rt.to_device(v)
        do = rt.alloc(o_host.nbytes)
        dl = rt.alloc(B * Hq * Lq * 4) if lse else None
        dx = [rt.to_device(a) for a in arrays]
        rt.launch_attention(cubin, name + "_attn_0", B, Hq, Lq, D, 2,
                            dq, dk, dv, do, dl, extra=dx, mma=mma)
        rt.to_host(do, o_host)
        got = (from_bf16_bits(o_host) if out == "bf16" else o_host)
        err = np.max(np.abs(got.astype(np.float64) - ref_o))
        line = "%s%s: max|O - ref| = %.2e %s" % (
            "wgmma " if mma == "wgmma" else "", name, err,
                                              "ok" if err < 2e-2 else "BAD")
        if lse:
            l_host = rt.to_host(dl, np.zeros((B, Hq, Lq), np.float32))
            lerr = np.max(np.abs(l_host - ref_lse))
            line += ", max|lse - ref| = %.2e %s" % (
                lerr, "ok" if lerr < 1e-2 else "BAD")
            rt.free(dl)
        for p in [dq, dk, dv, do] + dx:
            rt.free(p)
        print(line)


# CHECK: causal_gqa_bf16_d64: max|O - ref| = {{.*}} ok
# CHECK: causal_gqa_bf16_d128: max|O - ref| = {{.*}} ok
# CHECK: dense_f16_d128_ragged: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: window_f16_d64_decode: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: alibi_softcap_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: document_causal_bf16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: sinks_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK-NOT: BAD
if __name__ == "__main__":
    main()
