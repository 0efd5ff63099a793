"""Attention layers written the way public frontends lower them.

Each graph is MLIR text in the spelling of one frontend path (torch-mlir's
TorchToLinalg, TF/Keras through TOSA), with the numpy model of what it
computes. ``scripts/gen-raise-corpus.py`` writes them under
test/Dialect/Attn/Transforms/raise-corpus/ (the lit cases counting raised
ops) and test/python/raise-corpus.py runs each one with and without
``--attn-raise`` against its model.

The graphs are this project's own: written from the ops those frontends
are documented to emit (``aten.max.dim`` as a value/index reduction, the
``alpha`` operand of ``aten.add``/``aten.sub``, f64 scalars truncated in
bodies, 4-D matmuls collapsed to ``linalg.batch_matmul``, Keras' query
scaling before the einsum, TOSA's keep-dim reductions and reciprocal).
"""

import numpy as np

F32_MIN = -3.4028234663852886e38


class Graph:
    """Builds one func.func in linalg/tensor (or TOSA) text."""

    def __init__(self, name):
        self.name = name
        self.lines = []
        self.args = []
        self.n = 0

    def fresh(self, p="v"):
        self.n += 1
        return "%%_%s%d" % (p, self.n)

    def emit(self, s):
        self.lines.append("  " + s)

    def arg(self, name, shape, dt):
        self.args.append((name, tuple(shape), dt))
        return "%" + name

    @staticmethod
    def ty(shape, dt):
        return "tensor<%s>" % "x".join([str(s) for s in shape] + [dt])

    def empty(self, shape, dt):
        v = self.fresh("e")
        self.emit("%s = tensor.empty() : %s" % (v, self.ty(shape, dt)))
        return v

    def zeros(self, shape, dt):
        c = self.fresh("c")
        self.emit("%s = arith.constant 0.0 : %s" % (c, dt))
        e = self.empty(shape, dt)
        v = self.fresh("z")
        t = self.ty(shape, dt)
        self.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s" %
                  (v, c, dt, e, t, t))
        return v

    def generic(self, ins, shape, out_dts, body, iterators=None,
                out_maps=None, inits=None):
        """ins: (value, shape, dt, exprs) with exprs the map results over
        d0..d{rank-1}; body: lines using {a0}, {a1}, ... and {o0}, ...
        that define %r0, %r1, ...; returns the result names."""
        rank = len(iterators) if iterators else len(shape)
        dims = ", ".join("d%d" % i for i in range(rank))
        ident = ", ".join("d%d" % i for i in range(len(shape)))
        out_maps = out_maps or [ident] * len(out_dts)
        maps = ["affine_map<(%s) -> (%s)>" % (dims, e) for _, _, _, e in ins]
        maps += ["affine_map<(%s) -> (%s)>" % (dims, m) for m in out_maps]
        iterators = iterators or ["parallel"] * rank
        outs = inits or [self.empty(shape, dt) for dt in out_dts]
        res = [self.fresh("g") for _ in out_dts]
        args = ["%%a%d: %s" % (i, dt) for i, (_, _, dt, _) in enumerate(ins)]
        args += ["%%o%d: %s" % (i, dt) for i, dt in enumerate(out_dts)]
        ins_s = ", ".join(v for v, _, _, _ in ins)
        ins_t = ", ".join(self.ty(s, dt) for _, s, dt, _ in ins)
        outs_t = ", ".join(self.ty(shape, dt) for dt in out_dts)
        self.emit("%s = linalg.generic {indexing_maps = [%s], iterator_types"
                  " = [%s]} ins(%s : %s) outs(%s : %s) {" %
                  (", ".join(res), ", ".join(maps),
                   ", ".join('"%s"' % i for i in iterators), ins_s, ins_t,
                   ", ".join(outs), outs_t))
        self.emit("^bb0(%s):" % ", ".join(args))
        fmt = {"a%d" % i: "%%a%d" % i for i in range(len(ins))}
        fmt.update({"o%d" % i: "%%o%d" % i for i in range(len(out_dts))})
        for line in body:
            self.emit("  " + line.format(**fmt))
        self.emit("  linalg.yield %s : %s" % (
            ", ".join("%%r%d" % i for i in range(len(out_dts))),
            ", ".join(out_dts)))
        self.emit("} -> " + (outs_t if len(out_dts) == 1 else
                             "(%s)" % outs_t))
        return res if len(res) > 1 else res[0]

    def text(self, results):
        self.results = [(tuple(sh), dt) for _, sh, dt in results]
        args = ", ".join("%%%s: %s" % (n, self.ty(s, dt))
                         for n, s, dt in self.args)
        rets = ", ".join(self.ty(s, dt) for _, s, dt in results)
        body = "\n".join(self.lines)
        sig = rets if len(results) == 1 else "(%s)" % rets
        return ("func.func @%s(%s) -> %s {\n%s\n  return %s : %s\n}\n" %
                (self.name, args, sig, body,
                 ", ".join(v for v, _, _ in results), rets))


