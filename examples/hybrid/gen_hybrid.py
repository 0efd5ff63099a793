#!/usr/bin/env python3
"""Generates a small hybrid decoder: linear-attention layers interleaved
with softmax-attention layers, as Lightning/MiniMax-01 (linear layers with a
softmax layer every few) or LFM2-style hybrids stack them.

    python3 examples/hybrid/gen_hybrid.py > examples/hybrid/hybrid.mlir

Every layer is pre-norm: `x += mix(ln_1(x)); x += mlp(ln_2(x))`. The token
mixer of a linear layer is `attn.linear_attention` with a per-head constant
decay (RetNet/Lightning, `log_decay [H]`, a weight of the model), the
normaliser and Based's second-order Taylor feature map `1 + x + x^2/2` on
queries and keys as `q_mod`/`k_mod` regions; a softmax layer's is a causal
`attn.attention` with grouped K/V heads (GQA). Projections, LayerNorm and the
GELU MLP are linalg on tensors (the helpers of examples/gpt2/gen_model.py).
No positional embedding: the decays order the linear layers' tokens, the
causal softmax layers are NoPE.

The committed hybrid.mlir is the output for the default configuration
(test/Examples/hybrid.test checks it is up to date); `params(cfg)` lists the
function arguments in order and run.py builds its weights from it.
"""

import argparse
import os
import sys
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gpt2"))

from gen_model import LN_EPS, MAPS, Emitter, ssa_name, ttype  # noqa: E402,F401

Config = namedtuple("Config", "layers seq vocab d_model heads kv_heads d_mlp")

# "L": a linear-attention layer, "S": a softmax-attention layer.
DEFAULT = Config(layers="LSL", seq=80, vocab=96, d_model=64, heads=4,
                 kv_heads=2, d_mlp=128)

def taylor_region(p):
    """The feature-map region of the linear layers (Based): phi(x) = 1 + x +
    x^2 / 2; SSA names prefixed with `p` (regions see the names above)."""
    return ["{",
            "^bb0(%%%sx: f32, %%%sb: index, %%%sh: index, %%%st: index, "
            "%%%sd: index):" % ((p,) * 5),
            "  %%%sone = arith.constant 1.0 : f32" % p,
            "  %%%shalf = arith.constant 0.5 : f32" % p,
            "  %%%sx2 = arith.mulf %%%sx, %%%sx : f32" % (p, p, p),
            "  %%%sx2h = arith.mulf %%%sx2, %%%shalf : f32" % (p, p, p),
            "  %%%ss = arith.addf %%%sx, %%%sx2h : f32" % (p, p, p),
            "  %%%sphi = arith.addf %%%ss, %%%sone : f32" % (p, p, p),
            "  attn.yield %%%sphi : f32" % p,
            "}"]


def head_dim(cfg):
    return cfg.d_model // cfg.heads


def layer_param_shapes(cfg, kind):
    d, f, dh = cfg.d_model, cfg.d_mlp, head_dim(cfg)
    kv = cfg.kv_heads * dh if kind == "S" else d
    shapes = {"ln_1.g": (d,), "ln_1.b": (d,),
              "wq": (d, d), "wk": (d, kv), "wv": (d, kv), "wo": (d, d),
              "ln_2.g": (d,), "ln_2.b": (d,),
              "fc.w": (d, f), "fc.b": (f,), "proj.w": (f, d), "proj.b": (d,)}
    if kind == "L":
        shapes["log_decay"] = (cfg.heads,)
    return shapes


def params(cfg):
    """The function arguments in order: (name, shape, element type)."""
    out = [("tokens", (cfg.seq,), "i64"),
           ("wte", (cfg.vocab, cfg.d_model), "f32")]
    for i, kind in enumerate(cfg.layers):
        out += [("h%d.%s" % (i, n), s, "f32")
                for n, s in layer_param_shapes(cfg, kind).items()]
    out += [("ln_f.g", (cfg.d_model,), "f32"),
            ("ln_f.b", (cfg.d_model,), "f32")]
    return out


def split_heads(em, x, L, heads, dh, hint):
    """[L, heads * dh] -> [1, heads, L, dh]."""
    x3 = em.fresh(hint + "3")
    em.emit("%s = tensor.expand_shape %s [[0], [1, 2]] output_shape [%d, %d, %d] : %s into %s"
            % (x3, x, L, heads, dh, ttype((L, heads * dh)),
               ttype((L, heads, dh))))
    t, _ = em.transpose(x3, (L, heads, dh), [1, 0, 2], hint=hint + "t")
    x4 = em.fresh(hint)
    em.emit("%s = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [1, %d, %d, %d] : %s into %s"
            % (x4, t, heads, L, dh, ttype((heads, L, dh)),
               ttype((1, heads, L, dh))))
    return x4


def merge_heads(em, o, L, heads, dh):
    """[1, heads, L, dh] -> [L, heads * dh]."""
    o3 = em.fresh("o3")
    em.emit("%s = tensor.collapse_shape %s [[0, 1], [2], [3]] : %s into %s"
            % (o3, o, ttype((1, heads, L, dh)), ttype((heads, L, dh))))
    ot, ot_shape = em.transpose(o3, (heads, L, dh), [1, 0, 2], hint="merged")
    o2 = em.fresh("mixed")
    em.emit("%s = tensor.collapse_shape %s [[0], [1, 2]] : %s into %s"
            % (o2, ot, ttype(ot_shape), ttype((L, heads * dh))))
    return o2


