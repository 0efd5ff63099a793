#!/usr/bin/env python3
"""Compiles the GPU benchmark kernels here (no GPU needed) into a directory
to carry to a GPU machine that has PyTorch but no MLIR:

    python3 bench/gpu/prepare.py OUT_DIR [--chip sm_90] [--no-wgmma]

OUT_DIR receives two cubins per configuration: NAME.cubin with mma.sync
(for --chip) and NAME.wgmma.cubin with Hopper warpgroup MMA (chip sm_90a,
runs on compute capability 9.0 only; skipped with --no-wgmma), plus
manifest.json (shapes, masks, variants (plain, ALiBi, softcap 50, document
mask), kernel names, dynamic shared-memory sizes and the kernel arguments
after Q, K, V, O) and a copy of libattn_cuda_runtime.so.
Then, on the GPU machine: python3 bench/gpu/bench_attn.py OUT_DIR.
"""

import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from attn.gpu import compile_gpu, launch_config  # noqa: E402
from attn.runner import build_dir  # noqa: E402

# name, dtype, B, Hq, Hkv, L, D, mask ("none" | "causal"), variant:
#   ""          plain
#   "alibi"     score_mod s + slope[h] * (j - i), slopes a captured tensor
#   "softcap50" softcap = 50 (50 tanh(s / 50))
#   "document"  segment_ids(q_ids, kv_ids): keep where the ids are equal
CONFIGS = [
    ("mha_causal_d64_2k", "bf16", 4, 16, 16, 2048, 64, "causal", ""),
    ("mha_causal_d128_4k", "bf16", 2, 16, 16, 4096, 128, "causal", ""),
    ("gqa_causal_d128_8k", "bf16", 1, 32, 8, 8192, 128, "causal", ""),
    ("mha_dense_d128_2k", "bf16", 4, 16, 16, 2048, 128, "none", ""),
    ("mha_dense_d64_1k_f16", "f16", 8, 16, 16, 1024, 64, "none", ""),
    ("alibi_causal_d128_2k", "bf16", 4, 16, 16, 2048, 128, "causal", "alibi"),
    ("softcap50_causal_d128_2k", "bf16", 4, 16, 16, 2048, 128, "causal",
     "softcap50"),
    ("softcap50_dense_d64_2k", "bf16", 4, 16, 16, 2048, 64, "none",
     "softcap50"),
    ("document_causal_d128_4k", "bf16", 2, 16, 16, 4096, 128, "causal",
     "document"),
    ("document_d64_8k", "bf16", 1, 16, 16, 8192, 64, "none", "document"),
]

ALIBI = """
      score_mod {
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
    qt = "tensor<%dx%dx%dx%dx%s>" % (B, Hq, L, D, dt)
    kt = "tensor<%dx%dx%dx%dx%s>" % (B, Hkv, L, D, dt)
    attrs = ["masks = [#attn.causal]"] if mask == "causal" else []
    params, operands, region = "", "", ""
    if variant == "softcap50":
        attrs.append("softcap = 50.0")
    elif variant == "alibi":
        params = ", %%slopes: tensor<%dxf32>" % Hq
        region = ALIBI % Hq
    elif variant == "document":
        it = "tensor<%dx%dxi32>" % (B, L)
        params = ", %%qs: %s, %%ks: %s" % (it, it)
        operands = " segment_ids(%%qs, %%ks : %s, %s)" % (it, it)
    attr = "{%s}" % ", ".join(attrs) if attrs else ""
    return ("func.func @%s(%%q: %s, %%k: %s, %%v: %s%s) -> %s {\n"
            "  %%o = attn.attention ins(%%q, %%k, %%v : %s, %s, %s)%s %s -> %s%s\n"
            "  return %%o : %s\n}\n" % (name, qt, kt, kt, params, qt, qt, kt,
                                       kt, operands, attr, qt, region, qt))


def extra_args(variant):
    """Kernel arguments after (Q, K, V, O), in convert-attn-to-gpu's order."""
    return {"alibi": ["slopes"], "document": ["q_segment_ids",
                                               "kv_segment_ids"]}.get(
                                                   variant, [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--chip", default="sm_90")
    ap.add_argument("--no-wgmma", action="store_true",
                    help="only the mma.sync kernels")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = {"chip": args.chip, "configs": []}
    for cfg in CONFIGS:
        name, dt, B, Hq, Hkv, L, D, mask, variant = cfg
        _, cubin = compile_gpu(module(*cfg), chip=args.chip, mma="sync")
        with open(os.path.join(args.out, name + ".cubin"), "wb") as f:
            f.write(cubin)
        entry = dict(
            name=name, dtype=dt, batch=B, q_heads=Hq, kv_heads=Hkv, seq=L,
            head_dim=D, mask=mask, variant=variant,
            extra_args=extra_args(variant), kernel=name + "_attn_0",
            cubin=name + ".cubin",
            smem=launch_config(B, Hq, L, D, 2, "sync")[2])
        print("compiled", name, len(cubin), "bytes")
        if not args.no_wgmma:
            _, cubin = compile_gpu(module(*cfg), chip="sm_90a", mma="wgmma")
            with open(os.path.join(args.out, name + ".wgmma.cubin"),
                      "wb") as f:
                f.write(cubin)
            entry.update(wgmma_cubin=name + ".wgmma.cubin",
                         wgmma_smem=launch_config(B, Hq, L, D, 2,
                                                  "wgmma")[2])
            print("compiled", name, "(wgmma, sm_90a)", len(cubin), "bytes")
        manifest["configs"].append(entry)
    shutil.copy(os.path.join(build_dir(), "lib", "libattn_cuda_runtime.so"),
                args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
