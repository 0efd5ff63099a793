# RUN: rm -rf %t && env ATTN_CACHE_DIR=%t %python %s | FileCheck %s

"""Bad input through the Python API ends in a Python exception naming the
problem: untraceable modifiers at trace time, shape/dtype/layout problems
before any call, attn-opt's diagnostics (with the offending line of the
generated MLIR) at compile time. Never a crash."""

import math

import numpy as np

import attn
from attn import runner

S = (1, 2, 8, 4)
x = np.zeros(S, np.float32)


def show(label, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the test prints the class
        print("%s -> %s: %s" % (label, type(e).__name__, e))
    else:
        print("%s -> no error" % label)


# Trace time.
def relu_with_if(score, b, h, q_idx, kv_idx):
    if score > 0:
        return score
    return 0.0


# CHECK: traced if -> TraceError: score_mod relu_with_if: a traced i1 value was used as a Python bool (at {{.*}}api-errors.py:[[@LINE-5]]): `if`, `while`, `and`, `or`, `not` and chained comparisons (a < b < c) need concrete values; use attn.where(cond, a, b)
show("traced if", lambda: attn.attention(S, score_mod=relu_with_if,
                                         compile=False))
# CHECK: chained comparison -> TraceError: mask_mod {{.*}} used as a Python bool
show("chained comparison", lambda: attn.attention(
    S, mask_mod=lambda b, h, i, j: 0 <= j <= i, compile=False))
# CHECK: math.tanh -> TraceError: score_mod {{.*}}: float() (or math.* functions) is not supported on traced values {{.*}}; use attn.tanh
show("math.tanh", lambda: attn.attention(
    S, score_mod=lambda s, b, h, i, j: math.tanh(s), compile=False))
# CHECK: np.sin -> TraceError: score_mod {{.*}}: numpy.sin is not supported on traced values
show("np.sin", lambda: attn.attention(
    S, score_mod=lambda s, b, h, i, j: np.sin(s), compile=False))
# CHECK: mask_mod returning an index -> TraceError: mask_mod {{.*}} must return a boolean expression (a comparison, &, |, ~), got a value of type index
show("mask_mod returning an index", lambda: attn.attention(
    S, mask_mod=lambda b, h, i, j: i - j, compile=False))
# CHECK: wrong arity -> TraceError: mask_mod {{.*}}: a mask_mod takes (b, h, q_idx, kv_idx)
show("wrong arity", lambda: attn.attention(
    S, mask_mod=lambda b, h: True, compile=False))


class Params:
    table = np.ones(8)


# CHECK: attribute array -> TraceError: score_mod {{.*}}: a numpy array was indexed with a traced index; {{.*}} must be wrapped with attn.capture(array)
show("attribute array", lambda: attn.attention(
    S, score_mod=lambda s, b, h, i, j: s + Params.table[j], compile=False))
# With attn.capture it works.
# CHECK: attribute array captured -> no error
show("attribute array captured", lambda: attn.attention(
    S, score_mod=lambda s, b, h, i, j: s + attn.capture(
        Params.table, name="table")[j], compile=False))
# CHECK: partial index -> TraceError: score_mod {{.*}}: captured array 'tab' of shape (8, 8) indexed with 1 index(es)
tab = np.ones((8, 8))
show("partial index", lambda: attn.attention(
    S, score_mod=lambda s, b, h, i, j: s + tab[j], compile=False))
# CHECK: float index -> TraceError: score_mod {{.*}}: captured array 'tab' indexed with a float
show("float index", lambda: attn.attention(
    S, score_mod=lambda s, b, h, i, j: s + tab[i, s], compile=False))
# CHECK: % 0 -> TraceError: mask_mod {{.*}}: % by the constant 0
show("% 0", lambda: attn.attention(
    S, mask_mod=lambda b, h, i, j: i % 0 == 1, compile=False))

# Before the call: reads that could leave a captured array, divisions
# that could divide by zero.
doc = np.arange(8)
prev = attn.attention(S, mask_mod=lambda b, h, i, j: doc[j - 1] <= doc[i])
# CHECK: out-of-bounds capture -> ValueError: mask_mod reads captured array 'doc' (shape (8,)) out of bounds: index 0 ranges over [-1, 6]
show("out-of-bounds capture", lambda: prev(x, x, x))
ok = attn.attention(S, mask_mod=lambda b, h, i, j:
                    doc[attn.maximum(j - 1, 0)] <= doc[i])
# CHECK: clamped capture -> no error
show("clamped capture", lambda: ok(x, x, x))
div = attn.attention(S, mask_mod=lambda b, h, i, j: i // (j - 3) >= 0)
# CHECK: division by zero -> ValueError: mask_mod: integer // by a value in [-3, 4], which may be zero
show("division by zero", lambda: div(x, x, x))

# Shapes, dtypes, layouts.
kern = attn.attention(S, k=(1, 1, None, 4), kv_lengths=True)
lens = np.array([8], np.int32)
k1 = np.zeros((1, 1, 8, 4), np.float32)
# CHECK: dtype -> TypeError: argument 'v': the kernel was compiled for f32, which takes float32 arrays, got float64; convert with .astype(np.float32)
show("dtype", lambda: kern(x, k1, k1.astype(np.float64), lens))
# CHECK: static size -> ValueError: argument 'q': expected shape tensor<1x2x8x4xf32>, got (1, 2, 9, 4)
show("static size", lambda: kern(np.zeros((1, 2, 9, 4), np.float32), k1, k1,
                                 lens))
# CHECK: rank -> ValueError: argument 'k': expected 4 dimensions tensor<1x1x?x4xf32>, got shape (1, 8, 4)
show("rank", lambda: kern(x, k1[0], k1, lens))
# CHECK: key/value lengths -> ValueError: mismatched key/value lengths: k 8, v 5
show("key/value lengths", lambda: kern(x, k1, k1[:, :, :5].copy(), lens))
# CHECK: non-contiguous -> ValueError: argument 'k' is not C-contiguous (strides (128, 128, -16, 4)); pass np.ascontiguousarray(k)
show("non-contiguous", lambda: kern(x, k1[:, :, ::-1], k1, lens))
# CHECK: missing -> TypeError: attention is missing argument 'kv_lengths'
show("missing", lambda: kern(x, k1, k1))
# CHECK: unknown -> TypeError: attention got an unexpected argument 'sinks'
show("unknown", lambda: kern(x, k1, k1, lens, sinks=np.zeros(2)))
# CHECK: lengths -> ValueError: argument 'kv_lengths': values must lie in [0, 8], got [9]
show("lengths", lambda: kern(x, k1, k1, np.array([9], np.int32)))
# CHECK: out= -> ValueError: out= must be a writeable C-contiguous float32 array of shape (1, 2, 8, 4)
show("out=", lambda: kern(x, k1, k1, lens, out=np.zeros((1, 2, 8, 3),
                                                        np.float32)))
# CHECK: operand shapes -> ValueError: operands disagree on D: q has 4, k has 5
show("operand shapes", lambda: attn.attention(S, k=(1, 2, 8, 5)))
# CHECK: head counts -> ValueError: 3 query heads are not a multiple of 2 key/value heads
show("head counts", lambda: attn.attention((1, 3, 8, 4), k=(1, 2, 8, 4)))

# attn-opt's diagnostics, with the line of the generated MLIR.
# CHECK: verifier -> CompileError: attn-opt failed (exit status 1) on attention.mlir:
# CHECK-NEXT: attention.mlir:3:9: error: 'attn.attention' op expects #attn.causal and #attn.prefix_lm not to be combined
# CHECK-NEXT: {{^}}  %r0 = attn.attention ins({{.*}}){{$}}
# CHECK-NEXT: {{^        \^$}}
show("verifier", lambda: attn.attention(
    S, masks=[attn.causal(), attn.prefix_lm(3)]))
try:
    attn.attention(S, scale=-1.0)
except attn.CompileError as e:
    # CHECK: diagnostics: [(3, 9, 'error', "'attn.attention' op expects a positive finite scale, got -1.000000e+00", '  %r0 = attn.attention
    print("diagnostics:", e.diagnostics)

# A tool that does not finish in time is stopped.
# CHECK: timeout -> CompileError: attn-opt did not finish within 1e-06 s (ATTN_COMPILE_TIMEOUT)
runner.TIMEOUT = 1e-6
show("timeout", lambda: attn.attention(S, softcap=3.0))
