#!/usr/bin/env python3
"""Generates a small GPT-2-style decoder (random weights passed as arguments)
in linalg-on-tensors IR, the form a PyTorch front end (torch-mlir) hands to
a backend: the attention is spelled out as batch_matmul(Q, K^T), a scale, an
additive causal mask, linalg.softmax and batch_matmul with V, so that
`attn-opt --attn-raise` can recognise it.

    python3 examples/gpt2/gen_model.py > examples/gpt2/gpt2.mlir
    python3 examples/gpt2/gen_model.py --layers 1 --seq 32

The committed examples/gpt2/gpt2.mlir is the output for the default
configuration (test/Examples/gpt2.test checks that it is up to date).
`params(cfg)` lists the function arguments in order; run_gpt2.py builds its
weights from it.
"""

import argparse
import math
import sys
from collections import namedtuple

Config = namedtuple("Config", "layers seq vocab d_model heads d_mlp")

DEFAULT = Config(layers=2, seq=128, vocab=1024, d_model=768, heads=12,
                 d_mlp=3072)

# Per-layer arguments, GPT-2 naming (Conv1D weights stored [in, out]).
LAYER_PARAMS = ["ln_1.g", "ln_1.b", "attn.c_attn.w", "attn.c_attn.b",
                "attn.c_proj.w", "attn.c_proj.b", "ln_2.g", "ln_2.b",
                "mlp.c_fc.w", "mlp.c_fc.b", "mlp.c_proj.w", "mlp.c_proj.b"]

LN_EPS = 1e-5


def layer_param_shapes(cfg):
    d, f = cfg.d_model, cfg.d_mlp
    return {"ln_1.g": (d,), "ln_1.b": (d,),
            "attn.c_attn.w": (d, 3 * d), "attn.c_attn.b": (3 * d,),
            "attn.c_proj.w": (d, d), "attn.c_proj.b": (d,),
            "ln_2.g": (d,), "ln_2.b": (d,),
            "mlp.c_fc.w": (d, f), "mlp.c_fc.b": (f,),
            "mlp.c_proj.w": (f, d), "mlp.c_proj.b": (d,)}


def params(cfg):
    """The function arguments in order: (name, shape, element type)."""
    out = [("tokens", (cfg.seq,), "i64"),
           ("wte", (cfg.vocab, cfg.d_model), "f32"),
           ("wpe", (cfg.seq, cfg.d_model), "f32")]
    shapes = layer_param_shapes(cfg)
    for i in range(cfg.layers):
        out += [("h%d.%s" % (i, n), shapes[n], "f32") for n in LAYER_PARAMS]
    out += [("ln_f.g", (cfg.d_model,), "f32"),
            ("ln_f.b", (cfg.d_model,), "f32")]
    return out


def ttype(shape, elem="f32"):
    return "tensor<%s>" % "x".join([str(s) for s in shape] + [elem])


def ssa_name(name):
    return "%" + name.replace(".", "_")


def f32_literal(x):
    """An MLIR f32 literal; infinities as hexadecimal bit patterns."""
    if x == -math.inf:
        return "0xFF800000"
    text = repr(float(x))
    if "." not in text:  # MLIR wants a mantissa with a point: 1.0e-05
        text = text.replace("e", ".0e")
    return text


MAPS = """\
#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#last2 = affine_map<(d0, d1, d2) -> (d1, d2)>
"""


