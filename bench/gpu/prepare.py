#!/usr/bin/env python3
"""Compiles the GPU benchmark kernels here (no GPU needed) into a directory
to carry to a GPU machine that has PyTorch but no MLIR:

    python3 bench/gpu/prepare.py OUT_DIR [--chip sm_90]

OUT_DIR receives one cubin per configuration, manifest.json (shapes, masks,
kernel names, launch ABI) and a copy of libattn_cuda_runtime.so. Then, on
the GPU machine: python3 bench/gpu/bench_attn.py OUT_DIR.
"""

import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from attn.gpu import compile_gpu  # noqa: E402
from attn.runner import build_dir  # noqa: E402

# name, dtype, B, Hq, Hkv, L, D, mask ("none" | "causal")
CONFIGS = [
    ("mha_causal_d64_2k", "bf16", 4, 16, 16, 2048, 64, "causal"),
    ("mha_causal_d128_4k", "bf16", 2, 16, 16, 4096, 128, "causal"),
    ("gqa_causal_d128_8k", "bf16", 1, 32, 8, 8192, 128, "causal"),
    ("mha_dense_d128_2k", "bf16", 4, 16, 16, 2048, 128, "none"),
    ("mha_dense_d64_1k_f16", "f16", 8, 16, 16, 1024, 64, "none"),
]


def module(name, dt, B, Hq, Hkv, L, D, mask):
    qt = "tensor<%dx%dx%dx%dx%s>" % (B, Hq, L, D, dt)
    kt = "tensor<%dx%dx%dx%dx%s>" % (B, Hkv, L, D, dt)
    attr = "{masks = [#attn.causal]}" if mask == "causal" else ""
    return ("func.func @%s(%%q: %s, %%k: %s, %%v: %s) -> %s {\n"
            "  %%o = attn.attention ins(%%q, %%k, %%v : %s, %s, %s) %s -> %s\n"
            "  return %%o : %s\n}\n" % (name, qt, kt, kt, qt, qt, kt, kt, attr,
                                       qt, qt))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--chip", default="sm_90")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = {"chip": args.chip, "configs": []}
    for cfg in CONFIGS:
        name, dt, B, Hq, Hkv, L, D, mask = cfg
        _, cubin = compile_gpu(module(*cfg), chip=args.chip)
        with open(os.path.join(args.out, name + ".cubin"), "wb") as f:
            f.write(cubin)
        manifest["configs"].append(dict(
            name=name, dtype=dt, batch=B, q_heads=Hq, kv_heads=Hkv, seq=L,
            head_dim=D, mask=mask, kernel=name + "_attn_0",
            cubin=name + ".cubin"))
        print("compiled", name, len(cubin), "bytes")
    shutil.copy(os.path.join(build_dir(), "lib", "libattn_cuda_runtime.so"),
                args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
