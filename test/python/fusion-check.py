# Elementwise producers and consumers fused into the tiled attention
# (attn-tile{fuse-elementwise}, on by default in attn-cpu-pipeline) compute the
# same numbers as the unfused graph and as numpy float64.
# RUN: %python %s | FileCheck %s
# CHECK: rotary_gate_static fused ops outside the loop: 2 (expected 2): PASS
# CHECK: rotary_gate_static fused: PASS
# CHECK: rotary_gate_static unfused: PASS
# CHECK: rotary_gate_static reference: PASS
# CHECK: cast_residual_dynamic fused ops outside the loop: 0 (expected 0): PASS
# CHECK: cast_residual_dynamic fused: PASS
# CHECK: cast_residual_dynamic unfused: PASS
# CHECK: cast_residual_dynamic micro: PASS
# CHECK: fusion check: 0 failures

import re
import subprocess
import sys

import numpy as np

from attn import reference, runner
from attn.ir import attention_op, tensor_type

ID4 = "affine_map<(b, h, l, d) -> (b, h, l, d)>"
ROW4 = "affine_map<(b, h, l, d) -> (l, d)>"
PAR4 = '["parallel", "parallel", "parallel", "parallel"]'

# Rotary embedding on Q (from bf16) and K, causal attention, the output gated
# by sigmoid(G), plus a residual, then heads merged by a transpose.
ROTARY_GATE = """
func.func @f(%x: tensor<{B}x{H}x{L}x{D}xbf16>, %k: tensor<{B}x{H}x{L}x{D}xf32>,
             %v: tensor<{B}x{H}x{L}x{D}xf32>, %cos: tensor<{L}x{D}xf32>,
             %sin: tensor<{L}x{D}xf32>, %g: tensor<{B}x{H}x{L}x{D}xf32>,
             %r: tensor<{B}x{L}x{H}x{D}xf32>) -> tensor<{B}x{L}x{H}x{D}xf32> {{
  %e = tensor.empty() : tensor<{B}x{H}x{L}x{D}xf32>
  %qf = linalg.generic {{indexing_maps = [{ID4}, {ID4}], iterator_types = {PAR4}}}
      ins(%x : tensor<{B}x{H}x{L}x{D}xbf16>) outs(%e : tensor<{B}x{H}x{L}x{D}xf32>) {{
  ^bb0(%a: bf16, %o: f32):
    %f = arith.extf %a : bf16 to f32
    linalg.yield %f : f32
  }} -> tensor<{B}x{H}x{L}x{D}xf32>
{ROT_Q}
{ROT_K}
  {ATTN}
  %gated = linalg.generic {{indexing_maps = [{ID4}, {ID4}, {ID4}], iterator_types = {PAR4}}}
      ins(%g, %o : tensor<{B}x{H}x{L}x{D}xf32>, tensor<{B}x{H}x{L}x{D}xf32>)
      outs(%e : tensor<{B}x{H}x{L}x{D}xf32>) {{
  ^bb0(%a: f32, %b: f32, %out: f32):
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %den = arith.addf %one, %ex : f32
    %s = arith.divf %b, %den : f32
    linalg.yield %s : f32
  }} -> tensor<{B}x{H}x{L}x{D}xf32>
  %et = tensor.empty() : tensor<{B}x{L}x{H}x{D}xf32>
  %t = linalg.transpose ins(%gated : tensor<{B}x{H}x{L}x{D}xf32>)
      outs(%et : tensor<{B}x{L}x{H}x{D}xf32>) permutation = [0, 2, 1, 3]
  %y = linalg.add ins(%t, %r : tensor<{B}x{L}x{H}x{D}xf32>, tensor<{B}x{L}x{H}x{D}xf32>)
      outs(%et : tensor<{B}x{L}x{H}x{D}xf32>) -> tensor<{B}x{L}x{H}x{D}xf32>
  return %y : tensor<{B}x{L}x{H}x{D}xf32>
}}

"""

