#!/usr/bin/env python3
"""Runs the kernels prepared by bench/gpu/prepare.py on a CUDA GPU with
PyTorch: checks each against a float32 PyTorch reference, then times it
against torch SDPA (FlashAttention backend where available) and
FlexAttention (torch.compile'd, where available). Prints one line per
configuration with the error and the ratios (> 1: attn is faster).

Variants: ALiBi (SDPA with the bias materialised as a float mask; Flex
with a score_mod), softcap 50 (no SDPA equivalent: "sdpa -"; Flex with a
score_mod), document mask (SDPA with a materialised boolean mask; Flex
with a per-batch BlockMask built once, outside the timing).

Each configuration has an mma.sync kernel ("attn") and, where prepare.py
built it and the device is compute capability 9.0, the Hopper
warpgroup-MMA kernel ("wgmma", chip sm_90a), checked and timed the same
way; "wgmma ... (xR)" is its speed-up over the mma.sync kernel.

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
    u32 = ctypes.c_uint32
    lib.attnCudaLaunch.restype = ctypes.c_int
    lib.attnCudaLaunch.argtypes = [vp, ctypes.c_char_p] + [u32] * 7 + [
        vp, ctypes.POINTER(vp), ctypes.c_int]
    lib.attnCudaLastError.restype = ctypes.c_char_p
    return lib


def launcher(lib, image, kernel, B, Hq, L, D, ptrs, smem=None):
    """A closure launching `kernel` with the device pointers `ptrs` (Q, K,
    V, O, then the variant's extra arguments), convert-attn-to-gpu's grid
    (ceil(L / 64), Hq, B) x 128 threads and `smem` bytes of dynamic shared
    memory (default 5 * 64 * (D + 8) * 2, the mma.sync kernel's)."""
    vals = [ctypes.c_void_p(p) for p in ptrs]
    args = (ctypes.c_void_p * len(vals))(
        *[ctypes.cast(ctypes.pointer(x), ctypes.c_void_p) for x in vals])
    if smem is None:
        smem = 5 * 64 * (D + 8) * 2

    def run():
        rc = lib.attnCudaLaunch(image, kernel, (L + 63) // 64, Hq, B, 128, 1,
                                1, smem,
                                torch.cuda.current_stream().cuda_stream,
                                args, len(vals))
        if rc:
            raise RuntimeError(lib.attnCudaLastError().decode())
    run.keep = (vals, args)
    return run


def alibi_slopes(H, dev):
    return 2.0 ** (-8.0 * torch.arange(1, H + 1, device=dev,
                                       dtype=torch.float32) / H)


def document_ids(B, L, dev, seed=0):
    """Packed documents of 128..1024 tokens, ids 0, 1, ... per sequence."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.empty(B, L, dtype=torch.int32)
    for b in range(B):
        pos, doc = 0, 0
        while pos < L:
            n = int(torch.randint(128, 1025, (1,), generator=g))
            ids[b, pos:pos + n] = doc
            pos, doc = pos + n, doc + 1
    return ids.to(dev)


def reference(q, k, v, causal, bias=None, softcap=None, keep=None):
    """float32 attention with GQA by repetition (the oracle, not timed).
    `bias` [1|B, H, L, S] is added after the softcap, `keep` [B, 1, L, S]
    joins the causal mask. Row blocks keep the score matrix small."""
    g = q.shape[1] // k.shape[1]
    k = k.float().repeat_interleave(g, dim=1)
    v = v.float().repeat_interleave(g, dim=1)
    out = torch.empty(q.shape, dtype=torch.float32, device=q.device)
    L, S = q.shape[2], k.shape[2]
    for r0 in range(0, L, 1024):
        r1 = min(r0 + 1024, L)
        s = torch.einsum("bhid,bhjd->bhij", q[:, :, r0:r1].float(),
                         k) / math.sqrt(q.shape[-1])
        if softcap is not None:
            s = softcap * torch.tanh(s / softcap)
        if bias is not None:
            s = s + bias(r0, r1)
        m = torch.ones(r1 - r0, S, dtype=torch.bool, device=s.device)
        if causal:
            m = m.tril(S - L + r0)
        m = m.expand(s.shape)
        if keep is not None:
            m = m & keep(r0, r1)
        s = s.masked_fill(~m, float("-inf"))
        out[:, :, r0:r1] = torch.einsum("bhij,bhjd->bhid", s.softmax(-1), v)
    return out


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
    hopper = torch.cuda.get_device_capability() == (9, 0)
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
        variant = cfg.get("variant", "")
        gqa = Hq != Hkv
        extras = {}
        bias = keep = softcap = None
        sdpa_mask = None
        score_mod = mask_mod = None
        if variant == "alibi":
            slopes = alibi_slopes(Hq, dev)
            extras["slopes"] = slopes
            pos = torch.arange(L, device=dev)

            def bias(r0, r1):
                d = (pos[None, :] - pos[r0:r1, None]).float()
                return slopes.view(1, Hq, 1, 1) * d

            # SDPA takes the bias materialised (causal folded in as -inf).
            sdpa_mask = bias(0, L).to(dt)
            if causal:
                sdpa_mask = sdpa_mask.masked_fill(
                    ~torch.ones(L, L, dtype=torch.bool, device=dev).tril(),
                    float("-inf"))

            def score_mod(score, b, h, qi, kv):
                return score + slopes[h] * (kv - qi)
        elif variant == "softcap50":
            softcap = 50.0

            def score_mod(score, b, h, qi, kv):
                return 50.0 * torch.tanh(score / 50.0)
        elif variant == "document":
            ids = document_ids(B, L, dev)
            extras["q_segment_ids"] = ids
            extras["kv_segment_ids"] = ids

            def keep(r0, r1):
                return (ids[:, None, r0:r1, None] == ids[:, None, None, :])

            sdpa_mask = keep(0, L)
            if causal:
                sdpa_mask = sdpa_mask & torch.ones(
                    L, L, dtype=torch.bool, device=dev).tril()

            def mask_mod(b, h, qi, kv):
                same = ids[b, qi] == ids[b, kv]
                return (same & (qi >= kv)) if causal else same
        ptrs = [q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr()]
        ptrs += [extras[n].data_ptr() for n in cfg.get("extra_args", [])]
        run_attn = launcher(lib, image, cfg["kernel"].encode(), B, Hq, L, D,
                            ptrs, cfg.get("smem"))
        run_wgmma = None
        if cfg.get("wgmma_cubin") and hopper:
            with open(os.path.join(args.dir, cfg["wgmma_cubin"]), "rb") as f:
                wg_image = ctypes.create_string_buffer(f.read())
            run_wgmma = launcher(lib, wg_image, cfg["kernel"].encode(), B,
                                 Hq, L, D, ptrs, cfg["wgmma_smem"])
            run_wgmma.image = wg_image

        ref = reference(q, k, v, causal, bias=bias, softcap=softcap,
                        keep=keep)
        run_attn()
        torch.cuda.synchronize()
        err = (o.float() - ref).abs().max().item()
        err_wg = None
        if run_wgmma is not None:
            o.zero_()
            run_wgmma()
            torch.cuda.synchronize()
            err_wg = (o.float() - ref).abs().max().item()
        del ref
        t_attn = time_ms(run_attn, args.iters)
        line = "%-26s max|err|=%.2e attn %.3f ms" % (cfg["name"], err, t_attn)
        if run_wgmma is not None:
            t_wg = time_ms(run_wgmma, args.iters)
            line += "  wgmma %.3f ms (x%.2f) max|err|=%.2e" % (
                t_wg, t_attn / t_wg, err_wg)
            err = max(err, err_wg)
        if variant == "softcap50":
            line += "  sdpa -"
        else:
            if sdpa_mask is None:
                sdpa = lambda: F.scaled_dot_product_attention(
                    q, k, v, is_causal=causal, enable_gqa=gqa)
            else:
                sdpa = lambda: F.scaled_dot_product_attention(
                    q, k, v, attn_mask=sdpa_mask, enable_gqa=gqa)
            t_sdpa = time_ms(sdpa, args.iters)
            line += "  sdpa %.3f ms (x%.2f)" % (t_sdpa, t_sdpa / t_attn)
        if flex is not None:
            bm = None
            if mask_mod is not None:
                bm = create_block_mask(mask_mod, B, None, L, L, device="cuda")
            elif causal:
                bm = create_block_mask(lambda b, h, qi, kv: qi >= kv, None,
                                       None, L, L, device="cuda")
            t_flex = time_ms(lambda: flex(q, k, v, score_mod=score_mod,
                                          block_mask=bm, enable_gqa=gqa),
                             args.iters)
            line += "  flex %.3f ms (x%.2f)" % (t_flex, t_flex / t_attn)
        flops = 4 * B * Hq * L * L * D * (0.5 if causal else 1.0)
        line += "  %.0f TFLOP/s%s" % (
            flops / t_attn / 1e9,
            " (dense-equivalent)" if variant == "document" else "")
        print(line + ("" if err < 3e-2 else "  NUMERICS FAIL"))


if __name__ == "__main__":
    main()