def emit_mixer(em, cfg, kind, x, p):
    """The token mixer of one layer on the normalised [L, D] input."""
    L, d, H, dh = cfg.seq, cfg.d_model, cfg.heads, head_dim(cfg)
    hkv = cfg.kv_heads if kind == "S" else H
    q = split_heads(em, em.matmul(x, (L, d), p("wq"), (d, d), "xq"), L, H,
                    dh, "q")
    k = split_heads(em, em.matmul(x, (L, d), p("wk"), (d, hkv * dh), "xk"),
                    L, hkv, dh, "k")
    v = split_heads(em, em.matmul(x, (L, d), p("wv"), (d, hkv * dh), "xv"),
                    L, hkv, dh, "v")
    qt, kvt = ttype((1, H, L, dh)), ttype((1, hkv, L, dh))
    init = em.empty((1, H, L, dh), "mix_init")
    o = em.fresh("mix")
    if kind == "L":
        em.comment("Linear attention: decayed normalised state, Taylor "
                   "feature map on Q and K")
        em.emit("%s = attn.linear_attention ins(%s, %s, %s : %s, %s, %s)"
                % (o, q, k, v, qt, kvt, kvt))
        em.emit("    log_decay(%s : %s)" % (p("log_decay"), ttype((H,))))
        em.emit("    outs(%s : %s) {causal, normalize} -> %s"
                % (init, qt, qt))
        for region in ("q_mod", "k_mod"):
            lines = taylor_region(o[1:] + "_" + region[0])
            em.emit("    %s %s" % (region, lines[0]))
            for line in lines[1:]:
                em.emit("    " + line)
    else:
        em.comment("Softmax attention: causal, %d query heads over %d "
                   "key/value heads" % (H, hkv))
        em.emit("%s = attn.attention ins(%s, %s, %s : %s, %s, %s)"
                % (o, q, k, v, qt, kvt, kvt))
        em.emit("    outs(%s : %s) {masks = [#attn.causal]} -> %s"
                % (init, qt, qt))
    m = merge_heads(em, o, L, H, dh)
    return em.matmul(m, (L, d), p("wo"), (d, d), "wo_out")


def generate(cfg=DEFAULT):
    if cfg.d_model % cfg.heads or cfg.heads % cfg.kv_heads:
        raise ValueError("d_model must be a multiple of heads, heads of "
                         "kv_heads")
    if set(cfg.layers) - set("LS"):
        raise ValueError("layers is a string of L (linear) and S (softmax)")
    L, d, V = cfg.seq, cfg.d_model, cfg.vocab
    ps = params(cfg)
    names = {n: ssa_name(n) for n, _, _ in ps}
    em = Emitter(reserved=names.values())
    x_shape = (L, d)

    em.comment("Token embedding gather")
    x = em.generic(
        "x", ["#row", "#id2"], ["parallel", "parallel"],
        [(names["tokens"], ttype((L,), "i64"))],
        [(em.empty(x_shape), ttype(x_shape))],
        lambda a: (["%j = linalg.index 1 : index",
                    "%%tok = arith.index_cast %s : i64 to index" % a[0],
                    "%%te = tensor.extract %s[%%tok, %%j] : %s"
                    % (names["wte"], ttype((V, d)))], "%te"),
        x_shape)

    for i, kind in enumerate(cfg.layers):
        p = lambda n: names["h%d.%s" % (i, n)]  # noqa: E731
        em.emit()
        em.comment("---- Layer %d (%s): x += mix(ln_1(x)); x += mlp(ln_2(x))"
                   % (i, "linear attention" if kind == "L" else
                      "softmax attention"))
        ln1 = em.layer_norm(x, x_shape, p("ln_1.g"), p("ln_1.b"))
        x = em.residual(x, emit_mixer(em, cfg, kind, ln1, p), x_shape)
        ln2 = em.layer_norm(x, x_shape, p("ln_2.g"), p("ln_2.b"))
        f = cfg.d_mlp
        hdn = em.matmul(ln2, x_shape, p("fc.w"), (d, f), "fc")
        hdn = em.binary("fc_b", hdn, (L, f), p("fc.b"), "#col", "addf")
        hdn = em.gelu_tanh(hdn, (L, f))
        m = em.matmul(hdn, (L, f), p("proj.w"), (f, d), "mlp")
        m = em.binary("mlp_b", m, x_shape, p("proj.b"), "#col", "addf")
        x = em.residual(x, m, x_shape)

    em.emit()
    em.comment("Final LayerNorm; logits against the tied token embedding")
    lnf = em.layer_norm(x, x_shape, names["ln_f.g"], names["ln_f.b"])
    wte_t, wte_t_shape = em.transpose(names["wte"], (V, d), [1, 0], "wte_t")
    logits = em.matmul(lnf, x_shape, wte_t, wte_t_shape, "logits")
    em.emit("return %s : %s" % (logits, ttype((L, V))))

    out = ["// A hybrid decoder (generated by examples/hybrid/gen_hybrid.py; "
           "do not edit):",
           "// layers %s (L: attn.linear_attention, S: attn.attention), "
           "L = %d, d_model = %d," % (cfg.layers, L, d),
           "// %d heads of %d (%d key/value heads in the softmax layers), "
           "MLP %d, vocab %d." % (cfg.heads, head_dim(cfg), cfg.kv_heads,
                                  cfg.d_mlp, V),
           "// Weights are arguments; examples/hybrid/run.py runs it:",
           "//",
           "//   attn-opt hybrid.mlir --attn-cpu-pipeline",
           "", MAPS]
    args = ",\n    ".join("%s: %s" % (names[n], ttype(s, e)) for n, s, e in ps)
    out.append("func.func @hybrid(\n    %s)\n    -> %s {"
               % (args, ttype((L, V))))
    out += ["  " + c for _, c in sorted(em.consts.values(),
                                          key=lambda nc: nc[0])]
    out.append("")
    out += em.lines
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    args = ap.parse_args()
    text = generate()
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
