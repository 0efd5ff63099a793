#!/usr/bin/env python3
"""Compiles the GPU benchmark kernels here (no GPU needed) into a directory
to carry to a GPU machine that has PyTorch but no MLIR:

    python3 bench/gpu/prepare.py OUT_DIR [--chip sm_90]

OUT_DIR receives one cubin per configuration, manifest.json (shapes, masks,
variants (plain, ALiBi, softcap 50, document mask), kernel names, the
kernel arguments after Q, K, V, O and the launch configuration: grid,
block, dynamic shared bytes, tensor-core or general kernel) and a copy of
libattn_cuda_runtime.so.
Then, on the GPU machine: python3 bench/gpu/bench_attn.py OUT_DIR.
"""

import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from attn.gpu import compile_gpu, launch_config, uses_tensor_cores  # noqa
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
    # The general SIMT kernel: f32 inputs, and a head dim (256) the tensor
    # cores do not take.
    ("general_f32_dense_d128_1k", "f32", 2, 16, 16, 1024, 128, "none", ""),
    ("general_bf16_causal_d256_2k", "bf16", 2, 16, 16, 2048, 256, "causal",
     ""),
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
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = {"chip": args.chip, "configs": []}
    for cfg in CONFIGS:
        name, dt, B, Hq, Hkv, L, D, mask, variant = cfg
        _, cubin = compile_gpu(module(*cfg), chip=args.chip)
        with open(os.path.join(args.out, name + ".cubin"), "wb") as f:
            f.write(cubin)
        general = not uses_tensor_cores(dt, D)
        grid, block, smem = launch_config(B, Hq, L, D,
                                          4 if dt == "f32" else 2, general)
        manifest["configs"].append(dict(
            name=name, dtype=dt, batch=B, q_heads=Hq, kv_heads=Hkv, seq=L,
            head_dim=D, mask=mask, variant=variant,
            extra_args=extra_args(variant), kernel=name + "_attn_0",
            cubin=name + ".cubin", grid=list(grid), block=list(block),
            shared_bytes=smem,
            kernel_kind="general" if general else "tensor_core"))
        print("compiled", name, len(cubin), "bytes")
    shutil.copy(os.path.join(build_dir(), "lib", "libattn_cuda_runtime.so"),
                args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
