"""Printing of a traced modifier as the body of the op's region.

:func:`region_text` prints a :class:`attn.trace.Trace` as
``{ ^bb0(...): ... attn.yield }`` in the arith/math/tensor dialects: one
SSA value per graph node, constants uniqued per region, a capture ``x``
read with ``tensor.extract`` from ``%cap_x`` (see
:func:`attn.ir.ssa_name`).
"""

import math

import numpy as np

from attn.trace.dsl import F32, I1, MOD_ARGS


def f32_literal(x):
    x = float(np.float32(x))
    if math.isfinite(x):
        return "%.9e" % x
    return "0x%08X" % int(np.array(x, np.float32).view(np.uint32))


_CMPF = {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq",
         "ne": "une"}
_CMPI = {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq",
         "ne": "ne"}
_FBIN = {"add": "arith.addf", "sub": "arith.subf", "mul": "arith.mulf",
         "div": "arith.divf", "min": "arith.minimumf",
         "max": "arith.maximumf"}
_IBIN = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli",
         "min": "arith.minsi", "max": "arith.maxsi", "and": "arith.andi",
         "or": "arith.ori", "xor": "arith.xori",
         "floordiv": "arith.floordivsi"}


class RegionEmitter:
    """Prints a Trace as a region body; a capture `x` is the value
    ``%cap_x`` defined above the op (see attn.ir.ssa_name)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.lines = []
        self.names = {}
        self.consts = {}
        self.counter = 0

    def fresh(self):
        self.counter += 1
        return "%%%s%d" % (self.prefix, self.counter)

    def op(self, text):
        name = self.fresh()
        self.lines.append("%s = %s" % (name, text))
        return name

    def constant(self, value, ty):
        key = (ty, repr(value))
        if key not in self.consts:
            if ty == F32:
                lit = f32_literal(value)
            elif ty == I1:
                # The i1 literal carries its type.
                self.consts[key] = self.op("arith.constant %s" % (
                    "true" if value else "false"))
                return self.consts[key]
            else:
                lit = str(int(value))
            self.consts[key] = self.op("arith.constant %s : %s" % (lit, ty))
        return self.consts[key]

    def to_f32(self, name, ty):
        if ty == I1:
            return self.op("arith.uitofp %s : i1 to f32" % name)
        i = self.op("arith.index_cast %s : index to i64" % name)
        return self.op("arith.sitofp %s : i64 to f32" % i)

    def emit(self, v):
        if id(v) in self.names:
            return self.names[id(v)]
        a = [self.emit(x) for x in v.args]
        t = v.type
        if v.op == "arg":
            r = self.arg_names[v.attr]
        elif v.op == "const":
            r = self.constant(v.attr, t)
        elif v.op == "cast":
            src = v.args[0].type
            if t == F32:
                r = self.to_f32(a[0], src)
            else:  # i1 -> index
                r = self.op("arith.index_castui %s : i1 to index" % a[0])
        elif v.op == "extract":
            cap = v.attr
            r = self.op("tensor.extract %s[%s] : %s" % (
                "%cap_" + cap.name,
                ", ".join(a), cap.tensor_type()))
            if cap.elem in ("i32", "i64"):
                r = self.op("arith.index_cast %s : %s to index" %
                            (r, cap.elem))
        elif v.op == "select":
            r = self.op("arith.select %s, %s, %s : %s" % (a[0], a[1], a[2],
                                                          t))
        elif v.op == "cmp":
            ty = v.args[0].type
            if ty == F32:
                r = self.op("arith.cmpf %s, %s, %s : f32" %
                            (_CMPF[v.attr], a[0], a[1]))
            else:
                r = self.op("arith.cmpi %s, %s, %s : %s" %
                            (_CMPI[v.attr], a[0], a[1], ty))
        elif t == F32:
            r = self.emit_float(v.op, a)
        else:
            r = self.emit_int(v.op, a, t)
        self.names[id(v)] = r
        return r

    def emit_float(self, op, a):
        if op in _FBIN:
            return self.op("%s %s, %s : f32" % (_FBIN[op], a[0], a[1]))
        if op == "neg":
            return self.op("arith.negf %s : f32" % a[0])
        if op == "abs":
            return self.op("math.absf %s : f32" % a[0])
        if op in ("tanh", "exp", "log", "sqrt", "floor"):
            return self.op("math.%s %s : f32" % (op, a[0]))
        if op in ("floordiv", "mod"):
            q = self.op("arith.divf %s, %s : f32" % (a[0], a[1]))
            fq = self.op("math.floor %s : f32" % q)
            if op == "floordiv":
                return fq
            m = self.op("arith.mulf %s, %s : f32" % (fq, a[1]))
            return self.op("arith.subf %s, %s : f32" % (a[0], m))
        raise AssertionError(op)

    def emit_int(self, op, a, t):
        if op in _IBIN:
            return self.op("%s %s, %s : %s" % (_IBIN[op], a[0], a[1], t))
        if op == "mod":
            q = self.op("arith.floordivsi %s, %s : %s" % (a[0], a[1], t))
            m = self.op("arith.muli %s, %s : %s" % (q, a[1], t))
            return self.op("arith.subi %s, %s : %s" % (a[0], m, t))
        if op == "neg":
            return self.op("arith.subi %s, %s : %s" %
                           (self.constant(0, t), a[0], t))
        if op == "abs":
            n = self.op("arith.subi %s, %s : %s" %
                        (self.constant(0, t), a[0], t))
            c = self.op("arith.cmpi slt, %s, %s : %s" %
                        (a[0], self.constant(0, t), t))
            return self.op("arith.select %s, %s, %s : %s" % (c, n, a[0], t))
        if op == "not":
            ones = self.constant(True if t == I1 else -1, t)
            return self.op("arith.xori %s, %s : %s" % (a[0], ones, t))
        raise AssertionError(op)

    def region(self, tr, indent="      "):
        """The full region text ``{ ^bb0(...): ... attn.yield }``."""
        argnames = MOD_ARGS[tr.kind]
        short = {"score": "s", "b": "b", "h": "h", "q_idx": "i",
                 "kv_idx": "j", "x": "x", "t": "t", "d": "d"}
        self.arg_names = ["%%%s%s" % (self.prefix, short[n])
                          for n in argnames]
        sig = ", ".join("%s: %s" % (n, "f32" if a in ("score", "x")
                                    else "index")
                        for n, a in zip(self.arg_names, argnames))
        res = self.emit(tr.root)
        yty = "i1" if tr.kind == "mask_mod" else "f32"
        body = "".join("\n%s  %s" % (indent, line) for line in self.lines)
        return ("{\n%s^bb0(%s):%s\n%s  attn.yield %s : %s\n%s}" %
                (indent, sig, body, indent, res, yty, indent))


def region_text(tr, prefix, indent="      "):
    return RegionEmitter(prefix).region(tr, indent)