def idx(rank):
    return ", ".join("d%d" % i for i in range(rank))


# --------------------------------------------------------------------------
# torch-mlir (TorchToLinalg) spellings
# --------------------------------------------------------------------------


def t_reshape(g, x, src, dst, groups, dt):
    v = g.fresh("r")
    gs = "[%s]" % ", ".join("[%s]" % ", ".join(map(str, gr)) for gr in groups)
    if len(dst) > len(src):
        g.emit("%s = tensor.expand_shape %s %s output_shape [%s] : %s into %s"
               % (v, x, gs, ", ".join(map(str, dst)), g.ty(src, dt),
                  g.ty(dst, dt)))
    else:
        g.emit("%s = tensor.collapse_shape %s %s : %s into %s" %
               (v, x, gs, g.ty(src, dt), g.ty(dst, dt)))
    return v


def t_permute(g, x, shape, perm, dt):
    out = [shape[p] for p in perm]
    e = g.empty(out, dt)
    v = g.fresh("t")
    g.emit("%s = linalg.transpose ins(%s : %s) outs(%s : %s) permutation = "
           "[%s]" % (v, x, g.ty(shape, dt), e, g.ty(out, dt),
                     ", ".join(map(str, perm))))
    return v, out


def t_linear(g, x, b, l, e, w, f, dt):
    """aten.linear without bias: [B, L, E] x [E, F] through linalg.matmul."""
    x2 = t_reshape(g, x, (b, l, e), (b * l, e), [[0, 1], [2]], dt)
    z = g.zeros((b * l, f), dt)
    v = g.fresh("mm")
    g.emit("%s = linalg.matmul ins(%s, %s : %s, %s) outs(%s : %s) -> %s" %
           (v, x2, w, g.ty((b * l, e), dt), g.ty((e, f), dt), z,
            g.ty((b * l, f), dt), g.ty((b * l, f), dt)))
    return t_reshape(g, v, (b * l, f), (b, l, f), [[0, 1], [2]], dt)


def t_split_heads(g, x, b, l, h, d, dt):
    x4 = t_reshape(g, x, (b, l, h * d), (b, l, h, d), [[0], [1], [2, 3]], dt)
    v, _ = t_permute(g, x4, (b, l, h, d), (0, 2, 1, 3), dt)
    return v


def t_merge_heads(g, o, b, h, l, d, dt):
    t, _ = t_permute(g, o, (b, h, l, d), (0, 2, 1, 3), dt)
    return t_reshape(g, t, (b, l, h, d), (b, l, h * d), [[0], [1], [2, 3]],
                     dt)


def t_matmul4(g, a, ashape, bv, bshape, dt, acc=None):
    """aten.matmul of 4-D tensors: collapsed to batch_matmul, expanded."""
    acc = acc or dt
    bb, hh, m, k = ashape
    n = bshape[3]
    a3 = t_reshape(g, a, ashape, (bb * hh, m, k), [[0, 1], [2], [3]], dt)
    b3 = t_reshape(g, bv, bshape, (bb * hh, k, n), [[0, 1], [2], [3]], dt)
    z = g.zeros((bb * hh, m, n), acc)
    if acc != dt:
        # Mixed precision: the inputs extended to the accumulator in a
        # contraction generic, the result truncated back.
        v = g.generic([(a3, (bb * hh, m, k), dt, "d0, d1, d3"),
                       (b3, (bb * hh, k, n), dt, "d0, d3, d2")],
                      (bb * hh, m, n), [acc],
                      ["%%x = arith.extf {a0} : %s to %s" % (dt, acc),
                       "%%y = arith.extf {a1} : %s to %s" % (dt, acc),
                       "%%p = arith.mulf %%x, %%y : %s" % acc,
                       "%%r0 = arith.addf {o0}, %%p : %s" % acc],
                      iterators=["parallel"] * 3 + ["reduction"],
                      out_maps=["d0, d1, d2"], inits=[z])
        v = g.generic([(v, (bb * hh, m, n), acc, idx(3))], (bb * hh, m, n),
                      [dt], ["%%r0 = arith.truncf {a0} : %s to %s" % (acc, dt)])
        return t_reshape(g, v, (bb * hh, m, n), ashape[:2] + (m, n),
                         [[0, 1], [2], [3]], dt)
    v = g.fresh("bmm")
    g.emit("%s = linalg.batch_matmul ins(%s, %s : %s, %s) outs(%s : %s) -> %s"
           % (v, a3, b3, g.ty((bb * hh, m, k), dt), g.ty((bb * hh, k, n), dt),
              z, g.ty((bb * hh, m, n), acc), g.ty((bb * hh, m, n), acc)))
    return t_reshape(g, v, (bb * hh, m, n), ashape[:2] + (m, n),
                     [[0, 1], [2], [3]], dt)


