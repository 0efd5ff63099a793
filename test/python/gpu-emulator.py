# RUN: %python %s | FileCheck %s --implicit-check-not=BAD --implicit-check-not=MISSED
"""Emulates the convert-attn-to-gpu kernels with numpy (attn.testing.gpu_emulator:
lockstep threads, PTX fragment layouts of ldmatrix and mma.sync, and of
Hopper wgmma with matrix descriptors and swizzled shared memory) and
compares them with the float64 reference, so the kernel's indexing,
double buffering, masking and online softmax are checked without a GPU.
The wgmma variant (chip sm_90a) runs a subset of the cases, including
planted layout and ordering bugs.

Inputs are rounded to the storage type first; the tolerance covers the
f16/bf16 rounding of P before P.V (the only rounding inside the kernel).
"""

import os
import re
import subprocess
import tempfile

import numpy as np

from attn import reference
from attn.testing.gpu_cases import (math_mod_reference, module,
                                    swap_length_args)
from attn.testing.gpu_emulator import (EmulationError, Emulator,
                                       add_head_features, add_scalar_features,
                                       attention_buffers, kernels)
from attn.runner import attn_opt

CASES = [
    # name, dtype, B, Hq, Hkv, Lq, Lkv, D, attr, numpy masks, out, lse
    ("causal_gqa", "bf16", 1, 4, 2, 100, 150, 64, "{masks = [#attn.causal]}",
     [("causal",)], "f32", True),
    ("dense_d128", "f16", 1, 1, 1, 64, 200, 128, "{scale = 0.1}", [],
     "f16", False),
    ("window", "bf16", 1, 1, 1, 130, 130, 64,
     "{masks = [#attn.sliding_window<left = 70, right = 0>]}",
     [("sliding_window", 70, 0)], "bf16", True),
    ("chunked_causal", "f16", 1, 2, 1, 150, 150, 64,
     "{masks = [#attn.causal, #attn.chunked<48>]}",
     [("causal",), ("chunked", 48)], "f32", False),
    ("prefix_lm", "bf16", 1, 1, 1, 80, 200, 64,
     "{masks = [#attn.prefix_lm<90>]}", [("prefix_lm", 90)], "f32", True),
    # Lq > Lkv: the first 60 aligned rows see no key (O = 0, lse = -inf).
    ("causal_empty_rows", "bf16", 1, 1, 1, 100, 40, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True),
    ("dense_d96", "f16", 1, 1, 1, 64, 100, 96, "", [], "f32", False),
    ("dilated", "f16", 1, 1, 1, 64, 130, 64,
     "{masks = [#attn.dilated<3>]}", [("dilated", 3)], "f32", False),
]