class Emitter:
    """Writes one function body; every helper returns the SSA name of its
    result."""

    def __init__(self, reserved=()):
        self.lines = []
        self.count = {}
        self.used = set(reserved)
        self.consts = {}

    def fresh(self, hint):
        """A new SSA name: the hint, then hint_1, hint_2, ..."""
        while True:
            n = self.count.get(hint, 0)
            self.count[hint] = n + 1
            name = "%%%s_%d" % (hint, n) if n else "%" + hint
            if name not in self.used:
                self.used.add(name)
                return name

    def emit(self, line=""):
        self.lines.append(("  " + line) if line else "")

    def comment(self, text):
        self.emit("// " + text)

    def const(self, value, hint="cst", elem="f32"):
        key = (value, elem)
        if key not in self.consts:
            name = self.fresh(hint)
            lit = f32_literal(value) if elem == "f32" else str(value)
            self.consts[key] = (name, "%s = arith.constant %s : %s"
                                % (name, lit, elem))
        return self.consts[key][0]

    def empty(self, shape, hint="init"):
        v = self.fresh(hint)
        self.emit("%s = tensor.empty() : %s" % (v, ttype(shape)))
        return v

    def zeros(self, shape, hint="acc"):
        e = self.empty(shape)
        v = self.fresh(hint)
        self.emit("%s = linalg.fill ins(%s : f32) outs(%s : %s) -> %s"
                  % (v, self.const(0.0, "zero"), e, ttype(shape), ttype(shape)))
        return v

    def generic(self, hint, maps, iters, ins, outs, body, out_shape):
        """`ins`/`outs`: [(value, type)]; `body(args)` returns the lines of
        the region given the block argument names, ending in the yielded
        value."""
        v = self.fresh(hint)
        args = ["%%a%d" % i for i in range(len(ins) + len(outs))]
        elems = [t.rsplit("x", 1)[-1].rstrip(">") for _, t in ins + outs]
        ins_txt = ", ".join(x for x, _ in ins)
        ins_ty = ", ".join(t for _, t in ins)
        outs_txt = ", ".join(x for x, _ in outs)
        outs_ty = ", ".join(t for _, t in outs)
        head = "%s = linalg.generic {indexing_maps = [%s], iterator_types = [%s]}" % (
            v, ", ".join(maps), ", ".join('"%s"' % i for i in iters))
        if ins:
            head += " ins(%s : %s)" % (ins_txt, ins_ty)
        head += " outs(%s : %s) {" % (outs_txt, outs_ty)
        self.emit(head)
        self.emit("^bb0(%s):" % ", ".join(
            "%s: %s" % (a, e) for a, e in zip(args, elems)))
        lines, result = body(args)
        for line in lines:
            self.emit("  " + line)
        self.emit("  linalg.yield %s : %s" % (result, elems[-1]))
        self.emit("} -> %s" % ttype(out_shape))
        return v

    # Layers ---------------------------------------------------------------

    def matmul(self, a, a_shape, b, b_shape, hint="mm"):
        out_shape = (a_shape[0], b_shape[1])
        acc = self.zeros(out_shape)
        v = self.fresh(hint)
        self.emit("%s = linalg.matmul ins(%s, %s : %s, %s) outs(%s : %s) -> %s"
                  % (v, a, b, ttype(a_shape), ttype(b_shape), acc,
                     ttype(out_shape), ttype(out_shape)))
        return v

    def batch_matmul(self, a, a_shape, b, b_shape, hint="bmm"):
        out_shape = (a_shape[0], a_shape[1], b_shape[2])
        acc = self.zeros(out_shape)
        v = self.fresh(hint)
        self.emit("%s = linalg.batch_matmul ins(%s, %s : %s, %s) outs(%s : %s) -> %s"
                  % (v, a, b, ttype(a_shape), ttype(b_shape), acc,
                     ttype(out_shape), ttype(out_shape)))
        return v

    def transpose(self, x, shape, perm, hint="tr"):
        out_shape = tuple(shape[p] for p in perm)
        e = self.empty(out_shape)
        v = self.fresh(hint)
        self.emit("%s = linalg.transpose ins(%s : %s) outs(%s : %s) permutation = [%s]"
                  % (v, x, ttype(shape), e, ttype(out_shape),
                     ", ".join(map(str, perm))))
        return v, out_shape

    def binary(self, hint, x, shape, y, y_map, op):
        """x (identity map) `op` y (y_map), elementwise over x's shape."""
        rank = len(shape)
        e = self.empty(shape)
        idm = "#id%d" % rank
        y_ty = ttype(self._mapped_shape(shape, y_map))
        return self.generic(
            hint, [idm, y_map, idm], ["parallel"] * rank,
            [(x, ttype(shape)), (y, y_ty)], [(e, ttype(shape))],
            lambda a: (["%%r = arith.%s %s, %s : f32" % (op, a[0], a[1])],
                       "%r"), shape)

    @staticmethod
    def _mapped_shape(shape, y_map):
        return {"#id1": shape, "#id2": shape, "#id3": shape,
                "#col": shape[1:], "#row": shape[:1],
                "#last2": shape[1:]}[y_map]

    def residual(self, x, y, shape):
        return self.binary("resid", x, shape, y, "#id2", "addf")

    def layer_norm(self, x, shape, g, b, hint="ln"):
        """Row-wise LayerNorm as torch-mlir decomposes it: mean and biased
        variance as reductions, then (x - mean) * rsqrt(var + eps) * g + b."""
        rows, d = shape
        inv_d = self.const(1.0 / d, "inv_d%d" % d)
        eps = self.const(LN_EPS, "eps")
        sums = self.generic(
            "sum", ["#id2", "#row"], ["parallel", "reduction"],
            [(x, ttype(shape))], [(self.zeros((rows,)), ttype((rows,)))],
            lambda a: (["%%s = arith.addf %s, %s : f32" % (a[0], a[1])],
                       "%s"), (rows,))
        mean = self.generic(
            "mean", ["#id1", "#id1"], ["parallel"],
            [(sums, ttype((rows,)))], [(self.empty((rows,)), ttype((rows,)))],
            lambda a: (["%%m = arith.mulf %s, %s : f32" % (a[0], inv_d)],
                       "%m"), (rows,))
        sq = self.generic(
            "sqdev", ["#id2", "#row", "#row"], ["parallel", "reduction"],
            [(x, ttype(shape)), (mean, ttype((rows,)))],
            [(self.zeros((rows,)), ttype((rows,)))],
            lambda a: (["%%d = arith.subf %s, %s : f32" % (a[0], a[1]),
                        "%dd = arith.mulf %d, %d : f32",
                        "%%s = arith.addf %%dd, %s : f32" % a[2]],
                       "%s"), (rows,))
        rstd = self.generic(
            "rstd", ["#id1", "#id1"], ["parallel"],
            [(sq, ttype((rows,)))], [(self.empty((rows,)), ttype((rows,)))],
            lambda a: (["%%var = arith.mulf %s, %s : f32" % (a[0], inv_d),
                        "%%ve = arith.addf %%var, %s : f32" % eps,
                        "%r = math.rsqrt %ve : f32"], "%r"), (rows,))
        return self.generic(
            hint, ["#id2", "#row", "#row", "#col", "#col", "#id2"],
            ["parallel", "parallel"],
            [(x, ttype(shape)), (mean, ttype((rows,))),
             (rstd, ttype((rows,))), (g, ttype((d,))), (b, ttype((d,)))],
            [(self.empty(shape), ttype(shape))],
            lambda a: (["%%c = arith.subf %s, %s : f32" % (a[0], a[1]),
                        "%%n = arith.mulf %%c, %s : f32" % a[2],
                        "%%s = arith.mulf %%n, %s : f32" % a[3],
                        "%%y = arith.addf %%s, %s : f32" % a[4]], "%y"),
            shape)

    def gelu_tanh(self, x, shape):
        """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
        half, one = self.const(0.5, "half"), self.const(1.0, "one")
        k0 = self.const(math.sqrt(2.0 / math.pi), "sqrt_2_over_pi")
        k1 = self.const(0.044715, "gelu_c")
        return self.generic(
            "gelu", ["#id2", "#id2"], ["parallel", "parallel"],
            [(x, ttype(shape))], [(self.empty(shape), ttype(shape))],
            lambda a: (["%%x2 = arith.mulf %s, %s : f32" % (a[0], a[0]),
                        "%%x3 = arith.mulf %%x2, %s : f32" % a[0],
                        "%%t0 = arith.mulf %%x3, %s : f32" % k1,
                        "%%t1 = arith.addf %s, %%t0 : f32" % a[0],
                        "%%t2 = arith.mulf %%t1, %s : f32" % k0,
                        "%t3 = math.tanh %t2 : f32",
                        "%%t4 = arith.addf %%t3, %s : f32" % one,
                        "%%t5 = arith.mulf %%t4, %s : f32" % half,
                        "%%y = arith.mulf %%t5, %s : f32" % a[0]], "%y"),
            shape)


def emit_attention(em, cfg, qkv, mask):
    """Causal multi-head self-attention on the fused [L, 3*D] projection."""
    L, d, h = cfg.seq, cfg.d_model, cfg.heads
    dh = d // h
    qkv_ty = ttype((L, 3 * d))
    heads = []
    for i, part in enumerate("qkv"):
        em.comment("%s: columns [%d, %d) of the fused projection, split "
                   "into heads [L, H, Dh] -> [H, L, Dh]" % (
                       part.upper(), i * d, (i + 1) * d))
        s = em.fresh(part + "2")
        em.emit("%s = tensor.extract_slice %s[0, %d] [%d, %d] [1, 1] : %s to %s"
                % (s, qkv, i * d, L, d, qkv_ty, ttype((L, d))))
        x3 = em.fresh(part + "3")
        em.emit("%s = tensor.expand_shape %s [[0], [1, 2]] output_shape [%d, %d, %d] : %s into %s"
                % (x3, s, L, h, dh, ttype((L, d)), ttype((L, h, dh))))
        t, _ = em.transpose(x3, (L, h, dh), [1, 0, 2], hint=part)
        heads.append(t)
    q, k, v = heads
    hs = (h, L, dh)

    em.comment("scores = Q K^T * 1/sqrt(Dh) + causal mask; softmax over keys")
    kt, kt_shape = em.transpose(k, hs, [0, 2, 1], hint="kt")
    s = em.batch_matmul(q, hs, kt, kt_shape, hint="qk")
    scale = em.const(1.0 / math.sqrt(dh), "scale")
    ss = (h, L, L)
    scaled = em.generic(
        "scaled", ["#id3", "#id3"], ["parallel"] * 3,
        [(s, ttype(ss))], [(em.empty(ss), ttype(ss))],
        lambda a: (["%%r = arith.mulf %s, %s : f32" % (a[0], scale)], "%r"),
        ss)
    masked = em.binary("masked", scaled, ss, mask, "#last2", "addf")
    p = em.fresh("probs")
    em.emit("%s = linalg.softmax dimension(2) ins(%s : %s) outs(%s : %s) -> %s"
            % (p, masked, ttype(ss), em.empty(ss), ttype(ss), ttype(ss)))
    o = em.batch_matmul(p, ss, v, hs, hint="pv")

    em.comment("merge heads: [H, L, Dh] -> [L, H, Dh] -> [L, D]")
    ot, ot_shape = em.transpose(o, hs, [1, 0, 2], hint="merged")
    o2 = em.fresh("attn_out")
    em.emit("%s = tensor.collapse_shape %s [[0], [1, 2]] : %s into %s"
            % (o2, ot, ttype(ot_shape), ttype((L, d))))
    return o2


def generate(cfg=DEFAULT):
    if cfg.d_model % cfg.heads:
        raise ValueError("d_model must be a multiple of heads")
    L, d, V = cfg.seq, cfg.d_model, cfg.vocab
    ps = params(cfg)
    names = {n: ssa_name(n) for n, _, _ in ps}
    em = Emitter(reserved=names.values())
    x_shape = (L, d)

    em.comment("Token embedding gather + positional embedding")
    emb = em.generic(
        "x", ["#row", "#id2", "#id2"], ["parallel", "parallel"],
        [(names["tokens"], ttype((L,), "i64")), (names["wpe"], ttype((L, d)))],
        [(em.empty(x_shape), ttype(x_shape))],
        lambda a: (["%j = linalg.index 1 : index",
                    "%%tok = arith.index_cast %s : i64 to index" % a[0],
                    "%%te = tensor.extract %s[%%tok, %%j] : %s"
                    % (names["wte"], ttype((V, d))),
                    "%%e = arith.addf %%te, %s : f32" % a[1]], "%e"),
        x_shape)

    em.comment("Additive causal mask: 0 where key <= query, -inf above")
    neg_inf, zero = em.const(-math.inf, "neg_inf"), em.const(0.0, "zero")
    mask = em.generic(
        "mask", ["#id2"], ["parallel", "parallel"], [],
        [(em.empty((L, L)), ttype((L, L)))],
        lambda a: (["%i = linalg.index 0 : index",
                    "%j = linalg.index 1 : index",
                    "%future = arith.cmpi ugt, %j, %i : index",
                    "%%m = arith.select %%future, %s, %s : f32"
                    % (neg_inf, zero)], "%m"),
        (L, L))

    x = emb
    for i in range(cfg.layers):
        p = lambda n: names["h%d.%s" % (i, n)]
        em.emit()
        em.comment("---- Block %d: x += attn(ln_1(x)); x += mlp(ln_2(x))" % i)
        ln1 = em.layer_norm(x, x_shape, p("ln_1.g"), p("ln_1.b"))
        qkv = em.matmul(ln1, x_shape, p("attn.c_attn.w"), (d, 3 * d), "qkv")
        qkv = em.binary("qkv_b", qkv, (L, 3 * d), p("attn.c_attn.b"),
                         "#col", "addf")
        a = emit_attention(em, cfg, qkv, mask)
        a = em.matmul(a, x_shape, p("attn.c_proj.w"), (d, d), "proj")
        a = em.binary("proj_b", a, x_shape, p("attn.c_proj.b"), "#col",
                       "addf")
        x = em.residual(x, a, x_shape)
        em.comment("MLP: c_fc, GELU (tanh approximation), c_proj")
        ln2 = em.layer_norm(x, x_shape, p("ln_2.g"), p("ln_2.b"))
        f = cfg.d_mlp
        hdn = em.matmul(ln2, x_shape, p("mlp.c_fc.w"), (d, f), "fc")
        hdn = em.binary("fc_b", hdn, (L, f), p("mlp.c_fc.b"), "#col", "addf")
        hdn = em.gelu_tanh(hdn, (L, f))
        m = em.matmul(hdn, (L, f), p("mlp.c_proj.w"), (f, d), "mlp")
        m = em.binary("mlp_b", m, x_shape, p("mlp.c_proj.b"), "#col", "addf")
        x = em.residual(x, m, x_shape)

    em.emit()
    em.comment("Final LayerNorm; logits against the tied token embedding")
    lnf = em.layer_norm(x, x_shape, names["ln_f.g"], names["ln_f.b"])
    wte_t, wte_t_shape = em.transpose(names["wte"], (V, d), [1, 0], "wte_t")
    logits = em.matmul(lnf, x_shape, wte_t, wte_t_shape, "logits")
    em.emit("return %s : %s" % (logits, ttype((L, V))))

    out = []
    out.append("// A GPT-2-style decoder in linalg on tensors (generated by "
               "examples/gpt2/gen_model.py;")
    out.append("// do not edit). Layers: %d, L = %d, d_model = %d, %d heads "
               "of %d, MLP %d," % (cfg.layers, L, d, cfg.heads,
                                   d // cfg.heads, cfg.d_mlp))
    out.append("// vocab %d, batch 1, causal. Weights are arguments; "
               "examples/gpt2/run_gpt2.py runs it" % V)
    out.append("// (docs/model.md):")
    out.append("//")
    out.append("//   attn-opt gpt2.mlir --attn-raise --attn-cpu-pipeline")
    out.append("")
    out.append(MAPS)
    args = ",\n    ".join("%s: %s" % (names[n], ttype(s, e)) for n, s, e in ps)
    out.append("func.func @gpt2(\n    %s)\n    -> %s {" % (args, ttype((L, V))))
    out += ["  " + c for _, c in sorted(em.consts.values(),
                                          key=lambda nc: nc[0])]
    out.append("")
    out += em.lines
    out.append("}")
    return "\n".join(out) + "\n"


def add_config_args(parser):
    for f in Config._fields:
        parser.add_argument("--" + f.replace("_", "-"), type=int,
                            default=getattr(DEFAULT, f))


def config_from_args(args):
    return Config(*[getattr(args, f) for f in Config._fields])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_config_args(ap)
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    args = ap.parse_args()
    text = generate(config_from_args(args))
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
