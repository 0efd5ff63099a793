"""Attention layers as TF/Keras graphs legalised to TOSA (MLIR 22 syntax:
shape operands, the shift operand of tosa.mul, zero points of
tosa.matmul), for the frontend corpus of :mod:`attn.frontend_graphs`.

All share Keras' MultiHeadAttention spelling: the query scaled before the
einsum (or not at all, as T5), einsums as reshapes + transposes + rank-3
tosa.matmul, an additive mask term, tf.nn.softmax as exp(x - reduce_max) *
reciprocal(reduce_sum), in f32 between tosa.casts for bf16 graphs. They
differ in the additive term: BERT's (1 - mask) * -10000 from a [B, 1, 1, L]
padding mask, a causal GPT layer's (1 - tril) * -1e9 from a constant
[1, 1, L, L] mask (Keras' use_causal_mask), T5's constant relative
position bias [1, H, L, L] with no scaling.
"""

import numpy as np

from attn.frontend_graphs import Graph, np_heads, np_merge, np_softmax


class Tosa:
    def __init__(self, g, dt):
        self.g, self.dt = g, dt
        g.emit('%shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>'
               ' : () -> tensor<1xi8>')
        g.emit('%%zp = "tosa.const"() <{values = dense<0.0> : tensor<1x%s>}>'
               ' : () -> tensor<1x%s>' % (dt, dt))

    def ty(self, s, dt=None):
        return self.g.ty(s, dt or self.dt)

    def const(self, value, shape, dt=None):
        v = self.g.fresh("k")
        self.g.emit('%s = "tosa.const"() <{values = dense<%r> : %s}> : () -> '
                    '%s' % (v, value, self.ty(shape, dt), self.ty(shape, dt)))
        return v

    def reshape(self, x, src, dst):
        s = self.g.fresh("sh")
        self.g.emit("%s = tosa.const_shape {values = dense<[%s]> : "
                    "tensor<%dxindex>} : () -> !tosa.shape<%d>" %
                    (s, ", ".join(map(str, dst)), len(dst), len(dst)))
        v = self.g.fresh("rs")
        self.g.emit("%s = tosa.reshape %s, %s : (%s, !tosa.shape<%d>) -> %s" %
                    (v, x, s, self.ty(src), len(dst), self.ty(dst)))
        return v

    def transpose(self, x, shape, perm):
        out = tuple(shape[p] for p in perm)
        v = self.g.fresh("tr")
        self.g.emit("%s = tosa.transpose %s {perms = array<i32: %s>} : (%s) ->"
                    " %s" % (v, x, ", ".join(map(str, perm)), self.ty(shape),
                             self.ty(out)))
        return v, out

    def binary(self, op, a, ashape, b, bshape, out, dt=None):
        v = self.g.fresh("b")
        extra = ", %shift" if op == "mul" else ""
        extra_t = ", tensor<1xi8>" if op == "mul" else ""
        self.g.emit("%s = tosa.%s %s, %s%s : (%s, %s%s) -> %s" %
                    (v, op, a, b, extra, self.ty(ashape, dt),
                     self.ty(bshape, dt), extra_t, self.ty(out, dt)))
        return v

    def unary(self, op, a, shape, attrs=""):
        v = self.g.fresh("u")
        self.g.emit("%s = tosa.%s %s%s : (%s) -> %s" %
                    (v, op, a, attrs, self.ty(shape), self.ty(shape)))
        return v

    def reduce(self, op, a, shape):
        out = tuple(shape[:-1]) + (1,)
        v = self.g.fresh("rd")
        self.g.emit("%s = tosa.%s %s {axis = %d : i32} : (%s) -> %s" %
                    (v, op, a, len(shape) - 1, self.ty(shape), self.ty(out)))
        return v, out

    def matmul(self, a, ashape, b, bshape):
        out = (ashape[0], ashape[1], bshape[2])
        v = self.g.fresh("mm")
        self.g.emit("%s = tosa.matmul %s, %s, %%zp, %%zp : (%s, %s, %s, %s) ->"
                    " %s" % (v, a, b, self.ty(ashape), self.ty(bshape),
                             self.ty((1,)), self.ty((1,)), self.ty(out)))
        return v, out

    def cast(self, a, shape, src, dst):
        v = self.g.fresh("cs")
        self.g.emit("%s = tosa.cast %s : (%s) -> %s" %
                    (v, a, self.g.ty(shape, src), self.g.ty(shape, dst)))
        return v


def _keras_layer(g, t, B, L, H, D, dt, scale, adder):
    """The shared layer on q, k, v [B, L, H*D] (graph arguments); `adder(s)`
    returns the scores [B, H, L, L] with the layer's additive term."""
    E = H * D
    q = g.arg("q", (B, L, E), dt)
    k = g.arg("k", (B, L, E), dt)
    v = g.arg("v", (B, L, E), dt)
    if scale is not None:
        c = t.const(scale, (1, 1, 1))
        q = t.binary("mul", q, (B, L, E), c, (1, 1, 1), (B, L, E))

    def heads(x, kt=False):
        x4 = t.reshape(x, (B, L, E), (B, L, H, D))
        perm = (0, 2, 3, 1) if kt else (0, 2, 1, 3)
        xt, shape = t.transpose(x4, (B, L, H, D), perm)
        flat = (B * H,) + shape[2:]
        return t.reshape(xt, shape, flat), flat

    q3, qs = heads(q)
    k3, ks = heads(k, kt=True)
    v3, vs = heads(v)
    s3, s3s = t.matmul(q3, qs, k3, ks)
    s = adder(t.reshape(s3, s3s, (B, H, L, L)))
    shape = (B, H, L, L)
    if dt != "f32":
        s = t.cast(s, shape, dt, "f32")
        t.dt = "f32"
    mx, ms = t.reduce("reduce_max", s, shape)
    d = t.binary("sub", s, shape, mx, ms, shape)
    e = t.unary("exp", d, shape)
    sm, _ = t.reduce("reduce_sum", e, shape)
    r = t.unary("reciprocal", sm, ms)
    p = t.binary("mul", e, shape, r, ms, shape)
    if dt != "f32":
        t.dt = dt
        p = t.cast(p, shape, "f32", dt)
    p3 = t.reshape(p, shape, (B * H, L, L))
    o3, os_ = t.matmul(p3, (B * H, L, L), v3, vs)
    o4 = t.reshape(o3, os_, (B, H, L, D))
    ot, ots = t.transpose(o4, (B, H, L, D), (0, 2, 1, 3))
    return t.reshape(ot, ots, (B, L, E))


