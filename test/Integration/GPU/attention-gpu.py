# REQUIRES: cuda, cuda-runtime
# RUN: %python %s | FileCheck %s --implicit-check-not=BAD
"""Runs kernels of attn-gpu-pipeline on the GPU through libattn_cuda_runtime
and compares them with the float64 numpy reference.

Inputs are rounded to f16/bf16 first, so the reference sees exactly what the
kernel reads; the tolerance covers the f16/bf16 rounding of P before P.V and
of the output, and ex2.approx. The general_* cases run the general SIMT
kernel (f32, head dims 80/192/256, Dv != Dqk, dynamic lengths); f32 cases
with an f32 output are checked at 1e-5 relative to max |O|.

Under lit both phases run here. On a GPU machine without MLIR:

    PYTHONPATH=python python3 attention-gpu.py --prepare DIR   # here
    PYTHONPATH=python python3 attention-gpu.py --run DIR       # there
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

from attn.gpu import CudaRuntime
from attn.testing.gpu_cases import module
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
    ("lengths_causal_bf16_d128", "bf16", 3, 4, 2, 200, 260, 128,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"q_lengths": [200, 0, 77], "kv_lengths": [260, 5, 130]}),
    ("mask_blocks_bf16_d128", "bf16", 2, 4, 2, 200, 330, 128, "", [], "f32",
     True, {"mask": ("blocks", (2, 1, 200, 330))}),
    ("mask_float_f16_d64", "f16", 1, 4, 4, 150, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f16", True,
     {"mask": ("float", (150, 150))}),
    # Dynamic Lq/Lkv ("dynamic": flat handles, Lq and Lkv as the kernel's
    # last two arguments).
    ("dynamic_causal_gqa_bf16_d128", "bf16", 2, 8, 2, 177, 301, 128,
     "{masks = [#attn.causal]}", [("causal",)], "bf16", True,
     {"dynamic": True}),
    ("dynamic_batch_mask_f16_d64", "f16", 3, 4, 2, 130, 200, 64, "", [],
     "f32", True, {"dynamic": True, "dynamic_batch": True,
                   "mask": ("blocks", (3, 1, 130, 200))}),
    # Other normalisers.
    ("sigmoid_causal_f16_d128", "f16", 1, 4, 2, 200, 260, 128,
     "{masks = [#attn.causal]}", [("causal",)], "f32", False,
     {"normalizer": "sigmoid", "sigmoid_bias": -2.0}),
    ("softpick_window_bf16_d64", "bf16", 1, 4, 4, 150, 150, 64,
     "{masks = [#attn.sliding_window<left = 60, right = 0>]}",
     [("sliding_window", 60, 0)], "f32", False, {"normalizer": "softpick"}),
    # The general SIMT kernel (feature "dv" for Dv != Dqk).
    ("general_f32_d80_causal_gqa", "f32", 1, 4, 2, 100, 150, 80,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True, {}),
    ("general_f32_d256_dense", "f32", 1, 2, 2, 70, 200, 256, "", [], "f32",
     True, {}),
    ("general_bf16_d256_causal", "bf16", 1, 4, 4, 300, 300, 256,
     "{masks = [#attn.causal]}", [("causal",)], "bf16", False, {}),
    ("general_f32_mla_192_128", "f32", 1, 4, 1, 64, 96, 192,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True, {"dv": 128}),
    ("general_f16_d80_mask_lengths", "f16", 2, 2, 2, 50, 90, 80, "", [],
     "f32", True, {"mask": ("float", (2, 1, 50, 90)),
                   "q_lengths": [40, 0], "kv_lengths": [90, 13]}),
    ("general_bf16_d48_bool_mask_window", "bf16", 1, 2, 1, 60, 60, 48,
     "{masks = [#attn.sliding_window<left = 16, right = 0>]}",
     [("sliding_window", 16, 0)], "f32", True,
     {"mask": ("blocks", (1, 1, 60, 60))}),
    ("general_f32_dynamic_causal", "f32", 1, 4, 2, 77, 130, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dynamic": True}),
]

def storage(x, dtype):
    if dtype == "f32":
        f = x.astype(np.float32)
        return f, f.astype(np.float64)
    if dtype == "bf16":
        bits = to_bf16_bits(x)
        return bits, from_bf16_bits(bits).astype(np.float64)
    h = x.astype(np.float16)
    return h, h.astype(np.float64)




def extras(case, rng):
    """(host arrays in kernel-argument order, reference keywords)."""
    name, dt, B, Hq, Hkv, Lq, Lkv = case[:7]
    feat = case[12] if len(case) > 12 else {}
    arrays, kw = [], {}
    if "mask" in feat:
        kind, shape = feat["mask"]
        if kind == "float":
            m = rng.standard_normal(shape).astype(np.float32)
            m[rng.random(shape) < 0.1] = -np.inf
        else:
            # Block-sparse: 48-row x 80-key blocks off the tile grid, each
            # all false, all true or random.
            m = np.zeros(shape, bool)
            for lead in np.ndindex(*shape[:-2]):
                for i in range(0, shape[-2], 48):
                    for j in range(0, shape[-1], 80):
                        u = rng.random()
                        blk = m[lead][i:i + 48, j:j + 80]
                        blk[...] = (False if u < 0.4 else True if u < 0.7
                                    else rng.random(blk.shape) < 0.5)
        arrays.append(m)
        kw["mask"] = m.astype(np.float64) if kind == "float" else m
    for kind in ("q_lengths", "kv_lengths"):
        if kind in feat:
            lengths = np.array(feat[kind], np.int32)
            arrays.append(lengths)
            kw[kind] = lengths.astype(np.int64)
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
    for key in ("normalizer", "sigmoid_bias"):
        if key in feat:
            kw[key] = feat[key]
    return arrays, kw


def prepare(out_dir, mma="sync"):
    """Compiles every case and writes its cubin, inputs and float64
    reference to `out_dir` (no GPU needed), with the runtime library, so
    that `--run` works on a machine without MLIR. `mma`: sync (chip sm_90)
    or wgmma (chip sm_90a, Hopper only)."""
    from attn import reference
    from attn.gpu import (compile_gpu, kernel_launches, launch_config,
                          uses_tensor_cores)
    from attn.runner import build_dir
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    cases = []
    for case in CASES:
        name, dt, B, Hq, Hkv, Lq, Lkv, D, _, masks, out, lse = case[:12]
        feat = case[12] if len(case) > 12 else {}
        Dv = feat.get("dv", D)
        chip = "sm_90a" if mma == "wgmma" else "sm_90"
        lowered, cubin = compile_gpu(module(case), chip=chip, mma=mma)
        kernel = name + "_attn_0"
        dynamic = feat.get("dynamic") or feat.get("dynamic_batch")
        if dynamic:
            # The grid depends on B and Lq at run time: the configuration of the
            # kernel convert-attn-to-gpu picks; Lq and Lkv follow as the
            # last two arguments.
            grid, block, smem = launch_config(
                B, Hq, Lq, D, 4 if dt == "f32" else 2,
                general=not uses_tensor_cores(dt, D, Dv), v_head_dim=Dv,
                mma=mma)
        else:
            grid, block, smem = kernel_launches(lowered)[kernel]
        q, qr = storage(rng.standard_normal((B, Hq, Lq, D)), dt)
        k, kr = storage(rng.standard_normal((B, Hkv, Lkv, D)), dt)
        v, vr = storage(rng.standard_normal((B, Hkv, Lkv, Dv)), dt)
        scale = 0.1 if "scale" in case[8] else None
        arrays, kw = extras(case, rng)
        ref_o, ref_lse = reference.attention(qr, kr, vr, scale=scale,
                                             masks=masks, **kw)
        with open(os.path.join(out_dir, name + ".cubin"), "wb") as f:
            f.write(cubin)
        # The reference output as float32 (its rounding, 6e-8 relative, is
        # far below the 1e-5 f32 tolerance): float64 would double the data a
        # GPU session carries, near its 64 MiB limit with both mma kinds.
        data = dict(q=q, k=k, v=v, ref_o=ref_o.astype(np.float32))
        if lse:
            data["ref_lse"] = ref_lse
        for i, a in enumerate(arrays):
            data["extra%d" % i] = a
        np.savez(os.path.join(out_dir, name + ".npz"), **data)
        cases.append(dict(name=name, kernel=kernel, dtype=dt, out=out, mma=mma,
                          lse=bool(lse), extras=len(arrays), grid=grid,
                          block=block, smem=smem, shape=[B, Hq, Lq, D, Dv],
                          lengths=[Lq, Lkv] if dynamic else None))
    shutil.copy(os.path.join(build_dir(), "lib", "libattn_cuda_runtime.so"),
                out_dir)
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


def run(in_dir):
    """Runs the prepared cases on the GPU and compares with the reference;
    returns the number of failed checks."""
    rt = CudaRuntime(os.path.join(in_dir, "libattn_cuda_runtime.so"))
    with open(os.path.join(in_dir, "cases.json")) as f:
        cases = json.load(f)
    bad = 0
    for c in cases:
        name, out, lse = c["name"], c["out"], c["lse"]
        B, Hq, Lq, D, Dv = c["shape"]
        data = np.load(os.path.join(in_dir, name + ".npz"))
        with open(os.path.join(in_dir, name + ".cubin"), "rb") as f:
            cubin = f.read()
        out_np = {"f32": np.float32, "f16": np.float16,
                  "bf16": np.uint16}[out]
        o_host = np.zeros((B, Hq, Lq, Dv), out_np)
        dq, dk, dv = (rt.to_device(data[x]) for x in "qkv")
        do = rt.alloc(o_host.nbytes)
        dl = rt.alloc(B * Hq * Lq * 4) if lse else None
        dx = [rt.to_device(data["extra%d" % i]) for i in range(c["extras"])]
        rt.launch_attention(cubin, c["kernel"], B, Hq, Lq, D, 2, dq, dk, dv,
                            do, dl, extra=dx,
                            launch=(tuple(c["grid"]), tuple(c["block"]),
                                    c["smem"]),
                            lengths=c["lengths"])
        rt.to_host(do, o_host)
        got = (from_bf16_bits(o_host) if out == "bf16" else o_host)
        got = got.astype(np.float64)
        err = np.max(np.abs(got - data["ref_o"]))
        tol = 2e-2
        if c["dtype"] == "f32" and out == "f32":
            # Relative to the output's magnitude (f32 arithmetic and
            # ex2.approx only).
            err /= max(1.0, np.max(np.abs(data["ref_o"])))
            tol = 1e-5
        ok = err < tol and not np.isnan(got).any()
        bad += not ok
        line = "%s%s: max|O - ref| = %.2e %s" % (
            "wgmma " if c["mma"] == "wgmma" else "", name, err,
            "ok" if ok else "BAD")
        if lse:
            l_host = rt.to_host(dl, np.zeros((B, Hq, Lq), np.float32))
            ref_lse = data["ref_lse"]
            # Rows keeping no key: lse = -inf in both.
            same_inf = np.isinf(ref_lse) & (l_host == ref_lse)
            with np.errstate(invalid="ignore"):
                diff = np.abs(l_host - ref_lse)
            lerr = np.max(np.where(same_inf, 0.0, diff))
            line += ", max|lse - ref| = %.2e %s" % (
                lerr, "ok" if lerr < 1e-2 else "BAD")
            bad += not lerr < 1e-2
            rt.free(dl)
        for p in [dq, dk, dv, do] + dx:
            rt.free(p)
        print(line, flush=True)
    return bad


def main(mma="sync"):
    """`mma`: the default tensor-core kind (attention-gpu-wgmma.py passes
    wgmma and runs on Hopper)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prepare", metavar="DIR",
                    help="only compile the cases and write inputs and "
                    "references to DIR (no GPU needed)")
    ap.add_argument("--run", metavar="DIR",
                    help="only run the cases prepared in DIR (no MLIR "
                    "needed: carry DIR to a GPU machine)")
    ap.add_argument("--mma", choices=("sync", "wgmma"), default=mma,
                    help="with --prepare: mma.sync kernels (sm_90) or wgmma "
                    "(sm_90a)")
    args = ap.parse_args()
    bad = 0
    if args.prepare:
        prepare(args.prepare, args.mma)
    if args.run:
        bad = run(args.run)
    if not args.prepare and not args.run:
        with tempfile.TemporaryDirectory() as tmp:
            prepare(tmp, args.mma)
            bad = run(tmp)
    return 1 if bad else 0


# CHECK: causal_gqa_bf16_d64: max|O - ref| = {{.*}} ok
# CHECK: causal_gqa_bf16_d128: max|O - ref| = {{.*}} ok
# CHECK: dense_f16_d128_ragged: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: window_f16_d64_decode: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: alibi_softcap_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: document_causal_bf16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: sinks_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: lengths_causal_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_blocks_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_float_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dynamic_causal_gqa_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dynamic_batch_mask_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: sigmoid_causal_f16_d128: max|O - ref| = {{.*}} ok
# CHECK: softpick_window_bf16_d64: max|O - ref| = {{.*}} ok
# CHECK: general_f32_d80_causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_f32_d256_dense: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_bf16_d256_causal: max|O - ref| = {{.*}} ok
# CHECK: general_f32_mla_192_128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_f16_d80_mask_lengths: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_bf16_d48_bool_mask_window: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: general_f32_dynamic_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK-NOT: BAD
if __name__ == "__main__":
    sys.exit(main())
