#!/usr/bin/env python3
"""Runs the kernels prepared by bench/gpu/prepare.py on a CUDA GPU with
PyTorch (no MLIR needed): checks each against a float32 PyTorch reference
(relative error = max|O - ref| / max|ref| <= 1e-2, no NaN), then times it
with CUDA events (median of --iters launches, L2 flushed before each)
against torch SDPA with its default backend (the backend it picked is
named, from the kernels the profiler saw), SDPA forced to the flash
backend, and FlexAttention through torch.compile. Prints one line per
configuration with TFLOP/s and ratios (> 1: attn is faster), then the
issue's targets.

Masks and variants: causal and sliding window 1024 (SDPA: is_causal or a
materialised boolean mask; Flex: a BlockMask), ALiBi (SDPA: materialised
float bias; Flex: score_mod), softcap 50 (no SDPA equivalent; Flex:
score_mod), document mask (SDPA: materialised boolean mask; Flex: a
per-batch BlockMask). Block masks and materialised masks are built once,
outside the timing. FLOPs: 4 B H Lq Lkv D, halved for causal; windowed and
document rows count the kept (query, key) pairs instead of Lq Lkv.

Each tensor-core configuration also has, where prepare.py built it and the
device is compute capability 9.0, the Hopper warpgroup-MMA kernel
("wgmma", chip sm_90a), checked and timed the same way; the targets use
the faster of the two.

    python3 bench_attn.py DIR [--iters 30] [--only NAME,...] [--part I/N]
                              [--no-flex] [--max-seconds 450] [--json FILE]

One device command may run 10 minutes and each configuration compiles
FlexAttention anew (torch.compile, several seconds to tens of seconds), so
a whole run is split across commands with --part (every N-th
configuration, from the I-th, 1-based) and bounded by --max-seconds (no
configuration is started after that many seconds, default 450; the ones
left are named). --json writes the rows (times, errors, backends) to FILE
after every configuration. A configuration that raises is reported and the
run goes on, unless the CUDA context is lost (a kernel fault), which stops
it. Exit status 1 when any check failed or a configuration was skipped.
"""

import argparse
import ctypes
import importlib
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# Every image buffer handed to the runtime, alive until the process ends:
# the runtime caches modules by image address, so a freed buffer whose
# address a later configuration's image reused would launch the stale
# module (cuModuleGetFunction fails on the new kernel name).
_IMAGES = {}


def load_image(path):
    """The NUL-terminated cubin bytes of `path`, kept for the process."""
    if path not in _IMAGES:
        with open(path, "rb") as f:
            _IMAGES[path] = ctypes.create_string_buffer(f.read())
    return _IMAGES[path]


def load_runtime(path):
    lib = ctypes.CDLL(path)
    vp = ctypes.c_void_p
    u32 = ctypes.c_uint32
    lib.attnCudaLaunch.restype = ctypes.c_int
    lib.attnCudaLaunch.argtypes = [vp, ctypes.c_char_p] + [u32] * 7 + [
        vp, ctypes.POINTER(vp), ctypes.c_int]
    lib.attnCudaLastError.restype = ctypes.c_char_p
    return lib


def launcher(lib, image, cfg, ptrs, smem=None):
    """A closure launching the configuration's kernel on the device pointers
    `ptrs` (Q, K, V, O, then the extra arguments) with the launch recorded
    by prepare.py (grid, block, dynamic shared memory; `smem` overrides the
    latter, for the wgmma kernel); a kernel compiled for dynamic lengths
    takes the recorded Lq and Lkv last."""
    vals = [ctypes.c_void_p(p) for p in ptrs]
    vals += [ctypes.c_int64(n) for n in cfg.get("lengths", [])]
    args = (ctypes.c_void_p * len(vals))(
        *[ctypes.cast(ctypes.pointer(x), ctypes.c_void_p) for x in vals])
    grid, block = cfg["grid"], cfg["block"]
    smem = cfg["smem"] if smem is None else smem
    kernel = cfg["kernel"].encode()

    def run():
        rc = lib.attnCudaLaunch(image, kernel, *grid, *block, smem,
                                torch.cuda.current_stream().cuda_stream,
                                args, len(vals))
        if rc:
            raise RuntimeError(lib.attnCudaLastError().decode())
    run.keep = (vals, args, image)
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


def block_sparse(B, L, dev, block=128, seed=0):
    """[B, L / block, L / block] kept blocks: about a quarter, the diagonal
    always (no empty rows)."""
    g = torch.Generator().manual_seed(seed)
    n = L // block
    keep = torch.rand(B, n, n, generator=g) < 0.25
    keep |= torch.eye(n, dtype=torch.bool)[None]
    return keep.to(dev)


