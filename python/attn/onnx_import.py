"""Imports an ONNX model into linalg/tensor MLIR for attn-opt.

``attn-import-onnx model.onnx -o model.mlir`` writes one ``func.func`` named
after the graph (inputs and outputs in graph order) whose initializers are
``dense_resource`` blobs. Attention is emitted as ONNX spells it (MatMul,
Softmax, ...), so ``attn-opt --attn-raise`` raises it like any frontend
graph. Errors name the node (``node 3 'Softmax_3' (Softmax): ...``); on any
error no output file is written.

Supported (default domain, opset 13 to 21): MatMul, Gemm, Add, Sub, Mul,
Div, Pow, Sqrt, Erf, Tanh, Gelu, Where, Cast, Softmax (last axis),
Transpose, Reshape, Unsqueeze, Squeeze, Concat, Slice, Gather (axis 0),
Expand, ReduceMean (last axis), LayerNormalization (last axis), and the
com.microsoft MultiHeadAttention (query, key, value only) and
GroupQueryAttention (python/attn/onnx_contrib.py). Shapes must be static.
"""

import sys

import numpy as np

from attn import onnx_contrib

DTYPES = {1: ("f32", np.float32), 10: ("f16", np.float16),
          11: ("f64", np.float64), 7: ("i64", np.int64), 9: ("i1", np.bool_),
          6: ("i32", np.int32), 16: ("bf16", None)}


class ImportError_(Exception):
    pass


def ty(shape, dt):
    return "tensor<%s>" % "x".join([str(s) for s in shape] + [dt])


def idx(rank):
    return ", ".join("d%d" % i for i in range(rank))


def is_float(dt):
    return dt in ("f32", "f16", "bf16", "f64")


def reassociation(big, small):
    """Groups of `big`'s dims whose products are `small`'s dims, or None."""
    groups, i = [], 0
    for j, s in enumerate(small):
        g, p = [], 1
        while i < len(big) and (not g or p != s):
            g.append(i)
            p *= big[i]
            i += 1
        if p != s or not g:
            return None
        groups.append(g)
    if not groups:
        return None
    while i < len(big):
        if big[i] != 1:
            return None
        groups[-1].append(i)
        i += 1
    return groups


