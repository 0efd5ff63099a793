#!/usr/bin/env python3
"""Greedy generation with the GPT-2-style decoder of examples/gpt2 and a
paged KV cache, compiled through attn-opt's CPU pipeline, checked token by
token against an independent numpy float64 model with the same weights.

    PYTHONPATH=python python3 examples/gpt2/generate.py
    PYTHONPATH=python python3 examples/gpt2/generate.py --layers 1 --tokens 4

One step function (emitted below with examples/gpt2/gen_model.py's
Emitter) runs `T` new tokens of each of `B` sequences through every layer:
per layer the new K/V rows go into the layer's page pools with
`attn.kv_append` at the sequences' current lengths, then a paged
`attn.attention` (`q_lengths` = new tokens, `kv_lengths` = length after the
append, causal, bottom-right aligned) reads the pools through the page
table. The pools are function arguments of memref type written in place
(`bufferization.materialize_in_destination`). The prefill is the step with
`T` = the longest prompt (shorter prompts padded; their padding rows land
past their lengths); each decode step is the step with `T = 1`. Pages are
handed out in a shuffled order. Exits non-zero when a generated token or
the logits differ from numpy.
"""

import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import gen_model  # noqa: E402
import run_gpt2  # noqa: E402
from attn import runner  # noqa: E402
from gen_model import ttype  # noqa: E402

DEFAULT_TOLERANCE = 2e-5


def mtype(shape, elem="f32"):
    return "memref<%s>" % "x".join([str(s) for s in shape] + [elem])


def step_params(cfg, B, T, P, pages, max_pages):
    """The step function's arguments: (name, shape, element type, memref)."""
    R, dh = B * T, cfg.d_model // cfg.heads
    out = [("tokens", (R,), "i64", False), ("pos_ids", (R,), "i64", False),
           ("len", (B,), "i32", False), ("q_len", (B,), "i32", False),
           ("kv_len", (B,), "i32", False),
           ("table", (B, max_pages), "i32", False)]
    out += [(n, s, e, False) for n, s, e in gen_model.params(cfg)
            if n != "tokens"]
    pool = (pages, P, cfg.heads, dh)
    for i in range(cfg.layers):
        out += [("k_pool%d" % i, pool, "f32", True),
                ("v_pool%d" % i, pool, "f32", True)]
    return out


def emit_cached_attention(em, cfg, B, T, qkv, pools, names):
    """Appends this step's K/V to the layer's pools, then paged attention
    of the new queries over the cache; returns [B*T, d]."""
    R, d, h = B * T, cfg.d_model, cfg.heads
    dh = d // h
    heads = []
    for i, part in enumerate("qkv"):
        s = em.fresh(part + "2")
        em.emit("%s = tensor.extract_slice %s[0, %d] [%d, %d] [1, 1] : %s to "
                "%s" % (s, qkv, i * d, R, d, ttype((R, 3 * d)),
                        ttype((R, d))))
        x4 = em.fresh(part + "4")
        em.emit("%s = tensor.expand_shape %s [[0, 1], [2, 3]] output_shape "
                "[%d, %d, %d, %d] : %s into %s" % (
                    x4, s, B, T, h, dh, ttype((R, d)),
                    ttype((B, T, h, dh))))
        t, _ = em.transpose(x4, (B, T, h, dh), [0, 2, 1, 3], hint=part)
        heads.append(t)
    q, k, v = heads
    hs = ttype((B, h, T, dh))
    pool_m, pool_t = mtype(pools[0][1]), ttype(pools[0][1])
    lens = ttype((B,), "i32")
    table = ttype(tuple(names["table"][1]), "i32")
    appended = []
    for x, (pool, _) in zip((k, v), pools):
        pt = em.fresh("cache")
        em.emit("%s = bufferization.to_tensor %s restrict writable : %s to %s"
                % (pt, pool, pool_m, pool_t))
        a = em.fresh("appended")
        em.emit("%s = attn.kv_append ins(%s : %s) positions(%%len : %s) "
                "page_table(%%table : %s) outs(%s : %s) {kv_layout = "
                "#attn.kv_layout<paged_nhd>} -> %s" % (
                    a, x, hs, lens, table, pt, pool_t, pool_t))
        appended.append(a)
    o = em.fresh("attn")
    em.emit("%s = attn.attention ins(%s, %s, %s : %s, %s, %s) q_lengths("
            "%%q_len : %s) kv_lengths(%%kv_len : %s) page_table(%%table : %s)"
            " outs(%s : %s) {kv_layout = #attn.kv_layout<paged_nhd>, masks "
            "= [#attn.causal]} -> %s" % (
                o, q, appended[0], appended[1], hs, pool_t, pool_t, lens,
                lens, table, em.empty((B, h, T, dh)), hs, hs))
    for a, (pool, _) in zip(appended, pools):
        em.emit("bufferization.materialize_in_destination %s in restrict "
                "writable %s : (%s, %s) -> ()" % (a, pool, pool_t, pool_m))
    ot, ot_shape = em.transpose(o, (B, h, T, dh), [0, 2, 1, 3], hint="merged")
    o2 = em.fresh("attn_out")
    em.emit("%s = tensor.collapse_shape %s [[0, 1], [2, 3]] : %s into %s"
            % (o2, ot, ttype(ot_shape), ttype((R, d))))
    return o2