def t_softmax(g, x, shape, dt, indices=None):
    """aten._softmax decomposed as torch-mlir does: max.dim (values and
    indices), sub.Tensor with alpha, exp, sum.dim_IntList keepdim, div.
    The argmax is appended to `indices` when given (a graph that uses it)."""
    b, h, l, m = shape
    lo = g.fresh("c")
    g.emit("%s = arith.constant %r : %s" % (lo, F32_MIN, dt))
    e3 = g.empty((b, h, l), dt)
    fm = g.fresh("f")
    g.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s" %
           (fm, lo, dt, e3, g.ty((b, h, l), dt), g.ty((b, h, l), dt)))
    zi = g.fresh("c")
    g.emit("%s = arith.constant 0 : i64" % zi)
    ei = g.empty((b, h, l), "i64")
    fi = g.fresh("f")
    g.emit("%s = linalg.fill ins(%s : i64) outs(%s : %s) -> %s" %
           (fi, zi, ei, g.ty((b, h, l), "i64"), g.ty((b, h, l), "i64")))
    mx, am = g.generic(
        [(x, shape, dt, idx(4))], (b, h, l), [dt, "i64"],
        ["%i = linalg.index 3 : index",
         "%ii = arith.index_cast %i : index to i64",
         "%r0 = arith.maximumf {a0}, {o0} : " + dt,
         "%gt = arith.cmpf ogt, {a0}, {o0} : " + dt,
         "%r1 = arith.select %gt, %ii, {o1} : i64"],
        iterators=["parallel"] * 3 + ["reduction"],
        out_maps=["d0, d1, d2", "d0, d1, d2"], inits=[fm, fi])
    if indices is not None:
        indices.append(am)
    mx4 = t_reshape(g, mx, (b, h, l), (b, h, l, 1), [[0], [1], [2, 3]], dt)
    one = g.fresh("c")
    g.emit("%s = arith.constant 1 : i64" % one)
    sub = g.generic([(x, shape, dt, idx(4)), (mx4, (b, h, l, 1), dt,
                                              "d0, d1, d2, 0")], shape, [dt],
                    ["%%al = arith.sitofp %s : i64 to %s" % (one, dt),
                     "%m = arith.mulf {a1}, %al : " + dt,
                     "%r0 = arith.subf {a0}, %m : " + dt])
    ex = g.generic([(sub, shape, dt, idx(4))], shape, [dt],
                   ["%r0 = math.exp {a0} : " + dt])
    z = g.zeros((b, h, l, 1), dt)
    sm = g.generic([(ex, shape, dt, idx(4))], (b, h, l, 1), [dt],
                   ["%r0 = arith.addf {a0}, {o0} : " + dt],
                   iterators=["parallel"] * 3 + ["reduction"],
                   out_maps=["d0, d1, d2, 0"], inits=[z])
    return g.generic([(ex, shape, dt, idx(4)), (sm, (b, h, l, 1), dt,
                                                "d0, d1, d2, 0")], shape,
                     [dt], ["%r0 = arith.divf {a0}, {a1} : " + dt])


def t_add_alpha(g, x, shape, y, yshape, yexprs, dt, out_shape=None,
                xexprs=None, yexprs2=None, alpha=1):
    """aten.add.Tensor(x, y, alpha), broadcasting to `out_shape`."""
    one = g.fresh("c")
    g.emit("%s = arith.constant %d : i64" % (one, alpha))
    out_shape = out_shape or shape
    return g.generic([(x, shape, dt, xexprs or idx(len(shape))),
                      (y, yshape, dt, yexprs2 or yexprs)],
                     out_shape, [dt],
                     ["%%al = arith.sitofp %s : i64 to %s" % (one, dt),
                      "%m = arith.mulf {a1}, %al : " + dt,
                      "%r0 = arith.addf {a0}, %m : " + dt])


def t_div_scalar(g, x, shape, c, dt):
    """aten.div.Scalar by a Python float: an f64 constant truncated in the
    body."""
    k = g.fresh("c")
    g.emit("%s = arith.constant %r : f64" % (k, float(c)))
    return g.generic([(x, shape, dt, idx(len(shape)))], shape, [dt],
                     ["%%t = arith.truncf %s : f64 to %s" % (k, dt),
                      "%r0 = arith.divf {a0}, %t : " + dt])


def t_extended_mask(g, m, b, lkv, dt):
    """HF's get_extended_attention_mask: [B, Lkv] of 1/0 ->
    (1 - m[:, None, None, :]) * finfo.min, through unsqueeze views, rsub
    and mul.Scalar."""
    m4 = t_reshape(g, m, (b, lkv), (b, 1, 1, lkv), [[0, 1, 2], [3]], dt)
    one = g.fresh("c")
    g.emit("%s = arith.constant 1.0 : f64" % one)
    lo = g.fresh("c")
    g.emit("%s = arith.constant %r : f64" % (lo, F32_MIN))
    shape = (b, 1, 1, lkv)
    r = g.generic([(m4, shape, dt, idx(4))], shape, [dt],
                  ["%%one = arith.truncf %s : f64 to %s" % (one, dt),
                   "%r0 = arith.subf %one, {a0} : " + dt])
    return g.generic([(r, shape, dt, idx(4))], shape, [dt],
                     ["%%lo = arith.truncf %s : f64 to %s" % (lo, dt),
                      "%r0 = arith.mulf {a0}, %lo : " + dt])


