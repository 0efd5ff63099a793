#!/usr/bin/env python3
"""Compiles the GPU benchmark kernels here (no GPU needed) into a directory
to carry to a GPU machine that has PyTorch but no MLIR:

    python3 bench/gpu/prepare.py OUT_DIR [--chip sm_90] [--no-wgmma]

OUT_DIR receives one cubin per configuration (NAME.cubin, mma.sync for
--chip, or the general kernel) and, for the tensor-core configurations,
NAME.wgmma.cubin (Hopper warpgroup MMA, chip sm_90a, runs on compute
capability 9.0 only; skipped with --no-wgmma), manifest.json (shapes, masks,
variants (plain, ALiBi, softcap 50, document mask), kernel names, launch
configurations read from the lowered host code, the kernel arguments after
Q, K, V, O, and each configuration's compile time) and a copy of
libattn_cuda_runtime.so.
Then, on the GPU machine: python3 bench/gpu/bench_attn.py OUT_DIR.
"""

import argparse
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from attn.gpu import (compile_gpu, kernel_launches, launch_config,  # noqa: E402
                      uses_tensor_cores)
from attn.ir import attention_op  # noqa: E402
from attn.runner import build_dir  # noqa: E402

# name, dtype, B, Hq, Hkv, L, D, mask, variant. The grid of issue 4:
# dense and causal at N in {1k, 4k, 16k}, D in {64, 128}, B * N = 16k,
# H * D = 2048, bf16; then sliding window 1024, ALiBi, softcap 50, document
# mask and GQA 32:8.
#   mask:    "none" | "causal" | "window1024" (keys i - 1023 .. i)
#   variant: ""          plain
#            "alibi"     score_mod s + slope[h] * (j - i), slopes captured
#            "softcap50" softcap = 50 (50 tanh(s / 50))
#            "document"  segment_ids(q_ids, kv_ids): keep where ids are equal
#            "blocksparse" a boolean mask tensor [B, 1, L, L] of 128 x 128
#                        blocks, about a quarter kept (diagonal always kept)
#            "varlen"    q_lengths / kv_lengths per sequence
#            "dynamic"   Lq and Lkv compiled as ? (kernel arguments)
CONFIGS = []
for _n in (1024, 4096, 16384):
    for _d in (64, 128):
        for _mask in ("none", "causal"):
            CONFIGS.append(("%s_d%d_%dk" % ("dense" if _mask == "none"
                                            else "causal", _d, _n // 1024),
                            "bf16", 16384 // _n, 2048 // _d, 2048 // _d, _n,
                            _d, _mask, ""))
CONFIGS += [
    ("window1024_d128_4k", "bf16", 4, 16, 16, 4096, 128, "window1024", ""),
    ("window1024_d128_16k", "bf16", 1, 16, 16, 16384, 128, "window1024", ""),
    ("alibi_causal_d128_4k", "bf16", 4, 16, 16, 4096, 128, "causal",
     "alibi"),
    ("softcap50_causal_d128_4k", "bf16", 4, 16, 16, 4096, 128, "causal",
     "softcap50"),
    ("document_causal_d128_4k", "bf16", 4, 16, 16, 4096, 128, "causal",
     "document"),
    ("document_d64_16k", "bf16", 1, 32, 32, 16384, 64, "none", "document"),
    ("gqa32x8_causal_d128_4k", "bf16", 4, 32, 8, 4096, 128, "causal", ""),
    ("gqa32x8_dense_d128_4k", "bf16", 4, 32, 8, 4096, 128, "none", ""),
    ("blocksparse_d128_4k", "bf16", 4, 16, 16, 4096, 128, "none",
     "blocksparse"),
    ("blocksparse_d128_16k", "bf16", 1, 16, 16, 16384, 128, "none",
     "blocksparse"),
    ("varlen_causal_d128_4k", "bf16", 4, 16, 16, 4096, 128, "causal",
     "varlen"),
    # The kernel compiled for dynamic lengths (against causal_d128_4k).
    ("dynamic_causal_d128_4k", "bf16", 4, 16, 16, 4096, 128, "causal",
     "dynamic"),
    # The general SIMT kernel: f32 inputs, and a head dim (256) the tensor
    # cores do not take.
    ("general_f32_dense_d128_1k", "f32", 2, 16, 16, 1024, 128, "none", ""),
    ("general_bf16_causal_d256_2k", "bf16", 2, 16, 16, 2048, 256, "causal",
     ""),
]

ALIBI = """{
      ^bb0(%%s: f32, %%b: index, %%h: index, %%i: index, %%j: index):
        %%slope = tensor.extract %%slopes[%%h] : tensor<%dxf32>
        %%d = arith.subi %%j, %%i : index
        %%di = arith.index_cast %%d : index to i64
        %%df = arith.sitofp %%di : i64 to f32
        %%bias = arith.mulf %%slope, %%df : f32
        %%r = arith.addf %%s, %%bias : f32
        attn.yield %%r : f32
      }"""


def module(name, dt, B, Hq, Hkv, L, D, mask, variant):
    n = "?" if variant == "dynamic" else str(L)
    qt = "tensor<%dx%dx%sx%dx%s>" % (B, Hq, n, D, dt)
    kt = "tensor<%dx%dx%sx%dx%s>" % (B, Hkv, n, D, dt)
    attrs = {"none": [], "causal": ["masks = [#attn.causal]"],
             "window1024": ["masks = [#attn.sliding_window<left = 1023, "
                            "right = 0>]"]}[mask]
    params, operands, region = "", {}, None
    if variant == "softcap50":
        attrs.append("softcap = 50.0")
    elif variant == "alibi":
        params = ", %%slopes: tensor<%dxf32>" % Hq
        region = ALIBI % Hq
    elif variant == "document":
        it = "tensor<%dx%dxi32>" % (B, L)
        params = ", %%qs: %s, %%ks: %s" % (it, it)
        operands["segment_ids"] = (("%qs", it), ("%ks", it))
    elif variant == "blocksparse":
        mt = "tensor<%dx1x%dx%dxi1>" % (B, L, L)
        params = ", %%m: %s" % mt
        operands["mask"] = ("%m", mt)
    elif variant == "varlen":
        lt = "tensor<%dxi32>" % B
        params = ", %%ql: %s, %%kl: %s" % (lt, lt)
        operands["q_lengths"] = ("%ql", lt)
        operands["kv_lengths"] = ("%kl", lt)
    op = attention_op(["%o"], [qt], ("%q", qt), ("%k", kt), ("%v", kt),
                      attrs=attrs, score_mod=region, **operands)
    return ("func.func @%s(%%q: %s, %%k: %s, %%v: %s%s) -> %s {\n"
            "  %s\n  return %%o : %s\n}\n" % (name, qt, kt, kt, params, qt,
                                             op, qt))


def extra_args(variant):
    """Kernel arguments after (Q, K, V, O), in convert-attn-to-gpu's order."""
    return {"alibi": ["slopes"],
            "document": ["q_segment_ids", "kv_segment_ids"],
            "blocksparse": ["mask"],
            "varlen": ["q_lengths", "kv_lengths"]}.get(
                                                   variant, [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--chip", default="sm_90")
    ap.add_argument("--only", default="",
                    help="comma-separated substrings of configuration names")
    ap.add_argument("--no-wgmma", action="store_true",
                    help="only the mma.sync kernels (else also NAME.wgmma."
                    "cubin, chip sm_90a, for the tensor-core configurations)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = {"chip": args.chip, "configs": []}
    worst = 0.0
    for cfg in CONFIGS:
        name, dt, B, Hq, Hkv, L, D, mask, variant = cfg
        if args.only and not any(x in name for x in args.only.split(",")):
            continue
        # Compile time: one attn-opt run from the attn op to the cubin
        # (ptxas included), the "compile <= 2 s per variant".
        t0 = time.perf_counter()
        lowered, cubin = compile_gpu(module(*cfg), chip=args.chip,
                                     mma="sync")
        seconds = time.perf_counter() - t0
        worst = max(worst, seconds)
        kernel = name + "_attn_0"
        if variant == "dynamic":
            # The grid depends on Lq at run time; Lq and Lkv are the
            # kernel's last arguments.
            grid, block, smem = launch_config(B, Hq, L, D)
        else:
            grid, block, smem = kernel_launches(lowered)[kernel]
        with open(os.path.join(args.out, name + ".cubin"), "wb") as f:
            f.write(cubin)
        entry = dict(
            name=name, dtype=dt, batch=B, q_heads=Hq, kv_heads=Hkv, seq=L,
            head_dim=D, mask=mask, variant=variant,
            extra_args=extra_args(variant), kernel=kernel,
            cubin=name + ".cubin", grid=grid, block=block, smem=smem,
            compile_seconds=round(seconds, 3))
        if variant == "dynamic":
            entry["lengths"] = [L, L]
        print("compiled %-28s %7d bytes in %.2f s" % (name, len(cubin),
                                                      seconds), flush=True)
        if not args.no_wgmma and uses_tensor_cores(dt, D):
            # The Hopper warpgroup-MMA kernel of the same op (sm_90a).
            t0 = time.perf_counter()
            lowered, cubin = compile_gpu(module(*cfg), chip="sm_90a",
                                         mma="wgmma")
            seconds = time.perf_counter() - t0
            worst = max(worst, seconds)
            wg_smem = (launch_config(B, Hq, L, D, mma="wgmma")[2]
                       if variant == "dynamic" else
                       kernel_launches(lowered)[kernel][2])
            with open(os.path.join(args.out, name + ".wgmma.cubin"),
                      "wb") as f:
                f.write(cubin)
            entry.update(wgmma_cubin=name + ".wgmma.cubin",
                         wgmma_smem=wg_smem,
                         wgmma_compile_seconds=round(seconds, 3))
            print("compiled %-28s %7d bytes in %.2f s" % (
                name + " (wgmma)", len(cubin), seconds), flush=True)
        manifest["configs"].append(entry)
    print("slowest compile: %.2f s (target <= 2 s per variant)" % worst)
    shutil.copy(os.path.join(build_dir(), "lib", "libattn_cuda_runtime.so"),
                args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