# Score modifiers, document masks and sinks: the same tuple plus a feature
# dict (keys alibi, softcap, segments = "sorted" | "random", seg_type (the
# ids' element type, i32 by default), sinks, mask_mod).
FEATURE_CASES = [
    ("alibi_causal", "bf16", 1, 4, 2, 100, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"alibi": True}),
    ("softcap", "f16", 1, 2, 2, 70, 130, 64, "{scale = 0.1}", [], "f32",
     True, {"softcap": 5.0}),
    ("softcap_alibi_window", "bf16", 1, 2, 1, 64, 192, 128,
     "{masks = [#attn.sliding_window<left = 90, right = 0>]}",
     [("sliding_window", 90, 0)], "bf16", False,
     {"softcap": 2.0, "alibi": True}),
    ("document", "bf16", 2, 2, 1, 200, 200, 64, "", [], "f32", False,
     {"segments": "sorted"}),
    ("document_causal_lse", "f16", 1, 2, 2, 150, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"segments": "sorted"}),
    ("document_unsorted_i16", "bf16", 1, 1, 1, 100, 130, 64, "", [], "f32",
     True, {"segments": "random", "seg_type": "i16"}),
    ("sinks_causal", "bf16", 1, 4, 2, 100, 100, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"sinks": True}),
    # Lq > Lkv causal: the first 60 rows keep no key (O = 0, lse = sink).
    ("sinks_empty_rows", "f16", 1, 2, 2, 100, 40, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"sinks": True}),
    ("mask_mod_causal", "f16", 1, 1, 1, 96, 160, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"mask_mod": True}),
    # A window region: key tiles bounded by the mask analysis (first and
    # last blocks cut the window).
    ("mask_mod_window", "bf16", 1, 2, 1, 200, 200, 64, "", [], "f32", True,
     {"mask_mod_window": True}),
    # Per-sequence lengths: empty sequences, lengths cutting tiles, the
    # causal alignment q' = i + kv_len - q_len per sequence, and query
    # tiles past q_len.
    ("lengths_causal", "bf16", 4, 2, 1, 130, 200, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"q_lengths": [130, 0, 37, 70], "kv_lengths": [200, 64, 37, 129]}),
    ("kv_lengths_dense", "f16", 3, 2, 2, 64, 150, 128, "", [], "f32", True,
     {"kv_lengths": [150, 0, 65]}),
    ("lengths_alibi_document", "bf16", 2, 2, 1, 100, 140, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"q_lengths": [60, 100], "kv_lengths": [140, 70], "alibi": True,
      "segments": "sorted"}),
    # Mask tensors (feature "mask": (kind, shape)): block-sparse booleans
    # (blocks of random size off the tile grid: all false, all true or
    # random), broadcast ranks, fully masked rows, additive float masks.
    ("mask_blocks", "bf16", 1, 2, 1, 130, 300, 64, "", [], "f32", True,
     {"mask": ("blocks", (1, 2, 130, 300))}),
    ("mask_blocks_causal_d128", "f16", 2, 1, 1, 192, 192, 128,
     "{masks = [#attn.causal]}", [("causal",)], "bf16", False,
     {"mask": ("blocks", (2, 1, 192, 192))}),
    ("mask_rank2_empty_rows", "bf16", 1, 2, 2, 70, 100, 64, "", [], "f32",
     True, {"mask": ("rows", (70, 100))}),
    ("mask_float_rank3", "bf16", 2, 2, 1, 64, 128, 64,
     "{masks = [#attn.sliding_window<left = 50, right = 10>]}",
     [("sliding_window", 50, 10)], "f32", True,
     {"mask": ("float", (2, 64, 128))}),
    ("q_lengths_window", "bf16", 2, 1, 1, 150, 150, 64,
     "{masks = [#attn.sliding_window<left = 40, right = 3>]}",
     [("sliding_window", 40, 3)], "f32", False, {"q_lengths": [65, 150]}),
    # Dynamic Lq and Lkv (flat handles, Lq and Lkv as the last two kernel
    # arguments): with causal GQA, with documents, a mask tensor and
    # lengths, and with Lkv = 0 (every row empty: O = 0, lse = -inf; no K/V
    # element may be read) and Lq = 0 (the one block launched stores
    # nothing).
    ("dynamic_causal_gqa", "bf16", 1, 4, 2, 100, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dynamic": True}),
    ("dynamic_document_mask_d128", "f16", 2, 2, 1, 130, 200, 128, "", [],
     "f32", True, {"dynamic": True, "segments": "sorted",
                   "mask": ("blocks", (2, 1, 130, 200)),
                   "kv_lengths": [200, 90]}),
    ("dynamic_empty_keys", "bf16", 1, 2, 1, 70, 0, 64, "", [], "f32", True,
     {"dynamic": True, "segments": "sorted",
      "mask": ("blocks", (1, 1, 70, 0))}),
    ("dynamic_empty_queries", "f16", 1, 2, 2, 0, 90, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dynamic": True}),
    # Dynamic batch (the kernel reads B from the grid): with a mask and
    # lengths, with dynamic lengths and documents, and an empty batch.
    ("dynamic_batch_mask_lengths", "bf16", 3, 2, 1, 100, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dynamic_batch": True, "mask": ("blocks", (3, 1, 100, 150)),
      "kv_lengths": [150, 0, 77]}),
    ("dynamic_all_documents", "f16", 2, 2, 2, 90, 130, 64, "", [], "f32",
     True, {"dynamic": True, "dynamic_batch": True, "segments": "sorted"}),
    ("dynamic_batch_empty", "bf16", 0, 2, 2, 64, 64, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"dynamic_batch": True}),
    # A score_mod with exp, exp2, log, log2, sqrt, rsqrt and absf (PTX
    # instructions, no libdevice).
    ("math_mod_causal", "bf16", 1, 2, 1, 100, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", True,
     {"math_mod": True}),
    # Other normalisers: sigmoid (no state; masked keys weigh 0) and
    # softpick (running max from 0, relu / |.| sums, empty rows 0).
    ("sigmoid_causal_gqa", "f16", 1, 4, 2, 100, 150, 64,
     "{masks = [#attn.causal]}", [("causal",)], "f32", False,
     {"normalizer": "sigmoid", "sigmoid_bias": -1.5}),
    ("softpick_window_d128", "f16", 1, 2, 1, 130, 200, 128,
     "{masks = [#attn.sliding_window<left = 90, right = 0>]}",
     [("sliding_window", 90, 0)], "f32", False, {"normalizer": "softpick"}),
    ("softpick_document_mask_rows", "bf16", 2, 2, 2, 100, 140, 64, "", [],
     "f32", False, {"normalizer": "softpick", "segments": "sorted",
                    "mask": ("rows", (100, 140))}),
]