class Importer:
    def __init__(self, model):
        self.model = model
        self.lines = []
        self.n = 0
        self.vals = {}  # onnx name -> (ssa, shape, dtype)
        self.consts = {}  # onnx name -> numpy array (initializers, Constant)
        self.resources = []
        self.node = None

    def fail(self, msg):
        if self.node is not None:
            i, nd = self.node
            raise ImportError_("node %d '%s' (%s): %s" %
                               (i, nd.name, nd.op_type, msg))
        raise ImportError_(msg)

    def fresh(self, p="v"):
        self.n += 1
        return "%%%s%d" % (p, self.n)

    def emit(self, s):
        self.lines.append("  " + s)

    # -- values -----------------------------------------------------------

    def get(self, name):
        if name in self.vals:
            return self.vals[name]
        if name in self.consts:
            arr = self.consts[name]
            self.vals[name] = self.constant(arr, name)
            return self.vals[name]
        self.fail("unknown value '%s'" % name)

    def constant(self, arr, name):
        dt = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
              np.dtype(np.int64): "i64", np.dtype(np.int32): "i32",
              np.dtype(np.float64): "f64", np.dtype(np.bool_): "i1"}.get(
                  arr.dtype)
        if dt is None:
            self.fail("unsupported constant type %s" % arr.dtype)
        shape = arr.shape
        v = self.fresh("w")
        if arr.size <= 16 or dt == "i1":
            flat = arr.reshape(-1).tolist()
            if dt == "i1":
                body = ", ".join("true" if x else "false" for x in flat)
            else:
                body = ", ".join(repr(float(x)) if is_float(dt) else
                                 str(int(x)) for x in flat)
            if len(shape) == 0:
                lit = body
            else:
                lit = "[%s]" % body
                e = ty((arr.size,), dt)
                f = self.fresh("w")
                self.emit("%s = arith.constant dense<%s> : %s" % (f, lit, e))
                if len(shape) == 1:
                    return (f, shape, dt)
                return self.reshape_val((f, (arr.size,), dt), shape)
            self.emit("%s = arith.constant dense<%s> : %s" %
                      (v, lit, ty(shape, dt)))
            return (v, shape, dt)
        key = "w%d" % len(self.resources)
        self.resources.append((key, np.ascontiguousarray(arr)))
        self.emit("%s = arith.constant dense_resource<%s> : %s" %
                  (v, key, ty(shape, dt)))
        return (v, shape, dt)

    def const_of(self, name, what):
        if name not in self.consts:
            self.fail("%s must be a constant" % what)
        return self.consts[name]

    # -- builders ---------------------------------------------------------

    def empty(self, shape, dt):
        v = self.fresh("e")
        self.emit("%s = tensor.empty() : %s" % (v, ty(shape, dt)))
        return v

    def filled(self, shape, dt, value):
        c = self.fresh("c")
        self.emit("%s = arith.constant %s : %s" % (c, value, dt))
        e = self.empty(shape, dt)
        v = self.fresh("f")
        self.emit("%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s" %
                  (v, c, dt, e, ty(shape, dt), ty(shape, dt)))
        return v

    def generic(self, ins, shape, dt, body, iterators=None, out_map=None,
                init=None):
        rank = len(iterators) if iterators else len(shape)
        dims = idx(rank)
        maps = ["affine_map<(%s) -> (%s)>" % (dims, e) for _, e in ins]
        maps.append("affine_map<(%s) -> (%s)>" % (dims, out_map or
                                                  idx(len(shape))))
        iterators = iterators or ["parallel"] * rank
        out = init or self.empty(shape, dt)
        v = self.fresh("g")
        args = ["%%a%d: %s" % (i, val[2]) for i, (val, _) in enumerate(ins)]
        args.append("%%o: %s" % dt)
        self.emit("%s = linalg.generic {indexing_maps = [%s], iterator_types "
                  "= [%s]} ins(%s : %s) outs(%s : %s) {" % (
                      v, ", ".join(maps),
                      ", ".join('"%s"' % i for i in iterators),
                      ", ".join(val[0] for val, _ in ins),
                      ", ".join(ty(val[1], val[2]) for val, _ in ins), out,
                      ty(shape, dt)))
        self.emit("^bb0(%s):" % ", ".join(args))
        fmt = {"a%d" % i: "%%a%d" % i for i in range(len(ins))}
        fmt["o"] = "%o"
        # A body of None is a copy (a broadcast): it yields its input.
        for line in body or []:
            self.emit("  " + line.format(**fmt))
        self.emit("  linalg.yield %s : %s" % ("%r" if body else "%a0", dt))
        self.emit("} -> " + ty(shape, dt))
        return (v, tuple(shape), dt)

    def bcast_shape(self, shapes):
        rank = max(len(s) for s in shapes)
        out = []
        for i in range(rank):
            ds = [s[i - rank + len(s)] for s in shapes
                  if i - rank + len(s) >= 0]
            big = [d for d in ds if d != 1]
            if len(set(big)) > 1:
                self.fail("shapes %s do not broadcast" %
                          " and ".join(str(list(s)) for s in shapes))
            out.append(big[0] if big else 1)
        return tuple(out)

    def bmap(self, shape, out):
        rank = len(out)
        exprs = []
        for i, d in enumerate(shape):
            o = i + rank - len(shape)
            exprs.append("0" if d == 1 and out[o] != 1 else "d%d" % o)
        return ", ".join(exprs)

    def elementwise(self, vals, body, dt=None):
        out = self.bcast_shape([v[1] for v in vals])
        dt = dt or vals[0][2]
        return self.generic([(v, self.bmap(v[1], out)) for v in vals], out,
                            dt, body)

    def reshape_val(self, val, shape):
        v, src, dt = val
        shape = tuple(shape)
        if tuple(src) == shape:
            return val
        if int(np.prod(src)) != int(np.prod(shape)):
            self.fail("cannot reshape %s to %s" % (list(src), list(shape)))
        def groups_str(gs):
            return "[%s]" % ", ".join("[%s]" % ", ".join(map(str, g))
                                      for g in gs)
        if len(shape) == 0 or len(src) == 0:
            g = [list(range(max(len(src), len(shape))))] if max(
                len(src), len(shape)) else []
            big = src if len(src) else shape
            r = self.fresh("r")
            if len(src) == 0:
                self.emit("%s = tensor.expand_shape %s [] output_shape [%s] : "
                          "%s into %s" % (r, v, ", ".join(map(str, shape)),
                                          ty(src, dt), ty(shape, dt)))
            else:
                self.emit("%s = tensor.collapse_shape %s [] : %s into %s" %
                          (r, v, ty(src, dt), ty(shape, dt)))
            del g, big
            return (r, shape, dt)
        if len(shape) > len(src):
            g = reassociation(shape, src)
            if g is not None:
                r = self.fresh("r")
                self.emit("%s = tensor.expand_shape %s %s output_shape [%s] : "
                          "%s into %s" % (r, v, groups_str(g),
                                          ", ".join(map(str, shape)),
                                          ty(src, dt), ty(shape, dt)))
                return (r, shape, dt)
        elif len(shape) < len(src):
            g = reassociation(src, shape)
            if g is not None:
                r = self.fresh("r")
                self.emit("%s = tensor.collapse_shape %s %s : %s into %s" %
                          (r, v, groups_str(g), ty(src, dt), ty(shape, dt)))
                return (r, shape, dt)
        flat = self.reshape_val(val, (int(np.prod(src)),))
        return self.reshape_val(flat, shape)

    def transpose(self, val, perm):
        v, shape, dt = val
        out = tuple(shape[p] for p in perm)
        if list(perm) == list(range(len(perm))):
            return val
        e = self.empty(out, dt)
        r = self.fresh("t")
        self.emit("%s = linalg.transpose ins(%s : %s) outs(%s : %s) "
                  "permutation = [%s]" % (r, v, ty(shape, dt), e,
                                          ty(out, dt),
                                          ", ".join(map(str, perm))))
        return (r, out, dt)

    def matmul(self, a, b):
        (_, sa, dt), (_, sb, _) = a, b
        if len(sa) < 2 or len(sb) < 2:
            self.fail("MatMul of 1-D operands is not supported")
        if sa[-1] != sb[-2]:
            self.fail("inner dimensions %d and %d differ" % (sa[-1], sb[-2]))
        m, k, n = sa[-2], sa[-1], sb[-1]
        if len(sb) == 2:
            lead = sa[:-2]
            a2 = self.reshape_val(a, (int(np.prod(lead + (m,))), k))
            z = self.filled((a2[1][0], n), dt, "0.0")
            r = self.fresh("mm")
            self.emit("%s = linalg.matmul ins(%s, %s : %s, %s) outs(%s : %s) "
                      "-> %s" % (r, a2[0], b[0], ty(a2[1], dt), ty(sb, dt), z,
                                 ty((a2[1][0], n), dt), ty((a2[1][0], n), dt)))
            return self.reshape_val((r, (a2[1][0], n), dt), lead + (m, n))
        lead = self.bcast_shape([sa[:-2], sb[:-2]])
        if tuple(sa[:-2]) != lead or tuple(sb[:-2]) != lead:
            self.fail("MatMul with broadcast batch dimensions is not "
                      "supported")
        nb = int(np.prod(lead))
        a3 = self.reshape_val(a, (nb, m, k))
        b3 = self.reshape_val(b, (nb, k, n))
        z = self.filled((nb, m, n), dt, "0.0")
        r = self.fresh("bmm")
        self.emit("%s = linalg.batch_matmul ins(%s, %s : %s, %s) outs(%s : %s)"
                  " -> %s" % (r, a3[0], b3[0], ty(a3[1], dt), ty(b3[1], dt),
                              z, ty((nb, m, n), dt), ty((nb, m, n), dt)))
        return self.reshape_val((r, (nb, m, n), dt), lead + (m, n))

    def reduce_last(self, val, body, init, dt):
        v, shape, _ = val
        rank = len(shape)
        out = tuple(shape[:-1]) + (1,)
        z = self.filled(out, dt, init)
        return self.generic([(val, idx(rank))], out, dt, body,
                            iterators=["parallel"] * (rank - 1) +
                            ["reduction"],
                            out_map=", ".join(["d%d" % i for i in
                                               range(rank - 1)] + ["0"]),
                            init=z)

    def softmax(self, x):
        _, shape, dt = x
        mx = self.reduce_last(x, ["%r = arith.maximumf {a0}, {o} : " + dt],
                              "0xFF800000" if dt == "f32" else "-1.0e30", dt)
        ex = self.elementwise([x, mx], ["%s = arith.subf {a0}, {a1} : " + dt,
                                        "%r = math.exp %s : " + dt])
        sm = self.reduce_last(ex, ["%r = arith.addf {a0}, {o} : " + dt],
                              "0.0", dt)
        return self.elementwise([ex, sm], ["%r = arith.divf {a0}, {a1} : " +
                                           dt])

    # -- nodes ------------------------------------------------------------

    def attr(self, node, name, default=None):
        from onnx import helper
        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def run_node(self, node):
        op = node.op_type
        ins = list(node.input)
        binary = {"Add": "addf", "Sub": "subf", "Mul": "mulf", "Div": "divf",
                  "Pow": "powf"}
        unary = {"Sqrt": "math.sqrt", "Erf": "math.erf", "Tanh": "math.tanh"}
        if node.domain == "com.microsoft" and op == "MultiHeadAttention":
            return onnx_contrib.multi_head_attention(
                self, node, lambda i: self.declared_shape(node, i))
        if node.domain == "com.microsoft" and op == "GroupQueryAttention":
            return onnx_contrib.group_query_attention(
                self, node, lambda i: self.declared_shape(node, i))
        if node.domain not in ("", "ai.onnx"):
            self.fail("operator '%s' of domain '%s' is not supported" %
                      (op, node.domain))
        if op == "Constant":
            from onnx import numpy_helper
            t = self.attr(node, "value")
            if t is None:
                self.fail("only tensor-valued Constant is supported")
            self.consts[node.output[0]] = numpy_helper.to_array(t)
            return
        if op in binary:
            a, b = self.get(ins[0]), self.get(ins[1])
            if a[2] != b[2] or not is_float(a[2]):
                self.fail("operands must share a float type, got %s and %s" %
                          (a[2], b[2]))
            if op == "Pow":
                body = ["%r = math.powf {a0}, {a1} : " + a[2]]
            else:
                body = ["%%r = arith.%s {a0}, {a1} : %s" % (binary[op], a[2])]
            return self.elementwise([a, b], body)
        if op in unary:
            a = self.get(ins[0])
            return self.elementwise([a], ["%%r = %s {a0} : %s" %
                                          (unary[op], a[2])])
        if op == "Where":
            c, a, b = [self.get(i) for i in ins]
            if c[2] != "i1":
                self.fail("condition must be bool")
            return self.elementwise([c, a, b], [
                "%r = arith.select {a0}, {a1}, {a2} : " + a[2]], dt=a[2])
        if op == "Cast":
            a = self.get(ins[0])
            to = DTYPES.get(self.attr(node, "to"))
            if to is None:
                self.fail("cast to type %s is not supported" %
                          self.attr(node, "to"))
            dst = to[0]
            if dst == a[2]:
                return a
            src = a[2]
            if is_float(src) and is_float(dst):
                wider = {"bf16": 16, "f16": 16, "f32": 32, "f64": 64}
                opn = "extf" if wider[dst] > wider[src] else "truncf"
            elif src == "i1" and is_float(dst):
                opn = "uitofp"
            elif src.startswith("i") and is_float(dst):
                opn = "sitofp"
            else:
                self.fail("cast from %s to %s is not supported" % (src, dst))
            return self.elementwise([a], ["%%r = arith.%s {a0} : %s to %s" %
                                          (opn, src, dst)], dt=dst)
        if op == "MatMul":
            return self.matmul(self.get(ins[0]), self.get(ins[1]))
        if op == "Gemm":
            a, b = self.get(ins[0]), self.get(ins[1])
            if self.attr(node, "transA", 0):
                a = self.transpose(a, (1, 0))
            if self.attr(node, "transB", 0):
                b = self.transpose(b, (1, 0))
            y = self.matmul(a, b)
            alpha = float(self.attr(node, "alpha", 1.0))
            beta = float(self.attr(node, "beta", 1.0))
            dt = y[2]
            if alpha != 1.0:
                y = self.elementwise([y], ["%%r = arith.mulf {a0}, %s : %s" %
                                           (self.scalar(alpha, dt), dt)])
            if len(ins) > 2 and ins[2]:
                c = self.get(ins[2])
                if beta != 1.0:
                    c = self.elementwise([c], ["%%r = arith.mulf {a0}, %s : %s"
                                               % (self.scalar(beta, dt), dt)])
                y = self.elementwise([y, c], ["%r = arith.addf {a0}, {a1} : " +
                                              dt])
            return y
        if op == "Softmax":
            a = self.get(ins[0])
            axis = self.attr(node, "axis", -1)
            if axis not in (-1, len(a[1]) - 1):
                self.fail("softmax over axis %d is not supported (only the "
                          "last axis)" % axis)
            return self.softmax(a)
        if op == "Transpose":
            a = self.get(ins[0])
            perm = self.attr(node, "perm")
            perm = list(perm) if perm is not None else \
                list(range(len(a[1])))[::-1]
            if sorted(perm) != list(range(len(a[1]))):
                self.fail("perm %s is not a permutation of rank %d" %
                          (perm, len(a[1])))
            return self.transpose(a, perm)
        if op == "Reshape":
            a = self.get(ins[0])
            shape = [int(s) for s in self.const_of(ins[1], "the shape")]
            out = []
            for i, s in enumerate(shape):
                out.append(a[1][i] if s == 0 else s)
            if out.count(-1) > 1:
                self.fail("more than one -1 in the shape")
            if -1 in out:
                known = int(np.prod([s for s in out if s != -1]))
                out[out.index(-1)] = int(np.prod(a[1])) // max(known, 1)
            return self.reshape_val(a, out)
        if op in ("Unsqueeze", "Squeeze"):
            a = self.get(ins[0])
            if len(ins) > 1:
                axes = [int(x) for x in self.const_of(ins[1], "axes")]
            else:
                axes = list(self.attr(node, "axes", []) or [])
            shape = list(a[1])
            if op == "Unsqueeze":
                rank = len(shape) + len(axes)
                axes = sorted(x % rank for x in axes)
                for x in axes:
                    shape.insert(x, 1)
            else:
                axes = [x % len(shape) for x in axes] or \
                    [i for i, s in enumerate(shape) if s == 1]
                if any(shape[x] != 1 for x in axes):
                    self.fail("squeezed axes must have size 1")
                shape = [s for i, s in enumerate(shape) if i not in axes]
            return self.reshape_val(a, shape)
        if op == "ReduceMean":
            a = self.get(ins[0])
            axes = list(self.attr(node, "axes", []) or [])
            if len(ins) > 1:
                axes = [int(x) for x in self.const_of(ins[1], "axes")]
            if [x % len(a[1]) for x in axes] != [len(a[1]) - 1]:
                self.fail("only the mean over the last axis is supported")
            dt = a[2]
            s = self.reduce_last(a, ["%r = arith.addf {a0}, {o} : " + dt],
                                 "0.0", dt)
            s = self.elementwise([s], ["%%r = arith.divf {a0}, %s : %s" % (
                self.scalar(float(a[1][-1]), dt), dt)])
            if not self.attr(node, "keepdims", 1):
                s = self.reshape_val(s, a[1][:-1])
            return s
        if op == "LayerNormalization":
            x, w = self.get(ins[0]), self.get(ins[1])
            axis = self.attr(node, "axis", -1)
            if axis not in (-1, len(x[1]) - 1):
                self.fail("only normalisation over the last axis is "
                          "supported")
            eps = float(self.attr(node, "epsilon", 1e-5))
            dt = x[2]
            n = self.scalar(float(x[1][-1]), dt)
            s = self.reduce_last(x, ["%r = arith.addf {a0}, {o} : " + dt],
                                 "0.0", dt)
            mean = self.elementwise([s], ["%%r = arith.divf {a0}, %s : %s" %
                                          (n, dt)])
            cen = self.elementwise([x, mean], ["%r = arith.subf {a0}, {a1} : "
                                               + dt])
            sq = self.reduce_last(cen, ["%m = arith.mulf {a0}, {a0} : " + dt,
                                        "%r = arith.addf %m, {o} : " + dt],
                                  "0.0", dt)
            inv = self.elementwise([sq], [
                "%%v = arith.divf {a0}, %s : %s" % (n, dt),
                "%%e = arith.addf %%v, %s : %s" % (self.scalar(eps, dt), dt),
                "%r = math.rsqrt %e : " + dt])
            y = self.elementwise([cen, inv, w], [
                "%m = arith.mulf {a0}, {a1} : " + dt,
                "%r = arith.mulf %m, {a2} : " + dt])
            if len(ins) > 2 and ins[2]:
                y = self.elementwise([y, self.get(ins[2])],
                                     ["%r = arith.addf {a0}, {a1} : " + dt])
            return y
        if op == "Gelu":
            a = self.get(ins[0])
            dt = a[2]
            if self.attr(node, "approximate", b"none") not in (b"none",
                                                               "none"):
                self.fail("only approximate='none' is supported")
            return self.elementwise([a], [
                "%%s = arith.mulf {a0}, %s : %s" % (
                    self.scalar(1.0 / np.sqrt(2.0), dt), dt),
                "%e = math.erf %s : " + dt,
                "%%p = arith.addf %%e, %s : %s" % (self.scalar(1.0, dt), dt),
                "%%h = arith.mulf {a0}, %s : %s" % (self.scalar(0.5, dt), dt),
                "%r = arith.mulf %h, %p : " + dt])
        if op == "Concat":
            vals = [self.get(i) for i in ins]
            rank = len(vals[0][1])
            axis = self.attr(node, "axis") % rank
            dt = vals[0][2]
            out = list(vals[0][1])
            for v in vals[1:]:
                if len(v[1]) != rank or v[2] != dt or any(
                        v[1][i] != out[i] for i in range(rank) if i != axis):
                    self.fail("inputs do not concatenate along axis %d" %
                              axis)
                out[axis] += v[1][axis]
            if len(vals) == 1:
                return vals[0]
            r = self.fresh("cat")
            self.emit("%s = tensor.concat dim(%d) %s : (%s) -> %s" % (
                r, axis, ", ".join(v[0] for v in vals),
                ", ".join(ty(v[1], v[2]) for v in vals), ty(out, dt)))
            return (r, tuple(out), dt)
        if op == "Slice":
            a = self.get(ins[0])
            shape = list(a[1])
            starts = [int(x) for x in self.const_of(ins[1], "starts")]
            ends = [int(x) for x in self.const_of(ins[2], "ends")]
            axes = ([int(x) for x in self.const_of(ins[3], "axes")]
                    if len(ins) > 3 and ins[3] else list(range(len(starts))))
            steps = ([int(x) for x in self.const_of(ins[4], "steps")]
                     if len(ins) > 4 and ins[4] else [1] * len(starts))
            off, size, stride = [0] * len(shape), list(shape), [1] * len(shape)
            for st, en, ax, sp in zip(starts, ends, axes, steps):
                ax %= len(shape)
                n = shape[ax]
                if sp <= 0:
                    self.fail("only positive steps are supported")
                st = min(max(st + n if st < 0 else st, 0), n)
                en = min(max(en + n if en < 0 else en, 0), n)
                off[ax], stride[ax] = st, sp
                size[ax] = max(0, (en - st + sp - 1) // sp)
            r = self.fresh("sl")
            self.emit("%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s"
                      % (r, a[0], ", ".join(map(str, off)),
                         ", ".join(map(str, size)),
                         ", ".join(map(str, stride)), ty(shape, a[2]),
                         ty(size, a[2])))
            return (r, tuple(size), a[2])
        if op == "Expand":
            a = self.get(ins[0])
            shape = [int(x) for x in self.const_of(ins[1], "the shape")]
            out = self.bcast_shape([a[1], tuple(shape)])
            return self.generic([(a, self.bmap(a[1], out))], out, a[2],
                                None)
        if op == "Gather":
            data, ind = self.get(ins[0]), self.get(ins[1])
            if self.attr(node, "axis", 0) != 0:
                self.fail("only Gather on axis 0 is supported")
            if not ind[2].startswith("i"):
                self.fail("indices must be integers")
            out = tuple(ind[1]) + tuple(data[1][1:])
            ri, rd = len(ind[1]), len(data[1])
            body = ["%%i = arith.index_cast {a0} : %s to index" % ind[2],
                    "%%n = arith.constant %d : index" % data[1][0],
                    "%z = arith.constant 0 : index",
                    "%neg = arith.cmpi slt, %i, %z : index",
                    "%w = arith.addi %i, %n : index",
                    "%j = arith.select %neg, %w, %i : index"]
            subs = ["%j"]
            for k in range(rd - 1):
                body.append("%%x%d = linalg.index %d : index" % (k, ri + k))
                subs.append("%%x%d" % k)
            body.append("%%r = tensor.extract %s[%s] : %s" % (
                data[0], ", ".join(subs), ty(data[1], data[2])))
            return self.generic([(ind, ", ".join("d%d" % i
                                                 for i in range(ri)))],
                                out, data[2], body)
        self.fail("operator '%s' is not supported" % op)

    def scalar(self, value, dt):
        c = self.fresh("c")
        self.emit("%s = arith.constant %r : %s" % (c, float(value), dt))
        return c

    def declared_shape(self, node, i):
        """The declared shape of output `i` of `node` (value_info or graph
        output), None when undeclared or unnamed."""
        if i >= len(node.output) or not node.output[i]:
            return None
        vi = getattr(self, "declared", {}).get(node.output[i])
        if vi is None or not vi.type.tensor_type.HasField("shape"):
            return None
        return self.value_type(vi)[0]

    def value_type(self, vi):
        t = vi.type.tensor_type
        dt = DTYPES.get(t.elem_type)
        if dt is None or dt[1] is None:
            self.fail("value '%s' has an unsupported element type" % vi.name)
        shape = []
        for d in t.shape.dim:
            if not d.HasField("dim_value"):
                self.fail("value '%s' has a dynamic dimension" % vi.name)
            shape.append(d.dim_value)
        return tuple(shape), dt[0]

    def run(self):
        from onnx import numpy_helper
        m = self.model
        opset = None
        for o in m.opset_import:
            if o.domain in ("", "ai.onnx"):
                opset = o.version
        if opset is None or not 13 <= opset <= 21:
            self.fail("opset %s of the default domain is not supported "
                      "(13 to 21)" % opset)
        g = m.graph
        for init in g.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        args = []
        for i, vi in enumerate(x for x in g.input
                               if x.name not in self.consts):
            shape, dt = self.value_type(vi)
            name = "%%arg%d" % i
            self.vals[vi.name] = (name, shape, dt)
            args.append("%s: %s" % (name, ty(shape, dt)))
        self.declared = {vi.name: vi for vi in
                         list(g.value_info) + list(g.output)}
        for i, node in enumerate(g.node):
            self.node = (i, node)
            r = self.run_node(node)
            if r is None:
                continue
            results = r if isinstance(r, list) else [r]
            if len(node.output) > len(results):
                self.fail("only single-output nodes are supported")
            for j, (out, val) in enumerate(zip(node.output, results)):
                if not out:
                    continue
                shape = self.declared_shape(node, j)
                if shape is not None:
                    dt = self.value_type(self.declared[out])[1]
                    if tuple(shape) != tuple(val[1]) or dt != val[2]:
                        self.fail("output '%s' is declared %s but computes "
                                  "%s" % (out, ty(shape, dt),
                                          ty(val[1], val[2])))
                self.vals[out] = val
        self.node = None
        outs = [self.get(o.name) for o in g.output]
        name = "".join(c if c.isalnum() or c == "_" else "_" for c in
                       (g.name or "main"))
        text = "func.func @%s(%s) -> (%s) {\n%s\n  return %s : %s\n}\n" % (
            name, ", ".join(args), ", ".join(ty(o[1], o[2]) for o in outs),
            "\n".join(self.lines), ", ".join(o[0] for o in outs),
            ", ".join(ty(o[1], o[2]) for o in outs))
        if self.resources:
            blobs = ",\n".join(
                '      %s: "0x%s%s"' % (k, "%02x000000" % a.dtype.itemsize
                                       if a.dtype.itemsize > 1 else
                                       "01000000",
                                       a.astype(a.dtype.newbyteorder("<"))
                                       .tobytes().hex().upper())
                for k, a in self.resources)
            text += ("\n{-#\n  dialect_resources: {\n    builtin: {\n%s\n"
                     "    }\n  }\n#-}\n" % blobs)
        return text


def import_file(path):
    """Returns the MLIR text of the ONNX model at `path`."""
    import warnings

    import onnx
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - protobuf raises several kinds
        raise ImportError_("cannot parse '%s' as an ONNX model: %s" %
                           (path, str(e).splitlines()[0] if str(e) else
                            type(e).__name__))
    return Importer(model).run()


def main(argv=None):
    import argparse
    import os
    import tempfile
    p = argparse.ArgumentParser(prog="attn-import-onnx",
                                description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("-o", "--output", default="-")
    a = p.parse_args(argv)
    try:
        text = import_file(a.model)
    except ImportError_ as e:
        sys.stderr.write("attn-import-onnx: error: %s\n" % e)
        return 1
    if a.output == "-":
        sys.stdout.write(text)
        return 0
    # Written whole or not at all.
    d = os.path.dirname(os.path.abspath(a.output))
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)
    os.replace(tmp, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