def generate_step(cfg, B, T, P, pages, max_pages, name):
    """The MLIR of one step: T new tokens of B sequences -> logits."""
    ps = step_params(cfg, B, T, P, pages, max_pages)
    names = {n: (gen_model.ssa_name(n), s) for n, s, _, _ in ps}
    em = gen_model.Emitter(reserved=[v for v, _ in names.values()])
    R, d, V = B * T, cfg.d_model, cfg.vocab
    x_shape = (R, d)
    em.comment("Token + positional embedding of every new token")
    emb = em.generic(
        "x", ["#row", "#row", "#id2"], ["parallel", "parallel"],
        [("%tokens", ttype((R,), "i64")), ("%pos_ids", ttype((R,), "i64"))],
        [(em.empty(x_shape), ttype(x_shape))],
        lambda a: (["%j = linalg.index 1 : index",
                    "%%tok = arith.index_cast %s : i64 to index" % a[0],
                    "%%pos = arith.index_cast %s : i64 to index" % a[1],
                    "%%te = tensor.extract %%wte[%%tok, %%j] : %s"
                    % ttype((V, d)),
                    "%%pe = tensor.extract %%wpe[%%pos, %%j] : %s"
                    % ttype((cfg.seq, d)),
                    "%e = arith.addf %te, %pe : f32"], "%e"),
        x_shape)
    x = emb
    for i in range(cfg.layers):
        p = lambda n: names["h%d.%s" % (i, n)][0]
        em.emit()
        em.comment("---- Block %d" % i)
        ln1 = em.layer_norm(x, x_shape, p("ln_1.g"), p("ln_1.b"))
        qkv = em.matmul(ln1, x_shape, p("attn.c_attn.w"), (d, 3 * d), "qkv")
        qkv = em.binary("qkv_b", qkv, (R, 3 * d), p("attn.c_attn.b"),
                        "#col", "addf")
        pools = [names["k_pool%d" % i], names["v_pool%d" % i]]
        a = emit_cached_attention(em, cfg, B, T, qkv, pools, names)
        a = em.matmul(a, x_shape, p("attn.c_proj.w"), (d, d), "proj")
        a = em.binary("proj_b", a, x_shape, p("attn.c_proj.b"), "#col",
                      "addf")
        x = em.residual(x, a, x_shape)
        ln2 = em.layer_norm(x, x_shape, p("ln_2.g"), p("ln_2.b"))
        f = cfg.d_mlp
        hdn = em.matmul(ln2, x_shape, p("mlp.c_fc.w"), (d, f), "fc")
        hdn = em.binary("fc_b", hdn, (R, f), p("mlp.c_fc.b"), "#col", "addf")
        hdn = em.gelu_tanh(hdn, (R, f))
        m = em.matmul(hdn, (R, f), p("mlp.c_proj.w"), (f, d), "mlp")
        m = em.binary("mlp_b", m, x_shape, p("mlp.c_proj.b"), "#col", "addf")
        x = em.residual(x, m, x_shape)
    em.emit()
    lnf = em.layer_norm(x, x_shape, names["ln_f.g"][0], names["ln_f.b"][0])
    wte_t, wte_t_shape = em.transpose("%wte", (V, d), [1, 0], "wte_t")
    logits = em.matmul(lnf, x_shape, wte_t, wte_t_shape, "logits")
    em.emit("return %s : %s" % (logits, ttype((R, V))))
    args = ",\n    ".join(
        "%s: %s" % (names[n][0], mtype(s, e) if m else ttype(s, e))
        for n, s, e, m in ps)
    out = [gen_model.MAPS,
           "func.func @%s(\n    %s)\n    -> %s {" % (name, args,
                                                     ttype((R, V)))]
    out += ["  " + c for _, c in sorted(em.consts.values(),
                                          key=lambda nc: nc[0])]
    out += em.lines + ["}"]
    return "\n".join(out) + "\n"


