#!/usr/bin/env python3
"""Runs the kernels prepared by bench/gpu/prepare.py on a CUDA GPU with
PyTorch: checks each against a float32 PyTorch reference, then times it
against torch SDPA (FlashAttention backend where available) and
FlexAttention (torch.compile'd, where available). Prints one line per
configuration with the error and the ratios (> 1: attn is faster).

    python3 bench_attn.py DIR [--iters 50]

Needs only torch and the files in DIR (cubins, manifest.json,
libattn_cuda_runtime.so); no MLIR.
"""

import argparse
import ctypes
import json
import math
import os

import torch
import torch.nn.functional as F


def load_runtime(path):
    lib = ctypes.CDLL(path)
    vp, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.attnCudaLaunchAttention.restype = ctypes.c_int
    lib.attnCudaLaunchAttention.argtypes = [vp, ctypes.c_char_p] + \
        [i64] * 5 + [vp] * 6
    lib.attnCudaLastError.restype = ctypes.c_char_p
    return lib


def reference(q, k, v, causal):
    """float32 attention with GQA by repetition (the oracle, not timed)."""
    g = q.shape[1] // k.shape[1]
    k = k.float().repeat_interleave(g, dim=1)
    v = v.float().repeat_interleave(g, dim=1)
    s = torch.einsum("bhid,bhjd->bhij", q.float(), k) / math.sqrt(q.shape[-1])
    if causal:
        L, S = s.shape[-2:]
        keep = torch.ones(L, S, dtype=torch.bool, device=s.device).tril(S - L)
        s = s.masked_fill(~keep, float("-inf"))
    return torch.einsum("bhij,bhjd->bhid", s.softmax(-1), v)


def time_ms(fn, iters):
    for _ in range(3):
        fn()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args()
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    lib = load_runtime(os.path.join(args.dir, "libattn_cuda_runtime.so"))
    try:
        from torch.nn.attention.flex_attention import (create_block_mask,
                                                       flex_attention)
        flex = torch.compile(flex_attention)
    except Exception:  # older torch
        flex = None
    dev = torch.device("cuda")
    print("device:", torch.cuda.get_device_name(), "chip:", manifest["chip"])
    for cfg in manifest["configs"]:
        dt = {"bf16": torch.bfloat16, "f16": torch.float16}[cfg["dtype"]]
        B, Hq, Hkv = cfg["batch"], cfg["q_heads"], cfg["kv_heads"]
        L, D, causal = cfg["seq"], cfg["head_dim"], cfg["mask"] == "causal"
        torch.manual_seed(0)
        q = torch.randn(B, Hq, L, D, device=dev, dtype=dt)
        k = torch.randn(B, Hkv, L, D, device=dev, dtype=dt)
        v = torch.randn(B, Hkv, L, D, device=dev, dtype=dt)
        o = torch.empty_like(q)
        with open(os.path.join(args.dir, cfg["cubin"]), "rb") as f:
            image = ctypes.create_string_buffer(f.read())
        kernel = cfg["kernel"].encode()

        def run_attn():
            rc = lib.attnCudaLaunchAttention(
                image, kernel, B, Hq, L, D, 2, q.data_ptr(), k.data_ptr(),
                v.data_ptr(), o.data_ptr(), None,
                torch.cuda.current_stream().cuda_stream)
            if rc:
                raise RuntimeError(lib.attnCudaLastError().decode())

        run_attn()
        torch.cuda.synchronize()
        err = (o.float() - reference(q, k, v, causal)).abs().max().item()
        t_attn = time_ms(run_attn, args.iters)
        t_sdpa = time_ms(lambda: F.scaled_dot_product_attention(
            q, k, v, is_causal=causal, enable_gqa=Hq != Hkv), args.iters)
        line = "%-24s max|err|=%.2e attn %.3f ms  sdpa %.3f ms (x%.2f)" % (
            cfg["name"], err, t_attn, t_sdpa, t_sdpa / t_attn)
        if flex is not None:
            bm = None
            if causal:
                bm = create_block_mask(lambda b, h, qi, kv: qi >= kv, None,
                                       None, L, L, device="cuda")
            t_flex = time_ms(lambda: flex(q, k, v, block_mask=bm,
                                          enable_gqa=Hq != Hkv), args.iters)
            line += "  flex %.3f ms (x%.2f)" % (t_flex, t_flex / t_attn)
        flops = 4 * B * Hq * L * L * D * (0.5 if causal else 1.0)
        line += "  %.0f TFLOP/s" % (flops / t_attn / 1e9)
        print(line + ("" if err < 3e-2 else "  NUMERICS FAIL"))


if __name__ == "__main__":
    main()