# Dynamic lengths: Q cast from f16 and scaled, the output cast to f16 after a
# residual add.
CAST_RESIDUAL = """
func.func @f(%x: tensor<{B}x{H}x?x{D}xf16>, %k: tensor<{B}x{H}x?x{D}xf32>,
             %v: tensor<{B}x{H}x?x{D}xf32>, %r: tensor<{B}x{H}x?x{D}xf32>)
    -> tensor<{B}x{H}x?x{D}xf16> {{
  %c2 = arith.constant 2 : index
  %lq = tensor.dim %x, %c2 : tensor<{B}x{H}x?x{D}xf16>
  %e = tensor.empty(%lq) : tensor<{B}x{H}x?x{D}xf32>
  %q = linalg.generic {{indexing_maps = [{ID4}, {ID4}], iterator_types = {PAR4}}}
      ins(%x : tensor<{B}x{H}x?x{D}xf16>) outs(%e : tensor<{B}x{H}x?x{D}xf32>) {{
  ^bb0(%a: f16, %o: f32):
    %f = arith.extf %a : f16 to f32
    %c = arith.constant 0.75 : f32
    %m = arith.mulf %f, %c : f32
    linalg.yield %m : f32
  }} -> tensor<{B}x{H}x?x{D}xf32>
  {ATTN}
  %eh = tensor.empty(%lq) : tensor<{B}x{H}x?x{D}xf16>
  %y = linalg.generic {{indexing_maps = [{ID4}, {ID4}, {ID4}], iterator_types = {PAR4}}}
      ins(%o, %r : tensor<{B}x{H}x?x{D}xf32>, tensor<{B}x{H}x?x{D}xf32>)
      outs(%eh : tensor<{B}x{H}x?x{D}xf16>) {{
  ^bb0(%a: f32, %b: f32, %out: f16):
    %s = arith.addf %a, %b : f32
    %t = arith.truncf %s : f32 to f16
    linalg.yield %t : f16
  }} -> tensor<{B}x{H}x?x{D}xf16>
  return %y : tensor<{B}x{H}x?x{D}xf16>
}}
"""


# %res = x * cos + rotate_half(x) * sin, rotate_half(x)[d] = -x[d + D/2] for
# d < D/2 and x[d - D/2] otherwise, read from the captured input with
# tensor.extract (a `mod` indexing map would not tile).
ROTARY = """
  %{res} = linalg.generic {{indexing_maps = [{ID4}, {ROW4}, {ROW4}, {ID4}], iterator_types = {PAR4}}}
      ins(%{x}, %cos, %sin : tensor<{B}x{H}x{L}x{D}xf32>, tensor<{L}x{D}xf32>, tensor<{L}x{D}xf32>)
      outs(%e : tensor<{B}x{H}x{L}x{D}xf32>) {{
  ^bb0(%a: f32, %c: f32, %s: f32, %o: f32):
    %b = linalg.index 0 : index
    %h = linalg.index 1 : index
    %l = linalg.index 2 : index
    %d = linalg.index 3 : index
    %half = arith.constant {HALF} : index
    %lo = arith.cmpi ult, %d, %half : index
    %up = arith.addi %d, %half : index
    %down = arith.subi %d, %half : index
    %j = arith.select %lo, %up, %down : index
    %xj = tensor.extract %{x}[%b, %h, %l, %j] : tensor<{B}x{H}x{L}x{D}xf32>
    %nxj = arith.negf %xj : f32
    %rot = arith.select %lo, %nxj, %xj : f32
    %ac = arith.mulf %a, %c : f32
    %rs = arith.mulf %rot, %s : f32
    %sum = arith.addf %ac, %rs : f32
    linalg.yield %sum : f32
  }} -> tensor<{B}x{H}x{L}x{D}xf32>"""