# --------------------------------------------------------------------------
# numpy models
# --------------------------------------------------------------------------


def np_softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


def np_heads(x, h):
    b, l, e = x.shape
    return x.reshape(b, l, h, e // h).transpose(0, 2, 1, 3)


def np_merge(o):
    b, h, l, d = o.shape
    return o.transpose(0, 2, 1, 3).reshape(b, l, h * d)


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------


def bert_torch(B=2, L=8, H=2, D=4):
    """A HuggingFace BERT self-attention through torch-mlir: projections,
    heads split by expand + permute, 4-D matmuls as collapsed batch_matmuls,
    scores / sqrt(D) as div.Scalar, the extended padding mask [B, 1, 1, L]
    added with alpha, softmax from max.dim."""
    E = H * D
    g = Graph("bert_torch")
    x = g.arg("x", (B, L, E), "f32")
    m = g.arg("mask", (B, L), "f32")
    ws = [g.arg(n, (E, E), "f32") for n in ("wq", "wk", "wv")]
    q, k, v = [t_split_heads(g, t_linear(g, x, B, L, E, w, E, "f32"),
                             B, L, H, D, "f32") for w in ws]
    kt, _ = t_permute(g, k, (B, H, L, D), (0, 1, 3, 2), "f32")
    s = t_matmul4(g, q, (B, H, L, D), kt, (B, H, D, L), "f32")
    s = t_div_scalar(g, s, (B, H, L, L), np.sqrt(D), "f32")
    ext = t_extended_mask(g, m, B, L, "f32")
    s = t_add_alpha(g, s, (B, H, L, L), ext, (B, 1, 1, L), "d0, 0, 0, d3",
                    "f32")
    p = t_softmax(g, s, (B, H, L, L), "f32")
    o = t_matmul4(g, p, (B, H, L, L), v, (B, H, L, D), "f32")
    out = t_merge_heads(g, o, B, H, L, D, "f32")

    def model(x, mask, wq, wk, wv):
        q, k, v = [np_heads(x @ w, H) for w in (wq, wk, wv)]
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
        s = s + ((1.0 - mask) * F32_MIN)[:, None, None, :]
        return np_merge(np_softmax(s) @ v)

    def inputs(rng):
        mask = np.ones((B, L))
        mask[1, L - 3:] = 0.0
        return [rng.standard_normal((B, L, E)), mask] + [
            rng.standard_normal((E, E)) * 0.5 for _ in range(3)]

    return g.text([(out, (B, L, E), "f32")]), g, model, inputs, 1


def bert_masked_fill_torch(B=2, L=8, H=2, D=4):
    """A BERT-style attention through torch-mlir with the padding mask
    applied as masked_fill(mask == 0, finfo.min): a runtime i1 condition
    [B, 1, 1, L] that drops where true."""
    g = Graph("bert_masked_fill_torch")
    q = g.arg("q", (B, H, L, D), "f32")
    k = g.arg("k", (B, H, L, D), "f32")
    v = g.arg("v", (B, H, L, D), "f32")
    m = g.arg("mask", (B, L), "f32")
    zero = g.fresh("c")
    g.emit("%s = arith.constant 0.0 : f64" % zero)
    eq = g.generic([(m, (B, L), "f32", "d0, d1")], (B, L), ["i1"],
                   ["%%z = arith.truncf %s : f64 to f32" % zero,
                    "%r0 = arith.cmpf oeq, {a0}, %z : f32"])
    eq4 = t_reshape(g, eq, (B, L), (B, 1, 1, L), [[0, 1, 2], [3]], "i1")
    kt, _ = t_permute(g, k, (B, H, L, D), (0, 1, 3, 2), "f32")
    s = t_matmul4(g, q, (B, H, L, D), kt, (B, H, D, L), "f32")
    s = t_div_scalar(g, s, (B, H, L, L), np.sqrt(D), "f32")
    lo = g.fresh("c")
    g.emit("%s = arith.constant %r : f64" % (lo, F32_MIN))
    s = g.generic([(s, (B, H, L, L), "f32", idx(4)),
                   (eq4, (B, 1, 1, L), "i1", "d0, 0, 0, d3")], (B, H, L, L),
                  ["f32"], ["%%lo = arith.truncf %s : f64 to f32" % lo,
                            "%r0 = arith.select {a1}, %lo, {a0} : f32"])
    p = t_softmax(g, s, (B, H, L, L), "f32")
    o = t_matmul4(g, p, (B, H, L, L), v, (B, H, L, D), "f32")

    def model(q, k, v, mask):
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
        s = np.where((mask == 0)[:, None, None, :], F32_MIN, s)
        return np_softmax(s) @ v

    def inputs(rng):
        mask = np.ones((B, L))
        mask[1, L - 3:] = 0.0
        return [rng.standard_normal((B, H, L, D)) for _ in range(3)] + [mask]

    return g.text([(o, (B, H, L, D), "f32")]), g, model, inputs, 1


def gpt2_torch(B=1, L=8, H=2, D=8, NMAX=16):
    """A HuggingFace GPT-2 attention through torch-mlir: one fused QKV
    projection split by slices, the causal mask a slice of the constant
    `bias` buffer [1, 1, NMAX, NMAX] applied with where(), the scale a
    division by a 0-d tensor."""
    E = H * D
    g = Graph("gpt2_torch")
    x = g.arg("x", (B, L, E), "f32")
    w = g.arg("wqkv", (E, 3 * E), "f32")
    qkv = t_linear(g, x, B, L, E, w, 3 * E, "f32")
    parts = []
    for i in range(3):
        v = g.fresh("sl")
        g.emit("%s = tensor.extract_slice %s[0, 0, %d] [%d, %d, %d] [1, 1, 1]"
               " : %s to %s" % (v, qkv, i * E, B, L, E,
                                g.ty((B, L, 3 * E), "f32"),
                                g.ty((B, L, E), "f32")))
        parts.append(t_split_heads(g, v, B, L, H, D, "f32"))
    q, k, v = parts
    kt, _ = t_permute(g, k, (B, H, L, D), (0, 1, 3, 2), "f32")
    s = t_matmul4(g, q, (B, H, L, D), kt, (B, H, D, L), "f32")
    sq = g.fresh("c")
    g.emit("%s = arith.constant dense<%r> : tensor<f32>" % (sq, np.sqrt(D)))
    s = g.generic([(s, (B, H, L, L), "f32", idx(4)), (sq, (), "f32", "")],
                  (B, H, L, L), ["f32"], ["%r0 = arith.divf {a0}, {a1} : f32"])
    tril = np.tril(np.ones((NMAX, NMAX), bool))
    bias = g.fresh("c")
    g.emit("%s = arith.constant dense<%s> : tensor<1x1x%dx%dxi1>" % (
        bias, "[[[%s]]]" % ", ".join(
            "[%s]" % ", ".join("true" if t else "false" for t in row)
            for row in tril), NMAX, NMAX))
    cm = g.fresh("sl")
    g.emit("%s = tensor.extract_slice %s[0, 0, 0, 0] [1, 1, %d, %d] "
           "[1, 1, 1, 1] : tensor<1x1x%dx%dxi1> to tensor<1x1x%dx%dxi1>" %
           (cm, bias, L, L, NMAX, NMAX, L, L))
    mv = g.fresh("c")
    g.emit("%s = arith.constant dense<%r> : tensor<f32>" % (mv, F32_MIN))
    s = g.generic([(cm, (1, 1, L, L), "i1", "0, 0, d2, d3"),
                   (s, (B, H, L, L), "f32", idx(4)), (mv, (), "f32", "")],
                  (B, H, L, L), ["f32"],
                  ["%r0 = arith.select {a0}, {a1}, {a2} : f32"])
    p = t_softmax(g, s, (B, H, L, L), "f32")
    o = t_matmul4(g, p, (B, H, L, L), v, (B, H, L, D), "f32")
    out = t_merge_heads(g, o, B, H, L, D, "f32")

    def model(x, wqkv):
        qkv = x @ wqkv
        q, k, v = [np_heads(qkv[..., i * E:(i + 1) * E], H) for i in range(3)]
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
        s = np.where(np.tril(np.ones((L, L), bool)), s, F32_MIN)
        return np_merge(np_softmax(s) @ v)

    def inputs(rng):
        return [rng.standard_normal((B, L, E)),
                rng.standard_normal((E, 3 * E)) * 0.4]

    return g.text([(out, (B, L, E), "f32")]), g, model, inputs, 1


def rope(g, x, shape, cos, sin, dt):
    """q * cos + rotate_half(q) * sin, rotate_half by slices, neg, concat."""
    b, h, l, d = shape
    half = (b, h, l, d // 2)
    x1, x2 = g.fresh("sl"), g.fresh("sl")
    for v, off in ((x1, 0), (x2, d // 2)):
        g.emit("%s = tensor.extract_slice %s[0, 0, 0, %d] [%d, %d, %d, %d] "
               "[1, 1, 1, 1] : %s to %s" % (v, x, off, b, h, l, d // 2,
                                            g.ty(shape, dt), g.ty(half, dt)))
    n2 = g.generic([(x2, half, dt, idx(4))], half, [dt],
                   ["%r0 = arith.negf {a0} : " + dt])
    rot = g.fresh("cat")
    g.emit("%s = tensor.concat dim(3) %s, %s : (%s, %s) -> %s" %
           (rot, n2, x1, g.ty(half, dt), g.ty(half, dt), g.ty(shape, dt)))
    return g.generic([(x, shape, dt, idx(4)), (cos, (l, d), dt, "d2, d3"),
                      (rot, shape, dt, idx(4)), (sin, (l, d), dt, "d2, d3")],
                     shape, [dt],
                     ["%u1 = arith.mulf {a0}, {a1} : " + dt,
                      "%u2 = arith.mulf {a2}, {a3} : " + dt,
                      "%r0 = arith.addf %u1, %u2 : " + dt])


def np_rope(x, cos, sin):
    d = x.shape[-1]
    rot = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], -1)
    return x * cos + rot * sin


def llama_gqa_torch(B=1, L=8, HQ=4, HKV=2, D=8, dt="f32"):
    """A HuggingFace LLaMA attention through torch-mlir: rotary embeddings
    on Q and K, repeat_kv (expand + broadcast + collapse), scores * scaling,
    the 4-D additive causal mask as an input, softmax in f32 and cast back
    (in the bf16 variant, batch_matmuls accumulate in f32)."""
    g = Graph("llama_gqa_torch_" + dt)
    acc = "f32"
    q = g.arg("q", (B, HQ, L, D), dt)
    k = g.arg("k", (B, HKV, L, D), dt)
    v = g.arg("v", (B, HKV, L, D), dt)
    cos = g.arg("cos", (L, D), dt)
    sin = g.arg("sin", (L, D), dt)
    m = g.arg("mask", (B, 1, L, L), dt)
    q = rope(g, q, (B, HQ, L, D), cos, sin, dt)
    k = rope(g, k, (B, HKV, L, D), cos, sin, dt)
    rep = HQ // HKV

    # The broadcast copies yield their input (linalg's broadcast form).
    def repeat(t):
        t5 = t_reshape(g, t, (B, HKV, L, D), (B, HKV, 1, L, D),
                       [[0], [1, 2], [3], [4]], dt)
        e = g.empty((B, HKV, rep, L, D), dt)
        br = g.fresh("bc")
        g.emit("%s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2,"
               " d3, d4) -> (d0, d1, 0, d3, d4)>, affine_map<(d0, d1, d2, d3,"
               " d4) -> (d0, d1, d2, d3, d4)>], iterator_types = [\"parallel\""
               ", \"parallel\", \"parallel\", \"parallel\", \"parallel\"]} "
               "ins(%s : %s) outs(%s : %s) {" % (
                   br, t5, g.ty((B, HKV, 1, L, D), dt), e,
                   g.ty((B, HKV, rep, L, D), dt)))
        g.emit("^bb0(%%in: %s, %%out: %s):" % (dt, dt))
        g.emit("  linalg.yield %%in : %s" % dt)
        g.emit("} -> " + g.ty((B, HKV, rep, L, D), dt))
        return t_reshape(g, br, (B, HKV, rep, L, D), (B, HQ, L, D),
                         [[0], [1, 2], [3], [4]], dt)

    k, v = repeat(k), repeat(v)
    kt, _ = t_permute(g, k, (B, HQ, L, D), (0, 1, 3, 2), dt)
    s = t_matmul4(g, q, (B, HQ, L, D), kt, (B, HQ, D, L), dt, acc)
    sc = g.fresh("c")
    g.emit("%s = arith.constant %r : f64" % (sc, D ** -0.5))
    s = g.generic([(s, (B, HQ, L, L), dt, idx(4))], (B, HQ, L, L), [dt],
                  ["%%t = arith.truncf %s : f64 to %s" % (sc, dt),
                   "%r0 = arith.mulf {a0}, %t : " + dt])
    s = t_add_alpha(g, s, (B, HQ, L, L), m, (B, 1, L, L), "d0, 0, d2, d3", dt)
    if dt != "f32":
        s = g.generic([(s, (B, HQ, L, L), dt, idx(4))], (B, HQ, L, L),
                      ["f32"], ["%%r0 = arith.extf {a0} : %s to f32" % dt])
    p = t_softmax(g, s, (B, HQ, L, L), "f32")
    if dt != "f32":
        p = g.generic([(p, (B, HQ, L, L), "f32", idx(4))], (B, HQ, L, L),
                      [dt], ["%r0 = arith.truncf {a0} : f32 to " + dt])
    o = t_matmul4(g, p, (B, HQ, L, L), v, (B, HQ, L, D), dt, acc)

    def model(q, k, v, cos, sin, mask):
        q = np_rope(q, cos, sin)
        k = np.repeat(np_rope(k, cos, sin), rep, axis=1)
        v = np.repeat(v, rep, axis=1)
        s = q @ k.transpose(0, 1, 3, 2) * D ** -0.5 + mask
        return np_softmax(s) @ v

    def inputs(rng):
        pos = np.arange(L)[:, None] * (1e-2 ** (np.arange(D // 2) / (D // 2)))
        ang = np.concatenate([pos, pos], -1)
        mask = np.where(np.tril(np.ones((L, L), bool)), 0.0, F32_MIN)
        if dt == "bf16":
            mask = np.where(np.tril(np.ones((L, L), bool)), 0.0, -1e30)
        return [rng.standard_normal((B, HQ, L, D)),
                rng.standard_normal((B, HKV, L, D)),
                rng.standard_normal((B, HKV, L, D)), np.cos(ang), np.sin(ang),
                np.broadcast_to(mask, (B, 1, L, L)).copy()]

    return g.text([(o, (B, HQ, L, D), dt)]), g, model, inputs, 1


def t5_torch(B=2, L=6, H=2, D=4):
    """A T5 attention through torch-mlir: no scaling, a learned relative
    position bias [1, H, L, L] plus the extended padding mask, added to the
    scores as one tensor."""
    g = Graph("t5_torch")
    q = g.arg("q", (B, H, L, D), "f32")
    k = g.arg("k", (B, H, L, D), "f32")
    v = g.arg("v", (B, H, L, D), "f32")
    pb = g.arg("bias", (1, H, L, L), "f32")
    m = g.arg("mask", (B, L), "f32")
    ext = t_extended_mask(g, m, B, L, "f32")
    # position_bias + mask: broadcast [1, H, L, L] and [B, 1, 1, L].
    bias = t_add_alpha(g, pb, (1, H, L, L), ext, (B, 1, 1, L), "", "f32",
                       out_shape=(B, H, L, L), xexprs="0, d1, d2, d3",
                       yexprs2="d0, 0, 0, d3")
    kt, _ = t_permute(g, k, (B, H, L, D), (0, 1, 3, 2), "f32")
    s = t_matmul4(g, q, (B, H, L, D), kt, (B, H, D, L), "f32")
    s = t_add_alpha(g, s, (B, H, L, L), bias, (B, H, L, L), idx(4), "f32")
    p = t_softmax(g, s, (B, H, L, L), "f32")
    o = t_matmul4(g, p, (B, H, L, L), v, (B, H, L, D), "f32")

    def model(q, k, v, bias, mask):
        s = q @ k.transpose(0, 1, 3, 2) + bias + (
            (1.0 - mask) * F32_MIN)[:, None, None, :]
        return np_softmax(s) @ v

    def inputs(rng):
        mask = np.ones((B, L))
        mask[0, L - 2:] = 0.0
        return [rng.standard_normal((B, H, L, D)) for _ in range(3)] + [
            rng.standard_normal((1, H, L, L)), mask]

    return g.text([(o, (B, H, L, D), "f32")]), g, model, inputs, 1


def transposed_scores_linalg(B=2, L=6, H=2, D=4, transpose=True):
    """Scores computed transposed (K·Qᵀ as a 4-D contraction generic, then
    a transpose), Q scaled by D^-1/2 before the contraction (Keras
    MultiHeadAttention's order), a [B, 1, 1, L] additive mask."""
    g = Graph("transposed_scores_linalg" if transpose else
              "swapped_roles_linalg")
    q = g.arg("q", (B, H, L, D), "f32")
    k = g.arg("k", (B, H, L, D), "f32")
    v = g.arg("v", (B, H, L, D), "f32")
    m = g.arg("mask", (B, 1, 1, L), "f32")
    c = g.fresh("c")
    g.emit("%s = arith.constant %r : f32" % (c, D ** -0.5))
    qs = g.generic([(q, (B, H, L, D), "f32", idx(4))], (B, H, L, D), ["f32"],
                   ["%%r0 = arith.mulf {a0}, %s : f32" % c])
    z = g.zeros((B, H, L, L), "f32")
    st = g.generic([(k, (B, H, L, D), "f32", "d0, d1, d2, d4"),
                    (qs, (B, H, L, D), "f32", "d0, d1, d3, d4")],
                   (B, H, L, L), ["f32"],
                   ["%p = arith.mulf {a0}, {a1} : f32",
                    "%r0 = arith.addf {o0}, %p : f32"],
                   iterators=["parallel"] * 4 + ["reduction"],
                   out_maps=["d0, d1, d2, d3"], inits=[z])
    # Without the transpose, the softmax runs over the rows of K·Qᵀ.
    s = t_permute(g, st, (B, H, L, L), (0, 1, 3, 2), "f32")[0] if transpose \
        else st
    s = g.generic([(s, (B, H, L, L), "f32", idx(4)),
                   (m, (B, 1, 1, L), "f32", "d0, 0, 0, d3")], (B, H, L, L),
                  ["f32"], ["%r0 = arith.addf {a0}, {a1} : f32"])
    p = t_softmax(g, s, (B, H, L, L), "f32")
    zo = g.zeros((B, H, L, D), "f32")
    o = g.generic([(p, (B, H, L, L), "f32", "d0, d1, d2, d4"),
                   (v, (B, H, L, D), "f32", "d0, d1, d4, d3")],
                  (B, H, L, D), ["f32"],
                  ["%p = arith.mulf {a0}, {a1} : f32",
                   "%r0 = arith.addf {o0}, %p : f32"],
                  iterators=["parallel"] * 4 + ["reduction"],
                  out_maps=["d0, d1, d2, d3"], inits=[zo])

    def model(q, k, v, mask):
        s = (q * D ** -0.5) @ k.transpose(0, 1, 3, 2)
        if not transpose:
            s = s.transpose(0, 1, 3, 2)
        return np_softmax(s + mask) @ v

    def inputs(rng):
        mask = np.zeros((B, 1, 1, L))
        mask[1, ..., :2] = -1e9
        return [rng.standard_normal((B, H, L, D)) for _ in range(3)] + [mask]

    return g.text([(o, (B, H, L, D), "f32")]), g, model, inputs, 1


def small_torch(name, B=1, L=6, H=2, D=4, alpha=1, use_argmax=False):
    """Look-alikes in torch-mlir spelling: a runtime mask added with
    alpha != 1 (the mask operand would be the scaled mask), or the argmax
    of max.dim used by the graph (raising would drop it)."""
    g = Graph(name)
    q = g.arg("q", (B, H, L, D), "f32")
    k = g.arg("k", (B, H, L, D), "f32")
    v = g.arg("v", (B, H, L, D), "f32")
    m = g.arg("mask", (B, 1, 1, L), "f32")
    kt, _ = t_permute(g, k, (B, H, L, D), (0, 1, 3, 2), "f32")
    s = t_matmul4(g, q, (B, H, L, D), kt, (B, H, D, L), "f32")
    s = t_add_alpha(g, s, (B, H, L, L), m, (B, 1, 1, L), "d0, 0, 0, d3",
                    "f32", alpha=alpha)
    indices = []
    p = t_softmax(g, s, (B, H, L, L), "f32", indices if use_argmax else None)
    o = t_matmul4(g, p, (B, H, L, L), v, (B, H, L, D), "f32")
    results = [(o, (B, H, L, D), "f32")]
    if use_argmax:
        results.append((indices[0], (B, H, L), "i64"))

    def model(q, k, v, mask):
        return np_softmax(q @ k.transpose(0, 1, 3, 2) + alpha * mask) @ v

    def inputs(rng):
        mask = np.zeros((B, 1, 1, L))
        mask[..., :2] = -1.0
        return [rng.standard_normal((B, H, L, D)) for _ in range(3)] + [mask]

    return g.text(results), g, model, inputs, 0


# --------------------------------------------------------------------------
# TF/Keras through TOSA (MLIR 22 syntax)
# --------------------------------------------------------------------------


from attn import frontend_graphs_tosa  # noqa: E402 (uses Graph above)

CORPUS = {
    "bert_torch": bert_torch,
    "bert_masked_fill_torch": bert_masked_fill_torch,
    "gpt2_torch": gpt2_torch,
    "llama_gqa_torch_f32": lambda: llama_gqa_torch(dt="f32"),
    "llama_gqa_torch_bf16": lambda: llama_gqa_torch(dt="bf16"),
    "t5_torch": t5_torch,
    "transposed_scores_linalg": transposed_scores_linalg,
    "bert_keras_tosa_f32": lambda: frontend_graphs_tosa.bert_keras_tosa(
        dt="f32"),
    "bert_keras_tosa_bf16": lambda: frontend_graphs_tosa.bert_keras_tosa(
        dt="bf16"),
    "gpt_keras_tosa_f32": lambda: frontend_graphs_tosa.gpt_keras_tosa(
        dt="f32"),
    "gpt_keras_tosa_bf16": lambda: frontend_graphs_tosa.gpt_keras_tosa(
        dt="bf16"),
    "t5_tosa": lambda: frontend_graphs_tosa.t5_tosa(),
    # One head: the [B, 1, L, L] <-> [B, L, L] reshapes are ambiguous as
    # reassociations.
    "bert_torch_one_head": lambda: bert_torch(H=1),
    "gpt_keras_tosa_one_head": lambda: frontend_graphs_tosa.gpt_keras_tosa(
        B=2, H=1),
    # K·Qᵀ with the softmax over the last axis is attention with the roles
    # of Q and K swapped: raised as such.
    "swapped_roles_linalg": lambda: transposed_scores_linalg(transpose=False),
    "negative_mask_alpha_two":
        lambda: small_torch("negative_mask_alpha_two", alpha=2),
    "negative_argmax_used":
        lambda: small_torch("negative_argmax_used", use_argmax=True),
}