def segment_ids(rng, kind, B, L):
    """Documents of 10..70 tokens ("sorted"), or ids 0..2 in any order."""
    if kind == "random":
        return rng.integers(0, 3, (B, L))
    ids = np.zeros((B, L), np.int64)
    for b in range(B):
        pos, doc = 0, 0
        while pos < L:
            n = int(rng.integers(10, 71))
            ids[b, pos:pos + n] = doc
            pos, doc = pos + n, doc + 1
    return ids


def mask_tensor(rng, kind, shape):
    """A mask of `shape`: "blocks" (block-sparse booleans), "rows" (random
    booleans with every fifth row fully false) or "float" (additive, a
    tenth -inf)."""
    if kind == "float":
        m = rng.standard_normal(shape)
        m[rng.random(shape) < 0.1] = -np.inf
        return m
    m = np.zeros(shape, bool)
    if kind == "rows":
        m[...] = rng.random(shape) < 0.6
        m[..., ::5, :] = False
        return m
    Lq, Lkv = shape[-2:]
    for lead in np.ndindex(*shape[:-2]):
        i = 0
        while i < Lq:
            h = int(rng.integers(20, 81))
            j = 0
            while j < Lkv:
                w = int(rng.integers(20, 91))
                u = rng.random()
                blk = m[lead][i:i + h, j:j + w]
                blk[...] = (False if u < 0.4 else True if u < 0.7 else
                            rng.random(blk.shape) < 0.5)
                j += w
            i += h
    return m


def lower(text, mma="sync"):
    chip = "sm_90a" if mma == "wgmma" else "sm_90"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.mlir")
        with open(src, "w") as f:
            f.write(text)
        return subprocess.run(
            [attn_opt(), src,
             "--convert-attn-to-gpu=chip=%s mma=%s" % (chip, mma),
             "--canonicalize", "--cse", "--mlir-print-op-generic"],
            check=True, capture_output=True, text=True).stdout


# name -> (K/V tiles copied, tiles in the key loops, tiles meeting the query
# tiles' documents), for the document cases without structured masks.
COPIES = {}