def rotary(x, cos, sin):
    half = x.shape[-1] // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos + rot * sin


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def expect_top_level_generics(name, src, n):
    """Checks that fusion leaves `n` linalg ops outside the tiled loop."""
    out = subprocess.run([runner.attn_opt(), "--attn-tile=fuse-elementwise=true"],
                         input=src, capture_output=True, text=True,
                         check=True).stdout
    body = out[out.index("func.func @f"):]
    got = len(re.findall(r"^    %\S+ = linalg\.", body, re.M))
    ok = got == n
    print("%s fused ops outside the loop: %d (expected %d): %s" %
          (name, got, n, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


def check(name, got, want, tol):
    err = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30)
    ok = err <= tol
    print("%s: %s (max relative error %.2e, tolerance %.0e)" %
          (name, "PASS" if ok else "FAIL", err, tol))
    return 0 if ok else 1


def rotary_gate_source(B, H, L, D):
    """ROTARY_GATE at these sizes (also timed by bench/cpu/fusion_masks.py)."""
    dims = dict(B=B, H=H, L=L, D=D, HALF=D // 2, ID4=ID4, ROW4=ROW4,
                PAR4=PAR4)
    t = tensor_type((B, H, L, D), "f32")
    op = attention_op(["%o"], [t], ("%q", t), ("%kr", t), ("%v", t),
                      attrs=["masks = [#attn.causal]"])
    return ROTARY_GATE.format(ROT_Q=ROTARY.format(res="q", x="qf", **dims),
                              ROT_K=ROTARY.format(res="kr", x="k", **dims),
                              ATTN=op, **dims)


def cast_residual_source(B, H, D):
    t = tensor_type((B, H, "?", D), "f32")
    op = attention_op(
        ["%o"], [t], ("%q", t), ("%k", t), ("%v", t),
        attrs=["masks = [#attn.sliding_window<left = 9, right = 3>]"])
    return CAST_RESIDUAL.format(B=B, H=H, D=D, ID4=ID4, PAR4=PAR4, ATTN=op)


def rotary_gate(rng, pipelines):
    B, H, L, D = 1, 3, 77, 32
    src = rotary_gate_source(B, H, L, D)
    # Fused, the cast of Q stays a whole tensor (the rotary of Q reads it
    # through tensor.extract) and so does the rotary of K (too costly to
    # recompute per query tile); the rotary of Q, the gate, the transpose and
    # the residual add run in the loop.
    fails = expect_top_level_generics("rotary_gate_static", src, 2)
    xb = runner.to_bf16_bits(rng.standard_normal((B, H, L, D)))
    x = runner.from_bf16_bits(xb).astype(np.float64)
    k, v, g = (rng.standard_normal((B, H, L, D)) for _ in range(3))
    ang = rng.uniform(0, 6.28, (L, D))
    cos, sin = np.cos(ang), np.sin(ang)
    r = rng.standard_normal((B, L, H, D))
    o, _ = reference.attention(rotary(x, cos, sin), rotary(k, cos, sin), v,
                            masks=[("causal",)])
    want = (sigmoid(g) * o).transpose(0, 2, 1, 3) + r
    for tag, pipe in pipelines:
        lib = runner.compile_module(src, pipeline=pipe)
        out = np.zeros((B, L, H, D), np.float32)
        ins = [xb] + [a.astype(np.float32) for a in (k, v, cos, sin, g, r)]
        runner.call(lib, "f", ins, [out])
        fails += check("rotary_gate_static " + tag, out, want, 1e-5)
    return fails


def cast_residual(rng, pipelines):
    B, H, L, D = 2, 2, 45, 64
    src = cast_residual_source(B, H, D)
    fails = expect_top_level_generics("cast_residual_dynamic", src, 0)
    x = rng.standard_normal((B, H, L, D)).astype(np.float16)
    k, v, r = (rng.standard_normal((B, H, L, D)) for _ in range(3))
    o, _ = reference.attention(0.75 * x.astype(np.float64), k, v,
                            masks=[("sliding_window", 9, 3)])
    want = (o + r).astype(np.float16).astype(np.float64)
    for tag, pipe in pipelines:
        lib = runner.compile_module(src, pipeline=pipe)
        out = np.zeros((B, H, L, D), np.float16)
        ins = [x] + [a.astype(np.float32) for a in (k, v, r)]
        runner.call(lib, "f", ins, [out])
        # One f16 rounding of the result: half an f16 ulp, relative.
        fails += check("cast_residual_dynamic " + tag,
                       out.astype(np.float64), want, 1e-3)
    return fails


def main():
    rng = np.random.default_rng(7)
    fails = rotary_gate(rng, [
        ("fused", "attn-cpu-pipeline=q-tile=32 kv-tile=16"),
        ("unfused", "attn-cpu-pipeline=q-tile=32 kv-tile=16 fuse-elementwise=false"),
        ("reference", "attn-cpu-pipeline=reference=true")])
    fails += cast_residual(rng, [
        ("fused", "attn-cpu-pipeline=q-tile=5 kv-tile=7"),
        ("unfused", "attn-cpu-pipeline=q-tile=5 kv-tile=7 fuse-elementwise=false"),
        ("micro", "attn-cpu-pipeline=q-tile=32 kv-tile=8")])
    print("fusion check: %d failures" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
