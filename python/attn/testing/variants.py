"""Random variants of ``attn.attention`` and their inputs.

:func:`random_variant` draws a valid variant dict (see :mod:`attn.ir`)
covering every feature of the op: odd lengths, Lq != Lkv, GQA ratios,
dynamic dims, every structured mask term, mask tensors (block-sparse
ones too), lengths, segment ids, sinks, every normaliser, softcap, the
built-in score_mod/mask_mod; :func:`random_inputs` draws its numpy
inputs. :mod:`attn.testing.check` compiles and compares them with the
numpy reference.
"""

import random

import numpy as np


def random_variant(rng: random.Random, dtype=None, decode=False):
    """A random valid variant covering every feature of the op. With
    `decode`, the shapes of -attn-tile's decode path (static Lq in [1, 16],
    GQA groups up to 8, long odd Lkv, static D and Dv a multiple of 16;
    dynamic B or Lkv only) with every other feature drawn as usual."""
    Hkv = rng.choice([1, 1, 2, 3])
    g = rng.choice([1, 1, 2, 4])
    var = {
        "B": rng.choice([1, 2, 3]),
        "Hkv": Hkv,
        "Hq": Hkv * g,
        "Lq": rng.randint(1, 13),
        "Lkv": rng.randint(1, 19),
        "D": rng.choice([4, 5, 8, 16]),
        "dtype": dtype or rng.choice(["f32"] * 6 + ["f16", "bf16"]),
    }
    var["Dv"] = var["D"] if rng.random() < 0.6 else rng.choice([3, 6, 12])
    if rng.random() < 0.25:
        # Large enough for full-size tiles of the register micro-kernels
        # (static Dv a multiple of 32) with small tile options.
        var["Lq"] = rng.randint(8, 70)
        var["Lkv"] = rng.randint(8, 90)
        var["D"] = rng.choice([8, 32, 64])
        var["Dv"] = rng.choice([32, 64])
    if decode:
        var.update(Hkv=rng.choice([1, 2]), Lq=rng.randint(1, 16),
                   Lkv=rng.randint(1, 700), D=rng.choice([5, 8, 16, 32]),
                   Dv=rng.choice([16, 32]))
        var["Hq"] = var["Hkv"] * rng.choice([1, 2, 4, 8])
        if rng.random() < 0.3:
            var["dynamic"] = rng.sample(["B", "Lkv"], rng.randint(1, 2))
    elif rng.random() < 0.3:
        var["dynamic"] = rng.sample(["B", "H", "Hkv", "Lq", "Lkv", "D", "Dv"],
                                    rng.randint(1, 4))
        # A dynamic Hq or Hkv makes the group size dynamic and exercises
        # the gathered K/V path of the decomposition.
    if rng.random() < 0.2:
        # Paged K/V: page size 1, 16 or odd, Lkv = max_pages * P, a pool
        # with spare pages, a shuffled table (random_inputs).
        P = rng.choice([1, 16, 3, 5, 7])
        M = rng.randint(1, max(1, 40 // P))
        var["Lkv"] = M * P
        var["paged"] = (rng.choice(["nhd", "hnd"]), P,
                        var["B"] * M + rng.randint(0, 3))
    if rng.random() < 0.3:
        var["scale"] = round(rng.uniform(0.05, 0.8), 3)
    if rng.random() < 0.2:
        var["softcap"] = rng.choice([2.0, 5.0, 30.0])
    masks = []
    if rng.random() < 0.5:
        masks.append(("causal",))
    if rng.random() < 0.3:
        right = 0 if masks else rng.randint(0, 3)
        masks.append(("sliding_window", rng.randint(0, 5), right))
    if rng.random() < 0.15:
        masks.append(("dilated", rng.randint(1, 3)))
    if rng.random() < 0.15:
        masks.append(("chunked", rng.randint(1, 6)))
    if not masks and rng.random() < 0.2:
        masks.append(("prefix_lm", rng.randint(0, 6)))
    elif not decode and (var.get("neighborhood") or rng.random() < 0.08):
        masks.append(random_neighborhood(rng, var))
    rng.shuffle(masks)
    var["masks"] = masks
    r = rng.random()
    if r < 0.15:
        var["mask"] = "bool"
    elif r < 0.3:
        var["mask"] = "add"
    if var.get("mask"):
        full = [var["B"], var["Hq"], var["Lq"], var["Lkv"]]
        rank = rng.randint(2, 4)
        shape = full[4 - rank:]
        var["mask_shape"] = tuple(
            1 if (i < rank - 2 and rng.random() < 0.5) else d
            for i, d in enumerate(shape))
    var["q_lengths"] = rng.random() < 0.15
    var["kv_lengths"] = rng.random() < (0.6 if var.get("paged") else 0.2)
    if any(t[0] == "neighborhood" for t in masks):
        var.pop("paged", None)  # the neighbourhood term chose its own Lkv
    var["segments"] = rng.random() < 0.15
    var["normalizer"] = rng.choice(["softmax"] * 6 + ["sigmoid", "softpick"])
    if var["normalizer"] == "softmax":
        var["sinks"] = rng.random() < 0.2
        var["lse"] = rng.random() < 0.5
    if var["normalizer"] == "sigmoid" and rng.random() < 0.5:
        var["sigmoid_bias"] = round(rng.uniform(-2.0, 0.5), 3)
    r = rng.random()
    if r < 0.15:
        var["score_mod"] = "alibi"
    elif r < 0.25:
        var["score_mod"] = "table"
    r = rng.random()
    if r < 0.1:
        var["mask_mod"] = "mod3"
    elif r < 0.2:
        var["mask_mod"] = "kv_ge_b"
    elif r < 0.3:
        var["mask_mod"] = rng.choice(["causal", "window", "chunked", "prefix",
                                      "dilated", "natten2d"])
    return var


def random_kv_blocks(rng, var):
    """Adds random key-block lists to a variant (``var["kv_blocks"]``, see
    :mod:`attn.ir`): block sizes that mostly divide neither length (1 and
    sizes past the lengths too), K from 0 to past the number of key
    blocks, lists shared by the batch and/or the heads, per query head or
    per GQA group, dynamic list dims. Drawn after every other feature
    (callers that do not ask for lists keep their random streams); the
    list contents come from :func:`random_inputs`."""
    Lq, Lkv = var["Lq"], var["Lkv"]
    sq = rng.choice([1, 2, 3, 4, 5, 7, 8, 16, rng.randint(1, Lq + 3)])
    skv = rng.choice([1, 2, 3, 5, 7, 8, 16, rng.randint(1, Lkv + 3)])
    nkb = -(-Lkv // skv)
    K = rng.choice([0, 1, 2, rng.randint(1, nkb + 3), rng.randint(1, nkb + 3),
                    nkb, nkb, nkb + 2])
    per_group = var["Hq"] != var["Hkv"] and rng.random() < 0.4
    heads = var["Hkv"] if per_group else var["Hq"]
    Hc = rng.choice([1, heads, heads])
    Bc = rng.choice([1, var["B"], var["B"]])
    dyn = set(var.get("dynamic", ()))
    dynamic = []
    if (Bc != 1 and ("B" in dyn or rng.random() < 0.2)):
        dynamic.append("Bc")
    if "Lq" in dyn or rng.random() < 0.2:
        dynamic.append("Nq")
    if rng.random() < 0.2:
        dynamic.append("K")
    var["kv_blocks"] = {"Bc": Bc, "Hc": Hc, "K": K, "q_block_size": sq,
                        "kv_block_size": skv, "per_group": per_group,
                        "dynamic": dynamic}
    return var


def random_block_lists(kb, Nq, nkb, nrng):
    """(counts, indices) int32 of key-block lists ``kb`` over `nkb` key
    blocks: per list a random mix of distinct blocks, repeats, padding
    (-1) and entries outside [0, nkb); counts below 0, in [0, K] and past
    K."""
    Bc, Hc, K = kb["Bc"], kb["Hc"], kb["K"]
    counts = np.zeros((Bc, Hc, Nq), np.int64)
    indices = np.zeros((Bc, Hc, Nq, K), np.int64)
    for b in range(Bc):
        for h in range(Hc):
            for qb in range(Nq):
                r = nrng.random()
                if r < 0.1:
                    counts[b, h, qb] = nrng.integers(-3, 0)
                elif r < 0.2:
                    counts[b, h, qb] = K + nrng.integers(0, 4)
                else:
                    counts[b, h, qb] = nrng.integers(0, K + 1)
                row = nrng.permutation(max(nkb, 1))[:K]
                row = np.concatenate([row, np.full(K - row.size, -1)])
                kinds = nrng.random(K)
                dup = kinds < 0.15
                if K > 1 and dup.any():
                    row[dup] = nrng.choice(row, dup.sum())
                bad = (kinds >= 0.15) & (kinds < 0.25)
                row[bad] = nrng.choice([-1, -2, nkb, nkb + 1, 2 ** 31 - 1,
                                        -2 ** 31], bad.sum())
                indices[b, h, qb] = row
    return counts.astype(np.int32), indices.astype(np.int32)


def random_neighborhood(rng, var):
    """A random valid #attn.neighborhood term (1-3 axes, odd kernels on
    non-causal axes, kernel * dilation <= grid); sets Lkv to its number of
    tokens and Lq to at most that."""
    rank = rng.randint(1, 3)
    grid, kernel, dilation, causal = [], [], [], []
    for _ in range(rank):
        g = rng.randint(1, 12 if rank == 1 else 6)
        c = rng.random() < 0.25
        d = rng.choice([1, 1, 2]) if g >= 2 else 1
        kmax = g // d
        ks = [k for k in range(1, kmax + 1) if c or k % 2 == 1]
        grid.append(g)
        kernel.append(rng.choice(ks))
        dilation.append(d)
        causal.append(c)
    n = int(np.prod(grid))
    var["neighborhood"] = True
    var["Lkv"] = n
    var["Lq"] = n if rng.random() < 0.7 else rng.randint(1, n)
    return ("neighborhood", tuple(grid), tuple(kernel), tuple(dilation),
            tuple(causal))


def random_inputs(var, nrng):
    """numpy inputs (float64 master copies) for a variant."""
    B, Hq, Hkv = var["B"], var["Hq"], var["Hkv"]
    Lq, Lkv, D, Dv = var["Lq"], var["Lkv"], var["D"], var["Dv"]
    x = {
        "q": nrng.standard_normal((B, Hq, Lq, D)),
        "k": nrng.standard_normal((B, Hkv, Lkv, D)),
        "v": nrng.standard_normal((B, Hkv, Lkv, Dv)),
    }
    if var.get("mask"):
        shape = var["mask_shape"]
        kept = nrng.random(shape) < 0.7
        if nrng.random() < 0.5:
            # Block-sparse: blocks of random size (not aligned with the
            # tiles) that keep nothing, everything, or a random subset.
            bq, bk = nrng.integers(1, 9, size=2)
            coarse = shape[:-2] + (-(-shape[-2] // bq), -(-shape[-1] // bk))
            kind = nrng.integers(0, 3, size=coarse)
            kind = np.repeat(np.repeat(kind, bq, axis=-2), bk, axis=-1)
            kind = kind[..., :shape[-2], :shape[-1]]
            kept = np.where(kind == 2, kept, kind == 1)
        if var["mask"] == "bool":
            x["mask"] = kept
        else:
            m = nrng.standard_normal(shape)
            m[~kept] = -np.inf
            x["mask"] = m
    if var.get("q_lengths"):
        x["q_lengths"] = nrng.integers(0, Lq + 1, size=B).astype(np.int32)
    if var.get("kv_lengths"):
        x["kv_lengths"] = nrng.integers(0, Lkv + 1, size=B).astype(np.int32)
    if var.get("segments"):
        # Packed documents (sorted ids) usually, arbitrary ids sometimes.
        sort = np.sort if nrng.random() < 0.7 else (lambda a, axis: a)
        x["q_segment_ids"] = sort(nrng.integers(0, 3, size=(B, Lq)),
                                  axis=1).astype(np.int32)
        x["kv_segment_ids"] = sort(nrng.integers(0, 3, size=(B, Lkv)),
                                   axis=1).astype(np.int32)
    if var.get("sinks"):
        x["sinks"] = nrng.standard_normal(Hq)
    if var.get("paged"):
        # Scatter the contiguous K/V into pools through a shuffled table;
        # slots past a sequence's length name random (possibly invalid)
        # pages, which no kept key reads.
        layout, P, pages = var["paged"]
        M = Lkv // P
        table = nrng.permutation(pages)[:B * M].reshape(B, M)
        used = (np.full(B, M) if "kv_lengths" not in x else
                -(-x["kv_lengths"].astype(np.int64) // P))
        for b in range(B):
            table[b, used[b]:] = nrng.integers(-2, pages + 3, M - used[b])
        for n, Dn in (("k", D), ("v", Dv)):
            pool = nrng.standard_normal((pages, P, Hkv, Dn))
            for b in range(B):
                for m in range(used[b]):
                    pool[table[b, m]] = x[n][b, :, m * P:(m + 1) * P].transpose(
                        1, 0, 2)
            x[n] = pool if layout == "nhd" else pool.transpose(0, 2, 1, 3)
        x["page_table"] = table.astype(np.int32)
    if var.get("score_mod") == "alibi":
        x["cap"] = -np.exp2(-8.0 * (np.arange(Hq) + 1) / Hq)
    elif var.get("score_mod") == "table":
        x["cap"] = nrng.standard_normal((Hq, Lq, Lkv))
    if var.get("kv_blocks"):
        # Last, so that variants without lists draw the same inputs.
        kb = var["kv_blocks"]
        x["kv_block_counts"], x["kv_block_indices"] = random_block_lists(
            kb, -(-Lq // kb["q_block_size"]), -(-Lkv // kb["kv_block_size"]),
            nrng)
    return x

