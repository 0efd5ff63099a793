#!/usr/bin/env python3
"""CPU benchmark of the block-selection overhead of content-based sparse
attention (issue 15): attn.block_scores + attn.select_blocks against dense
causal flash attention of the same shape.

    PYTHONPATH=python python3 bench/cpu/block_selection.py [--n 8192] \\
        [--k 8 16 32] [--reps 3]

Shape (the issue's NSA setting): causal, Hq = 8, Hkv = 2 (GQA 8:2), D = 64,
64-key blocks, f32. Selection = mean-pooled block scores summed over each
GQA group and over 64-query blocks (one list per group and query block, the
FlexAttention granularity), then the top k with the first block and the
local block forced. Times are best of --reps in one process; prints each
time and the ratio selection / dense attention, and the block scores
alone (the rest of a selection is the top-k).
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from attn import runner  # noqa: E402

HQ, HKV, D, BK, BQ = 8, 2, 64, 64, 64


def module(n, ks):
    nb, nq = n // BK, n // BQ
    q = "tensor<1x%dx%dx%dxf32>" % (HQ, n, D)
    kv = "tensor<1x%dx%dx%dxf32>" % (HKV, n, D)
    s = "tensor<1x%dx%dx%dxf32>" % (HKV, nq, nb)
    c = "tensor<1x%dx%dxi32>" % (HKV, nq)
    out = ["""func.func @dense(%%q: %(q)s, %%k: %(kv)s, %%v: %(kv)s) -> %(q)s {
  %%i = tensor.empty() : %(q)s
  %%o = attn.attention ins(%%q, %%k, %%v : %(q)s, %(kv)s, %(kv)s) outs(%%i : %(q)s)
      {masks = [#attn.causal]} -> %(q)s
  return %%o : %(q)s
}""" % dict(q=q, kv=kv)]
    out.append("""func.func @scores(%%q: %(q)s, %%k: %(kv)s) -> %(s)s {
  %%si = tensor.empty() : %(s)s
  %%s = attn.block_scores ins(%%q, %%k : %(q)s, %(kv)s) outs(%%si : %(s)s)
      {block_size = %(bk)d, query_block = %(bq)d, causal} -> %(s)s
  return %%s : %(s)s
}""" % dict(q=q, kv=kv, s=s, bk=BK, bq=BQ))
    for k in ks:
        ix = "tensor<1x%dx%dx%dxi32>" % (HKV, nq, k)
        out.append("""func.func @select%(k)d(%%q: %(q)s, %%k: %(kv)s) -> (%(c)s, %(ix)s) {
  %%si = tensor.empty() : %(s)s
  %%s = attn.block_scores ins(%%q, %%k : %(q)s, %(kv)s) outs(%%si : %(s)s)
      {block_size = %(bk)d, query_block = %(bq)d, causal} -> %(s)s
  %%ci = tensor.empty() : %(c)s
  %%ii = tensor.empty() : %(ix)s
  %%cn, %%id = attn.select_blocks ins(%%s : %(s)s) outs(%%ci, %%ii : %(c)s, %(ix)s)
      {k = %(k)d, block_size = %(bk)d, query_block = %(bq)d, causal, forced_first = 1, local = 1}
      -> %(c)s, %(ix)s
  return %%cn, %%id : %(c)s, %(ix)s
}""" % dict(k=k, q=q, kv=kv, s=s, c=c, ix=ix, bk=BK, bq=BQ))
    return "\n".join(out)


def best(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), max(ts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--k", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args(argv)
    n = a.n
    lib = runner.compile_module(module(n, a.k))
    rng = np.random.default_rng(0)
    q = rng.standard_normal((1, HQ, n, D)).astype(np.float32)
    k = rng.standard_normal((1, HKV, n, D)).astype(np.float32)
    v = rng.standard_normal((1, HKV, n, D)).astype(np.float32)
    o = np.zeros((1, HQ, n, D), np.float32)
    td, tdmax = best(lambda: runner.call(lib, "dense", [q, k, v], [o]), a.reps)
    print("N=%d dense causal attention: %.3f s (max %.3f)" % (n, td, tdmax))
    sc = np.zeros((1, HKV, n // BQ, n // BK), np.float32)
    tsc, tscmax = best(lambda: runner.call(lib, "scores", [q, k], [sc]),
                       a.reps)
    print("N=%d block scores alone: %.3f s (max %.3f), %.3f x dense" % (
        n, tsc, tscmax, tsc / td))
    for kk in a.k:
        cn = np.zeros((1, HKV, n // BQ), np.int32)
        ix = np.zeros((1, HKV, n // BQ, kk), np.int32)
        ts, tsmax = best(lambda: runner.call(lib, "select%d" % kk, [q, k],
                                             [cn, ix]), a.reps)
        frac = cn.sum() * BQ * BK / (HKV * n * n / 2.0)
        print("N=%d k=%d selection: %.3f s (max %.3f), %.3f x dense; "
              "selected key fraction %.3f" % (n, kk, ts, tsmax, ts / td,
                                              frac))
    return 0


if __name__ == "__main__":
    sys.exit(main())