# Independent float64 model -------------------------------------------------

def reference_next_logits(cfg, f, tokens):
    """Logits of the last token of `tokens`: the full causal forward pass."""
    L, d, h = len(tokens), cfg.d_model, cfg.heads
    dh = d // h
    x = f["wte"][np.asarray(tokens)] + f["wpe"][:L]
    causal = np.triu(np.ones((L, L), dtype=bool), k=1)
    for i in range(cfg.layers):
        p = lambda n: f["h%d.%s" % (i, n)]
        a = run_gpt2.layer_norm(x, p("ln_1.g"), p("ln_1.b"))
        qkv = a @ p("attn.c_attn.w") + p("attn.c_attn.b")
        q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(L, h, dh)
                   .transpose(1, 0, 2) for j in range(3))
        s = np.einsum("hid,hjd->hij", q, k) / math.sqrt(dh)
        s[:, causal] = -np.inf
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        o = np.einsum("hij,hjd->hid", s, v).transpose(1, 0, 2).reshape(L, d)
        x = x + o @ p("attn.c_proj.w") + p("attn.c_proj.b")
        m = run_gpt2.layer_norm(x, p("ln_2.g"), p("ln_2.b"))
        m = run_gpt2.gelu_tanh(m @ p("mlp.c_fc.w") + p("mlp.c_fc.b"))
        x = x + m @ p("mlp.c_proj.w") + p("mlp.c_proj.b")
    x = run_gpt2.layer_norm(x, f["ln_f.g"], f["ln_f.b"])
    return x[-1] @ f["wte"].T


# Driver --------------------------------------------------------------------