def varlen_lengths(B, L, dev, seed=0):
    """Per-sequence (q_len, kv_len): kv_len in [L/4, L], q_len <= kv_len."""
    g = torch.Generator().manual_seed(seed)
    kv = torch.randint(L // 4, L + 1, (B,), generator=g)
    q = torch.minimum(kv, torch.randint(L // 4, L + 1, (B,), generator=g))
    return q.to(torch.int32).to(dev), kv.to(torch.int32).to(dev)


def structured_keep(mask, r0, r1, S, L, dev):
    """[r1 - r0, S] keep matrix of a structured mask (aligned to the last
    key: query i sits at position i + S - L)."""
    i = torch.arange(r0, r1, device=dev)[:, None] + (S - L)
    j = torch.arange(S, device=dev)[None, :]
    if mask == "causal":
        return j <= i
    if mask == "window1024":
        return (j <= i) & (j >= i - 1023)
    return torch.ones(r1 - r0, S, dtype=torch.bool, device=dev)


def reference(q, k, v, mask, bias=None, softcap=None, keep=None,
              causal_in_keep=False):
    """float32 attention with GQA by repetition (the oracle, not timed).
    `bias(r0, r1)` is added after the softcap, `keep(r0, r1)` [B, 1, r, S]
    joins the structured mask (replaces it with `causal_in_keep`: lengths
    align the causal mask per sequence). Row blocks keep the score matrix
    small."""
    g = q.shape[1] // k.shape[1]
    k = k.float().repeat_interleave(g, dim=1)
    v = v.float().repeat_interleave(g, dim=1)
    out = torch.empty(q.shape, dtype=torch.float32, device=q.device)
    L, S = q.shape[2], k.shape[2]
    rows = max(64, (1 << 28) // (q.shape[0] * q.shape[1] * S))
    for r0 in range(0, L, rows):
        r1 = min(r0 + rows, L)
        s = torch.einsum("bhid,bhjd->bhij", q[:, :, r0:r1].float(),
                         k) / math.sqrt(q.shape[-1])
        if softcap is not None:
            s = softcap * torch.tanh(s / softcap)
        if bias is not None:
            s = s + bias(r0, r1)
        m = structured_keep(mask, r0, r1, S, L, q.device)
        if keep is not None and causal_in_keep:
            m = torch.ones_like(m)
        m = m.expand(s.shape)
        if keep is not None:
            m = m & keep(r0, r1)
        s = s.masked_fill(~m, float("-inf"))
        p = torch.nan_to_num(s.softmax(-1), nan=0.0)
        out[:, :, r0:r1] = torch.einsum("bhij,bhjd->bhid", p, v)
    return out


class Timer:
    """Median time of a callable over `iters` launches, each preceded by an
    L2 flush (a write of a buffer larger than the L2 cache)."""

    def __init__(self, iters, dev):
        self.iters = iters
        l2 = getattr(torch.cuda.get_device_properties(dev), "L2_cache_size",
                     50 << 20)
        self.flush = torch.empty(max(4 * l2, 256 << 20), dtype=torch.int8,
                                 device=dev)

    def __call__(self, fn):
        for _ in range(3):
            fn()
        times = []
        for _ in range(self.iters):
            self.flush.zero_()
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        return statistics.median(times)


def sdpa_backend(fn):
    """The SDPA backend `fn` ran: the aten operator SDPA dispatched to
    (_scaled_dot_product_{cudnn,flash,efficient}_attention), else the CUDA
    kernels the profiler saw."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU,
                             ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    names = {e.name for e in prof.events()}
    for tag in ("cudnn", "flash", "efficient"):
        if any("_scaled_dot_product_%s_attention" % tag in n for n in names):
            return tag
    for tag, keys in (("cudnn", ("cudnn",)),
                      ("flash", ("flash_fwd", "pytorch_flash")),
                      ("efficient", ("fmha", "cutlassF"))):
        if any(x in n for n in names for x in keys):
            return tag
    return "math"


def flex_mask_mod(cfg, causal, ids, blocks, qlen, kvlen):
    """The FlexAttention mask_mod of a configuration (None: no mask)."""
    variant, mask = cfg.get("variant", ""), cfg["mask"]
    if variant == "blocksparse":
        def mask_mod(b, h, qi, kv):
            return blocks[b, qi // 128, kv // 128]
    elif variant == "varlen":
        def mask_mod(b, h, qi, kv):
            ql, kl = qlen[b], kvlen[b]
            keep = (qi < ql) & (kv < kl)
            return (keep & (kv <= qi + kl - ql)) if causal else keep
    elif variant == "document":
        if causal:
            def mask_mod(b, h, qi, kv):
                return (ids[b, qi] == ids[b, kv]) & (qi >= kv)
        else:
            def mask_mod(b, h, qi, kv):
                return ids[b, qi] == ids[b, kv]
    elif causal:
        def mask_mod(b, h, qi, kv):
            return qi >= kv
    elif mask == "window1024":
        def mask_mod(b, h, qi, kv):
            return (qi >= kv) & (qi - kv < 1024)
    else:
        mask_mod = None
    return mask_mod


def bench_config(cfg, args, lib, timer, hopper, use_flex):
    """Checks and times one configuration; returns (row, printed line)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    dev = torch.device("cuda")
    t_start = time.perf_counter()
    name = cfg["name"]
    dt = {"bf16": torch.bfloat16, "f16": torch.float16,
          "f32": torch.float32}[cfg["dtype"]]
    B, Hq, Hkv = cfg["batch"], cfg["q_heads"], cfg["kv_heads"]
    L, D, mask = cfg["seq"], cfg["head_dim"], cfg["mask"]
    variant = cfg.get("variant", "")
    causal = mask == "causal"
    torch.manual_seed(0)
    q = torch.randn(B, Hq, L, D, device=dev, dtype=dt)
    k = torch.randn(B, Hkv, L, D, device=dev, dtype=dt)
    v = torch.randn(B, Hkv, L, D, device=dev, dtype=dt)
    o = torch.full_like(q, float("nan"))
    image = load_image(os.path.join(args.dir, cfg["cubin"]))
    gqa = Hq != Hkv
    extras = {}
    bias = keep = softcap = None
    score_mod = None
    ids = blocks = qlen = kvlen = None
    if variant == "alibi":
        slopes = alibi_slopes(Hq, dev)
        extras["slopes"] = slopes
        pos = torch.arange(L, device=dev)

        def bias(r0, r1):
            d = (pos[None, :] - pos[r0:r1, None]).float()
            return slopes.view(1, Hq, 1, 1) * d

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
            return ids[:, None, r0:r1, None] == ids[:, None, None, :]
    elif variant == "blocksparse":
        blocks = block_sparse(B, L, dev)
        dense_mask = blocks.repeat_interleave(128, 1).repeat_interleave(
            128, 2)[:, None].contiguous()
        extras["mask"] = dense_mask

        def keep(r0, r1):
            return dense_mask[:, :, r0:r1, :]
    elif variant == "varlen":
        qlen, kvlen = varlen_lengths(B, L, dev)
        extras["q_lengths"], extras["kv_lengths"] = qlen, kvlen
        pos = torch.arange(L, device=dev)

        def keep(r0, r1):
            i = pos[None, r0:r1, None]
            j = pos[None, None, :]
            ql, kl = qlen[:, None, None], kvlen[:, None, None]
            kept = (i < ql) & (j < kl)
            if causal:  # bottom-right aligned per sequence
                kept = kept & (j <= i + (kl - ql))
            return kept[:, None]

    ptrs = [q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr()]
    ptrs += [extras[n].data_ptr() for n in cfg.get("extra_args", [])]
    run_attn = launcher(lib, image, cfg, ptrs)
    run_wgmma = None
    if cfg.get("wgmma_cubin") and hopper:
        wg_image = load_image(os.path.join(args.dir, cfg["wgmma_cubin"]))
        run_wgmma = launcher(lib, wg_image, cfg, ptrs, cfg["wgmma_smem"])

    # Numerics first.
    own_causal = variant == "varlen"
    ref = reference(q, k, v, mask, bias=bias, softcap=softcap, keep=keep,
                    causal_in_keep=own_causal)

    def check(run):
        o.fill_(float("nan"))
        run()
        torch.cuda.synchronize()
        nan = bool(torch.isnan(o).any())
        rel = ((o.float() - ref).abs().max() / ref.abs().max()).item()
        return rel, nan
    rel, nan = check(run_attn)
    rel_wg = nan_wg = None
    if run_wgmma is not None:
        rel_wg, nan_wg = check(run_wgmma)
    del ref
    # NaN compares false: a NaN error fails too.
    ok = rel <= 1e-2 and not nan
    if run_wgmma is not None:
        ok = ok and rel_wg <= 1e-2 and not nan_wg

    # FLOPs: the convention, kept pairs for windows/documents.
    if variant in ("document", "blocksparse", "varlen") or \
            mask == "window1024":
        kept = 0
        for r0 in range(0, L, 1024):
            m = structured_keep(mask, r0, min(L, r0 + 1024), L, L, dev)
            if own_causal:
                m = torch.ones_like(m)
            m = m.expand(B, 1, -1, -1)
            if keep is not None:
                m = m & keep(r0, min(L, r0 + 1024))
            kept += int(m.sum())
        flops = 4.0 * Hq * D * kept
    else:
        flops = 4.0 * B * Hq * L * L * D * (0.5 if causal else 1.0)

    t_attn = timer(run_attn)
    row = dict(name=name, mask=mask, variant=variant, D=D, L=L, rel=rel,
               nan=nan, ok=ok, attn=t_attn, mma_sync=t_attn,
               tflops=flops / t_attn / 1e9)
    line = "%-26s rel.err %.1e%s | attn %8.3f ms %5.0f TF/s" % (
        name, rel, " NaN" if nan else "", t_attn, row["tflops"])
    if run_wgmma is not None:
        t_wg = timer(run_wgmma)
        row.update(wgmma=t_wg, rel_wgmma=rel_wg, nan_wgmma=nan_wg)
        line += " | wgmma rel.err %.1e%s %8.3f ms %5.0f TF/s" % (
            rel_wg, " NaN" if nan_wg else "", t_wg, flops / t_wg / 1e9)
        # The targets use the faster kernel.
        t_attn = row["attn"] = min(t_attn, t_wg)
        row["tflops"] = flops / t_attn / 1e9

    # SDPA: default backend, then forced flash (where it applies).
    sdpa_mask = None
    if variant != "softcap50":
        if mask == "window1024" or keep is not None or bias is not None:
            m = structured_keep(mask, 0, L, L, L, dev)[None, None]
            if own_causal:
                m = torch.ones_like(m)
            if keep is not None:
                m = m & keep(0, L)
            if bias is not None:
                sdpa_mask = bias(0, L).masked_fill(~m, float("-inf"))
                sdpa_mask = sdpa_mask.to(dt)
            else:
                sdpa_mask = m
            del m
        if sdpa_mask is None:
            def sdpa():
                return F.scaled_dot_product_attention(
                    q, k, v, is_causal=causal, enable_gqa=gqa)
        else:
            def sdpa():
                return F.scaled_dot_product_attention(
                    q, k, v, attn_mask=sdpa_mask, enable_gqa=gqa)
        try:
            row["sdpa_backend"] = sdpa_backend(sdpa)
            row["sdpa"] = timer(sdpa)
            line += " | sdpa[%s] %8.3f ms x%.2f" % (
                row["sdpa_backend"], row["sdpa"], row["sdpa"] / t_attn)
        except Exception as e:  # noqa: BLE001 (any failure: report, go on)
            line += " | sdpa failed (%s)" % str(e).splitlines()[0][:60]

        def flash():
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                return sdpa()
        try:
            row["flash"] = timer(flash)
            line += " | flash %8.3f ms x%.2f" % (row["flash"],
                                                 row["flash"] / t_attn)
        except Exception:  # noqa: BLE001 (flash refuses masks and f32)
            line += " | flash -"
        sdpa_mask = None
    else:
        line += " | sdpa -"
    if use_flex:
        from torch.nn.attention.flex_attention import (create_block_mask,
                                                       flex_attention)
        try:
            # A fresh compile per configuration: each one brings new
            # score_mod/mask_mod closures and shapes, and past dynamo's
            # recompile limit (8) flex_attention would silently run eagerly
            # (the whole score matrix in memory).
            torch.compiler.reset()
            flex = torch.compile(flex_attention, dynamic=False)
            mask_mod = flex_mask_mod(cfg, causal, ids, blocks, qlen, kvlen)
            bm = None
            if mask_mod is not None:
                per_batch = variant in ("document", "blocksparse", "varlen")
                bm = create_block_mask(mask_mod, B if per_batch else None,
                                       None, L, L, device="cuda")

            def run_flex():
                return flex(q, k, v, score_mod=score_mod, block_mask=bm,
                            enable_gqa=gqa)
            t0 = time.perf_counter()
            run_flex()
            torch.cuda.synchronize()
            row["flex_compile_s"] = time.perf_counter() - t0
            row["flex"] = timer(run_flex)
            line += " | flex %8.3f ms x%.2f" % (row["flex"],
                                                row["flex"] / t_attn)
        except Exception as e:  # noqa: BLE001 (report, go on)
            line += " | flex failed (%s)" % str(e).splitlines()[0][:60]
    row["seconds"] = time.perf_counter() - t_start
    line += " [%.0f s]" % row["seconds"]
    return row, line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--only", default="",
                    help="comma-separated substrings of configuration names")
    ap.add_argument("--part", default="1/1", metavar="I/N",
                    help="only every N-th selected configuration, starting "
                    "at the I-th (1-based), to split a run across commands")
    ap.add_argument("--no-flex", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=450.0,
                    help="start no configuration after this many seconds "
                    "(one device command may run 600; a configuration with "
                    "a cold FlexAttention compile can take a minute)")
    ap.add_argument("--json", metavar="FILE",
                    help="write the result rows to FILE (rewritten after "
                    "each configuration, so a killed run keeps its rows)")
    args = ap.parse_args()
    t_begin = time.perf_counter()
    part, parts = (int(x) for x in args.part.split("/"))
    if not 1 <= part <= parts:
        ap.error("--part I/N needs 1 <= I <= N")
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    configs = [c for c in manifest["configs"]
               if not args.only or
               any(x in c["name"] for x in args.only.split(","))]
    configs = configs[part - 1::parts]
    lib = load_runtime(os.path.join(args.dir, "libattn_cuda_runtime.so"))
    use_flex = not args.no_flex
    if use_flex:
        try:
            # (importlib: an import statement would make `torch` local.)
            importlib.import_module("torch.nn.attention.flex_attention")
        except Exception as e:  # noqa: BLE001 (older torch)
            print("FlexAttention unavailable:", e)
            use_flex = False
    dev = torch.device("cuda")
    timer = Timer(args.iters, dev)
    hopper = torch.cuda.get_device_capability() == (9, 0)
    print("device:", torch.cuda.get_device_name(), "| chip:",
          manifest["chip"], "| torch", torch.__version__, "| median of",
          args.iters, "launches, L2 flushed | part %d/%d: %d configurations"
          % (part, parts, len(configs)), flush=True)
    results, failed, skipped = [], [], []

    def dump():
        if args.json:
            with open(args.json, "w") as f:
                json.dump(dict(device=torch.cuda.get_device_name(),
                               torch=torch.__version__, iters=args.iters,
                               part=args.part, rows=results, failed=failed,
                               skipped=skipped), f, indent=1)
    for cfg in configs:
        if time.perf_counter() - t_begin > args.max_seconds:
            skipped.append(cfg["name"])
            continue
        try:
            row, line = bench_config(cfg, args, lib, timer, hopper, use_flex)
        except Exception as e:  # noqa: BLE001 (report, go on if CUDA lives)
            print("%-26s ERROR %s" % (cfg["name"], str(e).strip()[:300]),
                  flush=True)
            failed.append(cfg["name"])
            dump()
            try:
                torch.cuda.synchronize()
            except Exception:  # noqa: BLE001 (sticky error: context lost)
                print("CUDA context unusable after this error; stopping")
                skipped += [c["name"] for c in
                            configs[configs.index(cfg) + 1:]]
                break
            continue
        print(line + ("" if row["ok"] else "  NUMERICS FAIL"), flush=True)
        results.append(row)
        dump()
    dump()

    # The targets.
    print("targets:")
    dense = [r for r in results if r["mask"] == "none" and r["variant"] == ""
             and r["D"] == 128 and r["L"] >= 4096 and "sdpa" in r]
    # A time counts only for a kernel that computes the right function.
    def verdict(r, ratio, target):
        if not r["ok"]:
            return "numerics FAIL (time does not count)"
        return "met" if ratio >= target else "MISSED"
    for r in dense:
        ratio = r["sdpa"] / r["attn"]
        print("  dense hd128 %-22s x%.2f of SDPA[%s] (target 0.75, "
              "stretch 0.9): %s" % (r["name"], ratio, r["sdpa_backend"],
                                    verdict(r, ratio, 0.75)))
    for r in results:
        if (r["mask"] != "none" or r["variant"]) and "flex" in r:
            ratio = r["flex"] / r["attn"]
            print("  masked %-27s x%.2f of Flex (target 1.0): %s" % (
                r["name"], ratio, verdict(r, ratio, 1.0)))
    bad = [r["name"] for r in results if not r["ok"]] + failed
    print("numerics:", "all ok" if not bad else "FAILED " + ", ".join(bad))
    if skipped:
        print("skipped (--max-seconds %.0f reached, or CUDA lost): %s" % (
            args.max_seconds, ", ".join(skipped)))
    print("total %.0f s" % (time.perf_counter() - t_begin))
    return 1 if bad or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
