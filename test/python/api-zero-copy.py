# RUN: rm -rf %t && env ATTN_CACHE_DIR=%t %python %s | FileCheck %s

"""Kernel calls pass numpy buffers to the compiled code without copies:
the memref descriptors point at the arrays' data, and results are written
into numpy arrays (given with out=/lse= or allocated by the call)."""

import numpy as np

import attn

rng = np.random.default_rng(0)
B, H, L, D = 1, 2, 24, 8
q, k, v = (rng.standard_normal((B, H, L, D)).astype(np.float32)
           for _ in range(3))
pos = np.arange(L, dtype=np.int64)

kern = attn.attention(q.shape, masks=[attn.causal()], return_lse=True,
                      mask_mod=lambda b, h, i, j: pos[j] % 2 == 0)
arrays, outs, descs = kern.prepare(q, k, v)
# CHECK: inputs are the caller's arrays: True
print("inputs are the caller's arrays:",
      all(a is b for a, b in zip(arrays, (q, k, v))))
# CHECK: descriptors point at the data: True
print("descriptors point at the data:", all(
    d.aligned == d.allocated == a.ctypes.data and d.offset == 0
    for d, a in zip(descs, arrays + outs)))
# CHECK: descriptor of the captured array points at it: True
print("descriptor of the captured array points at it:",
      descs[3].aligned == kern.defaults["pos"].ctypes.data ==
      pos.ctypes.data)
# CHECK: sizes and strides: [1, 2, 24, 8] [384, 192, 8, 1]
print("sizes and strides:", list(descs[0].sizes), list(descs[0].strides))

out = np.full((B, H, L, D), np.nan, np.float32)
lse = np.full((B, H, L), np.nan, np.float32)
res = kern(q, k, v, out=out, lse=lse)
# CHECK: results written in place: True True
print("results written in place:", res[0] is out and res[1] is lse,
      bool(np.all(np.isfinite(out)) and np.all(np.isfinite(lse))))
ref, ref_lse = kern.reference(q, k, v)
# CHECK: in-place result matches the reference: True
print("in-place result matches the reference:",
      np.allclose(out, ref, rtol=1e-5, atol=1e-6) and
      np.allclose(lse, ref_lse, rtol=1e-5, atol=1e-6))

# Mutating the captured array is seen by the next call (it is referenced,
# not copied).
pos[:] = pos + 1
out2 = kern(q, k, v)[0]
# CHECK: captured array by reference: True
print("captured array by reference:",
      np.allclose(out2, kern.reference(q, k, v)[0], rtol=1e-5, atol=1e-6)
      and not np.allclose(out2, out))