class Step:
    """A compiled step function for T new tokens per sequence."""

    def __init__(self, cfg, B, T, P, pages, max_pages, workdir, pipeline):
        self.cfg, self.B, self.T = cfg, B, T
        self.name = "step%d" % T
        self.params = step_params(cfg, B, T, P, pages, max_pages)
        src = generate_step(cfg, B, T, P, pages, max_pages, self.name)
        with open(os.path.join(workdir, self.name + ".mlir"), "w") as f:
            f.write(src)
        sub = os.path.join(workdir, self.name)
        os.makedirs(sub, exist_ok=True)
        self.lib = runner.compile_module(src, workdir=sub, pipeline=pipeline)

    def __call__(self, values):
        logits = np.zeros((self.B * self.T, self.cfg.vocab), np.float32)
        runner.call(self.lib, self.name,
                    [values[n] for n, _, _, _ in self.params], [logits])
        return logits.reshape(self.B, self.T, -1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-mlp", type=int, default=512)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--prompts", default="7,3",
                    help="prompt lengths, one per sequence")
    ap.add_argument("--tokens", type=int, default=8,
                    help="tokens to generate per sequence")
    ap.add_argument("--page-size", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    ap.add_argument("--pipeline", default="attn-cpu-pipeline")
    args = ap.parse_args()
    prompts = [int(n) for n in args.prompts.split(",")]
    B, P, N = len(prompts), args.page_size, args.tokens
    if min(prompts) < 1 or N < 0:
        print("prompts need at least one token", file=sys.stderr)
        return 2
    longest = max(prompts) + N
    M = -(-longest // P)
    pages = B * M + 1
    cfg = gen_model.Config(layers=args.layers, seq=M * P, vocab=args.vocab,
                           d_model=args.d_model, heads=args.heads,
                           d_mlp=args.d_mlp)
    print("model: %d layers, d_model=%d, %d heads, MLP %d, vocab %d; batch "
          "%d, prompts %s, %d new tokens, page size %d, %d pages" % (
              cfg.layers, cfg.d_model, cfg.heads, cfg.d_mlp, cfg.vocab, B,
              prompts, N, P, pages))
    w = run_gpt2.random_weights(cfg, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    table = rng.permutation(pages)[:B * M].reshape(B, M).astype(np.int32)
    dh = cfg.d_model // cfg.heads
    pools = {}
    for i in range(cfg.layers):
        for kv in "kv":
            pools["%s_pool%d" % (kv, i)] = np.zeros((pages, P, cfg.heads, dh),
                                                    np.float32)
    workdir = tempfile.mkdtemp(prefix="attn-gpt2-gen-")
    Lp = max(prompts)
    prefill = Step(cfg, B, Lp, P, pages, M, workdir, args.pipeline)
    decode = Step(cfg, B, 1, P, pages, M, workdir, args.pipeline)
    print("compile: prefill (T=%d) and decode (T=1) steps with attn-opt --%s"
          % (Lp, args.pipeline))

    seqs = [list(rng.integers(0, cfg.vocab, size=n)) for n in prompts]
    ref_seqs = [list(s) for s in seqs]
    f64 = {k: v.astype(np.float64) for k, v in w.items() if k != "tokens"}
    base = dict(w, **pools, table=table)

    def run_step(step, toks, start, n_new):
        T = step.T
        tokens = np.zeros((B, T), np.int64)
        pos = np.zeros((B, T), np.int64)
        for b in range(B):
            tokens[b, :n_new[b]] = toks[b]
            pos[b] = np.minimum(start[b] + np.arange(T), cfg.seq - 1)
        vals = dict(base, tokens=tokens.reshape(-1), pos_ids=pos.reshape(-1),
                    len=np.array(start, np.int32),
                    q_len=np.array(n_new, np.int32),
                    kv_len=np.array(start, np.int32) + np.array(n_new,
                                                                np.int32))
        t0 = time.perf_counter()
        logits = step(vals)
        times.setdefault(step is prefill, []).append(time.perf_counter() - t0)
        return [logits[b, n_new[b] - 1].astype(np.float64) for b in range(B)]

    ok, worst, times = True, 0.0, {}
    lengths = [0] * B
    last = run_step(prefill, seqs, lengths, prompts)
    lengths = list(prompts)
    for s in range(N):
        for b in range(B):
            ref = reference_next_logits(cfg, f64, ref_seqs[b])
            err = float(np.max(np.abs(last[b] - ref)) / np.max(np.abs(ref)))
            worst = max(worst, err)
            tok, ref_tok = int(np.argmax(last[b])), int(np.argmax(ref))
            if tok != ref_tok or err > args.tolerance:
                print("step %d sequence %d: token %d vs numpy %d, rel error "
                      "%.3e: MISMATCH" % (s, b, tok, ref_tok, err))
                ok = False
            seqs[b].append(tok)
            ref_seqs[b].append(ref_tok)
        if s + 1 < N:
            last = run_step(decode, [[q[-1]] for q in seqs], lengths, [1] * B)
            lengths = [n + 1 for n in lengths]
    for b in range(B):
        print("sequence %d: prompt %s -> generated %s" % (
            b, [int(t) for t in seqs[b][:prompts[b]]],
            [int(t) for t in seqs[b][prompts[b]:]]))
    decode = times.get(False, [])
    print("run: prefill %.2f ms, %d decode steps%s" % (
        times[True][0] * 1e3, len(decode), " (fastest %.2f ms)" %
        (min(decode) * 1e3) if decode else ""))
    agree = sum(a == r for sq, rs in zip(seqs, ref_seqs)
                for a, r in zip(sq, rs))
    print("tokens agreeing with numpy float64: %d/%d" % (
        agree - sum(prompts), B * N))
    print("max rel logit error vs numpy float64: %.3e (tolerance %.0e): %s"
          % (worst, args.tolerance, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