def _np_layer(q, k, v, H, scale, add):
    qh, kh, vh = np_heads(q * scale, H), np_heads(k, H), np_heads(v, H)
    return np_merge(np_softmax(qh @ kh.transpose(0, 1, 3, 2) + add) @ vh)


def bert_keras_tosa(B=2, L=8, H=2, D=4, dt="f32"):
    """A Keras/TF BERT attention: the (1 - mask) * -10000 adder from a
    [B, 1, 1, L] padding mask."""
    g = Graph("bert_keras_tosa_" + dt)
    t = Tosa(g, dt)

    def adder(s):
        m = g.arg("mask", (B, 1, 1, L), dt)
        one = t.const(1.0, (1, 1, 1, 1))
        neg = t.const(-10000.0, (1, 1, 1, 1))
        inv = t.binary("sub", one, (1, 1, 1, 1), m, (B, 1, 1, L),
                       (B, 1, 1, L))
        a = t.binary("mul", inv, (B, 1, 1, L), neg, (1, 1, 1, 1),
                     (B, 1, 1, L))
        return t.binary("add", s, (B, H, L, L), a, (B, 1, 1, L),
                        (B, H, L, L))
    out = _keras_layer(g, t, B, L, H, D, dt, D ** -0.5, adder)

    def model(q, k, v, mask):
        return _np_layer(q, k, v, H, D ** -0.5, (1.0 - mask) * -10000.0)

    def inputs(rng):
        mask = np.ones((B, 1, 1, L))
        mask[0, ..., L - 3:] = 0.0
        return [rng.standard_normal((B, L, H * D)) for _ in range(3)] + [mask]

    return g.text([(out, (B, L, H * D), dt)]), g, model, inputs, 1


def gpt_keras_tosa(B=1, L=8, H=2, D=4, dt="f32"):
    """A causal Keras layer (use_causal_mask): a constant lower-triangular
    [1, 1, L, L] mask m folded in as (1 - m) * -1e9."""
    g = Graph("gpt_keras_tosa_" + dt)
    t = Tosa(g, dt)
    tril = np.tril(np.ones((L, L)))

    def adder(s):
        v = g.fresh("k")
        g.emit('%s = "tosa.const"() <{values = dense<%s> : %s}> : () -> %s' %
               (v, [[tril.tolist()]], t.ty((1, 1, L, L)),
                t.ty((1, 1, L, L))))
        one = t.const(1.0, (1, 1, 1, 1))
        neg = t.const(-1e9, (1, 1, 1, 1))
        inv = t.binary("sub", one, (1, 1, 1, 1), v, (1, 1, L, L),
                       (1, 1, L, L))
        a = t.binary("mul", inv, (1, 1, L, L), neg, (1, 1, 1, 1),
                     (1, 1, L, L))
        return t.binary("add", s, (B, H, L, L), a, (1, 1, L, L),
                        (B, H, L, L))
    out = _keras_layer(g, t, B, L, H, D, dt, D ** -0.5, adder)

    def model(q, k, v):
        return _np_layer(q, k, v, H, D ** -0.5, (1.0 - tril) * -1e9)

    def inputs(rng):
        return [rng.standard_normal((B, L, H * D)) for _ in range(3)]

    return g.text([(out, (B, L, H * D), dt)]), g, model, inputs, 1


def t5_tosa(B=2, L=6, H=2, D=4):
    """A T5 layer exported through TF to TOSA: no query scaling, a constant
    relative position bias [1, H, L, L] added to the scores."""
    dt = "f32"
    g = Graph("t5_tosa")
    t = Tosa(g, dt)
    rng = np.random.default_rng(5)
    rel = np.subtract.outer(np.arange(L), np.arange(L))
    table = rng.standard_normal((H, 2 * L - 1)).astype(np.float32)
    bias = table[:, rel + L - 1][None]

    def adder(s):
        v = g.fresh("k")
        g.emit('%s = "tosa.const"() <{values = dense<%s> : %s}> : () -> %s' %
               (v, bias.tolist(), t.ty((1, H, L, L)), t.ty((1, H, L, L))))
        return t.binary("add", s, (B, H, L, L), v, (1, H, L, L),
                        (B, H, L, L))
    out = _keras_layer(g, t, B, L, H, D, dt, None, adder)

    def model(q, k, v):
        return _np_layer(q, k, v, H, 1.0, bias.astype(np.float64))

    def inputs(rng):
        return [rng.standard_normal((B, L, H * D)) for _ in range(3)]

    return g.text([(out, (B, L, H * D), dt)]), g, model, inputs, 1