def emulate(case, mutate=None, seed=1, mma="sync", **emu):
    """Returns (max |O - ref|, max |lse - ref| or None); a kernel that
    breaks a wgmma ordering rule gives (inf, None)."""
    rng = np.random.default_rng(seed)
    name, dt, B, Hq, Hkv, Lq, Lkv, D, attr, masks, out, lse = case[:12]
    feat = case[12] if len(case) > 12 else {}
    text = lower(module(case), mma)
    if mutate:
        text = mutate(text)
    func = kernels(text)[name + "_attn_0"]
    args = attention_buffers(rng, dt, B, Hq, Hkv, Lq, Lkv, D, D, lse)
    q, k, v, o = args[:4]
    kw = {}
    if "mask" in feat:
        mask = mask_tensor(rng, *feat["mask"])
        args.append(mask)
        kw["mask"] = mask
    for kind in ("q_lengths", "kv_lengths"):
        if kind in feat:
            lengths = np.array(feat[kind], np.int64)
            args.append(lengths)
            kw[kind] = lengths
    if feat.get("segments"):
        # Same ids for queries and keys where the positions coincide
        # (self-attention packing), the key side longer when Lkv > Lq.
        ks = segment_ids(rng, feat["segments"], B, Lkv)
        qs = ks[:, Lkv - Lq:] if Lkv >= Lq else segment_ids(
            rng, feat["segments"], B, Lq)
        args += [qs, ks]
        kw.update(q_segment_ids=qs, kv_segment_ids=ks)
    add_head_features(rng, feat, Hq, args, kw)
    if feat.get("mask_mod"):
        kw["mask_mod"] = lambda b, h, i, j: (j % 5) != 2
    if feat.get("mask_mod_window"):
        kw["mask_mod"] = lambda b, h, i, j: (i - j <= 70) & (j <= i)
    if feat.get("math_mod"):
        kw["score_mod"] = math_mod_reference
    add_scalar_features(feat, kw)
    grid_x, grid_z = (Lq + 63) // 64, B
    if feat.get("dynamic") or feat.get("dynamic_batch"):
        # Lq (0 for an empty batch) and Lkv (index arguments, one value per
        # thread); the host launches at least one block.
        args += [np.full(128, Lq if B else 0, np.int64),
                 np.full(128, Lkv, np.int64)]
        grid_x, grid_z = max(grid_x, 1), max(B, 1)
    emulator = Emulator(func, **emu)
    try:
        emulator.run((grid_x, Hq, grid_z), args)
    except EmulationError as e:
        print("  (%s)" % e)
        return np.inf, None
    bool_mask = "mask" in feat and feat["mask"][0] != "float"
    if (bool_mask or feat.get("segments")) and not masks:
        # K/V tiles copied (each thread issues D / 16 cp.async per tile of K
        # or V and per Q tile) against the tiles in the key loops (up to
        # kv_lengths) that the mask keeps anything of and whose document id
        # range meets the query tile's: skipped tiles must not be copied.
        per_tile = 128 * (D // 16)
        blocks = grid_x * Hq * B
        copied = (emulator.async_copies // per_tile - blocks) // 2
        if bool_mask:
            full = np.broadcast_to(kw["mask"], (B, Hq, Lq, Lkv))
        kv_end = feat.get("kv_lengths", [Lkv] * B)
        total = meeting = 0
        for b in range(B):
            for h in range(Hq):
                for q0 in range(0, Lq, 64):
                    for k0 in range(0, min(Lkv, kv_end[b]), 64):
                        keep = True
                        if bool_mask:
                            keep &= bool(
                                full[b, h, q0:q0 + 64, k0:k0 + 64].any())
                        if feat.get("segments"):
                            qi = qs[b, q0:q0 + 64]
                            ki = ks[b, k0:k0 + 64]
                            keep &= bool(ki.min() <= qi.max() and
                                         qi.min() <= ki.max())
                        total += 1
                        meeting += keep
        COPIES[name] = (copied, total, meeting)
    scale = 0.1 if "scale" in attr else None
    ref_o, ref_lse = reference.attention(q, k, v, scale=scale, masks=masks,
                                         **kw)
    err = np.max(np.abs(o - ref_o), initial=0.0)
    if not lse:
        return err, None
    got = args[4]
    same_inf = np.isinf(ref_lse) & (got == ref_lse)
    with np.errstate(invalid="ignore"):
        diff = np.abs(got - ref_lse)
    return err, np.max(np.where(same_inf, 0.0, diff), initial=0.0)


def main():
    for case in CASES + FEATURE_CASES:
        name = case[0]
        err, lerr = emulate(case)
        line = "%s: max|O - ref| = %.1e %s" % (
            name, err, "ok" if err < 2e-2 else "BAD")
        if lerr is not None:
            line += ", max|lse - ref| = %.1e %s" % (
                lerr, "ok" if lerr < 1e-5 else "BAD")
        print(line)
    for name, (copied, total, meeting) in sorted(COPIES.items()):
        print("%s: K/V tiles copied %d of %d, meeting the query tile %d" %
              (name, copied, total, meeting))
    # The check can fail: kernels with a planted bug are caught.
    mutants = [
        ("V fragments without ldmatrix.trans",
         lambda t: t.replace("transpose = true", "transpose = false")),
        ("causal diagonal dropped (sle -> slt)",
         lambda t: t.replace("predicate = 3 : i64", "predicate = 2 : i64")),
        ("prologue does not wait for Q and the first K/V tile",
         lambda t: t.replace("numGroups = 0 : i32", "numGroups = 1 : i32")),
        ("loop leaves the current tile's copies in flight",
         lambda t: t.replace("numGroups = 1 : i32", "numGroups = 2 : i32")),
    ]
    for what, mutate in mutants:
        err, _ = emulate(CASES[0], mutate)
        print("mutant %s: %s" % (what, "caught" if not err < 2e-2
                                  else "MISSED"))
    by_name = {c[0]: c for c in FEATURE_CASES}
    i32_cmp = r'(predicate = )%d( : i64}> : \(i32, i32\))'
    feature_mutants = [
        ("ALiBi bias slope - d instead of slope * d", "alibi_causal",
         alibi_sub),
        ("softcap tanh with exp2 for the reciprocal", "softcap",
         lambda t: t.replace("rcp.approx", "ex2.approx")),
        ("document mask: segment ids compared with ne", "document",
         lambda t: re.sub(i32_cmp % 0, r"\g<1>1\2", t)),
        ("document tile skip with strict range overlap", "document",
         lambda t: re.sub(i32_cmp % 3, r"\g<1>2\2", t)),
        # lengths_causal's arguments: Q, K, V, O, LSE, q_lengths (%arg5),
        # kv_lengths (%arg6).
        ("q_lengths read from kv_lengths", "lengths_causal",
         lambda t: t.replace('"memref.load"(%arg5,', '"memref.load"(%arg6,')),
        ("mask tile full when any (not all) of it is kept", "mask_blocks",
         lambda t: t.replace("#nvvm.reduction<and>", "#nvvm.reduction<or>")),
        ("mask tile skipped unless all of it is kept", "mask_blocks",
         lambda t: t.replace("#nvvm.reduction<or>", "#nvvm.reduction<and>")),
        ("mask_mod keep inverted", "mask_mod_causal",
         lambda t: re.sub(r'(predicate = )1( : i64}> : \(index, index\))',
                          r"\g<1>0\2", t)),
        ("dynamic Lq and Lkv arguments swapped", "dynamic_causal_gqa",
         swap_length_args),
        ("math_mod sqrt lowered as rsqrt", "math_mod_causal",
         lambda t: t.replace("sqrt.rn.f32", "rsqrt.approx.ftz.f32")),
        ("dynamic batch size read from the grid's x size",
         "dynamic_batch_mask_lengths",
         lambda t: t.replace('"gpu.grid_dim"() <{dimension = #gpu<dim z>}>',
                             '"gpu.grid_dim"() <{dimension = #gpu<dim x>}>')),
    ]
    for what, case, mutate in feature_mutants:
        err, _ = emulate(by_name[case], mutate)
        print("mutant %s: %s" % (what, "caught" if not err < 2e-2
                                  else "MISSED"))
    wgmma_cases()


# The wgmma variant (sm_90a) runs every case: D = 64 and 128 use the
# 128-byte swizzle, 96 the 64-byte one.


def descriptor_fields(text, change):
    """Rewrites every wgmma matrix descriptor constant (an i64 with swizzle
    mode bits) through change(lbo, sbo, mode) -> (lbo, sbo, mode), in bytes."""
    def sub(m):
        v = int(m.group(1)) & ((1 << 64) - 1)
        if not v >> 62:
            return m.group(0)
        lbo, sbo = ((v >> 16) & 0x3FFF) << 4, ((v >> 32) & 0x3FFF) << 4
        lbo, sbo, mode = change(lbo, sbo, v >> 62)
        v = (lbo >> 4) << 16 | (sbo >> 4) << 32 | mode << 62
        if v >= 1 << 63:
            v -= 1 << 64
        return "value = %d : i64" % v
    return re.sub(r"value = (-?\d+) : i64", sub, text)


def wgmma_cases():
    by_name = {c[0]: c for c in CASES + FEATURE_CASES}
    for case in CASES + FEATURE_CASES:
        name = case[0]
        err, lerr = emulate(case, mma="wgmma")
        line = "wgmma %s: max|O - ref| = %.1e %s" % (
            name, err, "ok" if err < 2e-2 else "BAD")
        if lerr is not None:
            line += ", max|lse - ref| = %.1e %s" % (
                lerr, "ok" if lerr < 1e-5 else "BAD")
        print(line)
    first_wait = lambda t: t.replace(
        '"nvvm.wgmma.wait.group.sync.aligned"() <{group = 0 : i64}>'
        ' : () -> ()', "", 1)
    mutants = [
        ("descriptor stride (SBO) halved", "causal_gqa",
         lambda t: descriptor_fields(t, lambda l, s, m: (l, s // 2, m))),
        ("V without the transpose bit", "causal_gqa",
         lambda t: t.replace(", 1, 1, 1, 1;", ", 1, 1, 1, 0;")),
        ("128-byte swizzle described as 64-byte", "causal_gqa",
         lambda t: descriptor_fields(t, lambda l, s, m: (l, s, 2))),
        ("64-byte swizzle described as 32-byte", "dense_d96",
         lambda t: descriptor_fields(t, lambda l, s, m: (l, s, 3))),
        ("V column blocks (LBO) wrong", "dense_d128",
         lambda t: descriptor_fields(
             t, lambda l, s, m: (l if l == 16 else l // 2, s, m))),
        ("tiles not rounded up to 1024 bytes", "causal_gqa",
         lambda t: t.replace("value = -1024 : index", "value = -16 : index")),
        ("no fence.proxy.async after cp.async", "causal_gqa",
         lambda t: re.sub(r'\s*"nvvm\.fence\.proxy"\(\)[^\n]*', "", t)),
        ("no wgmma.fence", "causal_gqa",
         lambda t: t.replace('"nvvm.wgmma.fence.aligned"() : () -> ()', "")),
        ("S read before wgmma.wait_group", "causal_gqa", first_wait),
        ("loop leaves the current tile's copies in flight", "causal_gqa",
         lambda t: t.replace("numGroups = 1 : i32", "numGroups = 2 : i32")),
    ]
    # Layout mutants run with random numbers in unwritten shared memory, so
    # they are caught by the numbers, not by the emulator's NaN check.
    for i, (what, case, mutate) in enumerate(mutants):
        text_changed = []

        def check(t, mutate=mutate):
            out = mutate(t)
            text_changed.append(out != t)
            return out
        err, _ = emulate(by_name[case], check, mma="wgmma",
                         smem_noise=i < 6)
        assert all(text_changed), "mutation did not apply: " + what
        print("wgmma mutant %s: %s (max|O - ref| = %.1e)" % (
            what, "caught" if not err < 2e-2 else "MISSED", err))


def alibi_sub(text):
    """Turns the ALiBi bias slope[h] * d into slope[h] - d."""
    slope = re.search(r'(%\w+) = "memref.load"\(%\w+, %[\w#]+\) '
                      r'<[^>]*> : \(memref<\d+xf32>', text).group(1)
    return text.replace('"arith.mulf"(%s, ' % slope,
                        '"arith.subf"(%s, ' % slope)


# CHECK: causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dense_d128: max|O - ref| = {{.*}} ok
# CHECK: window: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: chunked_causal: max|O - ref| = {{.*}} ok
# CHECK: prefix_lm: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: causal_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dense_d96: max|O - ref| = {{.*}} ok
# CHECK: dilated: max|O - ref| = {{.*}} ok
# CHECK: alibi_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: softcap: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: softcap_alibi_window: max|O - ref| = {{.*}} ok
# CHECK: document: max|O - ref| = {{.*}} ok
# CHECK: document_causal_lse: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: document_unsorted_i16: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: sinks_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: sinks_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_mod_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_mod_window: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: lengths_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: kv_lengths_dense: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: lengths_alibi_document: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_blocks: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_blocks_causal_d128: max|O - ref| = {{.*}} ok
# CHECK: mask_rank2_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: mask_float_rank3: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: q_lengths_window: max|O - ref| = {{.*}} ok
# CHECK: dynamic_causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dynamic_document_mask_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dynamic_empty_keys: max|O - ref| = 0.0e+00 ok, max|lse - ref| = 0.0e+00 ok
# CHECK: dynamic_empty_queries: max|O - ref| = 0.0e+00 ok, max|lse - ref| = 0.0e+00 ok
# CHECK: dynamic_batch_mask_lengths: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dynamic_all_documents: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: dynamic_batch_empty: max|O - ref| = 0.0e+00 ok, max|lse - ref| = 0.0e+00 ok
# CHECK: math_mod_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: sigmoid_causal_gqa: max|O - ref| = {{.*}} ok
# CHECK: softpick_window_d128: max|O - ref| = {{.*}} ok
# CHECK: softpick_document_mask_rows: max|O - ref| = {{.*}} ok
# CHECK: document: K/V tiles copied [[N:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[N]]
# CHECK: document_unsorted_i16: K/V tiles copied [[M:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[M]]
# CHECK: dynamic_all_documents: K/V tiles copied [[A:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[A]]
# CHECK: dynamic_document_mask_d128: K/V tiles copied [[D:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[D]]
# CHECK: dynamic_empty_keys: K/V tiles copied 0 of 0, meeting the query tile 0
# CHECK: mask_blocks: K/V tiles copied [[P:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[P]]
# CHECK: mask_rank2_empty_rows: K/V tiles copied [[R:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[R]]
# CHECK: softpick_document_mask_rows: K/V tiles copied [[S:[0-9]+]] of {{[0-9]+}}, meeting the query tile [[S]]
# CHECK: mutant V fragments without ldmatrix.trans: caught
# CHECK: mutant causal diagonal dropped (sle -> slt): caught
# CHECK: mutant prologue does not wait for Q and the first K/V tile: caught
# CHECK: mutant loop leaves the current tile's copies in flight: caught
# CHECK: mutant ALiBi bias slope - d instead of slope * d: caught
# CHECK: mutant softcap tanh with exp2 for the reciprocal: caught
# CHECK: mutant document mask: segment ids compared with ne: caught
# CHECK: mutant document tile skip with strict range overlap: caught
# CHECK: mutant q_lengths read from kv_lengths: caught
# CHECK: mutant mask tile full when any (not all) of it is kept: caught
# CHECK: mutant mask tile skipped unless all of it is kept: caught
# CHECK: mutant mask_mod keep inverted: caught
# CHECK: mutant dynamic Lq and Lkv arguments swapped: caught
# CHECK: mutant math_mod sqrt lowered as rsqrt: caught
# CHECK: mutant dynamic batch size read from the grid's x size: caught
# CHECK: wgmma causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dense_d128: max|O - ref| = {{.*}} ok
# CHECK: wgmma window: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma chunked_causal: max|O - ref| = {{.*}} ok
# CHECK: wgmma prefix_lm: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma causal_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dense_d96: max|O - ref| = {{.*}} ok
# CHECK: wgmma dilated: max|O - ref| = {{.*}} ok
# CHECK: wgmma alibi_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma softcap: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma softcap_alibi_window: max|O - ref| = {{.*}} ok
# CHECK: wgmma document: max|O - ref| = {{.*}} ok
# CHECK: wgmma document_causal_lse: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma document_unsorted_i16: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma sinks_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma sinks_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma mask_mod_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma lengths_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma kv_lengths_dense: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma lengths_alibi_document: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma mask_blocks: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma mask_blocks_causal_d128: max|O - ref| = {{.*}} ok
# CHECK: wgmma mask_rank2_empty_rows: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma mask_float_rank3: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma q_lengths_window: max|O - ref| = {{.*}} ok
# CHECK: wgmma dynamic_causal_gqa: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dynamic_document_mask_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dynamic_empty_keys: max|O - ref| = 0.0e+00 ok, max|lse - ref| = 0.0e+00 ok
# CHECK: wgmma dynamic_empty_queries: max|O - ref| = 0.0e+00 ok, max|lse - ref| = 0.0e+00 ok
# CHECK: wgmma dynamic_batch_mask_lengths: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dynamic_all_documents: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dynamic_batch_empty: max|O - ref| = 0.0e+00 ok, max|lse - ref| = 0.0e+00 ok
# CHECK: wgmma math_mod_causal: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma sigmoid_causal_gqa: max|O - ref| = {{.*}} ok
# CHECK: wgmma softpick_window_d128: max|O - ref| = {{.*}} ok
# CHECK: wgmma softpick_document_mask_rows: max|O - ref| = {{.*}} ok
# CHECK: wgmma mutant descriptor stride (SBO) halved: caught
# CHECK: wgmma mutant V without the transpose bit: caught
# CHECK: wgmma mutant 128-byte swizzle described as 64-byte: caught
# CHECK: wgmma mutant 64-byte swizzle described as 32-byte: caught
# CHECK: wgmma mutant V column blocks (LBO) wrong: caught
# CHECK: wgmma mutant tiles not rounded up to 1024 bytes: caught
# CHECK: wgmma mutant no fence.proxy.async after cp.async: caught
# CHECK: wgmma mutant no wgmma.fence: caught
# CHECK: wgmma mutant S read before wgmma.wait_group: caught
# CHECK: wgmma mutant loop leaves the current tile's copies in flight: caught
# CHECK-NOT: BAD
# CHECK-NOT: MISSED
if __name__ == "__main__":
    main()
