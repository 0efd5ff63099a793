# REQUIRES: cuda, cuda-runtime
# RUN: %python %s | FileCheck %s
"""Runs kernels of attn-gpu-pipeline on the GPU through libattn_cuda_runtime
and compares them with the float64 numpy reference.

Inputs are rounded to f16/bf16 first, so the reference sees exactly what the
kernel reads; the tolerance covers the f16/bf16 rounding of P before P.V and
of the output, and ex2.approx. The general_* cases run the general SIMT
kernel (f32, head dims 80/192/256, Dv != Dqk, mask tensors, lengths).
"""

import numpy as np

from attn import reference
from attn.gpu import CudaRuntime, compile_gpu, uses_tensor_cores
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
    # The general SIMT kernel (feature "dv" for Dv != Dqk; "mask" = (kind,
    # element type); "lengths" = (q_lengths, kv_lengths)). f32 inputs with
    # an f32 output are checked at 1e-5 relative to max |O|.
    ("general_f32_d80_causal_gqa", "f32", 1, 4, 2, 100, 150, 80,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True, {}),
    ("general_f32_d256_dense", "f32", 1, 2, 2, 70, 200, 256, "", [], "f32",
     True, {}),
    ("general_bf16_d256_causal", "bf16", 1, 4, 4, 300, 300, 256,
     "{masks = [#attn.causal]}", [("causal",)], "bf16", False, {}),
    ("general_f32_mla_192_128", "f32", 1, 4, 1, 64, 96, 192,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True, {"dv": 128}),
    ("general_f16_mask_lengths", "f16", 2, 2, 2, 50, 90, 64, "", [], "f32",
     True, {"mask": ("add", "f32"), "lengths": ([40, 0], [90, 13])}),
    ("general_bf16_bool_mask_window", "bf16", 1, 2, 1, 60, 60, 64,
     "{masks = [#attn.sliding_window<left = 16, right = 0>]}",
     [("sliding_window", 16, 0)], "f32", True, {"mask": ("bool", "i1")}),
    # Dynamic Lq and Lkv: Lq and Lkv are the kernel's last two arguments.
    ("general_f32_dynamic_causal", "f32", 1, 4, 2, 77, 130, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dynamic": True}),
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
    if dtype == "f32":
        f = x.astype(np.float32)
        return f, f.astype(np.float64)
    if dtype == "bf16":
        bits = to_bf16_bits(x)
        return bits, from_bf16_bits(bits).astype(np.float64)
    h = x.astype(np.float16)
    return h, h.astype(np.float64)


def module(case):
    name, dt, B, Hq, Hkv, Lq, Lkv, D, attr, _, out, lse = case[:12]
    feat = case[12] if len(case) > 12 else {}
    Dv = feat.get("dv", D)
    if feat.get("dynamic"):
        Lq = Lkv = "?"
    t = lambda s, e: "tensor<%sx%s>" % ("x".join(map(str, s)), e)
    qt, kt, vt = t((B, Hq, Lq, D), dt), t((B, Hkv, Lkv, D), dt), t(
        (B, Hkv, Lkv, Dv), dt)
    ot, lt = t((B, Hq, Lq, Dv), out), t((B, Hq, Lq), "f32")
    res = "%s, %s" % (ot, lt) if lse else ot
    names = "%o, %lse" if lse else "%o"
    params, operands, regions = "", "", ""
    if "softcap" in feat:
        inner = attr.strip()[1:-1] if attr.strip() else ""
        attr = "{%s}" % ", ".join(
            x for x in (inner, "softcap = %r" % feat["softcap"]) if x)
    if "mask" in feat:
        # [B, 1, Lq, Lkv]: broadcast over the heads.
        mt = t((B, 1, Lq, Lkv), feat["mask"][1])
        params += ", %%m: %s" % mt
        operands += " mask(%%m : %s)" % mt
    if "lengths" in feat:
        params += ", %%ql: tensor<%dxi32>, %%kl: tensor<%dxi32>" % (B, B)
        operands += (" q_lengths(%%ql : tensor<%dxi32>) kv_lengths(%%kl : "
                     "tensor<%dxi32>)" % (B, B))
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
func.func @{name}(%q: {qt}, %k: {kt}, %v: {vt}{params}) -> ({res}) {{
  {names} = attn.attention ins(%q, %k, %v : {qt}, {kt}, {vt}){operands} {attr} -> {res}{regions}
  return {names} : {res}
}}""".format(**locals())


def extras(case, rng):
    """(host arrays in kernel-argument order, reference keywords)."""
    name, dt, B, Hq, Hkv, Lq, Lkv = case[:7]
    feat = case[12] if len(case) > 12 else {}
    arrays, kw = [], {}
    if "mask" in feat:
        shape = (B, 1, Lq, Lkv)
        if feat["mask"][0] == "bool":
            m = rng.random(shape) < 0.7
            arrays.append(m)
            kw["mask"] = m
        else:
            m = rng.standard_normal(shape).astype(np.float32)
            m[rng.random(shape) < 0.2] = -np.inf
            arrays.append(m)
            kw["mask"] = m.astype(np.float64)
    if "lengths" in feat:
        ql, kl = (np.array(x, np.int32) for x in feat["lengths"])
        arrays += [ql, kl]
        kw.update(q_lengths=ql, kv_lengths=kl)
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


def main():
    rt = CudaRuntime()
    rng = np.random.default_rng(0)
    for case in CASES:
        name, dt, B, Hq, Hkv, Lq, Lkv, D, _, masks, out, lse = case[:12]
        feat = case[12] if len(case) > 12 else {}
        Dv = feat.get("dv", D)
        general = not uses_tensor_cores(
            dt, D, Dv, "mask" in feat or "lengths" in feat,
            feat.get("dynamic", False))
        _, cubin = compile_gpu(module(case))
        q, qr = storage(rng.standard_normal((B, Hq, Lq, D)), dt)
        k, kr = storage(rng.standard_normal((B, Hkv, Lkv, D)), dt)
        v, vr = storage(rng.standard_normal((B, Hkv, Lkv, Dv)), dt)
        scale = 0.1 if "scale" in case[8] else None
        arrays, kw = extras(case, rng)
        ref_o, ref_lse = reference.attention(qr, kr, vr, scale=scale,
                                             masks=masks, **kw)
        out_np = {"f32": np.float32, "f16": np.float16,
                  "bf16": np.uint16}[out]
        o_host = np.zeros((B, Hq, Lq, Dv), out_np)
        dq, dk, dv = rt.to_device(q), rt.to_device(k), rt.to_device(v)
        do = rt.alloc(o_host.nbytes)
        dl = rt.alloc(B * Hq * Lq * 4) if lse else None
        dx = [rt.to_device(a) for a in arrays]
        elt_bytes = 4 if dt == "f32" else 2
        rt.launch_attention(cubin, name + "_attn_0", B, Hq, Lq, D, elt_bytes,
                            dq, dk, dv, do, dl, extra=dx, general=general,
                            v_head_dim=Dv,
                            lengths=(Lq, Lkv) if feat.get("dynamic")
                            else None)
        rt.to_host(do, o_host)
        got = (from_bf16_bits(o_host) if out == "bf16" else o_host)
        err = np.max(np.abs(got.astype(np.float64) - ref_o))
        tol = 2e-2
        if dt == "f32" and out == "f32":
            # Relative to the output's magnitude (f32 arithmetic and
            # ex2.approx only).
            err /= max(1.0, np.max(np.abs(ref_o)))
            tol = 1e-5
        line = "%s: max|O - ref| = %.2e %s" % (name, err,
                                              "ok" if err < tol else "BAD")
        if lse:
            l_host = rt.to_host(dl, np.zeros((B, Hq, Lq), np.float32))
            # Rows with no kept key: -inf in both.
            same_inf = np.isinf(ref_lse) & (l_host == ref_lse)
            with np.errstate(invalid="ignore"):
                diff = np.abs(l_host - ref_lse)
            lerr = np.max(np.where(same_inf, 0.0, diff))
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
# CHECK: general_f32_d80_causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_f32_d256_dense: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_bf16_d256_causal: max|O - ref| = {{.*}} ok
# CHECK: general_f32_mla_192_128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_f16_mask_lengths: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_bf16_bool_mask_window: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_f32_dynamic_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK-NOT: BAD
if __name__ == "__main__":
    main()
